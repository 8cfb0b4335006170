//! ISO 8601 timestamps as the service writes them.

use std::borrow::Cow;
use std::fmt;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::xml::XmlText;

/// A point in time. The service writes RFC 3339 (`2012-05-22T07:52:56Z`,
/// sometimes with 7 fractional digits) and, in a few places, a time with no
/// offset, which is read as UTC.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DateTime(pub OffsetDateTime);

impl DateTime {
    /// The current time (UTC).
    pub fn now() -> Self {
        DateTime(OffsetDateTime::now_utc())
    }

    /// From seconds since the Unix epoch.
    pub fn from_unix(seconds: i64) -> Option<Self> {
        OffsetDateTime::from_unix_timestamp(seconds)
            .ok()
            .map(DateTime)
    }

    /// Seconds since the Unix epoch.
    pub fn unix(&self) -> i64 {
        self.0.unix_timestamp()
    }

    /// Parses the forms described on the type.
    pub fn parse(text: &str) -> Option<Self> {
        let t = text.trim();
        if let Ok(v) = OffsetDateTime::parse(t, &Rfc3339) {
            return Some(DateTime(v));
        }
        let naive = format_description!(
            version = 2,
            "[year]-[month]-[day]T[hour]:[minute]:[second][optional [.[subsecond]]]"
        );
        PrimitiveDateTime::parse(t, naive)
            .ok()
            .map(|p| DateTime(p.assume_offset(UtcOffset::UTC)))
    }

    /// RFC 3339 text (`Z` for UTC).
    pub fn to_rfc3339(&self) -> String {
        self.0
            .format(&Rfc3339)
            .unwrap_or_else(|_| format!("{}", self.0))
    }
}

impl fmt::Debug for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl fmt::Display for DateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl std::str::FromStr for DateTime {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DateTime::parse(s).ok_or("an ISO 8601 date and time")
    }
}

impl Default for DateTime {
    fn default() -> Self {
        DateTime(OffsetDateTime::UNIX_EPOCH)
    }
}

impl XmlText for DateTime {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        text.parse()
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_rfc3339())
    }
}

impl serde::Serialize for DateTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for DateTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse()
            .map_err(|what: &'static str| serde::de::Error::custom(format!("expected {what}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_service_forms() {
        for s in [
            "2012-05-22T07:52:56Z",
            "2015-07-08T04:01:33.1234567Z",
            "0001-01-01T00:00:00Z",
            "2013-11-20T17:09:31+01:00",
            "2013-11-20T17:09:31",
            "2013-11-20T17:09:31.25",
        ] {
            let d = DateTime::parse(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(DateTime::parse(&d.to_rfc3339()), Some(d), "{s}");
        }
        for s in ["", "yesterday", "2013-13-01T00:00:00Z", "2013-11-20"] {
            assert!(DateTime::parse(s).is_none(), "{s}");
        }
    }
}

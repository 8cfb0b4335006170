//! ISO 8601 timestamps as the service writes them.

use std::borrow::Cow;
use std::fmt;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::time::SystemTime;

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::xml::XmlText;

/// A point in time. The service writes RFC 3339 (`2012-05-22T07:52:56Z`,
/// sometimes with 7 fractional digits) and, in a few places, a time with no
/// offset, which is read as UTC.
///
/// It converts from and to [`time::OffsetDateTime`] and
/// [`std::time::SystemTime`], and takes a [`std::time::Duration`] or a
/// [`time::Duration`] added or subtracted, so "the last hour" is
///
/// ```
/// # use asm_runtime::DateTime;
/// use std::time::Duration;
/// let (start, end) = (DateTime::now() - Duration::from_secs(3600), DateTime::now());
/// assert_eq!((end - start).whole_minutes(), 60);
/// ```
///
/// The arithmetic operators panic when the result is out of range (years
/// before -9999 or after 9999), like those of `time`; [`checked_add`] and
/// [`checked_sub`] do not.
///
/// [`checked_add`]: Self::checked_add
/// [`checked_sub`]: Self::checked_sub
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

    /// `self + duration`, or `None` when out of range.
    pub fn checked_add(self, duration: time::Duration) -> Option<Self> {
        self.0.checked_add(duration).map(DateTime)
    }

    /// `self - duration`, or `None` when out of range.
    pub fn checked_sub(self, duration: time::Duration) -> Option<Self> {
        self.0.checked_sub(duration).map(DateTime)
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

impl From<OffsetDateTime> for DateTime {
    fn from(t: OffsetDateTime) -> Self {
        DateTime(t)
    }
}

impl From<DateTime> for OffsetDateTime {
    fn from(t: DateTime) -> Self {
        t.0
    }
}

impl From<SystemTime> for DateTime {
    /// # Panics
    ///
    /// When the time is before year -9999 or after 9999 (as
    /// `OffsetDateTime::from` does).
    fn from(t: SystemTime) -> Self {
        DateTime(OffsetDateTime::from(t))
    }
}

impl TryFrom<DateTime> for SystemTime {
    type Error = time::error::ConversionRange;

    /// Fails where the platform's `SystemTime` cannot hold the time (on
    /// Windows, before 1601, such as the service's `0001-01-01T00:00:00Z`).
    fn try_from(t: DateTime) -> Result<Self, Self::Error> {
        let since_epoch = t.0 - OffsetDateTime::UNIX_EPOCH;
        let magnitude = since_epoch.unsigned_abs();
        if since_epoch.is_negative() {
            SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        } else {
            SystemTime::UNIX_EPOCH.checked_add(magnitude)
        }
        .ok_or(time::error::ConversionRange)
    }
}

/// `+`, `-`, `+=` and `-=` with a duration of type `$d`.
macro_rules! duration_ops {
    ($d:ty) => {
        impl Add<$d> for DateTime {
            type Output = DateTime;
            fn add(self, rhs: $d) -> DateTime {
                DateTime(self.0 + rhs)
            }
        }

        impl Sub<$d> for DateTime {
            type Output = DateTime;
            fn sub(self, rhs: $d) -> DateTime {
                DateTime(self.0 - rhs)
            }
        }

        impl AddAssign<$d> for DateTime {
            fn add_assign(&mut self, rhs: $d) {
                self.0 += rhs;
            }
        }

        impl SubAssign<$d> for DateTime {
            fn sub_assign(&mut self, rhs: $d) {
                self.0 -= rhs;
            }
        }
    };
}

duration_ops!(std::time::Duration);
duration_ops!(time::Duration);

/// The time between two instants (negative when `rhs` is later).
impl Sub for DateTime {
    type Output = time::Duration;
    fn sub(self, rhs: DateTime) -> time::Duration {
        self.0 - rhs.0
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

    #[test]
    fn converts_to_and_from_time_and_system_time() {
        let t = DateTime::parse("2015-07-08T04:01:33.1234567Z").unwrap();
        let odt: OffsetDateTime = t.into();
        assert_eq!(DateTime::from(odt), t);

        let sys = SystemTime::try_from(t).unwrap();
        assert_eq!(DateTime::from(sys), t);
        assert_eq!(
            sys.duration_since(SystemTime::UNIX_EPOCH).unwrap(),
            std::time::Duration::new(1_436_328_093, 123_456_700)
        );
        // Before the epoch.
        let early = DateTime::parse("1969-12-31T23:59:59.5Z").unwrap();
        let sys = SystemTime::try_from(early).unwrap();
        assert_eq!(
            SystemTime::UNIX_EPOCH.duration_since(sys).unwrap(),
            std::time::Duration::from_millis(500)
        );
        assert_eq!(DateTime::from(sys), early);
        assert_eq!(DateTime::from(SystemTime::UNIX_EPOCH), DateTime::default());

        let now = DateTime::now();
        let from_sys = DateTime::from(SystemTime::now());
        assert!((from_sys - now).abs() < time::Duration::seconds(5));
    }

    #[test]
    fn duration_arithmetic() {
        use std::time::Duration;
        let t = DateTime::parse("2012-05-22T07:52:56Z").unwrap();
        let hour_ago = t - Duration::from_secs(3600);
        assert_eq!(hour_ago.to_rfc3339(), "2012-05-22T06:52:56Z");
        assert_eq!(
            t + Duration::from_secs(3600 * 24),
            DateTime::parse("2012-05-23T07:52:56Z").unwrap()
        );
        assert_eq!(
            t - time::Duration::minutes(90),
            DateTime::parse("2012-05-22T06:22:56Z").unwrap()
        );
        assert_eq!(
            t + time::Duration::seconds(-4),
            DateTime::parse("2012-05-22T07:52:52Z").unwrap()
        );
        assert_eq!(t - hour_ago, time::Duration::hours(1));
        assert_eq!(hour_ago - t, time::Duration::hours(-1));

        let mut u = t;
        u += Duration::from_millis(1500);
        u -= time::Duration::milliseconds(500);
        assert_eq!(u - t, time::Duration::seconds(1));
        u -= Duration::from_secs(1);
        u += time::Duration::ZERO;
        assert_eq!(u, t);

        // "The last hour", as List Subscription Operations wants it.
        let (start, end) = (DateTime::now() - Duration::from_secs(3600), DateTime::now());
        assert!(start < end);
        assert!((end - start - time::Duration::hours(1)).abs() < time::Duration::seconds(5));

        let max = DateTime::parse("9999-12-31T23:59:59Z").unwrap();
        assert_eq!(max.checked_add(time::Duration::seconds(1)), None);
        assert_eq!(
            max.checked_sub(time::Duration::seconds(1)).unwrap().unix() + 1,
            max.unix()
        );
        let min = DateTime::parse("0001-01-01T00:00:00Z").unwrap();
        assert!(min
            .checked_sub(time::Duration::days(366 * 10_000))
            .is_none());
    }
}

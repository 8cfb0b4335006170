//! JSON bodies (monitoring, scheduler jobs, HDInsight, some Web Sites calls).
//!
//! Generated types derive serde with the spec's key names; enums keep
//! unknown values and `sensitive` fields stay out of `Debug`, as for XML.
//! Errors never repeat the input (a value may be a secret): they name the
//! kind of problem and where it is.

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{DecodeError, DecodeErrorKind};

/// Decodes a JSON document.
pub fn from_json<T: DeserializeOwned>(input: &[u8]) -> Result<T, DecodeError> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    if input.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(DecodeError::new(DecodeErrorKind::Empty));
    }
    serde_json::from_slice(input).map_err(json_error)
}

/// Encodes a JSON document. Sensitive fields are written as they are: this
/// is the wire form, not output for people (see [`crate::redaction`]).
pub fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing plain data (no maps with non-string keys) cannot fail.
    crate::redaction::with_secrets_shown(|| serde_json::to_string(value).unwrap_or_default())
}

#[cold]
fn json_error(e: serde_json::Error) -> DecodeError {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => return DecodeError::new(DecodeErrorKind::Truncated),
        Category::Syntax | Category::Io => "JSON syntax error",
        Category::Data => "JSON value of the wrong type or a missing field",
    };
    DecodeError::new(DecodeErrorKind::Syntax(format!(
        "{what} at line {} column {}",
        e.line(),
        e.column()
    )))
}

/// `#[serde(with = "asm_runtime::json::base64")]` for byte fields.
pub mod base64 {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Bytes as base64 text.
    pub fn serialize<S: Serializer>(value: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(value))
    }

    /// Base64 text as bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map_err(|_| serde::de::Error::custom("invalid base64"))
    }
}

/// `#[serde(with = "asm_runtime::json::base64_opt")]` for optional byte fields.
pub mod base64_opt {
    use base64::Engine as _;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Optional bytes as base64 text.
    pub fn serialize<S: Serializer>(value: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(v) => s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(v)),
            None => s.serialize_none(),
        }
    }

    /// Optional base64 text as bytes.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => base64::engine::general_purpose::STANDARD
                .decode(text.trim())
                .map(Some)
                .map_err(|_| serde::de::Error::custom("invalid base64")),
        }
    }
}

/// `#[serde(deserialize_with = "asm_runtime::json::null_as_empty")]`: a list
/// that is `null` reads as empty.
pub fn null_as_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    use serde::Deserialize as _;
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
    struct Rule {
        #[serde(rename = "Name")]
        name: String,
        #[serde(rename = "Threshold", default)]
        threshold: Option<f64>,
    }

    #[test]
    fn errors_do_not_repeat_values() {
        let err = from_json::<Rule>(br#"{"Name": 12345678}"#).unwrap_err();
        let text = err.to_string();
        assert!(!text.contains("12345678"), "{text}");
        assert!(text.contains("line 1"), "{text}");
        let err = from_json::<Rule>(br#"{"Name": "secret-value""#).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::Truncated), "{err}");
        assert!(matches!(
            from_json::<Rule>(b"  ").unwrap_err().kind(),
            DecodeErrorKind::Empty
        ));
        let r: Rule = from_json(br#"{"Name":"a","Threshold":1.5,"Other":[1]}"#).unwrap();
        assert_eq!(r.threshold, Some(1.5));
        assert_eq!(from_json::<Rule>(to_json(&r).as_bytes()).unwrap(), r);
    }

    #[test]
    fn the_wire_keeps_secrets_that_output_redacts() {
        #[derive(serde::Serialize)]
        struct Account {
            #[serde(rename = "Key", serialize_with = "crate::redaction::secret")]
            key: Option<String>,
        }
        let a = Account {
            key: Some("s3cret".into()),
        };
        assert_eq!(to_json(&a), r#"{"Key":"s3cret"}"#);
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            r#"{"Key":"<redacted>"}"#
        );
    }
}

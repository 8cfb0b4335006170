//! Secrets in serialized output.
//!
//! Fields the spec marks `sensitive` (storage keys, passwords, connection
//! strings) are kept out of `Debug` always, and out of `serde` output
//! unless the caller asks for them: generated types put
//! `#[serde(serialize_with = "asm_runtime::redaction::secret")]` on them,
//! which writes `"<redacted>"` for a present value, unless the
//! serialization runs inside [`with_secrets_shown`].
//!
//! The switch is per thread and scoped: serialize inside the closure.
//!
//! ```
//! use asm_runtime::redaction::{self, with_secrets_shown};
//! #[derive(serde::Serialize)]
//! struct Keys {
//!     #[serde(serialize_with = "redaction::secret")]
//!     primary: Option<String>,
//! }
//! let keys = Keys { primary: Some("c2VjcmV0".into()) };
//! assert_eq!(serde_json::to_string(&keys).unwrap(), r#"{"primary":"<redacted>"}"#);
//! let shown = with_secrets_shown(|| serde_json::to_string(&keys).unwrap());
//! assert_eq!(shown, r#"{"primary":"c2VjcmV0"}"#);
//! ```
//!
//! Wire encoding is not affected: [`crate::json::to_json`] (request and
//! response bodies) always shows secrets.

use std::cell::Cell;

use base64::Engine as _;
use serde::{Serialize, Serializer};

use crate::xml::MaybeEmpty;

/// What a redacted secret serializes as.
pub const REDACTED: &str = "<redacted>";

thread_local! {
    static SHOWN: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` with secrets shown in serialized output (on this thread).
pub fn with_secrets_shown<R>(f: impl FnOnce() -> R) -> R {
    with_secrets(true, f)
}

/// Runs `f` with secrets shown (`show`) or redacted (on this thread); the
/// previous setting comes back afterwards, even if `f` panics.
pub fn with_secrets<R>(show: bool, f: impl FnOnce() -> R) -> R {
    struct Restore(bool);
    impl Drop for Restore {
        fn drop(&mut self) {
            SHOWN.with(|s| s.set(self.0));
        }
    }
    let _restore = Restore(SHOWN.with(|s| s.replace(show)));
    f()
}

/// Whether secrets are shown right now (on this thread).
pub fn secrets_shown() -> bool {
    SHOWN.with(Cell::get)
}

/// `serialize_with` for a sensitive field: the value inside
/// [`with_secrets_shown`], else `"<redacted>"` (`None` stays `null`).
pub fn secret<T, S>(value: &T, s: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + MaybeEmpty + ?Sized,
    S: Serializer,
{
    if secrets_shown() {
        value.serialize(s)
    } else if value.is_absent() {
        s.serialize_none()
    } else {
        s.serialize_str(REDACTED)
    }
}

/// Bytes that serialize as base64 text: `Vec<u8>`, `Option<Vec<u8>>` and
/// lists of them.
pub trait Base64Value {
    /// Serializes as base64 text (a list of texts for a list).
    fn serialize_base64<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error>;
}

impl Base64Value for Vec<u8> {
    fn serialize_base64<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(self))
    }
}

impl<T: Base64Value> Base64Value for Option<T> {
    fn serialize_base64<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Some(v) => v.serialize_base64(s),
            None => s.serialize_none(),
        }
    }
}

impl Base64Value for Vec<Vec<u8>> {
    fn serialize_base64<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq as _;
        let mut seq = s.serialize_seq(Some(self.len()))?;
        for item in self {
            seq.serialize_element(&base64::engine::general_purpose::STANDARD.encode(item))?;
        }
        seq.end()
    }
}

/// `serialize_with` for bytes (`base64` in the spec): base64 text, as on
/// the wire, rather than an array of numbers.
pub fn base64<T: Base64Value, S: Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
    value.serialize_base64(s)
}

/// `serialize_with` for sensitive bytes: base64 text inside
/// [`with_secrets_shown`], else `"<redacted>"`.
pub fn secret_base64<T, S>(value: &T, s: S) -> Result<S::Ok, S::Error>
where
    T: Base64Value + MaybeEmpty,
    S: Serializer,
{
    if secrets_shown() {
        value.serialize_base64(s)
    } else if value.is_absent() {
        s.serialize_none()
    } else {
        s.serialize_str(REDACTED)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Keys {
        #[serde(serialize_with = "secret")]
        primary: Option<String>,
        #[serde(serialize_with = "secret")]
        absent: Option<String>,
        #[serde(serialize_with = "secret_base64")]
        blob: Option<Vec<u8>>,
        #[serde(serialize_with = "base64")]
        data: Vec<u8>,
    }

    #[test]
    fn redacts_unless_shown_and_restores() {
        let k = Keys {
            primary: Some("key".into()),
            absent: None,
            blob: Some(vec![1, 2, 3]),
            data: vec![0xff],
        };
        let hidden = serde_json::to_string(&k).unwrap();
        assert_eq!(
            hidden,
            r#"{"primary":"<redacted>","absent":null,"blob":"<redacted>","data":"/w=="}"#
        );
        let shown = with_secrets_shown(|| serde_json::to_string(&k).unwrap());
        assert_eq!(
            shown,
            r#"{"primary":"key","absent":null,"blob":"AQID","data":"/w=="}"#
        );
        assert!(!secrets_shown());
        let r = std::panic::catch_unwind(|| with_secrets_shown(|| panic!("inside")));
        assert!(r.is_err());
        assert!(!secrets_shown(), "restored after a panic");
        with_secrets_shown(|| {
            with_secrets(false, || assert!(!secrets_shown()));
            assert!(secrets_shown());
        });
    }
}

//! Building request paths: every path parameter is one percent-encoded
//! segment, so no value can change the URI's shape.

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::error::ValidationError;

/// Everything but RFC 3986 unreserved characters is encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// Query values: as segments, and `/` `:` `,` stay readable.
const QUERY: &AsciiSet = &SEGMENT.remove(b':').remove(b',');

/// Appends `value` to `out` as one path segment. Empty values and the dot
/// segments `.` and `..` (which a server or proxy would resolve) are refused.
pub fn push_segment(out: &mut String, name: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        return Err(ValidationError::new(name, "must not be empty"));
    }
    if value == "." || value == ".." {
        return Err(ValidationError::new(name, "must not be `.` or `..`"));
    }
    // Most values (names, GUIDs) need no encoding: copied as they are.
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    {
        out.push_str(value);
    } else {
        out.extend(utf8_percent_encode(value, SEGMENT));
    }
    Ok(())
}

/// Percent-encodes a query component.
pub fn encode_query(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// Decodes a percent-encoded segment (the emulator's router); `None` when the
/// result is not UTF-8.
pub fn decode_segment(segment: &str) -> Option<String> {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(v: &str) -> String {
        let mut s = String::new();
        push_segment(&mut s, "name", v).unwrap();
        s
    }

    #[test]
    fn segments_never_change_the_shape() {
        for v in [
            "a/b",
            "a?b=c",
            "a#frag",
            "100%",
            "with space",
            "ünï©ødé",
            "../x",
            "a\\b",
            "a;b",
            "%2F",
            "\u{0}",
        ] {
            let s = seg(v);
            assert!(
                !s.contains('/') && !s.contains('?') && !s.contains('#') && !s.contains(' '),
                "{v} -> {s}"
            );
            assert_eq!(decode_segment(&s).as_deref(), Some(v));
        }
        assert_eq!(seg("my-service_1.x~"), "my-service_1.x~");
        assert_eq!(seg("a/b"), "a%2Fb");
        assert_eq!(seg("100%"), "100%25");
        for bad in ["", ".", ".."] {
            assert!(push_segment(&mut String::new(), "name", bad).is_err());
        }
    }

    /// The copy of values that need no encoding agrees with the encoder on
    /// every byte, alone and within a value.
    #[test]
    fn values_copied_as_they_are_agree_with_the_encoder() {
        for c in (0u8..=0x7f).map(char::from).chain(['é', '\u{2028}', '😀']) {
            for v in [c.to_string(), format!("ab{c}"), format!("{c}-1.x~_")] {
                if v == "." {
                    continue;
                }
                let encoded = utf8_percent_encode(&v, SEGMENT).to_string();
                assert_eq!(seg(&v), encoded, "{v:?}");
            }
        }
    }
}

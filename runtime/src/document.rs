//! Raw text bodies with a known schema: the network configuration
//! (`GET`/`PUT …/services/networking/media`) travels as a whole XML document
//! in a text body. [`TextDocument`] keeps the text exactly as sent or
//! received, and parses it into the typed form on demand.

use std::marker::PhantomData;

use crate::error::DecodeError;
use crate::xml::XmlRoot;

/// A text body whose schema is the XML type `T`.
pub struct TextDocument<T> {
    text: String,
    _schema: PhantomData<fn() -> T>,
}

impl<T> TextDocument<T> {
    /// The document as text, exactly as given or received.
    pub fn from_text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            _schema: PhantomData,
        }
    }

    /// The text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The text, owned.
    pub fn into_text(self) -> String {
        self.text
    }
}

impl<T: XmlRoot> TextDocument<T> {
    /// The document of a typed value.
    pub fn from_value(value: &T) -> Self {
        Self::from_text(value.to_document())
    }

    /// Parses the text into the typed form.
    pub fn parse(&self) -> Result<T, DecodeError> {
        T::from_document(self.text.as_bytes())
    }
}

impl<T> From<String> for TextDocument<T> {
    fn from(text: String) -> Self {
        Self::from_text(text)
    }
}

impl<T> From<&str> for TextDocument<T> {
    fn from(text: &str) -> Self {
        Self::from_text(text)
    }
}

impl<T> Clone for TextDocument<T> {
    fn clone(&self) -> Self {
        Self::from_text(self.text.clone())
    }
}

impl<T> PartialEq for TextDocument<T> {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl<T> Default for TextDocument<T> {
    fn default() -> Self {
        Self::from_text(String::new())
    }
}

/// Serializes as the text.
impl<T> serde::Serialize for TextDocument<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<T> std::fmt::Debug for TextDocument<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TextDocument")
            .field("schema", &std::any::type_name::<T>())
            .field("text", &self.text)
            .finish()
    }
}

/// A body as UTF-8 text, leading byte-order marks removed.
///
/// All of them, not just one: the text is what gets sent back, and a second
/// mark left at its start would be removed on the next read, so a value
/// would not survive being sent and read again.
pub fn text_from_bytes(body: &[u8]) -> Result<String, DecodeError> {
    let mut body = body;
    while let Some(rest) = body.strip_prefix(b"\xEF\xBB\xBF") {
        body = rest;
    }
    String::from_utf8(body.to_vec())
        .map_err(|_| DecodeError::new(crate::error::DecodeErrorKind::InvalidUtf8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_order_marks_are_removed_once_and_for_all() {
        assert_eq!(text_from_bytes(b"\xEF\xBB\xBF<a/>").unwrap(), "<a/>");
        // Found by the `responses` fuzz target: with two marks, the text
        // kept one, and reading that text again removed it.
        let first = text_from_bytes(b"\xEF\xBB\xBF\xEF\xBB\xBF<a/>").unwrap();
        assert_eq!(first, "<a/>");
        assert_eq!(text_from_bytes(first.as_bytes()).unwrap(), first);
        // A mark later in the text is text.
        assert_eq!(
            text_from_bytes("<a>\u{FEFF}</a>".as_bytes()).unwrap(),
            "<a>\u{FEFF}</a>"
        );
        assert!(text_from_bytes(b"\xEF\xBB\xBF\xff").is_err());
    }
}

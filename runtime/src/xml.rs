//! XML for the Service Management API: a tolerant pull reader and an ordered
//! writer. Generated code drives both; nothing here knows an operation.
//!
//! Reading is tolerant the way the service needs: elements may come in any
//! order, unknown elements are skipped, `i:nil="true"` and empty elements mean
//! "no value" for optional fields, a byte-order mark and an XML declaration are
//! accepted. It is strict where safety needs it: a `DOCTYPE` is refused (no
//! entity expansion), the document must be well formed and complete, and the
//! root element must be the one expected.
//!
//! Writing follows the order the generated code calls it in, which is the wire
//! order the spec gives.

use std::borrow::Cow;

use compact_str::CompactString;

use base64::Engine as _;
use quick_xml::events::attributes::Attributes;

use crate::error::{DecodeError, DecodeErrorKind};

mod memo;
use memo::{Found, ListMemo, MAX_ITEM_NAME};

/// The service's XML namespace.
pub const NAMESPACE: &str = "http://schemas.microsoft.com/windowsazure";
/// XMLSchema-instance, for `i:nil`.
pub const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A value carried as element text: strings, numbers, booleans, dates, enums.
pub trait XmlText: Sized {
    /// Parses the (unescaped) element text. The error names the expected kind
    /// of value; it never repeats the value (which may be a secret).
    fn parse_text(text: &str) -> Result<Self, &'static str>;
    /// [`parse_text`](Self::parse_text) from text the reader may already own
    /// (unescaped text): `String` takes it without copying.
    #[inline]
    fn from_text(text: Cow<'_, str>) -> Result<Self, &'static str> {
        Self::parse_text(&text)
    }
    /// The text to write (the writer escapes it).
    fn to_text(&self) -> Cow<'_, str>;
    /// Stores the value of `text` in `field` (a field being read).
    #[inline]
    fn parse_into(field: &mut Option<Self>, text: Cow<'_, str>) -> Result<(), &'static str> {
        *field = Some(Self::from_text(text)?);
        Ok(())
    }
    /// Appends the value of `text` to `out` (a text list being read);
    /// `tail` starts with `text` and may go on (the rest of the document).
    #[inline]
    fn push_parsed(out: &mut Vec<Self>, text: &str, _tail: &str) -> Result<(), &'static str> {
        out.push(Self::parse_text(text)?);
        Ok(())
    }
}

/// A value carried as an element with children (a spec `struct`).
pub trait FromXml: Sized {
    /// Reads the children of `element`, whose start tag was just read.
    fn from_xml(reader: &mut XmlReader<'_>, element: &Child<'_>) -> Result<Self, DecodeError>;
}

/// Writes a spec `struct`'s attributes and children, in wire order.
pub trait ToXml {
    /// Writes the attributes (` name="value"`), if the type has any; called
    /// while the start tag is open.
    fn write_attributes(&self, _writer: &mut XmlWriter) {}
    /// Writes the children (not the element itself).
    fn write_children(&self, writer: &mut XmlWriter);
}

/// Decodes a whole document whose root element must be `root` in the
/// service's namespace.
pub fn from_document<T: FromXml>(root: &'static str, input: &[u8]) -> Result<T, DecodeError> {
    from_document_ns(root, NAMESPACE, input)
}

/// Decodes a whole document whose root element must be `root`, in namespace
/// `ns` when the root declares one.
pub fn from_document_ns<T: FromXml>(
    root: &'static str,
    ns: &str,
    input: &[u8],
) -> Result<T, DecodeError> {
    let mut reader = XmlReader::new(input);
    let element = reader.root_in(root, Some(ns))?;
    let value = T::from_xml(&mut reader, &element).map_err(|e| e.within(root))?;
    reader.finish()?;
    Ok(value)
}

/// Decodes a document whose root element holds a single text value
/// (`<string xmlns="...Serialization/">azurewebsites.net</string>`).
pub fn scalar_from_document<T: XmlText>(
    root: &'static str,
    ns: &str,
    input: &[u8],
) -> Result<T, DecodeError> {
    let mut reader = XmlReader::new(input);
    let element = reader.root_in(root, Some(ns))?;
    // text_req names the element in its errors already.
    let value = reader
        .text_req::<T>(&element)?
        .ok_or_else(|| DecodeError::new(DecodeErrorKind::Missing(root)))?;
    reader.finish()?;
    Ok(value)
}

/// Encodes `value` as a whole document with root element `root` in the
/// service's namespace.
pub fn to_document<T: ToXml>(root: &str, value: &T) -> String {
    to_document_ns(root, NAMESPACE, value)
}

/// Encodes `value` as a whole document with root element `root` in
/// namespace `ns`.
pub fn to_document_ns<T: ToXml>(root: &str, ns: &str, value: &T) -> String {
    let mut writer = XmlWriter::with_capacity(256);
    writer.root_open(root, ns);
    value.write_attributes(&mut writer);
    writer.buf.push('>');
    value.write_children(&mut writer);
    writer.end(root);
    writer.into_string()
}

/// Encodes a single text value as a whole document (`<string xmlns=..>v</string>`).
pub fn scalar_to_document<T: XmlText>(root: &str, ns: &str, value: &T) -> String {
    let mut writer = XmlWriter::with_capacity(64);
    writer.root_open(root, ns);
    writer.buf.push('>');
    writer.escaped(&value.to_text());
    writer.end(root);
    writer.into_string()
}

/// A type that is the root of a document of its own (a raw text body with
/// a known schema, such as the network configuration).
pub trait XmlRoot: FromXml + ToXml {
    /// The root element.
    const ROOT: &'static str;
    /// The root element's namespace.
    const NAMESPACE: &'static str;

    /// Decodes a whole document.
    fn from_document(input: &[u8]) -> Result<Self, DecodeError> {
        from_document_ns(Self::ROOT, Self::NAMESPACE, input)
    }

    /// Encodes a whole document.
    fn to_document(&self) -> String {
        to_document_ns(Self::ROOT, Self::NAMESPACE, self)
    }
}

/// A child element just opened by [`XmlReader::next_child`] (or read into
/// by [`XmlReader::read_child`]).
#[derive(Debug, Default)]
pub struct Child<'a> {
    /// The local name, a slice of the input.
    local: &'a [u8],
    /// The whole start tag (between `<` and `>` or `/>`) as text, kept only
    /// when the tag has attributes.
    attrs: Option<Cow<'a, str>>,
    /// Length of the qualified name at the start of `attrs`.
    name_len: usize,
    /// [`EMPTY`] and [`NIL`]. One word rather than two `bool`s: a `Child`
    /// is returned through memory, and copying two bytes just stored one at
    /// a time as part of a word stalls the CPU (the store cannot be
    /// forwarded to the load), a third of `next_child`'s time (`perf`).
    flags: usize,
}

/// [`Child::flags`]: `<X/>`.
const EMPTY: usize = 1;
/// [`Child::flags`]: `i:nil="true"`.
const NIL: usize = 2;

impl<'a> Child<'a> {
    /// Sets the child to an element with no attributes: `local` is its
    /// name's local part, `name_len` the length of its qualified name.
    #[inline(always)]
    fn set_plain(&mut self, local: &'a [u8], name_len: usize, empty: bool) {
        self.local = local;
        self.attrs = None;
        self.name_len = name_len;
        self.flags = if empty { EMPTY } else { 0 };
    }
}

impl Child<'_> {
    /// The element's local name (any prefix removed).
    #[inline]
    pub fn name(&self) -> &[u8] {
        self.local
    }

    /// `true` for `<X/>`.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.flags & EMPTY != 0
    }

    /// `true` when the element carries `i:nil="true"`.
    #[inline]
    pub fn is_nil(&self) -> bool {
        self.flags & NIL != 0
    }

    fn name_string(&self) -> String {
        String::from_utf8_lossy(self.name()).into_owned()
    }

    fn attributes(&self) -> Option<Attributes<'_>> {
        self.attrs
            .as_deref()
            .map(|tag| Attributes::new(tag, self.name_len))
    }

    /// The (unescaped) value of the attribute whose local name is `name`,
    /// whatever its prefix; `None` when absent.
    pub fn attr(&self, name: &[u8]) -> Result<Option<Cow<'_, str>>, DecodeError> {
        let Some(mut attributes) = self.attributes() else {
            return Ok(None);
        };
        for a in attributes.with_checks(false) {
            let a = a.map_err(|e| {
                DecodeError::new(DecodeErrorKind::Syntax(format!("attribute: {e}")))
            })?;
            if local_part(a.key.as_ref()) == name && !a.key.as_ref().starts_with(b"xmlns") {
                let raw = match a.value {
                    Cow::Borrowed(b) => Cow::Borrowed(
                        std::str::from_utf8(b)
                            .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))?,
                    ),
                    Cow::Owned(b) => Cow::Owned(
                        String::from_utf8(b)
                            .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))?,
                    ),
                };
                let value = match raw {
                    Cow::Borrowed(r) => quick_xml::escape::unescape(r).map_err(escape_error)?,
                    Cow::Owned(r) => Cow::Owned(
                        quick_xml::escape::unescape(&r)
                            .map_err(escape_error)?
                            .into_owned(),
                    ),
                };
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// The value of the namespace declaration `xmlns` (the element's default
    /// namespace), when the element declares one.
    pub fn default_namespace(&self) -> Option<Cow<'_, [u8]>> {
        let tag = self.attrs.as_deref()?.as_bytes();
        raw_attributes(tag.get(self.name_len..)?)
            .find(|(name, _)| *name == b"xmlns")
            .map(|(_, value)| Cow::Borrowed(value))
    }

    /// An optional attribute parsed as `T` (absent or empty: `None`).
    pub fn attr_opt<T: XmlText>(&self, name: &'static str) -> Result<Option<T>, DecodeError> {
        match self.attr(name.as_bytes())? {
            None => Ok(None),
            Some(v) if v.trim().is_empty() => Ok(None),
            Some(v) => T::parse_text(&v)
                .map(Some)
                .map_err(|expected| DecodeError::invalid(expected).within(&format!("@{name}"))),
        }
    }

    /// A required attribute parsed as `T` (an empty string is a value).
    pub fn attr_req<T: XmlText>(&self, name: &'static str) -> Result<Option<T>, DecodeError> {
        match self.attr(name.as_bytes())? {
            None => Ok(None),
            Some(v) => T::parse_text(&v)
                .map(Some)
                .map_err(|expected| DecodeError::invalid(expected).within(&format!("@{name}"))),
        }
    }
}

/// One piece of markup or text, as the reader's tokenizer finds it.
enum Token<'a> {
    /// A start tag: its content between `<` and `>` (without a closing
    /// `/`), the length of its name, and whether it was `<X/>`.
    Start {
        tag: &'a [u8],
        name_len: usize,
        /// Where the local name starts (after the prefix's `:`, if any).
        local_at: usize,
        empty: bool,
    },
    /// An end tag (already checked against its start tag).
    End,
    /// Character data up to the next `<` (raw, not unescaped).
    Text(&'a [u8]),
    /// The content of `<![CDATA[...]]>`.
    CData(&'a [u8]),
    /// `<!--...-->`.
    Comment,
    /// `<?...?>` other than the XML declaration.
    Pi,
    /// `<?xml ...?>`.
    Decl,
    /// `<!DOCTYPE` (refused by every caller).
    DocType,
    /// The end of the input.
    Eof,
}

/// A pull reader over a complete response body.
///
/// The tokenizer is its own (a slice cursor): it finds `<` and `>` with
/// `memchr`, checks every end tag against the start tag it closes (the
/// names of the open elements are kept as offsets into the input), and
/// builds no event values. Unescaping and attribute parsing are quick-xml's.
pub struct XmlReader<'a> {
    input: &'a [u8],
    /// The next byte to read.
    pos: usize,
    /// The whole input as text, when it is valid UTF-8 (checked once, up
    /// front): text pieces are then sliced from it without validating each.
    input_str: Option<&'a str>,
    /// The open elements: offset and length of each qualified name.
    open: Vec<(usize, usize)>,
    /// Text lists read so far, for lists that repeat.
    lists: ListMemo,
}

impl<'a> XmlReader<'a> {
    /// A reader over `input` (a leading UTF-8 byte-order mark is skipped;
    /// so is a second one, as the earlier quick-xml reader did).
    pub fn new(input: &'a [u8]) -> Self {
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        Self {
            input,
            pos: 0,
            // `simdutf8` checks 32 bytes at a time where the CPU can (and
            // says the same as `std::str::from_utf8`, which it falls back to).
            input_str: simdutf8::basic::from_utf8(input).ok(),
            open: Vec::with_capacity(16),
            lists: ListMemo::default(),
        }
    }

    /// The next token.
    #[inline]
    fn token(&mut self) -> Result<Token<'a>, DecodeError> {
        let input = self.input;
        let Some(rest) = input.get(self.pos..) else {
            return Ok(Token::Eof);
        };
        match rest.first() {
            None => Ok(Token::Eof),
            Some(b'<') => self.markup(),
            Some(_) => {
                let len = memchr::memchr(b'<', rest).unwrap_or(rest.len());
                self.pos += len;
                Ok(Token::Text(&rest[..len]))
            }
        }
    }

    /// Markup at `self.pos` (which holds `<`).
    #[inline]
    fn markup(&mut self) -> Result<Token<'a>, DecodeError> {
        let input = self.input;
        let after = self.pos + 1;
        match input.get(after) {
            Some(b'/') => {
                // `</name>`, optionally with white space before `>`; the
                // name must be the one of the innermost open element.
                if self.close_innermost_at(self.pos) {
                    return Ok(Token::End);
                }
                let Some(len) = tag_end(&input[after..]) else {
                    return Err(syntax("end tag not closed"));
                };
                let content = &input[after + 1..after + len];
                let name = trim_end_ascii_ws(content);
                let Some((start, name_len)) = self.open.pop() else {
                    return Err(syntax("end tag without a start tag"));
                };
                if !eq_bytes(name, &input[start..start + name_len]) {
                    return Err(mismatched_end(&input[start..start + name_len]));
                }
                self.pos = after + len + 1;
                Ok(Token::End)
            }
            Some(b'!') => self.bang(),
            Some(b'?') => {
                // `body` starts with the `?` of `<?`: the closing `?>` is
                // searched after it (`<?>` is not closed).
                let body = input.get(after + 1..).unwrap_or_default();
                let Some(end) = find_pi_end(body) else {
                    return Err(syntax("processing instruction not closed"));
                };
                let content = body.get(..end).unwrap_or_default();
                self.pos = after + 1 + end + 2;
                if content.starts_with(b"xml")
                    && content.get(3).is_none_or(|b| b.is_ascii_whitespace())
                {
                    Ok(Token::Decl)
                } else {
                    Ok(Token::Pi)
                }
            }
            Some(_) => {
                // One pass over the name: its end, its prefix's colon and,
                // for a tag without attributes (almost all), the `>`; a
                // tag with attributes continues with `tag_end` (quotes).
                let from = &input[after..];
                let mut local_at = 0;
                let mut found = None;
                let mut i = 0;
                while let Some(at) = name_stop(from, i) {
                    match from[at] {
                        b'>' => {
                            found = Some((at, at));
                            break;
                        }
                        b' ' | b'\t' | b'\r' | b'\n' => {
                            found = tag_end(&from[at..]).map(|end| (at, at + end));
                            break;
                        }
                        b':' if local_at == 0 => local_at = at + 1,
                        // A second colon or another control character:
                        // part of the name, as before.
                        _ => {}
                    }
                    i = at + 1;
                }
                let Some((mut name_len, len)) = found else {
                    return Err(syntax("start tag not closed"));
                };
                let mut tag = &from[..len];
                self.pos = after + len + 1;
                let empty = tag.last() == Some(&b'/');
                if empty {
                    tag = &tag[..tag.len() - 1];
                    name_len = name_len.min(tag.len());
                }
                if local_at > name_len {
                    local_at = 0;
                }
                if !empty {
                    self.open.push((after, name_len));
                }
                Ok(Token::Start {
                    tag,
                    name_len,
                    local_at,
                    empty,
                })
            }
            None => Err(syntax("`<` at the end of the input")),
        }
    }

    /// `<!...`: a comment, CDATA or a DOCTYPE.
    #[inline(never)]
    fn bang(&mut self) -> Result<Token<'a>, DecodeError> {
        let rest = &self.input[self.pos..];
        if rest.starts_with(b"<!--") {
            let Some(end) = memchr::memmem::find(&rest[4..], b"-->") else {
                return Err(syntax("comment not closed"));
            };
            self.pos += 4 + end + 3;
            Ok(Token::Comment)
        } else if rest.starts_with(b"<![CDATA[") {
            let Some(end) = memchr::memmem::find(&rest[9..], b"]]>") else {
                return Err(syntax("CDATA section not closed"));
            };
            self.pos += 9 + end + 3;
            Ok(Token::CData(&rest[9..9 + end]))
        } else if rest.len() >= 9 && rest[2..9].eq_ignore_ascii_case(b"DOCTYPE") {
            Ok(Token::DocType)
        } else {
            Err(syntax("unknown `<!` markup"))
        }
    }

    /// Reads up to the root element and checks its name and namespace (the
    /// service's).
    pub fn root(&mut self, expected: &'static str) -> Result<Child<'a>, DecodeError> {
        self.root_in(expected, Some(NAMESPACE))
    }

    /// Like [`root`](Self::root), accepting any namespace (error bodies).
    pub fn root_any_namespace(&mut self, expected: &'static str) -> Result<Child<'a>, DecodeError> {
        self.root_in(expected, None)
    }

    /// Reads up to the root element and checks its name and, when `ns` is
    /// given and the root declares a default namespace, that namespace.
    pub fn root_in(
        &mut self,
        expected: &'static str,
        ns: Option<&str>,
    ) -> Result<Child<'a>, DecodeError> {
        loop {
            match self.token()? {
                Token::Start {
                    tag,
                    name_len,
                    local_at,
                    empty,
                } => {
                    let child = self.child(tag, name_len, local_at, empty)?;
                    return self.open_root(child, expected, ns);
                }
                Token::Decl | Token::Comment | Token::Pi => {}
                Token::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                Token::DocType => return Err(DecodeError::new(DecodeErrorKind::DocType)),
                Token::Eof => return Err(DecodeError::new(DecodeErrorKind::Empty)),
                Token::Text(_) | Token::CData(_) => {
                    return Err(DecodeError::new(DecodeErrorKind::NotXml));
                }
                Token::End => unreachable_end(),
            }
        }
    }

    fn open_root(
        &mut self,
        child: Child<'a>,
        expected: &'static str,
        ns: Option<&str>,
    ) -> Result<Child<'a>, DecodeError> {
        if child.name() != expected.as_bytes() {
            return Err(DecodeError::new(DecodeErrorKind::UnexpectedRoot {
                expected,
                found: child.name_string(),
            }));
        }
        if let (Some(want), Some(found)) = (ns, child.default_namespace()) {
            if found.as_ref() != want.as_bytes() {
                return Err(DecodeError::new(DecodeErrorKind::Namespace(
                    String::from_utf8_lossy(&found).chars().take(200).collect(),
                )));
            }
        }
        Ok(child)
    }

    /// After the root element: only comments, processing instructions and
    /// white space may follow.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        loop {
            match self.token()? {
                Token::Eof => return Ok(()),
                Token::Comment | Token::Pi => {}
                Token::Text(t) if t.iter().all(u8::is_ascii_whitespace) => {}
                _ => return Err(syntax("content after the root element")),
            }
        }
    }

    /// The [`Child`] for a start tag just read.
    fn child(
        &self,
        tag: &'a [u8],
        name_len: usize,
        local_at: usize,
        empty: bool,
    ) -> Result<Child<'a>, DecodeError> {
        let mut child = Child::default();
        self.fill_child(&mut child, tag, name_len, local_at, empty)?;
        Ok(child)
    }

    /// Sets `child` to the element whose start tag was just read, field by
    /// field.
    #[inline]
    fn fill_child(
        &self,
        child: &mut Child<'a>,
        tag: &'a [u8],
        name_len: usize,
        local_at: usize,
        empty: bool,
    ) -> Result<(), DecodeError> {
        // `local_at` is 0 or just after a `:` within the name.
        let local = tag
            .get(local_at.min(name_len)..name_len)
            .unwrap_or_default();
        if self.input_str.is_none() && !local.is_ascii() && std::str::from_utf8(local).is_err() {
            return Err(DecodeError::new(DecodeErrorKind::InvalidUtf8));
        }
        // Attributes are looked at only when the tag has any.
        if tag.len() == name_len {
            child.set_plain(local, name_len, empty);
        } else {
            *child = self.child_with_attributes(tag, name_len, local, empty)?;
        }
        Ok(())
    }

    #[inline(never)]
    fn child_with_attributes(
        &self,
        tag: &'a [u8],
        name_len: usize,
        local: &'a [u8],
        empty: bool,
    ) -> Result<Child<'a>, DecodeError> {
        let text = match self.input_str.and_then(|doc| within_str(doc, tag)) {
            Some(text) => Cow::Borrowed(text),
            None => String::from_utf8_lossy(tag),
        };
        // The attributes are parsed only when `nil` appears in the tag at all
        // (namespace declarations are the usual attributes, and carry none),
        // and not for the usual form of nil, ` i:nil="true"` alone.
        let attrs = &tag[name_len..];
        let nil = attrs == NIL_ATTR
            || mentions_nil(attrs)
                && Attributes::new(&text, name_len)
                    .with_checks(false)
                    .flatten()
                    .any(|a| {
                        local_part(a.key.as_ref()) == b"nil"
                            && a.value.as_ref().eq_ignore_ascii_case(b"true")
                    });
        Ok(Child {
            local,
            attrs: Some(text),
            name_len,
            flags: if empty { EMPTY } else { 0 } | if nil { NIL } else { 0 },
        })
    }

    /// [`next_child`](Self::next_child) into `child` (the generated readers'
    /// one `Child` per struct): `true` with `child` set to the next child
    /// element, `false` at the end tag. The caller reads the fields in place
    /// rather than copying a returned `Child`, whose copy (wide loads of
    /// words just stored) stalled the CPU in every generated reader (`perf`).
    #[inline]
    pub fn read_child(&mut self, child: &mut Child<'a>) -> Result<bool, DecodeError> {
        loop {
            match self.token()? {
                Token::Start {
                    tag,
                    name_len,
                    local_at,
                    empty,
                } => {
                    self.fill_child(child, tag, name_len, local_at, empty)?;
                    return Ok(true);
                }
                Token::End => return Ok(false),
                Token::Eof => return Err(DecodeError::new(DecodeErrorKind::Truncated)),
                Token::DocType => return Err(DecodeError::new(DecodeErrorKind::DocType)),
                // Mixed content between elements is ignored, like white space.
                Token::Text(_) | Token::CData(_) | Token::Comment | Token::Pi | Token::Decl => {}
            }
        }
    }

    /// The next child of a generated reader's element: `fields` are the
    /// start tags of the element's fields in wire order (`<name>`), `next`
    /// the one likely to come. `Some(next)` when the child is that field,
    /// `Some(usize::MAX)` for any other child (the caller looks its name
    /// up), with `child` set to it; `None` at the element's end tag.
    ///
    /// The likely field's start tag, after white space only, is read in
    /// place, without a tag scan, and so is the element's own end tag
    /// (`</name>`, where every element ends); anything else (another
    /// element, attributes, a prefix, an empty element, a field that is
    /// not `<name>`) is read by `read_child`.
    #[inline]
    pub fn read_field(
        &mut self,
        child: &mut Child<'a>,
        fields: &[&[u8]],
        next: usize,
    ) -> Result<Option<usize>, DecodeError> {
        let input = self.input;
        let at = skip_space(input, self.pos);
        if let Some(&expected) = fields.get(next) {
            let len = expected.len();
            if let Some(found) = input.get(at..at.saturating_add(len)) {
                let shaped = len >= 3 && expected[0] == b'<' && expected[len - 1] == b'>';
                if shaped && eq_bytes(found, expected) {
                    // What `markup` and `fill_child` do for a tag without
                    // attributes or prefix.
                    let name_at = at + 1;
                    let name_len = len - 2;
                    child.set_plain(&input[name_at..name_at + name_len], name_len, false);
                    self.open.push((name_at, name_len));
                    self.pos = at + len;
                    return Ok(Some(next));
                }
                // `<name ` : the likely field with attributes, of which the
                // usual one is nil (`<name i:nil="true"/>`).
                if shaped
                    && found[len - 1] == b' '
                    && eq_bytes(&found[..len - 1], &expected[..len - 1])
                    && self.nil_in_place(child, at + 1, len - 2)
                {
                    return Ok(Some(next));
                }
            }
        }
        if self.close_innermost_at(at) {
            return Ok(None);
        }
        Ok(self.read_child(child)?.then_some(usize::MAX))
    }

    /// `<name i:nil="true"/>` at `name_at - 1` (its usual form, as the
    /// service writes it), with the name's length: `child` set to it, as
    /// `markup` and `fill_child` would (an empty element, nil, the tag kept
    /// as its attributes), and `true`; `false` for any other form, left to
    /// the general way.
    #[inline(never)]
    fn nil_in_place(&mut self, child: &mut Child<'a>, name_at: usize, name_len: usize) -> bool {
        let tag_end = name_at + name_len + NIL_ATTR.len();
        let (Some(doc), Some(after)) = (self.input_str, self.input.get(tag_end..tag_end + 2))
        else {
            return false;
        };
        if after != b"/>" || self.input.get(name_at + name_len..tag_end) != Some(NIL_ATTR) {
            return false;
        }
        let (Some(local), Some(tag)) = (
            self.input.get(name_at..name_at + name_len),
            doc.get(name_at..tag_end),
        ) else {
            return false;
        };
        *child = Child {
            local,
            attrs: Some(Cow::Borrowed(tag)),
            name_len,
            flags: EMPTY | NIL,
        };
        self.pos = tag_end + 2;
        true
    }

    /// The next child element of the element being read, or `None` at its
    /// end tag. Must not be called for an element that [`Child::is_empty`].
    /// Every child returned must be consumed (read or [`skip`](Self::skip)ped).
    #[inline]
    pub fn next_child(&mut self) -> Result<Option<Child<'a>>, DecodeError> {
        let mut child = Child::default();
        Ok(self.read_child(&mut child)?.then_some(child))
    }

    /// Skips `child` and everything inside it.
    pub fn skip(&mut self, child: &Child<'_>) -> Result<(), DecodeError> {
        if child.is_empty() {
            return Ok(());
        }
        let depth = self.open.len();
        loop {
            match self.token()? {
                Token::End if self.open.len() < depth => return Ok(()),
                Token::Eof => return Err(DecodeError::new(DecodeErrorKind::Truncated)),
                Token::DocType => return Err(DecodeError::new(DecodeErrorKind::DocType)),
                _ => {}
            }
        }
    }

    /// The text content of `child` (unescaped), consuming it.
    #[inline]
    pub fn text(&mut self, child: &Child<'_>) -> Result<Cow<'a, str>, DecodeError> {
        if child.is_empty() {
            return Ok(Cow::Borrowed(""));
        }
        // The usual shape, `<X>text</X>` with no reference in the text: one
        // search for `<` or `&`, then the end tag compared in place.
        let input = self.input;
        let rest = input.get(self.pos..).unwrap_or_default();
        if let (Some(i), Some(&(start, len))) = (find_lt_amp(rest), self.open.last()) {
            let name = &input[start..start + len];
            if rest[i] == b'&' {
                return self.text_with_references(rest, i, name);
            }
            if is_end_tag(rest, i, name) {
                self.open.pop();
                self.pos += i + len + 3;
                return self.utf8(&rest[..i]);
            }
        }
        self.text_general()
    }

    /// [`text`](Self::text) of a value with a reference at `amp`: when the
    /// element's end tag follows the text directly, the text is unescaped in
    /// one pass; anything else (CDATA, comments, errors) goes the general way.
    #[inline(never)]
    fn text_with_references(
        &mut self,
        rest: &'a [u8],
        amp: usize,
        name: &[u8],
    ) -> Result<Cow<'a, str>, DecodeError> {
        if let Some(lt) = memchr::memchr(b'<', &rest[amp..]).map(|j| j + amp) {
            if is_end_tag(rest, lt, name) {
                let text = self.utf8(&rest[..lt])?;
                let text = unescape_text(text)?;
                self.open.pop();
                self.pos += lt + name.len() + 3;
                return Ok(text);
            }
        }
        self.text_general()
    }

    /// [`text`](Self::text) token by token: references, CDATA, comments,
    /// white space in the end tag, and every error.
    #[inline(never)]
    fn text_general(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        match self.token()? {
            Token::End => Ok(Cow::Borrowed("")),
            Token::Text(t) => {
                let piece = self.text_piece(t)?;
                match self.token()? {
                    Token::End => Ok(piece),
                    next => self.text_rest(Some(piece), next),
                }
            }
            first => self.text_rest(None, first),
        }
    }

    /// The rest of [`text`](Self::text) when the element holds more than
    /// one piece (CDATA, comments, several pieces): `token` was just read,
    /// `acc` holds the text before it.
    #[inline(never)]
    fn text_rest(
        &mut self,
        mut acc: Option<Cow<'a, str>>,
        mut token: Token<'a>,
    ) -> Result<Cow<'a, str>, DecodeError> {
        loop {
            let piece: Cow<'a, str> = match token {
                Token::End => return Ok(acc.unwrap_or(Cow::Borrowed(""))),
                Token::Text(t) => self.text_piece(t)?,
                Token::CData(c) => self.utf8(c)?,
                Token::Comment | Token::Pi | Token::Decl => {
                    token = self.token()?;
                    continue;
                }
                Token::Start { .. } => {
                    return Err(DecodeError::new(DecodeErrorKind::UnexpectedElement))
                }
                Token::Eof => return Err(DecodeError::new(DecodeErrorKind::Truncated)),
                Token::DocType => return Err(DecodeError::new(DecodeErrorKind::DocType)),
            };
            acc = Some(match acc {
                None => piece,
                Some(prev) => Cow::Owned(prev.into_owned() + &piece),
            });
            token = self.token()?;
        }
    }

    /// Raw text as unescaped text: a slice of the input when it holds no
    /// reference (no `&`), which is the usual case.
    #[inline]
    fn text_piece(&self, bytes: &'a [u8]) -> Result<Cow<'a, str>, DecodeError> {
        let s = self.utf8(bytes)?;
        if !bytes.contains(&b'&') {
            Ok(s)
        } else {
            unescape_text(s)
        }
    }

    /// `bytes` (a slice of the input) as text: a slice of the already
    /// validated input, or validated here.
    #[inline]
    fn utf8(&self, bytes: &'a [u8]) -> Result<Cow<'a, str>, DecodeError> {
        if let Some(text) = self.input_str.and_then(|doc| within_str(doc, bytes)) {
            return Ok(Cow::Borrowed(text));
        }
        std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))
    }

    // ----- helpers the generated code calls, one per field shape -----

    /// An optional text value: `None` for `i:nil`, an empty element or white
    /// space only.
    pub fn text_opt<T: XmlText>(&mut self, child: &Child<'_>) -> Result<Option<T>, DecodeError> {
        let mut value = None;
        self.text_opt_into(child, &mut value)?;
        Ok(value)
    }

    /// A required text value. An empty element is the empty string for
    /// `String` and an error for other types; `i:nil` is `None` (which the
    /// generated code reports as a missing element).
    pub fn text_req<T: XmlText>(&mut self, child: &Child<'_>) -> Result<Option<T>, DecodeError> {
        let mut value = None;
        self.text_req_into(child, &mut value)?;
        Ok(value)
    }

    /// [`text_opt`](Self::text_opt) stored in `field` (the generated code's
    /// field being read): the value is built in its place.
    #[inline]
    pub fn text_opt_into<T: XmlText>(
        &mut self,
        child: &Child<'_>,
        field: &mut Option<T>,
    ) -> Result<(), DecodeError> {
        self.text_into(child, field, true)
    }

    /// [`text_req`](Self::text_req) stored in `field` (the generated code's
    /// field being read): the value is built in its place.
    #[inline]
    pub fn text_req_into<T: XmlText>(
        &mut self,
        child: &Child<'_>,
        field: &mut Option<T>,
    ) -> Result<(), DecodeError> {
        self.text_into(child, field, false)
    }

    /// The text of `child` parsed into `field`; `None` for `i:nil`, and for
    /// empty or white-space-only text when `blank_is_none`.
    ///
    /// Only the parse is built for each field: the text is read by
    /// [`field_text`](Self::field_text), one copy for every type and field
    /// (the generated readers' size, and so the crate's build time, grows
    /// with what is inlined into each of their fields).
    #[inline(always)]
    fn text_into<T: XmlText>(
        &mut self,
        child: &Child<'_>,
        field: &mut Option<T>,
        blank_is_none: bool,
    ) -> Result<(), DecodeError> {
        match self.field_text(child, blank_is_none)? {
            None => {
                *field = None;
                Ok(())
            }
            Some(text) => T::parse_into(field, text)
                .map_err(|expected| DecodeError::invalid(expected).within_child(child)),
        }
    }

    /// The text of a field's element, consumed: `None` for `i:nil`, and for
    /// empty or white-space-only text when `blank_is_none`.
    #[inline(never)]
    fn field_text(
        &mut self,
        child: &Child<'_>,
        blank_is_none: bool,
    ) -> Result<Option<Cow<'a, str>>, DecodeError> {
        if child.is_nil() {
            self.skip(child)?;
            return Ok(None);
        }
        let text = self.text(child).map_err(|e| e.within_child(child))?;
        if blank_is_none && is_blank(&text) {
            return Ok(None);
        }
        Ok(Some(text))
    }

    /// A structured value; `None` only for `i:nil`.
    pub fn elem<T: FromXml>(&mut self, child: &Child<'_>) -> Result<Option<T>, DecodeError> {
        if child.is_nil() {
            self.skip(child)?;
            return Ok(None);
        }
        T::from_xml(self, child)
            .map(Some)
            .map_err(|e| e.within_child(child))
    }

    /// Optional base64 text decoded to UTF-8 (the service's `Label`s).
    pub fn label_opt(&mut self, child: &Child<'_>) -> Result<Option<CompactString>, DecodeError> {
        Ok(self.text_opt::<LabelText>(child)?.map(|l| l.0))
    }

    /// Required base64 label: an empty element is the empty label.
    pub fn label_req(&mut self, child: &Child<'_>) -> Result<Option<CompactString>, DecodeError> {
        if child.is_nil() {
            self.skip(child)?;
            return Ok(None);
        }
        Ok(Some(self.label_opt(child)?.unwrap_or_default()))
    }

    /// Calls `read` for each `item` child of `wrapper` (other children are
    /// skipped); errors get the wrapper added to their path.
    #[inline]
    fn each_item(
        &mut self,
        wrapper: &Child<'_>,
        item: &[u8],
        mut read: impl FnMut(&mut Self, &Child<'_>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        if wrapper.is_empty() {
            return Ok(());
        }
        let mut child = Child::default();
        while self.next_item(item, &mut child)? {
            read(self, &child).map_err(|e| e.within_child(wrapper))?;
        }
        Ok(())
    }

    /// The next `item` child of the element being read into `child`, other
    /// children skipped; `false` at the element's end tag. One copy for
    /// every list: each list's own code is only what it does with an item.
    #[inline(never)]
    fn next_item(&mut self, item: &[u8], child: &mut Child<'a>) -> Result<bool, DecodeError> {
        while self.read_child(child)? {
            if eq_bytes(child.name(), item) {
                return Ok(true);
            }
            self.skip(child)?;
        }
        Ok(false)
    }

    /// A wrapped list of structured items (`<Wrapper><Item/>...</Wrapper>`),
    /// appended to `out`; other children of the wrapper are skipped.
    pub fn elem_list<T: FromXml>(
        &mut self,
        wrapper: &Child<'_>,
        item: &[u8],
        out: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        self.each_item(wrapper, item, |r, child| r.elem_push(child, out))
    }

    /// A wrapped list of text items.
    ///
    /// A list whose bytes (up to the wrapper's end tag) are those of a list
    /// read before in the document, under a wrapper of the same name, is
    /// that list's value, cloned (see `memo`).
    pub fn text_list<T: XmlText + Clone + 'static>(
        &mut self,
        wrapper: &Child<'_>,
        item: &[u8],
        out: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        if wrapper.is_empty() {
            return Ok(());
        }
        let name = match self.open.last() {
            Some(&name) if item.len() <= MAX_ITEM_NAME => name,
            _ => return self.text_list_items(wrapper, item, out),
        };
        let start = self.pos;
        let place = match self.lists.find::<T>(self.input, start, name, item) {
            Found::Same(items, len) => {
                if out.is_empty() {
                    out.reserve_exact(items.len());
                }
                out.extend_from_slice(items);
                self.open.pop();
                self.pos = start + len;
                return Ok(());
            }
            Found::Off => return self.text_list_items(wrapper, item, out),
            Found::Read(place) => place,
        };
        let before = out.len();
        self.text_list_items(wrapper, item, out)?;
        let items = out.get(before..).unwrap_or_default();
        self.lists
            .record(place, (start, self.pos), name, item, items);
        Ok(())
    }

    /// [`text_list`](Self::text_list) item by item.
    fn text_list_items<T: XmlText>(
        &mut self,
        wrapper: &Child<'_>,
        item: &[u8],
        out: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        // Items of the usual shape are read in place; the first of another
        // shape (or the wrapper's end tag) hands over to the general reader,
        // which also reports a value that is not a `T`, with its path.
        if let Some(doc) = self.input_str {
            self.text_items_in_place(doc, item, out);
            if self.end_here() {
                return Ok(());
            }
        }
        self.each_item(wrapper, item, |r, child| r.text_push(child, out))
    }

    /// Reads the end tag of the innermost open element when it is next
    /// (after white space only): what [`read_child`](Self::read_child)
    /// does there, without a token's general checks.
    #[inline]
    fn end_here(&mut self) -> bool {
        self.close_innermost_at(skip_space(self.input, self.pos))
    }

    /// Reads `</name>` at `at` when `name` is the innermost open element's
    /// (the end tag's usual form; any other is left to the caller, which
    /// reports or reads it the general way).
    #[inline(always)]
    fn close_innermost_at(&mut self, at: usize) -> bool {
        let input = self.input;
        let Some(&(start, len)) = self.open.last() else {
            return false;
        };
        if !is_end_tag(input, at, &input[start..start + len]) {
            return false;
        }
        self.open.pop();
        self.pos = at + len + 3;
        true
    }

    /// The items of a text list that have the usual shape, read in place
    /// from `self.pos` on, up to the first that has another (or the
    /// wrapper's end tag), which is left to the general reader.
    ///
    /// Up to `BATCH` items are found first, so that `out` grows once per
    /// batch (a list of up to `BATCH` items is allocated at its size), then
    /// their values are appended. Item names of up to 29 bytes (all of the
    /// spec's) are compared as whole tags; longer ones go the general way.
    #[inline(always)]
    fn text_items_in_place<T: XmlText>(&mut self, doc: &str, item: &[u8], out: &mut Vec<T>) {
        const BATCH: usize = 16;
        // `</item>`; the start tag is `<` and `item>`, its tail.
        let mut tag = [0u8; 32];
        let close_len = item.len() + 3;
        let Some(name) = tag.get_mut(2..close_len - 1) else {
            return;
        };
        name.copy_from_slice(item);
        tag[0] = b'<';
        tag[1] = b'/';
        tag[close_len - 1] = b'>';
        let close = &tag[..close_len];
        let open_tail = &close[2..];
        let input = self.input;
        let mut spans = [(0usize, 0usize); BATCH];
        loop {
            let mut found = 0;
            let mut at = self.pos;
            while found < BATCH {
                let Some(span) = simple_item(input, at, open_tail, close) else {
                    break;
                };
                spans[found] = span;
                found += 1;
                at = span.1 + close_len;
            }
            if found == 0 {
                return;
            }
            if out.is_empty() && found < BATCH {
                out.reserve_exact(found);
            } else {
                out.reserve(found);
            }
            for &(start, end) in &spans[..found] {
                let Some(tail) = doc.get(start..) else {
                    return;
                };
                let Some(text) = tail.get(..end - start) else {
                    return;
                };
                if T::push_parsed(out, text, tail).is_err() {
                    return;
                }
                self.pos = end + close_len;
            }
            if found < BATCH {
                return;
            }
        }
    }
}

/// The first position at or after `at` that is not XML white space.
#[inline(always)]
fn skip_space(input: &[u8], mut at: usize) -> usize {
    while let Some(b' ' | b'\t' | b'\r' | b'\n') = input.get(at) {
        at += 1;
    }
    at
}

/// `<item>text</item>` at `at` in `input`, after white space only, with no
/// attribute and no reference or CDATA in the text (`open_tail` is `item>`,
/// `close` is `</item>`): the text's span. `None` for anything else (or
/// the wrapper's end tag).
#[inline(always)]
fn simple_item(input: &[u8], at: usize, open_tail: &[u8], close: &[u8]) -> Option<(usize, usize)> {
    let at = skip_space(input, at);
    let start = at + 1 + open_tail.len();
    let open = input.get(at..start)?;
    if open[0] != b'<' || !eq_bytes(&open[1..], open_tail) {
        return None;
    }
    let body = &input[start..];
    let len = find_lt_amp(body)?;
    if !eq_bytes(body.get(len..len + close.len())?, close) {
        return None;
    }
    Some((start, start + len))
}

impl<'a> XmlReader<'a> {
    /// A repeated structured element (no wrapper): appends it to `out`.
    pub fn elem_push<T: FromXml>(
        &mut self,
        child: &Child<'_>,
        out: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        if let Some(v) = self.elem(child).map_err(|e| e.at_index(out.len()))? {
            out.push(v);
        }
        Ok(())
    }

    /// A repeated text element (no wrapper).
    #[inline]
    pub fn text_push<T: XmlText>(
        &mut self,
        child: &Child<'_>,
        out: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        if child.is_nil() {
            return self.skip(child);
        }
        let at = out.len();
        let text = self
            .text(child)
            .map_err(|e| e.within_child(child).at_index(at))?;
        T::push_parsed(out, &text, &text).map_err(|expected| {
            DecodeError::invalid(expected)
                .within_child(child)
                .at_index(at)
        })
    }

    /// A repeated label element (no wrapper).
    pub fn label_push(
        &mut self,
        child: &Child<'_>,
        out: &mut Vec<CompactString>,
    ) -> Result<(), DecodeError> {
        if let Some(v) = self.label_req(child).map_err(|e| e.at_index(out.len()))? {
            out.push(v);
        }
        Ok(())
    }

    /// A wrapped list of labels.
    pub fn label_list(
        &mut self,
        wrapper: &Child<'_>,
        item: &[u8],
        out: &mut Vec<CompactString>,
    ) -> Result<(), DecodeError> {
        self.each_item(wrapper, item, |r, child| r.label_push(child, out))
    }
}

/// Text with at least one `&`, unescaped (out of line: most values have none).
#[inline(never)]
fn unescape_text(s: Cow<'_, str>) -> Result<Cow<'_, str>, DecodeError> {
    // The five predefined entities and character references, written
    // straight into the result (quick-xml's `unescape` cost a `memchr2` and
    // a match per reference, and a copy for owned text).
    let src: &str = &s;
    let bytes = src.as_bytes();
    let mut out = String::with_capacity(src.len());
    let mut done = 0;
    while let Some(at) = find_byte(bytes, done, b'&') {
        out.push_str(&src[done..at]);
        let Some(len) = find_byte(bytes, at + 1, b';').map(|i| i - at - 1) else {
            return Err(entity_error(format!(
                "`&` without `;` at {:?}",
                at..src.len()
            )));
        };
        let name = &bytes[at + 1..at + 1 + len];
        match name {
            b"lt" => out.push('<'),
            b"gt" => out.push('>'),
            b"amp" => out.push('&'),
            b"quot" => out.push('"'),
            b"apos" => out.push('\''),
            [b'#', b'x', hex @ ..] => out.push(char_ref(hex, 16)?),
            [b'#', dec @ ..] => out.push(char_ref(dec, 10)?),
            _ => {
                let range = at..at + len + 2;
                return Err(entity_error(format!("unrecognized entity at {range:?}")));
            }
        }
        done = at + len + 2;
    }
    out.push_str(&src[done..]);
    Ok(Cow::Owned(out))
}

/// The character of a character reference's digits: a Unicode scalar
/// value other than NUL (which XML does not allow).
fn char_ref(digits: &[u8], radix: u32) -> Result<char, DecodeError> {
    let ok = !digits.is_empty() && digits.iter().all(|b| char::from(*b).is_digit(radix));
    std::str::from_utf8(digits)
        .ok()
        .filter(|_| ok)
        .and_then(|d| u32::from_str_radix(d, radix).ok())
        .filter(|&c| c != 0)
        .and_then(char::from_u32)
        .ok_or_else(|| entity_error("invalid character reference".to_owned()))
}

#[cold]
fn entity_error(message: String) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Syntax(message))
}

/// Empty or white space only; a value that starts with a printable ASCII
/// character (almost all) is decided by its first byte.
#[inline(always)]
fn is_blank(text: &str) -> bool {
    match text.as_bytes().first() {
        None => true,
        Some(&b) if b.is_ascii() && !b.is_ascii_whitespace() => false,
        Some(_) => text.trim().is_empty(),
    }
}

/// The first byte at or after `from` that may end a tag's name: `>`, `:`
/// or a control or space character (below `!`), eight bytes at a time in a
/// word while eight remain.
#[inline(always)]
fn name_stop(bytes: &[u8], mut from: usize) -> Option<usize> {
    while let Some(v) = word_at(bytes, from) {
        let z = below_mask(v, 0x21) | eq_mask(v, b'>') | eq_mask(v, b':');
        if z != 0 {
            return Some(first_flagged(from, z));
        }
        from += 8;
    }
    let tail = bytes.get(from..).unwrap_or_default();
    tail.iter()
        .position(|&b| b == b'>' || b == b':' || b < 0x21)
        .map(|i| i + from)
}

// ----- word-at-a-time search (eight bytes in a `u64`) -----
//
// A mask flags, in the high bit of each byte, the bytes that match. Only
// the lowest flag is exact (a borrow can flag a byte above a match), which
// is the one `first_flagged` reads; bytes of 0x80 and above never match.

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// The eight bytes at `at` as a little-endian word, if eight remain.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// The bytes of `v` equal to `byte`.
#[inline(always)]
fn eq_mask(v: u64, byte: u8) -> u64 {
    let x = v ^ (LO * u64::from(byte));
    x.wrapping_sub(LO) & !x & HI
}

/// The bytes of `v` below `limit` (at most 0x80).
#[inline(always)]
fn below_mask(v: u64, limit: u8) -> u64 {
    v.wrapping_sub(LO * u64::from(limit)) & !v & HI
}

/// The index of the lowest flagged byte of a non-zero mask of the word at `at`.
#[inline(always)]
fn first_flagged(at: usize, mask: u64) -> usize {
    at + (mask.trailing_zeros() / 8) as usize
}

/// The first byte at or after `from` that `is` accepts, for short spans:
/// the first 32 bytes in words (`mask` flags the same bytes as `is`), the
/// rest with `long` (a `memchr`, whose set-up costs more than a short
/// span); the last bytes, fewer than eight, one at a time.
#[inline(always)]
fn find_short(
    bytes: &[u8],
    from: usize,
    mask: impl Fn(u64) -> u64,
    is: impl Fn(u8) -> bool,
    long: impl Fn(&[u8]) -> Option<usize>,
) -> Option<usize> {
    let mut i = from;
    while let Some(v) = word_at(bytes, i) {
        let z = mask(v);
        if z != 0 {
            return Some(first_flagged(i, z));
        }
        i += 8;
        if i - from == 32 {
            return long(&bytes[i..]).map(|j| j + i);
        }
    }
    let tail = bytes.get(i..).unwrap_or_default();
    tail.iter().position(|&c| is(c)).map(|j| j + i)
}

/// Where `?>` starts in `bytes`: each `>` is found with `memchr` and the
/// byte before it checked (a `memmem` search builds a searcher first, which
/// cost more than the rest of reading a small document's root).
fn find_pi_end(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let gt = from + memchr::memchr(b'>', bytes.get(from..)?)?;
        if gt > 0 && bytes[gt - 1] == b'?' {
            return Some(gt - 1);
        }
        from = gt + 1;
    }
}

/// The attributes of a start tag's content after its name, as raw (not
/// unescaped) name and value pairs, up to the first that is not well
/// formed. For the declarations the reader looks at itself (the default
/// namespace); [`Child::attr`] goes through quick-xml, which unescapes.
fn raw_attributes(mut rest: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    std::iter::from_fn(move || {
        let after = rest.trim_ascii_start();
        let eq = memchr::memchr(b'=', after)?;
        let name = trim_end_ascii_ws(&after[..eq]);
        let value = after[eq + 1..].trim_ascii_start();
        let quote = *value.first().filter(|q| matches!(q, b'"' | b'\''))?;
        let len = memchr::memchr(quote, &value[1..])?;
        if name.is_empty() || name.iter().any(|b| b.is_ascii_whitespace()) {
            return None;
        }
        rest = &value[len + 2..];
        Some((name, &value[1..len + 1]))
    })
}

/// Whether `bytes` holds, at `at`, the end tag `</name>`.
#[inline(always)]
fn is_end_tag(bytes: &[u8], at: usize, name: &[u8]) -> bool {
    match bytes.get(at..at + name.len() + 3) {
        Some([b'<', b'/', end @ .., b'>']) => eq_bytes(end, name),
        _ => false,
    }
}

/// `a == b` for the short byte strings of element names and enum values:
/// two (overlapping) word compares for up to 32 bytes, no call to `memcmp`.
#[inline(always)]
pub fn eq_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n > 32 {
        return a == b;
    }
    if n >= 16 {
        let w =
            |s: &[u8], i: usize| u128::from_le_bytes(s[i..i + 16].try_into().unwrap_or([0; 16]));
        return w(a, 0) == w(b, 0) && w(a, n - 16) == w(b, n - 16);
    }
    if n >= 8 {
        let w = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().unwrap_or([0; 8]));
        return w(a, 0) == w(b, 0) && w(a, n - 8) == w(b, n - 8);
    }
    if n >= 4 {
        let w = |s: &[u8], i: usize| u32::from_le_bytes(s[i..i + 4].try_into().unwrap_or([0; 4]));
        return w(a, 0) == w(b, 0) && w(a, n - 4) == w(b, n - 4);
    }
    n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1])
}

/// The first `byte` at or after `from` (the gaps between references are
/// short).
#[inline(always)]
fn find_byte(bytes: &[u8], from: usize, byte: u8) -> Option<usize> {
    find_short(
        bytes,
        from,
        |v| eq_mask(v, byte),
        |c| c == byte,
        |s| memchr::memchr(byte, s),
    )
}

/// The first `<` or `&` (values are short).
#[inline(always)]
fn find_lt_amp(rest: &[u8]) -> Option<usize> {
    find_short(
        rest,
        0,
        |v| eq_mask(v, b'<') | eq_mask(v, b'&'),
        |c| c == b'<' || c == b'&',
        |s| memchr::memchr2(b'<', b'&', s),
    )
}

/// The length of a tag's content up to its closing `>` (`>` inside quoted
/// attribute values does not count), from just after `<`.
#[inline]
fn tag_end(from: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let i = at + memchr::memchr3(b'>', b'"', b'\'', from.get(at..)?)?;
        match from[i] {
            b'>' => return Some(i),
            quote => at = i + 1 + memchr::memchr(quote, &from[i + 1..])? + 1,
        }
    }
}

/// The attributes of a nil element in the form the service writes:
/// `<Name i:nil="true"/>`.
const NIL_ATTR: &[u8] = b" i:nil=\"true\"";

/// Whether `nil` occurs in `bytes`.
fn mentions_nil(mut bytes: &[u8]) -> bool {
    while let Some(i) = memchr::memchr(b'n', bytes) {
        bytes = &bytes[i + 1..];
        if bytes.starts_with(b"il") {
            return true;
        }
    }
    false
}

fn trim_end_ascii_ws(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    &b[..end]
}

#[cold]
#[inline(never)]
fn syntax(message: &str) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Syntax(message.to_owned()))
}

/// An end tag that does not close the innermost open element. The message
/// names the expected element (markup, never element text).
#[cold]
#[inline(never)]
fn mismatched_end(expected: &[u8]) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Syntax(format!(
        "expected the end tag of <{}>",
        String::from_utf8_lossy(expected)
    )))
}

/// The tokenizer pops the open element on an end tag and refuses one
/// without: before the root, there is none to close.
#[cold]
#[inline(never)]
fn unreachable_end() -> ! {
    unreachable!("an end tag with no open element is refused by the tokenizer")
}

/// A bad entity or character reference in text. quick-xml's own message
/// repeats the entity's name, which is element text and may be part of a
/// secret (a storage key): only its position is kept.
#[cold]
#[inline(never)]
fn escape_error(e: quick_xml::escape::EscapeError) -> DecodeError {
    use quick_xml::escape::EscapeError;
    let message = match e {
        EscapeError::UnrecognizedEntity(at, _) => format!("unrecognized entity at {at:?}"),
        EscapeError::UnterminatedEntity(at) => format!("`&` without `;` at {at:?}"),
        EscapeError::InvalidCharRef(_) => "invalid character reference".to_owned(),
    };
    entity_error(message)
}

/// `part` as a slice of the text `input`, when it lies in it on character
/// boundaries.
#[inline]
fn within_str<'a>(input: &'a str, part: &[u8]) -> Option<&'a str> {
    let offset = (part.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
    input.get(offset..offset.checked_add(part.len())?)
}

fn local_part(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(i) => qname.get(i + 1..).unwrap_or(qname),
        None => qname,
    }
}

/// Builds a request or response body in wire order.
#[derive(Debug, Default)]
pub struct XmlWriter {
    buf: String,
}

impl XmlWriter {
    /// An empty writer with room for `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            buf: String::with_capacity(capacity),
        }
    }

    /// The XML declaration and the root start tag with the service's namespaces.
    pub fn root_start(&mut self, name: &str) {
        self.root_open(name, NAMESPACE);
        self.buf.push('>');
    }

    /// The XML declaration and the root start tag in namespace `ns`, left
    /// open for attributes (close it with `>`: [`close_start`](Self::close_start)).
    pub fn root_open(&mut self, name: &str, ns: &str) {
        self.buf
            .push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?><");
        self.buf.push_str(name);
        self.buf.push_str(" xmlns=\"");
        self.escaped(ns);
        self.buf.push_str("\" xmlns:i=\"");
        self.buf.push_str(XSI_NAMESPACE);
        self.buf.push('"');
    }

    /// Ends a start tag left open by [`root_open`](Self::root_open) or
    /// [`open`](Self::open).
    pub fn close_start(&mut self) {
        self.buf.push('>');
    }

    /// `<name` (left open for attributes).
    pub fn open(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
    }

    /// ` name="value"` inside an open start tag.
    pub fn attr<T: XmlText>(&mut self, name: &str, value: &T) {
        self.buf.push(' ');
        self.buf.push_str(name);
        self.buf.push_str("=\"");
        let text = value.to_text();
        self.escaped(&text);
        self.buf.push('"');
    }

    /// [`attr`](Self::attr) when `Some`.
    pub fn attr_opt<T: XmlText>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.attr(name, v);
        }
    }

    /// Raw text (already escaped or known safe), as is.
    pub fn raw(&mut self, text: &str) {
        self.buf.push_str(text);
    }

    /// Escaped text content.
    pub fn text_content(&mut self, text: &str) {
        self.escaped(text);
    }

    /// `<name>`.
    pub fn start(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `</name>`.
    pub fn end(&mut self, name: &str) {
        self.buf.push_str("</");
        self.buf.push_str(name);
        self.buf.push('>');
    }

    /// `<name i:nil="true"/>`.
    pub fn nil(&mut self, name: &str) {
        self.buf.push('<');
        self.buf.push_str(name);
        self.buf.push_str(" i:nil=\"true\"/>");
    }

    fn escaped(&mut self, text: &str) {
        let mut last = 0;
        for (i, b) in text.bytes().enumerate() {
            let rep = match b {
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'&' => "&amp;",
                b'"' => "&quot;",
                b'\r' => "&#xD;",
                _ => continue,
            };
            self.buf.push_str(text.get(last..i).unwrap_or_default());
            self.buf.push_str(rep);
            last = i + 1;
        }
        self.buf.push_str(text.get(last..).unwrap_or_default());
    }

    /// `<name>text</name>`.
    pub fn text<T: XmlText>(&mut self, name: &str, value: &T) {
        self.start(name);
        let text = value.to_text();
        self.escaped(&text);
        self.end(name);
    }

    /// `<prefix:name xmlns:prefix="uri">text</prefix:name>` (or a default
    /// namespace declaration when `prefix` is empty): an element in a
    /// namespace other than the service's.
    pub fn text_ns<T: XmlText>(&mut self, prefix: &str, uri: &str, name: &str, value: &T) {
        let text = value.to_text();
        self.ns_element(prefix, uri, name, |w| w.escaped(&text));
    }

    /// A label in another namespace.
    pub fn label_ns(&mut self, prefix: &str, uri: &str, name: &str, value: &str) {
        let encoded = base64::engine::general_purpose::STANDARD.encode(value.as_bytes());
        self.ns_element(prefix, uri, name, |w| w.buf.push_str(&encoded));
    }

    fn ns_element(&mut self, prefix: &str, uri: &str, name: &str, body: impl FnOnce(&mut Self)) {
        let qname = if prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{prefix}:{name}")
        };
        self.buf.push('<');
        self.buf.push_str(&qname);
        self.buf.push_str(if prefix.is_empty() {
            " xmlns"
        } else {
            " xmlns:"
        });
        self.buf.push_str(prefix);
        self.buf.push_str("=\"");
        self.escaped(uri);
        self.buf.push_str("\">");
        body(self);
        self.end(&qname);
    }

    /// [`text`](Self::text) when `Some`; nothing when `None`.
    pub fn text_opt<T: XmlText>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.text(name, v);
        }
    }

    /// A label: UTF-8 text written as base64.
    pub fn label(&mut self, name: &str, value: &str) {
        self.start(name);
        self.buf
            .push_str(&base64::engine::general_purpose::STANDARD.encode(value.as_bytes()));
        self.end(name);
    }

    /// [`label`](Self::label) when `Some`.
    pub fn label_opt<S: AsRef<str>>(&mut self, name: &str, value: &Option<S>) {
        if let Some(v) = value {
            self.label(name, v.as_ref());
        }
    }

    /// A structured element.
    pub fn elem<T: ToXml>(&mut self, name: &str, value: &T) {
        self.open(name);
        value.write_attributes(self);
        self.buf.push('>');
        value.write_children(self);
        self.end(name);
    }

    /// A structured element in namespace `ns` (declared as its default
    /// namespace), inside a parent of another namespace.
    pub fn elem_ns<T: ToXml>(&mut self, name: &str, ns: &str, value: &T) {
        self.elem_ns_inner(name, ns, value, false);
    }

    /// [`elem_ns`](Self::elem_ns), also declaring the `i:` (XMLSchema-instance)
    /// prefix, as the root of an embedded document does.
    pub fn elem_ns_with_xsi<T: ToXml>(&mut self, name: &str, ns: &str, value: &T) {
        self.elem_ns_inner(name, ns, value, true);
    }

    fn elem_ns_inner<T: ToXml>(&mut self, name: &str, ns: &str, value: &T, xsi: bool) {
        self.open(name);
        self.buf.push_str(" xmlns=\"");
        self.escaped(ns);
        self.buf.push('"');
        if xsi {
            self.buf.push_str(" xmlns:i=\"");
            self.buf.push_str(XSI_NAMESPACE);
            self.buf.push('"');
        }
        value.write_attributes(self);
        self.buf.push('>');
        value.write_children(self);
        self.end(name);
    }

    /// [`elem`](Self::elem) when `Some`.
    pub fn elem_opt<T: ToXml>(&mut self, name: &str, value: &Option<T>) {
        if let Some(v) = value {
            self.elem(name, v);
        }
    }

    /// A wrapped list of structured items; with `always` false an empty list
    /// writes nothing.
    pub fn elem_list<T: ToXml>(&mut self, wrapper: &str, item: &str, items: &[T], always: bool) {
        if items.is_empty() && !always {
            return;
        }
        self.start(wrapper);
        for v in items {
            self.elem(item, v);
        }
        self.end(wrapper);
    }

    /// A wrapped list of text items.
    pub fn text_list<T: XmlText>(&mut self, wrapper: &str, item: &str, items: &[T], always: bool) {
        if items.is_empty() && !always {
            return;
        }
        self.start(wrapper);
        for v in items {
            self.text(item, v);
        }
        self.end(wrapper);
    }

    /// A wrapped list of labels.
    pub fn label_list<S: AsRef<str>>(
        &mut self,
        wrapper: &str,
        item: &str,
        items: &[S],
        always: bool,
    ) {
        if items.is_empty() && !always {
            return;
        }
        self.start(wrapper);
        for v in items {
            self.label(item, v.as_ref());
        }
        self.end(wrapper);
    }

    /// The document so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// The finished document.
    pub fn into_string(self) -> String {
        self.buf
    }
}

// ----- scalar codecs -----

impl XmlText for String {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        Ok(text.to_owned())
    }
    #[inline]
    fn from_text(text: Cow<'_, str>) -> Result<Self, &'static str> {
        Ok(text.into_owned())
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

impl XmlText for CompactString {
    #[inline]
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        Ok(CompactString::from(text))
    }
    #[inline]
    fn from_text(text: Cow<'_, str>) -> Result<Self, &'static str> {
        Ok(match text {
            Cow::Borrowed(s) => CompactString::from(s),
            Cow::Owned(s) => CompactString::from(s),
        })
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self.as_str())
    }
    /// A short value is written into its place rather than built and then
    /// moved there (see [`push_parsed`](Self::push_parsed)).
    #[inline]
    fn parse_into(field: &mut Option<Self>, text: Cow<'_, str>) -> Result<(), &'static str> {
        if text.len() <= std::mem::size_of::<CompactString>() {
            field.insert(CompactString::default()).push_str(&text);
        } else {
            *field = Some(Self::from_text(text)?);
        }
        Ok(())
    }
    /// A short value is built in its place in `out` rather than built and
    /// then moved there: moving it reads back, as whole words, bytes that
    /// were just stored a few at a time (a copy of variable length), which
    /// stalls the CPU (the stores cannot be forwarded to the loads) and made
    /// up a third of reading a list of short values (`perf` on the real
    /// ListLocations answer). When the document goes on for 24 bytes, those
    /// are copied (a fixed length: whole words) and cut to the value's
    /// length in place.
    #[inline]
    fn push_parsed(out: &mut Vec<Self>, text: &str, tail: &str) -> Result<(), &'static str> {
        const INLINE: usize = std::mem::size_of::<CompactString>();
        if text.len() > INLINE {
            out.push(CompactString::from(text));
        } else if let Some(window) = tail
            .get(..INLINE)
            .filter(|_| std::ptr::eq(tail.as_ptr(), text.as_ptr()))
        {
            out.push(CompactString::new(window));
            if let Some(last) = out.last_mut() {
                last.truncate(text.len());
            }
        } else {
            out.push(CompactString::default());
            if let Some(last) = out.last_mut() {
                last.push_str(text);
            }
        }
        Ok(())
    }
}

/// A `Label`: base64 of UTF-8 text. Short labels (almost all) are decoded
/// on the stack and kept inline, with no allocation.
struct LabelText(CompactString);

impl XmlText for LabelText {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        const UTF8: &str = "base64 of UTF-8 text";
        let trimmed = text.trim().as_bytes();
        let mut buf = [0u8; 96];
        if !has_ascii_space(trimmed) && base64::decoded_len_estimate(trimmed.len()) <= buf.len() {
            let n = base64::engine::general_purpose::STANDARD
                .decode_slice(trimmed, &mut buf)
                .map_err(|_| "base64")?;
            let s = std::str::from_utf8(&buf[..n]).map_err(|_| UTF8)?;
            return Ok(LabelText(CompactString::from(s)));
        }
        let bytes = Base64::parse_text(text)?.0;
        String::from_utf8(bytes)
            .map(|s| LabelText(CompactString::from(s)))
            .map_err(|_| UTF8)
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(base64::engine::general_purpose::STANDARD.encode(self.0.as_bytes()))
    }
}

impl XmlText for bool {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("true") || t == "1" {
            Ok(true)
        } else if t.eq_ignore_ascii_case("false") || t == "0" {
            Ok(false)
        } else {
            Err("a boolean")
        }
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(if *self { "true" } else { "false" })
    }
}

macro_rules! int_text {
    ($($t:ty => $what:literal),*) => {$(
        impl XmlText for $t {
            fn parse_text(text: &str) -> Result<Self, &'static str> {
                text.trim().parse().map_err(|_| $what)
            }
            fn to_text(&self) -> Cow<'_, str> {
                Cow::Owned(self.to_string())
            }
        }
    )*};
}
int_text!(i32 => "a 32-bit integer", i64 => "a 64-bit integer", u32 => "an unsigned 32-bit integer", u64 => "an unsigned 64-bit integer");

impl XmlText for f64 {
    /// Finite numbers only: NaN would break value equality (and no API field
    /// carries one).
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        text.trim()
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or("a finite number")
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

/// Bytes carried as base64 text (certificate data, configuration files).
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Base64(pub Vec<u8>);

impl std::fmt::Debug for Base64 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Base64({} bytes)", self.0.len())
    }
}

/// Whether `b` holds ASCII white space (what base64 text may be broken
/// with). Vectorised scans, one pass for three bytes, one for the other
/// two: a byte-at-a-time check cost as much as decoding itself.
fn has_ascii_space(b: &[u8]) -> bool {
    memchr::memchr3(b' ', b'\n', b'\r', b).is_some() || memchr::memchr2(b'\t', b'\x0c', b).is_some()
}

impl XmlText for Base64 {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        let trimmed = text.trim();
        // White space inside (line breaks) is rare: it is looked for only
        // when the text does not decode as it is.
        let decoded = decode_base64(trimmed.as_bytes()).or_else(|| {
            if !has_ascii_space(trimmed.as_bytes()) {
                return None;
            }
            let compact: String = trimmed
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            decode_base64(compact.as_bytes())
        });
        decoded.map(Base64).ok_or("base64")
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(base64_simd::STANDARD.encode_to_string(&self.0))
    }
}

/// Standard base64 with padding, decoded with SIMD where the CPU has it.
/// It accepts what the `base64` crate's `STANDARD` engine does (canonical
/// padding, no bits set past the last byte: the test below holds it to
/// that). Certificates and a deployment's configuration are kilobytes of
/// base64, where the scalar decoder took three quarters and a third of the
/// whole decode.
fn decode_base64(text: &[u8]) -> Option<Vec<u8>> {
    base64_simd::STANDARD.decode_to_vec(text).ok()
}

impl XmlText for Vec<u8> {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        Base64::parse_text(text).map(|b| b.0)
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(base64_simd::STANDARD.encode_to_string(self))
    }
}

/// Stands in for a secret in `Debug` output.
pub struct Redacted(bool);

impl Redacted {
    /// For any value: `Some`/present values print as `<redacted>`.
    pub fn of<T: MaybeEmpty + ?Sized>(value: &T) -> Self {
        Redacted(value.is_absent())
    }
}

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0 { "None" } else { "<redacted>" })
    }
}

/// Whether a (secret) value is absent, so `Debug` can say so without showing it.
pub trait MaybeEmpty {
    /// `true` for `None`.
    fn is_absent(&self) -> bool {
        false
    }
}

impl<T> MaybeEmpty for Option<T> {
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}
impl MaybeEmpty for String {}
impl MaybeEmpty for CompactString {}
impl MaybeEmpty for Vec<u8> {}
impl MaybeEmpty for str {}

/// Why a document did not survive decode → encode → decode.
#[derive(Debug, Clone, PartialEq)]
pub enum RoundTripError {
    /// The original did not decode.
    Decode(DecodeError),
    /// The re-encoded document did not decode.
    Reencode(DecodeError),
    /// The two decodes differ (both `Debug` renderings, for a diff).
    Mismatch {
        /// First decode.
        first: String,
        /// Decode of the re-encoded document.
        second: String,
    },
}

impl std::fmt::Display for RoundTripError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RoundTripError::Decode(e) => write!(f, "decode failed: {e}"),
            RoundTripError::Reencode(e) => {
                write!(f, "the re-encoded document does not decode: {e}")
            }
            RoundTripError::Mismatch { .. } => {
                f.write_str("decode(encode(decode(x))) != decode(x)")
            }
        }
    }
}

impl std::error::Error for RoundTripError {}

/// Decodes `input` as `T`, encodes it, decodes that, and compares.
pub fn roundtrip<T>(root: &'static str, input: &[u8]) -> Result<(), RoundTripError>
where
    T: FromXml + ToXml + PartialEq + std::fmt::Debug,
{
    roundtrip_ns::<T>(root, NAMESPACE, input)
}

/// [`roundtrip`] for a root in namespace `ns`.
pub fn roundtrip_ns<T>(root: &'static str, ns: &str, input: &[u8]) -> Result<(), RoundTripError>
where
    T: FromXml + ToXml + PartialEq + std::fmt::Debug,
{
    roundtrip_with(
        input,
        |b| from_document_ns::<T>(root, ns, b),
        |v| to_document_ns(root, ns, v),
    )
}

/// [`roundtrip`] for a document holding one text value.
pub fn roundtrip_scalar<T>(root: &'static str, ns: &str, input: &[u8]) -> Result<(), RoundTripError>
where
    T: XmlText + PartialEq + std::fmt::Debug,
{
    roundtrip_with(
        input,
        |b| scalar_from_document::<T>(root, ns, b),
        |v| scalar_to_document(root, ns, v),
    )
}

/// The round trip with any decoder and encoder (XML, Atom, JSON, text).
pub fn roundtrip_with<T: PartialEq + std::fmt::Debug>(
    input: &[u8],
    decode: impl Fn(&[u8]) -> Result<T, DecodeError>,
    encode: impl Fn(&T) -> String,
) -> Result<(), RoundTripError> {
    let first = decode(input).map_err(RoundTripError::Decode)?;
    let doc = encode(&first);
    let second = decode(doc.as_bytes()).map_err(RoundTripError::Reencode)?;
    if first == second {
        Ok(())
    } else {
        Err(RoundTripError::Mismatch {
            first: format!("{first:#?}"),
            second: format!("{second:#?}"),
        })
    }
}

/// Returns the value of a required field, or a "missing element" error.
pub fn required<T>(value: Option<T>, element: &'static str) -> Result<T, DecodeError> {
    value.ok_or_else(|| DecodeError::new(DecodeErrorKind::Missing(element)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_stop_agrees_with_a_plain_loop() {
        let plain = |b: &[u8], from: usize| {
            (from..b.len()).find(|&i| b[i] == b'>' || b[i] == b':' || b[i] < 0x21)
        };
        let stops = [b'>', b':', b' ', b'\t', b'\n', b'\r', 0x01, 0x20];
        let near = [b'?', b'=', b';', b'!', 0x80, 0xBE, 0xFF, b'A'];
        for n in 0..40usize {
            let a: Vec<u8> = (0..n).map(|i| b'A' + (i % 26) as u8).collect();
            for from in 0..=n {
                assert_eq!(name_stop(&a, from), plain(&a, from));
            }
            for at in 0..n {
                for &c in stops.iter().chain(&near) {
                    let mut b = a.clone();
                    b[at] = c;
                    for from in [0, at.saturating_sub(3), at, (at + 1).min(n)] {
                        assert_eq!(name_stop(&b, from), plain(&b, from), "n={n} at={at} c={c}");
                    }
                }
            }
        }
    }

    #[test]
    fn find_byte_agrees_with_position() {
        for n in 0..80usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            for from in 0..=n {
                assert_eq!(find_byte(&a, from, b'&'), None);
            }
            for at in 0..n {
                for c in [b'&', b';'] {
                    let mut b = a.clone();
                    b[at] = c;
                    b[n - 1] = c;
                    for from in [0, at.saturating_sub(9), at, at + 1] {
                        let want = (from..n).find(|&i| b[i] == c);
                        assert_eq!(find_byte(&b, from, c), want, "n={n} at={at} from={from}");
                    }
                    let mut d = a.clone();
                    d[at] = c + 1;
                    assert_eq!(find_byte(&d, 0, c), None);
                }
            }
        }
    }

    #[test]
    fn word_compare_and_search_agree_with_the_plain_ones() {
        // Every length around the word sizes, a difference at every
        // position, and `<`/`&` at every position (or none).
        for n in 0..48usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(eq_bytes(&a, &a.clone()));
            assert!(!eq_bytes(&a, &a[..n.saturating_sub(1)]) || n == 0);
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!eq_bytes(&a, &b), "n={n} at={at}");
            }
            assert_eq!(find_lt_amp(&a), None, "n={n}");
            for at in 0..n {
                for c in [b'<', b'&'] {
                    let mut b = a.clone();
                    b[at] = c;
                    if at + 1 < n {
                        b[n - 1] = b'<';
                    }
                    assert_eq!(find_lt_amp(&b), Some(at), "n={n} at={at}");
                }
                // Bytes next to the searched ones (borrows in the word
                // test) are not matches.
                let mut b = a.clone();
                b[at] = b'<' + 1;
                assert_eq!(find_lt_amp(&b), None);
                b[at] = 0x80 | b'<';
                assert_eq!(find_lt_amp(&b), None);
            }
        }
    }

    #[test]
    fn unescaping_agrees_with_quick_xml() {
        for text in [
            "a &lt; b &amp;&amp; c &gt; d",
            "&quot;q&quot; &apos;a&apos;",
            "&#65;&#x42;&#x00043;&#0000000068;&#x1F600;",
            "&lt;Foo xmlns=&quot;x&quot;&gt;caf\u{e9}&lt;/Foo&gt;",
            "trailing &amp;",
            "&amp;",
        ] {
            let want = quick_xml::escape::unescape(text).unwrap();
            assert_eq!(unescape_text(Cow::Borrowed(text)).unwrap(), want, "{text}");
            assert_eq!(unescape_text(Cow::Owned(text.to_owned())).unwrap(), want);
        }
        for bad in [
            "&nbsp;",
            "&",
            "a & b",
            "&#;",
            "&#x;",
            "&#0;",
            "&#xD800;",
            "&#xFFFFFFFF;",
            "&#+65;",
            "&#x-41;",
            "&#99999999999;",
            "&#X41;",
            "&;",
        ] {
            assert!(unescape_text(Cow::Borrowed(bad)).is_err(), "{bad}");
            assert!(
                quick_xml::escape::unescape(bad).is_err(),
                "quick-xml accepts {bad}"
            );
        }
    }

    /// The SIMD base64 decoder accepts and decodes exactly what the `base64`
    /// crate's `STANDARD` engine does, and the encoder writes what it writes: every length up to a few SIMD blocks,
    /// every symbol, padding in and out of place, bits past the end set,
    /// symbols from outside the alphabet.
    #[test]
    fn base64_agrees_with_the_base64_crate() {
        use base64::Engine as _;
        let engine = &base64::engine::general_purpose::STANDARD;
        let check = |text: &[u8]| {
            let want = engine.decode(text).ok();
            assert_eq!(
                decode_base64(text),
                want,
                "{:?}",
                String::from_utf8_lossy(text)
            );
        };
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in 0..200usize {
            let bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let text = engine.encode(&bytes);
            assert_eq!(Vec::<u8>::to_text(&bytes), text);
            check(text.as_bytes());
            let t = text.as_bytes();
            // One symbol changed, at every place, to a few others.
            for at in 0..t.len() {
                for c in [b'A', b'/', b'+', b'=', b'-', b'_', b' ', 0x80, b'\0'] {
                    let mut u = t.to_vec();
                    u[at] = c;
                    check(&u);
                }
                // Every value in the last symbol before the padding.
                if at + 3 >= t.len() {
                    for c in (b'A'..=b'Z').chain(b'a'..=b'z').chain(b'0'..=b'9') {
                        let mut u = t.to_vec();
                        u[at] = c;
                        check(&u);
                    }
                }
            }
            // Padding removed, added, or the text cut short.
            check(text.trim_end_matches('=').as_bytes());
            check(format!("{text}=").as_bytes());
            check(format!("{text}==").as_bytes());
            for cut in 0..t.len().min(6) {
                check(&t[..t.len() - cut]);
            }
        }
        // Line breaks and spaces inside are dropped; bad text stays bad.
        let bytes: Vec<u8> = (0..300).map(|_| next() as u8).collect();
        let text = engine.encode(&bytes);
        let lines: Vec<&str> = text
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        for sep in ["\n", "\r\n", " ", "\t"] {
            let spaced = format!("\n  {}\n", lines.join(sep));
            assert_eq!(Vec::<u8>::parse_text(&spaced), Ok(bytes.clone()), "{sep:?}");
            let bad = spaced.replacen(|c: char| c.is_ascii_alphanumeric(), "-", 1);
            assert_eq!(Vec::<u8>::parse_text(&bad), Err("base64"), "{sep:?}");
        }
        assert_eq!(Vec::<u8>::parse_text("Z g\n=="), Ok(b"f".to_vec()));
        assert_eq!(Vec::<u8>::parse_text("Z g\n="), Err("base64"));
        assert_eq!(Vec::<u8>::parse_text("Zh =="), Err("base64"));
        for text in [
            "=", "==", "===", "====", "A===", "AA==", "AB==", "AAA=", "AAB=", "Zg", "Zg=", "Zm8",
        ] {
            check(text.as_bytes());
        }
    }

    #[test]
    fn labels_short_long_spaced_and_invalid() {
        use base64::Engine as _;
        let b64 = |s: &[u8]| base64::engine::general_purpose::STANDARD.encode(s);
        let long = "long label ".repeat(20);
        for (text, want) in [
            (b64(b"short"), Ok("short")),
            (b64("é ü".as_bytes()), Ok("é ü")),
            (b64(long.as_bytes()), Ok(long.as_str())),
            (format!(" {} ", b64(b"spaced")), Ok("spaced")),
            (b64(&[0xff, 0xfe]), Err("base64 of UTF-8 text")),
            ("not base64!".to_owned(), Err("base64")),
        ] {
            let got = LabelText::parse_text(&text).map(|l| l.0);
            assert_eq!(got.as_deref(), want.as_deref(), "{text}");
        }
    }

    #[test]
    fn start_tags_with_and_without_attributes_read_the_same() {
        let doc = br#"<Root xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Name>n</Name><Label i:nil="true"/><Size >3</Size ><Tags><Tag>a</Tag><a:Tag xmlns:a="http://schemas.microsoft.com/windowsazure">b</a:Tag><Tag/></Tags></Root>"#;
        let t: Thing = from_document("Root", doc).unwrap();
        assert_eq!(t.name, "n");
        assert_eq!(t.label, None);
        assert_eq!(t.size, Some(3));
        assert_eq!(t.tags, ["a", "b", ""]);
        for bad in [
            &b"<Root xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name>n</Nam></Root>"[..],
            b"<Root xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name>n</Name",
            b"<Root xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name",
            b"<Root xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name a=\">\"",
        ] {
            assert!(from_document::<Thing>("Root", bad).is_err());
        }
    }

    #[test]
    fn base64_text_with_any_ascii_whitespace_decodes_the_same() {
        let want = b"configuration bytes \x00\xff".to_vec();
        for text in [
            "Y29uZmlndXJhdGlvbiBieXRlcyAA/w==",
            "  Y29uZmlndXJhdGlvbiBieXRlcyAA/w==\n",
            "Y29uZmlndXJh\r\ndGlvbiBieXRlcyAA/w==",
            "Y29uZmlndXJh\tdGlvbiBi eXRlcyAA/w==",
            "Y29uZmlndXJh\x0cdGlvbiBieXRlcyAA/w==",
        ] {
            assert_eq!(
                Base64::parse_text(text).map(|b| b.0),
                Ok(want.clone()),
                "{text:?}"
            );
        }
        assert_eq!(
            Base64::parse_text("not base64!").map(|b| b.0),
            Err("base64")
        );
    }

    #[derive(Debug, Default, PartialEq)]
    struct Thing {
        name: String,
        label: Option<String>,
        size: Option<i64>,
        tags: Vec<String>,
    }

    impl FromXml for Thing {
        fn from_xml(r: &mut XmlReader<'_>, el: &Child<'_>) -> Result<Self, DecodeError> {
            let mut name = None;
            let mut label = None;
            let mut size = None;
            let mut tags = Vec::new();
            if !el.is_empty() {
                while let Some(c) = r.next_child()? {
                    match c.name() {
                        b"Name" => name = r.text_req(&c)?,
                        b"Label" => label = r.label_opt(&c)?,
                        b"Size" => size = r.text_opt(&c)?,
                        b"Tags" => r.text_list(&c, b"Tag", &mut tags)?,
                        _ => r.skip(&c)?,
                    }
                }
            }
            Ok(Thing {
                name: required(name, "Name")?,
                label: label.map(Into::into),
                size,
                tags,
            })
        }
    }

    impl ToXml for Thing {
        fn write_children(&self, w: &mut XmlWriter) {
            w.text("Name", &self.name);
            w.label_opt("Label", &self.label);
            w.text_opt("Size", &self.size);
            w.text_list("Tags", "Tag", &self.tags, false);
        }
    }

    #[test]
    fn reads_in_any_order_skips_unknown_and_nil() {
        let doc = "\u{feff}<?xml version=\"1.0\"?>\r\n<Thing xmlns=\"http://schemas.microsoft.com/windowsazure\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\">\
            <Size i:nil=\"true\"/><Unknown><Deep>x</Deep></Unknown><Tags><Tag>a&amp;b</Tag><Tag><![CDATA[<c>]]></Tag></Tags>\
            <Label>aMOpbGxv</Label><Name>n</Name></Thing>";
        let t: Thing = from_document("Thing", doc.as_bytes()).unwrap();
        assert_eq!(
            t,
            Thing {
                name: "n".into(),
                label: Some("héllo".into()),
                size: None,
                tags: vec!["a&b".into(), "<c>".into()]
            }
        );
        let again: Thing = from_document("Thing", to_document("Thing", &t).as_bytes()).unwrap();
        assert_eq!(again, t);
    }

    #[derive(Debug, Default, PartialEq)]
    struct Lists {
        tags: Vec<String>,
        nums: Vec<i64>,
    }

    impl FromXml for Lists {
        fn from_xml(r: &mut XmlReader<'_>, el: &Child<'_>) -> Result<Self, DecodeError> {
            let mut v = Lists::default();
            if !el.is_empty() {
                while let Some(c) = r.next_child()? {
                    match c.name() {
                        b"Tags" => r.text_list(&c, b"Tag", &mut v.tags)?,
                        b"Nums" => r.text_list(&c, b"N", &mut v.nums)?,
                        _ => r.skip(&c)?,
                    }
                }
            }
            Ok(v)
        }
    }

    /// Reading a child in place when it is the expected one gives what the
    /// general `read_child` gives, whatever comes next: the expected
    /// element, another, one with attributes, a prefix or no content, text,
    /// white space, the end tag, a truncated tag.
    #[test]
    fn expected_children_read_as_the_general_reader_reads_them() {
        let walk = |doc: &str, expect: &[&[u8]]| -> Result<Vec<String>, DecodeError> {
            let mut r = XmlReader::new(doc.as_bytes());
            let root = r.root_any_namespace("R")?;
            let mut seen = Vec::new();
            if root.is_empty() {
                return Ok(seen);
            }
            let mut c = Child::default();
            let mut k = 0;
            loop {
                let more = if expect.is_empty() {
                    r.read_child(&mut c)?
                } else {
                    r.read_field(&mut c, &expect[k % expect.len()..][..1], 0)?
                        .is_some()
                };
                if !more {
                    break;
                }
                k += 1;
                let name = String::from_utf8_lossy(c.name()).into_owned();
                let flags = (c.is_empty(), c.is_nil(), c.attrs.is_some());
                let text = if c.is_empty() {
                    String::new()
                } else {
                    r.text(&c)?.into_owned()
                };
                seen.push(format!("{name} {flags:?} {text:?} at {}", r.pos));
            }
            r.finish()?;
            Ok(seen)
        };
        let docs = [
            "<R><A>1</A><B>2</B><C>3</C></R>",
            "<R>\n  <A>1</A>\n  <B>2</B>\n</R>",
            "<R><B>2</B><A>1</A><A>1b</A></R>",
            "<R><A x=\"1\">1</A><A/><A></A><p:A xmlns:p=\"u\">2</p:A></R>",
            "<R><A i:nil=\"true\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"/><AB>3</AB><A >4</A></R>",
            "<R><!-- c --><A>&amp;</A><A><![CDATA[x]]></A></R>",
            "<R/>",
            "<R></R>",
            "<R><A>1</A><A",
            "<R><A>1</B></R>",
            "<R><A>1</A>",
        ];
        let expects: [&[&[u8]]; 5] = [
            &[b"<A>", b"<B>", b"<C>"],
            &[b"<A>"],
            &[b"<B>", b"<A>"],
            &[b"", b"<", b"<>", b"A>", b"<A"],
            &[b"<AB>", b"<A>"],
        ];
        for doc in docs {
            let general = walk(doc, &[]);
            for expect in expects {
                assert_eq!(walk(doc, expect), general, "{doc} expecting {expect:?}");
            }
        }
    }

    /// `read_field` names the field it read in place by its index, hands
    /// any other child to the caller's lookup (`usize::MAX`), and reads the
    /// element's end tag in place or the general way alike.
    #[test]
    fn fields_by_index() {
        const OTHER: usize = usize::MAX;
        let fields: [&[u8]; 2] = [b"<A>", b"<B>"];
        let run = |doc: &str, next: usize| -> Result<Vec<(usize, String)>, DecodeError> {
            let mut r = XmlReader::new(doc.as_bytes());
            let root = r.root_any_namespace("R")?;
            let mut seen = Vec::new();
            if !root.is_empty() {
                let mut c = Child::default();
                while let Some(k) = r.read_field(&mut c, &fields, next)? {
                    seen.push((k, String::from_utf8_lossy(c.name()).into_owned()));
                    r.skip(&c)?;
                }
            }
            r.finish()?;
            Ok(seen)
        };
        let seen = |v: &[(usize, &str)]| -> Vec<(usize, String)> {
            v.iter().map(|&(k, n)| (k, n.to_owned())).collect()
        };
        let doc = "<R><A>1</A><B>2</B></R>";
        assert_eq!(run(doc, 0).unwrap(), seen(&[(0, "A"), (OTHER, "B")]));
        assert_eq!(run(doc, 1).unwrap(), seen(&[(OTHER, "A"), (1, "B")]));
        assert_eq!(run(doc, 2).unwrap(), seen(&[(OTHER, "A"), (OTHER, "B")]));
        // Not in place: an empty element, attributes, a prefix.
        let doc = "<R><A/><A x=\"1\">1</A><p:A xmlns:p=\"u\">2</p:A></R>";
        let want = seen(&[(OTHER, "A"), (OTHER, "A"), (OTHER, "A")]);
        assert_eq!(run(doc, 0).unwrap(), want);
        // The end tag after white space, with white space inside it, or
        // after a comment; a wrong or missing one is an error.
        for doc in [
            "<R>\n  <A>1</A>\n</R>",
            "<R><A>1</A></R >",
            "<R><A>1</A><!-- c --></R>",
        ] {
            assert_eq!(run(doc, 0).unwrap(), seen(&[(0, "A")]), "{doc}");
        }
        assert!(matches!(
            run("<R><A>1</A></Q>", 0).unwrap_err().kind(),
            DecodeErrorKind::Syntax(_)
        ));
        assert!(matches!(
            run("<R><A>1</A>", 0).unwrap_err().kind(),
            DecodeErrorKind::Truncated
        ));
    }

    /// Text lists: items of the usual shape are read in place (in batches of
    /// 16), any other item hands over to the general reader mid-list.
    #[test]
    fn text_lists_in_place_and_general() {
        let lists = |doc: &str| from_document::<Lists>("L", doc.as_bytes());
        let tags = |doc: &str| lists(doc).map(|l| l.tags);
        let many: Vec<String> = (0..37).map(|i| format!("t{i}")).collect();
        let doc: String = many.iter().map(|t| format!("\n  <Tag>{t}</Tag>")).collect();
        assert_eq!(tags(&format!("<L><Tags>{doc}\n</Tags></L>")).unwrap(), many);
        let got = lists(&format!(
            "<L><Tags>{doc}</Tags><Nums><N>1</N><N>-2</N></Nums></L>"
        ))
        .unwrap();
        assert_eq!(got.tags, many);
        assert_eq!((got.nums.capacity(), got.nums), (2, vec![1, -2]));
        // A list of up to 16 items is allocated once, at its size.
        for n in [1, 5, 16] {
            let got = tags(&format!("<L><Tags>{}</Tags></L>", "<Tag>x</Tag>".repeat(n))).unwrap();
            assert_eq!((got.len(), got.capacity()), (n, n));
        }
        for (doc, want) in [
            (
                "<Tag>a</Tag><Tag>b&amp;c</Tag><Tag>d</Tag>",
                vec!["a", "b&c", "d"],
            ),
            (
                "<Tag>a</Tag><Tag x=\"1\">b</Tag><Tag>c</Tag>",
                vec!["a", "b", "c"],
            ),
            (
                "<Tag>a</Tag><Tag/><Tag></Tag><Tag>d</Tag>",
                vec!["a", "", "", "d"],
            ),
            (
                "<Other>z</Other><Tag>a</Tag><!-- c --><Tag>b</Tag>",
                vec!["a", "b"],
            ),
            (
                "<Tag>a</Tag><Tag><![CDATA[<b>]]></Tag><Tag >c</Tag >",
                vec!["a", "<b>", "c"],
            ),
            ("<p:Tag>a</p:Tag><Tag>b</Tag>", vec!["a", "b"]),
            ("", vec![]),
        ] {
            assert_eq!(
                tags(&format!("<L><Tags>{doc}</Tags></L>")).unwrap(),
                want,
                "{doc}"
            );
        }
        assert_eq!(tags("<L><Tags/></L>").unwrap(), Vec::<String>::new());
        // Errors are those of the general reader, with the item's path.
        let err = lists("<L><Nums><N>1</N><N>2</N><N>3x</N><N>4</N></Nums></L>").unwrap_err();
        assert_eq!(err.path(), "/L/Nums/N[2]");
        assert!(err.to_string().contains("64-bit integer"), "{err}");
        let err = lists("<L><Tags><Tag>a</Tag><Tag>b</Tagg></Tags></L>").unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::Syntax(_)), "{err}");
        let err = lists("<L><Tags><Tag>a</Tag><Tag>b").unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::Truncated), "{err}");
        let err = from_document::<Lists>("L", b"<L><Tags><Tag>a</Tag><Tag>\xff</Tag></Tags></L>")
            .unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::InvalidUtf8), "{err}");
    }

    /// One kind of element for the list memo's tests: four text lists
    /// (three value types), two of them with the same item name, and a
    /// field after them.
    #[derive(Debug, Default, PartialEq)]
    struct Memoed {
        a: Vec<CompactString>,
        b: Vec<CompactString>,
        n: Vec<i64>,
        s: Vec<String>,
        tail: Option<CompactString>,
    }

    impl FromXml for Memoed {
        fn from_xml(r: &mut XmlReader<'_>, el: &Child<'_>) -> Result<Self, DecodeError> {
            let mut v = Memoed::default();
            if !el.is_empty() {
                let mut c = Child::default();
                while r.read_child(&mut c)? {
                    match c.name() {
                        b"A" => r.text_list(&c, b"I", &mut v.a)?,
                        b"B" => r.text_list(&c, b"I", &mut v.b)?,
                        b"N" => r.text_list(&c, b"I", &mut v.n)?,
                        b"S" => r.text_list(&c, b"J", &mut v.s)?,
                        b"T" => r.text_opt_into(&c, &mut v.tail)?,
                        _ => r.skip(&c)?,
                    }
                }
            }
            Ok(v)
        }
    }

    /// The same lists as strings, `N` read as text: another type under the
    /// same wrapper and item names.
    #[derive(Debug, Default, PartialEq)]
    struct AsText {
        n: Vec<CompactString>,
    }

    impl FromXml for AsText {
        fn from_xml(r: &mut XmlReader<'_>, el: &Child<'_>) -> Result<Self, DecodeError> {
            let mut v = AsText::default();
            if !el.is_empty() {
                let mut c = Child::default();
                while r.read_child(&mut c)? {
                    match c.name() {
                        b"N" => r.text_list(&c, b"I", &mut v.n)?,
                        _ => r.skip(&c)?,
                    }
                }
            }
            Ok(v)
        }
    }

    #[derive(Debug, Default, PartialEq)]
    struct MemoRoot {
        e: Vec<Memoed>,
        f: Vec<AsText>,
    }

    impl FromXml for MemoRoot {
        fn from_xml(r: &mut XmlReader<'_>, el: &Child<'_>) -> Result<Self, DecodeError> {
            let mut v = MemoRoot::default();
            if !el.is_empty() {
                let mut c = Child::default();
                while r.read_child(&mut c)? {
                    match c.name() {
                        b"E" => r.elem_push(&c, &mut v.e)?,
                        b"F" => r.elem_push(&c, &mut v.f)?,
                        _ => r.skip(&c)?,
                    }
                }
            }
            Ok(v)
        }
    }

    /// Text lists whose bytes repeat are cloned from the first (the memo):
    /// random documents of repeating lists of every shape (references,
    /// CDATA, comments, attributes, nil and empty items, white space,
    /// a wrapper twice, errors) decode as they do when every list is made
    /// unique by a comment before its end tag, which the memo never matches.
    #[test]
    fn repeated_text_lists_decode_as_unique_ones() {
        const NIL: &str = "xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" i:nil=\"true\"";
        let contents = [
            "<I>Small</I><I>ExtraLarge</I><I>A5</I>".to_string(),
            "<I>Small</I><I>ExtraLarge</I><I>A6</I>".to_string(),
            "<I>Small</I><I>ExtraLarge</I>".to_string(),
            "\n  <I>a&amp;b</I>\n  <I><![CDATA[<c>]]></I>\n".to_string(),
            "<I>1</I><!-- c --><I x=\"y\">2</I><I/><I></I>".to_string(),
            format!("<I {NIL}/><I>3</I>"),
            "<Other>o</Other><I>5</I>".to_string(),
            "<I>éé日本</I><I>0123456789012345678901234</I>".to_string(),
            String::new(),
        ];
        let numbers = [
            "<I>12</I><I>-4</I>".to_string(),
            format!("\n<I {NIL}/><I>3</I><!-- c --><I> 5 </I>"),
            "<I>1</I><I>2</I><I>3</I>".to_string(),
            "<I>12</I><I>x</I>".to_string(),
        ];
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        let (mut checked, mut hits) = (0, 0);
        for _ in 0..400 {
            let ns = "xmlns=\"http://schemas.microsoft.com/windowsazure\"";
            let (mut memo_doc, mut unique_doc) = (format!("<R {ns}>"), format!("<R {ns}>"));
            let mut unique = 0;
            for _ in 0..1 + next(8) {
                let kind = if next(5) == 0 { "F" } else { "E" };
                memo_doc.push_str(&format!("<{kind}>"));
                unique_doc.push_str(&format!("<{kind}>"));
                for _ in 0..next(6) {
                    let wrapper = ["A", "B", "N", "S", "A"][next(5)];
                    // Mostly the first three, which repeat.
                    let pick = if next(3) > 0 {
                        next(3)
                    } else {
                        next(contents.len())
                    };
                    let mut body = contents[pick].clone();
                    if wrapper == "N" {
                        // Numbers, now and then one that is not.
                        body = numbers[if next(20) > 0 { next(3) } else { 3 }].clone();
                    }
                    if wrapper == "S" {
                        body = body.replace("<I", "<J").replace("</I>", "</J>");
                    }
                    if body.is_empty() && next(2) == 0 {
                        memo_doc.push_str(&format!("<{wrapper}/>"));
                        unique_doc.push_str(&format!("<{wrapper}/>"));
                        continue;
                    }
                    unique += 1;
                    memo_doc.push_str(&format!("<{wrapper}>{body}</{wrapper}>"));
                    unique_doc.push_str(&format!("<{wrapper}>{body}<!--{unique}--></{wrapper}>"));
                }
                let tail = format!("<T>t{}</T></{kind}>", next(3));
                memo_doc.push_str(&tail);
                unique_doc.push_str(&tail);
            }
            memo_doc.push_str("</R>");
            unique_doc.push_str("</R>");
            let mut r = XmlReader::new(memo_doc.as_bytes());
            let got = r
                .root("R")
                .and_then(|root| MemoRoot::from_xml(&mut r, &root))
                .and_then(|v| r.finish().map(|()| v))
                .map_err(|e| e.within("R"));
            hits += r.lists.hits();
            let want = from_document::<MemoRoot>("R", unique_doc.as_bytes());
            match (&got, &want) {
                (Ok(g), Ok(w)) => {
                    assert_eq!(g, w, "{memo_doc}");
                    checked +=
                        g.e.iter()
                            .map(|e| e.a.len() + e.b.len() + e.n.len())
                            .sum::<usize>();
                }
                (Err(g), Err(w)) => assert_eq!(g.to_string(), w.to_string(), "{memo_doc}"),
                _ => panic!("{memo_doc}: {got:?} against {want:?}"),
            }
        }
        assert!(
            checked > 1000 && hits > 300,
            "{checked} values, {hits} lists cloned"
        );
        // The same bytes under another wrapper: its own end tag decides.
        let err =
            from_document::<MemoRoot>("R", b"<R><E><A><I>x</I></A></E><E><B><I>x</I></A></E></R>")
                .unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::Syntax(_)), "{err}");
        // The same bytes, another type.
        let got = from_document::<MemoRoot>(
            "R",
            b"<R><E><N><I>7</I></N></E><F><N><I>7</I></N></F><E><N><I>7</I></N></E></R>",
        )
        .unwrap();
        assert_eq!(got.e[1].n, vec![7]);
        assert_eq!(got.f[0].n, vec![CompactString::from("7")]);
        // A cloned list is allocated at its size, and appended to what the
        // field holds.
        let got = from_document::<MemoRoot>(
            "R",
            b"<R><E><A><I>p</I></A></E><E><A><I>p</I></A><A><I>p</I></A></E></R>",
        )
        .unwrap();
        assert_eq!(got.e[1].a, vec![CompactString::from("p"); 2]);
        let got =
            from_document::<MemoRoot>("R", b"<R><E><A><I>p</I></A></E><E><A><I>p</I></A></E></R>")
                .unwrap();
        assert_eq!((got.e[1].a.len(), got.e[1].a.capacity()), (1, 1));
    }

    /// Short values of text lists are built in place from a window of the
    /// document: every length, multi-byte text, a window that would end
    /// inside a character, and values at the very end of the input.
    #[test]
    fn text_list_values_of_every_length() {
        let values: Vec<String> = (0..30)
            .map(|n| "abcdefghijklmnopqrstuvwxyz0123".chars().take(n).collect())
            .chain([
                "é".repeat(12),
                format!("{}é", "a".repeat(22)),
                "日本".into(),
            ])
            .collect();
        let items: String = values.iter().map(|v| format!("<Tag>{v}</Tag>")).collect();
        let doc = format!(
            "<L><Tags>{items}</Tags><Tags><Tag>{}</Tag></Tags></L>",
            "é".repeat(11)
        );
        let got = from_document::<Lists>("L", doc.as_bytes()).unwrap();
        let mut want = values.clone();
        want.push("é".repeat(11));
        assert_eq!(got.tags, want);
        // "ab": the window of 24 bytes would end inside an "é".
        let doc = "<L><Tags><Tag>ab</Tag><Tag>ééééééééé</Tag></Tags></L>";
        let got = from_document::<Lists>("L", doc.as_bytes()).unwrap();
        assert_eq!(got.tags, ["ab", "ééééééééé"]);
        let mut out = Vec::new();
        for v in &values {
            CompactString::push_parsed(&mut out, v, v).unwrap();
            // A tail that does not start where the text does is not used.
            CompactString::push_parsed(&mut out, v, &"x".repeat(40)).unwrap();
        }
        let want: Vec<&str> = values
            .iter()
            .flat_map(|v| [v.as_str(), v.as_str()])
            .collect();
        assert_eq!(out, want);
    }

    #[test]
    fn errors_carry_the_path() {
        let err = from_document::<Thing>("Thing", b"<Thing><Size>12x</Size><Name>a</Name></Thing>")
            .unwrap_err();
        assert_eq!(err.path(), "/Thing/Size");
        assert!(err.to_string().contains("64-bit integer"), "{err}");
        let err = from_document::<Thing>("Thing", b"<Thing><Size>1</Size></Thing>").unwrap_err();
        assert!(err.to_string().contains("Name"), "{err}");
        let err = from_document::<Thing>("Thing", b"<Thing><Name>a</Name>").unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::Truncated), "{err}");
        let err = from_document::<Thing>("Other", b"<Thing/>").unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::UnexpectedRoot { .. }));
        let err = from_document::<Thing>(
            "Thing",
            b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]><Thing><Name>&a;</Name></Thing>",
        )
        .unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::DocType));
        let err = from_document::<Thing>(
            "Thing",
            b"<Thing xmlns=\"urn:other\"><Name>a</Name></Thing>",
        )
        .unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::Namespace(_)));
    }

    /// A likely field read by `read_field` (in place where it has the usual
    /// nil form) is the child `read_child` reads, with the same reader state
    /// after it, for nil and near-nil forms, other names and truncations.
    #[test]
    fn nil_field_in_place_agrees_with_the_general_reader() {
        let cases: &[&[u8]] = &[
            b"<A i:nil=\"true\"/>",
            b"<A i:nil=\"true\"/><B>1</B>",
            b"<A i:nil=\"true\" />",
            b"<A i:nil=\"true\"></A>",
            b"<A i:nil=\"false\"/>",
            b"<A i:nil='true'/>",
            b"<A  i:nil=\"true\"/>",
            b"<A i:nil=\"TRUE\"/>",
            b"<A x:nil=\"true\"/>",
            b"<A i:nil=\"true\" x=\"1\"/>",
            b"<A i:nil=\"true\">x</A>",
            b"<AB i:nil=\"true\"/>",
            b"<A i:nil=\"true\"/",
            b"<A i:nil=\"true\"",
            b"<A i:nil=\"tru",
            b"<A i:nil=\"true\"/><B>\xFF</B>",
        ];
        let fields: &[&[u8]] = &[b"<A>"];
        for case in cases {
            let mut doc = b"<R>".to_vec();
            doc.extend_from_slice(case);
            doc.extend_from_slice(b"</R>");
            let label = String::from_utf8_lossy(&doc).into_owned();
            let (mut fast, mut general) = (XmlReader::new(&doc), XmlReader::new(&doc));
            fast.root_any_namespace("R").unwrap();
            general.root_any_namespace("R").unwrap();
            let (mut a, mut b) = (Child::default(), Child::default());
            let got = fast.read_field(&mut a, fields, 0);
            let want = general.read_child(&mut b);
            match (got, want) {
                (Ok(got), Ok(want)) => {
                    // In place: the likely field's index; the general way:
                    // `usize::MAX`, the caller looking the name up.
                    let in_place = got == Some(0);
                    assert!(!in_place || b.name() == b"A", "{label}");
                    assert!(in_place || got == want.then_some(usize::MAX), "{label}");
                    // The service's form is read in place (in a document
                    // that is UTF-8 throughout).
                    let usual = case.starts_with(b"<A i:nil=\"true\"/>");
                    assert_eq!(in_place, usual && doc.is_ascii(), "{label}");
                    assert_eq!(
                        (a.local, &a.attrs, a.name_len, a.flags),
                        (b.local, &b.attrs, b.name_len, b.flags),
                        "{label}"
                    );
                    assert_eq!(
                        (fast.pos, &fast.open),
                        (general.pos, &general.open),
                        "{label}"
                    );
                }
                (Err(got), Err(want)) => assert_eq!(got.to_string(), want.to_string(), "{label}"),
                (got, want) => panic!("{label}: {got:?} against {want:?}"),
            }
        }
        // The usual form is nil and empty; its attribute reads as the
        // general reader's does.
        let doc = b"<R><A i:nil=\"true\"/></R>";
        let mut r = XmlReader::new(doc);
        r.root_any_namespace("R").unwrap();
        let mut c = Child::default();
        assert_eq!(r.read_field(&mut c, fields, 0).unwrap(), Some(0));
        assert!(c.is_nil() && c.is_empty());
        assert_eq!(c.attr(b"nil").unwrap().as_deref(), Some("true"));
        assert_eq!(r.read_field(&mut c, fields, 0).unwrap(), None);
    }

    /// The default namespace is found among other attributes, however they
    /// are quoted and spaced; a declaration that is not well formed is not
    /// taken for one.
    #[test]
    fn default_namespace_forms() {
        let ns = |body: &str| {
            let mut r = XmlReader::new(body.as_bytes());
            r.root_any_namespace("R")
                .map(|c| c.default_namespace().map(|v| v.into_owned()))
        };
        let want = Some(b"urn:x".to_vec());
        assert_eq!(ns("<R xmlns='urn:x'/>").unwrap(), want);
        assert_eq!(ns("<R a=\"1\"\n xmlns = \"urn:x\" b='2'/>").unwrap(), want);
        assert_eq!(ns("<R xmlns:i=\"urn:i\" xmlns=\"urn:x\">").unwrap(), want);
        assert_eq!(ns("<R xmlns:i=\"urn:x\">").unwrap(), None);
        assert_eq!(ns("<R a=\"x>y\" xmlns=\"urn:x\">").unwrap(), want);
        assert_eq!(ns("<R a xmlns=\"urn:x\">").unwrap(), None);
        assert_eq!(ns("<R xmlns=\"urn:x>").ok().flatten(), None);
        // `?>` ends a processing instruction; `<?>` does not.
        assert!(ns("<?xml version='1.0'?><R xmlns='urn:x'/>").is_ok());
        assert!(ns("<?a >x?><R/>").is_ok());
        assert!(ns("<?><R/>").is_err());
    }

    /// The reader's own tokenizer: the shapes the fast path does not take,
    /// and the well-formedness errors it must still report.
    #[test]
    fn tokenizer_edge_cases() {
        let ok = |body: &str| from_document::<Thing>("Thing", body.as_bytes());
        // White space in end tags, `>` and `/>` inside attribute values,
        // prefixed names, text split by a comment and CDATA, a reference
        // that falls back to unescaping, skipped subtrees with the same name.
        let t = ok("<Thing a=\"x>y\" b='/>'><p:Name xmlns:p=\"urn:p\">a<!-- c -->b<![CDATA[&c]]>&amp;d</p:Name >\
            <Unknown><Unknown><Name>no</Name></Unknown></Unknown>\
            <Tags><Tag></Tag><Tag>x</Tag ></Tags><Size>\r\n 7 </Size></Thing>")
        .unwrap();
        assert_eq!(t.name, "ab&c&d");
        assert_eq!(t.tags, vec![String::new(), "x".to_owned()]);
        assert_eq!(t.size, Some(7));
        // i:nil among other attributes; a nil-free attribute list.
        let t = ok("<Thing><Name>n</Name><Size xmlns:i=\"urn:i\" i:nil=\"true\" x=\"1\"/><Label q=\"nix\"></Label></Thing>").unwrap();
        assert_eq!((t.size, t.label), (None, None));

        let kind = |body: &str| ok(body).unwrap_err().kind().clone();
        let syntax = |body: &str| matches!(kind(body), DecodeErrorKind::Syntax(_));
        assert!(syntax("<Thing><Name>a</Nam></Thing>"));
        assert!(syntax("<Thing><Name>a</Name></Thing></Thing>"));
        assert!(syntax("<Thing><Name>a</Name><!-- open"));
        assert!(syntax("<Thing><Name><![CDATA[a</Name></Thing>"));
        assert!(syntax("<Thing><Name>a</Name><"));
        assert!(syntax("<Thing><Name a=\"1>a</Name></Thing>"));
        assert!(syntax("<Thing><Name>a</Name><!bogus></Thing>"));
        assert!(syntax("<Thing><Name>a&bogus;</Name></Thing>"));
        assert!(syntax("<Thing><Name>a</Name></Thing><Thing/>"));
        assert!(syntax("<Thing><Name>a</Name><?pi</Thing>"));
        assert!(matches!(kind("<Thing><Name>a"), DecodeErrorKind::Truncated));
        assert!(matches!(
            kind("<Thing><Name>a</Name><Size>"),
            DecodeErrorKind::Truncated
        ));
        assert!(matches!(
            kind("<Thing><Name>a<b/></Name></Thing>"),
            DecodeErrorKind::UnexpectedElement
        ));
        assert!(matches!(
            kind("<Thing><!doctype x><Name>a</Name></Thing>"),
            DecodeErrorKind::DocType
        ));
        assert!(matches!(kind("\u{feff}\u{feff}  "), DecodeErrorKind::Empty));
        assert!(matches!(kind("text"), DecodeErrorKind::NotXml));
        // Not UTF-8: names and read values are checked, skipped text is not.
        let mut bad = b"<Thing><Name>a</Name><X>\xFF</X></Thing>".to_vec();
        assert!(from_document::<Thing>("Thing", &bad).is_ok());
        bad = b"<Thing><Name>\xFF</Name></Thing>".to_vec();
        let err = from_document::<Thing>("Thing", &bad).unwrap_err();
        assert!(matches!(err.kind(), DecodeErrorKind::InvalidUtf8), "{err}");
        assert_eq!(err.path(), "/Thing/Name");
    }

    #[test]
    fn writer_escapes() {
        let t = Thing {
            name: "<a & \"b\">".into(),
            ..Default::default()
        };
        let doc = to_document("Thing", &t);
        assert!(
            doc.contains("<Name>&lt;a &amp; &quot;b&quot;&gt;</Name>"),
            "{doc}"
        );
        let back: Thing = from_document("Thing", doc.as_bytes()).unwrap();
        assert_eq!(back, t);
    }
}

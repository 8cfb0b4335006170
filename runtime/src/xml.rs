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

use base64::Engine as _;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::error::{DecodeError, DecodeErrorKind};

/// The service's XML namespace.
pub const NAMESPACE: &str = "http://schemas.microsoft.com/windowsazure";
/// XMLSchema-instance, for `i:nil`.
pub const XSI_NAMESPACE: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A value carried as element text: strings, numbers, booleans, dates, enums.
pub trait XmlText: Sized {
    /// Parses the (unescaped) element text. The error names the expected kind
    /// of value; it never repeats the value (which may be a secret).
    fn parse_text(text: &str) -> Result<Self, &'static str>;
    /// The text to write (the writer escapes it).
    fn to_text(&self) -> Cow<'_, str>;
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

/// A child element just opened by [`XmlReader::next_child`].
#[derive(Debug)]
pub struct Child<'a> {
    local: Name<'a>,
    empty: bool,
    nil: bool,
    start: BytesStart<'a>,
}

/// An element's local name: a slice of the input (always, when reading a
/// complete body), owned only if the parser had to copy the tag.
#[derive(Debug)]
enum Name<'a> {
    Input(&'a [u8]),
    Copied(Vec<u8>),
}

impl Name<'_> {
    #[inline]
    fn as_bytes(&self) -> &[u8] {
        match self {
            Name::Input(b) => b,
            Name::Copied(v) => v,
        }
    }
}

impl Child<'_> {
    /// The element's local name (any prefix removed).
    pub fn name(&self) -> &[u8] {
        self.local.as_bytes()
    }

    /// `true` for `<X/>`.
    pub fn is_empty(&self) -> bool {
        self.empty
    }

    /// `true` when the element carries `i:nil="true"`.
    pub fn is_nil(&self) -> bool {
        self.nil
    }

    fn name_string(&self) -> String {
        String::from_utf8_lossy(self.name()).into_owned()
    }

    /// The (unescaped) value of the attribute whose local name is `name`,
    /// whatever its prefix; `None` when absent.
    pub fn attr(&self, name: &[u8]) -> Result<Option<Cow<'_, str>>, DecodeError> {
        for a in self.start.attributes().with_checks(false) {
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
        self.start
            .attributes()
            .with_checks(false)
            .flatten()
            .find(|a| a.key.as_ref() == b"xmlns")
            .map(|a| a.value)
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

/// A pull reader over a complete response body.
pub struct XmlReader<'a> {
    inner: Reader<&'a [u8]>,
    input: &'a [u8],
    /// The whole input as text, when it is valid UTF-8 (checked once, up
    /// front): text pieces are then sliced from it without validating each.
    input_str: Option<&'a str>,
}

impl<'a> XmlReader<'a> {
    /// A reader over `input` (a leading UTF-8 byte-order mark is skipped).
    pub fn new(input: &'a [u8]) -> Self {
        let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
        let mut inner = Reader::from_reader(input);
        let config = inner.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        config.expand_empty_elements = false;
        Self {
            inner,
            input,
            input_str: std::str::from_utf8(input).ok(),
        }
    }

    #[inline]
    fn event(&mut self) -> Result<Event<'a>, DecodeError> {
        match self.inner.read_event() {
            Ok(event) => Ok(event),
            Err(e) => Err(syntax_error(e)),
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
            match self.event()? {
                Event::Start(start) => return self.open_root(start, false, expected, ns),
                Event::Empty(start) => return self.open_root(start, true, expected, ns),
                Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
                Event::Text(t) if is_blank(&t) => {}
                Event::DocType(_) => return Err(DecodeError::new(DecodeErrorKind::DocType)),
                Event::Eof => return Err(DecodeError::new(DecodeErrorKind::Empty)),
                Event::Text(_) | Event::CData(_) => {
                    return Err(DecodeError::new(DecodeErrorKind::NotXml));
                }
                Event::End(_) => {
                    return Err(DecodeError::new(DecodeErrorKind::Syntax(
                        "end tag before the root element".into(),
                    )))
                }
            }
        }
    }

    fn open_root(
        &mut self,
        start: BytesStart<'a>,
        empty: bool,
        expected: &'static str,
        ns: Option<&str>,
    ) -> Result<Child<'a>, DecodeError> {
        let child = open(self.input, start, empty)?;
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
            match self.event()? {
                Event::Eof => return Ok(()),
                Event::Comment(_) | Event::PI(_) => {}
                Event::Text(t) if is_blank(&t) => {}
                _ => {
                    return Err(DecodeError::new(DecodeErrorKind::Syntax(
                        "content after the root element".into(),
                    )))
                }
            }
        }
    }

    /// The next child element of the element being read, or `None` at its
    /// end tag. Must not be called for an element that [`Child::is_empty`].
    /// Every child returned must be consumed (read or [`skip`](Self::skip)ped).
    pub fn next_child(&mut self) -> Result<Option<Child<'a>>, DecodeError> {
        loop {
            match self.event()? {
                Event::Start(start) => return open(self.input, start, false).map(Some),
                Event::Empty(start) => return open(self.input, start, true).map(Some),
                Event::End(_) => return Ok(None),
                Event::Eof => return Err(DecodeError::new(DecodeErrorKind::Truncated)),
                Event::DocType(_) => return Err(DecodeError::new(DecodeErrorKind::DocType)),
                // Mixed content between elements is ignored, like white space.
                Event::Text(_)
                | Event::CData(_)
                | Event::Comment(_)
                | Event::PI(_)
                | Event::Decl(_) => {}
            }
        }
    }

    /// Skips `child` and everything inside it.
    pub fn skip(&mut self, child: &Child<'_>) -> Result<(), DecodeError> {
        if child.empty {
            return Ok(());
        }
        let mut depth = 1usize;
        loop {
            match self.event()? {
                Event::Start(_) => depth += 1,
                Event::End(_) => {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(());
                    }
                }
                Event::Eof => return Err(DecodeError::new(DecodeErrorKind::Truncated)),
                Event::DocType(_) => return Err(DecodeError::new(DecodeErrorKind::DocType)),
                _ => {}
            }
        }
    }

    /// The text content of `child` (unescaped), consuming it.
    pub fn text(&mut self, child: &Child<'_>) -> Result<Cow<'a, str>, DecodeError> {
        if child.empty {
            return Ok(Cow::Borrowed(""));
        }
        let mut acc: Option<Cow<'a, str>> = None;
        loop {
            let piece: Cow<'a, str> = match self.event()? {
                Event::End(_) => return Ok(acc.unwrap_or(Cow::Borrowed(""))),
                Event::Text(t) => {
                    let raw = self.utf8(t.into_inner())?;
                    match raw {
                        Cow::Borrowed(s) => quick_xml::escape::unescape(s).map_err(escape_error)?,
                        Cow::Owned(s) => Cow::Owned(
                            quick_xml::escape::unescape(&s)
                                .map_err(escape_error)?
                                .into_owned(),
                        ),
                    }
                }
                Event::CData(c) => self.utf8(c.into_inner())?,
                Event::Comment(_) | Event::PI(_) => continue,
                Event::Start(_) | Event::Empty(_) => {
                    return Err(DecodeError::new(DecodeErrorKind::UnexpectedElement))
                }
                Event::Eof => return Err(DecodeError::new(DecodeErrorKind::Truncated)),
                Event::DocType(_) => return Err(DecodeError::new(DecodeErrorKind::DocType)),
                Event::Decl(_) => continue,
            };
            acc = Some(match acc {
                None => piece,
                Some(prev) => Cow::Owned(prev.into_owned() + &piece),
            });
        }
    }

    /// `bytes` as text: a slice of the already validated input when it is
    /// one, else validated here.
    #[inline]
    fn utf8(&self, bytes: Cow<'a, [u8]>) -> Result<Cow<'a, str>, DecodeError> {
        if let (Cow::Borrowed(b), Some(doc)) = (&bytes, self.input_str) {
            if let Some(text) = within_str(doc, b) {
                return Ok(Cow::Borrowed(text));
            }
        }
        utf8(bytes)
    }

    // ----- helpers the generated code calls, one per field shape -----

    /// An optional text value: `None` for `i:nil`, an empty element or white
    /// space only.
    pub fn text_opt<T: XmlText>(&mut self, child: &Child<'_>) -> Result<Option<T>, DecodeError> {
        if child.nil {
            self.skip(child)?;
            return Ok(None);
        }
        let text = self.text(child).map_err(|e| e.within_child(child))?;
        if text.trim().is_empty() {
            return Ok(None);
        }
        T::parse_text(&text)
            .map(Some)
            .map_err(|expected| DecodeError::invalid(expected).within_child(child))
    }

    /// A required text value. An empty element is the empty string for
    /// `String` and an error for other types; `i:nil` is an error.
    pub fn text_req<T: XmlText>(&mut self, child: &Child<'_>) -> Result<Option<T>, DecodeError> {
        if child.nil {
            self.skip(child)?;
            return Ok(None);
        }
        let text = self.text(child).map_err(|e| e.within_child(child))?;
        T::parse_text(&text)
            .map(Some)
            .map_err(|expected| DecodeError::invalid(expected).within_child(child))
    }

    /// A structured value; `None` only for `i:nil`.
    pub fn elem<T: FromXml>(&mut self, child: &Child<'_>) -> Result<Option<T>, DecodeError> {
        if child.nil {
            self.skip(child)?;
            return Ok(None);
        }
        T::from_xml(self, child)
            .map(Some)
            .map_err(|e| e.within_child(child))
    }

    /// Optional base64 text decoded to UTF-8 (the service's `Label`s).
    pub fn label_opt(&mut self, child: &Child<'_>) -> Result<Option<String>, DecodeError> {
        let Some(bytes) = self.text_opt::<Base64>(child)? else {
            return Ok(None);
        };
        String::from_utf8(bytes.0)
            .map(Some)
            .map_err(|_| DecodeError::invalid("base64 of UTF-8 text").within_child(child))
    }

    /// Required base64 label: an empty element is the empty label.
    pub fn label_req(&mut self, child: &Child<'_>) -> Result<Option<String>, DecodeError> {
        if child.nil {
            self.skip(child)?;
            return Ok(None);
        }
        Ok(Some(self.label_opt(child)?.unwrap_or_default()))
    }

    /// Calls `read` for each `item` child of `wrapper` (other children are
    /// skipped); errors get the wrapper added to their path.
    fn each_item(
        &mut self,
        wrapper: &Child<'_>,
        item: &[u8],
        mut read: impl FnMut(&mut Self, &Child<'_>) -> Result<(), DecodeError>,
    ) -> Result<(), DecodeError> {
        if wrapper.empty {
            return Ok(());
        }
        while let Some(child) = self.next_child()? {
            if child.name() == item {
                read(self, &child).map_err(|e| e.within_child(wrapper))?;
            } else {
                self.skip(&child)?;
            }
        }
        Ok(())
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
    pub fn text_list<T: XmlText>(
        &mut self,
        wrapper: &Child<'_>,
        item: &[u8],
        out: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        self.each_item(wrapper, item, |r, child| r.text_push(child, out))
    }
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
    pub fn text_push<T: XmlText>(
        &mut self,
        child: &Child<'_>,
        out: &mut Vec<T>,
    ) -> Result<(), DecodeError> {
        if let Some(v) = self.text_req(child).map_err(|e| e.at_index(out.len()))? {
            out.push(v);
        }
        Ok(())
    }

    /// A repeated label element (no wrapper).
    pub fn label_push(
        &mut self,
        child: &Child<'_>,
        out: &mut Vec<String>,
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
        out: &mut Vec<String>,
    ) -> Result<(), DecodeError> {
        self.each_item(wrapper, item, |r, child| r.label_push(child, out))
    }
}

fn is_blank(t: &quick_xml::events::BytesText<'_>) -> bool {
    t.iter().all(|b| b.is_ascii_whitespace())
}

fn utf8(bytes: Cow<'_, [u8]>) -> Result<Cow<'_, str>, DecodeError> {
    match bytes {
        Cow::Borrowed(b) => std::str::from_utf8(b)
            .map(Cow::Borrowed)
            .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8)),
        Cow::Owned(b) => String::from_utf8(b)
            .map(Cow::Owned)
            .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8)),
    }
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
    DecodeError::new(DecodeErrorKind::Syntax(message))
}

#[cold]
#[inline(never)]
fn syntax_error(e: quick_xml::Error) -> DecodeError {
    DecodeError::new(DecodeErrorKind::Syntax(e.to_string()))
}

#[inline]
fn open<'a>(input: &'a [u8], start: BytesStart<'a>, empty: bool) -> Result<Child<'a>, DecodeError> {
    let qname = start.name();
    let nil = start.len() > qname.as_ref().len() && has_nil(&start);
    let local = local_part(qname.as_ref());
    if !local.is_ascii() && std::str::from_utf8(local).is_err() {
        return Err(DecodeError::new(DecodeErrorKind::InvalidUtf8));
    }
    // Reading from a slice, the parser hands out slices of the input: keep
    // the name as one rather than copying it.
    let local = match within(input, local) {
        Some(name) => Name::Input(name),
        None => Name::Copied(local.to_vec()),
    };
    Ok(Child {
        local,
        empty,
        nil,
        start,
    })
}

/// `part` as a slice of the text `input`, when it lies in it on character
/// boundaries.
#[inline]
fn within_str<'a>(input: &'a str, part: &[u8]) -> Option<&'a str> {
    let offset = (part.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
    input.get(offset..offset.checked_add(part.len())?)
}

/// `part` as a slice of `input` with `input`'s lifetime, when it lies in it.
#[inline]
fn within<'a>(input: &'a [u8], part: &[u8]) -> Option<&'a [u8]> {
    let offset = (part.as_ptr() as usize).checked_sub(input.as_ptr() as usize)?;
    input.get(offset..offset.checked_add(part.len())?)
}

fn local_part(qname: &[u8]) -> &[u8] {
    match qname.iter().position(|&b| b == b':') {
        Some(i) => qname.get(i + 1..).unwrap_or(qname),
        None => qname,
    }
}

fn has_nil(start: &BytesStart<'_>) -> bool {
    start.attributes().flatten().any(|a| {
        local_part(a.key.as_ref()) == b"nil" && a.value.as_ref().eq_ignore_ascii_case(b"true")
    })
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
    pub fn label_opt(&mut self, name: &str, value: &Option<String>) {
        if let Some(v) = value {
            self.label(name, v);
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
    pub fn label_list(&mut self, wrapper: &str, item: &str, items: &[String], always: bool) {
        if items.is_empty() && !always {
            return;
        }
        self.start(wrapper);
        for v in items {
            self.label(item, v);
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
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
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

impl XmlText for Base64 {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        let engine = &base64::engine::general_purpose::STANDARD;
        let trimmed = text.trim();
        let decoded = if trimmed.bytes().any(|b| b.is_ascii_whitespace()) {
            let compact: String = trimmed
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            engine.decode(compact)
        } else {
            engine.decode(trimmed)
        };
        decoded.map(Base64).map_err(|_| "base64")
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl XmlText for Vec<u8> {
    fn parse_text(text: &str) -> Result<Self, &'static str> {
        Base64::parse_text(text).map(|b| b.0)
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(base64::engine::general_purpose::STANDARD.encode(self))
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
                label,
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

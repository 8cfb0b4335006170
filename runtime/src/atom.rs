//! Atom envelopes (`application/atom+xml`): Service Bus and some Web Sites
//! bodies wrap a description in
//! `<entry><content type="application/xml"><Description/></content></entry>`,
//! and list them as a `<feed>` of entries.
//!
//! Generated code hides the envelope: requests take the description, and
//! responses are an [`Entry`] (which dereferences to the description) or a
//! [`Feed`], whose `title`, `id` and `updated` stay reachable.

use std::ops::{Deref, DerefMut};

use crate::datetime::DateTime;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::xml::{Child, FromXml, ToXml, XmlReader, XmlWriter};

/// The Atom namespace.
pub const NAMESPACE: &str = "http://www.w3.org/2005/Atom";

/// An Atom `<link>`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Link {
    /// `rel`.
    pub rel: Option<String>,
    /// `href`.
    pub href: Option<String>,
}

/// An Atom entry holding one description of type `T`. Serializes (for
/// output, with the generated types' `serde` feature) keyed by the Atom
/// element names: `id`, `title`, `updated`, `links`, `content`.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Entry<T> {
    /// `<id>`.
    pub id: Option<String>,
    /// `<title>` (Service Bus puts the entity's name here).
    pub title: Option<String>,
    /// `<updated>`.
    pub updated: Option<DateTime>,
    /// `<link>`s.
    pub links: Vec<Link>,
    /// The description inside `<content>`.
    pub content: T,
}

impl<T> Entry<T> {
    /// An entry with just `content` (what a request sends).
    pub fn new(content: T) -> Self {
        Self {
            id: None,
            title: None,
            updated: None,
            links: Vec::new(),
            content,
        }
    }

    /// The description.
    pub fn into_content(self) -> T {
        self.content
    }
}

impl<T> Deref for Entry<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.content
    }
}

impl<T> DerefMut for Entry<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.content
    }
}

/// An Atom feed of entries (serializes like [`Entry`], with `entries`).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct Feed<T> {
    /// `<id>`.
    pub id: Option<String>,
    /// `<title>`.
    pub title: Option<String>,
    /// `<updated>`.
    pub updated: Option<DateTime>,
    /// `<link>`s.
    pub links: Vec<Link>,
    /// The entries, in document order.
    pub entries: Vec<Entry<T>>,
}

impl<T> Feed<T> {
    /// The descriptions, without their envelopes.
    pub fn into_contents(self) -> Vec<T> {
        self.entries.into_iter().map(|e| e.content).collect()
    }

    /// Iterates over the descriptions.
    pub fn contents(&self) -> impl Iterator<Item = &T> {
        self.entries.iter().map(|e| &e.content)
    }
}

/// Reads the common Atom children; `false` when `c` is not one of them.
fn common_child(
    r: &mut XmlReader<'_>,
    c: &Child<'_>,
    id: &mut Option<String>,
    title: &mut Option<String>,
    updated: &mut Option<DateTime>,
    links: &mut Vec<Link>,
) -> Result<bool, DecodeError> {
    match c.name() {
        b"id" => *id = r.text_opt(c)?,
        b"title" => *title = r.text_opt(c)?,
        b"updated" => *updated = r.text_opt(c)?,
        b"link" => {
            links.push(Link {
                rel: c.attr_opt("rel")?,
                href: c.attr_opt("href")?,
            });
            r.skip(c)?;
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn read_entry<T: FromXml>(
    r: &mut XmlReader<'_>,
    el: &Child<'_>,
    content_root: &'static str,
) -> Result<Entry<T>, DecodeError> {
    let (mut id, mut title, mut updated, mut links) = (None, None, None, Vec::new());
    let mut content = None;
    if !el.is_empty() {
        while let Some(c) = r.next_child()? {
            if common_child(r, &c, &mut id, &mut title, &mut updated, &mut links)? {
                continue;
            }
            if c.name() == b"content" && !c.is_empty() {
                while let Some(d) = r.next_child()? {
                    if d.name() == content_root.as_bytes() && content.is_none() {
                        content = Some(
                            T::from_xml(r, &d)
                                .map_err(|e| e.within(content_root).within("content"))?,
                        );
                    } else {
                        r.skip(&d)?;
                    }
                }
            } else {
                r.skip(&c)?;
            }
        }
    }
    let content =
        content.ok_or_else(|| DecodeError::new(DecodeErrorKind::Missing(content_root)))?;
    Ok(Entry {
        id,
        title,
        updated,
        links,
        content,
    })
}

/// Decodes an `<entry>` document whose content is `<content_root>`.
pub fn entry_from_document<T: FromXml>(
    content_root: &'static str,
    input: &[u8],
) -> Result<Entry<T>, DecodeError> {
    let mut r = XmlReader::new(input);
    let el = r.root_in("entry", Some(NAMESPACE))?;
    let entry = read_entry(&mut r, &el, content_root).map_err(|e| e.within("entry"))?;
    r.finish()?;
    Ok(entry)
}

/// Decodes a `<feed>` document of entries whose content is `<content_root>`.
pub fn feed_from_document<T: FromXml>(
    content_root: &'static str,
    input: &[u8],
) -> Result<Feed<T>, DecodeError> {
    let mut r = XmlReader::new(input);
    let el = r.root_in("feed", Some(NAMESPACE))?;
    let (mut id, mut title, mut updated, mut links) = (None, None, None, Vec::new());
    let mut entries = Vec::new();
    if !el.is_empty() {
        while let Some(c) = r.next_child()? {
            if common_child(&mut r, &c, &mut id, &mut title, &mut updated, &mut links)
                .map_err(|e| e.within("feed"))?
            {
                continue;
            }
            if c.name() == b"entry" {
                let entry = read_entry(&mut r, &c, content_root)
                    .map_err(|e| e.within("entry").at_index(entries.len()).within("feed"))?;
                entries.push(entry);
            } else {
                r.skip(&c)?;
            }
        }
    }
    r.finish()?;
    Ok(Feed {
        id,
        title,
        updated,
        links,
        entries,
    })
}

fn write_common(
    w: &mut XmlWriter,
    id: &Option<String>,
    title: &Option<String>,
    updated: &Option<DateTime>,
    links: &[Link],
) {
    w.text_opt("id", id);
    if let Some(t) = title {
        w.open("title");
        w.raw(" type=\"text\">");
        w.text_content(t);
        w.end("title");
    }
    w.text_opt("updated", updated);
    for l in links {
        w.open("link");
        w.attr_opt("rel", &l.rel);
        w.attr_opt("href", &l.href);
        w.raw("/>");
    }
}

fn write_entry_body<T: ToXml>(
    w: &mut XmlWriter,
    content_root: &str,
    content_ns: &str,
    entry: &Entry<T>,
) {
    write_common(w, &entry.id, &entry.title, &entry.updated, &entry.links);
    w.open("content");
    w.raw(" type=\"application/xml\">");
    w.elem_ns_with_xsi(content_root, content_ns, &entry.content);
    w.end("content");
}

/// Encodes an `<entry>` document.
pub fn entry_to_document<T: ToXml>(
    content_root: &str,
    content_ns: &str,
    entry: &Entry<T>,
) -> String {
    let mut w = XmlWriter::with_capacity(512);
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?><entry xmlns=\"");
    w.raw(NAMESPACE);
    w.raw("\">");
    write_entry_body(&mut w, content_root, content_ns, entry);
    w.end("entry");
    w.into_string()
}

/// Encodes a request body: an entry holding just `content`.
pub fn content_to_document<T: ToXml>(content_root: &str, content_ns: &str, content: &T) -> String {
    let mut w = XmlWriter::with_capacity(512);
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?><entry xmlns=\"");
    w.raw(NAMESPACE);
    w.raw("\"><content type=\"application/xml\">");
    w.elem_ns_with_xsi(content_root, content_ns, content);
    w.raw("</content></entry>");
    w.into_string()
}

/// Decodes a request body written by [`content_to_document`] (or any entry):
/// the description only.
pub fn content_from_document<T: FromXml>(
    content_root: &'static str,
    input: &[u8],
) -> Result<T, DecodeError> {
    entry_from_document(content_root, input).map(Entry::into_content)
}

/// Encodes a `<feed>` document.
pub fn feed_to_document<T: ToXml>(content_root: &str, content_ns: &str, feed: &Feed<T>) -> String {
    let mut w = XmlWriter::with_capacity(1024);
    w.raw("<?xml version=\"1.0\" encoding=\"utf-8\"?><feed xmlns=\"");
    w.raw(NAMESPACE);
    w.raw("\">");
    write_common(&mut w, &feed.id, &feed.title, &feed.updated, &feed.links);
    for e in &feed.entries {
        w.start("entry");
        write_entry_body(&mut w, content_root, content_ns, e);
        w.end("entry");
    }
    w.end("feed");
    w.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::required;

    #[derive(Debug, Default, PartialEq, Clone)]
    struct Desc {
        name: String,
        region: Option<String>,
    }

    impl FromXml for Desc {
        fn from_xml(r: &mut XmlReader<'_>, el: &Child<'_>) -> Result<Self, DecodeError> {
            let (mut name, mut region) = (None, None);
            if !el.is_empty() {
                while let Some(c) = r.next_child()? {
                    match c.name() {
                        b"Name" => name = r.text_req(&c)?,
                        b"Region" => region = r.text_opt(&c)?,
                        _ => r.skip(&c)?,
                    }
                }
            }
            Ok(Desc {
                name: required(name, "Name")?,
                region,
            })
        }
    }

    impl ToXml for Desc {
        fn write_children(&self, w: &mut XmlWriter) {
            w.text("Name", &self.name);
            w.text_opt("Region", &self.region);
        }
    }

    const SB: &str = "http://schemas.microsoft.com/netservices/2010/10/servicebus/connect";

    #[test]
    fn entry_and_feed_round_trip() {
        let doc = format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"{NAMESPACE}\"><title type=\"text\">Namespaces</title><id>uuid:1</id><updated>2013-03-19T20:14:45Z</updated>\
             <entry><id>uuid:2</id><title type=\"text\">a</title><updated>2013-02-10T23:41:46Z</updated><link rel=\"self\" href=\"https://x/a\"/>\
             <content type=\"application/xml\"><Desc xmlns=\"{SB}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><Name>a</Name><Region>West US</Region><Extra>1</Extra></Desc></content></entry>\
             <entry><content type=\"application/xml\"><Desc xmlns=\"{SB}\"><Name>b</Name></Desc></content></entry></feed>"
        );
        let feed: Feed<Desc> = feed_from_document("Desc", doc.as_bytes()).unwrap();
        assert_eq!(feed.title.as_deref(), Some("Namespaces"));
        assert_eq!(feed.entries.len(), 2);
        assert_eq!(feed.entries[0].title.as_deref(), Some("a"));
        assert_eq!(feed.entries[0].region.as_deref(), Some("West US"));
        assert_eq!(
            feed.entries[0].links[0].href.as_deref(),
            Some("https://x/a")
        );
        assert_eq!(feed.entries[1].name, "b");
        let again = feed_to_document("Desc", SB, &feed);
        let back: Feed<Desc> = feed_from_document("Desc", again.as_bytes()).unwrap();
        assert_eq!(back, feed);

        let req = content_to_document(
            "Desc",
            SB,
            &Desc {
                name: "n".into(),
                region: None,
            },
        );
        assert!(
            req.contains("<content type=\"application/xml\"><Desc xmlns=\""),
            "{req}"
        );
        assert_eq!(
            content_from_document::<Desc>("Desc", req.as_bytes())
                .unwrap()
                .name,
            "n"
        );
    }

    #[test]
    fn entry_errors() {
        let err = entry_from_document::<Desc>(
            "Desc",
            b"<entry xmlns=\"http://www.w3.org/2005/Atom\"><title>x</title></entry>",
        )
        .unwrap_err();
        assert!(
            matches!(err.kind(), DecodeErrorKind::Missing("Desc")),
            "{err}"
        );
        let err =
            entry_from_document::<Desc>("Desc", b"<feed xmlns=\"http://www.w3.org/2005/Atom\"/>")
                .unwrap_err();
        assert!(
            matches!(err.kind(), DecodeErrorKind::UnexpectedRoot { .. }),
            "{err}"
        );
        let err = entry_from_document::<Desc>(
            "Desc",
            b"<entry xmlns=\"http://www.w3.org/2005/Atom\"><content><Desc><Region>r</Region></Desc></content></entry>",
        )
        .unwrap_err();
        assert_eq!(err.path(), "/entry/content/Desc", "{err}");
        // In a feed, the index goes on the entry.
        let err = feed_from_document::<Desc>(
            "Desc",
            b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content><Desc><Name>a</Name></Desc></content></entry><entry><content><Desc/></content></entry><entry/></feed>",
        )
        .unwrap_err();
        assert_eq!(err.path(), "/feed/entry[1]/content/Desc", "{err}");
        let err = feed_from_document::<Desc>(
            "Desc",
            b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry><content><Desc><Name>a</Name></Desc></content></entry><entry/></feed>",
        )
        .unwrap_err();
        assert_eq!(err.path(), "/feed/entry[1]", "{err}");
    }
}

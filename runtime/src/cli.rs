//! What a command-line client generated from the spec is made of.
//!
//! The generated crate's `cli` feature emits one [`Command`] per operation
//! (`azure_asm::cli::COMMANDS`): the names, help texts, arguments and enum
//! values of the spec, as data, and a small typed `run` function that reads
//! the arguments through [`Args`], calls the client method and hands back
//! an [`Outcome`]. A front end (the `asm` binary, with clap) builds its
//! argument parser from the table and renders the outcome. Nothing here
//! depends on a command-line parser, and nothing here knows an operation.

use std::future::Future;
use std::pin::Pin;

use serde::Serialize;

use crate::client::OperationSpec;
use crate::error::{DecodeError, Error, ValidationError};
use crate::poll::AsyncOperation;
use crate::xml::XmlText;

/// A boxed future that need not be `Send` (a command runs on the caller's
/// task).
pub type LocalBoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + 'a>>;

/// The `run` function of a command: reads `args`, calls `client`.
pub type RunFn<C> = for<'a> fn(&'a C, &'a dyn Args) -> LocalBoxFuture<'a, Result<Outcome, Error>>;

/// One operation as a command: `<area> <name>`.
pub struct Command<C: 'static> {
    /// The area (the spec file's stem in kebab-case: `storage-accounts`).
    pub area: &'static str,
    /// The command (the operation's name in kebab-case:
    /// `create-storage-account`).
    pub name: &'static str,
    /// The operation.
    pub operation: &'static OperationSpec,
    /// One line: the first line of the operation's docs.
    pub about: &'static str,
    /// The whole docs, the method, the URI and the version.
    pub long_about: &'static str,
    /// Parameters and request body fields, in URI then body order.
    pub args: &'static [Arg],
    /// The request body, when the operation has one.
    pub body: Option<Body>,
    /// Long-running: the name of the spec's poller that follows it
    /// (`Classic`, `Networking`); the outcome is [`Outcome::Started`].
    pub poller: Option<&'static str>,
    /// Runs the command.
    pub run: RunFn<C>,
}

impl<C> std::fmt::Debug for Command<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Command")
            .field("area", &self.area)
            .field("name", &self.name)
            .field("args", &self.args)
            .field("body", &self.body)
            .finish_non_exhaustive()
    }
}

/// Where an argument goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    /// A URI placeholder.
    Path,
    /// A query parameter.
    Query,
    /// A request header.
    Header,
    /// A scalar or enum field (element or attribute) of the request body.
    Field,
}

/// One argument of a command.
#[derive(Debug, Clone, Copy)]
pub struct Arg {
    /// The argument's name (kebab-case, unique in the command): what
    /// [`Args`] is asked for, and the flag's name unless that clashes with
    /// a front end's own flags.
    pub id: &'static str,
    /// The name in the spec (`accountName`, `StartTime`, `ServiceName`).
    pub wire: &'static str,
    /// Where it goes.
    pub kind: ArgKind,
    /// The spec type (`string`, `label`, `i32`, `datetime`, an enum's name).
    pub ty: &'static str,
    /// Must be given (for a body field: unless the whole body is given).
    pub required: bool,
    /// Takes several values (a list of scalars).
    pub repeated: bool,
    /// The spec's docs, in one paragraph.
    pub help: &'static str,
    /// The enum's known values and their docs. Enums are open: other
    /// values are passed on as they are.
    pub values: &'static [(&'static str, &'static str)],
}

/// The request body of a command.
#[derive(Debug, Clone, Copy)]
pub struct Body {
    /// `xml`, `atom`, `json`, `text` or `bytes`.
    pub format: &'static str,
    /// The root element (XML and Atom), if any.
    pub root: &'static str,
    /// The type's name in the spec, if any.
    pub ty: &'static str,
    /// The command cannot be run without the whole body (a text or bytes
    /// body, or a required part that no argument sets).
    pub required: bool,
}

/// The arguments a command was given, by [`Arg::id`].
pub trait Args {
    /// The text of a single-valued argument, if given.
    fn value(&self, id: &str) -> Option<String>;
    /// The texts of a repeated argument, if given.
    fn values(&self, id: &str) -> Option<Vec<String>>;
    /// The whole request body, if given.
    fn body(&self) -> Result<Option<Vec<u8>>, Error>;
}

fn bad(id: &str, problem: String) -> Error {
    Error::InvalidInput(ValidationError::new(format!("--{id}"), problem))
}

fn parse<T: XmlText>(id: &str, text: &str) -> Result<T, Error> {
    T::parse_text(text).map_err(|what| bad(id, format!("expected {what}")))
}

/// An optional argument, parsed like element text.
pub fn opt<T: XmlText>(args: &dyn Args, id: &str) -> Result<Option<T>, Error> {
    args.value(id).map(|t| parse(id, &t)).transpose()
}

/// A required argument.
pub fn req<T: XmlText>(args: &dyn Args, id: &str) -> Result<T, Error> {
    opt(args, id)?.ok_or_else(|| bad(id, "is required".to_owned()))
}

/// A repeated argument.
pub fn all<T: XmlText>(args: &dyn Args, id: &str) -> Result<Option<Vec<T>>, Error> {
    args.values(id)
        .map(|v| v.iter().map(|t| parse(id, t)).collect())
        .transpose()
}

/// Sets a required field from its argument, if given.
pub fn set<T: XmlText>(args: &dyn Args, id: &str, slot: &mut T) -> Result<(), Error> {
    if let Some(v) = opt(args, id)? {
        *slot = v;
    }
    Ok(())
}

/// Sets an optional field from its argument, if given.
pub fn set_opt<T: XmlText>(args: &dyn Args, id: &str, slot: &mut Option<T>) -> Result<(), Error> {
    if let Some(v) = opt(args, id)? {
        *slot = Some(v);
    }
    Ok(())
}

/// Sets a list field from its repeated argument, if given.
pub fn set_all<T: XmlText>(args: &dyn Args, id: &str, slot: &mut Vec<T>) -> Result<(), Error> {
    if let Some(v) = all(args, id)? {
        *slot = v;
    }
    Ok(())
}

/// Sets an optional list field (`keep-empty`) from its repeated argument,
/// if given.
pub fn set_all_opt<T: XmlText>(
    args: &dyn Args,
    id: &str,
    slot: &mut Option<Vec<T>>,
) -> Result<(), Error> {
    if let Some(v) = all(args, id)? {
        *slot = Some(v);
    }
    Ok(())
}

/// The request body, decoded with `decode` (a generated reader).
pub fn body<T>(
    args: &dyn Args,
    decode: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
) -> Result<Option<T>, Error> {
    match args.body()? {
        None => Ok(None),
        Some(bytes) => decode(&bytes)
            .map(Some)
            .map_err(|e| bad("body", format!("not a valid request body: {e}"))),
    }
}

/// What a command did.
pub enum Outcome {
    /// It succeeded; the response has no body.
    Done,
    /// The response.
    Value(Value),
    /// A long-running operation started.
    Started(AsyncOperation),
}

impl std::fmt::Debug for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Done => f.write_str("Done"),
            Outcome::Value(v) => f.debug_tuple("Value").field(&v.format).finish(),
            Outcome::Started(op) => f.debug_tuple("Started").field(&op.request_id()).finish(),
        }
    }
}

trait ToJson {
    fn to_json(&self) -> serde_json::Value;
}

impl<T: Serialize> ToJson for T {
    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

/// A response: the typed value (for JSON and tables) and the body
/// re-encoded from it in its wire format.
pub struct Value {
    value: Box<dyn ToJson>,
    document: String,
    format: &'static str,
    headers: Vec<(&'static str, String)>,
}

impl Value {
    /// A response value and its wire document (`format`: `xml`, `atom`,
    /// `atom-feed`, `json`, `text`, `bytes`).
    pub fn new<T: Serialize + 'static>(value: T, document: String, format: &'static str) -> Self {
        Self {
            value: Box::new(value),
            document,
            format,
            headers: Vec::new(),
        }
    }

    /// Adds a typed response header.
    pub fn with_header<T: XmlText>(mut self, name: &'static str, value: Option<&T>) -> Self {
        if let Some(v) = value {
            self.headers.push((name, v.to_text().into_owned()));
        }
        self
    }

    /// The typed response headers.
    pub fn headers(&self) -> &[(&'static str, String)] {
        &self.headers
    }

    /// The body's wire format.
    pub fn format(&self) -> &'static str {
        self.format
    }

    /// The value as JSON: secrets redacted unless this runs inside
    /// [`crate::redaction::with_secrets_shown`].
    pub fn to_json(&self) -> serde_json::Value {
        self.value.to_json()
    }

    /// The wire document: secrets redacted unless this runs inside
    /// [`crate::redaction::with_secrets_shown`] (each secret's text is
    /// replaced wherever it occurs).
    pub fn document(&self) -> String {
        if crate::redaction::secrets_shown() {
            return self.document.clone();
        }
        let hidden = self.value.to_json();
        let shown = crate::redaction::with_secrets_shown(|| self.value.to_json());
        let mut secrets = Vec::new();
        collect_secrets(&shown, &hidden, &mut secrets);
        if secrets.is_empty() {
            return self.document.clone();
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        let redacted = match self.format {
            "json" | "bytes" => crate::redaction::REDACTED.to_owned(),
            _ => xml_escape(crate::redaction::REDACTED),
        };
        let mut doc = self.document.clone();
        for s in &secrets {
            for form in [json_escape(s), xml_escape(s), s.clone()] {
                if !form.is_empty() {
                    doc = doc.replace(&form, &redacted);
                }
            }
        }
        doc
    }
}

/// Strings that are shown in `shown` and redacted in `hidden`.
fn collect_secrets(shown: &serde_json::Value, hidden: &serde_json::Value, out: &mut Vec<String>) {
    use serde_json::Value as J;
    match (shown, hidden) {
        (J::String(s), J::String(h))
            if h == crate::redaction::REDACTED && s != h && !s.is_empty() =>
        {
            out.push(s.clone());
        }
        (J::Array(a), J::Array(b)) => {
            for (x, y) in a.iter().zip(b) {
                collect_secrets(x, y, out);
            }
        }
        (J::Object(a), J::Object(b)) => {
            for (k, x) in a {
                if let Some(y) = b.get(k) {
                    collect_secrets(x, y, out);
                }
            }
        }
        _ => {}
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn json_escape(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(&quoted)
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Given(HashMap<&'static str, Vec<String>>);

    impl Args for Given {
        fn value(&self, id: &str) -> Option<String> {
            self.0.get(id).and_then(|v| v.first().cloned())
        }
        fn values(&self, id: &str) -> Option<Vec<String>> {
            self.0.get(id).cloned()
        }
        fn body(&self) -> Result<Option<Vec<u8>>, Error> {
            Ok(self.value("body").map(String::into_bytes))
        }
    }

    #[test]
    fn arguments_parse_like_element_text() {
        let a = Given(HashMap::from([
            ("n", vec!["12".to_owned()]),
            ("flag", vec!["true".to_owned()]),
            ("bad", vec!["x".to_owned()]),
            ("list", vec!["1".to_owned(), "2".to_owned()]),
        ]));
        assert_eq!(req::<i32>(&a, "n").unwrap(), 12);
        assert_eq!(opt::<bool>(&a, "flag").unwrap(), Some(true));
        assert_eq!(opt::<String>(&a, "missing").unwrap(), None);
        assert_eq!(all::<i64>(&a, "list").unwrap(), Some(vec![1, 2]));
        let e = req::<i32>(&a, "bad").unwrap_err().to_string();
        assert!(e.contains("--bad") && e.contains("32-bit integer"), "{e}");
        let e = req::<i32>(&a, "missing").unwrap_err().to_string();
        assert!(e.contains("--missing"), "{e}");
    }

    #[derive(Serialize)]
    struct Keys {
        #[serde(rename = "Primary", serialize_with = "crate::redaction::secret")]
        primary: Option<String>,
        #[serde(rename = "Url")]
        url: String,
    }

    #[test]
    fn documents_are_redacted_unless_shown() {
        let keys = Keys {
            primary: Some("a+b/c&d==".into()),
            url: "https://x".into(),
        };
        let doc = "<Keys><Url>https://x</Url><Primary>a+b/c&amp;d==</Primary></Keys>".to_owned();
        let v = Value::new(keys, doc.clone(), "xml");
        assert_eq!(
            v.document(),
            "<Keys><Url>https://x</Url><Primary>&lt;redacted&gt;</Primary></Keys>"
        );
        assert_eq!(v.to_json()["Primary"], "<redacted>");
        let shown = crate::redaction::with_secrets_shown(|| (v.document(), v.to_json()));
        assert_eq!(shown.0, doc);
        assert_eq!(shown.1["Primary"], "a+b/c&d==");
    }
}

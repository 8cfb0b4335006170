//! Text output: aligned tables, key/value blocks, redaction, times.

use std::fmt::Write as _;
use std::time::Duration;

use azure_asm::DateTime;

/// A table printed with aligned columns.
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    indent: usize,
}

impl Table {
    pub fn new(headers: &[&str]) -> Self {
        Self {
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            indent: 0,
        }
    }

    /// Indents every line by `n` spaces.
    pub fn indent(mut self, n: usize) -> Self {
        self.indent = n;
        self
    }

    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.rows.push(cells.into_iter().map(Into::into).collect());
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn render(&self) -> String {
        let columns = self
            .rows
            .iter()
            .map(Vec::len)
            .chain([self.headers.len()])
            .max()
            .unwrap_or(0);
        let mut widths = vec![0usize; columns];
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let pad = " ".repeat(self.indent);
        let mut out = String::new();
        for row in std::iter::once(&self.headers).chain(&self.rows) {
            let mut line = pad.clone();
            for (i, cell) in row.iter().enumerate() {
                if i + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    let _ = write!(line, "{cell:<w$}  ", w = widths[i]);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Prints the table, or `none_message` when it has no rows.
    pub fn print_or(&self, none_message: &str) {
        if self.rows.is_empty() {
            println!("{}{none_message}", " ".repeat(self.indent));
        } else {
            print!("{}", self.render());
        }
    }
}

/// `key: value` lines with the values aligned; empty values are skipped.
#[derive(Default)]
pub struct Fields {
    items: Vec<(String, String)>,
}

impl Fields {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, key: &str, value: impl Into<String>) -> &mut Self {
        let value = value.into();
        if !value.is_empty() {
            self.items.push((key.to_owned(), value));
        }
        self
    }

    pub fn opt<T: std::fmt::Display>(&mut self, key: &str, value: Option<T>) -> &mut Self {
        if let Some(v) = value {
            self.add(key, v.to_string());
        }
        self
    }

    pub fn render(&self, indent: usize) -> String {
        let width = self
            .items
            .iter()
            .map(|(k, _)| k.chars().count() + 1)
            .max()
            .unwrap_or(0);
        let pad = " ".repeat(indent);
        let mut out = String::new();
        for (k, v) in &self.items {
            let key = format!("{k}:");
            let _ = writeln!(out, "{pad}{key:<width$}  {v}");
        }
        out
    }

    pub fn print(&self) {
        print!("{}", self.render(0));
    }
}

/// A secret shown as its first 4 characters, an ellipsis and its length.
pub fn redact(secret: &str) -> String {
    let n = secret.chars().count();
    let head: String = secret.chars().take(4.min(n / 4)).collect();
    format!("{head}… ({n} chars)")
}

/// A key as shown to the user.
pub fn show_key(key: Option<&str>, show_secrets: bool) -> String {
    match key {
        None => "-".to_owned(),
        Some(k) if show_secrets => k.to_owned(),
        Some(k) => redact(k),
    }
}

/// `2024-05-01 12:34:56Z`.
pub fn time(t: &DateTime) -> String {
    let t = t.0.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

pub fn opt_time(t: Option<&DateTime>) -> String {
    t.map(time).unwrap_or_else(|| "-".to_owned())
}

/// `0.35s`, `12.0s`, `2m05s`.
pub fn elapsed(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2}s")
    } else if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m{:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// `-` for an empty or absent value.
pub fn or_dash(v: Option<&str>) -> String {
    match v {
        Some(s) if !s.is_empty() => s.to_owned(),
        _ => "-".to_owned(),
    }
}

/// The part of an object id (a URL or path) after the subscription id.
pub fn short_object(object_id: &str, subscription_id: &str) -> String {
    let path = match object_id.split_once("://") {
        Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or(""),
        None => object_id,
    };
    let prefix = format!("/{subscription_id}/");
    match path.get(..prefix.len()) {
        Some(p) if p.eq_ignore_ascii_case(&prefix) => path[prefix.len()..].to_owned(),
        _ => path.to_owned(),
    }
}

// ---------------------------------------------------------------- any response

use serde_json::Value as Json;

/// Columns wider than this are left out of list tables (URLs, long
/// descriptions: `--output json` has everything).
const MAX_CELL: usize = 40;
/// At most this many columns in a list table.
const MAX_COLUMNS: usize = 6;

/// A response (as JSON, secrets already redacted) as text for people: a
/// table for a list response (one object holding one list, or an Atom
/// feed), aligned `key: value` lines for an object, the text of a scalar.
pub fn render_value(value: &Json) -> String {
    match value {
        Json::Null => String::new(),
        Json::Array(items) => list_table(items, 0),
        Json::Object(map) => match main_list(map) {
            Some((items, rest)) => {
                let mut out = list_table(&items, 0);
                let mut f = Fields::new();
                for (k, v) in rest {
                    f.add(&words(k), scalar_text(v).unwrap_or_default());
                }
                out.push_str(&f.render(0));
                out
            }
            None => match object_lines(map, 0) {
                lines if lines.is_empty() => "(none)\n".to_owned(),
                lines => lines,
            },
        },
        other => format!(
            "{}
",
            scalar_text(other).unwrap_or_default()
        ),
    }
}

/// The list of a list response: the one array of an object whose other
/// members are scalars (a `ContinuationToken`, say), or an Atom feed's
/// entries (their contents).
#[allow(clippy::type_complexity)]
fn main_list(map: &serde_json::Map<String, Json>) -> Option<(Vec<Json>, Vec<(&String, &Json)>)> {
    if let Some(Json::Array(entries)) = map.get("entries") {
        let items = entries
            .iter()
            .map(|e| e.get("content").cloned().unwrap_or_else(|| e.clone()))
            .collect();
        return Some((items, Vec::new()));
    }
    let arrays: Vec<_> = map.iter().filter(|(_, v)| v.is_array()).collect();
    let [(_, Json::Array(items))] = arrays.as_slice() else {
        return None;
    };
    if map.values().any(Json::is_object) {
        return None;
    }
    let rest = map
        .iter()
        .filter(|(_, v)| !v.is_array() && !v.is_null())
        .collect();
    Some((items.clone(), rest))
}

/// The text of a scalar, or of a list of scalars (joined); `None` for
/// objects and lists of objects.
fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::Null => Some(String::new()),
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(n.to_string()),
        Json::Array(items) => items
            .iter()
            .map(scalar_text)
            .collect::<Option<Vec<_>>>()
            .map(|v| v.join(", ")),
        Json::Object(_) => None,
    }
}

/// `ServiceName` → `service name`, `odata.type` → `odata type`.
fn words(key: &str) -> String {
    let mut out = String::new();
    let mut prev_lower = false;
    for c in key.chars() {
        if c == '.' || c == '_' || c == '-' {
            out.push(' ');
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower {
            out.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        out.extend(c.to_lowercase());
    }
    out
}

/// The scalar leaves of an item, one level of nesting flattened.
fn leaves(item: &Json) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Json::Object(map) = item else {
        return vec![(String::new(), scalar_text(item).unwrap_or_default())];
    };
    for (k, v) in map {
        match v {
            Json::Object(inner) => {
                for (k2, v2) in inner {
                    if let Some(t) = scalar_text(v2) {
                        out.push((k2.clone(), t));
                    }
                }
            }
            _ => match scalar_text(v) {
                Some(t) => out.push((k.clone(), t)),
                None => {
                    if let Json::Array(a) = v {
                        out.push((k.clone(), format!("[{} items]", a.len())));
                    }
                }
            },
        }
    }
    out
}

fn list_table(items: &[Json], indent: usize) -> String {
    if items.is_empty() {
        return format!(
            "{}(none)
",
            " ".repeat(indent)
        );
    }
    if items.iter().all(|i| !i.is_object()) {
        let pad = " ".repeat(indent);
        return items
            .iter()
            .map(|i| {
                format!(
                    "{pad}{}
",
                    scalar_text(i).unwrap_or_default()
                )
            })
            .collect();
    }
    let rows: Vec<Vec<(String, String)>> = items.iter().map(leaves).collect();
    let mut columns: Vec<String> = Vec::new();
    for row in &rows {
        for (k, _) in row {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
    }
    let cell = |row: &[(String, String)], col: &str| {
        row.iter()
            .find(|(k, _)| k == col)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let mut keep: Vec<String> = columns
        .iter()
        .filter(|c| {
            let widths: Vec<usize> = rows.iter().map(|r| cell(r, c).chars().count()).collect();
            widths.iter().any(|w| *w > 0) && widths.iter().all(|w| *w <= MAX_CELL)
        })
        .take(MAX_COLUMNS)
        .cloned()
        .collect();
    if keep.is_empty() {
        keep = columns.into_iter().take(1).collect();
    }
    let headers: Vec<String> = keep.iter().map(|c| words(c).to_uppercase()).collect();
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut t = Table::new(&header_refs).indent(indent);
    for row in &rows {
        t.row(keep.iter().map(|c| {
            let v = cell(row, c);
            if v.is_empty() {
                "-".to_owned()
            } else {
                v
            }
        }));
    }
    t.render()
}

fn object_lines(map: &serde_json::Map<String, Json>, indent: usize) -> String {
    let pad = " ".repeat(indent);
    let width = map
        .iter()
        .filter(|(_, v)| scalar_text(v).is_some_and(|t| !t.is_empty()))
        .map(|(k, _)| words(k).chars().count() + 1)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, v) in map {
        let key = words(k);
        match (v, scalar_text(v)) {
            (Json::Null, _) => {}
            (_, Some(text)) if text.is_empty() => {}
            (_, Some(text)) => {
                let key = format!("{key}:");
                let _ = writeln!(out, "{pad}{key:<width$}  {text}");
            }
            (Json::Object(inner), None) => {
                let _ = writeln!(out, "{pad}{key}:");
                out.push_str(&object_lines(inner, indent + 2));
            }
            (Json::Array(items), None) => {
                let _ = writeln!(out, "{pad}{key}:");
                out.push_str(&list_table(items, indent + 2));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_lists_objects_and_scalars() {
        let list = serde_json::json!({"StorageService": [
            {"Url": "https://management.example/sub/services/storageservices/aaaaaaaaaaaaaaaaaaaa",
             "ServiceName": "a", "StorageServiceProperties": {"Location": "West US", "Label": "A"}},
            {"Url": "https://x", "ServiceName": "b", "StorageServiceProperties": {"Label": "B"}},
        ]});
        assert_eq!(
            render_value(&list),
            "SERVICE NAME  LOCATION  LABEL
a             West US   A
b             -         B
"
        );
        assert_eq!(
            render_value(&serde_json::json!({"X": []})),
            "(none)
"
        );
        let obj = serde_json::json!({"Name": "g", "Capabilities": ["A", "B"],
            "Keys": {"Primary": "<redacted>"}, "Absent": null});
        assert_eq!(
            render_value(&obj),
            "name:          g
capabilities:  A, B
keys:
  primary:  <redacted>
"
        );
        assert_eq!(
            render_value(&serde_json::json!("azurewebsites.net")),
            "azurewebsites.net
"
        );
    }

    #[test]
    fn redacts() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789==";
        let r = redact(key);
        assert_eq!(r, "abcd… (38 chars)");
        assert!(!r.contains(key));
        assert_eq!(redact("abc"), "… (3 chars)");
    }

    #[test]
    fn aligns() {
        let mut t = Table::new(&["NAME", "LOCATION"]);
        t.row(["a", "West US"]);
        t.row(["longer-name", "East US"]);
        assert_eq!(
            t.render(),
            "NAME         LOCATION\na            West US\nlonger-name  East US\n"
        );
    }

    #[test]
    fn shortens_objects() {
        assert_eq!(
            short_object("https://h:1/sub-1/services/storageservices/a", "SUB-1"),
            "services/storageservices/a"
        );
        assert_eq!(short_object("/other/x", "sub"), "/other/x");
    }
}

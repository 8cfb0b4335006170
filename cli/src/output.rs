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

#[cfg(test)]
mod tests {
    use super::*;

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

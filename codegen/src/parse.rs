//! The spec language parser (see `spec/README.md`).

use heck::{ToSnakeCase, ToUpperCamelCase};

use crate::model::*;

type Result<T> = std::result::Result<T, SpecError>;

fn err(loc: &Loc, message: impl Into<String>, name: impl Into<String>) -> SpecError {
    SpecError {
        loc: loc.clone(),
        message: message.into(),
        name: name.into(),
    }
}

/// Rust keywords that cannot be field names.
const KEYWORDS: &[&str] = &[
    "as", "async", "await", "break", "const", "continue", "crate", "dyn", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub",
    "ref", "return", "self", "static", "struct", "super", "trait", "true", "type", "unsafe", "use",
    "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
    "typeof", "unsized", "virtual", "yield", "try", "gen",
];

/// A wire name with plural acronyms folded to one word (`ListReservedIPs`
/// → `ListReservedIps`), so that case conversions give `list_reserved_ips`
/// rather than `list_reserved_i_ps`.
pub fn fold_plural_acronyms(wire: &str) -> String {
    let chars: Vec<char> = wire.chars().collect();
    let mut out = String::with_capacity(wire.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_uppercase() {
            i += 1;
        }
        let run = i - start;
        let plural = run >= 2
            && chars.get(i) == Some(&'s')
            && chars.get(i + 1).is_none_or(|c| !c.is_ascii_lowercase());
        if plural {
            out.push(chars[start]);
            out.extend(chars[start + 1..i].iter().map(|c| c.to_ascii_lowercase()));
        } else {
            out.extend(&chars[start..i]);
        }
        if i < chars.len() && run == 0 {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// The Rust field or parameter name for a wire name.
pub fn rust_field_name(wire: &str) -> String {
    let snake = fold_plural_acronyms(wire).to_snake_case();
    if KEYWORDS.contains(&snake.as_str()) {
        format!("{snake}_")
    } else {
        snake
    }
}

/// The Rust variant name for an enum's wire value.
pub fn rust_variant_name(wire: &str) -> String {
    let camel = wire.to_upper_camel_case();
    if camel.starts_with(|c: char| c.is_ascii_digit()) {
        format!("V{camel}")
    } else {
        camel
    }
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_wire_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// Strips a `#` comment that is not inside double quotes.
fn strip_comment(line: &str) -> &str {
    let mut in_quotes = false;
    for (i, c) in line.char_indices() {
        match c {
            '"' => in_quotes = !in_quotes,
            '#' if !in_quotes => return line.get(..i).unwrap_or(line),
            _ => {}
        }
    }
    line
}

/// Splits on white space, keeping `"quoted strings"` (with their quotes) whole.
fn words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_quotes = false;
    for c in s.chars() {
        match c {
            '"' => {
                in_quotes = !in_quotes;
                cur.push(c);
            }
            c if c.is_whitespace() && !in_quotes => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

enum Block {
    None,
    Operation(Box<Operation>),
    Struct(Struct),
    Enum(Enum),
    Poller(Box<PollerDraft>),
    Resource(Box<Resource>),
}

/// A poller block being read.
struct PollerDraft {
    name: String,
    operation: Option<String>,
    id: Option<IdSource>,
    status: Option<String>,
    error: Option<String>,
    http_status: Option<String>,
    docs: Vec<String>,
    area: String,
    loc: Loc,
}

/// Parses one file into `spec`. `file` is the name used in errors.
pub fn parse_file(spec: &mut Spec, file: &str, area: &str, text: &str) -> Result<()> {
    let mut docs: Vec<String> = Vec::new();
    let mut block = Block::None;
    for (idx, raw) in text.lines().enumerate() {
        let loc = Loc {
            file: file.to_owned(),
            line: idx + 1,
        };
        let trimmed = raw.trim();
        if let Some(doc) = trimmed.strip_prefix("///") {
            docs.push(doc.strip_prefix(' ').unwrap_or(doc).trim_end().to_owned());
            continue;
        }
        let line = strip_comment(trimmed).trim();
        if line.is_empty() {
            continue;
        }
        if line == "}" {
            match std::mem::replace(&mut block, Block::None) {
                Block::None => return Err(err(&loc, "unmatched `}`", "}")),
                Block::Operation(op) => spec.operations.push(*op),
                Block::Struct(s) => spec.structs.push(s),
                Block::Enum(e) => spec.enums.push(e),
                Block::Poller(p) => spec.pollers.push(finish_poller(*p)?),
                Block::Resource(r) => {
                    if r.path.is_empty() || r.name_element.is_empty() {
                        return Err(err(&r.loc, "a resource needs `path` and `name`", &r.name));
                    }
                    spec.resources.push(*r)
                }
            }
            if !docs.is_empty() {
                return Err(err(
                    &loc,
                    "documentation comment before `}` documents nothing",
                    "///",
                ));
            }
            continue;
        }
        let doc = std::mem::take(&mut docs);
        match &mut block {
            Block::None => block = parse_header(line, &loc, area, doc)?,
            Block::Operation(op) => parse_operation_line(op, line, &loc, doc)?,
            Block::Struct(s) => {
                if let Some(name) = line.strip_prefix("..") {
                    let name = name.trim();
                    if !is_ident(name) {
                        return Err(err(&loc, "`..` needs a struct name", name));
                    }
                    s.splices
                        .push((s.fields.len(), name.to_owned(), loc.clone()));
                } else {
                    s.fields.push(parse_field(line, &loc, doc)?);
                }
            }
            Block::Enum(e) => e.values.push(parse_enum_value(line, &loc, doc)?),
            Block::Poller(p) => parse_poller_line(p, line, &loc)?,
            Block::Resource(r) => parse_resource_line(r, line, &loc)?,
        }
    }
    match block {
        Block::None => Ok(()),
        Block::Operation(op) => Err(err(&op.loc, "block is not closed", &op.name)),
        Block::Struct(s) => Err(err(&s.loc, "block is not closed", &s.name)),
        Block::Enum(e) => Err(err(&e.loc, "block is not closed", &e.name)),
        Block::Poller(p) => Err(err(&p.loc, "block is not closed", &p.name)),
        Block::Resource(r) => Err(err(&r.loc, "block is not closed", &r.name)),
    }
}

fn parse_poller_line(p: &mut PollerDraft, line: &str, loc: &Loc) -> Result<()> {
    let w = words(line);
    let field = |slot: &mut Option<String>, v: &[String], what: &str| -> Result<()> {
        match v {
            [name] if is_wire_name(name) => {
                if slot.is_some() {
                    return Err(err(loc, format!("`{what}` given twice"), name.as_str()));
                }
                *slot = Some(name.clone());
                Ok(())
            }
            _ => Err(err(loc, format!("expected `{what} Name`"), line)),
        }
    };
    match w.split_first() {
        Some((k, rest)) if k == "operation" => field(&mut p.operation, rest, "operation"),
        Some((k, rest)) if k == "status" => field(&mut p.status, rest, "status"),
        Some((k, rest)) if k == "error" => field(&mut p.error, rest, "error"),
        Some((k, rest)) if k == "http-status" => field(&mut p.http_status, rest, "http-status"),
        Some((k, rest)) if k == "id" => {
            let id = match rest {
                [kind, name] if kind == "header" => IdSource::Header(name.clone()),
                [kind, name] if kind == "body" && is_wire_name(name) => {
                    IdSource::Body(name.clone())
                }
                _ => {
                    return Err(err(
                        loc,
                        "expected `id header NAME` or `id body FIELD`",
                        line,
                    ))
                }
            };
            if p.id.replace(id).is_some() {
                return Err(err(loc, "`id` given twice", p.name.as_str()));
            }
            Ok(())
        }
        _ => Err(err(loc, "unknown poller line", line)),
    }
}

fn parse_resource_line(r: &mut Resource, line: &str, loc: &Loc) -> Result<()> {
    let (key, rest) = match line.split_once(char::is_whitespace) {
        Some((k, v)) => (k, v.trim()),
        None => (line, ""),
    };
    let op = |slot: &mut Option<String>, what: &str| -> Result<()> {
        if !is_ident(rest) {
            return Err(err(loc, format!("`{what}` takes an operation name"), rest));
        }
        if slot.replace(rest.to_owned()).is_some() {
            return Err(err(loc, format!("`{what}` given twice"), rest));
        }
        Ok(())
    };
    match key {
        "path" => {
            r.segments = parse_uri(rest.trim_end_matches('/'), loc)?;
            r.path = rest.to_owned();
        }
        "name" => {
            if !is_wire_name(rest) {
                return Err(err(
                    loc,
                    "`name` takes the state element holding the name",
                    rest,
                ));
            }
            r.name_element = rest.to_owned();
        }
        "scope" => {
            r.scope = match rest {
                "subscription" => Scope::Subscription,
                "global" => Scope::Global,
                _ => return Err(err(loc, "scope is `subscription` or `global`", rest)),
            }
        }
        "case-sensitive" => r.case_sensitive = true,
        "feed-title" => {
            let t = rest
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(rest);
            r.feed_title = Some(t.to_owned());
        }
        "parent" => {
            if !is_ident(rest) {
                return Err(err(loc, "`parent` takes a resource name", rest));
            }
            r.parent = Some(rest.to_owned());
        }
        "create" => op(&mut r.create, "create")?,
        "get" => {
            if !is_ident(rest) {
                return Err(err(loc, "`get` takes an operation name", rest));
            }
            r.get.push(rest.to_owned());
        }
        "upsert" => r.upsert = true,
        "shown-in" => {
            let w = words(rest);
            let when = |c: &str| -> Result<(String, String)> {
                let (k, v) = c
                    .split_once('=')
                    .ok_or_else(|| err(loc, "expected `when name=value`", c))?;
                Ok((k.to_owned(), v.to_owned()))
            };
            r.shown_in = Some(match w.as_slice() {
                [wrapper] if is_wire_name(wrapper) => (wrapper.clone(), None),
                [wrapper, kw, cond] if kw == "when" && is_wire_name(wrapper) => {
                    (wrapper.clone(), Some(when(cond)?))
                }
                _ => {
                    return Err(err(
                        loc,
                        "expected `shown-in WrapperElement [when query=value]`",
                        rest,
                    ))
                }
            });
        }
        "list" => op(&mut r.list, "list")?,
        "update" => op(&mut r.update, "update")?,
        "delete" => {
            if !is_ident(rest) {
                return Err(err(loc, "`delete` takes an operation name", rest));
            }
            r.delete.push(rest.to_owned());
        }
        "check" => {
            let w = words(rest);
            let (name, result, reason) = match w.as_slice() {
                [n, res] => (n, res, None),
                [n, res, why] => (n, res, Some(why.clone())),
                _ => {
                    return Err(err(
                        loc,
                        "expected `check Operation ResultElement [ReasonElement]`",
                        rest,
                    ))
                }
            };
            r.check = Some((name.clone(), result.clone(), reason));
        }
        "set" | "set-always" => {
            let (el, value) = rest
                .split_once('=')
                .ok_or_else(|| err(loc, "expected `set Element = value`", rest))?;
            let el = el.trim();
            if !is_wire_name(el) {
                return Err(err(loc, "invalid element name", el));
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            r.set
                .push((el.to_owned(), value.to_owned(), key == "set-always"));
        }
        other => return Err(err(loc, "unknown resource line", other)),
    }
    Ok(())
}

fn finish_poller(p: PollerDraft) -> Result<Poller> {
    let missing = |what: &str| err(&p.loc, format!("poller has no `{what}`"), &p.name);
    Ok(Poller {
        operation: p.operation.clone().ok_or_else(|| missing("operation"))?,
        id: p.id.clone().ok_or_else(|| missing("id"))?,
        status: p.status.clone().ok_or_else(|| missing("status"))?,
        error: p.error,
        http_status: p.http_status,
        name: p.name,
        docs: p.docs,
        area: p.area,
        loc: p.loc,
    })
}

fn parse_header(line: &str, loc: &Loc, area: &str, docs: Vec<String>) -> Result<Block> {
    let w = words(line);
    let (kind, name, ns, brace) = match w.as_slice() {
        [k, n, b] => (k.as_str(), n.as_str(), None, b.as_str()),
        [k, n, a, b] if k == "struct" => {
            let v = a
                .strip_prefix("ns=")
                .ok_or_else(|| err(loc, "a struct takes only `ns=\"uri\"`", a.as_str()))?;
            (k.as_str(), n.as_str(), Some(unquote(v, a, loc)?.to_owned()), b.as_str())
        }
        _ => {
            return Err(err(
                loc,
                "expected `operation NAME {`, `struct NAME [ns=\"uri\"] {`, `enum NAME {` or `poller NAME {`",
                line,
            ))
        }
    };
    if brace != "{" {
        return Err(err(loc, "expected `{` after the name", name));
    }
    if !is_ident(name) || !name.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Err(err(loc, "names must be UpperCamelCase identifiers", name));
    }
    Ok(match kind {
        "operation" => Block::Operation(Box::new(Operation {
            name: name.to_owned(),
            docs,
            method: String::new(),
            uri: String::new(),
            segments: Vec::new(),
            trailing_slash: false,
            path: Vec::new(),
            query: Vec::new(),
            headers: Vec::new(),
            fixed_headers: Vec::new(),
            response_headers: Vec::new(),
            content_type: None,
            request: None,
            response: None,
            status: Vec::new(),
            poller: None,
            poller_params: Vec::new(),
            same_wire_as: None,
            version: String::new(),
            paged: None,
            sources: Vec::new(),
            area: area.to_owned(),
            loc: loc.clone(),
        })),
        "struct" => Block::Struct(Struct {
            name: name.to_owned(),
            fields: Vec::new(),
            namespace: ns,
            splices: Vec::new(),
            docs,
            area: area.to_owned(),
            loc: loc.clone(),
        }),
        "enum" => Block::Enum(Enum {
            name: name.to_owned(),
            values: Vec::new(),
            docs,
            area: area.to_owned(),
            loc: loc.clone(),
        }),
        "resource" => Block::Resource(Box::new(Resource {
            name: name.to_owned(),
            path: String::new(),
            segments: Vec::new(),
            name_element: String::new(),
            scope: Scope::Subscription,
            case_sensitive: false,
            parent: None,
            create: None,
            get: Vec::new(),
            list: None,
            update: None,
            delete: Vec::new(),
            check: None,
            set: Vec::new(),
            feed_title: None,
            upsert: false,
            shown_in: None,
            docs,
            area: area.to_owned(),
            loc: loc.clone(),
        })),
        "poller" => Block::Poller(Box::new(PollerDraft {
            name: name.to_owned(),
            operation: None,
            id: None,
            status: None,
            error: None,
            http_status: None,
            docs,
            area: area.to_owned(),
            loc: loc.clone(),
        })),
        other => return Err(err(loc, "unknown item kind", other)),
    })
}

fn parse_type(s: &str, loc: &Loc) -> Result<TypeRef> {
    if let Some(sc) = Scalar::parse(s) {
        return Ok(TypeRef::Scalar(sc));
    }
    if is_ident(s) && s.starts_with(|c: char| c.is_ascii_uppercase()) {
        return Ok(TypeRef::Named(s.to_owned()));
    }
    Err(err(loc, "unknown type", s))
}

/// Attributes other than limits.
#[derive(Default)]
struct Extra {
    sensitive: bool,
    keep_empty: bool,
    fixed: Option<String>,
    rust: Option<String>,
    ns: Option<String>,
    prefix: Option<String>,
}

fn unquote<'a>(v: &'a str, a: &str, loc: &Loc) -> Result<&'a str> {
    v.strip_prefix('"')
        .and_then(|p| p.strip_suffix('"'))
        .ok_or_else(|| err(loc, "value must be quoted", a))
}

fn parse_limits(attrs: &[String], loc: &Loc, extra: &mut Extra) -> Result<Limits> {
    let mut limits = Limits::default();
    for a in attrs {
        if a == "sensitive" {
            extra.sensitive = true;
            continue;
        }
        if a == "keep-empty" {
            extra.keep_empty = true;
            continue;
        }
        let Some((k, v)) = a.split_once('=') else {
            return Err(err(loc, "unknown attribute", a));
        };
        let int = || {
            v.parse::<i64>()
                .map_err(|_| err(loc, "expected an integer", a.as_str()))
        };
        match k {
            "max" => limits.max = Some(int()?),
            "min" => limits.min = Some(int()?),
            "pattern" => {
                let p = unquote(v, a, loc)?;
                if regex::Regex::new(p).is_err() {
                    return Err(err(loc, "invalid regular expression", p));
                }
                limits.pattern = Some(p.to_owned());
            }
            "rust" => {
                if !is_ident(v) {
                    return Err(err(loc, "rust= needs an identifier", v));
                }
                extra.rust = Some(v.to_owned());
            }
            "ns" => extra.ns = Some(unquote(v, a, loc)?.to_owned()),
            "fixed" => extra.fixed = Some(unquote(v, a, loc)?.to_owned()),
            "prefix" => {
                if !is_ident(v) {
                    return Err(err(loc, "prefix= needs an identifier", v));
                }
                extra.prefix = Some(v.to_owned());
            }
            _ => return Err(err(loc, "unknown attribute", k)),
        }
    }
    Ok(limits)
}

/// Splits `Name: rest` at the first colon.
fn split_name<'a>(line: &'a str, loc: &Loc) -> Result<(&'a str, &'a str)> {
    let (name, rest) = line
        .split_once(':')
        .ok_or_else(|| err(loc, "expected `Name: type`", line))?;
    let name = name.trim();
    if !is_wire_name(name) {
        return Err(err(loc, "invalid element or parameter name", name));
    }
    Ok((name, rest.trim()))
}

fn parse_field(line: &str, loc: &Loc, docs: Vec<String>) -> Result<Field> {
    let (attribute, line) = match line.strip_prefix('@') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let (element, rest) = split_name(line, loc)?;
    let (ty, item, card, attrs_text) = if let Some(inner_rest) = rest.strip_prefix('[') {
        let close = inner_rest
            .find(']')
            .ok_or_else(|| err(loc, "unclosed `[`", element))?;
        let inner = inner_rest.get(..close).unwrap_or_default().trim();
        let after = inner_rest.get(close + 1..).unwrap_or_default();
        let (optional, after) = match after.strip_prefix('?') {
            Some(a) => (true, a),
            None => (false, after),
        };
        let (item, ty) = match inner.split_once(':') {
            Some((i, t)) => {
                let i = i.trim();
                if !is_wire_name(i) {
                    return Err(err(loc, "invalid item element name", i));
                }
                (i.to_owned(), parse_type(t.trim(), loc)?)
            }
            None => {
                let ty = parse_type(inner, loc)?;
                match &ty {
                    TypeRef::Named(n) => (n.clone(), ty),
                    TypeRef::Scalar(_) => {
                        return Err(err(
                            loc,
                            "a list of scalars needs an item element: `[Item: type]`",
                            element,
                        ))
                    }
                }
            }
        };
        (ty, Some(item), Card::List { always: !optional }, after)
    } else {
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '?' || c == '*')
            .unwrap_or(rest.len());
        let ty = parse_type(rest.get(..end).unwrap_or_default(), loc)?;
        let after = rest.get(end..).unwrap_or_default();
        let (card, after) = if let Some(a) = after.strip_prefix('?') {
            (Card::Optional, a)
        } else if let Some(a) = after.strip_prefix('*') {
            (Card::Repeated, a)
        } else {
            (Card::Required, after)
        };
        (ty, None, card, after)
    };
    if !attrs_text.is_empty() && !attrs_text.starts_with(char::is_whitespace) {
        return Err(err(loc, "unexpected text after the type", attrs_text));
    }
    let mut extra = Extra::default();
    let limits = parse_limits(&words(attrs_text), loc, &mut extra)?;
    let namespace = match (extra.ns, extra.prefix) {
        (Some(uri), prefix) => Some((prefix, uri)),
        (None, Some(_)) => return Err(err(loc, "prefix= needs ns=", element)),
        (None, None) => None,
    };
    if extra.fixed.is_some()
        && (card != Card::Required || !matches!(ty, TypeRef::Scalar(Scalar::String)) || attribute)
    {
        return Err(err(
            loc,
            "fixed= applies to required string elements",
            element,
        ));
    }
    if attribute && !matches!(card, Card::Required | Card::Optional) {
        return Err(err(
            loc,
            "an attribute is a single value (no `*` or list)",
            element,
        ));
    }
    if extra.keep_empty && !matches!(card, Card::List { always: false }) {
        return Err(err(
            loc,
            "keep-empty applies to optional wrapped lists (`[X]?`)",
            element,
        ));
    }
    Ok(Field {
        rust: extra.rust.unwrap_or_else(|| rust_field_name(element)),
        element: element.to_owned(),
        ty,
        item,
        card,
        limits,
        sensitive: extra.sensitive,
        namespace,
        attribute,
        keep_empty: extra.keep_empty,
        fixed: extra.fixed,
        docs,
        loc: loc.clone(),
    })
}

fn parse_param(rest: &str, loc: &Loc, docs: Vec<String>) -> Result<Param> {
    // OData query options (`$skip`, `$top`, `$filter`) keep their `$`.
    let (dollar, rest) = match rest.strip_prefix('$') {
        Some(r) => ("$", r),
        None => ("", rest),
    };
    let (name, rest) = split_name(rest, loc)?;
    let name = &format!("{dollar}{name}");
    let w = words(rest);
    let (first, attrs) = w
        .split_first()
        .ok_or_else(|| err(loc, "expected a type", name))?;
    let (ty, optional) = match first.strip_suffix('?') {
        Some(t) => (t, true),
        None => (first.as_str(), false),
    };
    let ty = parse_type(ty, loc)?;
    let mut extra = Extra::default();
    let limits = parse_limits(attrs, loc, &mut extra)?;
    if extra.ns.is_some()
        || extra.prefix.is_some()
        || extra.sensitive
        || extra.keep_empty
        || extra.fixed.is_some()
    {
        return Err(err(
            loc,
            "ns=, prefix=, fixed=, sensitive and keep-empty apply to struct fields only",
            name,
        ));
    }
    Ok(Param {
        rust: extra.rust.unwrap_or_else(|| rust_field_name(name)),
        name: name.to_owned(),
        ty,
        optional,
        limits,
        docs,
        loc: loc.clone(),
    })
}

fn parse_body(rest: &str, loc: &Loc) -> Result<Body> {
    let mut w = words(rest);
    let mut namespace = None;
    if let Some(last) = w.last() {
        if let Some(v) = last.strip_prefix("ns=") {
            namespace = Some(unquote(v, last, loc)?.to_owned());
            w.pop();
        }
    }
    let (format, rest) = match w.first().and_then(|f| Format::parse(f)) {
        Some(f) => (f, w.get(1..).unwrap_or_default().join(" ")),
        None => (Format::Xml, w.join(" ")),
    };
    let rest = rest.trim();
    if rest.is_empty() {
        if matches!(format, Format::Text | Format::Bytes) {
            return Ok(Body {
                format,
                root: String::new(),
                ty: None,
                namespace,
                array: false,
                loc: loc.clone(),
            });
        }
        return Err(err(loc, "expected a root element or type", rest));
    }
    // `json Type*`: the document is an array of `Type`.
    let (rest, array) = match rest.strip_suffix('*') {
        Some(r) if format == Format::Json => (r.trim(), true),
        _ => (rest, false),
    };
    let (root, ty) = match rest.split_once(':') {
        Some((r, t)) => (r.trim(), t.trim()),
        None => (rest, rest),
    };
    if !is_wire_name(root) {
        return Err(err(loc, "invalid root element name", root));
    }
    let ty = parse_type(ty, loc)?;
    if format == Format::Json && root != rest {
        return Err(err(loc, "a JSON body names only its type", rest));
    }
    Ok(Body {
        format,
        root: if format == Format::Json {
            String::new()
        } else {
            root.to_owned()
        },
        ty: Some(ty),
        namespace,
        array,
        loc: loc.clone(),
    })
}

fn parse_operation_line(
    op: &mut Operation,
    line: &str,
    loc: &Loc,
    docs: Vec<String>,
) -> Result<()> {
    let (key, rest) = match line.split_once(char::is_whitespace) {
        Some((k, r)) => (k, r.trim()),
        None => (line, ""),
    };
    let once = |set: bool, what: &str| {
        if set {
            Err(err(loc, format!("`{what}` given twice"), op.name.as_str()))
        } else {
            Ok(())
        }
    };
    match key {
        "method" => {
            once(!op.method.is_empty(), "method")?;
            if !matches!(rest, "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD") {
                return Err(err(loc, "unknown HTTP method", rest));
            }
            op.method = rest.to_owned();
        }
        "uri" => {
            once(!op.uri.is_empty(), "uri")?;
            op.trailing_slash = rest.len() > 1 && rest.ends_with('/');
            op.segments = parse_uri(rest.trim_end_matches('/'), loc)?;
            op.uri = rest.to_owned();
        }
        "version" => {
            once(!op.version.is_empty(), "version")?;
            let ok = rest.len() == 10
                && rest.chars().enumerate().all(|(i, c)| {
                    if i == 4 || i == 7 {
                        c == '-'
                    } else {
                        c.is_ascii_digit()
                    }
                });
            if !ok {
                return Err(err(loc, "version must look like 2014-10-01", rest));
            }
            op.version = rest.to_owned();
        }
        "path" => op.path.push(parse_param(rest, loc, docs)?),
        "header" => {
            if let Some((name, value)) = rest.split_once('=').filter(|(n, _)| !n.contains(':')) {
                let name = name.trim();
                if !is_wire_name(name) {
                    return Err(err(loc, "invalid header name", name));
                }
                op.fixed_headers
                    .push((name.to_owned(), value.trim().to_owned()));
            } else {
                op.headers.push(parse_param(rest, loc, docs)?);
            }
        }
        "response-header" => op.response_headers.push(parse_param(rest, loc, docs)?),
        "content-type" => {
            once(op.content_type.is_some(), "content-type")?;
            if rest.is_empty() || rest.contains(char::is_whitespace) && !rest.contains(';') {
                return Err(err(loc, "expected a media type", rest));
            }
            op.content_type = Some(rest.to_owned());
        }
        "same-wire-as" => {
            once(op.same_wire_as.is_some(), "same-wire-as")?;
            if !is_ident(rest) {
                return Err(err(loc, "expected an operation name", rest));
            }
            op.same_wire_as = Some(rest.to_owned());
        }
        "query" => {
            if let Some((name, value)) = rest.split_once('=').filter(|(n, _)| !n.contains(':')) {
                let name = name.trim();
                if !is_wire_name(name) && !name.starts_with('$') {
                    return Err(err(loc, "invalid query parameter name", name));
                }
                op.query.push(Query::Fixed {
                    name: name.to_owned(),
                    value: value.trim().to_owned(),
                });
            } else {
                op.query.push(Query::Param(parse_param(rest, loc, docs)?));
            }
        }
        "request" => {
            once(op.request.is_some(), "request")?;
            op.request = Some(parse_body(rest, loc)?);
        }
        "response" => {
            once(op.response.is_some(), "response")?;
            op.response = Some(parse_body(rest, loc)?);
        }
        "status" => {
            once(!op.status.is_empty(), "status")?;
            for s in rest.split_whitespace() {
                let code = |t: &str| -> Result<u16> {
                    t.parse()
                        .ok()
                        .filter(|c| (100..600).contains(c))
                        .ok_or_else(|| err(loc, "invalid status code", s))
                };
                let range = match s.split_once('-') {
                    Some((lo, hi)) => (code(lo)?, code(hi)?),
                    None => (code(s)?, code(s)?),
                };
                if range.0 > range.1 {
                    return Err(err(loc, "empty status range", s));
                }
                op.status.push(range);
            }
            if op.status.is_empty() {
                return Err(err(loc, "status needs at least one code", op.name.as_str()));
            }
        }
        "async" => {
            once(op.poller.is_some(), "async")?;
            // `async [Poller] [statusParam=ownParam ...]`
            let mut w = rest.split_whitespace().peekable();
            let poller = match w.peek() {
                Some(first) if !first.contains('=') => w.next().unwrap_or("Classic"),
                _ => "Classic",
            };
            if !is_ident(poller) {
                return Err(err(loc, "`async` takes a poller name", rest));
            }
            for pair in w {
                match pair.split_once('=') {
                    Some((status, own)) if is_ident(status) && is_ident(own) => {
                        op.poller_params.push((status.to_owned(), own.to_owned()));
                    }
                    _ => {
                        return Err(err(
                            loc,
                            "expected `statusParam=ownParam` after the poller name",
                            pair,
                        ))
                    }
                }
            }
            op.poller = Some(poller.to_owned());
        }
        "paged" => {
            once(op.paged.is_some(), "paged")?;
            let w = words(rest);
            match w.as_slice() {
                [token, items] => op.paged = Some((token.clone(), items.clone())),
                _ => return Err(err(loc, "expected `paged TokenField ItemsField`", rest)),
            }
        }
        "source" => op.sources.push(rest.to_owned()),
        other => return Err(err(loc, "unknown operation line", other)),
    }
    Ok(())
}

fn parse_uri(uri: &str, loc: &Loc) -> Result<Vec<Segment>> {
    if !uri.starts_with('/') {
        return Err(err(loc, "the URI template must start with `/`", uri));
    }
    if uri.contains('?') {
        return Err(err(
            loc,
            "leave the query string out of `uri`; use `query` lines",
            uri,
        ));
    }
    let mut segs = Vec::new();
    if uri.is_empty() {
        return Err(err(loc, "the URI template must start with `/`", uri));
    }
    for part in uri.split('/').skip(1) {
        if part.is_empty() {
            return Err(err(loc, "empty URI segment", uri));
        }
        let pieces = parse_segment(part, loc)?;
        match <[Segment; 1]>::try_from(pieces) {
            Ok([one]) => segs.push(one),
            Err(many) => {
                if many
                    .windows(2)
                    .any(|w| matches!(w, [Segment::Param(_), Segment::Param(_)]))
                {
                    return Err(err(
                        loc,
                        "two placeholders need literal text between them",
                        part,
                    ));
                }
                segs.push(Segment::Mixed(many));
            }
        }
    }
    Ok(segs)
}

/// One segment's pieces: literal text and `{placeholder}`s.
fn parse_segment(part: &str, loc: &Loc) -> Result<Vec<Segment>> {
    let mut out = Vec::new();
    let mut rest = part;
    while !rest.is_empty() {
        match rest.find('{') {
            Some(0) => {
                let close = rest
                    .find('}')
                    .ok_or_else(|| err(loc, "unclosed `{` in the URI", part))?;
                let name = rest.get(1..close).unwrap_or_default();
                if !is_ident(name) {
                    return Err(err(loc, "invalid placeholder name", name));
                }
                out.push(Segment::Param(name.to_owned()));
                rest = rest.get(close + 1..).unwrap_or_default();
            }
            found => {
                let end = found.unwrap_or(rest.len());
                let lit = rest.get(..end).unwrap_or_default();
                if lit.contains('}') {
                    return Err(err(loc, "invalid URI segment", part));
                }
                out.push(Segment::Literal(lit.to_owned()));
                rest = rest.get(end..).unwrap_or_default();
            }
        }
    }
    Ok(out)
}

fn parse_enum_value(line: &str, loc: &Loc, docs: Vec<String>) -> Result<EnumValue> {
    let mut line = line.trim();
    let mut tag = None;
    for (word, t) in [
        ("pending", PollTag::Pending),
        ("success", PollTag::Success),
        ("failure", PollTag::Failure),
    ] {
        if let Some(rest) = line.strip_suffix(word) {
            if rest.ends_with(char::is_whitespace) {
                tag = Some(t);
                line = rest.trim_end();
                break;
            }
        }
    }
    let (wire, rust) = match line.split_once('=') {
        Some((w, r)) => (w.trim(), Some(r.trim())),
        None => (line.trim(), None),
    };
    if wire.is_empty() || wire.contains(char::is_whitespace) {
        return Err(err(loc, "an enum value is one word", wire));
    }
    let rust = match rust {
        Some(r) if is_ident(r) => r.to_owned(),
        Some(r) => return Err(err(loc, "invalid Rust variant name", r)),
        None => rust_variant_name(wire),
    };
    Ok(EnumValue {
        wire: wire.to_owned(),
        rust,
        tag,
        docs,
        loc: loc.clone(),
    })
}

#[cfg(test)]
mod plural_acronym_tests {
    use super::*;

    #[test]
    fn plural_acronyms_are_one_word() {
        assert_eq!(rust_field_name("ListReservedIPs"), "list_reserved_ips");
        assert_eq!(rust_field_name("GetReservedIP"), "get_reserved_ip");
        assert_eq!(rust_field_name("ListOSImages"), "list_os_images");
        assert_eq!(fold_plural_acronyms("IPsecPolicy"), "IPsecPolicy");
        assert_eq!(fold_plural_acronyms("VMs"), "Vms");
        assert_eq!(fold_plural_acronyms("OSImage"), "OSImage");
    }
}

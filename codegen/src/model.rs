//! The intermediate model the spec is loaded into. Emitters only walk it.

use std::fmt;

/// Where an item was declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    /// The spec file, relative to the spec directory's parent (`spec/x.spec`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A spec error: `spec/x.spec:12: message (`name`)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// Where.
    pub loc: Loc,
    /// What.
    pub message: String,
    /// The offending name.
    pub name: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.loc, self.message)?;
        if !self.name.is_empty() {
            write!(f, " (`{}`)", self.name)?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// A whole spec: every file's items.
#[derive(Debug, Default, Clone)]
pub struct Spec {
    /// Area names (file stems), sorted.
    pub areas: Vec<String>,
    /// Operations, in file order then declaration order.
    pub operations: Vec<Operation>,
    /// Structs.
    pub structs: Vec<Struct>,
    /// Enums.
    pub enums: Vec<Enum>,
}

/// Scalar types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    /// UTF-8 text.
    String,
    /// `true`/`false`.
    Bool,
    /// 32-bit integer.
    I32,
    /// 64-bit integer.
    I64,
    /// ISO 8601 date-time.
    DateTime,
    /// Bytes as base64 text.
    Base64,
    /// Text as base64 text.
    Label,
    /// A GUID, kept as text.
    Guid,
}

impl Scalar {
    /// The spec keyword.
    pub fn parse(s: &str) -> Option<Scalar> {
        Some(match s {
            "string" => Scalar::String,
            "bool" => Scalar::Bool,
            "i32" => Scalar::I32,
            "i64" => Scalar::I64,
            "datetime" => Scalar::DateTime,
            "base64" => Scalar::Base64,
            "label" => Scalar::Label,
            "guid" => Scalar::Guid,
            _ => return None,
        })
    }

    /// Text-like (length limits apply, `&str` parameters).
    pub fn is_text(self) -> bool {
        matches!(self, Scalar::String | Scalar::Label | Scalar::Guid)
    }
}

/// A reference to a type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeRef {
    /// A scalar.
    Scalar(Scalar),
    /// A struct or enum, by name.
    Named(String),
}

/// How often a field occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Card {
    /// Exactly once.
    Required,
    /// At most once.
    Optional,
    /// Repeated, no wrapper.
    Repeated,
    /// Wrapped list; `always`: the wrapper is written even when empty.
    List {
        /// Write an empty wrapper.
        always: bool,
    },
}

/// Limits on a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Limits {
    /// Minimum length / value.
    pub min: Option<i64>,
    /// Maximum length / value.
    pub max: Option<i64>,
    /// Anchored regular expression.
    pub pattern: Option<String>,
}

impl Limits {
    /// No limits at all.
    pub fn is_empty(&self) -> bool {
        self.min.is_none() && self.max.is_none() && self.pattern.is_none()
    }
}

/// A struct field = an XML child element.
#[derive(Debug, Clone)]
pub struct Field {
    /// Element name.
    pub element: String,
    /// Rust field name.
    pub rust: String,
    /// Type (of the items, for lists).
    pub ty: TypeRef,
    /// Item element name, for wrapped lists.
    pub item: Option<String>,
    /// Cardinality.
    pub card: Card,
    /// Limits.
    pub limits: Limits,
    /// Never printed by `Debug`.
    pub sensitive: bool,
    /// An element namespace other than the service's: (prefix, URI).
    pub namespace: Option<(Option<String>, String)>,
    /// Docs.
    pub docs: Vec<String>,
    /// Where.
    pub loc: Loc,
}

/// A spec `struct`.
#[derive(Debug, Clone)]
pub struct Struct {
    /// Type name.
    pub name: String,
    /// Fields in wire order.
    pub fields: Vec<Field>,
    /// Docs.
    pub docs: Vec<String>,
    /// Area (file stem).
    pub area: String,
    /// Where.
    pub loc: Loc,
}

/// An enum value.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// The wire text.
    pub wire: String,
    /// The Rust variant.
    pub rust: String,
    /// Docs.
    pub docs: Vec<String>,
    /// Where.
    pub loc: Loc,
}

/// A spec `enum`.
#[derive(Debug, Clone)]
pub struct Enum {
    /// Type name.
    pub name: String,
    /// Known values.
    pub values: Vec<EnumValue>,
    /// Docs.
    pub docs: Vec<String>,
    /// Area.
    pub area: String,
    /// Where.
    pub loc: Loc,
}

/// A path, query or header parameter.
#[derive(Debug, Clone)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Rust name.
    pub rust: String,
    /// Type.
    pub ty: TypeRef,
    /// Optional (query and headers).
    pub optional: bool,
    /// Limits.
    pub limits: Limits,
    /// Docs.
    pub docs: Vec<String>,
    /// Where.
    pub loc: Loc,
}

/// A query parameter.
#[derive(Debug, Clone)]
pub enum Query {
    /// Always sent with this value.
    Fixed {
        /// Name.
        name: String,
        /// Value.
        value: String,
    },
    /// A parameter.
    Param(Param),
}

/// A request or response body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Root element.
    pub root: String,
    /// Type (a struct).
    pub ty: String,
    /// Where.
    pub loc: Loc,
}

/// A URI template segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Literal text.
    Literal(String),
    /// `{name}`.
    Param(String),
}

/// An operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// Documented name.
    pub name: String,
    /// Docs.
    pub docs: Vec<String>,
    /// HTTP method.
    pub method: String,
    /// URI template.
    pub uri: String,
    /// Parsed template.
    pub segments: Vec<Segment>,
    /// Path parameters, in template order (declared or implied).
    pub path: Vec<Param>,
    /// Query parameters.
    pub query: Vec<Query>,
    /// Request headers.
    pub headers: Vec<Param>,
    /// Request body.
    pub request: Option<Body>,
    /// Response body.
    pub response: Option<Body>,
    /// Success codes.
    pub status: Vec<u16>,
    /// 202 + request id.
    pub is_async: bool,
    /// `x-ms-version`.
    pub version: String,
    /// Paging: (token field/parameter, items field).
    pub paged: Option<(String, String)>,
    /// Where the facts came from.
    pub sources: Vec<String>,
    /// Area.
    pub area: String,
    /// Where.
    pub loc: Loc,
}

impl Spec {
    /// A struct by name.
    pub fn find_struct(&self, name: &str) -> Option<&Struct> {
        self.structs.iter().find(|s| s.name == name)
    }

    /// An enum by name.
    pub fn find_enum(&self, name: &str) -> Option<&Enum> {
        self.enums.iter().find(|e| e.name == name)
    }
}

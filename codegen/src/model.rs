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
    /// Pollers of long-running operations.
    pub pollers: Vec<Poller>,
    /// Resources the emulator serves generically.
    pub resources: Vec<Resource>,
}

/// Where a resource's name must be unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Within its subscription (and parent).
    Subscription,
    /// Across every subscription (DNS names: cloud services, namespaces).
    Global,
}

/// A spec `resource`: what a resource is, for the emulator's generic
/// engine (which operations create, read, list, update, delete and check
/// it; its key; its parent; the fields the service fills itself).
#[derive(Debug, Clone)]
pub struct Resource {
    /// Name.
    pub name: String,
    /// Its URI template (the last placeholder is its key).
    pub path: String,
    /// Parsed template.
    pub segments: Vec<Segment>,
    /// The state element that holds its name (also read from the create body).
    pub name_element: String,
    /// Where names are unique.
    pub scope: Scope,
    /// Names compare case-sensitively.
    pub case_sensitive: bool,
    /// The parent resource, if any.
    pub parent: Option<String>,
    /// Operations by role.
    pub create: Option<String>,
    /// Reads (a detailed read may be another operation on the same path).
    pub get: Vec<String>,
    /// List (of the parent's, or the subscription's, resources).
    pub list: Option<String>,
    /// Update (merge the request into the state, by element).
    pub update: Option<String>,
    /// Delete (one or more: Delete Hosted Service, and Delete Hosted Service
    /// and Contents, which is asynchronous).
    pub delete: Vec<String>,
    /// Name availability: (operation, result element, reason element).
    pub check: Option<(String, String, Option<String>)>,
    /// Fields the service fills itself: (element, template, also on update).
    pub set: Vec<(String, String, bool)>,
    /// The title of an Atom feed listing it (`feed-title`).
    pub feed_title: Option<String>,
    /// A create on an existing name replaces it (PUT semantics: Set Rule,
    /// Set Route) instead of a conflict.
    pub upsert: bool,
    /// A child shown in its parent's reads, under this wrapper element,
    /// optionally only when a query parameter has a value
    /// (`shown-in Rules when detaillevel=Full`).
    pub shown_in: Option<(String, Option<(String, String)>)>,
    /// Docs.
    pub docs: Vec<String>,
    /// Area.
    pub area: String,
    /// Where.
    pub loc: Loc,
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
    /// A finite floating-point number.
    F64,
    /// An ISO 8601 duration (`PT5M`), kept as text.
    Duration,
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
            "f64" => Scalar::F64,
            "duration" => Scalar::Duration,
            _ => return None,
        })
    }

    /// Text-like (length limits apply, `&str` parameters).
    pub fn is_text(self) -> bool {
        matches!(
            self,
            Scalar::String | Scalar::Label | Scalar::Guid | Scalar::Duration
        )
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
    /// An XML attribute of the element (`@name`), not a child element.
    pub attribute: bool,
    /// A wrapped list whose empty wrapper is a value (`Option<Vec<T>>`).
    pub keep_empty: bool,
    /// A constant the writer always sends (`fixed="..."`): no Rust field.
    pub fixed: Option<String>,
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
    /// Fields in wire order (attributes first, then elements).
    pub fields: Vec<Field>,
    /// The element namespace of the type (`ns="..."`); `None`: the service's.
    pub namespace: Option<String>,
    /// `..Other` splices, resolved by validation: (position in `fields`,
    /// struct name, where).
    pub splices: Vec<(usize, String, Loc)>,
    /// Docs.
    pub docs: Vec<String>,
    /// Area (file stem).
    pub area: String,
    /// Where.
    pub loc: Loc,
}

/// What an enum value means to a poller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollTag {
    /// Still running.
    Pending,
    /// Finished well.
    Success,
    /// Finished with an error.
    Failure,
}

/// An enum value.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// The wire text.
    pub wire: String,
    /// The Rust variant.
    pub rust: String,
    /// Its meaning to a poller, if any.
    pub tag: Option<PollTag>,
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

/// How a body is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// An XML document.
    Xml,
    /// An Atom `<entry>` whose `<content>` holds the root.
    Atom,
    /// An Atom `<feed>` of such entries.
    AtomFeed,
    /// A JSON document.
    Json,
    /// Raw text (with a schema type: an XML document kept as text).
    Text,
    /// Raw bytes.
    Bytes,
}

impl Format {
    /// The spec keyword.
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s {
            "xml" => Format::Xml,
            "atom" => Format::Atom,
            "atom-feed" => Format::AtomFeed,
            "json" => Format::Json,
            "text" => Format::Text,
            "bytes" => Format::Bytes,
            _ => return None,
        })
    }

    /// The default request `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "application/xml",
            Format::Atom | Format::AtomFeed => "application/atom+xml",
            Format::Json => "application/json",
            Format::Text => "text/plain",
            Format::Bytes => "application/octet-stream",
        }
    }
}

/// A request or response body.
#[derive(Debug, Clone)]
pub struct Body {
    /// Format.
    pub format: Format,
    /// Root element (the content's root for Atom; the schema type's root for
    /// text; empty for JSON, bytes and schema-less text).
    pub root: String,
    /// Type: a struct, or a scalar for a scalar root; `None` for raw text
    /// or bytes without a schema.
    pub ty: Option<TypeRef>,
    /// The root's namespace when given on the body line (`ns="..."`).
    pub namespace: Option<String>,
    /// A JSON body whose root is an array of the type (`json Job*`).
    pub array: bool,
    /// Where.
    pub loc: Loc,
}

impl Body {
    /// The struct type's name, when the type is a struct or enum name.
    pub fn type_name(&self) -> Option<&str> {
        match &self.ty {
            Some(TypeRef::Named(n)) => Some(n),
            _ => None,
        }
    }
}

/// Where a started long-running operation's id comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdSource {
    /// A response header (`x-ms-request-id`).
    Header(String),
    /// A field of the response body (`ID` of `GatewayOperationAsyncResponse`).
    Body(String),
}

/// A spec `poller`: how long-running operations are polled.
#[derive(Debug, Clone)]
pub struct Poller {
    /// Name (`Classic`, `Networking`).
    pub name: String,
    /// The status operation.
    pub operation: String,
    /// Where the id comes from.
    pub id: IdSource,
    /// The status response's enum field (values tagged pending/success/failure).
    pub status: String,
    /// The status response's error field (a struct with Code and Message).
    pub error: Option<String>,
    /// The status response's HTTP status field.
    pub http_status: Option<String>,
    /// Docs.
    pub docs: Vec<String>,
    /// Area.
    pub area: String,
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
    /// Literal text and placeholders within one segment (`{a}-{b}`).
    Mixed(Vec<Segment>),
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
    /// Parsed template (without a trailing slash).
    pub segments: Vec<Segment>,
    /// The template ends with `/`.
    pub trailing_slash: bool,
    /// Path parameters, in template order (declared or implied).
    pub path: Vec<Param>,
    /// Query parameters.
    pub query: Vec<Query>,
    /// Request headers.
    pub headers: Vec<Param>,
    /// Request headers always sent with a fixed value (`Accept`).
    pub fixed_headers: Vec<(String, String)>,
    /// Response headers returned as typed outputs.
    pub response_headers: Vec<Param>,
    /// The request `Content-Type`, when not the format's default.
    pub content_type: Option<String>,
    /// Request body.
    pub request: Option<Body>,
    /// Response body.
    pub response: Option<Body>,
    /// Success codes, as inclusive ranges.
    pub status: Vec<(u16, u16)>,
    /// Long-running: the poller that follows it (`async [Poller]`).
    pub poller: Option<String>,
    /// Path parameters of the poller's status operation taken from a
    /// parameter of this operation with another name
    /// (`async Website siteName=webSiteName`): (status operation's, this one's).
    pub poller_params: Vec<(String, String)>,
    /// Another operation with the same request on the wire (the router hands
    /// such requests to that one).
    pub same_wire_as: Option<String>,
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

    /// An operation by name.
    pub fn find_operation(&self, name: &str) -> Option<&Operation> {
        self.operations.iter().find(|o| o.name == name)
    }

    /// A poller by name.
    pub fn find_poller(&self, name: &str) -> Option<&Poller> {
        self.pollers.iter().find(|p| p.name == name)
    }

    /// A resource by name.
    pub fn find_resource(&self, name: &str) -> Option<&Resource> {
        self.resources.iter().find(|r| r.name == name)
    }
}

impl Operation {
    /// Long-running.
    pub fn is_async(&self) -> bool {
        self.poller.is_some()
    }

    /// The path parameter of this operation that fills the poller's status
    /// operation parameter `status_param`: the one mapped to it by
    /// `async Poller status=this`, else the one of the same name.
    pub fn poller_source(&self, status_param: &str) -> Option<&Param> {
        let name = self
            .poller_params
            .iter()
            .find(|(s, _)| s == status_param)
            .map_or(status_param, |(_, from)| from.as_str());
        self.path.iter().find(|q| q.name == name)
    }
}

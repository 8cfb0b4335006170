//! The one error type of the client, and its parts.

use std::fmt;
use std::time::Duration;

use crate::credentials::CredentialsError;

/// Everything that can go wrong with a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request never got an HTTP answer (connection refused or reset,
    /// DNS, timeout, proxy).
    #[error("transport error: {message}")]
    Transport {
        /// What happened.
        message: String,
        /// Whether it was a timeout.
        timeout: bool,
        /// The underlying error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
    /// Loading credentials or setting up TLS failed.
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
    /// The service answered with an error status.
    #[error(transparent)]
    Service(#[from] ServiceError),
    /// An asynchronous operation finished with `Failed`.
    #[error("operation {request_id} failed: {error}")]
    OperationFailed {
        /// The operation (request) id.
        request_id: String,
        /// The error the operation reported.
        error: ServiceError,
    },
    /// An asynchronous operation reported a status the spec does not know;
    /// waiting stops rather than polling until the timeout.
    #[error("operation {request_id} reported an unknown status {status:?}")]
    UnknownOperationStatus {
        /// The operation (request) id.
        request_id: String,
        /// The status as the service sent it.
        status: String,
    },
    /// Waiting for an asynchronous operation took longer than allowed.
    #[error("operation {request_id} still in progress after {waited:?}")]
    OperationTimeout {
        /// The operation (request) id.
        request_id: String,
        /// How long it was polled.
        waited: Duration,
    },
    /// The response could not be decoded.
    #[error("could not decode the response{}: {source}", request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
    Decode {
        /// What failed and where.
        #[source]
        source: DecodeError,
        /// HTTP status of the response.
        status: u16,
        /// `x-ms-request-id` of the response.
        request_id: Option<String>,
    },
    /// The input was refused before anything was sent.
    #[error(transparent)]
    InvalidInput(#[from] ValidationError),
    /// The client was configured inconsistently.
    #[error("configuration error: {0}")]
    Config(String),
}

impl Error {
    /// The service error, if the service answered with one.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            Error::Service(e) | Error::OperationFailed { error: e, .. } => Some(e),
            _ => None,
        }
    }

    /// The HTTP status of the response that caused the error, if any.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Service(e) => Some(e.status),
            Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The `x-ms-request-id` of the failing request, if known.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Service(e) => e.request_id.as_deref(),
            Error::OperationFailed { request_id, .. } => Some(request_id),
            Error::OperationTimeout { request_id, .. } => Some(request_id),
            Error::Decode { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// `true` for a `404` from the service.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// An error answer of the service: `<Error><Code/><Message/></Error>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceError {
    /// HTTP status (for a failed asynchronous operation: its `HttpStatusCode`).
    pub status: u16,
    /// The service's error code (`ResourceNotFound`, `ConflictError`, ...), if any.
    pub code: Option<String>,
    /// The service's message, or the start of a body that was not an `<Error>`.
    pub message: String,
    /// `x-ms-request-id` of the response.
    pub request_id: Option<String>,
}

impl fmt::Display for ServiceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "service error {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        if let Some(id) = &self.request_id {
            write!(f, " (request id {id})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ServiceError {}

impl ServiceError {
    /// Builds the error for a non-success response. The body is parsed as
    /// `<Error>` when it is one (any namespace); otherwise the message is the
    /// start of the body, as text.
    pub fn from_response(status: u16, request_id: Option<String>, body: &[u8]) -> Self {
        let (code, message) = parse_error_body(body).unwrap_or_else(|| {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let mut message: String = text.chars().take(512).collect();
            if message.len() < text.len() {
                message.push('…');
            }
            (None, message)
        });
        Self {
            status,
            code,
            message,
            request_id,
        }
    }
}

/// `<Error><Code/><Message/></Error>` in whatever namespace (the SQL areas
/// use another one, and some answers have none).
fn parse_error_body(body: &[u8]) -> Option<(Option<String>, String)> {
    let mut r = crate::xml::XmlReader::new(body);
    let root = r.root_any_namespace("Error").ok()?;
    let mut code = None;
    let mut message = None;
    if !root.is_empty() {
        while let Ok(Some(c)) = r.next_child() {
            match c.name() {
                b"Code" => code = r.text(&c).ok().map(|t| t.trim().to_owned()),
                b"Message" => message = r.text(&c).ok().map(|t| t.trim().to_owned()),
                _ => {
                    if r.skip(&c).is_err() {
                        break;
                    }
                }
            }
        }
    }
    if code.is_none() && message.is_none() {
        return None;
    }
    Some((code.filter(|c| !c.is_empty()), message.unwrap_or_default()))
}

/// What failed while decoding a response, and where.
///
/// One pointer wide: the decoder's hot path passes `Result<_, DecodeError>`
/// through every element, and a small error keeps those results in registers.
#[derive(Clone, PartialEq)]
pub struct DecodeError(Box<DecodeErrorInner>);

#[derive(Debug, Clone, PartialEq)]
struct DecodeErrorInner {
    kind: DecodeErrorKind,
    /// Innermost first.
    path: Vec<String>,
}

impl fmt::Debug for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DecodeError")
            .field("kind", &self.0.kind)
            .field("path", &self.0.path)
            .finish()
    }
}

/// The kinds of decode failure.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// Not well-formed XML (the parser's message).
    Syntax(String),
    /// The document ended inside an element.
    Truncated,
    /// No root element at all.
    Empty,
    /// The body does not start with markup (HTML error pages start with `<` too, and fail on the root name).
    NotXml,
    /// A `DOCTYPE` (refused: no entity expansion).
    DocType,
    /// The root element is not the one the operation returns.
    UnexpectedRoot {
        /// The element the operation returns.
        expected: &'static str,
        /// The element found.
        found: String,
    },
    /// The root's default namespace is not the service's.
    Namespace(String),
    /// A required element is absent or `i:nil`.
    Missing(&'static str),
    /// An element's text is not a valid value of its type.
    Invalid(&'static str),
    /// An element where text was expected.
    UnexpectedElement,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// The body is larger than the configured limit.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

impl DecodeError {
    /// A new error with an empty path.
    #[cold]
    pub fn new(kind: DecodeErrorKind) -> Self {
        Self(Box::new(DecodeErrorInner {
            kind,
            path: Vec::new(),
        }))
    }

    /// An invalid value of the named kind ("a boolean", "base64", ...).
    #[cold]
    pub fn invalid(expected: &'static str) -> Self {
        Self::new(DecodeErrorKind::Invalid(expected))
    }

    /// The kind of failure.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }

    /// Adds an enclosing element to the path.
    #[cold]
    pub fn within(mut self, element: &str) -> Self {
        self.0.path.push(element.to_owned());
        self
    }

    #[cold]
    pub(crate) fn within_child(mut self, child: &crate::xml::Child<'_>) -> Self {
        self.0
            .path
            .push(String::from_utf8_lossy(child.name()).into_owned());
        self
    }

    /// Marks the error as inside item `index` of a list.
    #[cold]
    pub fn at_index(mut self, index: usize) -> Self {
        if let Some(last) = self.0.path.last_mut() {
            last.push_str(&format!("[{index}]"));
        }
        self
    }

    /// The element path, outermost first: `/HostedService/Deployments/Deployment[0]/Name`.
    pub fn path(&self) -> String {
        let mut s = String::new();
        for p in self.0.path.iter().rev() {
            s.push('/');
            s.push_str(p);
        }
        s
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.0.path.is_empty() {
            write!(f, "at {}: ", self.path())?;
        }
        match &self.0.kind {
            DecodeErrorKind::Syntax(m) => write!(f, "malformed XML: {m}"),
            DecodeErrorKind::Truncated => f.write_str("the document is truncated"),
            DecodeErrorKind::Empty => f.write_str("the body has no root element"),
            DecodeErrorKind::NotXml => f.write_str("the body is not XML"),
            DecodeErrorKind::DocType => f.write_str("DOCTYPE declarations are not accepted"),
            DecodeErrorKind::UnexpectedRoot { expected, found } => {
                write!(f, "expected root element <{expected}>, found <{found}>")
            }
            DecodeErrorKind::Namespace(ns) => write!(f, "unexpected namespace {ns:?}"),
            DecodeErrorKind::Missing(e) => write!(f, "missing required element <{e}>"),
            DecodeErrorKind::Invalid(what) => write!(f, "the value is not {what}"),
            DecodeErrorKind::UnexpectedElement => f.write_str("an element where text was expected"),
            DecodeErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8"),
            DecodeErrorKind::TooLarge { limit } => {
                write!(f, "the body is larger than the limit of {limit} bytes")
            }
        }
    }
}

impl std::error::Error for DecodeError {}

/// Input refused before sending (limits from the spec), or by the emulator.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {field}: {problem}")]
pub struct ValidationError {
    /// The element or parameter.
    pub field: String,
    /// What is wrong.
    pub problem: String,
}

impl ValidationError {
    /// A new validation error.
    pub fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Checks a value against the spec's limits before it is sent (and, in the
/// emulator, after it is received).
pub trait Validate {
    /// `Ok` when every limit holds (types without limits keep the default).
    fn validate(&self) -> Result<(), ValidationError> {
        Ok(())
    }
}

/// The checks generated `validate()` methods call.
pub mod check {
    use super::ValidationError;

    /// At most `max` characters.
    pub fn max_len(field: &str, value: &str, max: usize) -> Result<(), ValidationError> {
        let n = value.chars().count();
        if n > max {
            return Err(ValidationError::new(
                field,
                format!("{n} characters, at most {max} allowed"),
            ));
        }
        Ok(())
    }

    /// At least `min` characters.
    pub fn min_len(field: &str, value: &str, min: usize) -> Result<(), ValidationError> {
        let n = value.chars().count();
        if n < min {
            return Err(ValidationError::new(
                field,
                format!("{n} characters, at least {min} required"),
            ));
        }
        Ok(())
    }

    /// Within `min..=max`.
    pub fn range(field: &str, value: i64, min: i64, max: i64) -> Result<(), ValidationError> {
        if value < min || value > max {
            return Err(ValidationError::new(
                field,
                format!("{value} is outside {min}..={max}"),
            ));
        }
        Ok(())
    }

    /// Matches `pattern` (a regular expression, anchored at both ends).
    pub fn pattern(field: &str, value: &str, pattern: &'static str) -> Result<(), ValidationError> {
        use std::collections::HashMap;
        use std::sync::{Mutex, OnceLock};
        static CACHE: OnceLock<Mutex<HashMap<&'static str, Option<regex::Regex>>>> =
            OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut cache = cache.lock().unwrap_or_else(|p| p.into_inner());
        let re = cache
            .entry(pattern)
            .or_insert_with(|| regex::Regex::new(&format!("^(?:{pattern})$")).ok());
        match re {
            Some(re) if re.is_match(value) => Ok(()),
            Some(_) => Err(ValidationError::new(
                field,
                format!("does not match the pattern {pattern}"),
            )),
            None => Err(ValidationError::new(
                field,
                "has an invalid pattern in the spec",
            )),
        }
    }
}

//! Matching a request target against the generated route table (the
//! emulator's router and the conformance tests use it).

use crate::client::OperationSpec;
use crate::error::Validate;
use crate::path::decode_segment;
use crate::xml::{self, FromXml, XmlText};

/// One segment of a URI template.
#[derive(Debug, Clone, Copy)]
pub enum Seg {
    /// Literal text (matched case-insensitively, as the service did).
    Lit(&'static str),
    /// A `{placeholder}`.
    Param,
}

/// One operation's route.
#[derive(Debug)]
pub struct Route {
    /// The operation.
    pub spec: &'static OperationSpec,
    /// Its URI template.
    pub segments: &'static [Seg],
    /// Fixed query parameters that select it (`comp=media`).
    pub fixed_query: &'static [(&'static str, &'static str)],
}

/// Why a request did not route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    /// No operation has this path.
    NotFound,
    /// The path exists, not with this method.
    MethodNotAllowed,
    /// Parameters or body are invalid.
    BadRequest(String),
}

impl std::fmt::Display for RouteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RouteError::NotFound => f.write_str("no such resource or operation"),
            RouteError::MethodNotAllowed => {
                f.write_str("the method is not allowed on this resource")
            }
            RouteError::BadRequest(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for RouteError {}

/// Decoded query parameters.
#[derive(Debug, Default, Clone)]
pub struct QueryParams(Vec<(String, String)>);

impl QueryParams {
    /// Parses `a=b&c=d` (percent- and `+`-decoding).
    pub fn parse(query: &str) -> Result<Self, RouteError> {
        let mut out = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                decode_segment(&s.replace('+', " "))
                    .ok_or_else(|| RouteError::BadRequest("query is not UTF-8".into()))
            };
            out.push((dec(k)?, dec(v)?));
        }
        Ok(Self(out))
    }

    /// The raw value of `name` (names compare case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// A required parameter, parsed.
    pub fn required<T: XmlText>(&self, name: &str) -> Result<T, RouteError> {
        let v = self.get(name).ok_or_else(|| {
            RouteError::BadRequest(format!("the query parameter {name} is required"))
        })?;
        T::parse_text(v).map_err(|what| {
            RouteError::BadRequest(format!("the query parameter {name} must be {what}"))
        })
    }

    /// An optional parameter, parsed (empty counts as absent).
    pub fn optional<T: XmlText>(&self, name: &str) -> Result<Option<T>, RouteError> {
        match self.get(name) {
            None | Some("") => Ok(None),
            Some(v) => T::parse_text(v).map(Some).map_err(|what| {
                RouteError::BadRequest(format!("the query parameter {name} must be {what}"))
            }),
        }
    }
}

/// Finds the route for a request: its index in `routes`, the decoded path
/// parameters in order, and the query.
pub fn find(
    routes: &[Route],
    method: &str,
    path: &str,
    query: &str,
) -> Result<(usize, Vec<String>, QueryParams), RouteError> {
    let q = QueryParams::parse(query)?;
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let mut path_matched = false;
    for (index, route) in routes.iter().enumerate() {
        if route.segments.len() != segs.len() {
            continue;
        }
        let mut params = Vec::new();
        let mut ok = true;
        for (t, s) in route.segments.iter().zip(&segs) {
            match t {
                Seg::Lit(l) => {
                    if !l.eq_ignore_ascii_case(s) {
                        ok = false;
                        break;
                    }
                }
                Seg::Param => match decode_segment(s) {
                    Some(v) if !v.is_empty() => params.push(v),
                    _ => {
                        ok = false;
                        break;
                    }
                },
            }
        }
        if !ok {
            continue;
        }
        if !route
            .fixed_query
            .iter()
            .all(|(k, v)| q.get(k).is_some_and(|x| x.eq_ignore_ascii_case(v)))
        {
            continue;
        }
        path_matched = true;
        if route.spec.method.eq_ignore_ascii_case(method) {
            return Ok((index, params, q));
        }
    }
    Err(if path_matched {
        RouteError::MethodNotAllowed
    } else {
        RouteError::NotFound
    })
}

/// The next path parameter, parsed.
pub fn path_param<T: XmlText>(
    params: &mut impl Iterator<Item = String>,
    name: &str,
) -> Result<T, RouteError> {
    let v = params
        .next()
        .ok_or_else(|| RouteError::BadRequest(format!("missing path parameter {name}")))?;
    T::parse_text(&v)
        .map_err(|what| RouteError::BadRequest(format!("the path parameter {name} must be {what}")))
}

/// Decodes and validates a request body.
pub fn body<T: FromXml + Validate>(body: &[u8], root: &'static str) -> Result<T, RouteError> {
    let value: T = xml::from_document(root, body)
        .map_err(|e| RouteError::BadRequest(format!("the request body is invalid: {e}")))?;
    value
        .validate()
        .map_err(|e| RouteError::BadRequest(e.to_string()))?;
    Ok(value)
}

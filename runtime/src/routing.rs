//! Matching a request target against the generated route table (the
//! emulator's router and the conformance tests use it).

use crate::client::OperationSpec;
use crate::error::Validate;
use crate::path::decode_segment;
use crate::xml::{self, FromXml, XmlText};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_names() {
        assert_eq!(body_root_name(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>\r\n<!-- c --><a:StartRoleOperation xmlns:a=\"x\">"), Some(&b"StartRoleOperation"[..]));
        assert_eq!(body_root_name(b"<X/>"), Some(&b"X"[..]));
        assert_eq!(body_root_name(b"{\"json\":1}"), None);
        assert_eq!(body_root_name(b""), None);
    }

    #[test]
    fn bodyless_request_prefers_the_bodyless_route() {
        const fn spec(name: &'static str) -> OperationSpec {
            OperationSpec {
                name,
                method: "DELETE",
                uri: "/{s}/gateway",
                version: "2016-07-01",
                success: &[(202, 202)],
                is_async: true,
                request_root: None,
                response_root: None,
                request_format: None,
                response_format: None,
                response_namespace: None,
            }
        }
        static FAILOVER: OperationSpec = spec("Failover");
        static DELETE: OperationSpec = spec("Delete");
        static ROUTES: &[Route] = &[
            Route {
                spec: &FAILOVER,
                segments: &[Seg::Param, Seg::Lit("gateway")],
                fixed_query: &[],
                body_root: Some("UpdateGateway"),
            },
            Route {
                spec: &DELETE,
                segments: &[Seg::Param, Seg::Lit("gateway")],
                fixed_query: &[],
                body_root: None,
            },
        ];
        let pick =
            |body: Option<&[u8]>| find(ROUTES, "DELETE", "/s/gateway", "", body).map(|r| r.0);
        assert_eq!(pick(Some(b"<UpdateGateway/>")), Ok(0));
        assert_eq!(pick(Some(b"")), Ok(1));
        assert_eq!(pick(None), Ok(1));
        // Without a body-less route, the first body-dispatched one.
        assert_eq!(
            find(&ROUTES[..1], "DELETE", "/s/gateway", "", None).map(|r| r.0),
            Ok(0)
        );
    }

    #[test]
    fn mixed_segments() {
        let parts: &'static [Part] = &[Part::Param, Part::Lit("-"), Part::Param];
        let mut p = Vec::new();
        assert!(match_segment(
            &Seg::Mixed(parts),
            Some("sha1-ABC-DEF"),
            &mut p
        ));
        assert_eq!(p, ["sha1", "ABC-DEF"]);
        let parts: &'static [Part] = &[Part::Param, Part::Lit("("), Part::Param, Part::Lit(")")];
        let mut p = Vec::new();
        assert!(match_segment(
            &Seg::Mixed(parts),
            Some("site(staging)"),
            &mut p
        ));
        assert_eq!(p, ["site", "staging"]);
        assert!(!match_segment(
            &Seg::Mixed(parts),
            Some("site(staging"),
            &mut Vec::new()
        ));
        assert!(!match_segment(
            &Seg::Mixed(parts),
            Some("(x)"),
            &mut Vec::new()
        ));
    }
}

/// One segment of a URI template.
#[derive(Debug, Clone, Copy)]
pub enum Seg {
    /// Literal text (matched case-insensitively, as the service did).
    Lit(&'static str),
    /// A `{placeholder}`.
    Param,
    /// Literal text and placeholders within one segment
    /// (`{thumbprintAlgorithm}-{thumbprint}`).
    Mixed(&'static [Part]),
}

/// A piece of a [`Seg::Mixed`] segment.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    /// Literal text.
    Lit(&'static str),
    /// A placeholder: runs up to the next literal piece (or the segment's end).
    Param,
}

/// One operation's route.
#[derive(Debug)]
pub struct Route {
    /// The operation.
    pub spec: &'static OperationSpec,
    /// Its URI template (a trailing slash is not a segment: a request matches
    /// with or without it).
    pub segments: &'static [Seg],
    /// Fixed query parameters that select it (`comp=media`).
    pub fixed_query: &'static [(&'static str, &'static str)],
    /// The request body's root element, when operations share a URI and are
    /// told apart by it (`StartRoleOperation`, `ShutdownRoleOperation`, ...).
    pub body_root: Option<&'static str>,
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
///
/// `body` is the request body when known: routes that share a URI and are
/// told apart by the body's root element match on it. Without a body the
/// body-less route of the same method and path matches when there is one,
/// else (a recording that kept no body) the first of them.
pub fn find(
    routes: &[Route],
    method: &str,
    path: &str,
    query: &str,
    body: Option<&[u8]>,
) -> Result<(usize, Vec<String>, QueryParams), RouteError> {
    let q = QueryParams::parse(query)?;
    let trimmed = path.trim_start_matches('/');
    let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
    // An empty segment (`servers//name`: the Python peer sends such paths)
    // is skipped, as the service does.
    let segs: Vec<&str> = trimmed.split('/').filter(|s| !s.is_empty()).collect();
    // Each segment is percent-decoded once, not once per candidate route.
    let decoded: Vec<Option<String>> = segs.iter().map(|s| decode_segment(s)).collect();
    let root = body.and_then(body_root_name);
    let mut path_matched = false;
    // A request without a body prefers a body-less operation of the same
    // method and path (Delete vs Failover Virtual Network Gateway); it falls
    // back to the first body-dispatched one (the role operations, whose
    // recordings carry no body).
    let mut bodyless_fallback: Option<(usize, Vec<String>)> = None;
    for (index, route) in routes.iter().enumerate() {
        if route.segments.len() != segs.len() {
            continue;
        }
        // Literal segments first: most routes fail here, with no allocation.
        let literals = route.segments.iter().zip(&segs).all(|(t, s)| match t {
            Seg::Lit(l) => l.eq_ignore_ascii_case(s),
            _ => true,
        });
        if !literals {
            continue;
        }
        let mut params = Vec::new();
        let ok = route
            .segments
            .iter()
            .zip(&decoded)
            .all(|(t, d)| match_segment(t, d.as_deref(), &mut params));
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
        if !route.spec.method.eq_ignore_ascii_case(method) {
            continue;
        }
        match (route.body_root, root) {
            (Some(want), Some(found)) if want.as_bytes() != found => continue,
            (Some(_), None) => {
                if bodyless_fallback.is_none() {
                    bodyless_fallback = Some((index, params));
                }
                continue;
            }
            _ => {}
        }
        return Ok((index, params, q));
    }
    if let Some((index, params)) = bodyless_fallback {
        return Ok((index, params, q));
    }
    Err(if path_matched {
        RouteError::MethodNotAllowed
    } else {
        RouteError::NotFound
    })
}

/// Matches one non-literal segment (`decoded`: the percent-decoded segment,
/// `None` when it is not UTF-8); literals were checked before.
fn match_segment(t: &Seg, decoded: Option<&str>, params: &mut Vec<String>) -> bool {
    match t {
        Seg::Lit(_) => true,
        Seg::Param => match decoded {
            Some(v) if !v.is_empty() => {
                params.push(v.to_owned());
                true
            }
            _ => false,
        },
        Seg::Mixed(parts) => {
            let Some(mut rest) = decoded.map(str::to_owned) else {
                return false;
            };
            let mut iter = parts.iter().peekable();
            while let Some(part) = iter.next() {
                match part {
                    Part::Lit(l) => match rest.get(..l.len()) {
                        Some(head) if head.eq_ignore_ascii_case(l) => {
                            rest = rest.get(l.len()..).unwrap_or_default().to_owned();
                        }
                        _ => return false,
                    },
                    Part::Param => {
                        let end = match iter.peek() {
                            Some(Part::Lit(next)) => match rest.find(next) {
                                Some(i) => i,
                                None => return false,
                            },
                            _ => rest.len(),
                        };
                        let value = rest.get(..end).unwrap_or_default();
                        if value.is_empty() {
                            return false;
                        }
                        params.push(value.to_owned());
                        rest = rest.get(end..).unwrap_or_default().to_owned();
                    }
                }
            }
            rest.is_empty()
        }
    }
}

/// The local name of a body's root element (after a byte-order mark, the
/// XML declaration, comments and white space); `None` when the body does not
/// start like XML.
pub fn body_root_name(body: &[u8]) -> Option<&[u8]> {
    let mut rest = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    loop {
        let start = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        rest = rest.get(start..)?;
        if rest.starts_with(b"<?") {
            let end = rest.windows(2).position(|w| w == b"?>")?;
            rest = rest.get(end + 2..)?;
        } else if rest.starts_with(b"<!--") {
            let end = rest.windows(3).position(|w| w == b"-->")?;
            rest = rest.get(end + 3..)?;
        } else {
            break;
        }
    }
    let tag = rest.strip_prefix(b"<")?;
    let end = tag
        .iter()
        .position(|b| b.is_ascii_whitespace() || matches!(b, b'/' | b'>'))
        .unwrap_or(tag.len());
    let qname = tag.get(..end)?;
    let local = match qname.iter().position(|&b| b == b':') {
        Some(i) => qname.get(i + 1..)?,
        None => qname,
    };
    (!local.is_empty()).then_some(local)
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

/// Decodes and validates an XML request body (root in the service's namespace).
pub fn body<T: FromXml + Validate>(body: &[u8], root: &'static str) -> Result<T, RouteError> {
    decoded(xml::from_document(root, body))
}

/// Checks a decoded request body: a decode error or a broken limit is a
/// bad request.
pub fn decoded<T: Validate>(value: Result<T, crate::error::DecodeError>) -> Result<T, RouteError> {
    let value =
        value.map_err(|e| RouteError::BadRequest(format!("the request body is invalid: {e}")))?;
    value
        .validate()
        .map_err(|e| RouteError::BadRequest(e.to_string()))?;
    Ok(value)
}

/// A text request body.
pub fn text_body(body: &[u8]) -> Result<String, RouteError> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    String::from_utf8(body.to_vec())
        .map_err(|_| RouteError::BadRequest("the request body is not UTF-8 text".into()))
}

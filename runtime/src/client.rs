//! The HTTP pipeline every generated operation runs through.

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls_pki_types::CertificateDer;
use tracing::Instrument as _;

use crate::credentials::{self, Credentials, PublishSettings};
use crate::error::{DecodeError, DecodeErrorKind, Error, ServiceError};
use crate::poll::PollOptions;
use crate::retry::RetryPolicy;
use crate::xml::{self, FromXml};

/// The public service's management endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://management.core.windows.net";
/// The `x-ms-version` sent when an operation does not name one.
pub const DEFAULT_VERSION: &str = "2014-10-01";
/// Largest response body read by default (64 MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 << 20;

/// Static facts of one operation, generated from the spec.
#[derive(Debug)]
pub struct OperationSpec {
    /// The documented name, e.g. `CreateAffinityGroup`.
    pub name: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// URI template, query string left out.
    pub uri: &'static str,
    /// `x-ms-version` the operation needs.
    pub version: &'static str,
    /// Success status codes, as inclusive ranges (`(200, 200)`, `(200, 399)`).
    pub success: &'static [(u16, u16)],
    /// Answers 202 + `x-ms-request-id`, to be polled.
    pub is_async: bool,
    /// Root element of the request body.
    pub request_root: Option<&'static str>,
    /// Root element of the response body (XML; the content's root for Atom;
    /// the schema's root for text).
    pub response_root: Option<&'static str>,
    /// The request body's format: `xml`, `atom`, `json`, `text`, `bytes`.
    pub request_format: Option<&'static str>,
    /// The response body's format: `xml`, `atom`, `atom-feed`, `json`,
    /// `text`, `bytes`.
    pub response_format: Option<&'static str>,
    /// The namespace of the response's root (or Atom content) element.
    pub response_namespace: Option<&'static str>,
}

impl OperationSpec {
    /// Whether `status` is one of the operation's success codes.
    pub fn is_success(&self, status: u16) -> bool {
        self.success
            .iter()
            .any(|&(lo, hi)| (lo..=hi).contains(&status))
    }

    /// The first success code (what a server answers by default).
    pub fn first_success(&self) -> u16 {
        self.success.first().map(|&(lo, _)| lo).unwrap_or(200)
    }
}

/// One request, built by generated code.
#[derive(Debug)]
pub struct Request {
    /// What it is.
    pub spec: &'static OperationSpec,
    /// The path, already percent-encoded, starting with `/` (query
    /// parameters go in `query`).
    pub path: String,
    /// Query parameters (not yet encoded), in order.
    pub query: Vec<(&'static str, String)>,
    /// Extra request headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body (XML, Atom, JSON, text or bytes).
    pub body: Option<bytes::Bytes>,
    /// The body's `Content-Type`.
    pub content_type: &'static str,
}

impl Request {
    /// A request for `spec` with an empty path.
    pub fn new(spec: &'static OperationSpec) -> Self {
        Self {
            spec,
            path: String::with_capacity(96),
            query: Vec::new(),
            headers: Vec::new(),
            body: None,
            content_type: "application/xml",
        }
    }

    /// Sets the body and its content type.
    pub fn set_body(&mut self, content_type: &'static str, body: impl Into<bytes::Bytes>) {
        self.content_type = content_type;
        self.body = Some(body.into());
    }

    /// The query string (`a=b&c=d`, encoded), empty when there is none.
    pub fn query_string(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.query {
            if !s.is_empty() {
                s.push('&');
            }
            s.push_str(&crate::path::encode_query(k));
            s.push('=');
            s.push_str(&crate::path::encode_query(v));
        }
        s
    }
}

/// A successful response, before decoding.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// HTTP status.
    pub status: u16,
    /// `x-ms-request-id`.
    pub request_id: Option<String>,
    /// Response headers.
    pub headers: http::HeaderMap,
    /// The body.
    pub body: bytes::Bytes,
}

struct Inner {
    http: crate::transport::HttpClient,
    /// Which requests go through a proxy (the connector holds the same).
    proxies: Arc<crate::transport::Proxies>,
    user_agent: http::HeaderValue,
    /// The whole exchange's limit, answer included.
    timeout: Duration,
    endpoint: String,
    /// `endpoint` parsed once: each call copies it and sets its path and
    /// query, rather than having the whole URL parsed again (its host
    /// included, about 26,000 instructions a call).
    base_url: url::Url,
    /// The endpoint's own path, without a trailing `/` (usually empty),
    /// which each request's path follows.
    base_path: String,
    /// The endpoint's scheme and authority, for URIs made directly
    /// ([`plain_uri`]).
    origin: Option<(http::uri::Scheme, http::uri::Authority)>,
    subscription_id: String,
    /// `/{subscriptionId}`, encoded once (or why it cannot be).
    subscription_path: Result<String, crate::error::ValidationError>,
    default_version: String,
    retry: RetryPolicy,
    poll: PollOptions,
    max_body: usize,
}

/// The runtime half of a client: configuration and the HTTP pipeline.
/// Cheap to clone. The generated `azure_asm::Client` wraps one.
#[derive(Clone)]
pub struct Core {
    inner: Arc<Inner>,
    version_override: Option<Arc<str>>,
}

impl std::fmt::Debug for Core {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Core")
            .field("endpoint", &self.inner.endpoint)
            .field("subscription_id", &self.inner.subscription_id)
            .field("version_override", &self.version_override)
            .finish_non_exhaustive()
    }
}

impl Core {
    /// The subscription every call is made for.
    pub fn subscription_id(&self) -> &str {
        &self.inner.subscription_id
    }

    /// The management endpoint (no trailing slash).
    pub fn endpoint(&self) -> &str {
        &self.inner.endpoint
    }

    /// Polling defaults for asynchronous operations.
    pub fn poll_options(&self) -> &PollOptions {
        &self.inner.poll
    }

    /// A copy that sends `version` as `x-ms-version` on every call,
    /// whatever the operation would send.
    pub fn with_version(&self, version: impl Into<String>) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            version_override: Some(Arc::from(version.into())),
        }
    }

    /// The path prefix `/{subscriptionId}`, encoded.
    pub fn subscription_path(&self) -> Result<String, Error> {
        match &self.inner.subscription_path {
            Ok(prefix) => {
                // Room for the rest of the usual path.
                let mut path = String::with_capacity(prefix.len() + 64);
                path.push_str(prefix);
                Ok(path)
            }
            Err(e) => Err(e.clone().into()),
        }
    }

    fn version_for(&self, spec: &OperationSpec) -> &str {
        match &self.version_override {
            Some(v) => v,
            None if spec.version.is_empty() => &self.inner.default_version,
            None => spec.version,
        }
    }

    /// Sends `request` (with retries where safe) and returns the response
    /// when its status is one of the operation's success codes.
    pub async fn send(&self, request: &Request) -> Result<RawResponse, Error> {
        let spec = request.spec;
        let span = tracing::info_span!(
            "asm.request",
            operation = spec.name,
            method = spec.method,
            path = %request.path,
            status = tracing::field::Empty,
            request_id = tracing::field::Empty,
            attempts = tracing::field::Empty,
            elapsed_ms = tracing::field::Empty,
        );
        async move {
            let started = Instant::now();
            let idempotent = matches!(spec.method, "GET" | "PUT" | "DELETE" | "HEAD");
            let mut attempt = 0u32;
            let result = loop {
                attempt += 1;
                // Boxed: the exchange's state (hyper's request, the timer)
                // stays off every operation's future, which callers hold on
                // their stacks or in their own futures (1.8 KB otherwise).
                let outcome = Box::pin(self.send_once(request)).await;
                let retry_after = match &outcome {
                    Ok(resp)
                        if is_transient_status(resp.status) && !spec.is_success(resp.status) =>
                    {
                        Some(retry_after(&resp.headers))
                    }
                    Err(Error::Transport { .. }) => Some(None),
                    _ => None,
                };
                match retry_after {
                    Some(hint) if idempotent && attempt <= self.inner.retry.max_retries => {
                        let delay = self.inner.retry.delay(attempt, hint);
                        tracing::debug!(attempt, ?delay, "transient failure, retrying");
                        tokio::time::sleep(delay).await;
                    }
                    _ => break outcome,
                }
            };
            let span = tracing::Span::current();
            span.record("attempts", attempt);
            span.record("elapsed_ms", started.elapsed().as_millis() as u64);
            let resp = result?;
            span.record("status", resp.status);
            if let Some(id) = &resp.request_id {
                span.record("request_id", id.as_str());
            }
            if spec.is_success(resp.status) {
                tracing::debug!("ok");
                Ok(resp)
            } else {
                let err = ServiceError::from_response(resp.status, resp.request_id, &resp.body);
                tracing::debug!(code = ?err.code, "service error");
                Err(Error::Service(err))
            }
        }
        .instrument(span)
        .await
    }

    async fn send_once(&self, request: &Request) -> Result<RawResponse, Error> {
        let limit = self.inner.timeout;
        match tokio::time::timeout(limit, self.exchange(request)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Error::Transport {
                message: format!("no complete answer within {limit:?} (the client's timeout)"),
                timeout: true,
                source: None,
            }),
        }
    }

    /// The URI of a request for `path` (encoded) and `query` (encoded,
    /// without `?`).
    fn request_uri(&self, path: &str, query: &str) -> Result<http::Uri, Error> {
        let inner = &self.inner;
        if let Some((scheme, authority)) = &inner.origin {
            if let Some(uri) = plain_uri(scheme, authority, &inner.base_path, path, query) {
                return Ok(uri);
            }
        }
        let url = if path.contains(['?', '#']) {
            // Not a path alone (a hand-built `Request`): the whole URL is
            // parsed, as it is written.
            let mut url = format!("{}{}", inner.endpoint, path);
            if !query.is_empty() {
                url.push('?');
                url.push_str(query);
            }
            url::Url::parse(&url).map_err(|e| Error::Config(format!("bad URL {url:?}: {e}")))?
        } else {
            url_for(&inner.base_url, &inner.base_path, path, query)
        };
        http::Uri::try_from(String::from(url)).map_err(|e| Error::Config(format!("bad URL: {e}")))
    }

    /// One request and its whole answer.
    async fn exchange(&self, request: &Request) -> Result<RawResponse, Error> {
        let spec = request.spec;
        let query = request.query_string();
        let uri = self.request_uri(&request.path, &query)?;
        let method = http::Method::from_bytes(spec.method.as_bytes())
            .map_err(|_| Error::Config(format!("bad method {}", spec.method)))?;
        let proxy_auth = match self.inner.proxies.intercept(&uri) {
            // A plain-HTTP request goes to the proxy itself, with its
            // credentials; an https one is tunnelled (the connector's).
            Some(p) if uri.scheme() != Some(&http::uri::Scheme::HTTPS) => p.basic_auth().cloned(),
            _ => None,
        };
        // For a failure's message (a cheap copy: shared bytes).
        let at = uri.clone();
        let failed = |e| transport(e, spec.method, &at);
        let mut builder = http::Request::builder()
            .method(method)
            .uri(uri)
            .header(X_MS_VERSION, self.version_for(spec));
        if let Some(auth) = proxy_auth {
            builder = builder.header(http::header::PROXY_AUTHORIZATION, auth);
        }
        for (k, v) in &request.headers {
            builder = builder.header(*k, v.as_str());
        }
        let body = match &request.body {
            Some(body) => {
                builder = builder.header(http::header::CONTENT_TYPE, request.content_type);
                body.clone()
            }
            None => {
                if matches!(spec.method, "POST" | "PUT" | "PATCH") {
                    builder = builder.header(http::header::CONTENT_LENGTH, "0");
                }
                bytes::Bytes::new()
            }
        };
        let mut req = builder
            .body(http_body_util::Full::new(body))
            .map_err(|e| Error::Config(format!("{} request: {e}", spec.name)))?;
        // Defaults an operation's own headers replace.
        let headers = req.headers_mut();
        headers
            .entry(http::header::USER_AGENT)
            .or_insert_with(|| self.inner.user_agent.clone());
        headers
            .entry(http::header::ACCEPT)
            .or_insert(http::HeaderValue::from_static("*/*"));
        let resp = self.inner.http.request(req).await.map_err(failed)?;
        let (parts, mut incoming) = resp.into_parts();
        let status = parts.status.as_u16();
        let headers = parts.headers;
        let request_id = headers
            .get("x-ms-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body_failed = |e| transport(e, spec.method, &at);
        let limit = self.inner.max_body;
        let length = hyper::body::Body::size_hint(&incoming).exact();
        if length.is_some_and(|n| n > limit as u64) {
            return Err(too_large(limit, status, request_id));
        }
        // A body that arrives in one chunk is kept as it is (no copy); more
        // chunks are gathered into a buffer sized from Content-Length.
        let first = next_chunk(&mut incoming).await.map_err(body_failed)?;
        let body = match first {
            None => bytes::Bytes::new(),
            Some(first) => {
                if first.len() > limit {
                    return Err(too_large(limit, status, request_id));
                }
                match next_chunk(&mut incoming).await.map_err(body_failed)? {
                    None => first,
                    Some(second) => {
                        let hint = length.map_or(0, |n| n as usize).min(limit);
                        let mut body = Vec::with_capacity(hint.max(first.len() + second.len()));
                        body.extend_from_slice(&first);
                        let mut next = Some(second);
                        while let Some(chunk) = next {
                            if body.len() + chunk.len() > limit {
                                return Err(too_large(limit, status, request_id));
                            }
                            body.extend_from_slice(&chunk);
                            next = next_chunk(&mut incoming).await.map_err(body_failed)?;
                        }
                        body.into()
                    }
                }
            }
        };
        Ok(RawResponse {
            status,
            request_id,
            headers,
            body,
        })
    }

    /// Sends and decodes the body with `decode` (a generated reader).
    pub async fn call<T>(
        &self,
        request: &Request,
        decode: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
    ) -> Result<T, Error> {
        let resp = self.send(request).await?;
        decode_body(&resp, decode)
    }

    /// Sends, expecting no body worth reading.
    pub async fn call_empty(&self, request: &Request) -> Result<(), Error> {
        self.send(request).await.map(|_| ())
    }
}

/// Decodes a response body with `decode`, attaching the response's status
/// and request id to a failure.
pub fn decode_body<T>(
    resp: &RawResponse,
    decode: impl FnOnce(&[u8]) -> Result<T, DecodeError>,
) -> Result<T, Error> {
    decode(&resp.body).map_err(|source| Error::Decode {
        source,
        status: resp.status,
        request_id: resp.request_id.clone(),
    })
}

/// Decodes an XML response body whose root is `root` (service namespace).
pub fn decode_response<T: FromXml>(root: &'static str, resp: &RawResponse) -> Result<T, Error> {
    decode_body(resp, |b| xml::from_document(root, b))
}

impl RawResponse {
    /// A response header as text, if present and printable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as UTF-8 text (a byte-order mark removed).
    pub fn text(&self) -> Result<String, Error> {
        decode_body(self, |b| {
            let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
            std::str::from_utf8(b)
                .map(str::to_owned)
                .map_err(|_| DecodeError::new(DecodeErrorKind::InvalidUtf8))
        })
    }
}

/// `base_url` with `base_path` + `path` and `query` set, as the URL
/// standard writes them (characters a path or query cannot hold encoded,
/// dot segments resolved).
fn url_for(base_url: &url::Url, base_path: &str, path: &str, query: &str) -> url::Url {
    let mut url = base_url.clone();
    if base_path.is_empty() {
        url.set_path(path);
    } else {
        url.set_path(&format!("{base_path}{path}"));
    }
    url.set_query((!query.is_empty()).then_some(query));
    url
}

/// The header every request carries (a name parsed once).
const X_MS_VERSION: http::HeaderName = http::HeaderName::from_static("x-ms-version");

/// The URI [`url_for`] would give, made directly (about 4,000 instructions
/// fewer a call), when the path and query are already in the form the URL
/// standard would write: every byte one a URI path (or query) may hold as
/// it is, no dot segment, the path starting with `/`. `None` otherwise.
/// The generated code's paths and queries always are (every segment and
/// value percent-encoded); a hand-built one may not be.
fn plain_uri(
    scheme: &http::uri::Scheme,
    authority: &http::uri::Authority,
    base_path: &str,
    path: &str,
    query: &str,
) -> Option<http::Uri> {
    /// The bytes the URL standard keeps as they are: in a path (`PATH`), in
    /// a query (`QUERY`). `'` is kept only in a path, `?` only in a query.
    const PATH: u8 = 1;
    const QUERY: u8 = 2;
    const KEPT: [u8; 256] = {
        let mut t = [0u8; 256];
        let mut b = 0u8;
        while b < 128 {
            t[b as usize] = match b {
                b'0'..=b'9' | b'A'..=b'Z' | b'a'..=b'z' => PATH | QUERY,
                b'-' | b'.' | b'_' | b'~' | b'%' | b'!' | b'$' | b'&' | b'(' | b')' => PATH | QUERY,
                b'*' | b'+' | b',' | b';' | b'=' | b':' | b'@' | b'/' => PATH | QUERY,
                b'\'' => PATH,
                b'?' => QUERY,
                _ => 0,
            };
            b += 1;
        }
        t
    };
    fn plain(s: &str, class: u8) -> bool {
        s.bytes().all(|b| KEPT[b as usize] & class != 0)
    }
    /// `.` or `..`, either dot possibly written `%2e` (`%2E`).
    fn dot_segment(segment: &str) -> bool {
        let mut rest = segment.as_bytes();
        let mut dots = 0;
        while !rest.is_empty() {
            rest = match rest {
                [b'.', tail @ ..] => tail,
                [b'%', b'2', b'e' | b'E', tail @ ..] => tail,
                _ => return false,
            };
            dots += 1;
        }
        matches!(dots, 1 | 2)
    }
    let whole = [base_path, path];
    if !path.starts_with('/')
        || !whole.iter().all(|p| plain(p, PATH))
        || whole.iter().any(|p| p.split('/').any(dot_segment))
        || !plain(query, QUERY)
    {
        return None;
    }
    let mut pq = String::with_capacity(base_path.len() + path.len() + query.len() + 1);
    pq.push_str(base_path);
    pq.push_str(path);
    if !query.is_empty() {
        pq.push('?');
        pq.push_str(query);
    }
    let mut parts = http::uri::Parts::default();
    parts.scheme = Some(scheme.clone());
    parts.authority = Some(authority.clone());
    parts.path_and_query = Some(http::uri::PathAndQuery::try_from(pq).ok()?);
    http::Uri::from_parts(parts).ok()
}

fn too_large(limit: usize, status: u16, request_id: Option<String>) -> Error {
    Error::Decode {
        source: DecodeError::new(DecodeErrorKind::TooLarge { limit }),
        status,
        request_id,
    }
}

/// The next piece of a body's data (trailers skipped), `None` at its end.
async fn next_chunk(
    body: &mut hyper::body::Incoming,
) -> Result<Option<bytes::Bytes>, hyper::Error> {
    use http_body_util::BodyExt as _;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            if !data.is_empty() {
                return Ok(Some(data));
            }
        }
    }
    Ok(None)
}

/// A failure below HTTP: its message with every cause's, and whether one
/// of them was a timeout (connecting, for instance).
fn transport<E: std::error::Error + Send + Sync + 'static>(
    e: E,
    method: &str,
    uri: &http::Uri,
) -> Error {
    let mut message = format!("{method} {uri}: {e}");
    let mut timeout = false;
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        // Layers often repeat their cause's words; say each once.
        if !message.ends_with(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        timeout |= s
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
        source = s.source();
    }
    Error::Transport {
        message,
        timeout,
        source: Some(Box::new(e)),
    }
}

fn is_transient_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// `Retry-After` as delay-seconds or as an HTTP date (IMF-fixdate).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers
        .get(http::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let format = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    let at = time::PrimitiveDateTime::parse(v, format).ok()?.assume_utc();
    let wait = at - time::OffsetDateTime::now_utc();
    Some(Duration::try_from(wait).unwrap_or(Duration::ZERO))
}

/// Configures and builds a client. `C` is the client type built (the
/// generated `azure_asm::Client`, or [`Core`] itself).
pub struct ClientBuilder<C = Core> {
    subscription_id: Option<String>,
    credentials: Option<Credentials>,
    endpoint: Option<String>,
    version: String,
    timeout: Duration,
    connect_timeout: Duration,
    proxy: Option<String>,
    no_proxy: bool,
    user_agent: String,
    roots: Vec<CertificateDer<'static>>,
    retry: RetryPolicy,
    poll: PollOptions,
    max_body: usize,
    _client: PhantomData<fn() -> C>,
}

impl<C> std::fmt::Debug for ClientBuilder<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("subscription_id", &self.subscription_id)
            .field("credentials", &self.credentials)
            .field("endpoint", &self.endpoint)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl<C> Default for ClientBuilder<C> {
    fn default() -> Self {
        Self {
            subscription_id: None,
            credentials: None,
            endpoint: None,
            version: DEFAULT_VERSION.to_owned(),
            timeout: Duration::from_secs(65),
            connect_timeout: Duration::from_secs(20),
            proxy: None,
            no_proxy: false,
            user_agent: concat!("azure-asm-rust/", env!("CARGO_PKG_VERSION")).to_owned(),
            roots: Vec::new(),
            retry: RetryPolicy::default(),
            poll: PollOptions::default(),
            max_body: DEFAULT_MAX_RESPONSE_BYTES,
            _client: PhantomData,
        }
    }
}

impl<C: From<Core>> ClientBuilder<C> {
    /// A builder with the defaults: the public endpoint, `x-ms-version`
    /// 2014-10-01, 65 s timeout, 3 retries, proxy from `HTTPS_PROXY`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The subscription id (a GUID).
    pub fn subscription_id(mut self, id: impl Into<String>) -> Self {
        self.subscription_id = Some(id.into());
        self
    }

    /// The management certificate.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Takes subscription, certificate and endpoint from a `.publishsettings`
    /// file's subscription (by id, or the first).
    pub fn publish_settings(
        mut self,
        settings: &PublishSettings,
        subscription_id: Option<&str>,
    ) -> Result<Self, Error> {
        let sub = settings.select(subscription_id)?;
        self.subscription_id = Some(sub.id.clone());
        self.credentials = Some(sub.credentials.clone());
        if let Some(url) = &sub.service_management_url {
            self.endpoint = Some(url.clone());
        }
        Ok(self)
    }

    /// The management endpoint (default `https://management.core.windows.net`).
    pub fn endpoint(mut self, endpoint: impl Into<String>) -> Self {
        self.endpoint = Some(endpoint.into());
        self
    }

    /// The default `x-ms-version` for operations whose spec names none.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Whole-request timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Connection timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// An explicit proxy URL (otherwise `HTTPS_PROXY`/`NO_PROXY` apply).
    pub fn proxy(mut self, url: impl Into<String>) -> Self {
        self.proxy = Some(url.into());
        self
    }

    /// Never use a proxy, whatever the environment says.
    pub fn no_proxy(mut self) -> Self {
        self.no_proxy = true;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts an extra root CA (PEM), for instance the emulator's.
    /// Server verification is always on; there is no "accept any certificate".
    pub fn add_root_certificate_pem(mut self, pem: &[u8]) -> Result<Self, Error> {
        self.roots.extend(credentials::parse_ca_pem(pem)?);
        Ok(self)
    }

    /// Retries for idempotent requests.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Polling of asynchronous operations.
    pub fn poll_options(mut self, poll: PollOptions) -> Self {
        self.poll = poll;
        self
    }

    /// Largest response body accepted.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_body = limit;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<C, Error> {
        let subscription_id = self
            .subscription_id
            .ok_or_else(|| Error::Config("a subscription id is required".into()))?;
        let tls = credentials::client_tls_config(self.credentials.as_ref(), &self.roots)?;
        let proxies = if self.no_proxy {
            crate::transport::Proxies(None)
        } else if let Some(p) = &self.proxy {
            crate::transport::Proxies::explicit(p).map_err(Error::Config)?
        } else {
            crate::transport::Proxies::from_env()
        };
        let user_agent = http::HeaderValue::try_from(self.user_agent.as_str())
            .map_err(|_| Error::Config(format!("invalid user agent {:?}", self.user_agent)))?;
        let (http, proxies) = crate::transport::client(tls, proxies, self.connect_timeout);
        let endpoint = self
            .endpoint
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
            .trim_end_matches('/')
            .to_owned();
        if !endpoint.starts_with("https://") && !endpoint.starts_with("http://") {
            return Err(Error::Config(format!(
                "the endpoint must be an http(s) URL, got {endpoint:?}"
            )));
        }
        let base_url = url::Url::parse(&endpoint)
            .map_err(|e| Error::Config(format!("the endpoint {endpoint:?} is not a URL: {e}")))?;
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(Error::Config(format!(
                "the endpoint must not have a query or fragment, got {endpoint:?}"
            )));
        }
        let base_path = base_url.path().trim_end_matches('/').to_owned();
        let origin = http::Uri::try_from(base_url.as_str())
            .ok()
            .and_then(|u| Some((u.scheme()?.clone(), u.authority()?.clone())));
        let mut subscription_path = String::from("/");
        let subscription_path =
            crate::path::push_segment(&mut subscription_path, "subscriptionId", &subscription_id)
                .map(|()| subscription_path);
        Ok(C::from(Core {
            inner: Arc::new(Inner {
                http,
                proxies,
                user_agent,
                timeout: self.timeout,
                endpoint,
                base_url,
                base_path,
                origin,
                subscription_id,
                subscription_path,
                default_version: self.version,
                retry: self.retry,
                poll: self.poll,
                max_body: self.max_body,
            }),
            version_override: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(v: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert(http::header::RETRY_AFTER, v.parse().unwrap());
        h
    }

    /// A URI made directly is the one the URL standard would write, and
    /// anything that standard would change is left to it.
    #[test]
    fn uris_made_directly_match_the_url_standard() {
        for endpoint in [
            "https://management.core.windows.net",
            "https://127.0.0.1:8443/base/path",
            "http://[::1]:9000",
            "https://EXAMPLE.com:443/Mixed",
        ] {
            let base_url = url::Url::parse(endpoint).unwrap();
            let base_path = base_url.path().trim_end_matches('/').to_owned();
            let origin = http::Uri::try_from(base_url.as_str()).unwrap();
            let (scheme, authority) = (origin.scheme().unwrap(), origin.authority().unwrap());
            let by_url = |path: &str, query: &str| {
                http::Uri::try_from(String::from(url_for(&base_url, &base_path, path, query)))
                    .unwrap()
            };
            // Direct: the forms generated code sends.
            for (path, query) in [
                ("/sub/locations", ""),
                (
                    "/sub/services/hostedservices/a%20b%2Fc",
                    "embed-detail=true",
                ),
                (
                    "/sub/operations",
                    "StartTime=2011-01-01T00%3A00%3A00Z&x=1?y=2",
                ),
                ("/sub/a'b/~user/x.y/:@!$&()*+,;=", "a=%25&b=c/d"),
                ("/sub/%zz/.../..a/a.", ""),
                ("/", ""),
            ] {
                let direct = plain_uri(scheme, authority, &base_path, path, query)
                    .unwrap_or_else(|| panic!("{path}?{query} not made directly"));
                assert_eq!(direct, by_url(path, query), "{endpoint} {path}?{query}");
                assert_eq!(direct.to_string(), by_url(path, query).to_string());
            }
            // Left to the URL standard: it would encode or resolve them.
            for (path, query) in [
                ("/sub/a b", ""),
                ("/sub/a\\b", ""),
                ("/sub/../x", ""),
                ("/sub/%2E%2e/x", ""),
                ("/sub/.%2E/x", ""),
                ("/sub/%2e./x", ""),
                ("/sub/x/%2E", ""),
                ("/sub/./x", ""),
                ("/sub/x/.", ""),
                ("/sub/é", ""),
                ("/sub/{x}", ""),
                ("/sub/a|b", ""),
                ("sub/relative", ""),
                ("/sub/x", "a=b c"),
                ("/sub/x", "a='b'"),
                ("/sub/x", "a=<b>"),
            ] {
                assert_eq!(
                    plain_uri(scheme, authority, &base_path, path, query),
                    None,
                    "{path:?} {query:?}"
                );
            }
        }
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        assert_eq!(retry_after(&headers("7")), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after(&headers("Sun, 06 Nov 1994 08:49:37 GMT")),
            Some(Duration::ZERO)
        );
        let later = time::OffsetDateTime::now_utc() + time::Duration::seconds(120);
        let text = later
            .format(time::macros::format_description!(
                "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
            ))
            .unwrap();
        let d = retry_after(&headers(&text)).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(retry_after(&headers("soon")), None);
        assert_eq!(retry_after(&http::HeaderMap::new()), None);
    }
}

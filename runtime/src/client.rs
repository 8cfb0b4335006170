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
    http: reqwest::Client,
    endpoint: String,
    /// `endpoint` parsed once: each call copies it and sets its path and
    /// query, rather than having the whole URL parsed again (its host
    /// included, about 26,000 instructions a call).
    base_url: reqwest::Url,
    /// The endpoint's own path, without a trailing `/` (usually empty),
    /// which each request's path follows.
    base_path: String,
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
                let outcome = self.send_once(request).await;
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
        let spec = request.spec;
        let query = request.query_string();
        let url = if request.path.contains(['?', '#']) {
            // Not a path alone (a hand-built `Request`): the whole URL is
            // parsed, as it is written.
            let mut url = format!("{}{}", self.inner.endpoint, request.path);
            if !query.is_empty() {
                url.push('?');
                url.push_str(&query);
            }
            reqwest::Url::parse(&url).map_err(|e| Error::Config(format!("bad URL {url:?}: {e}")))?
        } else {
            let mut url = self.inner.base_url.clone();
            if self.inner.base_path.is_empty() {
                url.set_path(&request.path);
            } else {
                url.set_path(&format!("{}{}", self.inner.base_path, request.path));
            }
            url.set_query((!query.is_empty()).then_some(query.as_str()));
            url
        };
        let method = http::Method::from_bytes(spec.method.as_bytes())
            .map_err(|_| Error::Config(format!("bad method {}", spec.method)))?;
        let mut builder = self
            .inner
            .http
            .request(method, url)
            .header("x-ms-version", self.version_for(spec));
        for (k, v) in &request.headers {
            builder = builder.header(*k, v.as_str());
        }
        if let Some(body) = &request.body {
            builder = builder
                .header(http::header::CONTENT_TYPE, request.content_type)
                .body(body.clone());
        } else if matches!(spec.method, "POST" | "PUT" | "PATCH") {
            builder = builder.header(http::header::CONTENT_LENGTH, "0");
        }
        let mut resp = builder.send().await.map_err(transport)?;
        let status = resp.status().as_u16();
        let headers = std::mem::take(resp.headers_mut());
        let request_id = headers
            .get("x-ms-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = self.inner.max_body;
        if resp.content_length().is_some_and(|n| n > limit as u64) {
            return Err(too_large(limit, status, request_id));
        }
        // A body that arrives in one chunk is kept as it is (no copy); more
        // chunks are gathered into a buffer sized from Content-Length.
        let first = resp.chunk().await.map_err(transport)?;
        let body = match first {
            None => bytes::Bytes::new(),
            Some(first) => {
                if first.len() > limit {
                    return Err(too_large(limit, status, request_id));
                }
                match resp.chunk().await.map_err(transport)? {
                    None => first,
                    Some(second) => {
                        let hint = resp.content_length().map_or(0, |n| n as usize).min(limit);
                        let mut body = Vec::with_capacity(hint.max(first.len() + second.len()));
                        body.extend_from_slice(&first);
                        let mut next = Some(second);
                        while let Some(chunk) = next {
                            if body.len() + chunk.len() > limit {
                                return Err(too_large(limit, status, request_id));
                            }
                            body.extend_from_slice(&chunk);
                            next = resp.chunk().await.map_err(transport)?;
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

fn too_large(limit: usize, status: u16, request_id: Option<String>) -> Error {
    Error::Decode {
        source: DecodeError::new(DecodeErrorKind::TooLarge { limit }),
        status,
        request_id,
    }
}

fn transport(e: reqwest::Error) -> Error {
    let timeout = e.is_timeout();
    let mut message = e.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
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
        let mut http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(self.timeout)
            .connect_timeout(self.connect_timeout)
            .user_agent(self.user_agent)
            .pool_idle_timeout(Duration::from_secs(60));
        if self.no_proxy {
            http = http.no_proxy();
        } else if let Some(p) = &self.proxy {
            let proxy = reqwest::Proxy::all(p.as_str())
                .map_err(|e| Error::Config(format!("invalid proxy URL: {e}")))?;
            http = http.proxy(proxy);
        }
        let http = http
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {e}")))?;
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
        let base_url = reqwest::Url::parse(&endpoint)
            .map_err(|e| Error::Config(format!("the endpoint {endpoint:?} is not a URL: {e}")))?;
        if base_url.query().is_some() || base_url.fragment().is_some() {
            return Err(Error::Config(format!(
                "the endpoint must not have a query or fragment, got {endpoint:?}"
            )));
        }
        let base_path = base_url.path().trim_end_matches('/').to_owned();
        let mut subscription_path = String::from("/");
        let subscription_path =
            crate::path::push_segment(&mut subscription_path, "subscriptionId", &subscription_id)
                .map(|()| subscription_path);
        Ok(C::from(Core {
            inner: Arc::new(Inner {
                http,
                endpoint,
                base_url,
                base_path,
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

//! The HTTP transport: hyper's pooled client over a connector of the
//! runtime's own (TCP, an optional proxy, rustls with the management
//! certificate).
//!
//! This is the part of reqwest the client used (reqwest is built on the
//! same hyper client), without its per-request layers: about 45 K
//! instructions per call, three URL parses among them, and 13–20 µs of CPU
//! per call on one connection (bench/NOTES.md, "The one-connection cell,
//! part 14").
//!
//! Proxies follow curl's rules as reqwest's do (the same matcher):
//! `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` from the
//! environment, or one explicit proxy. An `https://` destination is reached
//! through a `CONNECT` tunnel, with TLS end to end; an `http://` one is sent
//! to the proxy in absolute form. The proxy itself is spoken to over plain
//! HTTP (an `http://` proxy URL), with basic credentials from its URL.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use rustls_pki_types::ServerName;
use tokio::net::TcpStream;
use tower_service::Service;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The pooled HTTP/1.1 client every call goes through.
pub(crate) type HttpClient =
    hyper_util::client::legacy::Client<Connector, http_body_util::Full<bytes::Bytes>>;

/// Where requests go through a proxy, and which: never (`None`), or by the
/// environment (`HTTPS_PROXY`, `NO_PROXY`, …) or one explicit proxy for
/// every destination.
pub(crate) struct Proxies(pub(crate) Option<Matcher>);

impl Proxies {
    /// The proxy for `dst`, if any.
    pub(crate) fn intercept(&self, dst: &Uri) -> Option<Intercept> {
        self.0.as_ref()?.intercept(dst)
    }

    /// As the environment says (curl's variables).
    pub(crate) fn from_env() -> Self {
        Proxies(Some(Matcher::from_env()))
    }

    /// One explicit proxy, `http://[user:password@]host[:port]` (a URL
    /// without a scheme is taken as `http://`).
    pub(crate) fn explicit(url: &str) -> Result<Self, String> {
        let with_scheme = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let uri: Uri = with_scheme
            .parse()
            .map_err(|e| format!("invalid proxy URL: {e}"))?;
        check_proxy_uri(&uri)?;
        Ok(Proxies(Some(Matcher::builder().all(with_scheme).build())))
    }
}

/// A proxy must be spoken to over plain HTTP and have a host.
fn check_proxy_uri(uri: &Uri) -> Result<(), String> {
    match uri.scheme_str() {
        Some("http") | None => {}
        Some(other) => {
            return Err(format!(
                "proxy scheme {other:?} is not supported (an http:// proxy URL is: \
                 it carries https:// requests in a CONNECT tunnel)"
            ))
        }
    }
    if uri.host().is_none_or(str::is_empty) {
        return Err("the proxy URL has no host".into());
    }
    Ok(())
}

/// Builds the pooled client.
pub(crate) fn client(
    tls: rustls::ClientConfig,
    proxies: Proxies,
    connect_timeout: Duration,
) -> (HttpClient, Arc<Proxies>) {
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(Some(connect_timeout));
    let proxies = Arc::new(proxies);
    let connector = Connector {
        tcp,
        tls: tokio_rustls::TlsConnector::from(Arc::new(tls)),
        proxies: Arc::clone(&proxies),
    };
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .pool_timer(TokioTimer::new())
        .build(connector);
    (client, proxies)
}

/// Opens connections: TCP (directly, to an HTTP proxy, or through its
/// `CONNECT` tunnel), then TLS for `https://` destinations.
#[derive(Clone)]
pub(crate) struct Connector {
    tcp: HttpConnector,
    tls: tokio_rustls::TlsConnector,
    proxies: Arc<Proxies>,
}

impl Service<Uri> for Connector {
    type Response = Conn;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Conn, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(this.connect(dst))
    }
}

impl Connector {
    async fn connect(self, dst: Uri) -> Result<Conn, BoxError> {
        let proxy = self.proxies.intercept(&dst);
        if let Some(p) = &proxy {
            check_proxy_uri(p.uri())?;
        }
        let tcp = self.tcp;
        if dst.scheme() != Some(&http::uri::Scheme::HTTPS) {
            return Ok(match proxy {
                None => Conn::Plain {
                    io: ready_call(tcp, dst).await?,
                    proxied: false,
                },
                // The request goes to the proxy in absolute form.
                Some(p) => Conn::Plain {
                    io: ready_call(tcp, p.uri().clone()).await?,
                    proxied: true,
                },
            });
        }
        let host = dst
            .host()
            .ok_or("the URL has no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let server_name =
            ServerName::try_from(host).map_err(|e| format!("invalid server name: {e}"))?;
        let io = match proxy {
            None => ready_call(tcp, dst).await?,
            Some(p) => {
                let mut tunnel = Tunnel::new(p.uri().clone(), tcp);
                if let Some(auth) = p.basic_auth() {
                    tunnel = tunnel.with_auth(auth.clone());
                }
                ready_call(tunnel, dst).await?
            }
        };
        let tls = self.tls.connect(server_name, io.into_inner()).await?;
        Ok(Conn::Tls(TokioIo::new(tls)))
    }
}

/// `service.call(req)` once the service is ready.
async fn ready_call<S, R>(mut service: S, req: R) -> Result<S::Response, BoxError>
where
    S: Service<R>,
    S::Error: Into<BoxError>,
{
    std::future::poll_fn(|cx| service.poll_ready(cx))
        .await
        .map_err(Into::into)?;
    service.call(req).await.map_err(Into::into)
}

/// One connection: plain TCP (directly or to an HTTP proxy) or TLS.
// The TLS variant is large (rustls' state), but a connection is made once
// and lives in hyper's connection task; a box would only add a hop to
// every read and write.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Conn {
    Plain {
        io: TokioIo<TcpStream>,
        /// Connected to a proxy that takes absolute-form requests.
        proxied: bool,
    },
    Tls(TokioIo<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl Connection for Conn {
    fn connected(&self) -> Connected {
        match self {
            Conn::Plain { proxied, .. } => Connected::new().proxy(*proxied),
            Conn::Tls(_) => Connected::new(),
        }
    }
}

impl Read for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_read(cx, buf),
            Conn::Tls(io) => Pin::new(io).poll_read(cx, buf),
        }
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_write(cx, buf),
            Conn::Tls(io) => Pin::new(io).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_write_vectored(cx, bufs),
            Conn::Tls(io) => Pin::new(io).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Conn::Plain { io, .. } => io.is_write_vectored(),
            Conn::Tls(io) => io.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_flush(cx),
            Conn::Tls(io) => Pin::new(io).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Conn::Plain { io, .. } => Pin::new(io).poll_shutdown(cx),
            Conn::Tls(io) => Pin::new(io).poll_shutdown(cx),
        }
    }
}

//! The network side: TLS accept loop, HTTP/1.1 with keep-alive, bounded
//! bodies, response headers, graceful shutdown.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming as Body;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tokio_rustls::TlsAcceptor;

use crate::api::{error_document, Api, ApiError, Incoming, Reply};
use crate::pki;

/// Everything a connection needs.
pub(crate) struct Shared {
    pub api: Arc<Api>,
    pub max_body: usize,
}

/// Accepts connections until `shutdown` turns true, then waits for the
/// open connections to finish their in-flight requests.
pub(crate) async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (done_tx, mut done_rx) = mpsc::channel::<()>(1);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        let (tcp, peer) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(20)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = Arc::clone(&shared);
        let shutdown = shutdown.clone();
        let done = done_tx.clone();
        tokio::spawn(async move {
            connection(tcp, peer, acceptor, shared, shutdown).await;
            drop(done);
        });
    }
    drop(done_tx);
    // Every connection task holds a sender: recv() ends when all are gone.
    let _ = tokio::time::timeout(Duration::from_secs(30), done_rx.recv()).await;
}

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let tls = match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(tcp)).await {
        Ok(Ok(tls)) => tls,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake timed out");
            return;
        }
    };
    let thumbprint = tls
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|c| c.first())
        .map(|c| pki::thumbprint(c.as_ref()));
    tracing::debug!(%peer, thumbprint = ?thumbprint, "connection");
    let thumbprint: Option<Arc<str>> = thumbprint.map(Arc::from);
    let client_ip = peer.ip().to_string();
    let service = hyper::service::service_fn(move |req: Request<Body>| {
        let shared = Arc::clone(&shared);
        let thumbprint = thumbprint.clone();
        let client_ip = client_ip.clone();
        async move { Ok::<_, Infallible>(handle(shared, req, thumbprint, client_ip).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(30))
        .serve_connection(TokioIo::new(tls), service);
    tokio::pin!(conn);
    let result = tokio::select! {
        r = conn.as_mut() => r,
        _ = shutdown.changed() => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    if let Err(e) = result {
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: Request<Body>,
    thumbprint: Option<Arc<str>>,
    client_ip: String,
) -> Response<Full<Bytes>> {
    let request_id = uuid::Uuid::new_v4().simple().to_string();
    let started = std::time::Instant::now();
    let method = req.method().as_str().to_owned();
    // The service reads an empty segment as none: the Python client lists a
    // server's databases at `servers//{name}/databases` (recorded: 200).
    let mut path = req.uri().path().to_owned();
    while path.contains("//") {
        path = path.replace("//", "/");
    }
    let query = req.uri().query().unwrap_or("").to_owned();
    let version = req
        .headers()
        .get("x-ms-version")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let too_large = || {
        ApiError::new(
            413,
            "RequestEntityTooLarge",
            format!("The request body is larger than {} bytes.", shared.max_body),
        )
        .reply()
    };
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let reply = if declared.is_some_and(|n| n > shared.max_body as u64) {
        too_large()
    } else {
        match Limited::new(req.into_body(), shared.max_body)
            .collect()
            .await
        {
            Err(e)
                if e.downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some() =>
            {
                too_large()
            }
            Err(e) => {
                tracing::debug!(error = %e, "reading the request body failed");
                ApiError::new(400, "BadRequest", "The request body could not be read.").reply()
            }
            Ok(collected) => {
                let incoming = Incoming {
                    method: method.clone(),
                    path: path.clone(),
                    query,
                    body: collected.to_bytes(),
                    version,
                    thumbprint: thumbprint.map(|t| t.to_string()),
                    client_ip: Some(client_ip),
                    request_id: request_id.clone(),
                };
                let api = Arc::clone(&shared.api);
                match tokio::task::spawn_blocking(move || api.handle(&incoming)).await {
                    Ok(reply) => reply,
                    Err(e) => {
                        tracing::error!(error = %e, "request handler failed");
                        ApiError::new(
                            500,
                            "InternalError",
                            "The server encountered an internal error.",
                        )
                        .reply()
                    }
                }
            }
        }
    };
    tracing::info!(
        %method,
        %path,
        status = reply.status,
        request_id = %request_id,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "request"
    );
    response(reply, &request_id)
}

fn response(reply: Reply, request_id: &str) -> Response<Full<Bytes>> {
    let status = hyper::StatusCode::from_u16(reply.status)
        .unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = Response::builder()
        .status(status)
        .header("x-ms-request-id", request_id)
        .header("Cache-Control", "no-cache")
        .header("Server", "asm-emulator");
    let body = match reply.body {
        Some(b) => {
            builder = builder.header("Content-Type", reply.content_type);
            Bytes::from(b)
        }
        None => Bytes::new(),
    };
    builder.body(Full::new(body)).unwrap_or_else(|_| {
        let mut r = Response::new(Full::new(Bytes::from(error_document(
            "InternalError",
            "The response could not be built.",
        ))));
        *r.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
        r
    })
}

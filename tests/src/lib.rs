//! Helpers shared by the workspace's integration tests.

pub mod emulated;

/// Prints a line that scripts read from the test run's output. The test
/// harness captures `println!`; this writes to the process's stdout directly,
/// so the line shows in `cargo test` output whether the test passes or not.
pub fn report_line(line: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub mod mock {
    //! A scripted plain-HTTP server on 127.0.0.1 that records every request.

    use std::collections::VecDeque;
    use std::convert::Infallible;
    use std::sync::{Arc, Mutex, MutexGuard};

    use azure_asm::{Client, ClientBuilder, RetryPolicy};
    use bytes::Bytes;
    use http_body_util::{BodyExt, Full};
    use hyper::body::Incoming;
    use hyper::service::service_fn;
    use hyper_util::rt::{TokioExecutor, TokioIo};

    /// One request as the server saw it.
    #[derive(Debug, Clone)]
    pub struct Captured {
        /// Method.
        pub method: String,
        /// Path (still percent-encoded).
        pub path: String,
        /// Raw query string.
        pub query: String,
        /// The request target as sent (absolute-form through a proxy).
        pub target: String,
        /// All headers, lower-case names.
        pub headers: Vec<(String, String)>,
        /// Body.
        pub body: Vec<u8>,
    }

    impl Captured {
        /// A header's value.
        pub fn header(&self, name: &str) -> Option<&str> {
            self.headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
    }

    /// An answer.
    #[derive(Debug, Clone, Default)]
    pub struct Reply {
        /// Status code.
        pub status: u16,
        /// Headers.
        pub headers: Vec<(String, String)>,
        /// Body.
        pub body: String,
    }

    impl Reply {
        /// A reply with a status and a body.
        pub fn new(status: u16, body: impl Into<String>) -> Self {
            Self {
                status,
                headers: Vec::new(),
                body: body.into(),
            }
        }

        /// Adds a header.
        pub fn header(mut self, name: &str, value: &str) -> Self {
            self.headers.push((name.to_owned(), value.to_owned()));
            self
        }
    }

    #[derive(Default)]
    struct State {
        script: VecDeque<Reply>,
        fallback: Reply,
        captured: Vec<Captured>,
    }

    /// The server; it runs until the runtime ends.
    #[derive(Clone)]
    pub struct MockServer {
        /// `http://127.0.0.1:PORT`.
        pub endpoint: String,
        state: Arc<Mutex<State>>,
    }

    impl MockServer {
        /// Starts a server answering 200 with an empty body until scripted.
        pub async fn start() -> Self {
            let state = Arc::new(Mutex::new(State {
                fallback: Reply::new(200, ""),
                ..State::default()
            }));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1");
            let addr = listener.local_addr().expect("local addr");
            let st = state.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let st = st.clone();
                    tokio::spawn(async move {
                        let svc = service_fn(move |req: hyper::Request<Incoming>| {
                            let st = st.clone();
                            async move { Ok::<_, Infallible>(answer(&st, req).await) }
                        });
                        let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
            });
            Self {
                endpoint: format!("http://{addr}"),
                state,
            }
        }

        fn lock(&self) -> MutexGuard<'_, State> {
            self.state.lock().unwrap_or_else(|p| p.into_inner())
        }

        /// Queues a reply (replies are used in order, then the fallback).
        pub fn push(&self, reply: Reply) {
            self.lock().script.push_back(reply);
        }

        /// Sets the reply used when the script is empty.
        pub fn set_fallback(&self, reply: Reply) {
            self.lock().fallback = reply;
        }

        /// Forgets the script and the captured requests.
        pub fn reset(&self) {
            let mut s = self.lock();
            s.script.clear();
            s.captured.clear();
        }

        /// The requests seen so far.
        pub fn captured(&self) -> Vec<Captured> {
            self.lock().captured.clone()
        }

        /// A client builder for `subscription` that sends to this server
        /// directly (no proxy) and never retries.
        pub fn client_builder(&self, subscription: &str) -> ClientBuilder<Client> {
            Client::builder()
                .subscription_id(subscription)
                .endpoint(&self.endpoint)
                .no_proxy()
                .retry_policy(RetryPolicy::none())
        }
    }

    async fn answer(
        st: &Arc<Mutex<State>>,
        req: hyper::Request<Incoming>,
    ) -> hyper::Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let reply = {
            let mut s = st.lock().unwrap_or_else(|p| p.into_inner());
            s.captured.push(Captured {
                method: parts.method.to_string(),
                path: parts.uri.path().to_owned(),
                query: parts.uri.query().unwrap_or("").to_owned(),
                target: parts.uri.to_string(),
                headers: parts
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
                    .collect(),
                body: body.to_vec(),
            });
            let fallback = s.fallback.clone();
            s.script.pop_front().unwrap_or(fallback)
        };
        let mut resp = hyper::Response::builder().status(reply.status);
        for (k, v) in &reply.headers {
            resp = resp.header(k, v);
        }
        resp.body(Full::new(Bytes::from(reply.body)))
            .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
    }
}

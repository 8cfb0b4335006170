//! Long-running operations: the service answers 202 (or a body carrying an
//! operation id) and the operation is polled until it ends.
//!
//! How an operation is polled is the spec's business: each `poller` of the
//! spec becomes a generated type implementing [`Poll`] (Get Operation
//! Status for classic operations, the networking operation status for
//! gateways, ...), which maps the status response onto [`OperationState`].
//! This module only runs the loop.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::client::Core;
use crate::error::{Error, ServiceError};

/// How asynchronous operations are polled.
#[derive(Debug, Clone)]
pub struct PollOptions {
    /// First wait before polling.
    pub initial_delay: Duration,
    /// Longest wait between polls (delays grow by half each time up to this).
    pub max_delay: Duration,
    /// Give up after this long.
    pub timeout: Duration,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15),
            timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// The state of an operation, as Get Operation Status reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperationState {
    /// Still running.
    InProgress,
    /// Done.
    Succeeded {
        /// `HttpStatusCode` the operation finished with.
        http_status: Option<u16>,
    },
    /// Finished with an error.
    Failed(ServiceError),
    /// A status this client does not know (kept as the service sent it).
    Other(String),
}

/// One poll's result, handed to progress callbacks.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// The operation (request) id.
    pub request_id: &'a str,
    /// What the service said.
    pub state: &'a OperationState,
    /// How many polls so far.
    pub polls: u32,
    /// Time since waiting started.
    pub elapsed: Duration,
}

/// A boxed future, as [`Poll::poll`] returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Asks the service once for the state of an operation. Generated from the
/// spec's `poller` declarations.
pub trait Poll: Send + Sync + std::fmt::Debug {
    /// The operation's state now.
    fn poll<'a>(
        &'a self,
        core: &'a Core,
        id: &'a str,
    ) -> BoxFuture<'a, Result<OperationState, Error>>;
}

/// A started asynchronous operation.
#[derive(Debug, Clone)]
pub struct AsyncOperation {
    core: Core,
    operation: &'static str,
    request_id: String,
    status: u16,
    finished: bool,
    poller: Arc<dyn Poll>,
    headers: http::HeaderMap,
}

impl AsyncOperation {
    /// A handle on operation `id`, started by `operation` with HTTP `status`;
    /// `finished` when the service already answered that it is done (200 or
    /// 201 instead of 202). Generated code builds these.
    pub fn new(
        core: Core,
        operation: &'static str,
        id: impl Into<String>,
        status: u16,
        finished: bool,
        poller: Arc<dyn Poll>,
    ) -> Self {
        Self {
            core,
            operation,
            request_id: id.into(),
            status,
            finished,
            poller,
            headers: http::HeaderMap::new(),
        }
    }

    /// The same handle, keeping the response headers of the call that
    /// started it (a spec's `response-header` lines of a long-running
    /// operation: an `ETag`, say).
    pub fn with_headers(mut self, headers: http::HeaderMap) -> Self {
        self.headers = headers;
        self
    }

    /// A response header of the call that started the operation.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The operation (request) id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The operation that was started (empty for a handle made from an id).
    pub fn operation(&self) -> &str {
        self.operation
    }

    /// The HTTP status of the call that started it (202, or 200/201 when the
    /// service finished at once).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Whether the service said the operation was done when it answered.
    pub fn finished_at_once(&self) -> bool {
        self.finished
    }

    /// Asks once for the operation's state.
    pub async fn poll(&self) -> Result<OperationState, Error> {
        self.poller.poll(&self.core, &self.request_id).await
    }

    /// Waits for the operation to finish, with the client's poll options.
    pub async fn wait(&self) -> Result<(), Error> {
        self.wait_with(self.core.poll_options().clone(), |_| {})
            .await
    }

    /// Waits, calling `progress` after every poll. A status the spec does not
    /// know ends the wait with [`Error::UnknownOperationStatus`].
    pub async fn wait_with(
        &self,
        options: PollOptions,
        mut progress: impl FnMut(&Progress<'_>),
    ) -> Result<(), Error> {
        if self.finished {
            return Ok(());
        }
        let started = Instant::now();
        let mut delay = options.initial_delay;
        let mut polls = 0u32;
        loop {
            tokio::time::sleep(delay).await;
            let state = self.poll().await?;
            polls += 1;
            progress(&Progress {
                request_id: &self.request_id,
                state: &state,
                polls,
                elapsed: started.elapsed(),
            });
            match state {
                OperationState::Succeeded { .. } => return Ok(()),
                OperationState::Failed(error) => {
                    return Err(Error::OperationFailed {
                        request_id: self.request_id.clone(),
                        error,
                    })
                }
                OperationState::Other(status) => {
                    return Err(Error::UnknownOperationStatus {
                        request_id: self.request_id.clone(),
                        status,
                    })
                }
                OperationState::InProgress => {}
            }
            if started.elapsed() >= options.timeout {
                return Err(Error::OperationTimeout {
                    request_id: self.request_id.clone(),
                    waited: started.elapsed(),
                });
            }
            delay = (delay + delay / 2)
                .min(options.max_delay)
                .max(Duration::from_millis(1));
        }
    }
}

/// The HTTP status a finished operation reports, as a number: the service
/// sends either the number or its name (`OK`, `BadRequest`, ...).
pub fn http_status_code(text: &str) -> Option<u16> {
    let t = text.trim();
    if let Ok(n) = t.parse() {
        return Some(n);
    }
    Some(match t {
        "OK" => 200,
        "Created" => 201,
        "Accepted" => 202,
        "NoContent" => 204,
        "BadRequest" => 400,
        "Unauthorized" => 401,
        "Forbidden" => 403,
        "NotFound" => 404,
        "Conflict" => 409,
        "InternalServerError" => 500,
        "ServiceUnavailable" => 503,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names() {
        assert_eq!(http_status_code(" 409 "), Some(409));
        assert_eq!(http_status_code("OK"), Some(200));
        assert_eq!(http_status_code("Teapot"), None);
    }
}

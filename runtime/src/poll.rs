//! Long-running operations: 202 + `x-ms-request-id`, polled with
//! Get Operation Status until `Succeeded` or `Failed`.

use std::time::{Duration, Instant};

use crate::client::{Core, OperationSpec, RawResponse, Request};
use crate::error::{DecodeError, Error, ServiceError};
use crate::xml::{Child, FromXml, XmlReader};

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

/// A started asynchronous operation.
#[derive(Debug, Clone)]
pub struct AsyncOperation {
    core: Core,
    operation: &'static str,
    request_id: String,
    status: u16,
}

static GET_OPERATION_STATUS: OperationSpec = OperationSpec {
    name: "GetOperationStatus",
    method: "GET",
    uri: "/{subscriptionId}/operations/{requestId}",
    version: "2014-10-01",
    success: &[200],
    is_async: false,
    request_root: None,
    response_root: Some("Operation"),
};

impl AsyncOperation {
    pub(crate) fn from_response(
        core: Core,
        operation: &'static str,
        resp: &RawResponse,
    ) -> Result<Self, Error> {
        let request_id = resp.request_id.clone().ok_or_else(|| Error::Decode {
            source: DecodeError::new(crate::error::DecodeErrorKind::Missing("x-ms-request-id")),
            status: resp.status,
            request_id: None,
        })?;
        Ok(Self {
            core,
            operation,
            request_id,
            status: resp.status,
        })
    }

    /// A handle for an operation started elsewhere.
    pub fn resume(core: Core, request_id: impl Into<String>) -> Self {
        Self {
            core,
            operation: "",
            request_id: request_id.into(),
            status: 202,
        }
    }

    /// The operation (request) id.
    pub fn request_id(&self) -> &str {
        &self.request_id
    }

    /// The operation that was started.
    pub fn operation(&self) -> &str {
        self.operation
    }

    /// The HTTP status of the call that started it (202, or 200/201 when the
    /// service finished at once).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// Asks once for the operation's state.
    pub async fn poll(&self) -> Result<OperationState, Error> {
        let mut req = Request::new(&GET_OPERATION_STATUS);
        req.path = self.core.subscription_path()?;
        req.path.push_str("/operations/");
        crate::path::push_segment(&mut req.path, "requestId", &self.request_id)?;
        let status: OperationStatusBody = self.core.call(&req).await?;
        Ok(status.into_state(&self.request_id))
    }

    /// Waits for the operation to finish, with the client's poll options.
    pub async fn wait(&self) -> Result<(), Error> {
        self.wait_with(self.core.poll_options().clone(), |_| {})
            .await
    }

    /// Waits, calling `progress` after every poll.
    pub async fn wait_with(
        &self,
        options: PollOptions,
        mut progress: impl FnMut(&Progress<'_>),
    ) -> Result<(), Error> {
        if self.status != 202 {
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
                OperationState::InProgress | OperationState::Other(_) => {}
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

/// The few fields of `<Operation>` the poller needs (the full type is in
/// the generated crate).
#[derive(Default)]
struct OperationStatusBody {
    status: String,
    http_status: Option<u16>,
    code: Option<String>,
    message: Option<String>,
}

impl OperationStatusBody {
    fn into_state(self, request_id: &str) -> OperationState {
        match self.status.as_str() {
            "InProgress" => OperationState::InProgress,
            "Succeeded" => OperationState::Succeeded {
                http_status: self.http_status,
            },
            "Failed" => OperationState::Failed(ServiceError {
                status: self.http_status.unwrap_or(500),
                code: self.code,
                message: self.message.unwrap_or_default(),
                request_id: Some(request_id.to_owned()),
            }),
            _ => OperationState::Other(self.status),
        }
    }
}

impl FromXml for OperationStatusBody {
    fn from_xml(r: &mut XmlReader<'_>, el: &Child<'_>) -> Result<Self, DecodeError> {
        let mut out = OperationStatusBody::default();
        if el.is_empty() {
            return Ok(out);
        }
        while let Some(c) = r.next_child()? {
            match c.name() {
                b"Status" => out.status = r.text_opt::<String>(&c)?.unwrap_or_default(),
                b"HttpStatusCode" => {
                    // Either a number or a name such as `OK`/`BadRequest`.
                    let text: Option<String> = r.text_opt(&c)?;
                    out.http_status = text.and_then(|t| http_status(&t));
                }
                b"Error" if !c.is_empty() => {
                    while let Some(e) = r.next_child()? {
                        match e.name() {
                            b"Code" => out.code = r.text_opt(&e)?,
                            b"Message" => out.message = r.text_opt(&e)?,
                            _ => r.skip(&e)?,
                        }
                    }
                }
                _ => r.skip(&c)?,
            }
        }
        Ok(out)
    }
}

fn http_status(text: &str) -> Option<u16> {
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
    use crate::xml;

    #[test]
    fn reads_failed_operation() {
        let body = br#"<Operation xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><ID>0b7a1e5c-6f2d-4a47-9f6e-1c8a7f1a2b3c</ID><Status>Failed</Status><HttpStatusCode>409</HttpStatusCode><Error><Code>ConflictError</Code><Message>taken</Message></Error></Operation>"#;
        let b: OperationStatusBody = xml::from_document("Operation", body).unwrap();
        match b.into_state("abc") {
            OperationState::Failed(e) => {
                assert_eq!(e.status, 409);
                assert_eq!(e.code.as_deref(), Some("ConflictError"));
                assert_eq!(e.message, "taken");
            }
            other => panic!("{other:?}"),
        }
        let b: OperationStatusBody = xml::from_document(
            "Operation",
            b"<Operation><Status>Succeeded</Status><HttpStatusCode>OK</HttpStatusCode></Operation>",
        )
        .unwrap();
        assert_eq!(
            b.into_state("x"),
            OperationState::Succeeded {
                http_status: Some(200)
            }
        );
    }
}

//! What a command can fail with, and how it is printed.

use std::error::Error as _;
use std::fmt::Write as _;

/// A command's failure.
#[derive(Debug)]
pub enum CliError {
    /// A call (or credentials, or configuration) of the client.
    Api(azure_asm::Error),
    /// Anything else, already worded for the user.
    Message(String),
}

impl From<azure_asm::Error> for CliError {
    fn from(e: azure_asm::Error) -> Self {
        CliError::Api(e)
    }
}

impl From<asm_runtime::credentials::CredentialsError> for CliError {
    fn from(e: asm_runtime::credentials::CredentialsError) -> Self {
        CliError::Api(e.into())
    }
}

impl From<asm_emulator::Error> for CliError {
    fn from(e: asm_emulator::Error) -> Self {
        CliError::Message(format!("the embedded emulator could not start: {e}"))
    }
}

impl From<String> for CliError {
    fn from(s: String) -> Self {
        CliError::Message(s)
    }
}

pub fn msg(s: impl Into<String>) -> CliError {
    CliError::Message(s.into())
}

impl CliError {
    /// `error: ...` and, for service errors, a second line with the code,
    /// the HTTP status and the request id.
    pub fn render(&self) -> String {
        match self {
            CliError::Message(m) => format!("error: {m}\n"),
            CliError::Api(e) => render_api(e),
        }
    }
}

fn render_api(e: &azure_asm::Error) -> String {
    use azure_asm::Error;
    let mut out = String::new();
    let service = |out: &mut String, s: &azure_asm::ServiceError, request_id: Option<&str>| {
        let mut details = Vec::new();
        if let Some(code) = &s.code {
            details.push(code.clone());
        }
        details.push(format!("HTTP {}", s.status));
        if let Some(id) = s.request_id.as_deref().or(request_id) {
            details.push(format!("request id {id}"));
        }
        let _ = writeln!(out, "       ({})", details.join(", "));
    };
    match e {
        Error::Service(s) => {
            let message = if s.message.is_empty() {
                s.code
                    .clone()
                    .unwrap_or_else(|| "the service refused the request".into())
            } else {
                s.message.clone()
            };
            let _ = writeln!(out, "error: {message}");
            service(&mut out, s, None);
        }
        Error::OperationFailed { request_id, error } => {
            let _ = writeln!(
                out,
                "error: operation {request_id} failed: {}",
                if error.message.is_empty() {
                    "no message"
                } else {
                    &error.message
                }
            );
            service(&mut out, error, Some(request_id));
        }
        other => {
            let mut line = other.to_string();
            let mut source = other.source();
            while let Some(s) = source {
                let text = s.to_string();
                if !line.contains(&text) {
                    line.push_str(": ");
                    line.push_str(&text);
                }
                source = s.source();
            }
            let _ = writeln!(out, "error: {line}");
            if let Some(id) = other.request_id() {
                let _ = writeln!(out, "       (request id {id})");
            }
        }
    }
    out
}

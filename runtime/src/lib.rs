//! Handwritten runtime of the Azure Service Management client.
//!
//! The typed operations live in the generated crate (`azure-asm`, under
//! `generated/`); this crate is what they run on:
//!
//! - [`xml`]: a small pull reader and an ordered writer for the service's XML;
//! - [`atom`], [`json`], [`document`]: the other body formats (Atom
//!   envelopes, JSON, raw text documents with a schema);
//! - [`credentials`]: management certificates (PEM, PKCS#12, `.publishsettings`);
//! - [`x509`]: a certificate's thumbprint and public key;
//! - [`Core`]: the HTTP pipeline (mutual TLS, `x-ms-version`, retries, tracing);
//! - [`AsyncOperation`]: long-running operations, polled by a generated [`Poll`];
//! - [`paging`]: continuation-token streams;
//! - [`redaction`]: secrets kept out of serialized output;
//! - [`cli`]: what a command-line client generated from the spec is made of;
//! - [`Error`]: one error type for everything above.

pub mod atom;
pub mod cli;
pub mod credentials;
pub mod datetime;
pub mod document;
pub mod error;
pub mod json;
pub mod path;
pub mod redaction;
pub mod routing;
pub mod x509;
pub mod xml;

mod client;
pub mod paging;
pub mod poll;
mod retry;
mod transport;

/// The string type of the generated types' text fields: a `String` that
/// keeps values of up to 24 bytes inline (`.into()` from `&str` and
/// `String`, `Deref<Target = str>`, `to_string()`).
pub use compact_str::{format_compact, CompactString, ToCompactString};

pub use client::{
    decode_body, decode_response, ClientBuilder, Core, OperationSpec, RawResponse, Request,
    DEFAULT_ENDPOINT, DEFAULT_VERSION,
};
pub use credentials::{Credentials, PublishSettings, PublishedSubscription};
pub use datetime::DateTime;
pub use document::TextDocument;
pub use error::{DecodeError, DecodeErrorKind, Error, ServiceError, Validate, ValidationError};
pub use paging::ItemStream;
pub use poll::{AsyncOperation, OperationState, Poll, PollOptions, Progress};
pub use retry::RetryPolicy;

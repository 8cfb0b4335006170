//! Logging to stderr (`-v`, `RUST_LOG`), and the request ids of calls.
//! The runtime logs operations, statuses and request ids, never bodies.
//!
//! The runtime records each call's `x-ms-request-id` on its `asm.request`
//! span; a small layer keeps the last one so commands can print it even for
//! operations whose generated method returns nothing.

use std::io::IsTerminal as _;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt as _};
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{filter, EnvFilter};

static LAST_REQUEST_ID: Mutex<Option<String>> = Mutex::new(None);

/// Takes the request id of the last call that returned one.
pub fn take_request_id() -> Option<String> {
    LAST_REQUEST_ID
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

/// `" (request id X)"`, or nothing.
pub fn request_id_suffix() -> String {
    take_request_id()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

struct RequestIds;

struct IdVisitor(Option<String>);

impl Visit for IdVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "request_id" {
            self.0 = Some(value.to_owned());
        }
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "request_id" {
            self.0 = Some(format!("{value:?}").trim_matches('"').to_owned());
        }
    }
}

impl<S: Subscriber> Layer<S> for RequestIds {
    fn on_new_span(&self, _attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {}

    fn on_record(&self, _id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut v = IdVisitor(None);
        values.record(&mut v);
        if let Some(id) = v.0 {
            *LAST_REQUEST_ID.lock().unwrap_or_else(|p| p.into_inner()) = Some(id);
        }
    }
}

/// Installs the subscriber: warnings by default, `-v` info, `-vv` debug,
/// `-vvv` trace; `RUST_LOG` wins when set.
pub fn init(verbose: u8) {
    let env = std::env::var("RUST_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty());
    let filter = match env {
        Some(v) => EnvFilter::try_new(v).unwrap_or_else(|_| EnvFilter::new("warn")),
        None => EnvFilter::new(match verbose {
            0 => "warn",
            1 => "info,asm_runtime=debug",
            2 => "debug,hyper=info,hyper_util=info,rustls=info,reqwest=info",
            _ => "trace",
        }),
    };
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(verbose >= 2)
        .with_filter(filter);
    let ids = RequestIds.with_filter(filter::filter_fn(|m| {
        m.is_span() && m.name() == "asm.request"
    }));
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(ids)
        .try_init();
}

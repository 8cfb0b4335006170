//! What the examples share: an emulator on loopback and a client for it.
//!
//! Each example in this directory (`cargo run -p asm-examples --example
//! NAME`) starts its own emulator with [`connect`], so it needs no Azure
//! account and touches nothing but `127.0.0.1`. Against the real service,
//! build the client with your subscription and management certificate
//! instead, and the rest of each example is unchanged:
//!
//! ```no_run
//! # fn demo() -> Result<(), azure_asm::Error> {
//! let client = azure_asm::Client::builder()
//!     .subscription_id("00000000-0000-0000-0000-000000000000")
//!     .credentials(azure_asm::Credentials::from_pem_file("management.pem")?)
//!     .build()?;
//! # Ok(()) }
//! ```

use std::time::Duration;

use asm_emulator::{Config, Emulator, RunningEmulator};
use azure_asm::{Client, Credentials, PollOptions};

/// What the examples' `main` returns: any error ends the example with a
/// message and exit status 1.
pub type Result<T = (), E = Box<dyn std::error::Error + Send + Sync>> = std::result::Result<T, E>;

/// Starts an emulator (temporary data, deleted when it stops) and a client
/// for its first subscription: mutual TLS with the management certificate
/// the emulator issued, trusting the emulator's CA, and no proxy.
///
/// Asynchronous operations stay `InProgress` for a third of a second and
/// are polled every 100 ms, so progress is visible and the examples stay
/// fast. Call [`RunningEmulator::shutdown`] at the end.
pub async fn connect() -> Result<(Client, RunningEmulator)> {
    let emulator = Emulator::start(Config {
        async_delay: Duration::from_millis(300),
        ..Config::ephemeral()?
    })
    .await?;
    let client = Client::builder()
        .subscription_id(emulator.subscription_id())
        .credentials(Credentials::from_pem(&emulator.client_pem())?)
        .endpoint(emulator.endpoint())
        .add_root_certificate_pem(&emulator.ca_pem())?
        // Loopback: never through an `HTTPS_PROXY` from the environment.
        .no_proxy()
        .poll_options(PollOptions {
            initial_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(100),
            timeout: Duration::from_secs(30),
        })
        .build()?;
    Ok((client, emulator))
}

/// A secret shortened for printing: `abcd… (88 chars)`.
pub fn redacted(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}… ({} chars)", secret.chars().count())
}

//! A local emulator of the Azure Service Management (classic) REST API.
//!
//! It speaks the service's protocol over HTTPS with client certificates,
//! the way `management.core.windows.net` did: any client certificate is
//! accepted at the TLS handshake, and each request is authorised by the
//! certificate's SHA-1 thumbprint against the management certificates of
//! the subscription in its path. Every operation of `spec/` has real
//! semantics over state kept in a [redb](https://docs.rs/redb) database under
//! the data directory; every mutating request is committed durably before it
//! is answered (unless [`Config::sync_writes`] is off, as it is for
//! [`Config::ephemeral`]: then on its way to the disk). Requests that commit
//! while a durable commit is running share the next one (group commit: one
//! fsync for the group). A committed write is visible to readers at once,
//! before its fsync; a crash in between loses it with its answer unsent.
//!
//! Routing, request decoding and response encoding come from the generated
//! server side ([`azure_asm::server`]); only the behaviour is written here.
//!
//! # Starting one inside a process
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use asm_emulator::{Config, Emulator};
//!
//! let emulator = Emulator::start(Config::ephemeral()?).await?;
//! let client = azure_asm::Client::builder()
//!     .subscription_id(emulator.subscription_id())
//!     .credentials(azure_asm::Credentials::from_pem(&emulator.client_pem())?)
//!     .endpoint(emulator.endpoint())
//!     .add_root_certificate_pem(&emulator.ca_pem())?
//!     .build()?;
//! println!("{} locations", client.list_locations().await?.location.len());
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! # Files in the data directory
//!
//! | file | contents |
//! |---|---|
//! | `ca.pem` | the CA certificate that signed the server certificate (trust it) |
//! | `server.pem` | the server certificate for `127.0.0.1` and `localhost`, with its key |
//! | `client.pem` | the management certificate of the first subscription, with its key |
//! | `state.redb` | the state |
//!
//! They are created on the first start and reused afterwards.

#![warn(missing_docs)]

mod api;
mod areas;
mod compute;
mod engine;
mod gateways;
mod hooks;
mod http;
mod images;
mod locations;
mod network;
mod pki;
mod platform;
mod sb_scheduler;
mod sql;
mod store;
mod tls;
mod websites;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

pub use pki::thumbprint;

/// Why the emulator could not start (or add a subscription).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file, or binding the listener.
    #[error("{path}: {source}")]
    Io {
        /// The file, or the address.
        path: String,
        /// What failed.
        #[source]
        source: std::io::Error,
    },
    /// Generating a certificate.
    #[error("certificate generation failed: {0}")]
    Certificate(#[from] rcgen::Error),
    /// Setting up TLS.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// The database.
    #[error("database: {0}")]
    Store(String),
    /// Inconsistent configuration or data directory.
    #[error("configuration: {0}")]
    Config(String),
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    }
}

impl From<store::StoreError> for Error {
    fn from(e: store::StoreError) -> Self {
        Error::Store(e.0)
    }
}

/// How to run the emulator. Build one with [`Config::new`] or
/// [`Config::ephemeral`] and change fields as needed:
///
/// ```
/// # use std::time::Duration;
/// let config = asm_emulator::Config {
///     page_size: 5,
///     async_delay: Duration::from_millis(50),
///     ..asm_emulator::Config::new("/tmp/asm-data")
/// };
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0: any free port). Default `127.0.0.1:0`.
    pub listen: SocketAddr,
    /// Where certificates and state live (created if missing).
    pub data_dir: PathBuf,
    /// Id of the first subscription, used when the data directory is new
    /// (default: a random GUID). On later starts it must match the stored one.
    pub subscription_id: Option<String>,
    /// How long asynchronous operations stay `InProgress`. Default 200 ms.
    pub async_delay: Duration,
    /// Page size of List Subscription Operations. Default 100.
    pub page_size: usize,
    /// Largest request body accepted (larger: `413`). Default 1 MiB.
    pub max_body_bytes: usize,
    /// `MaxHostedServices` of each subscription (enforced). Default 100.
    pub max_hosted_services: i32,
    /// `MaxStorageAccounts` of each subscription (enforced). Default 250.
    pub max_storage_accounts: i32,
    /// A JSON state to start with (the form [`RunningEmulator::dump`] and
    /// `asm-emulator dump` print): its records are written into the store
    /// before the emulator serves, replacing records with the same keys.
    pub seed: Option<PathBuf>,
    /// Serve this spec directory instead of the embedded spec: resources it
    /// declares are served by the generic engine (for tests of the engine;
    /// operations the generated crate does not know have no typed handler).
    pub spec_dir: Option<PathBuf>,
    /// Keeps a temporary data directory alive for as long as the emulator
    /// runs (set by [`Config::ephemeral`]); it is deleted afterwards.
    pub temp_dir: Option<Arc<tempfile::TempDir>>,
    /// Whether a write is on disk (fsync) before it is answered. Default
    /// true. [`Config::ephemeral`] turns it off, since its state is deleted
    /// with it: writes still reach the file (the operating system's cache),
    /// so they survive a restart on the same config and a killed process,
    /// not a crash of the machine.
    pub sync_writes: bool,
}

impl Config {
    /// The defaults, with state in `data_dir`.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            listen: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            data_dir: data_dir.into(),
            subscription_id: None,
            async_delay: Duration::from_millis(200),
            page_size: 100,
            max_body_bytes: 1 << 20,
            max_hosted_services: 100,
            max_storage_accounts: 250,
            seed: None,
            spec_dir: None,
            temp_dir: None,
            sync_writes: true,
        }
    }

    /// The defaults, with state in a new temporary directory that is
    /// deleted when the emulator (and every clone of this config) is gone,
    /// and writes answered without waiting for the disk
    /// ([`Config::sync_writes`] off).
    pub fn ephemeral() -> Result<Self, Error> {
        let dir = tempfile::Builder::new()
            .prefix("asm-emulator-")
            .tempdir()
            .map_err(|e| Error::io(Path::new("temporary directory"), e))?;
        let mut config = Self::new(dir.path());
        config.temp_dir = Some(Arc::new(dir));
        config.sync_writes = false;
        Ok(config)
    }
}

/// Starts emulators.
#[derive(Debug)]
pub struct Emulator;

impl Emulator {
    /// Prepares the data directory (certificates, first subscription,
    /// database), binds the listener and starts serving on the current
    /// Tokio runtime.
    pub async fn start(config: Config) -> Result<RunningEmulator, Error> {
        let cfg = config.clone();
        let prepared = tokio::task::spawn_blocking(move || prepare(&cfg))
            .await
            .map_err(|e| Error::Config(format!("startup task failed: {e}")))??;
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| Error::io(Path::new(&config.listen.to_string()), e))?;
        let mut local = listener
            .local_addr()
            .map_err(|e| Error::io(Path::new(&config.listen.to_string()), e))?;
        if local.ip().is_unspecified() {
            local.set_ip(IpAddr::V4(Ipv4Addr::LOCALHOST));
        }
        let endpoint = format!("https://{local}");
        let engine = match &config.spec_dir {
            None => engine::Engine::embedded(),
            Some(dir) => asm_codegen::load(dir)
                .map(engine::Engine::new)
                .map_err(|errors| {
                    errors
                        .iter()
                        .map(|e| e.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                }),
        }
        .map_err(|e| Error::Config(format!("the spec: {e}")))?;
        let api = Arc::new(api::Api {
            engine: Arc::new(engine),
            store: prepared.store,
            endpoint: endpoint.clone(),
            async_delay_ms: config.async_delay.as_millis() as i64,
            page_size: config.page_size.max(1),
            quotas: api::Quotas {
                max_hosted_services: config.max_hosted_services,
                max_storage_accounts: config.max_storage_accounts,
            },
        });
        let shared = Arc::new(http::Shared {
            api: Arc::clone(&api),
            max_body: config.max_body_bytes,
        });
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(prepared.tls));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let task = tokio::spawn(http::serve(listener, acceptor, shared, shutdown_rx));
        tracing::info!(%endpoint, subscription_id = %prepared.subscription_id, "emulator listening");
        Ok(RunningEmulator {
            endpoint,
            local_addr: local,
            subscription_id: prepared.subscription_id,
            data_dir: config.data_dir.clone(),
            api,
            shutdown: shutdown_tx,
            task,
            _temp_dir: config.temp_dir,
        })
    }
}

/// A running emulator. [`shutdown`](Self::shutdown) stops it and waits for
/// in-flight requests; dropping it starts the same shutdown in the
/// background without waiting.
#[derive(Debug)]
pub struct RunningEmulator {
    endpoint: String,
    local_addr: SocketAddr,
    subscription_id: String,
    data_dir: PathBuf,
    api: Arc<api::Api>,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    _temp_dir: Option<Arc<tempfile::TempDir>>,
}

/// The state of a data directory whose emulator is not running, as
/// [`RunningEmulator::dump`] gives it.
pub fn dump_data_dir(data_dir: &Path) -> Result<serde_json::Value, Error> {
    let store = store::Store::open(&data_dir.join("state.redb"), true)?;
    store::dump(&store.db).map_err(|e| Error::Store(e.to_string()))
}

impl std::fmt::Debug for api::Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The management endpoint, `https://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The first subscription's id.
    pub fn subscription_id(&self) -> &str {
        &self.subscription_id
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The whole state, `{"table": {"key": record}}` (what `--seed` takes):
    /// tests of downstream crates arrange with a seed and assert on this.
    pub fn dump(&self) -> Result<serde_json::Value, Error> {
        store::dump(&self.api.store.db).map_err(|e| Error::Store(e.to_string()))
    }

    /// `DATA_DIR/ca.pem`: the CA certificate to trust.
    pub fn ca_pem_path(&self) -> PathBuf {
        self.data_dir.join("ca.pem")
    }

    /// `DATA_DIR/client.pem`: the first subscription's management
    /// certificate and its private key.
    pub fn client_pem_path(&self) -> PathBuf {
        self.data_dir.join("client.pem")
    }

    /// The contents of [`ca_pem_path`](Self::ca_pem_path) (empty if unreadable).
    pub fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self.ca_pem_path()).unwrap_or_default()
    }

    /// The contents of [`client_pem_path`](Self::client_pem_path) (empty if unreadable).
    pub fn client_pem(&self) -> Vec<u8> {
        std::fs::read(self.client_pem_path()).unwrap_or_default()
    }

    /// The JSON line the `asm-emulator` binary prints on start.
    pub fn announcement(&self) -> String {
        let s = |v: &str| serde_json::Value::from(v).to_string();
        format!(
            "{{\"endpoint\":{},\"subscription_id\":{},\"ca\":{},\"client_cert\":{}}}",
            s(&self.endpoint),
            s(&self.subscription_id),
            s(&self.ca_pem_path().display().to_string()),
            s(&self.client_pem_path().display().to_string()),
        )
    }

    /// Creates another subscription with a new management certificate:
    /// returns its id and the certificate with its private key (PEM). The
    /// key is not stored by the emulator.
    pub fn add_subscription(&self) -> Result<(String, Vec<u8>), Error> {
        let id = uuid::Uuid::new_v4().hyphenated().to_string();
        let cert = pki::new_management_cert(&id)?;
        create_subscription(&self.api.store, &id, &cert.cert_der)?;
        Ok((id, cert.combined_pem().into_bytes()))
    }

    /// Stops accepting connections, lets open connections finish their
    /// in-flight requests (up to 30 s), and closes the database (every
    /// acknowledged write is already durable).
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
        tracing::info!(endpoint = %self.endpoint, "emulator stopped");
    }
}

struct Prepared {
    store: store::Store,
    tls: rustls::ServerConfig,
    subscription_id: String,
}

fn prepare(config: &Config) -> Result<Prepared, Error> {
    let dir = &config.data_dir;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let ca_path = dir.join("ca.pem");
    let server_path = dir.join("server.pem");
    if !ca_path.exists() || !server_path.exists() {
        let (ca, server) = pki::new_ca_and_server()?;
        pki::write_private(&server_path, &server.combined_pem())?;
        pki::write_private(&ca_path, &ca.cert_pem)?;
        tracing::info!(dir = %dir.display(), "created the CA and the server certificate");
    }
    let (chain, key) = pki::read_pem(&server_path)?;
    let key =
        key.ok_or_else(|| Error::Config(format!("{} has no private key", server_path.display())))?;
    if chain.is_empty() {
        return Err(Error::Config(format!(
            "{} has no certificate",
            server_path.display()
        )));
    }
    let tls = tls::server_config(chain, key)?;

    let store = store::Store::open(&dir.join("state.redb"), config.sync_writes)?;
    if let Some(seed) = &config.seed {
        let text = std::fs::read_to_string(seed).map_err(|e| Error::io(seed, e))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", seed.display())))?;
        store::load(&store.db, &value)
            .map_err(|e| Error::Config(format!("{}: {e}", seed.display())))?;
    }
    let client_path = dir.join("client.pem");
    let stored: Option<String> = {
        let tx = store.db.begin_read().map_err(store::StoreError::from)?;
        let meta = tx
            .open_table(store::META)
            .map_err(store::StoreError::from)?;
        store::get(&meta, "primary")?
    };
    let subscription_id = match stored {
        Some(id) => {
            if let Some(wanted) = &config.subscription_id {
                if !wanted.eq_ignore_ascii_case(&id) {
                    return Err(Error::Config(format!(
                        "the data directory belongs to subscription {id}, not {wanted}"
                    )));
                }
            }
            if !client_path.exists() {
                let cert = pki::new_management_cert(&id)?;
                pki::write_private(&client_path, &cert.combined_pem())?;
                create_subscription(&store, &id, &cert.cert_der)?;
            }
            id
        }
        None => {
            let id = config
                .subscription_id
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().hyphenated().to_string())
                .to_ascii_lowercase();
            if id.is_empty() || id.contains('/') {
                return Err(Error::Config(format!("invalid subscription id {id:?}")));
            }
            let cert = pki::new_management_cert(&id)?;
            pki::write_private(&client_path, &cert.combined_pem())?;
            create_subscription(&store, &id, &cert.cert_der)?;
            let tx = store.write()?;
            {
                let mut meta = tx
                    .open_table(store::META)
                    .map_err(store::StoreError::from)?;
                store::put(&mut meta, "primary", &id)?;
            }
            tx.commit().map_err(store::StoreError::from)?;
            tracing::info!(subscription_id = %id, "created the first subscription");
            id
        }
    };
    images::seed_existing(&store, api::now_ms())?;
    Ok(Prepared {
        store,
        tls,
        subscription_id,
    })
}

/// Adds the subscription (if new) and a management certificate to it.
fn create_subscription(store: &store::Store, id: &str, cert_der: &[u8]) -> Result<(), Error> {
    let now = api::now_ms();
    let tx = store.write()?;
    {
        let mut subs = tx
            .open_table(store::SUBSCRIPTIONS)
            .map_err(store::StoreError::from)?;
        if store::get::<store::SubscriptionRec>(&subs, id)?.is_none() {
            store::put(
                &mut subs,
                id,
                &store::SubscriptionRec {
                    id: id.to_owned(),
                    name: "Emulated subscription".to_owned(),
                    created_ms: now,
                },
            )?;
        }
        let mut certs = tx
            .open_table(store::RESOURCES)
            .map_err(store::StoreError::from)?;
        let (key, rec) = hooks::certificate_record(id, cert_der, now);
        store::put(&mut certs, &key, &rec)?;
        images::seed_platform(&mut certs, id, now)?;
    }
    tx.commit().map_err(store::StoreError::from)?;
    Ok(())
}

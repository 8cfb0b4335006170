//! Building the client: from credentials, or against the embedded emulator.

use std::path::PathBuf;
use std::time::Duration;

use asm_emulator::{Config, Emulator, RunningEmulator};
use azure_asm::{Client, Credentials, PollOptions, PublishSettings};

use crate::error::{msg, CliError};

/// Where the client comes from (the global options).
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub endpoint: Option<String>,
    pub subscription_id: Option<String>,
    pub cert: Option<PathBuf>,
    pub pfx: Option<PathBuf>,
    pub pfx_password_env: Option<String>,
    pub publish_settings: Option<PathBuf>,
    pub ca: Option<PathBuf>,
    pub x_ms_version: Option<String>,
    pub emulator_data: Option<PathBuf>,
}

/// A client, and the emulator it talks to when none was given.
pub struct Session {
    pub client: Client,
    pub emulator: Option<RunningEmulator>,
}

impl Session {
    pub fn is_emulated(&self) -> bool {
        self.emulator.is_some()
    }

    /// Stops the embedded emulator, if any.
    pub async fn close(self) {
        let Session { client, emulator } = self;
        drop(client);
        if let Some(emulator) = emulator {
            let _ = tokio::time::timeout(Duration::from_secs(5), emulator.shutdown()).await;
        }
    }
}

impl Target {
    fn has_credentials(&self) -> bool {
        self.cert.is_some() || self.pfx.is_some() || self.publish_settings.is_some()
    }

    /// Connects: with credentials when some were given, otherwise to a
    /// freshly started embedded emulator (announced on stderr).
    pub async fn connect(&self) -> Result<Session, CliError> {
        let session = if self.has_credentials() {
            Session {
                client: self.remote_client()?,
                emulator: None,
            }
        } else {
            self.emulated().await?
        };
        let client = match &self.x_ms_version {
            Some(v) => session.client.with_version(v.clone()),
            None => session.client.clone(),
        };
        Ok(Session { client, ..session })
    }

    fn remote_client(&self) -> Result<Client, CliError> {
        let mut builder = Client::builder().poll_options(PollOptions {
            initial_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(10),
            timeout: Duration::from_secs(30 * 60),
        });
        if let Some(path) = &self.publish_settings {
            let settings = PublishSettings::from_file(path)?;
            builder = builder.publish_settings(&settings, self.subscription_id.as_deref())?;
        } else {
            let credentials = if let Some(path) = &self.cert {
                Credentials::from_pem_file(path)?
            } else if let Some(path) = &self.pfx {
                let password = match &self.pfx_password_env {
                    Some(var) => std::env::var(var).map_err(|_| {
                        msg(format!(
                            "--pfx-password-env: the environment variable {var} is not set"
                        ))
                    })?,
                    None => String::new(),
                };
                Credentials::from_pkcs12_file(path, &password)?
            } else {
                return Err(msg("no credentials given"));
            };
            let id = self
                .subscription_id
                .clone()
                .ok_or_else(|| msg("--subscription-id is required with --cert or --pfx"))?;
            builder = builder.credentials(credentials).subscription_id(id);
        }
        if let Some(endpoint) = &self.endpoint {
            builder = builder.endpoint(endpoint.clone());
        }
        if let Some(ca) = &self.ca {
            builder = builder.add_root_certificate_pem(&read(ca)?)?;
        }
        Ok(builder.build()?)
    }

    async fn emulated(&self) -> Result<Session, CliError> {
        if self.endpoint.is_some() {
            return Err(msg(
                "--endpoint needs credentials (--cert, --pfx or --publish-settings); \
                 without them asm uses its embedded emulator",
            ));
        }
        let mut config = match &self.emulator_data {
            Some(dir) => Config::new(dir),
            None => Config::ephemeral()?,
        };
        config.subscription_id = self.subscription_id.clone();
        // Long enough to watch an asynchronous operation make progress.
        config.async_delay = Duration::from_millis(500);
        let emulator = Emulator::start(config).await?;
        let data = match &self.emulator_data {
            Some(dir) => format!("data in {}", dir.display()),
            None => "temporary data, deleted on exit".to_owned(),
        };
        eprintln!(
            "asm: no credentials given; using the embedded emulator at {} ({data})",
            emulator.endpoint()
        );
        let mut builder = Client::builder()
            .subscription_id(emulator.subscription_id())
            .credentials(Credentials::from_pem(&emulator.client_pem())?)
            .endpoint(emulator.endpoint())
            .add_root_certificate_pem(&emulator.ca_pem())?
            .no_proxy()
            .poll_options(PollOptions {
                initial_delay: Duration::from_millis(150),
                max_delay: Duration::from_millis(300),
                timeout: Duration::from_secs(60),
            });
        if let Some(ca) = &self.ca {
            builder = builder.add_root_certificate_pem(&read(ca)?)?;
        }
        Ok(Session {
            client: builder.build()?,
            emulator: Some(emulator),
        })
    }
}

fn read(path: &PathBuf) -> Result<Vec<u8>, CliError> {
    std::fs::read(path).map_err(|e| msg(format!("cannot read {}: {e}", path.display())))
}

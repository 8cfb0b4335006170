//! The emulator and a generated client for it over mutual TLS, set up the
//! way the integration tests use them, and the requests that several test
//! files make to arrange state in it.

use std::time::Duration;

use asm_emulator::{Config, Emulator, RunningEmulator};
use azure_asm::{
    AsyncOperation, Client, ClientBuilder, CreateCloudServiceInput, CreateHostedService,
    CreateSiteInput, Credentials, Error, NamespaceDescription, PollOptions, WebComputeMode,
    WebSpaceToCreate,
};

/// Poll options that keep tests quick: the first poll after 10 ms, at most
/// 40 ms between polls, 20 s in all.
pub fn fast_poll() -> PollOptions {
    PollOptions {
        initial_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(40),
        timeout: Duration::from_secs(20),
    }
}

/// A client builder for `subscription` of `emu` that presents `pem` (a
/// certificate with its key) and trusts the emulator's CA.
pub fn client_builder_as(
    emu: &RunningEmulator,
    subscription: &str,
    pem: &[u8],
) -> ClientBuilder<Client> {
    Client::builder()
        .subscription_id(subscription)
        .credentials(Credentials::from_pem(pem).expect("credentials"))
        .endpoint(emu.endpoint())
        .add_root_certificate_pem(&emu.ca_pem())
        .expect("ca")
}

/// A client builder for the first subscription of `emu`, with its
/// management certificate.
pub fn client_builder(emu: &RunningEmulator) -> ClientBuilder<Client> {
    client_builder_as(emu, emu.subscription_id(), &emu.client_pem())
}

/// Starts an emulator on [`Config::ephemeral`] as changed by `configure`
/// (an async delay, a page size), and builds a client of its first
/// subscription as changed by `customize` (poll options, a retry policy).
pub async fn start_with(
    configure: impl FnOnce(&mut Config),
    customize: impl FnOnce(ClientBuilder<Client>) -> ClientBuilder<Client>,
) -> (RunningEmulator, Client) {
    let mut config = Config::ephemeral().expect("config");
    configure(&mut config);
    let emu = Emulator::start(config).await.expect("emulator");
    let client = customize(client_builder(&emu)).build().expect("client");
    (emu, client)
}

/// Checks that `r` is a service error with `status` and `code`; returns its
/// message.
#[track_caller]
pub fn assert_service_error<T: std::fmt::Debug>(
    r: Result<T, Error>,
    status: u16,
    code: &str,
) -> String {
    match r {
        Ok(v) => panic!("expected {status} {code}, got Ok({v:?})"),
        Err(e) => {
            let s = e
                .service_error()
                .unwrap_or_else(|| panic!("not a service error: {e}"));
            assert_eq!(
                (s.status, s.code.as_deref()),
                (status, Some(code)),
                "unexpected error: {e}"
            );
            s.message.clone()
        }
    }
}

/// Waits for an accepted asynchronous operation to succeed.
pub async fn done(op: Result<AsyncOperation, Error>) {
    op.expect("accepted")
        .wait()
        .await
        .expect("the operation succeeds");
}

/// Creates the cloud (hosted) service `name` in West US.
pub async fn cloud_service(c: &Client, name: &str) {
    c.create_hosted_service(&CreateHostedService {
        service_name: name.into(),
        label: name.into(),
        location: Some("West US".into()),
        ..Default::default()
    })
    .await
    .expect("create the cloud service");
}

/// The input of a Scheduler/Store cloud service in West Europe.
pub fn cloud_service_input() -> CreateCloudServiceInput {
    CreateCloudServiceInput {
        label: "label".into(),
        description: Some("description".into()),
        geo_region: "West Europe".into(),
        ..Default::default()
    }
}

/// Creates the Service Bus namespace `name` in West US.
pub async fn namespace(c: &Client, name: &str) {
    let body = NamespaceDescription {
        region: "West US".into(),
        ..Default::default()
    };
    c.create_namespace(name, &body)
        .await
        .expect("create the namespace");
}

/// The input of a shared web site `name` (host name
/// `name.azurewebsites.net`) that creates the West US web space
/// `westuswebspace` if needed.
pub fn new_site(name: &str) -> CreateSiteInput {
    CreateSiteInput {
        host_names: vec![format!("{name}.azurewebsites.net").into()],
        name: name.into(),
        compute_mode: Some(WebComputeMode::Shared),
        web_space_to_create: Some(WebSpaceToCreate {
            geo_region: "West US".into(),
            name: "westuswebspace".into(),
            plan: Some("VirtualDedicatedPlan".into()),
        }),
        ..Default::default()
    }
}

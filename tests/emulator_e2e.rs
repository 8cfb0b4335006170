//! The Rust client against the emulator over real mutual TLS: every
//! operation of the spec, and the error paths the service had.

use std::sync::Arc;
use std::time::Duration;

use asm_emulator::{Config, Emulator, RunningEmulator};
use asm_runtime::credentials::{client_tls_config, parse_ca_pem};
use asm_tests::emulated::{client_builder_as, fast_poll};
use azure_asm::*;
use futures_util::TryStreamExt as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn client(emu: &RunningEmulator, subscription: &str, pem: &[u8]) -> Client {
    client_builder_as(emu, subscription, pem)
        .poll_options(fast_poll())
        .build()
        .expect("client")
}

async fn start(config: Config) -> (RunningEmulator, Client) {
    let emu = Emulator::start(config).await.expect("emulator");
    let c = client(&emu, emu.subscription_id(), &emu.client_pem());
    (emu, c)
}

/// A new self-signed certificate with its key (PEM) and its DER.
fn new_cert() -> (Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate().expect("key");
    let params = rcgen::CertificateParams::new(vec!["someone".to_owned()]).expect("params");
    let cert = params.self_signed(&key).expect("cert");
    (
        format!("{}{}", cert.pem(), key.serialize_pem()).into_bytes(),
        cert.der().to_vec(),
    )
}

fn status_code(e: &Error) -> (Option<u16>, Option<String>) {
    match e.service_error() {
        Some(s) => (Some(s.status), s.code.clone()),
        None => (e.status(), None),
    }
}

#[track_caller]
fn assert_service_error<T: std::fmt::Debug>(r: Result<T, Error>, status: u16, code: &str) {
    match r {
        Ok(v) => panic!("expected {status} {code}, got Ok({v:?})"),
        Err(e) => assert_eq!(
            status_code(&e),
            (Some(status), Some(code.to_owned())),
            "unexpected error: {e}"
        ),
    }
}

/// A raw HTTP/1.1 request over TLS: (status, headers, body).
async fn raw(
    emu: &RunningEmulator,
    credentials: Option<&Credentials>,
    request_head: &str,
    body: &[u8],
) -> (u16, String, String) {
    let roots = parse_ca_pem(&emu.ca_pem()).expect("ca");
    let config = client_tls_config(credentials, &roots).expect("tls");
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(emu.local_addr())
        .await
        .expect("connect");
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let mut tls = connector.connect(name, tcp).await.expect("handshake");
    tls.write_all(request_head.as_bytes()).await.expect("write");
    tls.write_all(body).await.expect("write body");
    let mut out = Vec::new();
    let _ = tls.read_to_end(&mut out).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn request_id_of(head: &str) -> String {
    head.lines()
        .find_map(|l| l.strip_prefix("x-ms-request-id: "))
        .unwrap_or("")
        .trim()
        .to_owned()
}

#[tokio::test]
async fn authentication_and_protocol_errors() {
    let (emu, a) = start(Config::ephemeral().unwrap()).await;
    let sub = emu.subscription_id().to_owned();
    let own = Credentials::from_pem(&emu.client_pem()).unwrap();

    // Works with the subscription's certificate; every answer has a request id.
    let (status, head, body) = raw(
        &emu,
        Some(&own),
        &format!("GET /{sub}/locations HTTP/1.1\r\nHost: x\r\nx-ms-version: 2014-10-01\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = request_id_of(&head);
    assert_eq!(id.len(), 32, "{head}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(
        head.contains("content-type: application/xml; charset=utf-8"),
        "{head}"
    );
    assert!(body.contains("xmlns=\"http://schemas.microsoft.com/windowsazure\""));

    // No client certificate: 403 ForbiddenError.
    let (status, head, body) = raw(
        &emu,
        None,
        &format!("GET /{sub}/locations HTTP/1.1\r\nHost: x\r\nx-ms-version: 2014-10-01\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(status, 403);
    assert!(body.contains("<Code>ForbiddenError</Code>"), "{body}");
    assert_eq!(request_id_of(&head).len(), 32);

    // A certificate the subscription does not know: 403 through the client.
    let (stranger_pem, _) = new_cert();
    let stranger = client(&emu, &sub, &stranger_pem);
    assert_service_error(stranger.list_locations().await, 403, "ForbiddenError");

    // Missing x-ms-version: 400 MissingOrIncorrectVersionHeader.
    let (status, _, body) = raw(
        &emu,
        Some(&own),
        &format!("GET /{sub}/locations HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        body.contains("<Code>MissingOrIncorrectVersionHeader</Code>"),
        "{body}"
    );
    assert_service_error(
        a.with_version("").list_locations().await,
        400,
        "MissingOrIncorrectVersionHeader",
    );

    // Unknown path: 404; method not allowed: 405 with an Error body.
    let (status, _, body) = raw(
        &emu,
        Some(&own),
        &format!("GET /{sub}/nothing/here HTTP/1.1\r\nHost: x\r\nx-ms-version: 2014-10-01\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(status, 404);
    assert!(body.contains("<Code>ResourceNotFound</Code>"), "{body}");
    let (status, _, body) = raw(
        &emu,
        Some(&own),
        &format!("PATCH /{sub}/locations HTTP/1.1\r\nHost: x\r\nx-ms-version: 2014-10-01\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(status, 405);
    assert!(body.contains("<Error"), "{body}");

    // Bodies are bounded: 413.
    let (status, _, body) = raw(
        &emu,
        Some(&own),
        &format!("POST /{sub}/affinitygroups HTTP/1.1\r\nHost: x\r\nx-ms-version: 2014-10-01\r\nContent-Length: 2000000\r\nConnection: close\r\n\r\n"),
        b"",
    )
    .await;
    assert_eq!(status, 413);
    assert!(body.contains("<Error"), "{body}");

    // Malformed XML: 400 BadRequest (and the emulator keeps serving).
    let (status, _, body) = raw(
        &emu,
        Some(&own),
        &format!("POST /{sub}/affinitygroups HTTP/1.1\r\nHost: x\r\nx-ms-version: 2014-10-01\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"),
        b"<Create><",
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("<Code>BadRequest</Code>"), "{body}");
    a.list_locations().await.expect("still serving");

    // Subscription B: A's certificate cannot read or change it, and B's cannot touch A.
    let (sub_b, pem_b) = emu.add_subscription().unwrap();
    let b = client(&emu, &sub_b, &pem_b);
    let a_on_b = client(&emu, &sub_b, &emu.client_pem());
    let b_on_a = client(&emu, &sub, &pem_b);
    assert_eq!(b.get_subscription().await.unwrap().subscription_id, sub_b);
    assert_service_error(a_on_b.get_subscription().await, 403, "ForbiddenError");
    assert_service_error(a_on_b.list_hosted_services().await, 403, "ForbiddenError");
    let ag = CreateAffinityGroup {
        name: "bgroup".into(),
        label: "b".into(),
        location: "West US".into(),
        ..Default::default()
    };
    assert_service_error(
        a_on_b.create_affinity_group(&ag).await,
        403,
        "ForbiddenError",
    );
    assert_service_error(b_on_a.list_affinity_groups().await, 403, "ForbiddenError");
    b.create_affinity_group(&ag).await.unwrap();
    // Affinity group names are per subscription: A may use the same name.
    a.create_affinity_group(&ag).await.unwrap();
    assert_eq!(
        b.list_affinity_groups().await.unwrap().affinity_group.len(),
        1
    );

    // Add/Delete Management Certificate change who may call, at run time.
    let (extra_pem, extra_der) = new_cert();
    let extra = client(&emu, &sub, &extra_pem);
    assert_service_error(extra.get_subscription().await, 403, "ForbiddenError");
    let thumbprint = asm_emulator::thumbprint(&extra_der);
    a.add_management_certificate(&SubscriptionCertificate {
        subscription_certificate_public_key: Vec::new(),
        subscription_certificate_thumbprint: thumbprint.clone().into(),
        subscription_certificate_data: extra_der.clone(),
        created: None,
    })
    .await
    .unwrap();
    assert_service_error(
        a.add_management_certificate(&SubscriptionCertificate {
            subscription_certificate_thumbprint: thumbprint.clone().into(),
            subscription_certificate_data: extra_der.clone(),
            ..Default::default()
        })
        .await,
        409,
        "ConflictError",
    );
    assert_eq!(extra.get_subscription().await.unwrap().subscription_id, sub);
    let got = a
        .get_management_certificate(&thumbprint.to_ascii_lowercase())
        .await
        .unwrap();
    assert_eq!(got.subscription_certificate_thumbprint, thumbprint);
    assert_eq!(got.subscription_certificate_data, extra_der);
    assert!(!got.subscription_certificate_public_key.is_empty());
    assert!(got.created.is_some());
    let list = a.list_management_certificates().await.unwrap();
    assert_eq!(list.subscription_certificate.len(), 2);
    assert!(list
        .subscription_certificate
        .iter()
        .any(|c| c.subscription_certificate_thumbprint == own.thumbprint().to_ascii_uppercase()));
    extra
        .delete_management_certificate(&thumbprint)
        .await
        .unwrap();
    assert_service_error(extra.get_subscription().await, 403, "ForbiddenError");
    assert_service_error(
        a.get_management_certificate(&thumbprint).await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        a.delete_management_certificate(&thumbprint).await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        a.add_management_certificate(&SubscriptionCertificate {
            subscription_certificate_thumbprint: "AB".into(),
            subscription_certificate_data: b"not a certificate".to_vec(),
            ..Default::default()
        })
        .await,
        400,
        "BadRequest",
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn affinity_groups_hosted_services_and_locations() {
    let (emu, c) = start(Config::ephemeral().unwrap()).await;
    let sub = emu.subscription_id().to_owned();

    let locations = c.list_locations().await.unwrap().location;
    let names: Vec<&str> = locations.iter().map(|l| l.name.as_str()).collect();
    for n in [
        "West US",
        "East US",
        "North Europe",
        "West Europe",
        "East Asia",
        "Southeast Asia",
    ] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert!(locations
        .iter()
        .all(|l| l.available_services.iter().any(|s| s == "Storage")));

    // Affinity groups: create, get, list, update, conflicts and limits.
    let label = "Group label <&> ünïcødé";
    c.create_affinity_group(&CreateAffinityGroup {
        name: "group1".into(),
        label: label.into(),
        description: Some("first".into()),
        location: "West US".into(),
    })
    .await
    .unwrap();
    let g = c.get_affinity_group_properties("group1").await.unwrap();
    assert_eq!(
        (g.name.as_str(), g.label.as_str(), g.location.as_str()),
        ("group1", label, "West US")
    );
    assert_eq!(g.description.as_deref(), Some("first"));
    assert!(g.created_time.is_some());
    let dup = CreateAffinityGroup {
        name: "GROUP1".into(),
        label: "x".into(),
        location: "East US".into(),
        ..Default::default()
    };
    assert_service_error(c.create_affinity_group(&dup).await, 409, "ConflictError");
    let bad_location = CreateAffinityGroup {
        name: "g2".into(),
        label: "x".into(),
        location: "Atlantis".into(),
        ..Default::default()
    };
    assert_service_error(
        c.create_affinity_group(&bad_location).await,
        400,
        "BadRequest",
    );
    // Limits the spec declares: the client refuses before sending...
    let long_label = CreateAffinityGroup {
        name: "g3".into(),
        label: "x".repeat(101).into(),
        location: "East US".into(),
        ..Default::default()
    };
    assert!(matches!(
        c.create_affinity_group(&long_label).await,
        Err(Error::InvalidInput(_))
    ));
    // ...and the emulator refuses too (a raw body past the limit).
    let own = Credentials::from_pem(&emu.client_pem()).unwrap();
    let body = format!(
        "<CreateAffinityGroup xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name>g4</Name><Label>{}</Label><Description>{}</Description><Location>East US</Location></CreateAffinityGroup>",
        "eA==",
        "d".repeat(1025)
    );
    let (status, _, text) = raw(
        &emu,
        Some(&own),
        &format!(
            "POST /{sub}/affinitygroups HTTP/1.1\r\nHost: x\r\nx-ms-version: 2014-10-01\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ),
        body.as_bytes(),
    )
    .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("<Code>BadRequest</Code>"));
    c.update_affinity_group(
        "group1",
        &UpdateAffinityGroup {
            label: "New label".into(),
            description: Some("second".into()),
        },
    )
    .await
    .unwrap();
    let g = c.get_affinity_group_properties("group1").await.unwrap();
    assert_eq!(
        (g.label.as_str(), g.description.as_deref()),
        ("New label", Some("second"))
    );
    assert_service_error(
        c.get_affinity_group_properties("nope").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.update_affinity_group(
            "nope",
            &UpdateAffinityGroup {
                label: "x".into(),
                description: None,
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );

    // Hosted services.
    let svc = format!("svc-{}", &sub[..8]);
    let avail = c
        .check_hosted_service_name_availability(&svc)
        .await
        .unwrap();
    assert!(avail.result);
    let create = CreateHostedService {
        service_name: svc.clone().into(),
        label: "Service label ✓".into(),
        description: Some("a service".into()),
        affinity_group: Some("group1".into()),
        extended_properties: vec![ExtendedProperty {
            name: "Owner".into(),
            value: Some("tests".into()),
        }],
        ..Default::default()
    };
    c.create_hosted_service(&create).await.unwrap();
    assert_service_error(c.create_hosted_service(&create).await, 409, "ConflictError");
    let avail = c
        .check_hosted_service_name_availability(&svc)
        .await
        .unwrap();
    assert!(!avail.result);
    assert!(avail.reason.is_some());
    // Names are global: another subscription sees it taken and cannot create it.
    let (sub_b, pem_b) = emu.add_subscription().unwrap();
    let b = client(&emu, &sub_b, &pem_b);
    assert!(
        !b.check_hosted_service_name_availability(&svc)
            .await
            .unwrap()
            .result
    );
    let mut in_b = create.clone();
    in_b.affinity_group = None;
    in_b.location = Some("East US".into());
    assert_service_error(b.create_hosted_service(&in_b).await, 409, "ConflictError");
    assert_service_error(
        b.get_hosted_service_properties(&svc, &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );

    // Location and affinity group: exactly one, valid, existing.
    let mut both = create.clone();
    both.service_name = "both-svc".into();
    both.location = Some("West US".into());
    assert_service_error(c.create_hosted_service(&both).await, 400, "BadRequest");
    let mut neither = both.clone();
    neither.location = None;
    neither.affinity_group = None;
    assert_service_error(c.create_hosted_service(&neither).await, 400, "BadRequest");
    let mut missing_group = neither.clone();
    missing_group.affinity_group = Some("no-such-group".into());
    assert_service_error(
        c.create_hosted_service(&missing_group).await,
        400,
        "BadRequest",
    );
    let mut bad_name = neither.clone();
    bad_name.service_name = "-bad_name".into();
    bad_name.location = Some("West US".into());
    assert_service_error(c.create_hosted_service(&bad_name).await, 400, "BadRequest");

    let got = c
        .get_hosted_service_properties(
            &svc,
            &GetHostedServicePropertiesOptions {
                embed_detail: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(got.service_name, svc);
    assert!(
        got.url
            .ends_with(&format!("/{sub}/services/hostedservices/{svc}")),
        "{}",
        got.url
    );
    // embed-detail: the service sends `<Deployments/>`, an empty list that
    // is there (not an absent one).
    assert_eq!(got.deployments, Some(Vec::new()));
    let plain = c
        .get_hosted_service_properties(&svc, &GetHostedServicePropertiesOptions::default())
        .await
        .unwrap();
    assert_eq!(plain.deployments, None);
    let props = got.hosted_service_properties.unwrap();
    assert_eq!(props.label, "Service label ✓");
    assert_eq!(props.affinity_group.as_deref(), Some("group1"));
    assert_eq!(props.location, None);
    assert_eq!(props.status, Some(HostedServiceStatus::Created));
    assert_eq!(props.extended_properties[0].value.as_deref(), Some("tests"));
    let g = c.get_affinity_group_properties("group1").await.unwrap();
    assert_eq!(g.hosted_services.len(), 1);
    assert_eq!(g.hosted_services[0].service_name, svc);

    c.update_hosted_service(
        &svc,
        &UpdateHostedService {
            label: Some("Updated".into()),
            description: None,
            extended_properties: vec![
                ExtendedProperty {
                    name: "Owner".into(),
                    value: None,
                },
                ExtendedProperty {
                    name: "Team".into(),
                    value: Some("core".into()),
                },
            ],
            reverse_dns_fqdn: None,
        },
    )
    .await
    .unwrap();
    let props = c
        .get_hosted_service_properties(&svc, &Default::default())
        .await
        .unwrap()
        .hosted_service_properties
        .unwrap();
    assert_eq!(props.label, "Updated");
    assert_eq!(props.description.as_deref(), Some("a service"));
    assert_eq!(props.extended_properties.len(), 1);
    assert_eq!(props.extended_properties[0].name, "Team");
    assert_service_error(
        c.update_hosted_service(&svc, &UpdateHostedService::default())
            .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.update_hosted_service(
            "missing",
            &UpdateHostedService {
                label: Some("x".into()),
                ..Default::default()
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );

    // The affinity group cannot go while it holds a service.
    assert_service_error(c.delete_affinity_group("group1").await, 400, "BadRequest");

    let mut second = create.clone();
    second.service_name = format!("{svc}-2").into();
    second.affinity_group = None;
    second.location = Some("north europe".into());
    c.create_hosted_service(&second).await.unwrap();
    let list = c.list_hosted_services().await.unwrap().hosted_service;
    assert_eq!(list.len(), 2);
    let s2 = list
        .iter()
        .find(|s| s.service_name == second.service_name)
        .unwrap();
    assert_eq!(
        s2.hosted_service_properties
            .as_ref()
            .unwrap()
            .location
            .as_deref(),
        Some("North Europe")
    );
    assert_eq!(
        c.get_subscription().await.unwrap().current_hosted_services,
        Some(2)
    );

    c.delete_hosted_service(&second.service_name).await.unwrap();
    assert_service_error(
        c.delete_hosted_service(&second.service_name).await,
        404,
        "ResourceNotFound",
    );

    // Delete with contents is asynchronous.
    let op = c.delete_hosted_service_and_contents(&svc).await.unwrap();
    assert_eq!(op.status(), 202);
    assert_eq!(op.request_id().len(), 32);
    let mut polls = Vec::new();
    op.wait_with(fast_poll(), |p| polls.push(p.state.clone()))
        .await
        .unwrap();
    assert!(
        matches!(polls.last(), Some(OperationState::Succeeded { .. })),
        "{polls:?}"
    );
    assert_service_error(
        c.get_hosted_service_properties(&svc, &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );
    assert!(
        c.check_hosted_service_name_availability(&svc)
            .await
            .unwrap()
            .result
    );
    assert_eq!(
        c.get_subscription().await.unwrap().current_hosted_services,
        Some(0)
    );

    c.delete_affinity_group("group1").await.unwrap();
    assert_service_error(
        c.delete_affinity_group("group1").await,
        404,
        "ResourceNotFound",
    );
    assert!(c
        .list_affinity_groups()
        .await
        .unwrap()
        .affinity_group
        .is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn storage_accounts_async_and_keys() {
    let config = Config {
        async_delay: Duration::from_millis(150),
        ..Config::ephemeral().unwrap()
    };
    let (emu, c) = start(config).await;
    let sub = emu.subscription_id().to_owned();
    let name = format!("st{}", &sub[..8].replace('-', "")).to_ascii_lowercase();
    assert!(
        c.check_storage_account_name_availability(&name)
            .await
            .unwrap()
            .result
    );
    assert!(
        !c.check_storage_account_name_availability("Bad_Name")
            .await
            .unwrap()
            .result
    );

    let input = CreateStorageServiceInput {
        service_name: name.clone().into(),
        description: Some("storage".into()),
        label: "Storage label ✓".into(),
        location: Some("West Europe".into()),
        account_type: Some(StorageAccountType::StandardRagrs),
        extended_properties: vec![ExtendedProperty {
            name: "Env".into(),
            value: Some("test".into()),
        }],
        ..Default::default()
    };
    let op = c.create_storage_account(&input).await.unwrap();
    assert_eq!(op.status(), 202);
    // Visible at once, still Creating; the operation is InProgress.
    assert_eq!(op.poll().await.unwrap(), OperationState::InProgress);
    let creating = c.get_storage_account_properties(&name).await.unwrap();
    assert_eq!(
        creating.storage_service_properties.unwrap().status,
        Some(StorageServiceStatus::Creating)
    );
    let status = c.get_operation_status(op.request_id()).await.unwrap();
    assert_eq!(status.status, OperationStatus::InProgress);
    assert_eq!(status.http_status_code, None);
    let mut progress = 0;
    op.wait_with(fast_poll(), |_| progress += 1).await.unwrap();
    assert!(progress >= 2, "polled {progress} times");
    let done = c.get_operation_status(op.request_id()).await.unwrap();
    assert_eq!(
        (done.status, done.http_status_code),
        (OperationStatus::Succeeded, Some(200))
    );

    let account = c.get_storage_account_properties(&name).await.unwrap();
    assert_eq!(account.service_name.as_deref(), Some(name.as_str()));
    let p = account.storage_service_properties.unwrap();
    assert_eq!(p.status, Some(StorageServiceStatus::Created));
    assert_eq!(p.label, "Storage label ✓");
    assert_eq!(p.location.as_deref(), Some("West Europe"));
    assert_eq!(p.account_type, Some(StorageAccountType::StandardRagrs));
    assert!(
        p.endpoints
            .contains(&format!("https://{name}.blob.core.windows.net/").into()),
        "{:?}",
        p.endpoints
    );
    assert_eq!(p.endpoints.len(), 4);
    assert!(p.creation_time.is_some());
    assert_eq!(p.geo_secondary_region.as_deref(), Some("North Europe"));
    assert_eq!(account.extended_properties[0].name, "Env");

    // Duplicates, both placements, unknown location: refused at once.
    assert_service_error(c.create_storage_account(&input).await, 409, "ConflictError");
    let (sub_b, pem_b) = emu.add_subscription().unwrap();
    let b = client(&emu, &sub_b, &pem_b);
    assert_service_error(b.create_storage_account(&input).await, 409, "ConflictError");
    assert_service_error(
        b.get_storage_account_keys(&name).await,
        404,
        "ResourceNotFound",
    );
    let mut both = input.clone();
    both.service_name = "bothplaces".into();
    both.affinity_group = Some("g".into());
    assert_service_error(c.create_storage_account(&both).await, 400, "BadRequest");
    let mut nowhere = both.clone();
    nowhere.affinity_group = None;
    nowhere.location = Some("Mars".into());
    assert_service_error(c.create_storage_account(&nowhere).await, 400, "BadRequest");
    // The name pattern of the spec: the client refuses, and so does the emulator.
    let mut upper = input.clone();
    upper.service_name = "UpperCase".into();
    assert!(matches!(
        c.create_storage_account(&upper).await,
        Err(Error::InvalidInput(_))
    ));

    // A failure discovered late: accepted, then the operation fails.
    let premium = CreateStorageServiceInput {
        service_name: format!("{name}p").into(),
        label: "premium".into(),
        location: Some("Central US".into()),
        account_type: Some(StorageAccountType::PremiumLrs),
        ..Default::default()
    };
    let op = c.create_storage_account(&premium).await.unwrap();
    match op.wait_with(fast_poll(), |_| {}).await {
        Err(Error::OperationFailed { error, .. }) => {
            assert_eq!(
                (error.status, error.code.as_deref()),
                (400, Some("BadRequest"))
            );
        }
        other => panic!("expected a failed operation, got {other:?}"),
    }
    assert_service_error(
        c.get_storage_account_properties(&premium.service_name)
            .await,
        404,
        "ResourceNotFound",
    );

    // Keys: random base64, regenerating changes only the chosen one.
    let keys = c.get_storage_account_keys(&name).await.unwrap();
    let k = keys.storage_service_keys.unwrap();
    let (primary, secondary) = (k.primary.unwrap(), k.secondary.unwrap());
    assert_ne!(primary, secondary);
    assert_eq!(primary.len(), 88);
    let rotated = c
        .regenerate_storage_account_keys(
            &name,
            &RegenerateKeys {
                key_type: KeyType::Primary,
            },
        )
        .await
        .unwrap()
        .storage_service_keys
        .unwrap();
    assert_ne!(rotated.primary.as_deref(), Some(primary.as_str()));
    assert_eq!(rotated.secondary.as_deref(), Some(secondary.as_str()));
    let rotated2 = c
        .regenerate_storage_account_keys(
            &name,
            &RegenerateKeys {
                key_type: KeyType::Secondary,
            },
        )
        .await
        .unwrap()
        .storage_service_keys
        .unwrap();
    assert_eq!(rotated2.primary, rotated.primary);
    assert_ne!(rotated2.secondary.as_deref(), Some(secondary.as_str()));
    let again = c
        .get_storage_account_keys(&name)
        .await
        .unwrap()
        .storage_service_keys
        .unwrap();
    assert_eq!(again, rotated2);

    c.update_storage_account(
        &name,
        &UpdateStorageServiceInput {
            description: Some("changed".into()),
            label: Some("New ✓".into()),
            account_type: Some(StorageAccountType::StandardLrs),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let p = c
        .get_storage_account_properties(&name)
        .await
        .unwrap()
        .storage_service_properties
        .unwrap();
    assert_eq!(
        (p.label.as_str(), p.description.as_deref()),
        ("New ✓", Some("changed"))
    );
    assert_eq!(p.account_type, Some(StorageAccountType::StandardLrs));
    assert_eq!(p.geo_secondary_region, None);
    assert_service_error(
        c.update_storage_account(
            &name,
            &UpdateStorageServiceInput {
                account_type: Some(StorageAccountType::PremiumLrs),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );

    let list = c.list_storage_accounts().await.unwrap().storage_service;
    assert_eq!(list.len(), 1);
    let s = c.get_subscription().await.unwrap();
    assert_eq!(
        (s.current_storage_accounts, s.max_storage_accounts),
        (Some(1), Some(250))
    );

    c.delete_storage_account(&name).await.unwrap();
    assert_service_error(
        c.delete_storage_account(&name).await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_storage_account_keys(&name).await,
        404,
        "ResourceNotFound",
    );
    assert!(
        c.check_storage_account_name_availability(&name)
            .await
            .unwrap()
            .result
    );
    assert_eq!(
        c.get_subscription().await.unwrap().current_storage_accounts,
        Some(0)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn operation_history_filters_and_pages() {
    let config = Config {
        page_size: 3,
        async_delay: Duration::from_millis(50),
        ..Config::ephemeral().unwrap()
    };
    let (emu, c) = start(config).await;
    let sub = emu.subscription_id().to_owned();
    let start = DateTime::now();
    for i in 0..5 {
        c.create_affinity_group(&CreateAffinityGroup {
            name: format!("hist{i}").into(),
            label: format!("History {i}").into(),
            location: "East Asia".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    }
    // Two failures.
    let dup = CreateAffinityGroup {
        name: "hist0".into(),
        label: "dup".into(),
        location: "East Asia".into(),
        ..Default::default()
    };
    assert!(c.create_affinity_group(&dup).await.is_err());
    assert!(c.delete_hosted_service("missing-service").await.is_err());
    c.delete_affinity_group("hist4").await.unwrap();
    // Reads are not recorded.
    c.list_affinity_groups().await.unwrap();
    let end = DateTime::from_unix(start.unix() + 300).unwrap();
    let earlier = DateTime::from_unix(start.unix() - 300).unwrap();

    // One page: 3 items and a token.
    let page = c
        .list_subscription_operations(earlier, end, &Default::default())
        .await
        .unwrap();
    assert_eq!(page.subscription_operations.len(), 3);
    assert!(page.continuation_token.is_some());

    // The stream follows the tokens.
    let all: Vec<SubscriptionOperation> = c
        .list_subscription_operations_stream(earlier, end, Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 8, "{all:#?}");
    let first = &all[0];
    assert_eq!(first.operation_name.as_deref(), Some("CreateAffinityGroup"));
    assert_eq!(
        first.operation_object_id.as_deref(),
        Some(format!("/{sub}/affinitygroups/hist0").as_str())
    );
    let caller = first.operation_caller.as_ref().unwrap();
    assert_eq!(caller.used_service_management_api, Some(true));
    let own = Credentials::from_pem(&emu.client_pem()).unwrap();
    assert_eq!(
        caller
            .subscription_certificate_thumbprint
            .as_deref()
            .map(str::to_ascii_uppercase),
        Some(own.thumbprint().to_ascii_uppercase())
    );
    assert_eq!(caller.client_ip.as_deref(), Some("127.0.0.1"));
    let status = first.operation_status.as_ref().unwrap();
    assert_eq!(
        (status.status.clone(), status.http_status_code),
        (OperationStatus::Succeeded, Some(201))
    );
    assert!(first.operation_started_time.is_some() && first.operation_completed_time.is_some());
    assert!(first
        .operation_parameters
        .iter()
        .any(|p| p.name.as_deref() == Some("CreateAffinityGroup")
            && p.value.as_deref().is_some_and(|v| v.contains("hist0"))));
    // Every recorded operation can be looked up by its id.
    let by_id = c.get_operation_status(&first.operation_id).await.unwrap();
    assert_eq!(by_id.status, OperationStatus::Succeeded);

    // Result filter.
    let failed: Vec<SubscriptionOperation> = c
        .list_subscription_operations_stream(
            earlier,
            end,
            ListSubscriptionOperationsOptions {
                operation_result_filter: Some(OperationStatus::Failed),
                ..Default::default()
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(failed.len(), 2);
    let conflict = failed
        .iter()
        .find(|o| o.operation_name.as_deref() == Some("CreateAffinityGroup"))
        .unwrap();
    let st = conflict.operation_status.as_ref().unwrap();
    assert_eq!(st.http_status_code, Some(409));
    assert_eq!(
        st.error.as_ref().unwrap().code.as_deref(),
        Some("ConflictError")
    );

    // Object id filter: a prefix, case-insensitive; full URLs work too.
    let hist4: Vec<_> = c
        .list_subscription_operations_stream(
            earlier,
            end,
            ListSubscriptionOperationsOptions {
                object_id_filter: Some(format!(
                    "/{}/AFFINITYGROUPS/hist4",
                    sub.to_ascii_uppercase()
                )),
                ..Default::default()
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(hist4.len(), 2, "{hist4:#?}");
    let groups: Vec<_> = c
        .list_subscription_operations_stream(
            earlier,
            end,
            ListSubscriptionOperationsOptions {
                object_id_filter: Some(format!(
                    "https://management.core.windows.net/{sub}/affinitygroups"
                )),
                ..Default::default()
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(groups.len(), 7);

    // Time window.
    let later = DateTime::from_unix(end.unix() + 60).unwrap();
    let none = c
        .list_subscription_operations(end, later, &Default::default())
        .await
        .unwrap();
    assert!(none.subscription_operations.is_empty());
    assert!(none.continuation_token.is_none());
    assert_service_error(
        c.list_subscription_operations(end, earlier, &Default::default())
            .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.list_subscription_operations(
            earlier,
            end,
            &ListSubscriptionOperationsOptions {
                continuation_token: Some("garbage".into()),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );

    // An asynchronous operation shows InProgress, then Succeeded.
    let op = c
        .create_storage_account(&CreateStorageServiceInput {
            service_name: "histstorage".into(),
            label: "h".into(),
            location: Some("East Asia".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let in_progress: Vec<_> = c
        .list_subscription_operations_stream(
            earlier,
            end,
            ListSubscriptionOperationsOptions {
                operation_result_filter: Some(OperationStatus::InProgress),
                ..Default::default()
            },
        )
        .try_collect()
        .await
        .unwrap();
    assert_eq!(in_progress.len(), 1);
    assert_eq!(
        in_progress[0].operation_name.as_deref(),
        Some("CreateStorageAccount")
    );
    assert!(in_progress[0].operation_completed_time.is_none());
    op.wait_with(fast_poll(), |_| {}).await.unwrap();
    assert_service_error(
        c.get_operation_status("0123456789abcdef0123456789abcdef")
            .await,
        404,
        "ResourceNotFound",
    );
    emu.shutdown().await;
}

/// State survives a restart of the in-process emulator on the same directory.
#[tokio::test]
async fn restart_keeps_state() {
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        subscription_id: Some("11111111-2222-3333-4444-555555555555".into()),
        ..Config::new(dir.path())
    };
    let (emu, c) = start(config.clone()).await;
    assert_eq!(
        emu.subscription_id(),
        "11111111-2222-3333-4444-555555555555"
    );
    c.create_affinity_group(&CreateAffinityGroup {
        name: "kept".into(),
        label: "Kept".into(),
        location: "Japan East".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    let client_pem = emu.client_pem();
    emu.shutdown().await;

    let (emu, c) = start(config.clone()).await;
    assert_eq!(emu.client_pem(), client_pem);
    assert_eq!(
        c.get_affinity_group_properties("kept").await.unwrap().label,
        "Kept"
    );
    emu.shutdown().await;

    let wrong = Config {
        subscription_id: Some("99999999-2222-3333-4444-555555555555".into()),
        ..config
    };
    assert!(Emulator::start(wrong).await.is_err());
}

#[tokio::test]
async fn deployments_and_roles_are_looked_up_in_their_service() {
    let (emu, c) = start(Config::ephemeral().expect("config")).await;
    let svc = "deploy-lookup-svc";
    // The service must exist first.
    assert_service_error(
        c.get_deployment_by_slot(svc, &DeploymentSlot::Production)
            .await,
        404,
        "ResourceNotFound",
    );
    c.create_hosted_service(&CreateHostedService {
        service_name: svc.into(),
        label: "svc".into(),
        location: Some("West US".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    // A cloud service starts with no deployment in either slot.
    for slot in [DeploymentSlot::Production, DeploymentSlot::Staging] {
        let err = c.get_deployment_by_slot(svc, &slot).await.unwrap_err();
        let se = err.service_error().expect("service error");
        assert_eq!(
            (se.status, se.code.as_deref()),
            (404, Some("ResourceNotFound"))
        );
        // The service's own words (recorded 32 times in the conformance corpus).
        assert_eq!(se.message, "No deployments were found.");
    }
    assert_service_error(
        c.get_deployment_by_name(svc, "d1").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(c.get_role(svc, "d1", "vm1").await, 404, "ResourceNotFound");
    // An unknown slot value is sent as given and refused by the router.
    let err = c
        .get_deployment_by_slot(svc, &DeploymentSlot::Unknown("Canary".into()))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    emu.shutdown().await;
}

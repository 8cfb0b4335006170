//! One test per wire form of spec v2, each through the generated client:
//! against the emulator over mutual TLS where it models the operation, and
//! against a scripted server where it does not (yet).
//!
//! - raw text with a schema (the network configuration), attributes, a
//!   namespace of its own;
//! - the networking poller (`GatewayOperationAsyncResponse` → `Successful`),
//!   and an unknown terminal status ending the wait with an error;
//! - Atom entries and feeds (Service Bus namespaces), fixed request headers;
//! - JSON (alert rules);
//! - scalar roots in the serialization namespace (`<string>`,
//!   `ArrayOfstring`), operations told apart by a fixed query;
//! - operations told apart by the request body's root (start/shutdown/restart
//!   role);
//! - `/subscriptions` (no subscription segment) and a trailing slash.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, fast_poll, start_with};
use asm_tests::mock::{MockServer, Reply};
use azure_asm::server::{route, ServerRequest};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = Duration::from_millis(150),
        |client| client.poll_options(fast_poll()),
    )
    .await
}

fn mock_client(mock: &MockServer) -> Client {
    mock.client_builder("00000000-0000-0000-0000-000000000000")
        .poll_options(fast_poll())
        .build()
        .expect("client")
}

const NETCFG: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
<NetworkConfiguration xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\">\r\n\
  <VirtualNetworkConfiguration>\r\n\
    <Dns><DnsServers><DnsServer name=\"dns1\" IPAddress=\"10.0.0.4\" /></DnsServers></Dns>\r\n\
    <VirtualNetworkSites>\r\n\
      <VirtualNetworkSite name=\"vnet-a\" Location=\"West US\">\r\n\
        <AddressSpace><AddressPrefix>10.0.0.0/16</AddressPrefix></AddressSpace>\r\n\
        <Subnets>\r\n\
          <Subnet name=\"front &amp; back\"><AddressPrefix>10.0.1.0/24</AddressPrefix></Subnet>\r\n\
          <Subnet name=\"GatewaySubnet\"><AddressPrefix>10.0.2.0/29</AddressPrefix></Subnet>\r\n\
        </Subnets>\r\n\
        <DnsServersRef><DnsServerRef name=\"dns1\" /></DnsServersRef>\r\n\
      </VirtualNetworkSite>\r\n\
    </VirtualNetworkSites>\r\n\
  </VirtualNetworkConfiguration>\r\n\
</NetworkConfiguration>\r\n";

/// Raw text with a schema: set as text, read back byte for byte and typed;
/// attributes and the NetworkConfiguration namespace both ways; the derived
/// virtual network sites.
#[tokio::test]
async fn network_configuration_raw_and_typed() {
    let (_emu, c) = start().await;
    assert_service_error(c.get_network_configuration().await, 404, "ResourceNotFound");

    let op = c
        .set_network_configuration(&TextDocument::from_text(NETCFG))
        .await
        .unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();

    let doc = c.get_network_configuration().await.unwrap();
    // The text comes back as sent (its byte-order mark aside).
    assert_eq!(doc.text(), NETCFG.trim_start_matches('\u{feff}'));
    let typed = doc.parse().unwrap();
    let sites = &typed.virtual_network_configuration.virtual_network_sites;
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].name, "vnet-a");
    assert_eq!(sites[0].location.as_deref(), Some("West US"));
    assert_eq!(sites[0].affinity_group, None);
    assert_eq!(sites[0].subnets[0].name, "front & back");
    assert_eq!(sites[0].address_space.address_prefix, ["10.0.0.0/16"]);
    let dns = typed.virtual_network_configuration.dns.as_ref().unwrap();
    assert_eq!(dns.dns_servers[0].ip_address, "10.0.0.4");

    // The typed form writes the same document (attributes, namespace).
    let again = TextDocument::from_value(&typed);
    assert!(again.text().contains(
        "<NetworkConfiguration xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\""
    ));
    assert!(
        again.text().contains("<Subnet name=\"front &amp; back\">"),
        "{}",
        again.text()
    );
    assert_eq!(again.parse().unwrap(), typed);

    // A typed change, set and derived into the sites list.
    let mut changed = typed.clone();
    changed.virtual_network_configuration.virtual_network_sites[0].name = "vnet-b".into();
    c.set_network_configuration(&TextDocument::from_value(&changed))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let listed = c.list_virtual_network_sites().await.unwrap();
    let names: Vec<_> = listed
        .virtual_network_site
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(names, ["vnet-b"]);
    let site = &listed.virtual_network_site[0];
    assert_eq!(site.state, VirtualNetworkState::Created);
    assert_eq!(site.subnets.len(), 2);
    assert_eq!(
        site.address_space.as_ref().unwrap().address_prefixes,
        ["10.0.0.0/16"]
    );

    // Not a network configuration: refused, nothing changed.
    let bad = c
        .set_network_configuration(&TextDocument::from_text("<NetworkConfiguration"))
        .await;
    assert_service_error(bad, 400, "BadRequest");
    let wrong_root = c
        .set_network_configuration(&TextDocument::from_text(
            "<Other xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\"/>",
        ))
        .await;
    assert_service_error(wrong_root, 400, "BadRequest");
    assert_eq!(
        c.list_virtual_network_sites()
            .await
            .unwrap()
            .virtual_network_site[0]
            .name,
        "vnet-b"
    );
}

/// The networking poller: the operation id comes in the body, the status
/// operation is GetGatewayOperationStatus, and the wait ends on
/// `Successful` after at least one `InProgress`.
#[tokio::test]
async fn gateway_polled_to_successful() {
    let (_emu, c) = start().await;
    let params = CreateGatewayParameters {
        gateway_size: Some(GatewaySize::Default),
        gateway_type: Some(GatewayType::DynamicRouting),
    };
    assert_service_error(
        c.create_virtual_network_gateway("vnet-a", &params).await,
        404,
        "ResourceNotFound",
    );
    c.set_network_configuration(&TextDocument::from_text(NETCFG))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let op = c
        .create_virtual_network_gateway("vnet-a", &params)
        .await
        .unwrap();
    assert_eq!(op.status(), 201);
    assert!(
        !op.finished_at_once(),
        "a 201 with an operation id is still polled"
    );
    assert_eq!(
        op.request_id().len(),
        36,
        "a dashed GUID: {}",
        op.request_id()
    );
    let mut states = Vec::new();
    op.wait_with(fast_poll(), |p| states.push(p.state.clone()))
        .await
        .unwrap();
    assert!(states.len() >= 2, "{states:?}");
    assert_eq!(states.first(), Some(&OperationState::InProgress));
    assert!(
        matches!(
            states.last(),
            Some(OperationState::Succeeded {
                http_status: Some(200)
            })
        ),
        "{states:?}"
    );
    // The status operation itself, typed.
    let status = c
        .get_gateway_operation_status(op.request_id())
        .await
        .unwrap();
    assert_eq!(status.status, GatewayOperationStatus::Successful);
    assert_eq!(status.http_status_code.as_deref(), Some("OK"));
    // A second gateway on the same network conflicts.
    assert_service_error(
        c.create_virtual_network_gateway("VNET-A", &params).await,
        409,
        "ConflictError",
    );
}

/// A status the spec does not know ends the wait with an error at once,
/// instead of polling until the timeout.
#[tokio::test]
async fn unknown_poll_status_is_an_error() {
    let mock = MockServer::start().await;
    let c = mock_client(&mock);
    mock.push(Reply::new(
        201,
        "<GatewayOperationAsyncResponse xmlns=\"http://schemas.microsoft.com/windowsazure\"><ID>7a2b0000-0000-0000-0000-000000000001</ID></GatewayOperationAsyncResponse>",
    ));
    mock.set_fallback(Reply::new(
        200,
        "<GatewayOperation xmlns=\"http://schemas.microsoft.com/windowsazure\"><ID>7a2b0000-0000-0000-0000-000000000001</ID><Status>Teleporting</Status></GatewayOperation>",
    ));
    let op = c
        .create_virtual_network_gateway("n", &CreateGatewayParameters::default())
        .await
        .unwrap();
    let mut options = fast_poll();
    options.timeout = Duration::from_secs(600);
    let started = std::time::Instant::now();
    let err = op.wait_with(options, |_| {}).await.unwrap_err();
    assert!(
        matches!(&err, Error::UnknownOperationStatus { status, .. } if status == "Teleporting"),
        "{err}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let captured = mock.captured();
    assert_eq!(captured.len(), 2, "one create, one poll");
    assert_eq!(
        captured[1].path,
        "/00000000-0000-0000-0000-000000000000/services/networking/operation/7a2b0000-0000-0000-0000-000000000001"
    );
    // A body without the id is a decode error naming the element.
    mock.reset();
    mock.push(Reply::new(
        201,
        "<GatewayOperationAsyncResponse xmlns=\"http://schemas.microsoft.com/windowsazure\"/>",
    ));
    let err = c
        .create_virtual_network_gateway("n", &CreateGatewayParameters::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("ID"), "{err}");
}

/// Atom: the description goes in an entry, comes back in an entry or a feed
/// whose envelope stays reachable; the fixed headers are sent.
#[tokio::test]
async fn service_bus_namespaces_in_atom() {
    let (_emu, c) = start().await;
    let name = "asm-ns-test1";
    let free = c.check_namespace_availability(name).await.unwrap();
    assert!(free.result);
    let body = NamespaceDescription {
        region: "West US".into(),
        ..Default::default()
    };
    let created = c.create_namespace(name, &body).await.unwrap();
    assert_eq!(created.title.as_deref(), Some(name));
    assert_eq!(created.name.as_deref(), Some(name)); // through Deref
    assert_eq!(created.region, "West US");
    assert_eq!(created.status, Some(NamespaceStatus::Active));
    let key = created.default_key.clone().unwrap();
    assert!(
        !format!("{created:?}").contains(key.as_str()),
        "the key is redacted"
    );
    assert!(created
        .connection_string
        .as_deref()
        .unwrap()
        .starts_with(&format!("Endpoint=sb://{name}.servicebus.windows.net/")));

    let got = c.get_namespace(name).await.unwrap();
    assert_eq!(got.content.default_key, Some(key));
    let feed = c.list_namespaces().await.unwrap();
    assert_eq!(feed.title.as_deref(), Some("ServiceBus Namespaces"));
    let names: Vec<_> = feed.contents().filter_map(|n| n.name.clone()).collect();
    assert_eq!(names, [name]);

    let taken = c.check_namespace_availability(name).await.unwrap();
    assert!(!taken.result);
    assert!(taken.reason_detail.is_some());
    assert_service_error(c.create_namespace(name, &body).await, 409, "ConflictError");
    assert_service_error(
        c.get_namespace("asm-missing").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(c.create_namespace("1bad", &body).await, 400, "BadRequest");

    // On the wire: an Atom entry wrapping the description, the fixed headers.
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(
        200,
        "<entry xmlns=\"http://www.w3.org/2005/Atom\"><title type=\"text\">x</title><content type=\"application/xml\"><NamespaceDescription xmlns=\"http://schemas.microsoft.com/netservices/2010/10/servicebus/connect\"><Region>West US</Region><Mystery>kept out</Mystery></NamespaceDescription></content></entry>",
    ));
    let m = mock_client(&mock);
    let got = m.create_namespace("abcdef", &body).await.unwrap();
    assert_eq!(got.title.as_deref(), Some("x"));
    let sent = mock.captured().remove(0);
    assert_eq!(sent.header("accept"), Some("application/atom+xml"));
    assert_eq!(sent.header("type"), Some("entry"));
    assert_eq!(sent.header("content-type"), Some("application/atom+xml"));
    let text = String::from_utf8(sent.body.clone()).unwrap();
    assert!(
        text.contains("<entry xmlns=\"http://www.w3.org/2005/Atom\"><content type=\"application/xml\"><NamespaceDescription xmlns=\"http://schemas.microsoft.com/netservices/2010/10/servicebus/connect\""),
        "{text}"
    );
}

/// JSON: an empty list from the emulator, and a full document (unknown
/// enum values kept, unknown keys skipped) from a scripted server; errors
/// never repeat the body.
#[tokio::test]
async fn alert_rules_in_json() {
    let (_emu, c) = start().await;
    assert!(c.list_alert_rules().await.unwrap().value.is_empty());

    let mock = MockServer::start().await;
    let m = mock_client(&mock);
    mock.push(Reply::new(
        200,
        r#"{"Value":[{"Id":"r1","Name":"cpu","IsEnabled":true,"Extra":{"x":1},
            "Condition":{"Operator":"WayAbove","Threshold":75.5,"WindowSize":"PT5M",
              "DataSource":{"odata.type":"Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.RuleMetricDataSource","ResourceId":"/hostedservices/x","MetricName":"CPU"}},
            "Actions":[{"SendToServiceOwners":true,"CustomEmails":["a@example.com"]}]}]}"#,
    ));
    let rules = m.list_alert_rules().await.unwrap();
    let rule = &rules.value[0];
    assert_eq!(rule.name.as_deref(), Some("cpu"));
    let cond = rule.condition.as_ref().unwrap();
    assert_eq!(cond.threshold, Some(75.5));
    assert_eq!(
        cond.operator,
        Some(ConditionOperator::Unknown("WayAbove".into()))
    );
    let sent = mock.captured().remove(0);
    assert_eq!(sent.header("accept"), Some("application/json"));

    mock.push(Reply::new(
        200,
        r#"{"Value":[{"Name":"secret-name-123","IsEnabled":"yes"}]}"#,
    ));
    let err = m.list_alert_rules().await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err}");
    assert!(!err.to_string().contains("yes"), "{err}");
}

/// Scalar roots in the serialization namespace, and operations on one URI
/// told apart by a fixed query parameter.
#[tokio::test]
async fn scalar_roots_and_fixed_queries() {
    let (_emu, c) = start().await;
    assert_eq!(c.get_dns_suffix().await.unwrap(), "azurewebsites.net");
    let regions = c.list_geo_regions().await.unwrap();
    assert!(regions.geo_region.iter().any(|r| r.name == "West US"));
    assert!(c.list_web_spaces().await.unwrap().web_space.is_empty());
    assert_service_error(
        c.get_web_site_instance_ids("nowhere", "site").await,
        404,
        "ResourceNotFound",
    );

    let mock = MockServer::start().await;
    let m = mock_client(&mock);
    mock.push(Reply::new(
        200,
        "<ArrayOfstring xmlns=\"http://schemas.microsoft.com/2003/10/Serialization/Arrays\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><string>1e7c</string><string>2f8d</string></ArrayOfstring>",
    ));
    let ids = m.get_web_site_instance_ids("ws", "site").await.unwrap();
    assert_eq!(ids.ids, ["1e7c", "2f8d"]);
    // The wrong namespace on a scalar root is refused.
    mock.push(Reply::new(
        200,
        "<string xmlns=\"http://schemas.microsoft.com/windowsazure\">x</string>",
    ));
    assert!(matches!(
        m.get_dns_suffix().await.unwrap_err(),
        Error::Decode { .. }
    ));
    let sent = mock.captured();
    assert_eq!(sent[1].query, "properties=dnssuffix");
}

/// One URI, several operations: the router tells them apart by the request
/// body's root element, and the client writes each root.
#[tokio::test]
async fn role_operations_by_body_root() {
    let (_emu, c) = start().await;
    c.create_hosted_service(&CreateHostedService {
        service_name: "wire-forms-svc".into(),
        label: "svc".into(),
        location: Some("West US".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let msg = assert_service_error(
        c.start_role(
            "wire-forms-svc",
            "dep",
            "vm1",
            &StartRoleOperation::default(),
        )
        .await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(msg, "The deployment name 'dep' does not exist.");
    let msg = assert_service_error(
        c.shutdown_role(
            "wire-forms-svc",
            "dep",
            "vm1",
            &ShutdownRoleOperation {
                post_shutdown_action: Some(PostShutdownAction::StoppedDeallocated),
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(msg, "The deployment name 'dep' does not exist.");
    let msg = assert_service_error(
        c.restart_role(
            "wire-forms-svc",
            "dep",
            "vm1",
            &RestartRoleOperation::default(),
        )
        .await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(msg, "The deployment name 'dep' does not exist.");

    let path = "/s/services/hostedservices/h/deployments/d/roleinstances/r/Operations";
    for (root, want) in [
        ("StartRoleOperation", "StartRole"),
        ("ShutdownRoleOperation", "ShutdownRole"),
        ("RestartRoleOperation", "RestartRole"),
        ("RedeployRoleOperation", "RedeployRole"),
        (
            "PerformMaintenanceOnRoleOperation",
            "PerformMaintenanceOnRole",
        ),
    ] {
        let body = format!(
            "<?xml version=\"1.0\"?><{root} xmlns=\"http://schemas.microsoft.com/windowsazure\"><OperationType>{root}</OperationType></{root}>"
        );
        let req = route("POST", path, "", body.as_bytes()).unwrap();
        assert_eq!(req.spec().name, want);
    }
    // Capture Role is one of them too; an unknown root is not.
    let capture = "<CaptureRoleOperation xmlns=\"http://schemas.microsoft.com/windowsazure\"><OperationType>CaptureRoleOperation</OperationType><PostCaptureAction>Delete</PostCaptureAction><TargetImageLabel>l</TargetImageLabel><TargetImageName>n</TargetImageName></CaptureRoleOperation>";
    let req = route("POST", path, "", capture.as_bytes()).unwrap();
    assert_eq!(req.spec().name, "CaptureRole");
    let err = route("POST", path, "", b"<FrobnicateRoleOperation/>").unwrap_err();
    assert_eq!(err, asm_runtime::routing::RouteError::MethodNotAllowed);
}

/// `/subscriptions` has no subscription segment; Delete Role Instances
/// keeps its trailing slash.
#[tokio::test]
async fn subscriptions_and_trailing_slash() {
    let (emu, c) = start().await;
    let subs = c.list_subscriptions().await.unwrap();
    let ids: Vec<_> = subs
        .subscription
        .iter()
        .map(|s| s.subscription_id.as_str())
        .collect();
    assert_eq!(ids, [emu.subscription_id()]);

    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(202, "").header("x-ms-request-id", "abc"));
    let m = mock_client(&mock);
    let op = m
        .delete_role_instances_by_name(
            "svc",
            "dep",
            &RoleInstances {
                name: vec!["vm1_IN_0".into(), "vm1_IN_1".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(op.request_id(), "abc");
    m.list_subscriptions().await.unwrap_err();
    let sent = mock.captured();
    assert_eq!(
        sent[0].path,
        "/00000000-0000-0000-0000-000000000000/services/hostedservices/svc/deployments/dep/roleinstances/"
    );
    assert_eq!(sent[0].query, "comp=delete");
    assert_eq!(sent[1].path, "/subscriptions");
    match route("POST", &sent[0].path, &sent[0].query, &sent[0].body).unwrap() {
        ServerRequest::DeleteRoleInstancesByName { body, .. } => {
            assert_eq!(body.name, ["vm1_IN_0", "vm1_IN_1"])
        }
        other => panic!("{other:?}"),
    }
}

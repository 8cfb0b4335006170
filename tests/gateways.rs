//! Virtual network gateways (classic and V2), local network gateways,
//! gateway connections and application gateways, end to end through the
//! generated client against the emulator over mutual TLS. Every
//! asynchronous call is polled with the networking poller (Get Gateway
//! Operation Status) to Successful. Certificates are generated here.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, fast_poll, start_with};
use azure_asm::*;

/// [`fast_poll`] with 30 s in all: gateway operations take longer.
fn poll() -> PollOptions {
    PollOptions {
        timeout: Duration::from_secs(30),
        ..fast_poll()
    }
}

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = Duration::from_millis(400),
        |client| client.poll_options(poll()),
    )
    .await
}

/// Waits for a started networking operation; returns its final status.
async fn done(c: &Client, op: Result<AsyncOperation, Error>) -> GatewayOperation {
    let op = op.expect("the call is accepted");
    let id = op.request_id().to_owned();
    assert_eq!(id.len(), 36, "a dashed GUID: {id}");
    op.wait().await.expect("the operation succeeds");
    let status = c.get_gateway_operation_status(&id).await.unwrap();
    assert_eq!(status.status, GatewayOperationStatus::Successful);
    status
}

const NETCFG: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n\
<NetworkConfiguration xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\">\r\n\
  <VirtualNetworkConfiguration>\r\n\
    <LocalNetworkSites>\r\n\
      <LocalNetworkSite name=\"site-a\"><AddressSpace><AddressPrefix>192.168.0.0/24</AddressPrefix></AddressSpace><VPNGatewayAddress>131.107.0.1</VPNGatewayAddress></LocalNetworkSite>\r\n\
      <LocalNetworkSite name=\"site-b\"><AddressSpace><AddressPrefix>192.168.1.0/24</AddressPrefix></AddressSpace><VPNGatewayAddress>131.107.0.2</VPNGatewayAddress></LocalNetworkSite>\r\n\
      <LocalNetworkSite name=\"site-c\"><AddressSpace><AddressPrefix>192.168.2.0/24</AddressPrefix></AddressSpace></LocalNetworkSite>\r\n\
    </LocalNetworkSites>\r\n\
    <VirtualNetworkSites>\r\n\
      <VirtualNetworkSite name=\"gw-vnet\" Location=\"West US\">\r\n\
        <AddressSpace><AddressPrefix>10.0.0.0/16</AddressPrefix></AddressSpace>\r\n\
        <Subnets>\r\n\
          <Subnet name=\"front\"><AddressPrefix>10.0.1.0/24</AddressPrefix></Subnet>\r\n\
          <Subnet name=\"GatewaySubnet\"><AddressPrefix>10.0.2.0/29</AddressPrefix></Subnet>\r\n\
        </Subnets>\r\n\
        <Gateway>\r\n\
          <VPNClientAddressPool><AddressPrefix>172.16.0.0/24</AddressPrefix></VPNClientAddressPool>\r\n\
          <ConnectionsToLocalNetwork><LocalNetworkSiteRef name=\"site-a\"><Connection type=\"IPsec\" /></LocalNetworkSiteRef><LocalNetworkSiteRef name=\"site-c\"><Connection type=\"IPsec\" /></LocalNetworkSiteRef></ConnectionsToLocalNetwork>\r\n\
        </Gateway>\r\n\
      </VirtualNetworkSite>\r\n\
      <VirtualNetworkSite name=\"v2-vnet\" Location=\"West US\">\r\n\
        <AddressSpace><AddressPrefix>10.1.0.0/16</AddressPrefix></AddressSpace>\r\n\
        <Subnets><Subnet name=\"GatewaySubnet\"><AddressPrefix>10.1.2.0/29</AddressPrefix></Subnet></Subnets>\r\n\
      </VirtualNetworkSite>\r\n\
      <VirtualNetworkSite name=\"plain-vnet\" Location=\"West US\">\r\n\
        <AddressSpace><AddressPrefix>10.2.0.0/16</AddressPrefix></AddressSpace>\r\n\
        <Subnets><Subnet name=\"web\"><AddressPrefix>10.2.1.0/24</AddressPrefix></Subnet></Subnets>\r\n\
      </VirtualNetworkSite>\r\n\
    </VirtualNetworkSites>\r\n\
  </VirtualNetworkConfiguration>\r\n\
</NetworkConfiguration>\r\n";

async fn configure(c: &Client) {
    c.set_network_configuration(&TextDocument::from_text(NETCFG))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
}

/// A self-signed certificate: (DER, base64 DER as the .cer upload body).
fn root_certificate() -> (Vec<u8>, String) {
    let rcgen::CertifiedKey { cert, .. } =
        rcgen::generate_simple_self_signed(vec!["P2SRoot".to_owned()]).unwrap();
    let b64: String = cert
        .pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    (cert.der().to_vec(), b64)
}

/// A PFX holding a fresh key and self-signed certificate.
fn pfx(password: &str) -> (Vec<u8>, Vec<u8>) {
    use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKeyChain};
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["www.contoso.test".to_owned()]).unwrap();
    let key = p12_keystore::PrivateKey::from_der(&signing_key.serialize_der()).unwrap();
    let p12cert = p12_keystore::Certificate::from_der(cert.der()).unwrap();
    let mut store = KeyStore::new();
    store.add_entry(
        "ssl",
        KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new("key-1", key, [p12cert])),
    );
    (store.writer(password).write().unwrap(), cert.der().to_vec())
}

#[tokio::test]
async fn classic_gateway_lifecycle() {
    let (_emu, c) = start().await;
    let params = CreateGatewayParameters {
        gateway_size: Some(GatewaySize::Default),
        gateway_type: Some(GatewayType::DynamicRouting),
    };
    // No network configuration yet: the network does not exist.
    assert_service_error(
        c.create_virtual_network_gateway("gw-vnet", &params).await,
        404,
        "ResourceNotFound",
    );
    configure(&c).await;
    assert_service_error(
        c.create_virtual_network_gateway("no-such-vnet", &params)
            .await,
        404,
        "ResourceNotFound",
    );
    let msg = assert_service_error(
        c.create_virtual_network_gateway("plain-vnet", &params)
            .await,
        400,
        "BadRequest",
    );
    assert!(msg.contains("GatewaySubnet"), "{msg}");
    let before = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(before.state, Some(GatewayProvisioningState::NotProvisioned));
    assert_service_error(
        c.list_virtual_network_gateway_connections("gw-vnet").await,
        404,
        "ResourceNotFound",
    );

    // Create: Provisioning while the operation runs, then Provisioned.
    let op = c
        .create_virtual_network_gateway("gw-vnet", &params)
        .await
        .unwrap();
    assert_eq!(op.status(), 201);
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(g.state, Some(GatewayProvisioningState::Provisioning));
    assert!(g.vip_address.is_none(), "no address before provisioning");
    // Changes wait for Provisioned.
    assert_service_error(
        c.remove_default_sites("gw-vnet").await,
        409,
        "ConflictError",
    );
    let mut states = Vec::new();
    op.wait_with(poll(), |p| states.push(p.state.clone()))
        .await
        .unwrap();
    assert_eq!(states.first(), Some(&OperationState::InProgress));
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(g.state, Some(GatewayProvisioningState::Provisioned));
    assert_eq!(g.gateway_size, Some(GatewaySize::Default));
    assert_eq!(g.gateway_type, Some(GatewayType::DynamicRouting));
    let vip = g.vip_address.expect("a public address");
    assert!(vip.parse::<std::net::Ipv4Addr>().is_ok(), "{vip}");
    assert_service_error(
        c.create_virtual_network_gateway("GW-VNET", &params).await,
        409,
        "ConflictError",
    );

    // Connections: the configured local sites (site-a first), not connected.
    let conns = c
        .list_virtual_network_gateway_connections("gw-vnet")
        .await
        .unwrap();
    let names: Vec<_> = conns
        .connection
        .iter()
        .filter_map(|c| c.local_network_site_name.as_deref())
        .collect();
    assert_eq!(names, ["site-a", "site-c"]);
    assert_eq!(
        conns.connection[0].connectivity_state,
        Some(GatewayConnectivityState::NotConnected)
    );

    // Shared keys: generated, set, reset with a length; only for a site the
    // configuration connects.
    let generated = c
        .get_virtual_network_gateway_shared_key("gw-vnet", "site-a")
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(generated.len(), 32);
    assert!(!format!(
        "{:?}",
        SharedKey {
            value: Some(generated.clone())
        }
    )
    .contains(generated.as_str()));
    done(
        &c,
        c.set_virtual_network_gateway_shared_key(
            "gw-vnet",
            "site-a",
            &SharedKey {
                value: Some("Abc123xyz".into()),
            },
        )
        .await,
    )
    .await;
    let key = c
        .get_virtual_network_gateway_shared_key("gw-vnet", "SITE-A")
        .await
        .unwrap();
    assert_eq!(key.value.as_deref(), Some("Abc123xyz"));
    // The operation history keeps the call, not the secret.
    let history = c
        .list_subscription_operations(
            DateTime::now() - Duration::from_secs(600),
            DateTime::now() + Duration::from_secs(60),
            &Default::default(),
        )
        .await
        .unwrap();
    let set = history
        .subscription_operations
        .iter()
        .find(|o| o.operation_name.as_deref() == Some("SetVirtualNetworkGatewaySharedKey"))
        .expect("the set is in the history");
    let text = format!("{:?}", set.operation_parameters);
    assert!(text.contains("********"), "{text}");
    assert!(!text.contains("Abc123xyz"), "{text}");
    assert_service_error(
        c.set_virtual_network_gateway_shared_key(
            "gw-vnet",
            "site-a",
            &SharedKey {
                value: Some("not a key!".into()),
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.get_virtual_network_gateway_shared_key("gw-vnet", "site-b")
            .await,
        404,
        "ResourceNotFound",
    );
    done(
        &c,
        c.reset_virtual_network_gateway_shared_key(
            "gw-vnet",
            "site-a",
            &ResetSharedKey { key_length: 20 },
        )
        .await,
    )
    .await;
    let reset = c
        .get_virtual_network_gateway_shared_key("gw-vnet", "site-a")
        .await
        .unwrap()
        .value
        .unwrap();
    assert_eq!(reset.len(), 20);
    assert_ne!(reset, "Abc123xyz");

    // Connect, test, disconnect.
    let connect = |op| UpdateConnection {
        operation: op,
        ip_address: None,
    };
    done(
        &c,
        c.connect_disconnect_or_test_gateway(
            "gw-vnet",
            "site-a",
            &connect(UpdateConnectionOperation::Connect),
        )
        .await,
    )
    .await;
    let conns = c
        .list_virtual_network_gateway_connections("gw-vnet")
        .await
        .unwrap();
    assert_eq!(
        conns.connection[0].connectivity_state,
        Some(GatewayConnectivityState::Connected)
    );
    let tested = done(
        &c,
        c.connect_disconnect_or_test_gateway(
            "gw-vnet",
            "site-a",
            &connect(UpdateConnectionOperation::Test),
        )
        .await,
    )
    .await;
    assert_eq!(tested.data.as_deref(), Some("Connected"));
    done(
        &c,
        c.connect_disconnect_or_test_gateway(
            "gw-vnet",
            "site-a",
            &connect(UpdateConnectionOperation::Disconnect),
        )
        .await,
    )
    .await;
    let conns = c
        .list_virtual_network_gateway_connections("gw-vnet")
        .await
        .unwrap();
    assert_eq!(
        conns.connection[0].connectivity_state,
        Some(GatewayConnectivityState::NotConnected)
    );
    // A site without a device address: accepted, then Failed.
    let op = c
        .connect_disconnect_or_test_gateway(
            "gw-vnet",
            "site-c",
            &connect(UpdateConnectionOperation::Connect),
        )
        .await
        .unwrap();
    let id = op.request_id().to_owned();
    let err = op.wait().await.unwrap_err();
    assert!(err.to_string().contains("VPNGatewayAddress"), "{err}");
    let failed = c.get_gateway_operation_status(&id).await.unwrap();
    assert_eq!(failed.status, GatewayOperationStatus::Failed);
    assert_eq!(
        failed.error.and_then(|e| e.code).as_deref(),
        Some("BadRequest")
    );
    assert_eq!(failed.http_status_code.as_deref(), Some("BadRequest"));
    assert_service_error(
        c.connect_disconnect_or_test_gateway(
            "gw-vnet",
            "site-b",
            &connect(UpdateConnectionOperation::Connect),
        )
        .await,
        404,
        "ResourceNotFound",
    );

    // IPsec parameters: defaults, then set.
    let ipsec = c.get_i_psec_parameters("gw-vnet", "site-a").await.unwrap();
    assert_eq!(ipsec.pfs_group.as_deref(), Some("None"));
    done(
        &c,
        c.set_i_psec_parameters(
            "gw-vnet",
            "site-a",
            &IPsecParameters {
                pfs_group: Some("PFS1".into()),
                sa_lifetime_seconds: Some(7200),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let ipsec = c.get_i_psec_parameters("gw-vnet", "site-a").await.unwrap();
    assert_eq!(ipsec.pfs_group.as_deref(), Some("PFS1"));
    assert_eq!(ipsec.sa_lifetime_seconds, Some(7200));
    assert_eq!(ipsec.encryption_type.as_deref(), Some("RequireEncryption"));

    // Resize, then reset (the same PATCH, told apart by Operation).
    done(
        &c,
        c.resize_virtual_network_gateway(
            "gw-vnet",
            &UpdateGatewayParameters {
                gateway_size: Some(GatewaySize::HighPerformance),
                operation: UpdateGatewayOperation::Resize,
            },
        )
        .await,
    )
    .await;
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(g.gateway_size, Some(GatewaySize::HighPerformance));
    let reset = done(
        &c,
        c.reset_virtual_network_gateway(
            "gw-vnet",
            &UpdateGatewayParameters {
                gateway_size: None,
                operation: UpdateGatewayOperation::Reset,
            },
        )
        .await,
    )
    .await;
    assert_eq!(reset.operation_name.as_deref(), Some("ResetGateway"));
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(g.gateway_size, Some(GatewaySize::HighPerformance));
    assert!(
        g.last_event
            .and_then(|e| e.message)
            .is_some_and(|m| m.contains("reset")),
        "the reset is the last event"
    );
    assert_service_error(
        c.resize_virtual_network_gateway(
            "gw-vnet",
            &UpdateGatewayParameters {
                gateway_size: None,
                operation: UpdateGatewayOperation::Resize,
            },
        )
        .await,
        400,
        "BadRequest",
    );
    let failover = done(
        &c,
        c.failover_virtual_network_gateway("gw-vnet", &UpdateGateway {})
            .await,
    )
    .await;
    assert_eq!(failover.operation_name.as_deref(), Some("FailoverGateway"));

    // Diagnostics: a session runs for its capture time or until stopped.
    let start_diag = UpdateGatewayPublicDiagnostics {
        capture_duration_in_seconds: Some(60),
        container_name: Some("captures".into()),
        customer_storage_key: Some("c2VjcmV0".into()),
        customer_storage_name: Some("diagstore".into()),
        operation: GatewayDiagnosticsOperation::StartDiagnostics,
    };
    assert!(
        !format!("{start_diag:?}").contains("c2VjcmV0"),
        "the storage key is secret"
    );
    let d = c.get_gateway_diagnostics("gw-vnet").await.unwrap();
    assert_eq!(d.state, Some(GatewayDiagnosticsState::Ready));
    assert!(d.public_diagnostics_url.is_none());
    // Longer than 300 seconds: refused by the client before sending.
    let too_long = c
        .start_gateway_diagnostics(
            "gw-vnet",
            &UpdateGatewayPublicDiagnostics {
                capture_duration_in_seconds: Some(301),
                ..start_diag.clone()
            },
        )
        .await
        .unwrap_err();
    assert!(too_long.service_error().is_none(), "{too_long}");
    assert!(
        too_long.to_string().contains("CaptureDurationInSeconds"),
        "{too_long}"
    );
    done(
        &c,
        c.start_gateway_diagnostics("gw-vnet", &start_diag).await,
    )
    .await;
    let d = c.get_gateway_diagnostics("gw-vnet").await.unwrap();
    assert_eq!(d.state, Some(GatewayDiagnosticsState::InProgress));
    assert_service_error(
        c.start_gateway_diagnostics("gw-vnet", &start_diag).await,
        409,
        "ConflictError",
    );
    done(
        &c,
        c.stop_gateway_diagnostics(
            "gw-vnet",
            &UpdateGatewayPublicDiagnostics {
                operation: GatewayDiagnosticsOperation::StopDiagnostics,
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let d = c.get_gateway_diagnostics("gw-vnet").await.unwrap();
    assert_eq!(d.state, Some(GatewayDiagnosticsState::Ready));
    let url = d.public_diagnostics_url.expect("a capture URL");
    assert!(
        url.starts_with("https://diagstore.blob.core.windows.net/captures/"),
        "{url}"
    );

    // VPN client package: the finished operation carries its URL.
    let package = done(
        &c,
        c.generate_vpn_client_package(
            "gw-vnet",
            &VpnClientParameters {
                processor_architecture: ProcessorArchitecture::Amd64,
            },
        )
        .await,
    )
    .await;
    let url = package.data.expect("the package URL");
    assert!(url.ends_with("gw-vnet-amd64.exe"), "{url}");

    // Client root certificates: uploaded as base64 DER, thumbprint computed.
    let (der, b64) = root_certificate();
    done(&c, c.upload_client_root_certificate("gw-vnet", &b64).await).await;
    let thumbprint = asm_runtime::x509::thumbprint(&der);
    let certs = c.list_client_root_certificates("gw-vnet").await.unwrap();
    assert_eq!(certs.client_root_certificate.len(), 1);
    let cert = &certs.client_root_certificate[0];
    assert_eq!(cert.thumbprint, thumbprint);
    assert!(
        cert.subject.as_deref().is_some_and(|s| s.contains("rcgen")),
        "{cert:?}"
    );
    assert!(cert.expiration_time.is_some());
    assert_eq!(
        c.get_client_root_certificate("gw-vnet", &thumbprint.to_ascii_lowercase())
            .await
            .unwrap(),
        b64
    );
    assert_service_error(
        c.upload_client_root_certificate("gw-vnet", &b64).await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.upload_client_root_certificate("gw-vnet", "bm90IGEgY2VydGlmaWNhdGU=")
            .await,
        400,
        "BadRequest",
    );
    done(
        &c,
        c.delete_client_root_certificate("gw-vnet", &thumbprint)
            .await,
    )
    .await;
    assert!(c
        .list_client_root_certificates("gw-vnet")
        .await
        .unwrap()
        .client_root_certificate
        .is_empty());
    assert_service_error(
        c.delete_client_root_certificate("gw-vnet", &thumbprint)
            .await,
        404,
        "ResourceNotFound",
    );

    // Default site: a connected local site of a dynamic-routing gateway.
    done(
        &c,
        c.set_default_sites(
            "gw-vnet",
            &DefaultSiteList {
                default_site: "site-a".into(),
            },
        )
        .await,
    )
    .await;
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(g.default_sites, ["site-a"]);
    done(&c, c.remove_default_sites("gw-vnet").await).await;
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert!(g.default_sites.is_empty());

    // Devices and their configuration scripts.
    let devices = c
        .list_vpn_supported_devices()
        .await
        .unwrap()
        .parse()
        .unwrap();
    let rras = devices
        .vendor
        .iter()
        .find(|v| v.name == "Microsoft Corporation")
        .and_then(|v| v.platform.iter().find(|p| p.name == "RRAS"))
        .expect("RRAS is listed");
    assert!(!rras.os_families.is_empty());
    let script = c
        .get_vpn_device_configuration_script(
            "gw-vnet",
            &GetVpnDeviceConfigurationScriptOptions {
                vendor: Some("Microsoft Corporation".into()),
                platform: Some("RRAS".into()),
                os_family: Some(rras.os_families[0].name.to_string()),
            },
        )
        .await
        .unwrap();
    assert!(
        script.contains(vip.as_str()) && script.contains("site-a"),
        "{script}"
    );
    assert_service_error(
        c.get_vpn_device_configuration_script(
            "gw-vnet",
            &GetVpnDeviceConfigurationScriptOptions {
                vendor: Some("Nobody".into()),
                ..Default::default()
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );

    // Delete: Deprovisioning, then NotProvisioned; a new gateway may follow.
    let op = c.delete_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(op.status(), 202);
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(g.state, Some(GatewayProvisioningState::Deprovisioning));
    op.wait().await.unwrap();
    let g = c.get_virtual_network_gateway("gw-vnet").await.unwrap();
    assert_eq!(g.state, Some(GatewayProvisioningState::NotProvisioned));
    assert_service_error(
        c.delete_virtual_network_gateway("gw-vnet").await,
        404,
        "ResourceNotFound",
    );
    done(
        &c,
        c.create_virtual_network_gateway("gw-vnet", &params).await,
    )
    .await;
}

#[tokio::test]
async fn v2_gateway_local_gateway_and_connection() {
    let (_emu, c) = start().await;
    configure(&c).await;
    let vnet_id = c
        .list_virtual_network_sites()
        .await
        .unwrap()
        .virtual_network_site
        .into_iter()
        .find(|s| s.name == "v2-vnet")
        .unwrap()
        .id;
    let create = CreateVirtualNetworkGatewayParameters {
        gateway_name: "v2gw".into(),
        gateway_size: Some(GatewaySize::Standard),
        gateway_type: Some(GatewayType::DynamicRouting),
        bgp_settings: Some(BgpSettings {
            asn: Some(65010),
            bgp_peering_address: None,
            peer_weight: None,
        }),
        ..Default::default()
    };
    assert_service_error(
        c.create_virtual_network_gateway_v2("plain-vnet", &create)
            .await,
        400,
        "BadRequest",
    );
    done(
        &c,
        c.create_virtual_network_gateway_v2("v2-vnet", &create)
            .await,
    )
    .await;
    let list = c.list_virtual_network_gateways().await.unwrap();
    assert_eq!(list.virtual_network_gateway.len(), 1);
    let gw = &list.virtual_network_gateway[0];
    let gw_id = gw.gateway_id.clone().unwrap();
    assert_eq!(gw.gateway_name.as_deref(), Some("v2gw"));
    assert_eq!(gw.vnet_id.as_deref(), Some(vnet_id.as_str()));
    assert_eq!(gw.state, Some(GatewayProvisioningState::Provisioned));
    assert_eq!(gw.bgp_settings.as_ref().and_then(|b| b.asn), Some(65010));
    let got = c.get_virtual_network_gateway_v2(&gw_id).await.unwrap();
    assert_eq!(got.gateway_size, Some(GatewaySize::Standard));
    assert_service_error(
        c.create_virtual_network_gateway_v2("v2-vnet", &create)
            .await,
        409,
        "ConflictError",
    );

    // A local network gateway: synchronous, answers its id.
    let lng_id = c
        .create_local_network_gateway(&CreateLocalNetworkGatewayParameters {
            address_space: Some(LocalNetworkAddressSpace {
                address_prefixes: vec!["192.168.10.0/24".into()],
            }),
            gateway_name: "onprem".into(),
            ip_address: Some("131.107.1.1".into()),
            bgp_settings: None,
        })
        .await
        .unwrap();
    assert_eq!(lng_id.trim().len(), 36, "{lng_id}");
    let lng = c.get_local_network_gateway(&lng_id).await.unwrap();
    assert_eq!(lng.gateway_name.as_deref(), Some("onprem"));
    c.update_local_network_gateway(
        &lng_id,
        &UpdateLocalNetworkGatewayParameters {
            address_space: Some(LocalNetworkAddressSpace {
                address_prefixes: vec!["192.168.10.0/24".into(), "192.168.11.0/24".into()],
            }),
            bgp_settings: None,
        },
    )
    .await
    .unwrap();
    let lngs = c.list_local_network_gateways().await.unwrap();
    assert_eq!(lngs.local_network_gateway.len(), 1);
    assert_eq!(
        lngs.local_network_gateway[0]
            .address_space
            .as_ref()
            .unwrap()
            .address_prefixes
            .len(),
        2
    );
    assert_service_error(
        c.update_local_network_gateway(
            &lng_id,
            &UpdateLocalNetworkGatewayParameters {
                address_space: Some(LocalNetworkAddressSpace {
                    address_prefixes: vec!["not-a-range".into()],
                }),
                bgp_settings: None,
            },
        )
        .await,
        400,
        "BadRequest",
    );

    // The connection between them; shared key and IPsec through it.
    let conn = CreateGatewayConnectionParameters {
        connected_entity_id: lng_id.clone().into(),
        gateway_connection_name: "to-onprem".into(),
        gateway_connection_type: Some("IPsec".into()),
        virtual_network_gateway_id: gw_id.clone(),
        routing_weight: Some(10),
        shared_key: Some("Sh4redKey".into()),
        enable_bgp: Some(false),
    };
    assert_service_error(
        c.create_gateway_connection(&CreateGatewayConnectionParameters {
            connected_entity_id: "00000000-0000-0000-0000-000000000001".into(),
            ..conn.clone()
        })
        .await,
        404,
        "ResourceNotFound",
    );
    done(&c, c.create_gateway_connection(&conn).await).await;
    assert_service_error(
        c.create_gateway_connection(&conn).await,
        409,
        "ConflictError",
    );
    let got = c.get_gateway_connection(&gw_id, &lng_id).await.unwrap();
    assert_eq!(got.gateway_connection_name.as_deref(), Some("to-onprem"));
    assert_eq!(got.routing_weight, Some(10));
    assert_eq!(
        c.list_gateway_connections()
            .await
            .unwrap()
            .gateway_connection
            .len(),
        1
    );
    let key = c
        .get_virtual_network_gateway_shared_key_v2(&gw_id, &lng_id)
        .await
        .unwrap();
    assert_eq!(key.value.as_deref(), Some("Sh4redKey"));
    done(
        &c,
        c.reset_virtual_network_gateway_shared_key_v2(
            &gw_id,
            &lng_id,
            &ResetSharedKey { key_length: 64 },
        )
        .await,
    )
    .await;
    let key = c
        .get_virtual_network_gateway_shared_key_v2(&gw_id, &lng_id)
        .await
        .unwrap();
    assert_eq!(key.value.map(|v| v.len()), Some(64));
    done(
        &c,
        c.update_gateway_connection(
            &gw_id,
            &lng_id,
            &UpdateGatewayConnectionParameters {
                routing_weight: 20,
                shared_key: None,
                enable_bgp: None,
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_gateway_connection(&gw_id, &lng_id)
            .await
            .unwrap()
            .routing_weight,
        Some(20)
    );
    done(
        &c,
        c.set_i_psec_parameters_v2(
            &gw_id,
            &lng_id,
            &IPsecParameters {
                hash_algorithm: Some("SHA256".into()),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_i_psec_parameters_v2(&gw_id, &lng_id)
            .await
            .unwrap()
            .hash_algorithm
            .as_deref(),
        Some("SHA256")
    );
    done(
        &c,
        c.resize_virtual_network_gateway_v2(
            &gw_id,
            &UpdateGatewayParameters {
                gateway_size: Some(GatewaySize::HighPerformance),
                operation: UpdateGatewayOperation::Resize,
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_virtual_network_gateway_v2(&gw_id)
            .await
            .unwrap()
            .gateway_size,
        Some(GatewaySize::HighPerformance)
    );
    done(
        &c,
        c.start_gateway_diagnostics_v2(
            &gw_id,
            &UpdateGatewayPublicDiagnostics {
                capture_duration_in_seconds: Some(1),
                container_name: Some("c".into()),
                customer_storage_key: Some("k".into()),
                customer_storage_name: Some("acct".into()),
                operation: GatewayDiagnosticsOperation::StartDiagnostics,
            },
        )
        .await,
    )
    .await;
    assert!(c.get_gateway_diagnostics_v2(&gw_id).await.is_ok());

    // What is in use cannot go; then the order connection, gateways.
    assert_service_error(
        c.delete_local_network_gateway(&lng_id).await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.delete_virtual_network_gateway_v2(&gw_id).await,
        409,
        "ConflictError",
    );
    done(&c, c.delete_gateway_connection(&gw_id, &lng_id).await).await;
    assert_service_error(
        c.get_gateway_connection(&gw_id, &lng_id).await,
        404,
        "ResourceNotFound",
    );
    c.delete_local_network_gateway(&lng_id).await.unwrap();
    assert_service_error(
        c.get_local_network_gateway(&lng_id).await,
        404,
        "ResourceNotFound",
    );
    done(&c, c.delete_virtual_network_gateway_v2(&gw_id).await).await;
    assert_service_error(
        c.get_virtual_network_gateway_v2(&gw_id).await,
        404,
        "ResourceNotFound",
    );
    assert!(c
        .list_virtual_network_gateways()
        .await
        .unwrap()
        .virtual_network_gateway
        .is_empty());
}

#[tokio::test]
async fn application_gateway_lifecycle() {
    let (_emu, c) = start().await;
    assert_service_error(
        c.get_application_gateway("appgw").await,
        404,
        "ResourceNotFound",
    );
    configure(&c).await;
    let create = CreateApplicationGatewayParameters {
        description: Some("web front".into()),
        gateway_size: Some(ApplicationGatewaySize::Small),
        instance_count: Some(2),
        name: "appgw".into(),
        subnets: vec!["front".into()],
        vnet_name: "gw-vnet".into(),
    };
    assert_service_error(
        c.create_application_gateway(&CreateApplicationGatewayParameters {
            subnets: vec!["nope".into()],
            ..create.clone()
        })
        .await,
        400,
        "BadRequest",
    );
    done(&c, c.create_application_gateway(&create).await).await;
    assert_service_error(
        c.create_application_gateway(&create).await,
        409,
        "ConflictError",
    );
    let g = c.get_application_gateway("APPGW").await.unwrap();
    assert_eq!(g.name, "appgw");
    assert_eq!(g.state, Some(ApplicationGatewayState::Stopped));
    assert_eq!(g.subnets, ["front"]);
    assert_eq!(g.vnet_name.as_deref(), Some("gw-vnet"));
    assert!(g.virtual_ips.is_empty());
    done(
        &c,
        c.update_application_gateway(
            "appgw",
            &UpdateApplicationGatewayParameters {
                instance_count: Some(3),
                gateway_size: Some(ApplicationGatewaySize::Medium),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let g = c.get_application_gateway("appgw").await.unwrap();
    assert_eq!(g.instance_count, Some(3));
    assert_eq!(g.gateway_size, Some(ApplicationGatewaySize::Medium));

    // Starting needs a configuration.
    let start = ApplicationGatewayOperation {
        operation_type: ApplicationGatewayOperationType::Start,
    };
    assert_service_error(
        c.execute_application_gateway_operation("appgw", &start)
            .await,
        400,
        "BadRequest",
    );

    // Certificates: a PFX opened with its password (a secret).
    let (pfx_bytes, cert_der) = pfx("pfx-Pa55");
    let file = ApplicationGatewayCertificateFile {
        data: pfx_bytes.clone(),
        certificate_format: Some("pfx".into()),
        password: Some("pfx-Pa55".into()),
    };
    assert!(
        !format!("{file:?}").contains("pfx-Pa55"),
        "the password is secret"
    );
    assert_service_error(
        c.add_application_gateway_certificate(
            "appgw",
            "ssl1",
            &ApplicationGatewayCertificateFile {
                password: Some("wrong".into()),
                ..file.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    done(
        &c,
        c.add_application_gateway_certificate("appgw", "ssl1", &file)
            .await,
    )
    .await;
    let cert = c
        .get_application_gateway_certificate("appgw", "ssl1")
        .await
        .unwrap();
    assert_eq!(cert.name.as_deref(), Some("ssl1"));
    let public = cert.data.expect("the public certificate");
    assert_eq!(
        asm_runtime::x509::thumbprint(&decode_b64(&public)),
        asm_runtime::x509::thumbprint(&cert_der)
    );
    assert_eq!(
        c.list_application_gateway_certificates("appgw")
            .await
            .unwrap()
            .application_gateway_certificate
            .len(),
        1
    );

    // Configuration: references are checked; set, then read back.
    let mut config = ApplicationGatewayConfiguration {
        frontend_ip_configurations: vec![FrontendIPConfiguration {
            name: "fip1".into(),
            type_: Some("Private".into()),
            static_ip_address: Some("10.0.1.5".into()),
        }],
        frontend_ports: vec![FrontendPort {
            name: "fep1".into(),
            port: 443,
        }],
        probes: Vec::new(),
        backend_address_pools: vec![BackendAddressPool {
            name: "pool1".into(),
            ip_addresses: vec!["10.0.1.10".into(), "10.0.1.11".into()],
        }],
        backend_http_settings_list: vec![BackendHttpSettings {
            name: "settings1".into(),
            port: 80,
            protocol: Some(ApplicationGatewayProtocol::Http),
            cookie_based_affinity: Some("Disabled".into()),
            request_timeout: Some(30),
            probe: None,
        }],
        http_listeners: vec![HttpListener {
            name: "listener1".into(),
            frontend_ip: Some("fip1".into()),
            frontend_port: Some("fep1".into()),
            protocol: Some(ApplicationGatewayProtocol::Https),
            ssl_cert: Some("ssl1".into()),
        }],
        http_load_balancing_rules: vec![HttpLoadBalancingRule {
            name: "rule1".into(),
            type_: Some("Basic".into()),
            backend_http_settings: Some("settings1".into()),
            listener: Some("listener1".into()),
            backend_address_pool: Some("nope".into()),
        }],
    };
    let msg = assert_service_error(
        c.set_application_gateway_config("appgw", &config).await,
        400,
        "BadRequest",
    );
    assert!(msg.contains("nope"), "{msg}");
    config.http_load_balancing_rules[0].backend_address_pool = Some("pool1".into());
    done(&c, c.set_application_gateway_config("appgw", &config).await).await;
    assert_eq!(
        c.get_application_gateway_config("appgw").await.unwrap(),
        config
    );
    // A certificate a listener uses cannot be deleted.
    assert_service_error(
        c.delete_application_gateway_certificate("appgw", "ssl1")
            .await,
        409,
        "ConflictError",
    );

    // Start: Starting, then Running with an address; stop: back to Stopped.
    let op = c
        .execute_application_gateway_operation("appgw", &start)
        .await
        .unwrap();
    assert_eq!(
        c.get_application_gateway("appgw").await.unwrap().state,
        Some(ApplicationGatewayState::Starting)
    );
    op.wait().await.unwrap();
    let g = c.get_application_gateway("appgw").await.unwrap();
    assert_eq!(g.state, Some(ApplicationGatewayState::Running));
    assert_eq!(g.virtual_ips.len(), 1);
    let dns = g.dns_name.expect("a DNS name while running");
    assert_eq!(
        c.get_application_gateway("appgw").await.unwrap().dns_name,
        Some(dns),
        "stable across reads"
    );
    assert_service_error(
        c.delete_application_gateway("appgw").await,
        409,
        "ConflictError",
    );
    done(
        &c,
        c.execute_application_gateway_operation(
            "appgw",
            &ApplicationGatewayOperation {
                operation_type: ApplicationGatewayOperationType::Stop,
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_application_gateway("appgw").await.unwrap().state,
        Some(ApplicationGatewayState::Stopped)
    );

    config.http_listeners[0].protocol = Some(ApplicationGatewayProtocol::Http);
    config.http_listeners[0].ssl_cert = None;
    done(&c, c.set_application_gateway_config("appgw", &config).await).await;
    done(
        &c,
        c.delete_application_gateway_certificate("appgw", "ssl1")
            .await,
    )
    .await;
    assert_service_error(
        c.get_application_gateway_certificate("appgw", "ssl1").await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(
        c.list_application_gateways()
            .await
            .unwrap()
            .application_gateway
            .len(),
        1
    );
    done(&c, c.delete_application_gateway("appgw").await).await;
    assert_service_error(
        c.get_application_gateway("appgw").await,
        404,
        "ResourceNotFound",
    );
    assert!(c
        .list_application_gateways()
        .await
        .unwrap()
        .application_gateway
        .is_empty());
}

fn decode_b64(s: &str) -> Vec<u8> {
    // A small decoder keeps the test free of another dependency.
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for b in s.bytes().filter(|b| *b != b'=' && !b.is_ascii_whitespace()) {
        let v = ALPHABET.iter().position(|a| *a == b).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

//! Networking areas served by the emulator's generic engine from their spec
//! `resource` declarations alone: network security groups with their rules,
//! route tables with their routes (children set by PUT, shown in the
//! parent's detailed read) and Traffic Manager profiles, driven through the
//! generated client over mutual TLS. Associations, default rules, priorities,
//! migrations and definitions: `network_rest.rs`.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, fast_poll, start_with};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = Duration::from_millis(50),
        |client| client.poll_options(fast_poll()),
    )
    .await
}

#[tokio::test]
async fn network_security_groups() {
    let (emu, c) = start().await;
    let create = CreateNetworkSecurityGroupParameters {
        name: "web-nsg".into(),
        label: Some("Web tier".into()),
        location: "West US".into(),
    };
    let op = c.create_network_security_group(&create).await.unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();
    // The same name again (any case) is taken.
    let upper = CreateNetworkSecurityGroupParameters {
        name: "WEB-NSG".into(),
        ..create.clone()
    };
    assert_service_error(
        c.create_network_security_group(&upper).await,
        409,
        "ConflictError",
    );

    // Get, plain and with the detail level.
    let got = c
        .get_network_security_group("web-nsg", &Default::default())
        .await
        .unwrap();
    assert_eq!(got.name, "web-nsg");
    assert_eq!(got.label.as_deref(), Some("Web tier"));
    assert_eq!(got.location.as_deref(), Some("West US"));
    assert_eq!(got.state.as_deref(), Some("Created"));
    let full = c
        .get_network_security_group(
            "web-nsg",
            &GetNetworkSecurityGroupOptions {
                detail_level: Some("Full".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(full.name, "web-nsg");

    // List.
    c.create_network_security_group(&CreateNetworkSecurityGroupParameters {
        name: "db-nsg".into(),
        label: None,
        location: "West US".into(),
    })
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
    let mut names: Vec<String> = c
        .list_network_security_groups()
        .await
        .unwrap()
        .network_security_group
        .into_iter()
        .map(|g| g.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["db-nsg", "web-nsg"]);

    // Rules: set (and set again: replaced), shown with detaillevel=Full,
    // deleted; the group must exist.
    let rule = SetNetworkSecurityRuleParameters {
        type_: NetworkSecurityRuleType::Inbound,
        priority: 100,
        action: NetworkSecurityRuleAction::Allow,
        source_address_prefix: "INTERNET".into(),
        source_port_range: "*".into(),
        destination_address_prefix: "*".into(),
        destination_port_range: "443".into(),
        protocol: "TCP".into(),
    };
    c.set_network_security_rule("web-nsg", "https", &rule)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let replaced = SetNetworkSecurityRuleParameters {
        priority: 200,
        ..rule.clone()
    };
    c.set_network_security_rule("web-nsg", "https", &replaced)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.set_network_security_rule("no-nsg", "https", &rule).await,
        404,
        "ResourceNotFound",
    );
    let full = c
        .get_network_security_group(
            "web-nsg",
            &GetNetworkSecurityGroupOptions {
                detail_level: Some("Full".into()),
            },
        )
        .await
        .unwrap();
    // The user's rule, then the six default ones.
    assert_eq!(full.rules.len(), 7, "{full:?}");
    assert_eq!(full.rules[0].name, "https");
    assert!(full.rules[1..].iter().all(|r| r.is_default == Some(true)));
    assert_eq!(full.rules[0].priority, Some(200));
    assert_eq!(full.rules[0].destination_port_range.as_deref(), Some("443"));
    let plain = c
        .get_network_security_group("web-nsg", &Default::default())
        .await
        .unwrap();
    assert!(plain.rules.is_empty(), "rules only with detaillevel=Full");
    c.delete_network_security_rule("web-nsg", "https")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.delete_network_security_rule("web-nsg", "https").await,
        404,
        "ResourceNotFound",
    );

    // Delete: gone once the operation completes; then 404.
    let op = c.delete_network_security_group("web-nsg").await.unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();
    assert_service_error(
        c.get_network_security_group("web-nsg", &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.delete_network_security_group("web-nsg").await,
        404,
        "ResourceNotFound",
    );
    let left = c.list_network_security_groups().await.unwrap();
    assert_eq!(left.network_security_group.len(), 1);
    // The name is free again.
    c.create_network_security_group(&create)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    emu.shutdown().await;
}

#[tokio::test]
async fn route_tables() {
    let (emu, c) = start().await;
    let create = CreateRouteTableParameters {
        name: Some("rt1".into()),
        label: Some("Route".into()),
        location: Some("West US".into()),
    };
    c.create_route_table(&create)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(c.create_route_table(&create).await, 409, "ConflictError");
    // No name: refused.
    assert_service_error(
        c.create_route_table(&CreateRouteTableParameters {
            name: None,
            ..create.clone()
        })
        .await,
        400,
        "BadRequest",
    );

    let got = c.get_route_table("RT1").await.unwrap();
    assert_eq!(got.name, "rt1");
    assert_eq!(got.label.as_deref(), Some("Route"));
    assert_eq!(got.location.as_deref(), Some("West US"));
    assert_eq!(got.route_list, None);
    let list = c.list_route_tables().await.unwrap();
    assert_eq!(list.route_table.len(), 1);
    assert_eq!(list.route_table[0].name, "rt1");

    // Routes: set, shown in the detailed read only; an empty detailed read
    // has `<RouteList/>`.
    assert_eq!(
        c.get_route_table_with_details("rt1")
            .await
            .unwrap()
            .route_list,
        Some(Vec::new())
    );
    let route = SetRouteParameters {
        name: Some("default".into()),
        address_prefix: Some("0.0.0.0/0".into()),
        next_hop_type: Some(RouteNextHop {
            type_: Some(RouteNextHopType::VpnGateway),
            ip_address: None,
        }),
    };
    c.set_route("rt1", "default", &route)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let detailed = c.get_route_table_with_details("rt1").await.unwrap();
    let routes = detailed.route_list.unwrap();
    assert_eq!(routes.len(), 1);
    assert_eq!(routes[0].name, "default");
    assert_eq!(routes[0].address_prefix.as_deref(), Some("0.0.0.0/0"));
    assert_eq!(c.get_route_table("rt1").await.unwrap().route_list, None);
    c.delete_route("rt1", "default")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_eq!(
        c.get_route_table_with_details("rt1")
            .await
            .unwrap()
            .route_list,
        Some(Vec::new())
    );

    c.delete_route_table("rt1")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(c.get_route_table("rt1").await, 404, "ResourceNotFound");
    assert_service_error(c.delete_route_table("rt1").await, 404, "ResourceNotFound");
    assert!(c.list_route_tables().await.unwrap().route_table.is_empty());
    emu.shutdown().await;
}

#[tokio::test]
async fn traffic_manager_profiles() {
    let (emu, c) = start().await;
    assert_service_error(c.get_profile("tmp1").await, 404, "ResourceNotFound");
    let create = CreateProfileParameters {
        domain_name: "tmdom.trafficmanager.net".into(),
        name: "tmp1".into(),
    };
    c.create_profile(&create).await.unwrap();
    assert_service_error(c.create_profile(&create).await, 409, "ConflictError");
    // The spec's limits: the client refuses before sending.
    let long = c
        .create_profile(&CreateProfileParameters {
            name: "x".repeat(257).into(),
            ..create.clone()
        })
        .await
        .unwrap_err();
    assert!(long.service_error().is_none(), "{long}");
    assert!(long.to_string().contains("at most 256"), "{long}");

    // A new profile is Disabled.
    let got = c.get_profile("tmp1").await.unwrap();
    assert_eq!(got.name, "tmp1");
    assert_eq!(got.domain_name, "tmdom.trafficmanager.net");
    assert_eq!(got.status, Some(TrafficManagerStatus::Disabled));
    assert_eq!(got.status_details, None);

    // Enable it with definition version 1 (once it has one): merged into
    // the profile.
    c.create_definition(
        "tmp1",
        &CreateDefinitionParameters {
            dns_options: TrafficManagerDnsOptions {
                time_to_live_in_seconds: 300,
            },
            monitors: vec![CreateDefinitionMonitor {
                interval_in_seconds: 30,
                timeout_in_seconds: 10,
                tolerated_number_of_failures: 3,
                protocol: MonitorProtocol::Http,
                port: 80,
                http_options: Default::default(),
            }],
            policy: CreateDefinitionPolicy {
                load_balancing_method: LoadBalancingMethod::RoundRobin,
                endpoints: Vec::new(),
            },
        },
    )
    .await
    .unwrap();
    c.update_profile(
        "tmp1",
        &UpdateProfileParameters {
            status: TrafficManagerStatus::Enabled,
            status_details: TrafficManagerStatusDetails { enabled_version: 1 },
        },
    )
    .await
    .unwrap();
    let got = c.get_profile("tmp1").await.unwrap();
    assert_eq!(got.status, Some(TrafficManagerStatus::Enabled));
    assert_eq!(
        got.status_details,
        Some(TrafficManagerStatusDetails { enabled_version: 1 })
    );
    assert_eq!(got.domain_name, "tmdom.trafficmanager.net");
    assert_service_error(
        c.update_profile(
            "nope",
            &UpdateProfileParameters {
                status: TrafficManagerStatus::Disabled,
                status_details: TrafficManagerStatusDetails { enabled_version: 1 },
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );

    let list = c.list_profiles().await.unwrap();
    assert_eq!(list.profile.len(), 1);
    assert_eq!(list.profile[0].status, Some(TrafficManagerStatus::Enabled));

    assert_eq!(c.get_definition("tmp1").await.unwrap().version, 1);

    c.delete_profile("tmp1").await.unwrap();
    assert_service_error(c.get_profile("tmp1").await, 404, "ResourceNotFound");
    assert_service_error(c.delete_profile("tmp1").await, 404, "ResourceNotFound");
    assert!(c.list_profiles().await.unwrap().profile.is_empty());
    emu.shutdown().await;
}

//! Networking end to end through the generated client against the emulator
//! (mutual TLS): the network configuration as the source of truth (checked
//! when set), network security groups with their default rules and rule
//! priorities, associated with subnets, roles and network interfaces, route
//! tables associated with subnets, IP forwarding, the migration state
//! machine and Traffic Manager definitions.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, cloud_service, done, fast_poll, start_with};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = Duration::from_millis(30),
        |client| client.poll_options(fast_poll()),
    )
    .await
}

/// A virtual network site: name, address spaces, `(subnet, prefix)`s.
type Site<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

/// A network configuration document with the given virtual network sites.
fn netcfg(sites: &[Site<'_>]) -> String {
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<NetworkConfiguration xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\">\r\n  <VirtualNetworkConfiguration>\r\n    <Dns><DnsServers><DnsServer name=\"dns1\" IPAddress=\"10.0.0.4\" /></DnsServers></Dns>\r\n    <VirtualNetworkSites>\r\n",
    );
    for (name, spaces, subnets) in sites {
        out.push_str(&format!(
            "      <VirtualNetworkSite name=\"{name}\" Location=\"West US\">\r\n        <AddressSpace>"
        ));
        for s in *spaces {
            out.push_str(&format!("<AddressPrefix>{s}</AddressPrefix>"));
        }
        out.push_str("</AddressSpace>\r\n        <Subnets>");
        for (n, p) in *subnets {
            out.push_str(&format!(
                "<Subnet name=\"{n}\"><AddressPrefix>{p}</AddressPrefix></Subnet>"
            ));
        }
        out.push_str("</Subnets>\r\n      </VirtualNetworkSite>\r\n");
    }
    out.push_str("    </VirtualNetworkSites>\r\n  </VirtualNetworkConfiguration>\r\n</NetworkConfiguration>\r\n");
    out
}

fn two_networks() -> String {
    netcfg(&[
        (
            "vnet-a",
            &["10.0.0.0/16"],
            &[("front", "10.0.1.0/24"), ("back", "10.0.2.0/24")],
        ),
        (
            "vnet-b",
            &["10.1.0.0/16", "192.168.0.0/24"],
            &[("app", "10.1.0.0/24")],
        ),
    ])
}

async fn set_config(c: &Client, text: &str) -> Result<(), Error> {
    c.set_network_configuration(&TextDocument::from_text(text))
        .await?
        .wait()
        .await
}

fn full() -> GetNetworkSecurityGroupOptions {
    GetNetworkSecurityGroupOptions {
        detail_level: Some("Full".into()),
    }
}

fn rule(ty: NetworkSecurityRuleType, priority: i32) -> SetNetworkSecurityRuleParameters {
    SetNetworkSecurityRuleParameters {
        type_: ty,
        priority,
        action: NetworkSecurityRuleAction::Allow,
        source_address_prefix: "INTERNET".into(),
        source_port_range: "*".into(),
        destination_address_prefix: "*".into(),
        destination_port_range: "443".into(),
        protocol: "TCP".into(),
    }
}

#[tokio::test]
async fn network_configuration_round_trip_and_validation() {
    let (emu, c) = start().await;
    let text = two_networks();
    set_config(&c, &text).await.unwrap();
    assert_eq!(c.get_network_configuration().await.unwrap().text(), text);
    let sites = c
        .list_virtual_network_sites()
        .await
        .unwrap()
        .virtual_network_site;
    let names: Vec<_> = sites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["vnet-a", "vnet-b"]);
    assert_eq!(sites[0].subnets.len(), 2);
    assert_eq!(sites[0].subnets[1].address_prefix, "10.0.2.0/24");

    // Overlapping address spaces of two networks.
    let overlapping = netcfg(&[
        ("vnet-a", &["10.0.0.0/16"], &[]),
        ("vnet-c", &["10.0.128.0/17"], &[]),
    ]);
    let m = assert_service_error(set_config(&c, &overlapping).await, 400, "BadRequest");
    assert!(
        m.contains("overlaps") && m.contains("vnet-c") && m.contains("vnet-a"),
        "{m}"
    );
    // A subnet outside its network's address space.
    let outside = netcfg(&[("vnet-a", &["10.0.0.0/16"], &[("far", "10.9.0.0/24")])]);
    let m = assert_service_error(set_config(&c, &outside).await, 400, "BadRequest");
    assert!(
        m.contains("Subnet 'far' is not valid in virtual network 'vnet-a'"),
        "{m}"
    );
    // Overlapping subnets of one network.
    let subnets = netcfg(&[(
        "vnet-a",
        &["10.0.0.0/16"],
        &[("one", "10.0.0.0/24"), ("two", "10.0.0.128/25")],
    )]);
    let m = assert_service_error(set_config(&c, &subnets).await, 400, "BadRequest");
    assert!(m.contains("overlaps with subnet 'one'"), "{m}");
    // The same site twice (any case).
    let twice = netcfg(&[
        ("vnet-a", &["10.0.0.0/16"], &[]),
        ("VNET-A", &["10.2.0.0/16"], &[]),
    ]);
    let m = assert_service_error(set_config(&c, &twice).await, 400, "BadRequest");
    assert!(m.contains("defined twice"), "{m}");
    // Not CIDR.
    let bad_prefix = netcfg(&[("vnet-a", &["10.0.0.0/40"], &[])]);
    let m = assert_service_error(set_config(&c, &bad_prefix).await, 400, "BadRequest");
    assert!(m.contains("10.0.0.0/40"), "{m}");

    // Nothing of the refused documents was kept.
    assert_eq!(c.get_network_configuration().await.unwrap().text(), text);
    emu.shutdown().await;
}

#[tokio::test]
async fn network_security_group_rules_and_subnet_association() {
    let (emu, c) = start().await;
    set_config(&c, &two_networks()).await.unwrap();
    done(
        c.create_network_security_group(&CreateNetworkSecurityGroupParameters {
            name: "web-nsg".into(),
            label: None,
            location: "West US".into(),
        })
        .await,
    )
    .await;

    // The default rules come with every group, after the user's, by priority.
    let got = c
        .get_network_security_group("web-nsg", &full())
        .await
        .unwrap();
    let defaults: Vec<(&str, Option<i32>)> = got
        .rules
        .iter()
        .map(|r| (r.name.as_str(), r.priority))
        .collect();
    assert_eq!(defaults.len(), 6, "{defaults:?}");
    assert!(got.rules.iter().all(|r| r.is_default == Some(true)));
    let mut priorities: Vec<i32> = got.rules.iter().filter_map(|r| r.priority).collect();
    priorities.dedup();
    assert_eq!(priorities, [65000, 65001, 65500]);
    let deny = got
        .rules
        .iter()
        .find(|r| r.name == "DENY ALL INBOUND")
        .unwrap();
    assert_eq!(deny.action, Some(NetworkSecurityRuleAction::Deny));
    assert_eq!(deny.type_, Some(NetworkSecurityRuleType::Inbound));
    // Without the detail level: no rules at all.
    let plain = c
        .get_network_security_group("web-nsg", &Default::default())
        .await
        .unwrap();
    assert!(plain.rules.is_empty());

    // Rules: priorities 100..=4096, unique per direction.
    done(
        c.set_network_security_rule(
            "web-nsg",
            "https",
            &rule(NetworkSecurityRuleType::Inbound, 200),
        )
        .await,
    )
    .await;
    let m = assert_service_error(
        c.set_network_security_rule(
            "web-nsg",
            "other",
            &rule(NetworkSecurityRuleType::Inbound, 200),
        )
        .await,
        400,
        "BadRequest",
    );
    assert!(
        m.contains("conflicts with rule other")
            && m.contains("Rules cannot have the same Priority and Direction"),
        "{m}"
    );
    // The same priority the other way is fine; so is replacing the rule itself.
    done(
        c.set_network_security_rule(
            "web-nsg",
            "out",
            &rule(NetworkSecurityRuleType::Outbound, 200),
        )
        .await,
    )
    .await;
    done(
        c.set_network_security_rule(
            "web-nsg",
            "https",
            &rule(NetworkSecurityRuleType::Inbound, 200),
        )
        .await,
    )
    .await;
    for bad in [99, 4097, -1] {
        let m = assert_service_error(
            c.set_network_security_rule(
                "web-nsg",
                "low",
                &rule(NetworkSecurityRuleType::Inbound, bad),
            )
            .await,
            400,
            "BadRequest",
        );
        assert!(m.contains("Allowed values are from 100 to 4096"), "{m}");
    }
    assert_service_error(
        c.set_network_security_rule(
            "web-nsg",
            "deny all inbound",
            &rule(NetworkSecurityRuleType::Inbound, 300),
        )
        .await,
        400,
        "BadRequest",
    );
    done(
        c.set_network_security_rule(
            "web-nsg",
            "ssh",
            &rule(NetworkSecurityRuleType::Inbound, 150),
        )
        .await,
    )
    .await;
    let got = c
        .get_network_security_group("web-nsg", &full())
        .await
        .unwrap();
    let names: Vec<&str> = got.rules.iter().take(3).map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["ssh", "https", "out"]);
    assert_eq!(got.rules.len(), 9);
    assert_eq!(got.rules[0].state.as_deref(), Some("Active"));
    assert_eq!(got.rules[0].is_default, None);

    // Associated with a subnet of the configuration.
    assert_service_error(
        c.get_network_security_group_for_subnet("vnet-a", "front")
            .await,
        404,
        "ResourceNotFound",
    );
    let nsg_ref = NetworkSecurityGroupRef {
        name: "web-nsg".into(),
    };
    done(
        c.add_network_security_group_to_subnet("vnet-a", "front", &nsg_ref)
            .await,
    )
    .await;
    let assoc = c
        .get_network_security_group_for_subnet("VNET-A", "Front")
        .await
        .unwrap();
    assert_eq!(assoc.name, "web-nsg");
    let sites = c
        .list_virtual_network_sites()
        .await
        .unwrap()
        .virtual_network_site;
    assert_eq!(
        sites[0].subnets[0].network_security_group.as_deref(),
        Some("web-nsg")
    );
    assert_eq!(sites[0].subnets[1].network_security_group, None);
    // Subnets and groups that do not exist.
    assert_service_error(
        c.add_network_security_group_to_subnet("vnet-a", "nowhere", &nsg_ref)
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.add_network_security_group_to_subnet("vnet-x", "front", &nsg_ref)
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.add_network_security_group_to_subnet(
            "vnet-a",
            "back",
            &NetworkSecurityGroupRef {
                name: "no-nsg".into(),
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );
    // Another group on the same subnet: a conflict.
    done(
        c.create_network_security_group(&CreateNetworkSecurityGroupParameters {
            name: "db-nsg".into(),
            label: None,
            location: "West US".into(),
        })
        .await,
    )
    .await;
    assert_service_error(
        c.add_network_security_group_to_subnet(
            "vnet-a",
            "front",
            &NetworkSecurityGroupRef {
                name: "db-nsg".into(),
            },
        )
        .await,
        409,
        "ConflictError",
    );
    // An associated group cannot be deleted.
    let m = assert_service_error(
        c.delete_network_security_group("web-nsg").await,
        400,
        "BadRequest",
    );
    assert!(m.contains("front"), "{m}");

    // Roles and network interfaces, kept by name (the cloud service must exist).
    assert_service_error(
        c.add_network_security_group_to_role("nosvc", "dep", "web1", &nsg_ref)
            .await,
        404,
        "ResourceNotFound",
    );
    cloud_service(&c, "netrest-svc").await;
    done(
        c.add_network_security_group_to_role("netrest-svc", "dep", "web1", &nsg_ref)
            .await,
    )
    .await;
    done(
        c.add_network_security_group_to_network_interface(
            "netrest-svc",
            "dep",
            "web1",
            "nic2",
            &NetworkSecurityGroupRef {
                name: "db-nsg".into(),
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_network_security_group_for_role("netrest-svc", "dep", "web1")
            .await
            .unwrap()
            .name,
        "web-nsg"
    );
    assert_eq!(
        c.get_network_security_group_for_network_interface("netrest-svc", "dep", "web1", "nic2")
            .await
            .unwrap()
            .name,
        "db-nsg"
    );
    assert_service_error(
        c.get_network_security_group_for_role("netrest-svc", "dep", "web2")
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.remove_network_security_group_from_role("netrest-svc", "dep", "web1", "db-nsg")
            .await,
        404,
        "ResourceNotFound",
    );
    done(
        c.remove_network_security_group_from_role("netrest-svc", "dep", "web1", "web-nsg")
            .await,
    )
    .await;
    done(
        c.remove_network_security_group_from_network_interface(
            "netrest-svc",
            "dep",
            "web1",
            "nic2",
            "db-nsg",
        )
        .await,
    )
    .await;

    // Removed from the subnet: then it can go.
    done(
        c.remove_network_security_group_from_subnet("vnet-a", "front", "web-nsg")
            .await,
    )
    .await;
    assert_service_error(
        c.get_network_security_group_for_subnet("vnet-a", "front")
            .await,
        404,
        "ResourceNotFound",
    );
    done(c.delete_network_security_group("web-nsg").await).await;

    // A subnet that leaves the configuration takes its association along.
    done(
        c.add_network_security_group_to_subnet(
            "vnet-b",
            "app",
            &NetworkSecurityGroupRef {
                name: "db-nsg".into(),
            },
        )
        .await,
    )
    .await;
    set_config(
        &c,
        &netcfg(&[("vnet-b", &["10.1.0.0/16"], &[("app2", "10.1.1.0/24")])]),
    )
    .await
    .unwrap();
    done(c.delete_network_security_group("db-nsg").await).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn route_table_attached_to_a_subnet() {
    let (emu, c) = start().await;
    set_config(&c, &two_networks()).await.unwrap();
    done(
        c.create_route_table(&CreateRouteTableParameters {
            name: Some("rt1".into()),
            label: None,
            location: Some("West US".into()),
        })
        .await,
    )
    .await;
    let assoc = RouteTableAssociation {
        route_table_name: Some("rt1".into()),
    };
    assert_service_error(
        c.get_route_table_for_subnet("vnet-b", "app").await,
        404,
        "ResourceNotFound",
    );
    done(c.add_route_table_to_subnet("vnet-b", "app", &assoc).await).await;
    assert_eq!(
        c.get_route_table_for_subnet("vnet-b", "app")
            .await
            .unwrap()
            .route_table_name
            .as_deref(),
        Some("rt1")
    );
    let sites = c
        .list_virtual_network_sites()
        .await
        .unwrap()
        .virtual_network_site;
    assert_eq!(sites[1].subnets[0].route_table_name.as_deref(), Some("rt1"));
    assert_service_error(
        c.add_route_table_to_subnet(
            "vnet-b",
            "app",
            &RouteTableAssociation {
                route_table_name: Some("nope".into()),
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.add_route_table_to_subnet("vnet-b", "gone", &assoc).await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(c.delete_route_table("rt1").await, 400, "BadRequest");
    done(c.remove_route_table_from_subnet("vnet-b", "app").await).await;
    assert_service_error(
        c.remove_route_table_from_subnet("vnet-b", "app").await,
        404,
        "ResourceNotFound",
    );
    done(c.delete_route_table("rt1").await).await;
    emu.shutdown().await;
}

#[tokio::test]
async fn ip_forwarding_on_roles_and_interfaces() {
    let (emu, c) = start().await;
    assert_service_error(
        c.get_ip_forwarding_for_role("nosvc", "dep", "appliance")
            .await,
        404,
        "ResourceNotFound",
    );
    cloud_service(&c, "netrest-fwd").await;
    let state = |s: IPForwarding| s.state;
    assert_eq!(
        state(
            c.get_ip_forwarding_for_role("netrest-fwd", "dep", "appliance")
                .await
                .unwrap()
        ),
        Some(IPForwardingState::Disabled)
    );
    done(
        c.set_ip_forwarding_on_role(
            "netrest-fwd",
            "dep",
            "appliance",
            &SetIPForwardingParameters {
                state: IPForwardingState::Enabled,
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        state(
            c.get_ip_forwarding_for_role("netrest-fwd", "dep", "appliance")
                .await
                .unwrap()
        ),
        Some(IPForwardingState::Enabled)
    );
    // The interface's setting is its own.
    assert_eq!(
        state(
            c.get_ip_forwarding_for_network_interface("netrest-fwd", "dep", "appliance", "nic1")
                .await
                .unwrap()
        ),
        Some(IPForwardingState::Disabled)
    );
    done(
        c.set_ip_forwarding_on_network_interface(
            "netrest-fwd",
            "dep",
            "appliance",
            "nic1",
            &SetIPForwardingParameters {
                state: IPForwardingState::Enabled,
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        state(
            c.get_ip_forwarding_for_network_interface("netrest-fwd", "dep", "appliance", "nic1")
                .await
                .unwrap()
        ),
        Some(IPForwardingState::Enabled)
    );
    // An unknown state is sent as given and refused by the service.
    assert_service_error(
        c.set_ip_forwarding_on_role(
            "netrest-fwd",
            "dep",
            "appliance",
            &SetIPForwardingParameters {
                state: IPForwardingState::Unknown("Sideways".into()),
            },
        )
        .await,
        400,
        "BadRequest",
    );
    done(
        c.set_ip_forwarding_on_role(
            "netrest-fwd",
            "dep",
            "appliance",
            &SetIPForwardingParameters {
                state: IPForwardingState::Disabled,
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        state(
            c.get_ip_forwarding_for_role("netrest-fwd", "dep", "appliance")
                .await
                .unwrap()
        ),
        Some(IPForwardingState::Disabled)
    );
    // A cloud service deleted and created again starts afresh.
    c.delete_hosted_service("netrest-fwd").await.unwrap();
    assert_service_error(
        c.get_ip_forwarding_for_network_interface("netrest-fwd", "dep", "appliance", "nic1")
            .await,
        404,
        "ResourceNotFound",
    );
    cloud_service(&c, "netrest-fwd").await;
    assert_eq!(
        state(
            c.get_ip_forwarding_for_network_interface("netrest-fwd", "dep", "appliance", "nic1")
                .await
                .unwrap()
        ),
        Some(IPForwardingState::Disabled)
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn virtual_network_migration_state_machine() {
    let (emu, c) = start().await;
    // The recorded answer for a network that does not exist.
    let m = assert_service_error(
        c.prepare_virtual_network_migration("123").await,
        400,
        "BadRequest",
    );
    assert_eq!(
        m,
        "Virtual network '123' not found. Either it does not exist or it is an Azure Resource Manager resource, which cannot be used with Cloud Services."
    );
    set_config(&c, &two_networks()).await.unwrap();
    let messages = c
        .validate_virtual_network_migration("vnet-a")
        .await
        .unwrap();
    assert!(messages.validation_message.is_empty());
    // Commit and abort need a prepared network.
    assert_service_error(
        c.commit_virtual_network_migration("vnet-a").await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.abort_virtual_network_migration("vnet-a").await,
        400,
        "BadRequest",
    );
    done(c.prepare_virtual_network_migration("vnet-a").await).await;
    let sites = c
        .list_virtual_network_sites()
        .await
        .unwrap()
        .virtual_network_site;
    assert_eq!(sites[0].migration_state.as_deref(), Some("Prepared"));
    assert_eq!(sites[1].migration_state, None);
    assert_service_error(
        c.prepare_virtual_network_migration("vnet-a").await,
        400,
        "BadRequest",
    );
    // A prepared network cannot change.
    let changed = netcfg(&[
        ("vnet-a", &["10.0.0.0/16"], &[("front", "10.0.1.0/24")]),
        (
            "vnet-b",
            &["10.1.0.0/16", "192.168.0.0/24"],
            &[("app", "10.1.0.0/24")],
        ),
    ]);
    let m = assert_service_error(set_config(&c, &changed).await, 400, "BadRequest");
    assert!(m.contains("prepared for migration"), "{m}");
    // Abort: back to where it was.
    done(c.abort_virtual_network_migration("vnet-a").await).await;
    let sites = c
        .list_virtual_network_sites()
        .await
        .unwrap()
        .virtual_network_site;
    assert_eq!(sites[0].migration_state, None);
    // Prepare and commit: it leaves the classic configuration.
    done(c.prepare_virtual_network_migration("vnet-a").await).await;
    done(c.commit_virtual_network_migration("vnet-a").await).await;
    let sites = c
        .list_virtual_network_sites()
        .await
        .unwrap()
        .virtual_network_site;
    let names: Vec<_> = sites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["vnet-b"]);
    let config = c
        .get_network_configuration()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        config
            .virtual_network_configuration
            .virtual_network_sites
            .len(),
        1
    );
    assert_service_error(
        c.abort_virtual_network_migration("vnet-a").await,
        400,
        "BadRequest",
    );

    // The same machine for a network security group.
    done(
        c.create_network_security_group(&CreateNetworkSecurityGroupParameters {
            name: "mig-nsg".into(),
            label: None,
            location: "West US".into(),
        })
        .await,
    )
    .await;
    assert_service_error(
        c.commit_network_security_group_migration("mig-nsg").await,
        400,
        "BadRequest",
    );
    done(
        c.set_network_security_rule(
            "mig-nsg",
            "web",
            &rule(NetworkSecurityRuleType::Inbound, 100),
        )
        .await,
    )
    .await;
    done(c.prepare_network_security_group_migration("mig-nsg").await).await;
    assert_service_error(
        c.delete_network_security_group("mig-nsg").await,
        400,
        "BadRequest",
    );
    // Its rules are frozen while it is prepared.
    let m = assert_service_error(
        c.set_network_security_rule(
            "mig-nsg",
            "ssh",
            &rule(NetworkSecurityRuleType::Inbound, 110),
        )
        .await,
        400,
        "BadRequest",
    );
    assert!(m.contains("prepared for migration"), "{m}");
    assert_service_error(
        c.delete_network_security_rule("mig-nsg", "web").await,
        400,
        "BadRequest",
    );
    done(c.commit_network_security_group_migration("mig-nsg").await).await;
    assert_service_error(
        c.get_network_security_group("mig-nsg", &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );

    // A route table: prepared, its routes frozen, aborted, changeable again.
    done(
        c.create_route_table(&CreateRouteTableParameters {
            name: Some("mig-rt".into()),
            label: None,
            location: Some("West US".into()),
        })
        .await,
    )
    .await;
    assert!(c
        .validate_route_table_migration("mig-rt")
        .await
        .unwrap()
        .validation_message
        .is_empty());
    done(c.prepare_route_table_migration("mig-rt").await).await;
    let route = SetRouteParameters {
        name: Some("all".into()),
        address_prefix: Some("0.0.0.0/0".into()),
        next_hop_type: Some(RouteNextHop {
            type_: Some(RouteNextHopType::Internet),
            ip_address: None,
        }),
    };
    assert_service_error(
        c.set_route("mig-rt", "all", &route).await,
        400,
        "BadRequest",
    );
    done(c.abort_route_table_migration("mig-rt").await).await;
    done(c.set_route("mig-rt", "all", &route).await).await;
    assert_service_error(
        c.prepare_route_table_migration("nope").await,
        404,
        "ResourceNotFound",
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn traffic_manager_profile_with_a_definition() {
    let (emu, c) = start().await;
    c.create_profile(&CreateProfileParameters {
        domain_name: "netrest.trafficmanager.net".into(),
        name: "tm1".into(),
    })
    .await
    .unwrap();
    let avail = c.check_dns_prefix_availability("netrest").await.unwrap();
    assert!(!avail.result);
    assert!(
        c.check_dns_prefix_availability("other-prefix")
            .await
            .unwrap()
            .result
    );
    assert_service_error(c.get_definition("tm1").await, 404, "ResourceNotFound");
    assert!(c
        .list_definitions("tm1")
        .await
        .unwrap()
        .definition
        .is_empty());
    let enable = UpdateProfileParameters {
        status: TrafficManagerStatus::Enabled,
        status_details: TrafficManagerStatusDetails { enabled_version: 1 },
    };
    // Nothing to enable yet.
    assert_service_error(c.update_profile("tm1", &enable).await, 400, "BadRequest");

    let definition = CreateDefinitionParameters {
        dns_options: TrafficManagerDnsOptions {
            time_to_live_in_seconds: 300,
        },
        monitors: vec![CreateDefinitionMonitor {
            interval_in_seconds: 30,
            timeout_in_seconds: 10,
            tolerated_number_of_failures: 3,
            protocol: MonitorProtocol::Http,
            port: 80,
            http_options: CreateDefinitionHttpOptions {
                relative_path: Some("/health".into()),
            },
        }],
        policy: CreateDefinitionPolicy {
            load_balancing_method: LoadBalancingMethod::Failover,
            endpoints: vec![
                CreateDefinitionEndpoint {
                    domain_name: "one.cloudapp.net".into(),
                    status: TrafficManagerStatus::Enabled,
                    ..Default::default()
                },
                CreateDefinitionEndpoint {
                    domain_name: "two.azurewebsites.net".into(),
                    status: TrafficManagerStatus::Enabled,
                    type_: Some(TrafficManagerEndpointType::AzureWebsite),
                    weight: Some(3),
                    ..Default::default()
                },
            ],
        },
    };
    assert_service_error(
        c.create_definition(
            "tm1",
            &CreateDefinitionParameters {
                dns_options: TrafficManagerDnsOptions {
                    time_to_live_in_seconds: 5,
                },
                ..definition.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.create_definition("nope", &definition).await,
        404,
        "ResourceNotFound",
    );
    let created = c.create_definition("tm1", &definition).await.unwrap();
    assert_eq!(created.version, 1);

    let got = c.get_definition("tm1").await.unwrap();
    assert_eq!(got.version, 1);
    assert_eq!(got.status, Some(TrafficManagerStatus::Enabled));
    assert_eq!(
        got.dns_options.as_ref().unwrap().time_to_live_in_seconds,
        300
    );
    let monitor = &got.monitors[0];
    assert_eq!(monitor.port, Some(80));
    let http = monitor.http_options.as_ref().unwrap();
    assert_eq!(
        (
            http.verb.as_deref(),
            http.relative_path.as_deref(),
            http.expected_status_code
        ),
        (Some("GET"), Some("/health"), Some(200))
    );
    let policy = got.policy.as_ref().unwrap();
    assert_eq!(
        policy.load_balancing_method,
        Some(LoadBalancingMethod::Failover)
    );
    assert_eq!(policy.monitor_status.as_deref(), Some("Inactive"));
    assert_eq!(policy.endpoints.len(), 2);
    assert_eq!(
        policy.endpoints[0].type_,
        Some(TrafficManagerEndpointType::CloudService)
    );
    assert_eq!(policy.endpoints[0].weight, Some(1));
    assert_eq!(policy.endpoints[1].weight, Some(3));
    let profile = c.get_profile("tm1").await.unwrap();
    assert_eq!(profile.definitions.len(), 1);
    assert_eq!(
        profile.definitions[0].status,
        Some(TrafficManagerStatus::Disabled)
    );

    // Enabled with version 1: the endpoints are being checked.
    c.update_profile("tm1", &enable).await.unwrap();
    let profile = c.get_profile("tm1").await.unwrap();
    assert_eq!(profile.status, Some(TrafficManagerStatus::Enabled));
    assert_eq!(
        profile.definitions[0].status,
        Some(TrafficManagerStatus::Enabled)
    );
    assert_eq!(profile.definitions[0].version, Some(1));
    let got = c.get_definition("tm1").await.unwrap();
    let policy = got.policy.unwrap();
    assert_eq!(policy.monitor_status.as_deref(), Some("CheckingEndpoints"));
    assert_eq!(
        policy.endpoints[0].monitor_status.as_deref(),
        Some("CheckingEndpoint")
    );
    assert_service_error(
        c.update_profile(
            "tm1",
            &UpdateProfileParameters {
                status_details: TrafficManagerStatusDetails { enabled_version: 2 },
                ..enable.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    let listed = c.list_definitions("tm1").await.unwrap();
    assert_eq!(listed.definition.len(), 1);
    let profiles = c.list_profiles().await.unwrap();
    assert_eq!(profiles.profile[0].definitions.len(), 1);

    c.delete_profile("tm1").await.unwrap();
    assert_service_error(c.get_definition("tm1").await, 404, "ResourceNotFound");
    assert!(
        c.check_dns_prefix_availability("netrest")
            .await
            .unwrap()
            .result
    );
    emu.shutdown().await;
}

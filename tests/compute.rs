//! Cloud service deployments and virtual machines end to end: the generated
//! client against the emulator over mutual TLS. A web/worker role life cycle
//! (instances derived from the service configuration, slots, swap,
//! configuration change, role instance operations, status, upgrade and
//! rollback), a virtual machine life cycle (disks attached and released,
//! data disks by LUN, start/stop, roles added and removed, load balancers,
//! DNS servers) and service certificates with the thumbprint computed from
//! the uploaded PFX.

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

/// A service configuration with `web` WebRole instances and one WorkerRole.
fn config(web: i32) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="paas" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration" osFamily="4" osVersion="*">
  <Role name="WebRole">
    <Instances count="{web}" />
  </Role>
  <Role name="WorkerRole">
    <Instances count="1" />
  </Role>
</ServiceConfiguration>"#
    )
}

fn instance_names(d: &Deployment) -> Vec<String> {
    let mut v: Vec<String> = d
        .role_instance_list
        .iter()
        .map(|i| i.instance_name.to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn paas_deployment_lifecycle() {
    let (emu, c) = start().await;
    let svc = "paas-svc";
    // A missing cloud service is a 404.
    assert_service_error(
        c.get_deployment_by_name("nope", "v1").await,
        404,
        "ResourceNotFound",
    );
    cloud_service(&c, svc).await;
    let msg = assert_service_error(
        c.get_deployment_by_slot(svc, &DeploymentSlot::Production)
            .await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(msg, "No deployments were found.");

    // v1 in staging, started: instances from the configuration.
    let create = CreateDeployment {
        name: "v1".into(),
        package_url: "https://acct.blob.core.windows.net/pkgs/app.cspkg".into(),
        label: "version 1".into(),
        configuration: config(2).into(),
        start_deployment: Some(true),
        ..Default::default()
    };
    done(
        c.create_deployment(svc, &DeploymentSlot::Staging, &create)
            .await,
    )
    .await;
    let d = c
        .get_deployment_by_slot(svc, &DeploymentSlot::Staging)
        .await
        .unwrap();
    assert_eq!(d.name, "v1");
    assert_eq!(d.label, "version 1");
    assert_eq!(d.status, DeploymentStatus::Running);
    assert_eq!(d.configuration.as_deref(), Some(config(2).as_bytes()));
    assert_eq!(
        instance_names(&d),
        ["WebRole_IN_0", "WebRole_IN_1", "WorkerRole_IN_0"]
    );
    assert!(d
        .role_instance_list
        .iter()
        .all(|i| i.instance_status == Some(InstanceStatus::ReadyRole)));
    assert_eq!(d.role_list.len(), 2);
    let staging_url = d.url.clone().unwrap();
    assert!(!staging_url.contains(svc), "{staging_url}");

    // The slot is taken; so is the name.
    assert_service_error(
        c.create_deployment(
            svc,
            &DeploymentSlot::Staging,
            &CreateDeployment {
                name: "other".into(),
                ..create.clone()
            },
        )
        .await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.create_deployment(svc, &DeploymentSlot::Production, &create)
            .await,
        409,
        "ConflictError",
    );
    // A configuration that is not one is refused.
    assert_service_error(
        c.create_deployment(
            svc,
            &DeploymentSlot::Production,
            &CreateDeployment {
                name: "bad".into(),
                configuration: "<NotAConfiguration/>".into(),
                ..create.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );

    // v2 in production, not started: Suspended.
    done(
        c.create_deployment(
            svc,
            &DeploymentSlot::Production,
            &CreateDeployment {
                name: "v2".into(),
                configuration: config(1).into(),
                start_deployment: None,
                ..create.clone()
            },
        )
        .await,
    )
    .await;
    let v2 = c.get_deployment_by_name(svc, "v2").await.unwrap();
    assert_eq!(v2.status, DeploymentStatus::Suspended);
    assert_eq!(v2.deployment_slot, DeploymentSlot::Production);
    assert!(v2
        .role_instance_list
        .iter()
        .all(|i| i.instance_status == Some(InstanceStatus::StoppedVm)));

    // The cloud service shows both with embed-detail.
    let hs = c
        .get_hosted_service_properties(
            svc,
            &GetHostedServicePropertiesOptions {
                embed_detail: Some(true),
            },
        )
        .await
        .unwrap();
    let mut names: Vec<String> = hs
        .deployments
        .unwrap_or_default()
        .iter()
        .map(|d| d.name.to_string())
        .collect();
    names.sort();
    assert_eq!(names, ["v1", "v2"]);

    // Swap: v1 to production, v2 to staging (URLs follow the slot).
    assert_service_error(
        c.swap_deployment(
            svc,
            &Swap {
                production: Some("v1".into()),
                source_deployment: "v1".into(),
            },
        )
        .await,
        400,
        "BadRequest",
    );
    done(
        c.swap_deployment(
            svc,
            &Swap {
                production: Some("v2".into()),
                source_deployment: "v1".into(),
            },
        )
        .await,
    )
    .await;
    let prod = c
        .get_deployment_by_slot(svc, &DeploymentSlot::Production)
        .await
        .unwrap();
    assert_eq!(prod.name, "v1");
    assert_eq!(prod.url.as_deref(), Some("http://paas-svc.cloudapp.net/"));
    let staging = c
        .get_deployment_by_slot(svc, &DeploymentSlot::Staging)
        .await
        .unwrap();
    assert_eq!(staging.name, "v2");

    // Change the configuration: instances re-derived.
    done(
        c.change_deployment_configuration_by_name(
            svc,
            "v1",
            &ChangeConfiguration {
                configuration: config(3).into(),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "v1").await.unwrap();
    assert_eq!(
        instance_names(&d),
        [
            "WebRole_IN_0",
            "WebRole_IN_1",
            "WebRole_IN_2",
            "WorkerRole_IN_0"
        ]
    );

    // Role instances: reboot (an event), reimage, rebuild, delete.
    done(
        c.reboot_role_instance_by_name(svc, "v1", "WebRole_IN_2")
            .await,
    )
    .await;
    done(
        c.reimage_role_instance_by_slot(svc, &DeploymentSlot::Production, "WebRole_IN_1")
            .await,
    )
    .await;
    done(
        c.rebuild_role_instance_by_name(svc, "v1", "WebRole_IN_0", "allLocalDrives")
            .await,
    )
    .await;
    assert_service_error(
        c.reboot_role_instance_by_name(svc, "v1", "WebRole_IN_9")
            .await,
        404,
        "ResourceNotFound",
    );
    let events = c
        .list_deployment_events_by_name(
            svc,
            "v1",
            DateTime::now() - Duration::from_secs(3600),
            DateTime::now() + Duration::from_secs(60),
        )
        .await
        .unwrap();
    assert_eq!(events.reboot_events.len(), 3, "{events:?}");
    assert!(events
        .reboot_events
        .iter()
        .any(|e| e.instance_name.as_deref() == Some("WebRole_IN_2")));
    done(
        c.delete_role_instances_by_name(
            svc,
            "v1",
            &RoleInstances {
                name: vec!["WebRole_IN_0".into()],
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "v1").await.unwrap();
    assert_eq!(d.role_instance_list.len(), 3);
    // The last instance of a role stays.
    assert_service_error(
        c.delete_role_instances_by_slot(
            svc,
            &DeploymentSlot::Production,
            &RoleInstances {
                name: vec!["WorkerRole_IN_0".into()],
            },
        )
        .await,
        400,
        "BadRequest",
    );

    // A manual upgrade: walked domain by domain, or rolled back.
    let upgrade = UpgradeDeployment {
        mode: UpgradeType::Manual,
        package_url: "https://acct.blob.core.windows.net/pkgs/app2.cspkg".into(),
        configuration: config(2).into(),
        label: "version 1.1".into(),
        force: false,
        ..Default::default()
    };
    done(c.upgrade_deployment_by_name(svc, "v1", &upgrade).await).await;
    let d = c.get_deployment_by_name(svc, "v1").await.unwrap();
    let status = d.upgrade_status.clone().expect("an upgrade in progress");
    assert_eq!(status.upgrade_type, Some(UpgradeType::Manual));
    assert_eq!(status.current_upgrade_domain, Some(0));
    assert_eq!(d.rollback_allowed, Some(true));
    assert_service_error(
        c.walk_upgrade_domain_by_name(svc, "v1", &WalkUpgradeDomain { upgrade_domain: 2 })
            .await,
        400,
        "BadRequest",
    );
    // Another change while one is in progress is a conflict.
    assert_service_error(
        c.upgrade_deployment_by_name(svc, "v1", &upgrade).await,
        409,
        "ConflictError",
    );
    done(
        c.rollback_update_or_upgrade_by_name(
            svc,
            "v1",
            &RollbackUpdateOrUpgrade {
                mode: UpgradeType::Auto,
                force: Some(false),
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "v1").await.unwrap();
    assert!(d.upgrade_status.is_none());
    assert_eq!(d.label, "version 1");
    // Walked to the end: applied.
    done(
        c.upgrade_deployment_by_slot(svc, &DeploymentSlot::Production, &upgrade)
            .await,
    )
    .await;
    let domains = c
        .get_deployment_by_name(svc, "v1")
        .await
        .unwrap()
        .upgrade_domain_count
        .unwrap();
    for ud in 0..domains {
        done(
            c.walk_upgrade_domain_by_slot(
                svc,
                &DeploymentSlot::Production,
                &WalkUpgradeDomain { upgrade_domain: ud },
            )
            .await,
        )
        .await;
    }
    let d = c.get_deployment_by_name(svc, "v1").await.unwrap();
    assert!(d.upgrade_status.is_none());
    assert_eq!(d.label, "version 1.1");
    assert_eq!(
        instance_names(&d),
        ["WebRole_IN_0", "WebRole_IN_1", "WorkerRole_IN_0"]
    );
    // Nothing to roll back now.
    assert_service_error(
        c.rollback_update_or_upgrade_by_slot(
            svc,
            &DeploymentSlot::Production,
            &RollbackUpdateOrUpgrade {
                mode: UpgradeType::Auto,
                force: None,
            },
        )
        .await,
        400,
        "BadRequest",
    );

    // Suspend: instances stop, and a reboot is refused.
    done(
        c.update_deployment_status_by_slot(
            svc,
            &DeploymentSlot::Production,
            &UpdateDeploymentStatus {
                status: DeploymentStatus::Suspended,
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "v1").await.unwrap();
    assert_eq!(d.status, DeploymentStatus::Suspended);
    assert!(d
        .role_instance_list
        .iter()
        .all(|i| i.power_state == Some(PowerState::Stopped)));
    assert_service_error(
        c.reboot_role_instance_by_name(svc, "v1", "WebRole_IN_1")
            .await,
        409,
        "ConflictError",
    );
    done(
        c.update_deployment_status_by_name(
            svc,
            "v1",
            &UpdateDeploymentStatus {
                status: DeploymentStatus::Running,
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_deployment_by_name(svc, "v1").await.unwrap().status,
        DeploymentStatus::Running
    );

    // Migration needs Prepare before Commit or Abort.
    assert_service_error(
        c.abort_deployment_migration(svc, "v1").await,
        400,
        "BadRequest",
    );
    let msg = assert_service_error(
        c.prepare_deployment_migration(
            svc,
            "nope",
            &DeploymentNetworkResource {
                destination_virtual_network: "New".into(),
                ..Default::default()
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(msg, "The deployment name 'nope' does not exist.");

    // Delete both; the slots are empty again.
    done(
        c.delete_deployment_by_slot(svc, &DeploymentSlot::Staging)
            .await,
    )
    .await;
    done(
        c.delete_deployment_by_name(svc, "v1", &Default::default())
            .await,
    )
    .await;
    for slot in [DeploymentSlot::Production, DeploymentSlot::Staging] {
        assert_service_error(
            c.get_deployment_by_slot(svc, &slot).await,
            404,
            "ResourceNotFound",
        );
    }
    emu.shutdown().await;
}

fn vm_role(name: &str, rdp: bool, data_disk_gb: Option<i32>) -> Role {
    let mut endpoints = vec![InputEndpoint {
        name: Some("web".into()),
        local_port: Some(80),
        port: Some(80),
        protocol: Some("tcp".into()),
        load_balanced_endpoint_set_name: Some("web-set".into()),
        ..Default::default()
    }];
    if rdp {
        endpoints.push(InputEndpoint {
            name: Some("rdp".into()),
            local_port: Some(3389),
            port: Some(53389),
            protocol: Some("tcp".into()),
            ..Default::default()
        });
    }
    Role {
        role_name: name.into(),
        role_type: Some("PersistentVMRole".into()),
        configuration_sets: vec![
            ConfigurationSet {
                configuration_set_type: ConfigurationSetType::WindowsProvisioningConfiguration,
                computer_name: Some(name.into()),
                admin_username: Some("azureuser".into()),
                admin_password: Some("Sup3r-Secret!".into()),
                ..Default::default()
            },
            ConfigurationSet {
                configuration_set_type: ConfigurationSetType::NetworkConfiguration,
                input_endpoints: endpoints,
                ..Default::default()
            },
        ],
        data_virtual_hard_disks: data_disk_gb
            .map(|gb| {
                vec![DataVirtualHardDisk {
                    lun: Some(0),
                    logical_disk_size_in_gb: Some(gb),
                    media_link: Some(
                        format!("https://acct.blob.core.windows.net/vhds/{name}-data0.vhd").into(),
                    ),
                    ..Default::default()
                }]
            })
            .unwrap_or_default(),
        os_virtual_hard_disk: Some(OSVirtualHardDisk {
            media_link: Some(
                format!("https://acct.blob.core.windows.net/vhds/{name}-os.vhd").into(),
            ),
            source_image_name: Some(
                "a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2012-R2".into(),
            ),
            ..Default::default()
        }),
        role_size: Some("Small".into()),
        ..Default::default()
    }
}

async fn disks(c: &Client) -> Vec<Disk> {
    c.list_disks().await.unwrap().disk
}

#[tokio::test]
async fn vm_deployment_lifecycle() {
    let (emu, c) = start().await;
    let svc = "iaas-svc";
    cloud_service(&c, svc).await;
    done(
        c.create_virtual_machine_deployment(
            svc,
            &CreateVirtualMachineDeploymentInput {
                name: "vmdep".into(),
                deployment_slot: DeploymentSlot::Production,
                label: "vms".into(),
                role_list: vec![vm_role("vm1", true, Some(10))],
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "vmdep").await.unwrap();
    assert_eq!(d.role_instance_list.len(), 1);
    let inst = &d.role_instance_list[0];
    assert_eq!(inst.instance_status, Some(InstanceStatus::ReadyRole));
    assert_eq!(inst.power_state, Some(PowerState::Started));
    assert_eq!(inst.host_name.as_deref(), Some("vm1"));
    assert_eq!(inst.instance_endpoints.len(), 2);
    let vm1 = c.get_role(svc, "vmdep", "vm1").await.unwrap();
    // Provisioning settings (and the password) are not shown again.
    assert!(vm1
        .configuration_sets
        .iter()
        .all(
            |s| s.configuration_set_type == ConfigurationSetType::NetworkConfiguration
                && s.admin_password.is_none()
        ));
    let os_disk = vm1.os_virtual_hard_disk.clone().unwrap().disk_name.unwrap();
    let data_disk = vm1.data_virtual_hard_disks[0].disk_name.clone().unwrap();
    // Both disks are in the repository, attached to vm1.
    let all = disks(&c).await;
    assert_eq!(all.len(), 2);
    for d in &all {
        let at = d.attached_to.as_ref().expect("attached");
        assert_eq!(at.role_name.as_deref(), Some("vm1"));
        assert_eq!(at.deployment_name.as_deref(), Some("vmdep"));
        assert_eq!(at.hosted_service_name.as_deref(), Some(svc));
    }
    let got = c.get_disk(&os_disk).await.unwrap();
    assert_eq!(got.os.as_deref(), Some("Windows"));
    // A disk in use cannot be deleted.
    let msg = assert_service_error(
        c.delete_disk(&os_disk, &Default::default()).await,
        400,
        "BadRequest",
    );
    assert!(
        msg.contains("currently in use by virtual machine vm1"),
        "{msg}"
    );
    // Nor attached to another virtual machine.
    let mut vm2 = vm_role("vm2", false, None);
    vm2.data_virtual_hard_disks = vec![DataVirtualHardDisk {
        disk_name: Some(data_disk.clone()),
        lun: Some(0),
        ..Default::default()
    }];
    assert_service_error(c.add_role(svc, "vmdep", &vm2).await, 400, "BadRequest");

    // A second virtual machine, then its data disks.
    done(c.add_role(svc, "vmdep", &vm_role("vm2", false, None)).await).await;
    assert_service_error(
        c.add_role(svc, "vmdep", &vm_role("vm2", false, None)).await,
        409,
        "ConflictError",
    );
    let d = c.get_deployment_by_name(svc, "vmdep").await.unwrap();
    assert_eq!(d.role_list.len(), 2);
    assert_eq!(d.role_instance_list.len(), 2);
    done(
        c.add_data_disk(
            svc,
            "vmdep",
            "vm2",
            &DataVirtualHardDisk {
                lun: Some(1),
                logical_disk_size_in_gb: Some(20),
                media_link: Some("https://acct.blob.core.windows.net/vhds/vm2-data1.vhd".into()),
                disk_label: Some("logs".into()),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let dd = c.get_data_disk(svc, "vmdep", "vm2", "1").await.unwrap();
    assert_eq!(dd.logical_disk_size_in_gb, Some(20));
    assert_eq!(dd.lun, Some(1));
    let vm2_disk = dd.disk_name.clone().unwrap();
    assert_service_error(
        c.add_data_disk(
            svc,
            "vmdep",
            "vm2",
            &DataVirtualHardDisk {
                lun: Some(1),
                logical_disk_size_in_gb: Some(5),
                media_link: Some("https://acct.blob.core.windows.net/vhds/vm2-other.vhd".into()),
                ..Default::default()
            },
        )
        .await,
        409,
        "ConflictError",
    );
    done(
        c.update_data_disk(
            svc,
            "vmdep",
            "vm2",
            "1",
            &DataVirtualHardDisk {
                host_caching: Some(HostCaching::ReadOnly),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_data_disk(svc, "vmdep", "vm2", "1")
            .await
            .unwrap()
            .host_caching,
        Some(HostCaching::ReadOnly)
    );
    assert_service_error(
        c.get_data_disk(svc, "vmdep", "vm2", "7").await,
        404,
        "ResourceNotFound",
    );
    // Detached: the disk stays, free, and can then be deleted.
    done(
        c.delete_data_disk(svc, "vmdep", "vm2", "1", &Default::default())
            .await,
    )
    .await;
    assert!(c.get_disk(&vm2_disk).await.unwrap().attached_to.is_none());
    c.delete_disk(&vm2_disk, &Default::default()).await.unwrap();
    assert_service_error(c.get_disk(&vm2_disk).await, 404, "ResourceNotFound");

    // Shut down and start, several at once and one by one.
    done(
        c.shutdown_roles(
            svc,
            "vmdep",
            &ShutdownRolesOperation {
                roles: vec!["vm1".into(), "vm2".into()],
                post_shutdown_action: Some(PostShutdownAction::StoppedDeallocated),
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "vmdep").await.unwrap();
    assert!(d.role_instance_list.iter().all(|i| {
        i.instance_status == Some(InstanceStatus::StoppedDeallocated)
            && i.power_state == Some(PowerState::Stopped)
    }));
    assert_service_error(
        c.restart_role(svc, "vmdep", "vm1", &RestartRoleOperation::default())
            .await,
        409,
        "ConflictError",
    );
    done(
        c.start_roles(
            svc,
            "vmdep",
            &StartRolesOperation {
                roles: vec!["vm1".into(), "vm2".into()],
            },
        )
        .await,
    )
    .await;
    done(
        c.shutdown_role(svc, "vmdep", "vm1", &ShutdownRoleOperation::default())
            .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "vmdep").await.unwrap();
    let status = |n: &str| {
        d.role_instance_list
            .iter()
            .find(|i| i.instance_name == n)
            .and_then(|i| i.instance_status.clone())
    };
    assert_eq!(status("vm1"), Some(InstanceStatus::StoppedVm));
    assert_eq!(status("vm2"), Some(InstanceStatus::ReadyRole));
    done(
        c.start_role(svc, "vmdep", "vm1", &StartRoleOperation::default())
            .await,
    )
    .await;
    assert_service_error(
        c.start_roles(
            svc,
            "vmdep",
            &StartRolesOperation {
                roles: vec!["vm9".into()],
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );

    // Remote Desktop needs an endpoint to 3389.
    let rdp = c.download_rdp_file(svc, "vmdep", "vm1").await.unwrap();
    assert!(
        rdp.contains("full address:s:iaas-svc.cloudapp.net:53389"),
        "{rdp}"
    );
    let msg = assert_service_error(
        c.download_rdp_file(svc, "vmdep", "vm2").await,
        400,
        "BadRequest",
    );
    assert!(msg.contains("3389"), "{msg}");

    // Load-balanced endpoint sets, internal load balancers, DNS servers.
    done(
        c.update_load_balanced_endpoint_set(
            svc,
            "vmdep",
            &LoadBalancedEndpointList {
                input_endpoint: vec![LoadBalancedEndpoint {
                    load_balanced_endpoint_set_name: "web-set".into(),
                    local_port: Some(8080),
                    ..Default::default()
                }],
            },
        )
        .await,
    )
    .await;
    let vm1 = c.get_role(svc, "vmdep", "vm1").await.unwrap();
    let web = vm1
        .configuration_sets
        .iter()
        .flat_map(|s| s.input_endpoints.iter())
        .find(|e| e.name.as_deref() == Some("web"))
        .unwrap();
    assert_eq!(web.local_port, Some(8080));
    let lb = LoadBalancer {
        name: "ilb".into(),
        frontend_ip_configuration: Some(FrontendIpConfiguration {
            type_: Some("Private".into()),
            ..Default::default()
        }),
    };
    done(c.create_load_balancer(svc, "vmdep", &lb).await).await;
    let msg = assert_service_error(
        c.create_load_balancer(
            svc,
            "vmdep",
            &LoadBalancer {
                name: "second".into(),
                ..lb.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert_eq!(
        msg,
        "LoadBalancer already exists: ilb. Only one internal load balancer allowed per deployment."
    );
    done(c.delete_load_balancer(svc, "vmdep", "ilb").await).await;
    done(
        c.add_dns_server(
            svc,
            "vmdep",
            &DnsServer {
                name: "dns1".into(),
                address: Some("10.0.0.10".into()),
            },
        )
        .await,
    )
    .await;
    done(
        c.update_dns_server(
            svc,
            "vmdep",
            "dns1",
            &DnsServer {
                name: "dns1".into(),
                address: Some("10.0.0.11".into()),
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "vmdep").await.unwrap();
    assert!(d.load_balancers.is_empty());
    let servers = d.dns.unwrap().dns_servers;
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].address.as_deref(), Some("10.0.0.11"));
    done(c.delete_dns_server(svc, "vmdep", "dns1").await).await;
    assert_service_error(
        c.delete_dns_server(svc, "vmdep", "dns1").await,
        404,
        "ResourceNotFound",
    );

    // Roles go: the last one stays (the service's message).
    done(
        c.delete_role(svc, "vmdep", "vm2", &Default::default())
            .await,
    )
    .await;
    let msg = assert_service_error(
        c.delete_role(svc, "vmdep", "vm1", &Default::default())
            .await,
        400,
        "BadRequest",
    );
    assert!(
        msg.starts_with("Role vm1 is the only role present in the deployment"),
        "{msg}"
    );
    // Deleting the deployment frees its disks (kept without comp=media).
    done(
        c.delete_deployment_by_name(svc, "vmdep", &Default::default())
            .await,
    )
    .await;
    let all = disks(&c).await;
    assert!(!all.is_empty());
    assert!(all.iter().all(|d| d.attached_to.is_none()), "{all:?}");
    c.delete_disk(&os_disk, &Default::default()).await.unwrap();
    assert_service_error(
        c.get_role(svc, "vmdep", "vm1").await,
        404,
        "ResourceNotFound",
    );
    emu.shutdown().await;
}

/// A self-signed certificate and its key as a password-protected PFX:
/// (pfx, certificate DER).
fn pfx(password: &str) -> (Vec<u8>, Vec<u8>) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["svc-cert.test".to_owned()]).unwrap();
    let key = p12_keystore::PrivateKey::from_der(&signing_key.serialize_der()).unwrap();
    let c = p12_keystore::Certificate::from_der(cert.der()).unwrap();
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "svc",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            "key-1",
            key,
            [c],
        )),
    );
    let bytes = store
        .writer(password)
        .encryption_iterations(2048)
        .mac_iterations(2048)
        .write()
        .unwrap();
    (bytes, cert.der().to_vec())
}

#[tokio::test]
async fn service_certificates() {
    let (emu, c) = start().await;
    let svc = "cert-svc";
    cloud_service(&c, svc).await;
    let password = "Pfx-Passw0rd!";
    let (pfx_bytes, der) = pfx(password);
    let thumbprint = asm_runtime::x509::thumbprint(&der).to_ascii_uppercase();
    let body = CertificateFile {
        data: pfx_bytes.clone(),
        certificate_format: CertificateFormat::Pfx,
        password: Some(password.into()),
    };
    // The password is a secret: never in Debug.
    assert!(!format!("{body:?}").contains(password));
    done(c.add_service_certificate(svc, &body).await).await;
    // A wrong password is refused.
    assert_service_error(
        c.add_service_certificate(
            svc,
            &CertificateFile {
                password: Some("wrong".into()),
                ..body.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    // The same certificate again is taken.
    assert_service_error(
        c.add_service_certificate(svc, &body).await,
        409,
        "ConflictError",
    );
    // A .cer (public part only) of another certificate.
    let (_, der2) = pfx("x");
    done(
        c.add_service_certificate(
            svc,
            &CertificateFile {
                data: der2.clone(),
                certificate_format: CertificateFormat::Cer,
                password: None,
            },
        )
        .await,
    )
    .await;
    let list = c.list_service_certificates(svc).await.unwrap().certificate;
    assert_eq!(list.len(), 2);
    let first = list
        .iter()
        .find(|x| x.thumbprint.as_deref() == Some(thumbprint.as_str()))
        .expect("the PFX's certificate, by its SHA-1 thumbprint");
    assert_eq!(first.thumbprint_algorithm.as_deref(), Some("sha1"));
    assert_eq!(first.data.as_deref(), Some(der.as_slice()));
    assert!(first
        .certificate_url
        .as_deref()
        .unwrap()
        .ends_with(&format!(
            "/services/hostedservices/{svc}/certificates/sha1-{thumbprint}"
        )));
    let got = c
        .get_service_certificate(svc, "sha1", &thumbprint)
        .await
        .unwrap();
    assert_eq!(got.data.as_deref(), Some(der.as_slice()));
    done(c.delete_service_certificate(svc, "sha1", &thumbprint).await).await;
    let msg = assert_service_error(
        c.get_service_certificate(svc, "sha1", &thumbprint).await,
        404,
        "ResourceNotFound",
    );
    assert_eq!(msg, "The certificate was not found.");
    assert_eq!(
        c.list_service_certificates(svc)
            .await
            .unwrap()
            .certificate
            .len(),
        1
    );
    // A missing cloud service.
    assert_service_error(
        c.list_service_certificates("nope").await,
        404,
        "ResourceNotFound",
    );
    emu.shutdown().await;
}

/// The role operations sharing `POST …/roleinstances/{role}/Operations` are
/// told apart by their body's root; disks of the repository (add, update,
/// grow); virtual IPs; migration; secrets stay out of the operation history;
/// deleting the cloud service releases its disks.
#[tokio::test]
async fn vm_operations_disks_and_history() {
    let (emu, c) = start().await;
    let svc = "ops-svc";
    cloud_service(&c, svc).await;
    let started = DateTime::now() - Duration::from_secs(60);
    done(
        c.create_virtual_machine_deployment(
            svc,
            &CreateVirtualMachineDeploymentInput {
                name: "dep".into(),
                // Case does not matter to the service.
                deployment_slot: DeploymentSlot::Unknown("production".into()),
                label: "ops".into(),
                role_list: vec![vm_role("a", true, None), vm_role("b", false, Some(5))],
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let d = c
        .get_deployment_by_slot(svc, &DeploymentSlot::Production)
        .await
        .unwrap();
    assert_eq!(d.deployment_slot, DeploymentSlot::Production);
    assert_eq!(d.role_instance_list.len(), 2);

    // Update Role: the endpoints and the size are replaced.
    let mut a = c.get_role(svc, "dep", "a").await.unwrap();
    let os_a = a.os_virtual_hard_disk.clone().unwrap().disk_name.unwrap();
    a.role_size = Some("Medium".into());
    a.configuration_sets[0].input_endpoints.truncate(1);
    done(c.update_role(svc, "dep", "a", &a).await).await;
    let d = c.get_deployment_by_name(svc, "dep").await.unwrap();
    let inst = d
        .role_instance_list
        .iter()
        .find(|i| i.role_name == "a")
        .unwrap();
    assert_eq!(inst.instance_size.as_deref(), Some("Medium"));
    assert_eq!(inst.instance_endpoints.len(), 1);

    // Redeploy and maintenance reach their own behaviour (no maintenance
    // window here: refused), capture as a VM image stops the role.
    done(
        c.redeploy_role(svc, "dep", "a", &RedeployRoleOperation::default())
            .await,
    )
    .await;
    assert_service_error(
        c.perform_maintenance_on_role(
            svc,
            "dep",
            "a",
            &PerformMaintenanceOnRoleOperation::default(),
        )
        .await,
        400,
        "BadRequest",
    );
    done(
        c.capture_vm_image(
            svc,
            "dep",
            "a",
            &CaptureRoleAsVMImageOperation {
                os_state: Some("Specialized".into()),
                vm_image_name: Some("img-a".into()),
                vm_image_label: Some("img a".into()),
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "dep").await.unwrap();
    let inst = d
        .role_instance_list
        .iter()
        .find(|i| i.role_name == "a")
        .unwrap();
    assert_eq!(inst.power_state, Some(PowerState::Stopped));
    // The captured VM image is the images area's record.
    let vmi = c.get_vm_image_details("img-a").await.unwrap();
    assert_eq!(vmi.name, "img-a");
    // Capture Role (Delete): the role and its OS disk go, its image is made.
    let b_os = c
        .get_role(svc, "dep", "b")
        .await
        .unwrap()
        .os_virtual_hard_disk
        .unwrap()
        .disk_name
        .unwrap();
    done(
        c.capture_role(
            svc,
            "dep",
            "b",
            &CaptureRoleOperation {
                post_capture_action: PostCaptureAction::Delete,
                target_image_label: "b image".into(),
                target_image_name: "b-image".into(),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    assert_service_error(c.get_role(svc, "dep", "b").await, 404, "ResourceNotFound");
    assert_service_error(c.get_disk(&b_os).await, 404, "ResourceNotFound");
    let img = c.get_os_image("b-image").await.unwrap();
    assert_eq!(img.label.as_deref(), Some("b image"));
    assert_eq!(img.category, Some(ImageCategory::User));
    // A name already taken by an image: 409, and the role stays.
    assert_service_error(
        c.capture_vm_image(
            svc,
            "dep",
            "a",
            &CaptureRoleAsVMImageOperation {
                os_state: Some("Specialized".into()),
                vm_image_name: Some("img-a".into()),
                vm_image_label: None,
            },
        )
        .await,
        409,
        "ConflictError",
    );
    c.get_role(svc, "dep", "a").await.unwrap();

    // Virtual IPs: added, listed, removed; the default one stays.
    done(c.add_virtual_ip(svc, "dep", "extra-vip").await).await;
    let d = c.get_deployment_by_name(svc, "dep").await.unwrap();
    assert_eq!(d.virtual_ips.len(), 2);
    let default_vip = d.virtual_ips[0].name.clone().unwrap();
    done(c.remove_virtual_ip(svc, "dep", "extra-vip").await).await;
    assert_service_error(
        c.remove_virtual_ip(svc, "dep", &default_vip).await,
        400,
        "BadRequest",
    );

    // Internal load balancer front end updated.
    done(
        c.create_load_balancer(
            svc,
            "dep",
            &LoadBalancer {
                name: "ilb".into(),
                frontend_ip_configuration: None,
            },
        )
        .await,
    )
    .await;
    done(
        c.update_load_balancer(
            svc,
            "dep",
            "ilb",
            &LoadBalancer {
                name: "ilb".into(),
                frontend_ip_configuration: Some(FrontendIpConfiguration {
                    type_: Some("Private".into()),
                    subnet_name: Some("sub1".into()),
                    static_virtual_network_ip_address: Some("10.0.1.5".into()),
                }),
            },
        )
        .await,
    )
    .await;
    let d = c.get_deployment_by_name(svc, "dep").await.unwrap();
    let fe = d.load_balancers[0]
        .frontend_ip_configuration
        .clone()
        .unwrap();
    assert_eq!(
        fe.static_virtual_network_ip_address.as_deref(),
        Some("10.0.1.5")
    );

    // Disks of the repository: add, update the label, grow (never shrink).
    let disk = c
        .add_disk(&AddDiskInput {
            os: None,
            label: "spare".into(),
            media_link: "https://acct.blob.core.windows.net/vhds/spare.vhd".into(),
            name: "spare".into(),
        })
        .await
        .unwrap();
    assert_eq!(disk.name, "spare");
    assert!(disk.attached_to.is_none());
    let update = UpdateDiskInput {
        label: "spare disk".into(),
        name: "spare".into(),
        ..Default::default()
    };
    assert_eq!(
        c.update_disk("spare", &update)
            .await
            .unwrap()
            .label
            .as_deref(),
        Some("spare disk")
    );
    done(
        c.update_disk_size(
            "spare",
            &UpdateDiskInput {
                resized_size_in_gb: Some(64),
                ..update.clone()
            },
        )
        .await,
    )
    .await;
    assert_eq!(
        c.get_disk("spare").await.unwrap().logical_disk_size_in_gb,
        Some(64)
    );
    assert_service_error(
        c.update_disk_size(
            "spare",
            &UpdateDiskInput {
                resized_size_in_gb: Some(8),
                ..update.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    // Attach it by name to a; now it cannot be deleted.
    done(
        c.add_data_disk(
            svc,
            "dep",
            "a",
            &DataVirtualHardDisk {
                disk_name: Some("spare".into()),
                ..Default::default()
            },
        )
        .await,
    )
    .await;
    let dd = c.get_data_disk(svc, "dep", "a", "0").await.unwrap();
    assert_eq!(dd.disk_name.as_deref(), Some("spare"));
    assert_eq!(dd.logical_disk_size_in_gb, Some(64));
    assert_service_error(
        c.delete_disk("spare", &Default::default()).await,
        400,
        "BadRequest",
    );

    // Migration: validate, prepare (twice is a conflict), abort.
    let msgs = c
        .validate_deployment_migration(
            svc,
            "dep",
            &DeploymentNetworkResource {
                destination_virtual_network: "New".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(msgs.validation_message.is_empty());
    let net = DeploymentNetworkResource {
        destination_virtual_network: "New".into(),
        ..Default::default()
    };
    done(c.prepare_deployment_migration(svc, "dep", &net).await).await;
    assert_eq!(
        c.get_role(svc, "dep", "a")
            .await
            .unwrap()
            .migration_state
            .as_deref(),
        Some("Prepared")
    );
    assert_service_error(
        c.prepare_deployment_migration(svc, "dep", &net).await,
        409,
        "ConflictError",
    );
    done(c.abort_deployment_migration(svc, "dep").await).await;
    assert!(c
        .get_role(svc, "dep", "a")
        .await
        .unwrap()
        .migration_state
        .is_none());

    // The history names the operations and keeps no password.
    let ops = c
        .list_subscription_operations(
            started,
            DateTime::now() + Duration::from_secs(60),
            &Default::default(),
        )
        .await
        .unwrap();
    let text = format!("{ops:?}");
    assert!(text.contains("CreateVirtualMachineDeployment"), "{text}");
    assert!(text.contains("CaptureRole"), "{text}");
    assert!(text.contains("********"), "the masked password is recorded");
    assert!(!text.contains("Sup3r-Secret!"), "a password in the history");

    // A cloud service with a deployment is not deleted alone; with its
    // contents, its virtual machines' disks go too.
    assert_service_error(c.delete_hosted_service(svc).await, 409, "ConflictError");
    assert_eq!(disks(&c).await.len(), 3);
    done(c.delete_hosted_service_and_contents(svc).await).await;
    // Left: b's data disk, released when b was captured.
    let left = disks(&c).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].attached_to.is_none() && left[0].name != "spare" && left[0].name != os_a);
    assert_service_error(
        c.get_deployment_by_name(svc, "dep").await,
        404,
        "ResourceNotFound",
    );
    emu.shutdown().await;
}

/// A deployment is held by an asynchronous operation until it completes:
/// another change is refused with the service's message naming the holder,
/// and the deployment reads Locked meanwhile.
#[tokio::test]
async fn a_deployment_is_locked_while_an_operation_runs() {
    let (emu, c) = start_with(
        |config| config.async_delay = Duration::from_millis(1500),
        |client| client.poll_options(fast_poll()),
    )
    .await;
    let svc = "lock-svc";
    cloud_service(&c, svc).await;
    let op = c
        .create_deployment(
            svc,
            &DeploymentSlot::Production,
            &CreateDeployment {
                name: "d".into(),
                package_url: "https://acct.blob.core.windows.net/pkgs/app.cspkg".into(),
                label: "d".into(),
                configuration: config(1).into(),
                start_deployment: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let id = op.request_id().to_owned();
    assert_eq!(
        c.get_deployment_by_name(svc, "d").await.unwrap().locked,
        Some(true)
    );
    let msg = assert_service_error(
        c.update_deployment_status_by_name(
            svc,
            "d",
            &UpdateDeploymentStatus {
                status: DeploymentStatus::Suspended,
            },
        )
        .await,
        409,
        "ConflictError",
    );
    assert_eq!(
        msg,
        format!("Windows Azure is currently performing an operation with x-ms-requestid {id} on this deployment that requires exclusive access.")
    );
    assert_service_error(
        c.delete_deployment_by_name(svc, "d", &Default::default())
            .await,
        409,
        "ConflictError",
    );
    op.wait().await.unwrap();
    assert_eq!(
        c.get_deployment_by_name(svc, "d").await.unwrap().locked,
        Some(false)
    );
    done(
        c.delete_deployment_by_name(svc, "d", &Default::default())
            .await,
    )
    .await;
    emu.shutdown().await;
}

/// The Linux provisioning limits (Node client's checks) stop a bad request
/// before it is sent, and the message names the field, not the secret.
#[tokio::test]
async fn linux_provisioning_limits() {
    let (emu, c) = start().await;
    let mut role = vm_role("lin", false, None);
    role.configuration_sets[0] = ConfigurationSet {
        configuration_set_type: ConfigurationSetType::LinuxProvisioningConfiguration,
        host_name: Some("lin".into()),
        user_name: Some("azureuser".into()),
        user_password: Some("abc".into()),
        ..Default::default()
    };
    let err = c
        .add_role("any-svc", "dep", &role)
        .await
        .expect_err("a 3-character password is refused");
    assert!(err.service_error().is_none(), "not sent: {err}");
    let text = err.to_string();
    assert!(text.contains("UserPassword"), "{text}");
    assert!(!text.contains("abc"), "{text}");
    emu.shutdown().await;
}

//! Large, realistic documents built from the generated types and encoded
//! with `asm_runtime::xml::to_document`, and the request bodies of the encode
//! benchmark. Every field of every type involved gets a plausible value (the
//! shapes and value styles follow the recorded responses the spec cites);
//! values vary with the index so that no two items are byte-identical.

// `is_multiple_of` is newer than the workspace's rust-version (1.85).
#![allow(clippy::manual_is_multiple_of)]

use asm_runtime::xml::to_document;
use asm_runtime::DateTime;
use azure_asm::*;

/// A benchmark document: what it is, its root, its bytes.
pub struct Doc {
    /// Short name for the table.
    pub name: &'static str,
    /// The operation whose response it is.
    pub operation: &'static str,
    /// Root element.
    pub root: &'static str,
    /// The Python peer's model class for it.
    pub python_type: &'static str,
    /// The encoded document.
    pub bytes: Vec<u8>,
}

/// Sizes of the generated documents.
#[derive(Clone, Copy)]
pub struct Scale {
    pub hosted_services: usize,
    pub deployments: usize,
    pub role_instances: usize,
    pub roles: usize,
    pub operations: usize,
    pub storage_accounts: usize,
}

impl Scale {
    /// The sizes the issue asks for.
    pub const FULL: Scale = Scale {
        hosted_services: 1000,
        deployments: 50,
        role_instances: 20,
        roles: 20,
        operations: 5000,
        storage_accounts: 1000,
    };

    /// Tiny documents (fuzz seeds, tests).
    pub const TINY: Scale = Scale {
        hosted_services: 2,
        deployments: 1,
        role_instances: 1,
        roles: 1,
        operations: 2,
        storage_accounts: 2,
    };
}

/// The four decode documents.
pub fn decode_docs(scale: Scale) -> Vec<Doc> {
    vec![
        Doc {
            name: "ListHostedServices (1,000 services)",
            operation: "ListHostedServices",
            root: "HostedServices",
            python_type: "HostedServices",
            bytes: to_document("HostedServices", &hosted_services(scale.hosted_services))
                .into_bytes(),
        },
        Doc {
            name: "GetHostedServiceProperties embed-detail (50 deployments)",
            operation: "GetHostedServiceProperties",
            root: "HostedService",
            python_type: "HostedService",
            bytes: to_document("HostedService", &hosted_service_detail(scale)).into_bytes(),
        },
        Doc {
            name: "ListSubscriptionOperations (5,000 operations)",
            operation: "ListSubscriptionOperations",
            root: "SubscriptionOperationCollection",
            python_type: "SubscriptionOperationCollection",
            bytes: to_document(
                "SubscriptionOperationCollection",
                &subscription_operations(scale.operations),
            )
            .into_bytes(),
        },
        Doc {
            name: "ListStorageAccounts (1,000 accounts)",
            operation: "ListStorageAccounts",
            root: "StorageServices",
            python_type: "StorageServices",
            bytes: to_document("StorageServices", &storage_services(scale.storage_accounts))
                .into_bytes(),
        },
    ]
}

const SUB: &str = "8f3f2c1e-6a47-4d2b-9c55-0d9e6b1a7f42";
const LOCATIONS: [&str; 6] = [
    "West US",
    "East US",
    "North Europe",
    "West Europe",
    "Southeast Asia",
    "Japan East",
];
const SIZES: [&str; 8] = [
    "ExtraSmall",
    "Small",
    "Medium",
    "Large",
    "A6",
    "Standard_D2",
    "Basic_A2",
    "Standard_DS3_v2",
];

/// A timestamp in 2014-2016, with 7 fractional digits as the service writes.
pub fn dt(i: usize) -> Option<DateTime> {
    let secs = 1_400_000_000 + (i as i64 * 7_919) % 60_000_000;
    let nanos = ((i as i64 * 1_234_567) % 10_000_000) * 100;
    DateTime::from_unix(secs).map(|d| DateTime(d.0 + time::Duration::nanoseconds(nanos)))
}

fn guid(i: usize) -> String {
    let a = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        (a >> 32) as u32,
        (a >> 16) as u16,
        a as u16 | 0x4000,
        ((a >> 48) as u16 & 0x3fff) | 0x8000,
        a.rotate_left(17) & 0xffff_ffff_ffff
    )
}

fn thumbprint(i: usize) -> String {
    let a = (i as u64).wrapping_mul(0x2545_F491_4F6C_DD1D);
    format!(
        "{:016X}{:016X}{:08X}",
        a,
        a.rotate_left(29),
        (a >> 7) as u32
    )
}

fn ip(i: usize, net: u8) -> String {
    format!("10.{net}.{}.{}", (i / 250) % 250, i % 250 + 4)
}

fn public_ip(i: usize) -> String {
    format!("137.{}.{}.{}", 116 + i % 20, (i / 200) % 250, i % 200 + 10)
}

fn ext_props(i: usize) -> Vec<ExtendedProperty> {
    vec![
        ExtendedProperty {
            name: "ResourceGroup".into(),
            value: Some(format!("rg-prod-{:03}", i % 97).into()),
        },
        ExtendedProperty {
            name: "ResourceLocation".into(),
            value: Some(LOCATIONS[i % LOCATIONS.len()].into()),
        },
        ExtendedProperty {
            name: "Owner".into(),
            value: Some(format!("team-{}@contoso.com", i % 13).into()),
        },
    ]
}

fn compute_capabilities() -> ComputeCapabilities {
    ComputeCapabilities {
        web_worker_role_sizes: SIZES[..5].iter().map(|s| (*s).into()).collect(),
        virtual_machines_role_sizes: SIZES.iter().map(|s| (*s).into()).collect(),
    }
}

fn hosted_service_properties(i: usize) -> HostedServiceProperties {
    HostedServiceProperties {
        description: Some(
            format!("Front end of the order pipeline #{i} (web & worker roles)").into(),
        ),
        affinity_group: Some(format!("ag-{}", i % 7).into()),
        location: Some(LOCATIONS[i % LOCATIONS.len()].into()),
        label: format!("orders-frontend-{i:04}").into(),
        status: Some(if i % 17 == 0 {
            HostedServiceStatus::Creating
        } else {
            HostedServiceStatus::Created
        }),
        date_created: dt(i),
        date_last_modified: dt(i + 91),
        extended_properties: ext_props(i),
        reverse_dns_fqdn: Some(format!("svc{i:04}.contoso.com.").into()),
        guest_agent_type: Some("ProdGA".into()),
    }
}

fn hosted_service(i: usize) -> HostedService {
    let name = format!("orders-frontend-{i:04}");
    HostedService {
        url: format!("https://management.core.windows.net/{SUB}/services/hostedservices/{name}")
            .into(),
        service_name: name.into(),
        hosted_service_properties: Some(hosted_service_properties(i)),
        deployments: None,
        default_win_rm_certificate_thumbprint: Some(thumbprint(i).into()),
        compute_capabilities: Some(compute_capabilities()),
    }
}

/// ListHostedServices with `n` services (the list answer carries no deployments).
pub fn hosted_services(n: usize) -> HostedServices {
    HostedServices {
        hosted_service: (0..n).map(hosted_service).collect(),
    }
}

/// GetHostedServiceProperties with embed-detail.
pub fn hosted_service_detail(scale: Scale) -> HostedService {
    let mut s = hosted_service(7);
    s.deployments = Some(
        (0..scale.deployments)
            .map(|d| deployment(d, scale.role_instances, scale.roles))
            .collect(),
    );
    s
}

fn message(i: usize) -> GuestAgentMessage {
    GuestAgentMessage {
        message_resource_id: Some(format!("{}", 1000 + i % 50).into()),
        param_list: vec!["2.7.1198.778".into(), format!("{}", i % 4).into()],
    }
}

fn formatted(i: usize) -> GuestAgentFormattedMessage {
    GuestAgentFormattedMessage {
        language: Some("en-US".into()),
        message: Some(
            format!("GuestAgent is running and accepting new configurations ({i}).").into(),
        ),
    }
}

fn role_instance(d: usize, r: usize, n: usize) -> RoleInstance {
    let k = d * 1000 + r * 10 + n;
    let role = format!("WebRole{r}");
    RoleInstance {
        role_name: role.clone().into(),
        instance_name: format!("{role}_IN_{n}").into(),
        instance_status: Some(if k % 11 == 0 {
            InstanceStatus::BusyRole
        } else {
            InstanceStatus::ReadyRole
        }),
        instance_upgrade_domain: Some((k % 5) as i32),
        instance_fault_domain: Some((k % 2) as i32),
        instance_size: Some(SIZES[k % SIZES.len()].into()),
        instance_state_details: Some(if k % 3 == 0 {
            "Role is ready to accept traffic".into()
        } else {
            "Provisioning succeeded".into()
        }),
        instance_error_code: Some(if k % 7 == 0 { "NoError" } else { "0" }.into()),
        ip_address: Some(ip(k, 1).into()),
        instance_endpoints: (0..3)
            .map(|e| InstanceEndpoint {
                name: ["HttpIn", "HttpsIn", "RDP"][e].into(),
                vip: Some(public_ip(d).into()),
                public_port: Some([80, 443, 3389][e]),
                local_port: Some([80, 443, 3389][e]),
                protocol: Some(["http", "https", "tcp"][e].into()),
                idle_timeout_in_minutes: Some(4 + e as i32),
            })
            .collect(),
        power_state: Some(PowerState::Started),
        host_name: Some(format!("{role}-{d}-{n}").into()),
        remote_access_certificate_thumbprint: Some(thumbprint(k).into()),
        guest_agent_status: Some(GuestAgentStatus {
            protocol_version: Some("1.0".into()),
            timestamp: dt(k),
            guest_agent_version: Some("2.7.1198.778".into()),
            status: Some("Ready".into()),
            code: Some(0),
            message: Some(message(k)),
            formatted_message: Some(formatted(k)),
        }),
        resource_extension_status_list: vec![ResourceExtensionStatus {
            handler_name: "Microsoft.Compute.BGInfo".into(),
            version: Some("1.2.2".into()),
            status: Some("Ready".into()),
            code: Some("0".into()),
            message: Some(message(k + 1)),
            formatted_message: Some(formatted(k + 1)),
            extension_setting_status: Some(ExtensionSettingStatus {
                timestamp: dt(k + 2),
                configuration_applied_time: dt(k + 3),
                name: Some("BGInfo".into()),
                operation: Some("Command Execution Finished".into()),
                status: Some("Success".into()),
                code: Some("0".into()),
                message: Some(message(k + 4)),
                formatted_message: Some(formatted(k + 4)),
                sub_status_list: vec![SubStatus {
                    name: Some("StdOut".into()),
                    status: Some("Success".into()),
                    code: Some("0".into()),
                    message: Some(message(k + 5)),
                    formatted_message: Some(formatted(k + 5)),
                }],
            }),
        }],
        public_ips: vec![PublicIP {
            name: format!("pip-{n}").into(),
            address: Some(public_ip(k).into()),
            idle_timeout_in_minutes: Some(15),
            domain_name_label: Some(format!("web{d}x{n}").into()),
            fqdns: vec![format!("web{d}x{n}.orders.cloudapp.net").into()],
        }],
        network_interfaces: vec![NetworkInterface {
            name: "nic-secondary".into(),
            mac_address: Some(format!("00-0D-3A-{:02X}-{:02X}-{:02X}", d % 256, r, n).into()),
            ip_configurations: vec![IPConfiguration {
                subnet_name: Some("BackEnd".into()),
                address: Some(ip(k, 2).into()),
                static_virtual_network_ip_address: Some(ip(k, 2).into()),
            }],
            network_security_group: Some("nsg-backend".into()),
            ip_forwarding: Some("Disabled".into()),
        }],
        maintenance_status: Some(MaintenanceStatus {
            is_customer_initiated_maintenance_allowed: Some(k % 2 == 0),
            pre_maintenance_window_start_time: dt(k + 10),
            pre_maintenance_window_end_time: dt(k + 11),
            maintenance_window_start_time: dt(k + 12),
            maintenance_window_end_time: dt(k + 13),
            last_operation_result_code: Some("RetryLater".into()),
            last_operation_result_string: Some("Maintenance is not allowed now".into()),
            last_operation_message: Some("The last maintenance completed".into()),
        }),
    }
}

fn network_set(k: usize) -> ConfigurationSet {
    ConfigurationSet {
        configuration_set_type: ConfigurationSetType::NetworkConfiguration,
        input_endpoints: (0..3)
            .map(|e| InputEndpoint {
                load_balanced_endpoint_set_name: Some(
                    format!("lb-{}", ["http", "https", "rdp"][e]).into(),
                ),
                local_port: Some([80, 443, 3389][e]),
                name: Some(["HttpIn", "HttpsIn", "RDP"][e].into()),
                port: Some([80, 443, 50000 + k as i32 % 10000][e]),
                load_balancer_probe: Some(LoadBalancerProbe {
                    path: Some("/health".into()),
                    port: Some([80, 443, 3389][e]),
                    protocol: Some(if e == 2 { "tcp" } else { "http" }.into()),
                    interval_in_seconds: Some(15),
                    timeout_in_seconds: Some(31),
                }),
                protocol: Some("tcp".into()),
                vip: Some(public_ip(k).into()),
                enable_direct_server_return: Some(false),
                load_balancer_name: Some("ilb-frontend".into()),
                endpoint_acl: Some(EndpointAcl {
                    rules: (0..2)
                        .map(|o| AclRule {
                            order: Some(100 + o),
                            action: Some(if o == 0 { "permit" } else { "deny" }.into()),
                            remote_subnet: Some(format!("{}.0.0.0/8", 10 + o).into()),
                            description: Some(format!("rule {o} of endpoint {e}").into()),
                        })
                        .collect(),
                }),
                idle_timeout_in_minutes: Some(4),
                load_balancer_distribution: Some("sourceIP".into()),
                virtual_ip_name: Some("vip-frontend".into()),
            })
            .collect(),
        subnet_names: vec!["FrontEnd".into(), "BackEnd".into()],
        static_virtual_network_ip_address: Some(ip(k, 3).into()),
        public_ips: vec![PublicIP {
            name: "pip-frontend".into(),
            address: None,
            idle_timeout_in_minutes: Some(10),
            domain_name_label: Some(format!("fe{k}").into()),
            fqdns: Vec::new(),
        }],
        network_interfaces: vec![NetworkInterface {
            name: "nic-secondary".into(),
            mac_address: None,
            ip_configurations: vec![IPConfiguration {
                subnet_name: Some("BackEnd".into()),
                address: None,
                static_virtual_network_ip_address: Some(ip(k, 4).into()),
            }],
            network_security_group: Some("nsg-backend".into()),
            ip_forwarding: Some("Enabled".into()),
        }],
        network_security_group: Some("nsg-frontend".into()),
        ip_forwarding: Some("Disabled".into()),
        ..Default::default()
    }
}

fn windows_set(k: usize) -> ConfigurationSet {
    ConfigurationSet {
        configuration_set_type: ConfigurationSetType::WindowsProvisioningConfiguration,
        computer_name: Some(format!("web{k:05}").into()),
        admin_password: Some(format!("P@ssw0rd!{k}").into()),
        reset_password_on_first_logon: Some(false),
        enable_automatic_updates: Some(true),
        time_zone: Some("Pacific Standard Time".into()),
        domain_join: Some(DomainJoin {
            credentials: Some(DomainJoinCredentials {
                domain: Some("corp.contoso.com".into()),
                username: Some("joiner".into()),
                password: Some(format!("J0in!{k}").into()),
            }),
            join_domain: Some("corp.contoso.com".into()),
            machine_object_ou: Some("OU=Web,DC=corp,DC=contoso,DC=com".into()),
            provisioning: Some(DomainJoinProvisioning {
                account_data: Some(format!("ARAAAAAAAAA{k}AAAAAAAAA==").into()),
            }),
        }),
        stored_certificate_settings: vec![CertificateSetting {
            store_location: Some("LocalMachine".into()),
            store_name: Some("My".into()),
            thumbprint: Some(thumbprint(k + 3).into()),
        }],
        win_rm: Some(WinRM {
            listeners: vec![
                WinRmListener {
                    protocol: Some("Https".into()),
                    certificate_thumbprint: Some(thumbprint(k + 4).into()),
                },
                WinRmListener {
                    protocol: Some("Http".into()),
                    certificate_thumbprint: None,
                },
            ],
        }),
        admin_username: Some("azureadmin".into()),
        additional_unattend_content: Some(AdditionalUnattendContent {
            passes: vec![UnattendPass {
                pass_name: Some("oobeSystem".into()),
                components: vec![UnattendComponent {
                    component_name: Some("Microsoft-Windows-Shell-Setup".into()),
                    component_settings: vec![ComponentSetting {
                        setting_name: Some("AutoLogon".into()),
                        content: Some(
                            b"<AutoLogon><Enabled>true</Enabled><LogonCount>1</LogonCount></AutoLogon>"
                                .to_vec(),
                        ),
                    }],
                }],
            }],
        }),
        custom_data: Some(format!("#cloud-config\nhostname: web{k}\n").into_bytes()),
        ..Default::default()
    }
}

fn linux_set(k: usize) -> ConfigurationSet {
    ConfigurationSet {
        configuration_set_type: ConfigurationSetType::LinuxProvisioningConfiguration,
        host_name: Some(format!("web{k:05}").into()),
        user_name: Some("azureuser".into()),
        user_password: Some(format!("L1nux!{k}").into()),
        disable_ssh_password_authentication: Some(true),
        ssh: Some(SshSettings {
            public_keys: vec![SshPublicKey {
                fingerprint: Some(thumbprint(k + 5).into()),
                path: Some("/home/azureuser/.ssh/authorized_keys".into()),
            }],
            key_pairs: vec![SshKeyPair {
                fingerprint: Some(thumbprint(k + 6).into()),
                path: Some("/home/azureuser/.ssh/id_rsa".into()),
            }],
        }),
        custom_data: Some(format!("#!/bin/sh\necho web{k} > /etc/hostname\n").into_bytes()),
        ..Default::default()
    }
}

fn role(d: usize, r: usize) -> Role {
    let k = d * 100 + r;
    let name = format!("WebRole{r}");
    Role {
        role_name: name.clone().into(),
        os_version: Some("WA-GUEST-OS-4.26_201511-02".into()),
        role_type: Some("PersistentVMRole".into()),
        configuration_sets: vec![
            network_set(k),
            if r % 2 == 0 { windows_set(k) } else { linux_set(k) },
        ],
        resource_extension_references: vec![ResourceExtensionReference {
            reference_name: Some("BGInfo".into()),
            publisher: Some("Microsoft.Compute".into()),
            name: "BGInfo".into(),
            version: Some("1.*".into()),
            resource_extension_parameter_values: vec![
                ResourceExtensionParameterValue {
                    key: Some("BGInfoPublicConfig".into()),
                    value: Some(br#"{"fileUris":[],"commandToExecute":""}"#.to_vec()),
                    type_: Some("Public".into()),
                },
                ResourceExtensionParameterValue {
                    key: Some("BGInfoPrivateConfig".into()),
                    value: Some(format!(r#"{{"storageAccountKey":"k{k}"}}"#).into_bytes()),
                    type_: Some("Private".into()),
                },
            ],
            state: Some("Enable".into()),
            force_update: Some(false),
        }],
        vm_image_name: Some("a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2012-R2-20150916-en.us-127GB.vhd".into()),
        media_location: Some(format!("https://portalvhds{d}.blob.core.windows.net/vhds/").into()),
        availability_set_name: Some(format!("avset-{}", r % 3).into()),
        data_virtual_hard_disks: (0..2)
            .map(|l| DataVirtualHardDisk {
                host_caching: Some([HostCaching::NoCaching, HostCaching::ReadOnly][l].clone()),
                disk_label: Some(format!("data{l}").into()),
                disk_name: Some(format!("orders-{name}-{d}-data-{l}").into()),
                lun: Some(l as i32),
                logical_disk_size_in_gb: Some(1023),
                media_link: Some(format!(
                    "https://portalvhds{d}.blob.core.windows.net/vhds/{name}-data{l}.vhd"
                ).into()),
                source_media_link: Some(format!(
                    "https://images.blob.core.windows.net/src/data{l}.vhd"
                ).into()),
                io_type: Some(if l == 0 { "Standard" } else { "Provisioned" }.into()),
            })
            .collect(),
        label: Some(format!("{name} of deployment {d}").into()),
        os_virtual_hard_disk: Some(OSVirtualHardDisk {
            host_caching: Some(HostCaching::ReadWrite),
            disk_label: Some("os".into()),
            disk_name: Some(format!("orders-{name}-{d}-os").into()),
            media_link: Some(format!(
                "https://portalvhds{d}.blob.core.windows.net/vhds/{name}-os.vhd"
            ).into()),
            source_image_name: Some("b39f27a8b8c64d52b05eac6a62ebad85__Ubuntu-14_04_3-LTS-amd64-server-20150908-en-us-30GB".into()),
            os: Some(if r % 2 == 0 { "Windows" } else { "Linux" }.into()),
            remote_source_image_link: Some("https://images.blob.core.windows.net/src/os.vhd".into()),
            io_type: Some("Standard".into()),
            resized_size_in_gb: Some(127),
        }),
        role_size: Some(SIZES[k % SIZES.len()].into()),
        default_win_rm_certificate_thumbprint: Some(thumbprint(k + 9).into()),
        provision_guest_agent: Some(true),
        vm_image_input: Some(VMImageInput {
            os_disk_configuration: Some(OSDiskConfigurationInput {
                resized_size_in_gb: Some(127),
            }),
            data_disk_configurations: vec![DataDiskConfigurationInput {
                name: Some("data0".into()),
                resized_size_in_gb: Some(1023),
            }],
        }),
        debug_settings: Some(DebugSettings {
            boot_diagnostics_enabled: Some(true),
            console_screenshot_blob_uri: Some(format!(
                "https://diag{d}.blob.core.windows.net/bootdiagnostics/{name}.bmp"
            ).into()),
            serial_output_blob_uri: Some(format!(
                "https://diag{d}.blob.core.windows.net/bootdiagnostics/{name}.log"
            ).into()),
        }),
        license_type: Some("Windows_Server".into()),
        migration_state: Some("None".into()),
    }
}

const CSCFG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="orders" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration" osFamily="4" osVersion="*" schemaVersion="2014-06.2.4">
  <Role name="WebRole0">
    <Instances count="20" />
    <ConfigurationSettings>
      <Setting name="Microsoft.WindowsAzure.Plugins.Diagnostics.ConnectionString" value="UseDevelopmentStorage=true" />
    </ConfigurationSettings>
  </Role>
</ServiceConfiguration>"#;

fn deployment(d: usize, instances: usize, roles: usize) -> Deployment {
    Deployment {
        name: format!("orders-deploy-{d:02}").into(),
        deployment_slot: if d % 2 == 0 {
            DeploymentSlot::Production
        } else {
            DeploymentSlot::Staging
        },
        private_id: format!(
            "{:032x}",
            (d as u128 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
        )
        .into(),
        status: DeploymentStatus::Running,
        label: format!("orders release 2015.{d}").into(),
        url: Some(format!("http://orders-{d:02}.cloudapp.net/").into()),
        configuration: Some(CSCFG.as_bytes().to_vec()),
        role_instance_list: (0..instances)
            .map(|n| role_instance(d, n % roles.max(1), n))
            .collect(),
        upgrade_status: Some(UpgradeStatus {
            upgrade_type: Some(UpgradeType::Auto),
            current_upgrade_domain_state: Some(CurrentUpgradeDomainState::Before),
            current_upgrade_domain: Some((d % 5) as i32),
        }),
        upgrade_domain_count: Some(5),
        role_list: (0..roles).map(|r| role(d, r)).collect(),
        sdk_version: Some("2.7.6496.1".into()),
        locked: Some(false),
        rollback_allowed: Some(d % 3 == 0),
        virtual_network_name: Some("orders-vnet".into()),
        created_time: dt(d),
        last_modified_time: dt(d + 1),
        extended_properties: ext_props(d),
        dns: Some(DnsSettings {
            dns_servers: vec![
                DnsServer {
                    name: "dns1".into(),
                    address: Some("10.0.0.4".into()),
                },
                DnsServer {
                    name: "dns2".into(),
                    address: Some("10.0.0.5".into()),
                },
            ],
        }),
        persistent_vm_downtime: Some(PersistentVMDowntime {
            start_time: dt(d + 2),
            end_time: dt(d + 3),
            status: Some("PersistentVMUpdateScheduled".into()),
        }),
        extension_configuration: Some(ExtensionConfiguration {
            all_roles: vec![DeploymentExtension {
                id: "RDPExtension-1".into(),
                state: Some("Enable".into()),
            }],
            named_roles: vec![NamedRoleExtensions {
                role_name: "WebRole0".into(),
                extensions: vec![DeploymentExtension {
                    id: "Antimalware-0".into(),
                    state: Some("Enable".into()),
                }],
            }],
        }),
        virtual_ips: vec![VirtualIP {
            address: Some(public_ip(d).into()),
            is_dns_programmed: Some(true),
            name: Some("vip-frontend".into()),
            is_reserved: Some(d % 4 == 0),
            reserved_ip_name: Some(format!("rip-{d}").into()),
            type_: Some("Public".into()),
        }],
        reserved_ip_name: Some(format!("rip-{d}").into()),
        internal_dns_suffix: Some(format!("orders{d}.a{d}.internal.cloudapp.net").into()),
        load_balancers: vec![LoadBalancer {
            name: "ilb-frontend".into(),
            frontend_ip_configuration: Some(FrontendIpConfiguration {
                type_: Some("Private".into()),
                subnet_name: Some("FrontEnd".into()),
                static_virtual_network_ip_address: Some(ip(d, 5).into()),
            }),
        }],
        virtual_network_id: Some(guid(d).into()),
    }
}

const OPERATION_NAMES: [&str; 6] = [
    "CreateHostedService",
    "CreateStorageAccount",
    "DeleteHostedService",
    "UpdateStorageAccount",
    "CreateAffinityGroup",
    "RegenerateStorageAccountKeys",
];

fn subscription_operation(i: usize) -> SubscriptionOperation {
    let failed = i % 23 == 0;
    SubscriptionOperation {
        operation_id: guid(i).into(),
        operation_object_id: Some(format!(
            "/{SUB}/services/storageservices/orders{:05}",
            i % 997
        ).into()),
        operation_name: Some(OPERATION_NAMES[i % OPERATION_NAMES.len()].into()),
        operation_parameters: vec![
            OperationParameter {
                name: Some("subscriptionID".into()),
                value: Some(SUB.into()),
            },
            OperationParameter {
                name: Some("serviceName".into()),
                value: Some(format!("orders{:05}", i % 997).into()),
            },
            OperationParameter {
                name: Some("input".into()),
                value: Some(format!(
                    "<?xml version=\"1.0\" encoding=\"utf-16\"?>\r\n<CreateStorageServiceInput xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"http://schemas.microsoft.com/windowsazure\"><ServiceName>orders{:05}</ServiceName><Label>b3JkZXJz</Label><Location>West US</Location></CreateStorageServiceInput>",
                    i % 997
                ).into()),
            },
        ],
        operation_caller: Some(OperationCaller {
            used_service_management_api: Some(i % 5 != 0),
            user_email_address: Some(format!("ops{}@contoso.com", i % 11).into()),
            subscription_certificate_thumbprint: Some(thumbprint(i % 3).into()),
            client_ip: Some(public_ip(i).into()),
        }),
        operation_status: Some(Operation {
            id: guid(i).into(),
            status: if failed {
                OperationStatus::Failed
            } else {
                OperationStatus::Succeeded
            },
            http_status_code: Some(if failed { 409 } else { 200 }),
            error: failed.then(|| OperationError {
                code: Some("ConflictError".into()),
                message: Some("The specified DNS name is already taken.".into()),
            }),
        }),
        operation_started_time: dt(i),
        operation_completed_time: dt(i + 1),
        operation_kind: Some("Create".into()),
    }
}

/// ListSubscriptionOperations with `n` operations.
pub fn subscription_operations(n: usize) -> SubscriptionOperationCollection {
    SubscriptionOperationCollection {
        subscription_operations: (0..n).map(subscription_operation).collect(),
        continuation_token: Some(guid(n).into()),
    }
}

fn storage_service(i: usize) -> StorageService {
    let name = format!("orders{i:05}");
    let loc = LOCATIONS[i % LOCATIONS.len()];
    let sec = LOCATIONS[(i + 1) % LOCATIONS.len()];
    StorageService {
        url: format!("https://management.core.windows.net/{SUB}/services/storageservices/{name}")
            .into(),
        service_name: Some(name.clone().into()),
        storage_service_properties: Some(StorageServiceProperties {
            description: Some(format!("Blobs of the order pipeline, shard {i}").into()),
            affinity_group: Some(format!("ag-{}", i % 7).into()),
            location: Some(loc.into()),
            label: name.clone().into(),
            status: Some(StorageServiceStatus::Created),
            endpoints: ["blob", "queue", "table", "file"]
                .iter()
                .map(|k| format!("https://{name}.{k}.core.windows.net/").into())
                .collect(),
            geo_replication_enabled: Some(true),
            geo_primary_region: Some(loc.into()),
            status_of_primary: Some(GeoRegionStatus::Available),
            geo_secondary_region: Some(sec.into()),
            status_of_secondary: Some(GeoRegionStatus::Available),
            last_geo_failover_time: dt(i + 5),
            creation_time: dt(i),
            custom_domains: vec![CustomDomain {
                name: format!("static{i}.contoso.com").into(),
                use_sub_domain_name: Some(false),
            }],
            secondary_read_enabled: Some(true),
            secondary_endpoints: ["blob", "queue", "table"]
                .iter()
                .map(|k| format!("https://{name}-secondary.{k}.core.windows.net/").into())
                .collect(),
            account_type: Some(
                [
                    StorageAccountType::StandardGrs,
                    StorageAccountType::StandardRagrs,
                    StorageAccountType::StandardLrs,
                ][i % 3]
                    .clone(),
            ),
        }),
        storage_service_keys: None,
        extended_properties: ext_props(i),
        capabilities: vec!["PersistentVMRole".into(), "HighMemory".into()],
        migration_state: Some("None".into()),
    }
}

/// ListStorageAccounts with `n` accounts (the list answer carries no keys).
pub fn storage_services(n: usize) -> StorageServices {
    StorageServices {
        storage_service: (0..n).map(storage_service).collect(),
    }
}

/// A request body to encode: root and document.
pub struct Body {
    pub root: &'static str,
    pub encode: Box<dyn Fn() -> String>,
}

/// The request bodies of the spec, filled in full.
pub fn request_bodies() -> Vec<Body> {
    let chs = CreateHostedService {
        service_name: "orders-frontend-0001".into(),
        label: "Orders front end".into(),
        description: Some("Front end of the order pipeline (web & worker roles)".into()),
        location: Some("West US".into()),
        affinity_group: None,
        extended_properties: ext_props(1),
        reverse_dns_fqdn: Some("orders.contoso.com.".into()),
    };
    let uhs = UpdateHostedService {
        label: Some("Orders front end v2".into()),
        description: Some("Updated description <with markup & entities>".into()),
        extended_properties: ext_props(2),
        reverse_dns_fqdn: Some("orders2.contoso.com.".into()),
    };
    let csa = CreateStorageServiceInput {
        service_name: "orders00001".into(),
        description: Some("Blobs of the order pipeline".into()),
        label: "orders00001".into(),
        affinity_group: None,
        location: Some("West US".into()),
        geo_replication_enabled: Some(true),
        extended_properties: ext_props(3),
        secondary_read_enabled: Some(true),
        account_type: Some(StorageAccountType::StandardRagrs),
    };
    let usa = UpdateStorageServiceInput {
        description: Some("Blobs of the order pipeline (moved)".into()),
        label: Some("orders00001".into()),
        geo_replication_enabled: Some(false),
        extended_properties: ext_props(4),
        custom_domains: vec![CustomDomain {
            name: "static.contoso.com".into(),
            use_sub_domain_name: Some(true),
        }],
        secondary_read_enabled: Some(false),
        account_type: Some(StorageAccountType::StandardLrs),
    };
    let cag = CreateAffinityGroup {
        name: "ag-orders".into(),
        label: "Orders affinity group".into(),
        description: Some("Keeps compute and storage of the order pipeline together".into()),
        location: "West US".into(),
    };
    let uag = UpdateAffinityGroup {
        label: "Orders affinity group v2".into(),
        description: Some("Updated".into()),
    };
    let rk = RegenerateKeys {
        key_type: KeyType::Secondary,
    };
    let cert = SubscriptionCertificate {
        subscription_certificate_public_key: (0..270u32).map(|b| (b * 7) as u8).collect(),
        subscription_certificate_thumbprint: thumbprint(42).into(),
        subscription_certificate_data: (0..800u32).map(|b| (b * 13) as u8).collect(),
        created: dt(42),
    };
    vec![
        Body {
            root: "CreateHostedService",
            encode: Box::new(move || to_document("CreateHostedService", &chs)),
        },
        Body {
            root: "UpdateHostedService",
            encode: Box::new(move || to_document("UpdateHostedService", &uhs)),
        },
        Body {
            root: "CreateStorageServiceInput",
            encode: Box::new(move || to_document("CreateStorageServiceInput", &csa)),
        },
        Body {
            root: "UpdateStorageServiceInput",
            encode: Box::new(move || to_document("UpdateStorageServiceInput", &usa)),
        },
        Body {
            root: "CreateAffinityGroup",
            encode: Box::new(move || to_document("CreateAffinityGroup", &cag)),
        },
        Body {
            root: "UpdateAffinityGroup",
            encode: Box::new(move || to_document("UpdateAffinityGroup", &uag)),
        },
        Body {
            root: "RegenerateKeys",
            encode: Box::new(move || to_document("RegenerateKeys", &rk)),
        },
        Body {
            root: "SubscriptionCertificate",
            encode: Box::new(move || to_document("SubscriptionCertificate", &cert)),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_decode_to_the_values_they_were_built_from() {
        for doc in decode_docs(Scale::TINY) {
            let r = azure_asm::server::roundtrip_response(doc.operation, &doc.bytes);
            assert!(matches!(r, Some(Ok(()))), "{}: {:?}", doc.name, r);
        }
        let s = hosted_service_detail(Scale::TINY);
        let back: HostedService = asm_runtime::xml::from_document(
            "HostedService",
            to_document("HostedService", &s).as_bytes(),
        )
        .unwrap();
        assert!(
            back == s,
            "the embed-detail document does not decode to its value"
        );
    }
}

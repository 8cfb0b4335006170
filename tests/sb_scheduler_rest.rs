//! Service Bus and Scheduler operations served by emulator/src/sb_scheduler.rs,
//! through the generated client against the emulator over mutual TLS:
//! Service Bus regions, connection details of namespaces, queues, topics,
//! notification hubs and relays (connection strings from the authorization
//! rules, keys redacted from Debug), queue and topic updates, entity metrics
//! (supported metrics, rollups, deterministic values); the scheduler
//! resource provider (register, unregister, properties), entitlements, the
//! state of all jobs of a collection and job history.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, namespace, start_with};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = Duration::from_millis(50),
        |client| client.retry_policy(RetryPolicy::none()),
    )
    .await
}

// ---------------------------------------------------------------------------
// Service Bus
// ---------------------------------------------------------------------------

#[tokio::test]
async fn service_bus_regions_are_listed() {
    let (_emu, c) = start().await;
    let regions = c.get_service_bus_regions().await.unwrap();
    let codes: Vec<&str> = regions.contents().map(|r| r.code.as_str()).collect();
    assert!(codes.contains(&"West US"), "{codes:?}");
    assert!(codes.contains(&"North Europe"), "{codes:?}");
    assert!(regions.contents().all(|r| r.full_name.is_some()));
    // A region from the list is one a namespace can be created in.
    let body = NamespaceDescription {
        region: codes[0].into(),
        ..Default::default()
    };
    c.create_namespace("asm-sb-region", &body).await.unwrap();
}

#[tokio::test]
async fn namespace_connection_details_come_from_its_rules() {
    let (_emu, c) = start().await;
    assert_service_error(
        c.get_namespace_connection_details("asm-sb-none").await,
        404,
        "ResourceNotFound",
    );
    let ns = "asm-sb-conn";
    namespace(&c, ns).await;
    assert!(c
        .get_namespace_connection_details(ns)
        .await
        .unwrap()
        .entries
        .is_empty());
    let rule = SharedAccessAuthorizationRule {
        key_name: "sender".into(),
        primary_key: Some("cHJpbWFyeQ==".into()),
        secondary_key: Some("c2Vjb25kYXJ5".into()),
        rights: vec![AccessRights::Send, AccessRights::Listen],
        ..Default::default()
    };
    c.create_namespace_authorization_rule(ns, &rule)
        .await
        .unwrap();
    let details = c.get_namespace_connection_details(ns).await.unwrap();
    assert_eq!(details.entries.len(), 1);
    let d = &details.entries[0];
    assert_eq!(d.title.as_deref(), Some("sender"));
    assert_eq!(d.key_name.as_deref(), Some("sender"));
    assert_eq!(
        d.connection_string.as_deref(),
        Some("Endpoint=sb://asm-sb-conn.servicebus.windows.net/;SharedAccessKeyName=sender;SharedAccessKey=cHJpbWFyeQ==")
    );
    assert_eq!(
        d.secondary_connection_string.as_deref(),
        Some("Endpoint=sb://asm-sb-conn.servicebus.windows.net/;SharedAccessKeyName=sender;SharedAccessKey=c2Vjb25kYXJ5")
    );
    assert_eq!(
        d.authorization_type.as_deref(),
        Some("SharedAccessAuthorization")
    );
    assert_eq!(d.rights, [AccessRights::Send, AccessRights::Listen]);
    let debug = format!("{details:?}");
    assert!(
        !debug.contains("cHJpbWFyeQ==") && !debug.contains("c2Vjb25kYXJ5"),
        "keys are redacted: {debug}"
    );
    // A deleted rule has no connection string any more.
    c.delete_namespace_authorization_rule(ns, "sender")
        .await
        .unwrap();
    assert!(c
        .get_namespace_connection_details(ns)
        .await
        .unwrap()
        .entries
        .is_empty());
}

fn queue_rule(name: &str, key: &str) -> AuthorizationRule {
    AuthorizationRule {
        key_name: Some(name.into()),
        primary_key: Some(key.into()),
        rights: vec![AccessRights::Listen],
        ..Default::default()
    }
}

#[tokio::test]
async fn queues_are_updated_and_give_connection_details() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-queues";
    namespace(&c, ns).await;
    assert_service_error(
        c.get_queue_connection_details(ns, "q1").await,
        404,
        "ResourceNotFound",
    );
    let q = QueueDescription {
        max_size_in_megabytes: Some(1024),
        authorization_rules: vec![queue_rule("reader", "cmVhZGVy")],
        ..Default::default()
    };
    let created = c.create_queue(ns, "q1", &q).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let updated = c
        .update_queue(
            ns,
            "q1",
            &QueueDescription {
                max_size_in_megabytes: Some(2048),
                max_delivery_count: Some(7),
                ..q.clone()
            },
        )
        .await
        .unwrap();
    assert_eq!(updated.max_size_in_megabytes, Some(2048));
    let read = c.get_queue(ns, "q1").await.unwrap();
    assert_eq!(read.max_size_in_megabytes, Some(2048));
    assert_eq!(read.max_delivery_count, Some(7));
    assert_eq!(read.status.as_deref(), Some("Active"));
    // The update keeps the creation time and moves the update time.
    assert_eq!(read.created_at, created.created_at);
    assert!(read.updated_at > created.updated_at, "{read:?}");

    let details = c.get_queue_connection_details(ns, "q1").await.unwrap();
    let conns: Vec<_> = details
        .contents()
        .filter_map(|d| d.connection_string.clone())
        .collect();
    assert_eq!(
        conns,
        ["Endpoint=sb://asm-sb-queues.servicebus.windows.net/;SharedAccessKeyName=reader;SharedAccessKey=cmVhZGVy;EntityPath=q1"]
    );
    assert!(!format!("{details:?}").contains("cmVhZGVy"));
}

#[tokio::test]
async fn topics_are_updated_and_give_connection_details() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-topics";
    namespace(&c, ns).await;
    let t = TopicDescription {
        max_size_in_megabytes: Some(1024),
        authorization_rules: vec![queue_rule("pub", "cHVi")],
        ..Default::default()
    };
    c.create_topic(ns, "t1", &t).await.unwrap();
    c.update_topic(
        ns,
        "t1",
        &TopicDescription {
            max_size_in_megabytes: Some(5120),
            ..t.clone()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        c.get_topic(ns, "t1").await.unwrap().max_size_in_megabytes,
        Some(5120)
    );
    let details = c.get_topic_connection_details(ns, "t1").await.unwrap();
    assert_eq!(details.entries.len(), 1);
    assert!(details.entries[0]
        .connection_string
        .as_deref()
        .unwrap()
        .ends_with(";EntityPath=t1"));
    assert_service_error(
        c.get_topic_connection_details(ns, "nope").await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn hubs_and_relays_that_do_not_exist_are_404() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-hubs";
    namespace(&c, ns).await;
    assert_service_error(
        c.get_notification_hub_connection_details(ns, "hub").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_relay_connection_details(ns, "relay").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_supported_metrics_notification_hub(ns, "hub").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_metrics_rollups_notification_hub(ns, "hub", "incoming")
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_metrics_data_notification_hub(ns, "hub", "incoming", "PT5M")
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_supported_metrics_relay(ns, "relay").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_metrics_rollups_relay(ns, "relay", "listeners.active")
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_metrics_data_relay(ns, "relay", "listeners.active", "PT5M")
            .await,
        404,
        "ResourceNotFound",
    );
    // Missing namespace: 404 too.
    assert_service_error(
        c.get_relay_connection_details("asm-sb-absent", "relay")
            .await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn queue_and_topic_metrics() {
    let (_emu, c) = start().await;
    let ns = "asm-sb-metrics";
    namespace(&c, ns).await;
    assert_service_error(
        c.get_supported_metrics_queue(ns, "q").await,
        404,
        "ResourceNotFound",
    );
    c.create_queue(ns, "q", &QueueDescription::default())
        .await
        .unwrap();
    c.create_topic(ns, "t", &TopicDescription::default())
        .await
        .unwrap();

    let metrics = c.get_supported_metrics_queue(ns, "q").await.unwrap();
    let names: Vec<&str> = metrics
        .contents()
        .filter_map(|m| m.name.as_deref())
        .collect();
    assert!(
        names.contains(&"incoming") && names.contains(&"size"),
        "{names:?}"
    );
    assert!(metrics
        .contents()
        .all(|m| m.unit.is_some() && m.display_name.is_some() && m.primary_aggregation.is_some()));
    let topic_metrics = c.get_supported_metrics_topic(ns, "t").await.unwrap();
    assert_eq!(topic_metrics.entries.len(), metrics.entries.len());

    let rollups = c
        .get_metrics_rollups_queue(ns, "q", "incoming")
        .await
        .unwrap();
    let grains: Vec<&str> = rollups
        .contents()
        .filter_map(|r| r.time_grain.as_deref())
        .collect();
    assert_eq!(grains, ["PT5M", "PT1H", "P1D", "P7D"]);
    assert!(rollups.contents().all(|r| r.retention.is_some()));
    assert_eq!(
        c.get_metrics_rollups_topic(ns, "t", "incoming")
            .await
            .unwrap()
            .entries
            .len(),
        4
    );
    assert_service_error(
        c.get_metrics_rollups_queue(ns, "q", "no.such.metric").await,
        404,
        "ResourceNotFound",
    );

    let values = c
        .get_metrics_data_queue(ns, "q", "incoming", "PT1H")
        .await
        .unwrap();
    let v: Vec<&MetricValues> = values.contents().collect();
    assert_eq!(v.len(), 12);
    // Oldest first, one grain apart, each value within its bounds.
    for w in v.windows(2) {
        let (a, b) = (w[0].timestamp.unwrap(), w[1].timestamp.unwrap());
        assert_eq!(b.unix() - a.unix(), 3600);
    }
    for x in &v {
        let (min, max, avg) = (x.min.unwrap(), x.max.unwrap(), x.average.unwrap());
        assert!(min as f64 <= avg && avg <= max as f64, "{x:?}");
        assert_eq!(x.timestamp.unwrap().unix() % 3600, 0);
    }
    // Deterministic: the same read gives the same values.
    let again = c
        .get_metrics_data_queue(ns, "q", "incoming", "PT1H")
        .await
        .unwrap();
    assert_eq!(values.into_contents(), again.into_contents());
    // Each entity has its own series.
    let topic = c
        .get_metrics_data_topic(ns, "t", "incoming", "PT1H")
        .await
        .unwrap();
    assert_eq!(topic.entries.len(), 12);

    assert_service_error(
        c.get_metrics_data_queue(ns, "q", "incoming", "PT2M").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_metrics_data_topic(ns, "t", "nope", "PT5M").await,
        404,
        "ResourceNotFound",
    );
}

// ---------------------------------------------------------------------------
// Scheduler
// ---------------------------------------------------------------------------

fn property<'a>(p: &'a ResourceProviderProperties, key: &str) -> Option<&'a str> {
    p.resource_provider_property
        .iter()
        .find(|x| x.key.as_deref() == Some(key))
        .and_then(|x| x.value.as_deref())
}

#[tokio::test]
async fn scheduler_resource_provider_registration() {
    let (_emu, c) = start().await;
    let props = c
        .get_scheduler_resource_provider_properties()
        .await
        .unwrap();
    assert_eq!(property(&props, "plans"), Some("Free,Standard,Premium"));
    assert_eq!(property(&props, "free:MaxJobCount"), Some("5"));
    assert_eq!(property(&props, "registered"), Some("false"));

    // Nothing to unregister yet.
    assert_service_error(
        c.unregister_scheduler_resource_provider().await,
        400,
        "BadRequest",
    );
    c.register_scheduler_resource_provider().await.unwrap();
    // Registering again is harmless.
    c.register_scheduler_resource_provider().await.unwrap();
    let props = c
        .get_scheduler_resource_provider_properties()
        .await
        .unwrap();
    assert_eq!(property(&props, "registered"), Some("true"));

    // Not while a job collection exists.
    collection_with_jobs(&c, &[]).await;
    assert_service_error(
        c.unregister_scheduler_resource_provider().await,
        409,
        "ConflictError",
    );
    c.delete_job_collection("cs", "jobs")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.unregister_scheduler_resource_provider().await.unwrap();
    let props = c
        .get_scheduler_resource_provider_properties()
        .await
        .unwrap();
    assert_eq!(property(&props, "registered"), Some("false"));
}

#[tokio::test]
async fn entitle_resource_is_accepted_and_completes() {
    let (_emu, c) = start().await;
    let body = EntitleResource {
        resource_provider_name_space: "scheduler".into(),
        type_: "JobCollections".into(),
        registration_date: DateTime::now(),
    };
    c.entitle_resource(&body)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let bad = EntitleResource {
        resource_provider_name_space: " ".into(),
        ..body
    };
    assert_service_error(c.entitle_resource(&bad).await, 400, "BadRequest");
}

fn job(start: DateTime, recurrence: Option<JobRecurrence>) -> JobInput {
    JobInput {
        start_time: Some(start),
        action: JobAction {
            type_: JobActionType::Https,
            request: Some(JobHttpRequest {
                uri: "https://example.invalid/ping".into(),
                method: "GET".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        recurrence,
    }
}

/// A cloud service `cs` with the job collection `jobs` holding `jobs`.
async fn collection_with_jobs(c: &Client, jobs: &[(&str, JobInput)]) {
    c.create_cloud_service(
        "cs",
        &CreateCloudServiceInput {
            label: "label".into(),
            geo_region: "West Europe".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
    c.create_job_collection("cs", "jobs", &Default::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    for (id, j) in jobs {
        c.create_or_update_job("cs", "jobs", id, j).await.unwrap();
    }
}

fn ago(minutes: i64) -> DateTime {
    DateTime::from_unix(DateTime::now().unix() - minutes * 60).unwrap()
}

#[tokio::test]
async fn all_jobs_of_a_collection_change_state() {
    let (_emu, c) = start().await;
    let disable = JobCollectionJobsStateInput {
        state: JobState::Disabled,
    };
    assert_service_error(
        c.update_job_collection_jobs_state("cs", "jobs", &disable)
            .await,
        404,
        "ResourceNotFound",
    );
    collection_with_jobs(&c, &[("a", job(ago(1), None)), ("b", job(ago(2), None))]).await;
    let jobs = c
        .update_job_collection_jobs_state("cs", "jobs", &disable)
        .await
        .unwrap();
    let ids: Vec<_> = jobs.iter().filter_map(|j| j.id.clone()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(jobs.iter().all(|j| j.state == Some(JobState::Disabled)));
    for id in ["a", "b"] {
        assert_eq!(
            c.get_job("cs", "jobs", id).await.unwrap().state,
            Some(JobState::Disabled)
        );
    }
    let jobs = c
        .update_job_collection_jobs_state(
            "cs",
            "jobs",
            &JobCollectionJobsStateInput {
                state: JobState::Enabled,
            },
        )
        .await
        .unwrap();
    assert!(jobs.iter().all(|j| j.state == Some(JobState::Enabled)));
    assert_service_error(
        c.update_job_collection_jobs_state(
            "cs",
            "jobs",
            &JobCollectionJobsStateInput {
                state: JobState::Faulted,
            },
        )
        .await,
        400,
        "BadRequest",
    );
}

#[tokio::test]
async fn job_history_follows_start_and_recurrence() {
    let (_emu, c) = start().await;
    let every_5_min = |count: Option<i32>| {
        Some(JobRecurrence {
            frequency: Some(RecurrenceFrequency::Minute),
            interval: Some(5),
            count,
            ..Default::default()
        })
    };
    collection_with_jobs(
        &c,
        &[
            ("once", job(ago(3), None)),
            ("later", job(ago(-30), None)),
            ("every5", job(ago(12), every_5_min(None))),
            ("twice", job(ago(12), every_5_min(Some(2)))),
        ],
    )
    .await;
    let none = GetJobHistoryOptions::default();

    let once = c
        .get_job_history("cs", "jobs", "once", &none)
        .await
        .unwrap();
    assert_eq!(once.len(), 1);
    assert_eq!(once[0].job_id.as_deref(), Some("once"));
    assert_eq!(once[0].status, Some(JobHistoryStatus::Completed));
    assert_eq!(once[0].action_name, Some(JobHistoryActionName::MainAction));
    assert!(once[0]
        .message
        .as_deref()
        .unwrap()
        .contains("example.invalid"));

    assert!(c
        .get_job_history("cs", "jobs", "later", &none)
        .await
        .unwrap()
        .is_empty());

    // Runs 12, 7 and 2 minutes ago, newest first.
    let runs = c
        .get_job_history("cs", "jobs", "every5", &none)
        .await
        .unwrap();
    assert_eq!(runs.len(), 3, "{runs:?}");
    let starts: Vec<i64> = runs.iter().map(|r| r.start_time.unwrap().unix()).collect();
    assert!(starts[0] > starts[1] && starts[1] > starts[2]);
    assert_eq!(starts[0] - starts[1], 300);
    assert_eq!(runs[0].repeat_count, Some(3));
    // Deterministic.
    assert_eq!(
        c.get_job_history("cs", "jobs", "every5", &none)
            .await
            .unwrap(),
        runs
    );

    // The recurrence count bounds the runs.
    assert_eq!(
        c.get_job_history("cs", "jobs", "twice", &none)
            .await
            .unwrap()
            .len(),
        2
    );

    // Paging and filtering.
    let page = c
        .get_job_history(
            "cs",
            "jobs",
            "every5",
            &GetJobHistoryOptions {
                skip: Some(1),
                top: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(page, runs[1..2]);
    let failed = c
        .get_job_history(
            "cs",
            "jobs",
            "every5",
            &GetJobHistoryOptions {
                filter: Some("status eq Failed".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(failed.is_empty());
    assert_service_error(
        c.get_job_history(
            "cs",
            "jobs",
            "every5",
            &GetJobHistoryOptions {
                filter: Some("bogus".into()),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.get_job_history("cs", "jobs", "nope", &none).await,
        404,
        "ResourceNotFound",
    );
}

// ---------------------------------------------------------------------------
// Effective routes of a role instance
// ---------------------------------------------------------------------------

const NETCFG: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?><NetworkConfiguration xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\"><VirtualNetworkConfiguration><VirtualNetworkSites><VirtualNetworkSite name=\"vnet-a\" Location=\"West US\"><AddressSpace><AddressPrefix>10.0.0.0/16</AddressPrefix></AddressSpace><Subnets><Subnet name=\"front\"><AddressPrefix>10.0.1.0/24</AddressPrefix></Subnet></Subnets></VirtualNetworkSite></VirtualNetworkSites></VirtualNetworkConfiguration></NetworkConfiguration>";

fn routes_of(
    t: &EffectiveRouteTable,
) -> Vec<(
    azure_asm::CompactString,
    azure_asm::CompactString,
    String,
    azure_asm::CompactString,
)> {
    t.effective_route_list
        .iter()
        .map(|r| {
            (
                r.source.clone().unwrap_or_default(),
                r.status.clone().unwrap_or_default(),
                r.address_prefixes.join(","),
                r.effective_next_hop
                    .as_ref()
                    .and_then(|h| h.type_.clone())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

#[tokio::test]
async fn effective_routes_of_a_role_instance() {
    let (_emu, c) = start().await;
    c.set_network_configuration(&TextDocument::from_text(NETCFG))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.create_hosted_service(&CreateHostedService {
        service_name: "rt-svc".into(),
        label: "rt-svc".into(),
        location: Some("West US".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    assert_service_error(
        c.get_effective_route_table_for_role_instance("rt-svc", "dep", "vm1")
            .await,
        404,
        "ResourceNotFound",
    );
    let role = Role {
        role_name: "vm1".into(),
        role_type: Some("PersistentVMRole".into()),
        configuration_sets: vec![ConfigurationSet {
            configuration_set_type: ConfigurationSetType::NetworkConfiguration,
            subnet_names: vec!["front".into()],
            network_interfaces: vec![NetworkInterface {
                name: "nic1".into(),
                ip_configurations: vec![IPConfiguration {
                    subnet_name: Some("front".into()),
                    ..Default::default()
                }],
                ..Default::default()
            }],
            ..Default::default()
        }],
        os_virtual_hard_disk: Some(OSVirtualHardDisk {
            media_link: Some("https://acct.blob.core.windows.net/vhds/vm1-os.vhd".into()),
            source_image_name: Some(
                "a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2012-R2".into(),
            ),
            ..Default::default()
        }),
        role_size: Some("Small".into()),
        ..Default::default()
    };
    c.create_virtual_machine_deployment(
        "rt-svc",
        &CreateVirtualMachineDeploymentInput {
            name: "dep".into(),
            deployment_slot: DeploymentSlot::Production,
            label: "dep".into(),
            role_list: vec![role],
            virtual_network_name: Some("vnet-a".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();

    // System routes only: the virtual network's space, the Internet, and
    // the private ranges dropped.
    let t = c
        .get_effective_route_table_for_role_instance("rt-svc", "dep", "vm1")
        .await
        .unwrap();
    let routes = routes_of(&t);
    assert!(routes.contains(&(
        "Default".into(),
        "Active".into(),
        "10.0.0.0/16".into(),
        "VNETLocal".into()
    )));
    assert!(routes.contains(&(
        "Default".into(),
        "Active".into(),
        "0.0.0.0/0".into(),
        "Internet".into()
    )));
    assert!(routes.iter().all(|r| r.0 == "Default"));

    // A route table on the subnet adds its routes; its default route
    // replaces the system one.
    c.create_route_table(&CreateRouteTableParameters {
        name: Some("rt1".into()),
        label: None,
        location: Some("West US".into()),
    })
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
    c.set_route(
        "rt1",
        "to-fw",
        &SetRouteParameters {
            name: Some("to-fw".into()),
            address_prefix: Some("0.0.0.0/0".into()),
            next_hop_type: Some(RouteNextHop {
                type_: Some(RouteNextHopType::VirtualAppliance),
                ip_address: Some("10.0.1.4".into()),
            }),
        },
    )
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
    c.add_route_table_to_subnet(
        "vnet-a",
        "front",
        &RouteTableAssociation {
            route_table_name: Some("rt1".into()),
        },
    )
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
    let t = c
        .get_effective_route_table_for_role_instance("rt-svc", "dep", "vm1")
        .await
        .unwrap();
    let routes = routes_of(&t);
    assert!(routes.contains(&(
        "Default".into(),
        "Invalid".into(),
        "0.0.0.0/0".into(),
        "Internet".into()
    )));
    let user: Vec<&EffectiveRoute> = t
        .effective_route_list
        .iter()
        .filter(|r| r.source.as_deref() == Some("User"))
        .collect();
    assert_eq!(user.len(), 1, "{routes:?}");
    assert_eq!(user[0].name.as_deref(), Some("to-fw"));
    assert_eq!(user[0].status.as_deref(), Some("Active"));
    let hop = user[0].effective_next_hop.as_ref().unwrap();
    assert_eq!(hop.type_.as_deref(), Some("VirtualAppliance"));
    assert_eq!(hop.ip_addresses, ["10.0.1.4"]);

    // The second interface is on the same subnet: the same routes.
    let nic = c
        .get_effective_route_table_for_network_interface("rt-svc", "dep", "vm1", "nic1")
        .await
        .unwrap();
    assert_eq!(routes_of(&nic), routes);

    // Missing instance, missing interface.
    assert_service_error(
        c.get_effective_route_table_for_role_instance("rt-svc", "dep", "vm9")
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_effective_route_table_for_network_interface("rt-svc", "dep", "vm1", "nic9")
            .await,
        404,
        "ResourceNotFound",
    );
}

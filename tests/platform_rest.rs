//! Platform services through the generated client against the emulator over
//! mutual TLS (emulator/src/platform.rs): web site slot swaps polled with
//! Get Web Site Operation on the site, Store add-ons in a cloud service
//! (asynchronous create, update and delete, shown with their provisioning
//! state in the cloud service's Resources), the monitoring metrics
//! (definitions, settings, synthetic values for the requested time grain
//! and window; required query parameters), alert rules, incidents and
//! autoscale settings, scheduler jobs (JSON) and HDInsight clusters.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, cloud_service_input, start_with};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with_delay(Duration::from_millis(300)).await
}

/// For tests that look at an operation while it is in progress: a window
/// wide enough for a loaded machine (a CI run once took more than 300 ms
/// from the 202 to the next request).
async fn start_slow() -> (RunningEmulator, Client) {
    start_with_delay(Duration::from_millis(1000)).await
}

async fn start_with_delay(delay: Duration) -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = delay,
        |client| client.retry_policy(RetryPolicy::none()),
    )
    .await
}

fn fast() -> PollOptions {
    PollOptions {
        initial_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(100),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------
// Web site slot swaps
// ---------------------------------------------------------------------------

fn site(name: &str, farm: &str) -> CreateSiteInput {
    CreateSiteInput {
        host_names: vec![format!("{name}.azurewebsites.net").into()],
        name: name.into(),
        compute_mode: Some(WebComputeMode::Dedicated),
        server_farm: Some(farm.into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn swapping_slots_exchanges_their_content_and_is_polled_on_the_site() {
    let (_emu, c) = start_slow().await;
    let ws = "westuswebspace";
    c.create_web_site(ws, &site("app", "farm-prod"))
        .await
        .unwrap();
    c.create_web_site(ws, &site("app(staging)", "farm-staging"))
        .await
        .unwrap();
    c.update_web_site(
        ws,
        "app(staging)",
        &Site {
            name: "app(staging)".into(),
            state: Some(WebSiteState::Stopped),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // The swap answers an Operation whose ID is polled with Get Web Site
    // Operation on `app` (the site, not `app(staging)`).
    let op = c
        .swap_web_site_slots(ws, "app", "staging", "production")
        .await
        .unwrap();
    let id = op.request_id().to_owned();
    assert!(!id.is_empty());
    let first = c.get_web_site_operation(ws, "app", &id).await.unwrap();
    assert_eq!(first.status, Some(WebSiteOperationStatus::InProgress));
    assert_eq!(first.name.as_deref(), Some("SwapWebSiteSlots"));
    // Another site does not know the operation.
    assert_service_error(
        c.get_web_site_operation(ws, "other", &id).await,
        404,
        "ResourceNotFound",
    );
    op.wait_with(fast(), |_| {}).await.unwrap();
    let done = c.get_web_site_operation(ws, "app", &id).await.unwrap();
    assert_eq!(done.status, Some(WebSiteOperationStatus::Succeeded));

    let prod = c
        .get_web_site(ws, "app", &Default::default())
        .await
        .unwrap();
    let staging = c
        .get_web_site(ws, "app(staging)", &Default::default())
        .await
        .unwrap();
    assert_eq!(prod.server_farm.as_deref(), Some("farm-staging"));
    assert_eq!(prod.state, Some(WebSiteState::Stopped));
    assert_eq!(staging.server_farm.as_deref(), Some("farm-prod"));
    assert_eq!(staging.state, Some(WebSiteState::Running));
    // What names the slot stays with it.
    assert_eq!(prod.name, "app");
    assert_eq!(prod.host_names, vec!["app.azurewebsites.net".to_owned()]);
    assert_eq!(staging.name, "app(staging)");
    // The site's Name is not drawn into a nested struct (the service sends
    // HostingEnvironmentProfile nil).
    assert!(prod.hosting_environment_profile.is_none(), "{prod:?}");

    // A missing slot is a 404; a slot swapped with itself a 400.
    assert_service_error(
        c.swap_web_site_slots(ws, "app", "nope", "production").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.swap_web_site_slots(ws, "app", "staging", "staging").await,
        400,
        "BadRequest",
    );
}

// ---------------------------------------------------------------------------
// Store add-ons
// ---------------------------------------------------------------------------

fn addon(plan: &str) -> StoreItemInput {
    StoreItemInput {
        type_: "sendgrid_azure".into(),
        plan: plan.into(),
        promotion_code: None,
    }
}

/// The add-ons of a cloud service as its read shows them:
/// (namespace, type, name, plan, state, operation type, result).
async fn addons(c: &Client, cs: &str) -> Vec<[String; 7]> {
    let got = c.get_cloud_service(cs).await.unwrap();
    got.resources
        .iter()
        .filter(|r| r.resource_provider_namespace.as_deref() != Some("scheduler"))
        .map(|r| {
            let s =
                |v: &Option<azure_asm::CompactString>| v.as_deref().unwrap_or_default().to_owned();
            let op = r.operation_status.clone().unwrap_or_default();
            [
                s(&r.resource_provider_namespace),
                s(&r.type_),
                s(&r.name),
                s(&r.plan),
                s(&r.state),
                s(&op.type_),
                s(&op.result),
            ]
        })
        .collect()
}

#[tokio::test]
async fn a_store_add_on_is_created_updated_and_deleted_in_its_cloud_service() {
    let (_emu, c) = start_slow().await;
    // No cloud service: 404.
    assert_service_error(
        c.create_store_item("cs1", "sendgrid_azure", "sendgrid", "mail", &addon("free"))
            .await,
        404,
        "ResourceNotFound",
    );
    c.create_cloud_service("cs1", &cloud_service_input())
        .await
        .unwrap()
        .wait_with(fast(), |_| {})
        .await
        .unwrap();
    assert!(addons(&c, "cs1").await.is_empty());

    let op = c
        .create_store_item("cs1", "sendgrid_azure", "sendgrid", "mail", &addon("free"))
        .await
        .unwrap();
    let s = |v: &[&str]| v.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        addons(&c, "cs1").await[0].to_vec(),
        s(&[
            "sendgrid_azure",
            "sendgrid",
            "mail",
            "free",
            "Provisioning",
            "Create",
            "InProgress"
        ])
    );
    // An operation in progress refuses another.
    assert_service_error(
        c.update_store_item(
            "cs1",
            "sendgrid_azure",
            "sendgrid",
            "mail",
            &addon("bronze"),
        )
        .await,
        409,
        "ConflictError",
    );
    op.wait_with(fast(), |_| {}).await.unwrap();
    assert_eq!(
        addons(&c, "cs1").await[0].to_vec(),
        s(&[
            "sendgrid_azure",
            "sendgrid",
            "mail",
            "free",
            "Started",
            "Create",
            "Succeeded"
        ])
    );

    // The body's Type must be the URI's resource type.
    assert_service_error(
        c.create_store_item("cs1", "other_ns", "sendgrid", "mail2", &addon("free"))
            .await,
        400,
        "BadRequest",
    );

    // Update (the same PUT, with If-Match: *) changes the plan.
    c.update_store_item(
        "cs1",
        "sendgrid_azure",
        "sendgrid",
        "mail",
        &addon("bronze"),
    )
    .await
    .unwrap()
    .wait_with(fast(), |_| {})
    .await
    .unwrap();
    assert_eq!(
        addons(&c, "cs1").await[0].to_vec(),
        s(&[
            "sendgrid_azure",
            "sendgrid",
            "mail",
            "bronze",
            "Started",
            "Update",
            "Succeeded"
        ])
    );

    // Job collections and add-ons share the Resources list.
    c.create_job_collection(
        "cs1",
        "jobs",
        &CreateJobCollectionInput {
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .wait_with(fast(), |_| {})
    .await
    .unwrap();
    let all = c.get_cloud_service("cs1").await.unwrap().resources;
    assert_eq!(all.len(), 2, "{all:?}");

    // Delete: Deleting, then gone; a second delete of a missing one is 404.
    let del = c
        .delete_store_item("cs1", "sendgrid_azure", "sendgrid", "mail")
        .await
        .unwrap();
    assert_eq!(addons(&c, "cs1").await[0][4], "Deleting");
    del.wait_with(fast(), |_| {}).await.unwrap();
    assert!(addons(&c, "cs1").await.is_empty());
    assert_service_error(
        c.delete_store_item("cs1", "sendgrid_azure", "sendgrid", "mail")
            .await,
        404,
        "ResourceNotFound",
    );

    // Add-ons go with their cloud service.
    c.create_store_item("cs1", "sendgrid_azure", "sendgrid", "mail3", &addon("free"))
        .await
        .unwrap()
        .wait_with(fast(), |_| {})
        .await
        .unwrap();
    c.delete_cloud_service("cs1")
        .await
        .unwrap()
        .wait_with(fast(), |_| {})
        .await
        .unwrap();
    c.create_cloud_service("cs1", &cloud_service_input())
        .await
        .unwrap()
        .wait_with(fast(), |_| {})
        .await
        .unwrap();
    assert!(addons(&c, "cs1").await.is_empty());
}

// ---------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------

const ROLE: &str = "/hostedservices/svc/deployments/dep/roles/web";

#[tokio::test]
async fn metric_definitions_settings_and_values() {
    let (_emu, c) = start().await;

    let all = c
        .list_metric_definitions(ROLE, &Default::default())
        .await
        .unwrap();
    assert!(all.value.len() >= 3, "{all:?}");
    let cpu = all
        .value
        .iter()
        .find(|d| d.name.as_deref() == Some("Percentage CPU"))
        .expect("CPU is defined");
    assert_eq!(cpu.unit.as_deref(), Some("Percent"));
    assert!(cpu
        .metric_availabilities
        .iter()
        .any(|a| a.time_grain.as_deref() == Some("PT5M")));
    let some = c
        .list_metric_definitions(
            ROLE,
            &ListMetricDefinitionsOptions {
                names: Some("Network In,Network Out".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(some.value.len(), 2);
    assert_service_error(
        c.list_metric_definitions("", &Default::default()).await,
        400,
        "BadRequest",
    );

    // Settings: none, then the one put.
    let ns = "WindowsAzure.Availability";
    assert!(c
        .list_metric_settings(ROLE, ns)
        .await
        .unwrap()
        .value
        .is_empty());
    c.put_metric_settings(&MetricSetting {
        resource_id: Some(ROLE.into()),
        namespace: Some(ns.into()),
        value: Some(MetricSettingValue {
            odata_type: Some(
                "Microsoft.WindowsAzure.Management.Monitoring.Metrics.Models.AvailabilityMetricSettingValue"
                    .into(),
            ),
            available_locations: vec![NameConfig {
                name: Some("us-east".into()),
                display_name: Some("East US".into()),
            }],
            endpoints: vec![EndpointConfig {
                config_id: Some("1".into()),
                name: Some("home".into()),
                location: Some("us-east".into()),
                url: Some("https://example.invalid/".into()),
            }],
        }),
    })
    .await
    .unwrap();
    let settings = c.list_metric_settings(ROLE, ns).await.unwrap();
    assert_eq!(settings.value.len(), 1);
    let v = settings.value[0].value.as_ref().unwrap();
    assert_eq!(v.endpoints[0].name.as_deref(), Some("home"));
    assert!(c
        .list_metric_settings(ROLE, "Other")
        .await
        .unwrap()
        .value
        .is_empty());

    // Values: one sample per time grain in [start, end), deterministic.
    let start: DateTime = "2024-05-01T00:00:00Z".parse().unwrap();
    let end: DateTime = "2024-05-01T01:00:00Z".parse().unwrap();
    let read = |grain: &'static str| {
        let c = c.clone();
        async move {
            c.list_metric_values(
                ROLE,
                "Percentage CPU,Network In",
                grain,
                start,
                end,
                &Default::default(),
            )
            .await
        }
    };
    let five = read("PT5M").await.unwrap();
    assert_eq!(five.value.len(), 2);
    let cpu = &five.value[0];
    assert_eq!(cpu.name.as_deref(), Some("Percentage CPU"));
    assert_eq!(cpu.time_grain.as_deref(), Some("PT5M"));
    assert_eq!(cpu.metric_values.len(), 12);
    assert_eq!(cpu.metric_values[0].timestamp, Some(start));
    assert_eq!(
        cpu.metric_values[1].timestamp,
        Some("2024-05-01T00:05:00Z".parse().unwrap())
    );
    for s in &cpu.metric_values {
        let (lo, avg, hi) = (s.minimum.unwrap(), s.average.unwrap(), s.maximum.unwrap());
        assert!(lo <= avg && avg <= hi, "{s:?}");
        assert_eq!(s.count, Some(10));
    }
    assert_eq!(read("PT5M").await.unwrap(), five, "deterministic");
    assert_eq!(read("PT1H").await.unwrap().value[0].metric_values.len(), 1);
    assert_eq!(read("PT15M").await.unwrap().value[1].metric_values.len(), 4);

    // Bad input: a grain that is not a duration, an empty window, no names.
    assert_service_error(read("5 minutes").await, 400, "BadRequest");
    assert_service_error(
        c.list_metric_values(
            ROLE,
            "Percentage CPU",
            "PT5M",
            end,
            start,
            &Default::default(),
        )
        .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.list_metric_values(ROLE, ",", "PT5M", start, end, &Default::default())
            .await,
        400,
        "BadRequest",
    );
}

// ---------------------------------------------------------------------------
// Scheduler jobs (JSON)
// ---------------------------------------------------------------------------

#[tokio::test]
async fn scheduler_jobs_are_created_read_listed_and_deleted() {
    let (_emu, c) = start().await;
    c.create_cloud_service("cs", &cloud_service_input())
        .await
        .unwrap()
        .wait_with(fast(), |_| {})
        .await
        .unwrap();
    let job = JobInput {
        start_time: None,
        action: JobAction {
            type_: JobActionType::Https,
            request: Some(JobHttpRequest {
                uri: "https://example.invalid/ping".into(),
                method: "GET".into(),
                ..Default::default()
            }),
            ..Default::default()
        },
        recurrence: None,
    };
    // No job collection: 404.
    assert_service_error(
        c.create_or_update_job("cs", "jobs", "ping", &job).await,
        404,
        "ResourceNotFound",
    );
    c.create_job_collection("cs", "jobs", &Default::default())
        .await
        .unwrap()
        .wait_with(fast(), |_| {})
        .await
        .unwrap();
    let created = c
        .create_or_update_job("cs", "jobs", "ping", &job)
        .await
        .unwrap();
    assert_eq!(created.id.as_deref(), Some("ping"));
    assert_eq!(created.state, Some(JobState::Enabled));
    let auto = c.create_job("cs", "jobs", &job).await.unwrap();
    let auto_id = auto.id.clone().unwrap();
    assert_ne!(auto_id, "ping");
    let got = c.get_job("cs", "jobs", "ping").await.unwrap();
    assert_eq!(
        got.action.unwrap().request.unwrap().uri,
        "https://example.invalid/ping"
    );
    let list = c
        .list_jobs("cs", "jobs", &Default::default())
        .await
        .unwrap();
    assert_eq!(list.len(), 2);
    let disabled = c
        .update_job_state(
            "cs",
            "jobs",
            "ping",
            &JobStateInput {
                state: JobState::Disabled,
                state_details: None,
            },
        )
        .await
        .unwrap();
    assert_eq!(disabled.state, Some(JobState::Disabled));
    let enabled = c
        .list_jobs(
            "cs",
            "jobs",
            &ListJobsOptions {
                filter: Some("state eq Enabled".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(enabled.len(), 1);
    assert_eq!(enabled[0].id.as_deref(), Some(auto_id.as_str()));
    c.delete_job("cs", "jobs", "ping").await.unwrap();
    assert_service_error(
        c.get_job("cs", "jobs", "ping").await,
        404,
        "ResourceNotFound",
    );
    // An Https action needs its request.
    let bad = JobInput {
        action: JobAction {
            type_: JobActionType::Https,
            ..Default::default()
        },
        ..job.clone()
    };
    assert_service_error(
        c.create_or_update_job("cs", "jobs", "bad", &bad).await,
        400,
        "BadRequest",
    );
}

// ---------------------------------------------------------------------------
// HDInsight clusters
// ---------------------------------------------------------------------------

const PAYLOAD: &str = r#"<ClusterCreateParameters xmlns="http://schemas.microsoft.com/hdinsight/2014/05/management"><DnsName>hdi1</DnsName><Location>West Europe</Location></ClusterCreateParameters>"#;

#[tokio::test]
async fn hdinsight_clusters_are_created_read_listed_and_deleted() {
    let (_emu, c) = start().await;
    let op = c
        .create_hd_insight_cluster("hdics", "hdi1", PAYLOAD)
        .await
        .unwrap();
    let first = c.get_hd_insight_cluster("hdics", "hdi1").await.unwrap();
    assert_eq!(
        first.data.as_ref().unwrap().state.as_deref(),
        Some("Accepted")
    );
    op.wait_with(fast(), |_| {}).await.unwrap();
    let running = c.get_hd_insight_cluster("hdics", "hdi1").await.unwrap();
    let d = running.data.unwrap();
    assert_eq!(d.state.as_deref(), Some("Running"));
    assert_eq!(d.location.as_deref(), Some("West Europe"));
    assert_service_error(
        c.create_hd_insight_cluster("hdics", "hdi1", PAYLOAD).await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.create_hd_insight_cluster("hdics", "hdi2", "not xml")
            .await,
        400,
        "BadRequest",
    );
    let list = c.list_hd_insight_clusters().await.unwrap();
    assert_eq!(list.cloud_service.len(), 1);
    assert_eq!(
        list.cloud_service[0].resources[0].name.as_deref(),
        Some("hdi1")
    );
    c.delete_hd_insight_cluster("hdics", "hdi1")
        .await
        .unwrap()
        .wait_with(fast(), |_| {})
        .await
        .unwrap();
    assert_service_error(
        c.get_hd_insight_cluster("hdics", "hdi1").await,
        404,
        "ResourceNotFound",
    );
}

// ---------------------------------------------------------------------------
// Alert rules, incidents and autoscale settings (JSON)
// ---------------------------------------------------------------------------

fn rule(name: &str) -> AlertRule {
    AlertRule {
        id: None,
        name: Some(name.into()),
        description: Some("CPU above 80%".into()),
        is_enabled: Some(true),
        condition: Some(AlertRuleCondition {
            odata_type: Some(
                "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.ThresholdRuleCondition"
                    .into(),
            ),
            data_source: Some(AlertRuleDataSource {
                odata_type: Some(
                    "Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.RuleMetricDataSource"
                        .into(),
                ),
                resource_id: Some(ROLE.into()),
                metric_namespace: Some(String::new().into()),
                metric_name: Some("Percentage CPU".into()),
            }),
            operator: Some(ConditionOperator::GreaterThan),
            threshold: Some(80.0),
            window_size: Some("PT5M".into()),
        }),
        actions: Vec::new(),
        last_updated_time: None,
    }
}

#[tokio::test]
async fn alert_rules_and_autoscale_settings_are_kept() {
    let (_emu, c) = start().await;
    assert!(c.list_alert_rules().await.unwrap().value.is_empty());
    c.create_or_update_alert_rule("r1", &rule("High CPU"))
        .await
        .unwrap();
    let got = c.get_alert_rule("r1").await.unwrap();
    assert_eq!(got.id.as_deref(), Some("r1"));
    assert_eq!(got.name.as_deref(), Some("High CPU"));
    assert!(got.last_updated_time.is_some());
    assert_eq!(
        got.condition
            .unwrap()
            .data_source
            .unwrap()
            .metric_name
            .as_deref(),
        Some("Percentage CPU")
    );
    c.create_or_update_alert_rule("r1", &rule("Very high CPU"))
        .await
        .unwrap();
    let list = c.list_alert_rules().await.unwrap().value;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name.as_deref(), Some("Very high CPU"));
    // No metric data reaches the emulator: no incidents.
    assert!(c
        .list_alert_incidents_for_rule("r1", &Default::default())
        .await
        .unwrap()
        .value
        .is_empty());
    assert!(c
        .list_active_alert_incidents()
        .await
        .unwrap()
        .value
        .is_empty());
    assert_service_error(c.get_alert_incident("i1").await, 404, "ResourceNotFound");
    // Bad input and missing rules.
    let mut nameless = rule("x");
    nameless.name = None;
    assert_service_error(
        c.create_or_update_alert_rule("r2", &nameless).await,
        400,
        "BadRequest",
    );
    let mut other_id = rule("x");
    other_id.id = Some("r9".into());
    assert_service_error(
        c.create_or_update_alert_rule("r2", &other_id).await,
        400,
        "BadRequest",
    );
    c.delete_alert_rule("r1").await.unwrap();
    assert_service_error(c.get_alert_rule("r1").await, 404, "ResourceNotFound");
    assert_service_error(c.delete_alert_rule("r1").await, 404, "ResourceNotFound");
    assert_service_error(
        c.list_alert_incidents_for_rule("r1", &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );

    // Autoscale: one setting per resource.
    let setting = |min: &str, max: &str| AutoscaleSetting {
        profiles: vec![AutoscaleProfile {
            name: Some("default".into()),
            capacity: Some(ScaleCapacity {
                minimum: Some(min.into()),
                maximum: Some(max.into()),
                default: Some(min.into()),
            }),
            ..Default::default()
        }],
        enabled: Some(true),
    };
    assert_service_error(c.get_autoscale_setting(ROLE).await, 404, "ResourceNotFound");
    c.create_or_update_autoscale_setting(ROLE, &setting("1", "4"))
        .await
        .unwrap();
    let got = c.get_autoscale_setting(ROLE).await.unwrap();
    assert_eq!(got, setting("1", "4"));
    assert_service_error(
        c.create_or_update_autoscale_setting(ROLE, &setting("5", "4"))
            .await,
        400,
        "BadRequest",
    );
    c.delete_autoscale_setting(ROLE).await.unwrap();
    assert_service_error(c.get_autoscale_setting(ROLE).await, 404, "ResourceNotFound");
}

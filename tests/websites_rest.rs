//! The Web Sites operations beyond sites and plans, through the generated
//! client against the emulator over mutual TLS (emulator/src/websites.rs):
//! web space read, site configuration (merged on update, shown by Get Web
//! Site), slot configuration, publishing users and passwords, host name
//! availability, registration, metrics, repository, backups and hybrid
//! connections; 404 for a missing site, 409 and 400 where the service gave
//! them; secrets never in an error.

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, new_site, start_with};
use azure_asm::*;

const WS: &str = "westuswebspace";

async fn start() -> (RunningEmulator, Client) {
    start_with(|_| {}, |client| client.retry_policy(RetryPolicy::none())).await
}

async fn site(c: &Client, name: &str) {
    c.create_web_site(WS, &new_site(name)).await.unwrap();
}

fn config_of(bytes: &[u8]) -> SiteConfig {
    serde_json::from_slice(bytes).expect("a JSON SiteConfig")
}

fn setting(name: &str, value: &str) -> NameValue {
    NameValue {
        name: name.into(),
        value: Some(value.into()),
    }
}

#[tokio::test]
async fn web_space_registration_publishing_users_and_host_names() {
    let (_emu, c) = start().await;
    assert_service_error(c.get_web_space(WS).await, 404, "ResourceNotFound");
    site(&c, "hosta").await;
    let ws = c.get_web_space(WS).await.unwrap();
    assert_eq!(ws.name, WS);
    assert_eq!(ws.geo_region.as_deref(), Some("West US"));
    assert_eq!(ws.status, Some(WebSpaceStatus::Ready));

    // Host names: a bound one is unavailable (by site name or host name).
    assert!(!c.is_hostname_available("hosta").await.unwrap());
    assert!(!c.is_hostname_available("HOSTA").await.unwrap());
    assert!(c.is_hostname_available("freename").await.unwrap());
    c.delete_web_site(WS, "hosta", &Default::default())
        .await
        .unwrap();
    assert!(c.is_hostname_available("hosta").await.unwrap());

    // Registration: 202 polled to success; twice is a conflict.
    c.register_web_sites_subscription()
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.register_web_sites_subscription().await,
        409,
        "ConflictError",
    );
    c.unregister_web_sites_subscription()
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.unregister_web_sites_subscription().await,
        409,
        "ConflictError",
    );

    // Publishing users.
    assert!(c.list_publishing_users().await.unwrap().ids.is_empty());
    let secret = "S3cret-Publish-pw";
    let u = c
        .create_publishing_user(&PublishingUser {
            name: None,
            publishing_password: Some(secret.into()),
            publishing_user_name: Some("deployer1".into()),
        })
        .await
        .unwrap();
    assert_eq!(u.publishing_user_name.as_deref(), Some("deployer1"));
    assert_eq!(u.publishing_password, None, "the password is not echoed");
    assert_eq!(
        c.list_publishing_users().await.unwrap().ids,
        vec!["deployer1".to_owned()]
    );
    let msg = assert_service_error(
        c.create_publishing_user(&PublishingUser {
            name: None,
            publishing_password: Some("short".into()),
            publishing_user_name: Some("deployer1".into()),
        })
        .await,
        400,
        "BadRequest",
    );
    assert!(!msg.contains("short"));
}

#[tokio::test]
async fn configuration_is_merged_and_shown_by_the_site() {
    let (_emu, c) = start().await;
    site(&c, "cfg1").await;
    let cfg = config_of(&c.get_web_site_configuration(WS, "cfg1").await.unwrap());
    assert_eq!(cfg.php_version.as_deref(), Some("5.4"));
    assert_eq!(cfg.net_framework_version.as_deref(), Some("v4.0"));
    assert_eq!(cfg.publishing_username.as_deref(), Some("$cfg1"));
    let first_password = cfg.publishing_password.clone().expect("a password");
    assert!(cfg.app_settings.is_empty());

    let secret = "Server=tcp:x;Password=TopSecret42";
    c.update_web_site_configuration(
        WS,
        "cfg1",
        &SiteConfig {
            app_settings: vec![setting("A", "1"), setting("B", "2")],
            connection_strings: vec![ConnectionStringInfo {
                connection_string: Some(secret.into()),
                name: Some("db".into()),
                type_: Some(2),
            }],
            handler_mappings: vec![HandlerMapping {
                arguments: None,
                extension: Some("*.py".into()),
                script_processor: Some("d:\\python\\python.exe".into()),
            }],
            php_version: Some("5.5".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A second update changes only what it carries.
    c.update_web_site_configuration(
        WS,
        "cfg1",
        &SiteConfig {
            net_framework_version: Some("v2.0".into()),
            web_sockets_enabled: Some(true),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let cfg = config_of(&c.get_web_site_configuration(WS, "cfg1").await.unwrap());
    assert_eq!(cfg.php_version.as_deref(), Some("5.5"));
    assert_eq!(cfg.net_framework_version.as_deref(), Some("v2.0"));
    assert_eq!(cfg.web_sockets_enabled, Some(true));
    assert_eq!(cfg.app_settings, vec![setting("A", "1"), setting("B", "2")]);
    assert_eq!(
        cfg.connection_strings[0].connection_string.as_deref(),
        Some(secret)
    );
    assert_eq!(cfg.handler_mappings[0].extension.as_deref(), Some("*.py"));
    // Secrets are not in Debug.
    assert!(!format!("{cfg:?}").contains("TopSecret42"));

    // Get Web Site and List Web Sites show the app settings and, asked
    // for, the publishing properties.
    let s = c
        .get_web_site(
            WS,
            "cfg1",
            &GetWebSiteOptions {
                properties_to_include: Some(
                    "repositoryuri,publishingpassword,publishingusername".into(),
                ),
            },
        )
        .await
        .unwrap();
    let props = s.site_properties.expect("SiteProperties");
    let names: Vec<_> = props.app_settings.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["A", "B"]);
    let prop = |n: &str| {
        props
            .properties
            .iter()
            .find(|p| p.name == n)
            .and_then(|p| p.value.clone())
    };
    assert_eq!(prop("PublishingUsername").as_deref(), Some("$cfg1"));
    assert_eq!(
        prop("PublishingPassword").as_deref(),
        Some(first_password.as_str())
    );
    let listed = c.list_web_sites(WS, &Default::default()).await.unwrap();
    assert_eq!(
        listed.site[0]
            .site_properties
            .as_ref()
            .unwrap()
            .app_settings
            .len(),
        2
    );

    // Bad input is a 400 that does not echo secrets; a missing site is 404.
    let msg = assert_service_error(
        c.update_web_site_configuration(
            WS,
            "cfg1",
            &SiteConfig {
                connection_strings: vec![ConnectionStringInfo {
                    connection_string: Some(secret.into()),
                    name: Some("db".into()),
                    type_: Some(9),
                }],
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert!(!msg.contains("TopSecret42"));
    assert_service_error(
        c.update_web_site_configuration(
            WS,
            "cfg1",
            &SiteConfig {
                php_version: Some("9.9".into()),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.get_web_site_configuration(WS, "nosite").await,
        404,
        "ResourceNotFound",
    );

    // A new publishing password is generated: config and publish profile
    // agree on it.
    c.generate_publishing_password(WS, "cfg1").await.unwrap();
    let cfg = config_of(&c.get_web_site_configuration(WS, "cfg1").await.unwrap());
    let new_password = cfg.publishing_password.unwrap();
    assert_ne!(new_password, first_password);
    let profile = c.get_publish_profile(WS, "cfg1").await.unwrap();
    assert_eq!(
        profile.profiles[0].user_pwd.as_deref(),
        Some(new_password.as_str())
    );
    assert_service_error(
        c.generate_publishing_password(WS, "nosite").await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn slot_configuration_is_applied_and_reset() {
    let (_emu, c) = start().await;
    site(&c, "slotty").await;
    site(&c, "slotty(staging)").await;
    let names = c.get_slot_config_names(WS, "slotty").await.unwrap();
    assert!(names.app_setting_names.is_empty());
    c.update_slot_config_names(
        WS,
        "slotty",
        &SlotConfigNames {
            app_setting_names: vec!["ENV".into()],
            connection_string_names: vec![],
        },
    )
    .await
    .unwrap();
    assert_eq!(
        c.get_slot_config_names(WS, "slotty")
            .await
            .unwrap()
            .app_setting_names,
        vec!["ENV".to_owned()]
    );
    let set = |name: &'static str, env: &'static str| {
        let c = c.clone();
        async move {
            c.update_web_site_configuration(
                WS,
                name,
                &SiteConfig {
                    app_settings: vec![setting("ENV", env), setting("SHARED", name)],
                    ..Default::default()
                },
            )
            .await
            .unwrap()
        }
    };
    set("slotty", "prod").await;
    set("slotty(staging)", "stage").await;

    c.apply_slot_configuration(WS, "slotty", "staging")
        .await
        .unwrap();
    let cfg = config_of(&c.get_web_site_configuration(WS, "slotty").await.unwrap());
    let value = |cfg: &SiteConfig, n: &str| {
        cfg.app_settings
            .iter()
            .find(|a| a.name == n)
            .and_then(|a| a.value.clone())
    };
    assert_eq!(value(&cfg, "ENV").as_deref(), Some("stage"));
    assert_eq!(value(&cfg, "SHARED").as_deref(), Some("slotty"));
    // Another slot while one is applied is a conflict; a missing slot 404.
    assert_service_error(
        c.apply_slot_configuration(WS, "slotty", "missing").await,
        404,
        "ResourceNotFound",
    );
    c.reset_slot_configuration(WS, "slotty").await.unwrap();
    let cfg = config_of(&c.get_web_site_configuration(WS, "slotty").await.unwrap());
    assert_eq!(value(&cfg, "ENV").as_deref(), Some("prod"));
    assert_service_error(
        c.reset_slot_configuration(WS, "nosite").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_slot_config_names(WS, "nosite").await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn metrics_are_deterministic_within_the_window() {
    let (_emu, c) = start().await;
    site(&c, "metr").await;
    let usages = c.get_web_site_usage_metrics(WS, "metr").await.unwrap();
    assert!(usages
        .usage
        .iter()
        .any(|u| u.name.as_deref() == Some("CpuTime")));
    for u in &usages.usage {
        let v: f64 = u.current_value.as_deref().unwrap().parse().unwrap();
        let l: f64 = u.limit.as_deref().unwrap().parse().unwrap();
        assert!(v >= 0.0 && v <= l);
    }
    let start: DateTime = "2026-01-01T00:00:00Z".parse().unwrap();
    let end: DateTime = "2026-01-01T03:00:00Z".parse().unwrap();
    let options = GetWebSiteHistoricalUsageMetricsOptions {
        names: Some("CpuTime,Requests".into()),
        start_time: Some(start),
        end_time: Some(end),
        time_grain: Some("PT1H".into()),
        ..Default::default()
    };
    let m = c
        .get_web_site_historical_usage_metrics(WS, "metr", &options)
        .await
        .unwrap();
    assert_eq!(m.metric_response.len(), 2);
    let data = m.metric_response[0].data.clone().unwrap();
    assert_eq!(data.name.as_deref(), Some("CpuTime"));
    assert_eq!(data.values.len(), 3);
    for v in &data.values {
        let t = v.time_created.unwrap();
        assert!(t >= start && t < end);
    }
    let again = c
        .get_web_site_historical_usage_metrics(WS, "metr", &options)
        .await
        .unwrap();
    assert_eq!(m, again);
    assert_service_error(
        c.get_web_site_historical_usage_metrics(
            WS,
            "metr",
            &GetWebSiteHistoricalUsageMetricsOptions {
                start_time: Some(end),
                end_time: Some(start),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.get_web_site_historical_usage_metrics(WS, "nosite", &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );

    let defs = c.get_web_site_metric_definitions(WS, "metr").await.unwrap();
    assert!(defs
        .metric_definition
        .iter()
        .any(|d| d.name.as_deref() == Some("CpuTime") && !d.metric_availabilities.is_empty()));

    c.create_web_hosting_plan(
        WS,
        &ServerFarmInput {
            name: Some("plan1".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let pm = c
        .get_web_hosting_plan_historical_usage_metrics(
            WS,
            "plan1",
            &GetWebHostingPlanHistoricalUsageMetricsOptions {
                names: Some("CpuPercentage".into()),
                start_time: Some(start),
                end_time: Some(end),
                time_grain: Some("PT1H".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(pm.metric_response[0].data.as_ref().unwrap().values.len(), 3);
    assert_service_error(
        c.get_web_hosting_plan_historical_usage_metrics(WS, "noplan", &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn repository_backups_and_hybrid_connections() {
    let (_emu, c) = start().await;
    site(&c, "repo1").await;
    assert_service_error(c.get_repository(WS, "repo1").await, 404, "ResourceNotFound");
    assert_service_error(
        c.sync_repository(WS, "repo1").await,
        404,
        "ResourceNotFound",
    );
    c.create_repository(WS, "repo1").await.unwrap();
    let uri = c.get_repository(WS, "repo1").await.unwrap();
    assert_eq!(uri, "https://repo1.scm.azurewebsites.net/");
    c.sync_repository(WS, "repo1").await.unwrap();
    assert_eq!(c.delete_repository(WS, "repo1").await.unwrap(), uri);
    assert_service_error(
        c.delete_repository(WS, "repo1").await,
        404,
        "ResourceNotFound",
    );

    // Backups.
    let sas = "https://acct.blob.core.windows.net/backups?sig=SECRETSIG";
    assert_service_error(
        c.get_backup_configuration(WS, "repo1").await,
        404,
        "ResourceNotFound",
    );
    c.update_backup_configuration(
        WS,
        "repo1",
        &BackupRequest {
            backup_schedule: Some(BackupSchedule {
                frequency_interval: Some(1),
                frequency_unit: Some(BackupFrequencyUnit::Day),
                retention_period_in_days: Some(7),
                ..Default::default()
            }),
            enabled: Some(true),
            name: Some("nightly".into()),
            storage_account_url: Some(sas.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let bc = c.get_backup_configuration(WS, "repo1").await.unwrap();
    assert_eq!(bc.enabled, Some(true));
    assert_eq!(bc.backup_schedule.unwrap().frequency_interval, Some(1));
    let msg = assert_service_error(
        c.update_backup_configuration(
            WS,
            "repo1",
            &BackupRequest {
                enabled: Some(true),
                storage_account_url: Some(sas.into()),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert!(!msg.contains("SECRETSIG"));

    c.update_web_site_configuration(
        WS,
        "repo1",
        &SiteConfig {
            php_version: Some("5.6".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(c
        .list_backups(WS, "repo1")
        .await
        .unwrap()
        .backup_item
        .is_empty());
    let item = c
        .backup_web_site(
            WS,
            "repo1",
            &BackupRequest {
                name: Some("b1".into()),
                storage_account_url: Some(sas.into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(item.status, Some(BackupStatus::Succeeded));
    assert_eq!(item.blob_name.as_deref(), Some("b1.zip"));
    let listed = c.list_backups(WS, "repo1").await.unwrap().backup_item;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name.as_deref(), Some("b1"));
    assert_service_error(
        c.backup_web_site(
            WS,
            "repo1",
            &BackupRequest {
                name: Some("b1".into()),
                storage_account_url: Some(sas.into()),
                ..Default::default()
            },
        )
        .await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.backup_web_site(WS, "repo1", &BackupRequest::default())
            .await,
        400,
        "BadRequest",
    );

    // Discover and restore: the configuration comes back.
    let restore = RestoreRequest {
        blob_name: Some("b1.zip".into()),
        overwrite: Some(true),
        storage_account_url: Some(sas.into()),
        ..Default::default()
    };
    let found = c.discover_backup(WS, "repo1", &restore).await.unwrap();
    assert_eq!(found.blob_name.as_deref(), Some("b1.zip"));
    c.update_web_site_configuration(
        WS,
        "repo1",
        &SiteConfig {
            php_version: Some("5.3".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let r = c.restore_web_site(WS, "repo1", &restore).await.unwrap();
    assert!(r.operation_id.is_some());
    let cfg = config_of(&c.get_web_site_configuration(WS, "repo1").await.unwrap());
    assert_eq!(cfg.php_version.as_deref(), Some("5.6"));
    assert!(c.list_backups(WS, "repo1").await.unwrap().backup_item[0]
        .last_restore_time_stamp
        .is_some());
    assert_service_error(
        c.restore_web_site(
            WS,
            "repo1",
            &RestoreRequest {
                overwrite: Some(false),
                ..restore.clone()
            },
        )
        .await,
        409,
        "ConflictError",
    );
    let missing = RestoreRequest {
        blob_name: Some("nope.zip".into()),
        ..restore.clone()
    };
    assert_service_error(
        c.restore_web_site(WS, "repo1", &missing).await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.discover_backup(WS, "repo1", &missing).await,
        404,
        "ResourceNotFound",
    );

    // Hybrid connections.
    assert!(c
        .list_hybrid_connections(WS, "repo1")
        .await
        .unwrap()
        .relay_service_connection_entity
        .is_empty());
    let input = RelayServiceConnectionInput {
        biztalk_uri: "https://bt.biztalk.windows.net/default/".into(),
        entity_connection_string: "Endpoint=sb://x;SharedAccessKey=HYBRIDSECRET".into(),
        entity_name: "onprem".into(),
        hostname: "db.corp.local".into(),
        port: 1433,
        resource_connection_string: "Endpoint=sb://y;SharedAccessKey=HYBRIDSECRET".into(),
        resource_type: "Microsoft.BizTalk.HybridConnection".into(),
    };
    let h = c
        .create_hybrid_connection(WS, "repo1", &input)
        .await
        .unwrap();
    assert_eq!(h.port, Some(1433));
    assert_service_error(
        c.create_hybrid_connection(WS, "repo1", &input).await,
        409,
        "ConflictError",
    );
    let msg = assert_service_error(
        c.create_hybrid_connection(
            WS,
            "repo1",
            &RelayServiceConnectionInput {
                entity_name: "bad".into(),
                port: 0,
                ..input.clone()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert!(!msg.contains("HYBRIDSECRET"));
    c.update_hybrid_connection(
        WS,
        "repo1",
        &RelayServiceConnectionUpdate {
            entity_name: "onprem".into(),
            port: Some(1500),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let got = c
        .get_hybrid_connection(WS, "repo1", "onprem")
        .await
        .unwrap();
    assert_eq!(got.port, Some(1500));
    assert_eq!(got.hostname.as_deref(), Some("db.corp.local"));
    assert_eq!(
        got.entity_connection_string.as_deref(),
        Some(input.entity_connection_string.as_str())
    );
    assert_eq!(
        c.list_hybrid_connections(WS, "repo1")
            .await
            .unwrap()
            .relay_service_connection_entity
            .len(),
        1
    );
    assert_service_error(
        c.update_hybrid_connection(
            WS,
            "repo1",
            &RelayServiceConnectionUpdate {
                entity_name: "ghost".into(),
                ..Default::default()
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );
    c.delete_hybrid_connection(WS, "repo1", "onprem")
        .await
        .unwrap();
    assert_service_error(
        c.get_hybrid_connection(WS, "repo1", "onprem").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.delete_hybrid_connection(WS, "repo1", "onprem").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.list_hybrid_connections(WS, "nosite").await,
        404,
        "ResourceNotFound",
    );

    // Deleting the site forgets what it had.
    c.delete_web_site(WS, "repo1", &Default::default())
        .await
        .unwrap();
    site(&c, "repo1").await;
    assert!(c
        .list_backups(WS, "repo1")
        .await
        .unwrap()
        .backup_item
        .is_empty());
}

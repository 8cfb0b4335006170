//! Web sites through the generated client against the emulator over mutual
//! TLS: sites and web hosting plans (server farms) in a web space, served by
//! the generic engine from the spec's `resource` declarations — the web
//! space is implicit (any name works, nothing creates it), 409 for a taken
//! site or plan name, 404 for a missing one (read, update, delete), updates
//! merged into the site, the fields the service fills on create, lists per
//! web space. Operations the emulator does not serve answer 501.

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, new_site, start_with};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(|_| {}, |client| client.retry_policy(RetryPolicy::none())).await
}

#[tokio::test]
async fn sites_are_created_read_updated_listed_and_deleted() {
    let (_emu, c) = start().await;
    let ws = "westuswebspace";
    assert!(c
        .list_web_sites(ws, &Default::default())
        .await
        .unwrap()
        .site
        .is_empty());

    let site = c.create_web_site(ws, &new_site("site1")).await.unwrap();
    assert_eq!(site.name, "site1");
    assert_eq!(site.web_space.as_deref(), Some(ws));
    assert_eq!(
        site.default_host_name.as_deref(),
        Some("site1.azurewebsites.net")
    );
    assert_eq!(site.state, Some(WebSiteState::Running));
    assert_eq!(site.compute_mode, Some(WebComputeMode::Shared));
    assert_eq!(site.host_names, vec!["site1.azurewebsites.net".to_owned()]);
    assert!(site.last_modified_time_utc.is_some());

    // The name is taken (whatever its case); a missing site is 404.
    assert_service_error(
        c.create_web_site(ws, &new_site("SITE1")).await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.get_web_site(ws, "nope", &Default::default()).await,
        404,
        "ResourceNotFound",
    );

    // An update is merged into the site.
    let stopped = c
        .update_web_site(
            ws,
            "site1",
            &Site {
                name: "site1".into(),
                state: Some(WebSiteState::Stopped),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(stopped.state, Some(WebSiteState::Stopped));
    let got = c
        .get_web_site(ws, "site1", &Default::default())
        .await
        .unwrap();
    assert_eq!(got.state, Some(WebSiteState::Stopped));
    assert_eq!(got.compute_mode, Some(WebComputeMode::Shared));
    assert_service_error(
        c.update_web_site(
            ws,
            "nope",
            &Site {
                name: "nope".into(),
                ..Default::default()
            },
        )
        .await,
        404,
        "ResourceNotFound",
    );

    // Web spaces are implicit and keep their sites apart.
    c.create_web_site("eastuswebspace", &new_site("site2"))
        .await
        .unwrap();
    let west = c
        .list_web_sites(ws, &Default::default())
        .await
        .unwrap()
        .site;
    assert_eq!(west.len(), 1, "{west:?}");
    assert_eq!(west[0].name, "site1");
    let east = c
        .list_web_sites("eastuswebspace", &Default::default())
        .await
        .unwrap()
        .site;
    assert_eq!(east.len(), 1, "{east:?}");
    assert_eq!(east[0].web_space.as_deref(), Some("eastuswebspace"));
    assert_service_error(
        c.get_web_site("eastuswebspace", "site1", &Default::default())
            .await,
        404,
        "ResourceNotFound",
    );

    c.delete_web_site(
        ws,
        "site1",
        &DeleteWebSiteOptions {
            delete_empty_server_farm: Some(true),
            delete_metrics: Some(true),
            delete_all_slots: Some(false),
        },
    )
    .await
    .unwrap();
    assert_service_error(
        c.get_web_site(ws, "site1", &Default::default()).await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.delete_web_site(ws, "site1", &Default::default()).await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn web_hosting_plans_are_created_updated_and_deleted() {
    let (emu, c) = start().await;
    let ws = "eastuswebspace";
    let plan = c
        .create_web_hosting_plan(
            ws,
            &ServerFarmInput {
                name: Some("Default1".into()),
                number_of_workers: Some(1),
                sku: Some(WebSiteSku::Standard),
                worker_size: Some(WebWorkerSize::Small),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(plan.name, "Default1");
    assert_eq!(plan.web_space.as_deref(), Some(ws));
    assert_eq!(plan.status, Some(WebSpaceStatus::Ready));
    assert_eq!(plan.sku, Some(WebSiteSku::Standard));
    assert_eq!(plan.subscription.as_deref(), Some(emu.subscription_id()));

    assert_service_error(
        c.create_web_hosting_plan(
            ws,
            &ServerFarmInput {
                name: Some("default1".into()),
                ..Default::default()
            },
        )
        .await,
        409,
        "ConflictError",
    );

    let bigger = c
        .update_web_hosting_plan(
            ws,
            "Default1",
            &ServerFarmInput {
                number_of_workers: Some(3),
                worker_size: Some(WebWorkerSize::Medium),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(bigger.number_of_workers, Some(3));
    assert_eq!(bigger.worker_size, Some(WebWorkerSize::Medium));
    assert_eq!(bigger.sku, Some(WebSiteSku::Standard));

    let all = c.list_web_hosting_plans(ws).await.unwrap().server_farm;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(
        c.get_web_hosting_plan(ws, "Default1")
            .await
            .unwrap()
            .number_of_workers,
        Some(3)
    );
    assert!(c
        .list_web_hosting_plans("westuswebspace")
        .await
        .unwrap()
        .server_farm
        .is_empty());

    c.delete_web_hosting_plan(ws, "Default1").await.unwrap();
    assert_service_error(
        c.get_web_hosting_plan(ws, "Default1").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.update_web_hosting_plan(ws, "Default1", &ServerFarmInput::default())
            .await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.delete_web_hosting_plan(ws, "Default1").await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn restart_and_configuration_of_a_missing_site_are_404() {
    let (_emu, c) = start().await;
    c.create_web_site("westuswebspace", &new_site("site1"))
        .await
        .unwrap();
    // Restart is served (emulator/src/platform.rs); a missing site is a 404.
    c.restart_web_site("westuswebspace", "site1").await.unwrap();
    assert_service_error(
        c.restart_web_site("westuswebspace", "nosuchsite").await,
        404,
        "ResourceNotFound",
    );
    // The configuration is served too (tests/websites_rest.rs): a missing
    // site is a 404.
    assert!(c
        .get_web_site_configuration("westuswebspace", "site1")
        .await
        .is_ok());
    assert_service_error(
        c.get_web_site_configuration("westuswebspace", "nosuchsite")
            .await,
        404,
        "ResourceNotFound",
    );
}

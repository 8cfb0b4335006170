//! Scheduler through the generated client against the emulator over mutual
//! TLS: cloud services (asynchronous create and delete) and the job
//! collections in them, served by the generic engine from the spec's
//! `resource` declarations — 404 for a missing cloud service or collection,
//! 409 for a taken cloud service name, a collection shown in its cloud
//! service's Resources and replaced by a create on its name (the update is
//! the same request), name availability, collections going with their cloud
//! service. Jobs (JSON) are served by emulator/src/platform.rs.

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, cloud_service_input, start_with};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(|_| {}, |client| client.retry_policy(RetryPolicy::none())).await
}

fn collection(plan: JobCollectionPlan, max_jobs: i32) -> CreateJobCollectionInput {
    CreateJobCollectionInput {
        intrinsic_settings: Some(JobCollectionIntrinsicSettings {
            plan: Some(plan),
            quota: Some(JobCollectionQuota {
                max_job_count: Some(max_jobs),
                max_recurrence: Some(JobCollectionMaxRecurrence {
                    frequency: RecurrenceFrequency::Hour,
                    interval: 1,
                }),
                ..Default::default()
            }),
        }),
        label: Some("my jobs".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn cloud_services_are_created_listed_and_deleted() {
    let (_emu, c) = start().await;
    assert!(c
        .list_cloud_services()
        .await
        .unwrap()
        .cloud_service
        .is_empty());

    c.create_cloud_service("cs1", &cloud_service_input())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let cs = c.get_cloud_service("cs1").await.unwrap();
    assert_eq!(cs.name.as_deref(), Some("cs1"));
    assert_eq!(cs.label.as_deref(), Some("label"));
    assert_eq!(cs.description.as_deref(), Some("description"));
    assert_eq!(cs.geo_region.as_deref(), Some("West Europe"));
    assert!(cs.resources.is_empty());

    // The name is taken; a missing one is 404.
    assert_service_error(
        c.create_cloud_service("CS1", &cloud_service_input()).await,
        409,
        "ConflictError",
    );
    assert_service_error(c.get_cloud_service("nope").await, 404, "ResourceNotFound");

    let all = c.list_cloud_services().await.unwrap().cloud_service;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0].name.as_deref(), Some("cs1"));

    c.delete_cloud_service("cs1")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(c.get_cloud_service("cs1").await, 404, "ResourceNotFound");
    assert_service_error(c.delete_cloud_service("cs1").await, 404, "ResourceNotFound");
}

#[tokio::test]
async fn job_collections_live_in_their_cloud_service() {
    let (_emu, c) = start().await;
    // No cloud service yet: 404.
    assert_service_error(
        c.create_job_collection("cs", "jobs", &collection(JobCollectionPlan::Standard, 50))
            .await,
        404,
        "ResourceNotFound",
    );
    c.create_cloud_service("cs", &cloud_service_input())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();

    let free = c
        .check_job_collection_name_availability("cs", "jobs")
        .await
        .unwrap();
    assert_eq!(free.is_available, Some(true));

    c.create_job_collection("cs", "jobs", &collection(JobCollectionPlan::Standard, 50))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let taken = c
        .check_job_collection_name_availability("cs", "jobs")
        .await
        .unwrap();
    assert_eq!(taken.is_available, Some(false));

    let jc = c.get_job_collection("cs", "jobs").await.unwrap();
    assert_eq!(jc.name.as_deref(), Some("jobs"));
    assert_eq!(jc.state.as_deref(), Some("Started"));
    assert_eq!(jc.label.as_deref(), Some("my jobs"));
    let settings = jc.intrinsic_settings.clone().expect("settings");
    assert_eq!(settings.plan, Some(JobCollectionPlan::Standard));
    assert_eq!(settings.quota.and_then(|q| q.max_job_count), Some(50));
    let etag = jc.etag.clone().expect("an ETag");

    // Shown in the cloud service's resources.
    let cs = c.get_cloud_service("cs").await.unwrap();
    assert_eq!(cs.resources.len(), 1, "{:?}", cs.resources);
    let r = &cs.resources[0];
    assert_eq!(r.name.as_deref(), Some("jobs"));
    assert_eq!(r.resource_provider_namespace.as_deref(), Some("scheduler"));
    assert_eq!(r.type_.as_deref(), Some("JobCollections"));

    // The update is the same request: it replaces the settings.
    c.update_job_collection(
        "cs",
        "jobs",
        &etag,
        &UpdateJobCollectionInput {
            etag: Some(etag.clone()),
            intrinsic_settings: collection(JobCollectionPlan::Free, 5).intrinsic_settings,
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
    let jc = c.get_job_collection("cs", "jobs").await.unwrap();
    let settings = jc.intrinsic_settings.expect("settings");
    assert_eq!(settings.plan, Some(JobCollectionPlan::Free));
    assert_eq!(settings.quota.and_then(|q| q.max_job_count), Some(5));

    // Missing collection, missing cloud service.
    assert_service_error(
        c.get_job_collection("cs", "other").await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.get_job_collection("nope", "jobs").await,
        404,
        "ResourceNotFound",
    );

    c.delete_job_collection("cs", "jobs")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.get_job_collection("cs", "jobs").await,
        404,
        "ResourceNotFound",
    );
    assert!(c
        .get_cloud_service("cs")
        .await
        .unwrap()
        .resources
        .is_empty());
}

#[tokio::test]
async fn collections_go_with_their_cloud_service() {
    let (_emu, c) = start().await;
    c.create_cloud_service("cs", &cloud_service_input())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.create_job_collection("cs", "jobs", &collection(JobCollectionPlan::Free, 5))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.delete_cloud_service("cs")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.create_cloud_service("cs", &cloud_service_input())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.get_job_collection("cs", "jobs").await,
        404,
        "ResourceNotFound",
    );
}

/// Jobs are served (emulator/src/platform.rs; tests/platform_rest.rs has
/// their lifecycle): a missing job collection is a 404.
#[tokio::test]
async fn jobs_of_a_missing_collection_are_404() {
    let (_emu, c) = start().await;
    let e = c.list_jobs("cs", "jobs", &Default::default()).await;
    assert_service_error(e, 404, "ResourceNotFound");
}

/// A long-running operation keeps the response headers of the call that
/// started it (`response-header ETag` of Create Job Collection).
#[tokio::test]
async fn async_operations_keep_their_response_headers() {
    let mock = asm_tests::mock::MockServer::start().await;
    mock.set_fallback(
        asm_tests::mock::Reply::new(202, "")
            .header("x-ms-request-id", "abc")
            .header("ETag", "\"v1\""),
    );
    let c = Client::builder()
        .subscription_id("00000000-0000-0000-0000-000000000000")
        .endpoint(mock.endpoint.clone())
        .retry_policy(RetryPolicy::none())
        .no_proxy()
        .build()
        .unwrap();
    let op = c
        .create_job_collection("cs", "jc", &CreateJobCollectionInput::default())
        .await
        .unwrap();
    assert_eq!(op.header("ETag"), Some("\"v1\""));
    assert_eq!(op.header("x-ms-request-id"), Some("abc"));
    assert_eq!(op.header("Missing"), None);
}

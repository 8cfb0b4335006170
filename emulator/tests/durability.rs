//! Restart and `kill -9` durability of the `asm-emulator` binary: whatever
//! was acknowledged is there after a restart on the same data directory.

mod common;

use std::time::Duration;

use azure_asm::*;
use futures_util::TryStreamExt as _;

fn window() -> (DateTime, DateTime) {
    let now = DateTime::now().unix();
    (
        DateTime::from_unix(now - 600).unwrap(),
        DateTime::from_unix(now + 600).unwrap(),
    )
}

#[tokio::test]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let first = common::spawn(dir.path(), &["--async-delay-ms", "300"]);
    let line: serde_json::Value = serde_json::from_str(&first.line).unwrap();
    assert_eq!(line["ca"], dir.path().join("ca.pem").display().to_string());
    assert_eq!(
        line["client_cert"],
        dir.path().join("client.pem").display().to_string()
    );
    assert!(
        first.line.starts_with("{\"endpoint\":\"https://127.0.0.1:"),
        "{}",
        first.line
    );
    let c = first.client();

    c.create_affinity_group(&CreateAffinityGroup {
        name: "durable".into(),
        label: "Durable ✓".into(),
        description: Some("kept".into()),
        location: "West Europe".into(),
    })
    .await
    .unwrap();
    c.create_hosted_service(&CreateHostedService {
        service_name: "durable-svc".into(),
        label: "Service".into(),
        affinity_group: Some("durable".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    c.update_hosted_service(
        "durable-svc",
        &UpdateHostedService {
            label: Some("Service v2".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let op = c
        .create_storage_account(&CreateStorageServiceInput {
            service_name: "durablestore".into(),
            label: "Store".into(),
            location: Some("West Europe".into()),
            ..Default::default()
        })
        .await
        .unwrap();
    let keys = c
        .regenerate_storage_account_keys(
            "durablestore",
            &RegenerateKeys {
                key_type: KeyType::Primary,
            },
        )
        .await
        .unwrap()
        .storage_service_keys
        .unwrap();
    let (_, to) = window();
    let history_before: Vec<SubscriptionOperation> = c
        .list_subscription_operations_stream(window().0, to, Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(history_before.len(), 5);
    // kill -9 right after the last acknowledged write (the storage account
    // is still Creating).
    first.kill9();

    let second = common::spawn(dir.path(), &["--async-delay-ms", "300"]);
    assert_eq!(
        second.subscription_id,
        line["subscription_id"].as_str().unwrap()
    );
    let c = second.client();
    let g = c.get_affinity_group_properties("durable").await.unwrap();
    assert_eq!(
        (g.label.as_str(), g.description.as_deref()),
        ("Durable ✓", Some("kept"))
    );
    assert_eq!(g.hosted_services.len(), 1);
    let s = c
        .get_hosted_service_properties("durable-svc", &Default::default())
        .await
        .unwrap();
    assert_eq!(s.hosted_service_properties.unwrap().label, "Service v2");
    // The asynchronous operation is resumed by id and completes.
    let op = c.operation(op.request_id());
    op.wait_with(
        PollOptions {
            initial_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(50),
            timeout: Duration::from_secs(10),
        },
        |_| {},
    )
    .await
    .unwrap();
    let a = c
        .get_storage_account_properties("durablestore")
        .await
        .unwrap();
    assert_eq!(
        a.storage_service_properties.unwrap().status,
        Some(StorageServiceStatus::Created)
    );
    let after = c
        .get_storage_account_keys("durablestore")
        .await
        .unwrap()
        .storage_service_keys
        .unwrap();
    assert_eq!(after, keys);
    let (from, to) = window();
    let history_after: Vec<SubscriptionOperation> = c
        .list_subscription_operations_stream(from, to, Default::default())
        .try_collect()
        .await
        .unwrap();
    let ids =
        |h: &[SubscriptionOperation]| h.iter().map(|o| o.operation_id.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&history_after), ids(&history_before));
    assert_eq!(
        c.get_subscription().await.unwrap().current_storage_accounts,
        Some(1)
    );

    // SIGTERM: a clean exit, and the state is still there on the next start.
    c.delete_storage_account("durablestore").await.unwrap();
    let status = second.terminate();
    assert!(status.success(), "{status:?}");
    let third = common::spawn(dir.path(), &[]);
    let c = third.client();
    assert!(c
        .get_storage_account_properties("durablestore")
        .await
        .unwrap_err()
        .is_not_found());
    assert_eq!(
        c.get_affinity_group_properties("durable")
            .await
            .unwrap()
            .name,
        "durable"
    );
    assert!(third.terminate().success());
}

/// Many writes at once (their fsyncs grouped): every acknowledged one is
/// there after `kill -9` and a restart.
#[tokio::test]
async fn concurrent_acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let first = common::spawn(dir.path(), &[]);
    let c = first.client();
    let writes = (0..48).map(|i| {
        let c = c.clone();
        async move {
            c.create_affinity_group(&CreateAffinityGroup {
                name: format!("group{i}").into(),
                label: format!("Group {i}").into(),
                description: Some(format!("written {i}").into()),
                location: "West Europe".into(),
            })
            .await
        }
    });
    for result in futures_util::future::join_all(writes).await {
        result.unwrap();
    }
    first.kill9();

    let second = common::spawn(dir.path(), &[]);
    let c = second.client();
    let groups = c.list_affinity_groups().await.unwrap();
    let mut names: Vec<_> = groups
        .affinity_group
        .iter()
        .map(|g| g.name.to_string())
        .collect();
    names.sort();
    let mut expected: Vec<_> = (0..48).map(|i| format!("group{i}")).collect();
    expected.sort();
    assert_eq!(names, expected);
    let g = c.get_affinity_group_properties("group47").await.unwrap();
    assert_eq!(g.description.as_deref(), Some("written 47"));
    assert!(second.terminate().success());
}

/// `--no-sync` answers without waiting for the disk, but the writes are in
/// the file: a killed process loses nothing.
#[tokio::test]
async fn writes_without_sync_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let first = common::spawn(dir.path(), &["--no-sync"]);
    let c = first.client();
    for i in 0..5 {
        c.create_affinity_group(&CreateAffinityGroup {
            name: format!("nosync{i}").into(),
            label: "No sync".into(),
            description: None,
            location: "West Europe".into(),
        })
        .await
        .unwrap();
    }
    first.kill9();

    let second = common::spawn(dir.path(), &["--no-sync"]);
    let groups = second.client().list_affinity_groups().await.unwrap();
    assert_eq!(groups.affinity_group.len(), 5, "{groups:?}");
    assert!(second.terminate().success());
}

/// SIGTERM while requests are in flight: every request that was sent gets
/// its answer, and every acknowledged write is there after a restart.
#[tokio::test]
async fn sigterm_finishes_in_flight_requests() {
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &[]);
    let c = emu.client();
    c.list_locations().await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..16 {
        let c = c.clone();
        tasks.push(tokio::spawn(async move {
            let mut created = Vec::new();
            for k in 0..50 {
                let name = format!("inflight-{i}-{k}");
                match c
                    .create_affinity_group(&CreateAffinityGroup {
                        name: name.clone().into(),
                        label: name.clone().into(),
                        location: "East US".into(),
                        ..Default::default()
                    })
                    .await
                {
                    Ok(()) => created.push(name),
                    // After shutdown starts, new connections are refused.
                    Err(e) => {
                        assert!(e.status().is_none(), "a served request failed: {e}");
                        break;
                    }
                }
            }
            created
        }));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let status = tokio::task::spawn_blocking(move || emu.terminate())
        .await
        .unwrap();
    assert!(status.success(), "{status:?}");
    let mut acknowledged = Vec::new();
    for t in tasks {
        acknowledged.extend(t.await.unwrap());
    }
    assert!(!acknowledged.is_empty());
    let again = common::spawn(dir.path(), &[]);
    let listed: std::collections::BTreeSet<String> = again
        .client()
        .list_affinity_groups()
        .await
        .unwrap()
        .affinity_group
        .into_iter()
        .map(|g| g.name.to_string())
        .collect();
    for name in &acknowledged {
        assert!(listed.contains(name), "{name} was acknowledged but is gone");
    }
    println!(
        "{} writes acknowledged before SIGTERM, {} stored",
        acknowledged.len(),
        listed.len()
    );
    assert!(again.terminate().success());
}

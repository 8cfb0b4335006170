//! Load: 64 concurrent clients × 200 mixed operations against one emulator;
//! afterwards the emulator's state is exactly what the acknowledged
//! operations imply, and its operation history holds every mutating call once.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use asm_emulator::{Config, Emulator};
use asm_tests::emulated::client_builder;
use azure_asm::*;
use futures_util::TryStreamExt as _;

const CLIENTS: usize = 64;
const OPS_PER_CLIENT: usize = 200;

/// What one client believes exists (names → labels).
#[derive(Default, Debug)]
struct Model {
    groups: BTreeMap<String, String>,
    services: BTreeMap<String, String>,
    accounts: BTreeMap<String, String>,
    mutating_calls: usize,
    latencies: Vec<Duration>,
}

/// A small deterministic generator (each client its own sequence).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n
    }
}

async fn run_client(client: Client, id: usize) -> Result<Model, Error> {
    let mut m = Model::default();
    let mut rng = Lcg(id as u64 + 1);
    let group = format!("load-group-{id}");
    for step in 0..OPS_PER_CLIENT {
        let started = Instant::now();
        let label = format!("label {id}/{step}");
        let roll = rng.next(100);
        match roll {
            // Affinity group: create when missing, else update or get.
            0..=9 => {
                if m.groups.contains_key(&group) {
                    client
                        .update_affinity_group(
                            &group,
                            &UpdateAffinityGroup {
                                label: label.clone().into(),
                                description: Some(format!("step {step}").into()),
                            },
                        )
                        .await?;
                } else {
                    client
                        .create_affinity_group(&CreateAffinityGroup {
                            name: group.clone().into(),
                            label: label.clone().into(),
                            description: None,
                            location: "West US".into(),
                        })
                        .await?;
                }
                m.mutating_calls += 1;
                m.groups.insert(group.clone(), label);
            }
            10..=14 => {
                // Delete the group when it is empty; otherwise the service refuses.
                if m.groups.contains_key(&group) {
                    let r = client.delete_affinity_group(&group).await;
                    m.mutating_calls += 1;
                    // Services are always created by location, so the group is empty.
                    r?;
                    m.groups.remove(&group);
                } else {
                    let e = client.get_affinity_group_properties(&group).await;
                    assert!(e.is_err_and(|e| e.is_not_found()));
                }
            }
            15..=29 => {
                if m.services.len() < 2 {
                    let name = format!("load-{id}-svc-{step}");
                    client
                        .create_hosted_service(&CreateHostedService {
                            service_name: name.clone().into(),
                            label: label.clone().into(),
                            location: Some("East US".into()),
                            ..Default::default()
                        })
                        .await?;
                    m.mutating_calls += 1;
                    m.services.insert(name, label);
                } else {
                    let name = m.services.keys().next().cloned().unwrap_or_default();
                    client.delete_hosted_service(&name).await?;
                    m.mutating_calls += 1;
                    m.services.remove(&name);
                }
            }
            30..=39 => {
                if let Some(name) = m.services.keys().nth(rng.next(2)).cloned() {
                    client
                        .update_hosted_service(
                            &name,
                            &UpdateHostedService {
                                label: Some(label.clone().into()),
                                ..Default::default()
                            },
                        )
                        .await?;
                    m.mutating_calls += 1;
                    m.services.insert(name, label);
                } else {
                    client.list_hosted_services().await?;
                }
            }
            40..=49 => {
                if m.accounts.len() < 2 {
                    let name = format!("ld{id}x{step}");
                    let op = client
                        .create_storage_account(&CreateStorageServiceInput {
                            service_name: name.clone().into(),
                            label: label.clone().into(),
                            location: Some("North Europe".into()),
                            account_type: Some(StorageAccountType::StandardLrs),
                            ..Default::default()
                        })
                        .await?;
                    assert_eq!(op.status(), 202);
                    m.mutating_calls += 1;
                    m.accounts.insert(name, label);
                } else {
                    let name = m.accounts.keys().next().cloned().unwrap_or_default();
                    client.delete_storage_account(&name).await?;
                    m.mutating_calls += 1;
                    m.accounts.remove(&name);
                }
            }
            50..=54 => {
                if let Some(name) = m.accounts.keys().next().cloned() {
                    client
                        .regenerate_storage_account_keys(
                            &name,
                            &RegenerateKeys {
                                key_type: KeyType::Secondary,
                            },
                        )
                        .await?;
                    m.mutating_calls += 1;
                } else {
                    client.list_storage_accounts().await?;
                }
            }
            55..=59 => {
                if let Some(name) = m.accounts.keys().last().cloned() {
                    client
                        .update_storage_account(
                            &name,
                            &UpdateStorageServiceInput {
                                label: Some(label.clone().into()),
                                ..Default::default()
                            },
                        )
                        .await?;
                    m.mutating_calls += 1;
                    m.accounts.insert(name, label);
                } else {
                    client.get_subscription().await?;
                }
            }
            // Reads, checked against the model.
            60..=69 => {
                if let Some((name, label)) = m.services.iter().next() {
                    let s = client
                        .get_hosted_service_properties(name, &Default::default())
                        .await?;
                    let props = s.hosted_service_properties.expect("properties");
                    assert_eq!(&props.label, label);
                } else {
                    client.list_locations().await?;
                }
            }
            70..=79 => {
                if let Some((name, label)) = m.accounts.iter().next() {
                    let a = client.get_storage_account_properties(name).await?;
                    assert_eq!(
                        &a.storage_service_properties.expect("properties").label,
                        label
                    );
                } else {
                    client.list_affinity_groups().await?;
                }
            }
            80..=84 => {
                if let Some(label) = m.groups.get(&group) {
                    let g = client.get_affinity_group_properties(&group).await?;
                    assert_eq!(&g.label, label);
                } else {
                    client.list_locations().await?;
                }
            }
            85..=89 => {
                let name = format!("load-{id}-svc-{step}");
                let a = client.check_hosted_service_name_availability(&name).await?;
                assert!(a.result);
            }
            90..=94 => {
                client.list_storage_accounts().await?;
            }
            _ => {
                client.list_hosted_services().await?;
            }
        }
        m.latencies.push(started.elapsed());
    }
    Ok(m)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_clients_two_hundred_ops_each() {
    let config = Config {
        async_delay: Duration::ZERO,
        max_hosted_services: 1000,
        max_storage_accounts: 1000,
        ..Config::ephemeral().expect("config")
    };
    let emu = Emulator::start(config).await.expect("emulator");
    let make_client = || {
        client_builder(&emu)
            .retry_policy(RetryPolicy::none())
            .build()
            .expect("client")
    };
    let test_start = DateTime::now();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for id in 0..CLIENTS {
        let client = make_client();
        tasks.push(tokio::spawn(run_client(client, id)));
    }
    let mut models = Vec::new();
    for t in tasks {
        models.push(t.await.expect("task").expect("operation failed"));
    }
    let elapsed = started.elapsed();

    let total_ops = CLIENTS * OPS_PER_CLIENT;
    let mut latencies: Vec<Duration> = models
        .iter()
        .flat_map(|m| m.latencies.iter().copied())
        .collect();
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize];
    let mutating: usize = models.iter().map(|m| m.mutating_calls).sum();
    asm_tests::report_line(&format!(
        "load: {total_ops} operations ({mutating} mutating) by {CLIENTS} clients in {:.2} s: {:.0} ops/s, p50 {:.1} ms, p99 {:.1} ms",
        elapsed.as_secs_f64(),
        total_ops as f64 / elapsed.as_secs_f64(),
        pct(0.50).as_secs_f64() * 1000.0,
        pct(0.99).as_secs_f64() * 1000.0,
    ));
    assert_eq!(latencies.len(), total_ops);

    // The state equals what the acknowledged operations imply.
    let c = make_client();
    let mut expected_groups = BTreeMap::new();
    let mut expected_services = BTreeMap::new();
    let mut expected_accounts = BTreeMap::new();
    for m in &models {
        expected_groups.extend(m.groups.clone());
        expected_services.extend(m.services.clone());
        expected_accounts.extend(m.accounts.clone());
    }
    let groups: BTreeMap<String, String> = c
        .list_affinity_groups()
        .await
        .unwrap()
        .affinity_group
        .into_iter()
        .map(|g| (g.name.into(), g.label.into()))
        .collect();
    assert_eq!(groups, expected_groups);
    let services: BTreeMap<String, String> = c
        .list_hosted_services()
        .await
        .unwrap()
        .hosted_service
        .into_iter()
        .map(|s| {
            (
                s.service_name.into(),
                s.hosted_service_properties
                    .expect("properties")
                    .label
                    .into(),
            )
        })
        .collect();
    assert_eq!(services, expected_services);
    let accounts: BTreeMap<String, String> = c
        .list_storage_accounts()
        .await
        .unwrap()
        .storage_service
        .into_iter()
        .map(|a| {
            (
                a.service_name.expect("name").into(),
                a.storage_service_properties
                    .expect("properties")
                    .label
                    .into(),
            )
        })
        .collect();
    assert_eq!(accounts, expected_accounts);
    let sub = c.get_subscription().await.unwrap();
    assert_eq!(
        sub.current_hosted_services,
        Some(expected_services.len() as i32)
    );
    assert_eq!(
        sub.current_storage_accounts,
        Some(expected_accounts.len() as i32)
    );

    // Every mutating call is in the history exactly once.
    let end = DateTime::from_unix(DateTime::now().unix() + 60).unwrap();
    let begin = DateTime::from_unix(test_start.unix() - 60).unwrap();
    let history: Vec<SubscriptionOperation> = c
        .list_subscription_operations_stream(begin, end, Default::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(history.len(), mutating);
    let mut ids: Vec<&str> = history.iter().map(|o| o.operation_id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), mutating, "operation ids are unique");
    assert!(history.iter().all(|o| o
        .operation_status
        .as_ref()
        .is_some_and(|s| s.status == OperationStatus::Succeeded)));
    emu.shutdown().await;
}

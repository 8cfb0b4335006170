//! The client as a downstream crate uses it: the paging stream is `Unpin`
//! (`next().await` with no pinning), can live in a struct and move to
//! another task, and "the last hour" is one line of `DateTime` arithmetic.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::start_with;
use azure_asm::*;
use futures_util::StreamExt as _;

async fn start() -> (RunningEmulator, Client) {
    // Several pages for a handful of operations.
    start_with(|config| config.page_size = 2, |client| client).await
}

/// Creates `n` affinity groups: `n` entries in the operation history.
async fn make_history(client: &Client, n: usize) -> Vec<String> {
    let mut names = Vec::new();
    for i in 0..n {
        let name = format!("downstream{i}");
        client
            .create_affinity_group(&CreateAffinityGroup {
                name: name.clone().into(),
                label: format!("group {i}").into(),
                location: "West US".into(),
                ..Default::default()
            })
            .await
            .expect("create affinity group");
        names.push(name);
    }
    names
}

fn assert_unpin_send_static<T: Unpin + Send + 'static>(_: &T) {}

#[tokio::test]
async fn stream_next_without_pinning() {
    let (_emu, client) = start().await;
    let names = make_history(&client, 5).await;

    let mut ops = client.list_subscription_operations_stream(
        DateTime::now() - Duration::from_secs(3600),
        DateTime::now() + Duration::from_secs(60),
        Default::default(),
    );
    assert_unpin_send_static(&ops);
    // No `pin_mut!`, no `Box::pin`: `StreamExt::next` on the stream itself.
    let mut seen = Vec::new();
    while let Some(op) = ops.next().await {
        let op = op.expect("operation");
        assert_eq!(op.operation_name.as_deref(), Some("CreateAffinityGroup"));
        seen.push(op.operation_object_id.unwrap_or_default());
    }
    assert_eq!(seen.len(), names.len(), "{seen:?}");
    for (object_id, name) in seen.iter().zip(&names) {
        assert!(
            object_id.ends_with(&format!("/affinitygroups/{name}")),
            "{object_id}"
        );
    }
    // Ended, and stays ended.
    assert!(ops.next().await.is_none());
}

/// The stream is a named type: a struct field, moved into a spawned task,
/// polled a few items at a time.
#[tokio::test]
async fn stream_in_a_struct_on_another_task() {
    struct History {
        ops: azure_asm::runtime::ItemStream<SubscriptionOperation>,
    }
    impl History {
        async fn take(&mut self, n: usize) -> Vec<SubscriptionOperation> {
            let mut got = Vec::new();
            while got.len() < n {
                match self.ops.next().await {
                    Some(op) => got.push(op.expect("operation")),
                    None => break,
                }
            }
            got
        }
    }

    let (_emu, client) = start().await;
    make_history(&client, 3).await;
    let mut history = History {
        ops: client.list_subscription_operations_stream(
            DateTime::now() - Duration::from_secs(3600),
            DateTime::now() + Duration::from_secs(60),
            Default::default(),
        ),
    };
    let counts = tokio::spawn(async move {
        let first = history.take(2).await.len();
        let rest = history.take(10).await.len();
        (first, rest)
    })
    .await
    .expect("task");
    assert_eq!(counts, (2, 1));
}

/// "The last hour" in one line, for the one-page method too.
#[tokio::test]
async fn last_hour_in_one_line() {
    let (_emu, client) = start().await;
    make_history(&client, 1).await;
    let page = client
        .list_subscription_operations(
            DateTime::now() - Duration::from_secs(3600),
            DateTime::now() + Duration::from_secs(60),
            &Default::default(),
        )
        .await
        .expect("list");
    assert_eq!(page.subscription_operations.len(), 1);
    let started = page.subscription_operations[0]
        .operation_started_time
        .expect("started");
    let age = (DateTime::now() - started).whole_seconds();
    assert!((-5..60).contains(&age), "{age} s");

    // Nothing in an hour that ended an hour ago.
    let an_hour_ago = DateTime::now() - Duration::from_secs(3600);
    let earlier = client
        .list_subscription_operations(
            an_hour_ago - Duration::from_secs(3600),
            an_hour_ago,
            &Default::default(),
        )
        .await
        .expect("list");
    assert!(earlier.subscription_operations.is_empty());
}

//! The subscription's operation history (List Subscription Operations):
//! every operation of the last hour, as a stream that follows the
//! continuation token from page to page, and the failed ones only.
//!
//! ```sh
//! cargo run -p asm-examples --example operation_history
//! ```

use std::time::Duration;

use azure_asm::{
    CreateAffinityGroup, DateTime, ListSubscriptionOperationsOptions, OperationStatus,
    SubscriptionOperation,
};
use futures_util::StreamExt as _;

#[tokio::main]
async fn main() -> asm_examples::Result {
    let (client, emulator) = asm_examples::connect().await?;

    // Some history: three affinity groups created and deleted, and a
    // request that fails.
    for i in 1..=3 {
        let name = format!("history-group-{i}");
        client
            .create_affinity_group(&CreateAffinityGroup {
                name: name.clone().into(),
                label: format!("History group {i}").into(),
                location: "West US".into(),
                ..Default::default()
            })
            .await?;
        client.delete_affinity_group(&name).await?;
    }
    let missing = client.delete_storage_account("nosuchaccount").await;
    println!(
        "deleting a missing account: {}",
        missing.err().ok_or("it succeeded")?
    );

    // The last hour, in one line; the stream fetches the next page when it
    // needs one, and `next()` works on it as it is (no pinning).
    let mut ops = client.list_subscription_operations_stream(
        DateTime::now() - Duration::from_secs(3600),
        DateTime::now(),
        ListSubscriptionOperationsOptions::default(),
    );
    println!("the last hour:");
    let mut count = 0;
    while let Some(op) = ops.next().await {
        print_operation(&op?);
        count += 1;
    }
    if count != 7 {
        return Err(format!("expected 7 operations, got {count}").into());
    }

    // Filters: by result, and by object (a prefix of the object id, such as
    // one affinity group's path).
    let mut failed = client.list_subscription_operations_stream(
        DateTime::now() - Duration::from_secs(3600),
        DateTime::now(),
        ListSubscriptionOperationsOptions {
            operation_result_filter: Some(OperationStatus::Failed),
            ..Default::default()
        },
    );
    println!("failed:");
    while let Some(op) = failed.next().await {
        print_operation(&op?);
    }
    let group = format!(
        "/{}/affinitygroups/history-group-2",
        client.subscription_id()
    );
    let mut of_group = client.list_subscription_operations_stream(
        DateTime::now() - Duration::from_secs(3600),
        DateTime::now(),
        ListSubscriptionOperationsOptions {
            object_id_filter: Some(group.clone()),
            ..Default::default()
        },
    );
    println!("{group}:");
    while let Some(op) = of_group.next().await {
        print_operation(&op?);
    }

    emulator.shutdown().await;
    Ok(())
}

fn print_operation(op: &SubscriptionOperation) {
    let time = op
        .operation_started_time
        .map(|t| t.to_string())
        .unwrap_or_default();
    let status = op
        .operation_status
        .as_ref()
        .map(|s| match (&s.error, s.http_status_code) {
            (Some(e), _) => format!("{} ({})", s.status, e.code.as_deref().unwrap_or("?")),
            (None, Some(code)) => format!("{} ({code})", s.status),
            (None, None) => s.status.to_string(),
        })
        .unwrap_or_default();
    println!(
        "  {time}  {:<22} {:<55} {status}",
        op.operation_name.as_deref().unwrap_or("-"),
        op.operation_object_id.as_deref().unwrap_or("-"),
    );
}

//! A storage account: create it (an asynchronous operation), wait for it
//! with progress, read its properties and keys, regenerate a key, delete it
//! (the how-to's "Create a storage service" and "Delete a storage service").
//!
//! ```sh
//! cargo run -p asm-examples --example storage_account
//! ```

use asm_examples::redacted;
use azure_asm::{CreateStorageServiceInput, KeyType, OperationState, RegenerateKeys};

#[tokio::main]
async fn main() -> asm_examples::Result {
    let (client, emulator) = asm_examples::connect().await?;
    let name = "examplestorage01"; // 3 to 24 lower-case letters and digits

    let availability = client.check_storage_account_name_availability(name).await?;
    if !availability.result {
        return Err(format!("{name} is taken").into());
    }

    // Create Storage Account answers 202 Accepted with a request id; the
    // account exists once Get Operation Status says Succeeded.
    let op = client
        .create_storage_account(&CreateStorageServiceInput {
            service_name: name.into(),
            label: "Example storage account".into(), // plain text; base64 on the wire
            description: Some("Created by the storage_account example".into()),
            location: Some("West US".into()),
            ..Default::default()
        })
        .await?;
    println!("create accepted, request id {}", op.request_id());
    let options = client.core().poll_options().clone();
    op.wait_with(options, |p| {
        let state = match p.state {
            OperationState::InProgress => "in progress".to_owned(),
            OperationState::Succeeded { http_status } => {
                format!("succeeded ({})", http_status.unwrap_or(200))
            }
            OperationState::Failed(e) => format!("failed: {e}"),
            other => format!("{other:?}"),
        };
        println!(
            "  poll {} after {} ms: {state}",
            p.polls,
            p.elapsed.as_millis()
        );
    })
    .await?;

    let account = client.get_storage_account_properties(name).await?;
    let props = account
        .storage_service_properties
        .as_ref()
        .ok_or("no StorageServiceProperties")?;
    println!("{}", account.url);
    println!("  label:     {}", props.label);
    println!("  location:  {}", props.location.as_deref().unwrap_or("-"));
    if let Some(status) = &props.status {
        println!("  status:    {status}");
    }
    for endpoint in &props.endpoints {
        println!("  endpoint:  {endpoint}");
    }

    // Keys are secrets: print only enough to tell them apart.
    let keys = client
        .get_storage_account_keys(name)
        .await?
        .storage_service_keys
        .ok_or("no StorageServiceKeys")?;
    let primary = keys.primary.unwrap_or_default();
    println!("  primary:   {}", redacted(&primary));
    println!(
        "  secondary: {}",
        redacted(keys.secondary.as_deref().unwrap_or(""))
    );

    let regenerated = client
        .regenerate_storage_account_keys(
            name,
            &RegenerateKeys {
                key_type: KeyType::Primary,
            },
        )
        .await?
        .storage_service_keys
        .and_then(|k| k.primary)
        .unwrap_or_default();
    println!("regenerated the primary key: {}", redacted(&regenerated));
    if regenerated == primary {
        return Err("the primary key did not change".into());
    }

    client.delete_storage_account(name).await?;
    match client.get_storage_account_properties(name).await {
        Err(e) if e.is_not_found() => println!("deleted {name}"),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(format!("{name} is still there").into()),
    }

    emulator.shutdown().await;
    Ok(())
}

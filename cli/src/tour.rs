//! `asm tour`: the Service Management how-to (seed 001, the Python
//! `ServiceManagementService` tour), step by step with the Rust client.

use std::time::Instant;

use azure_asm::{
    Client, CreateAffinityGroup, CreateHostedService, CreateStorageServiceInput, DateTime,
    ExtendedProperty, GetHostedServicePropertiesOptions, KeyType,
    ListSubscriptionOperationsOptions, RegenerateKeys,
};
use rand::Rng as _;

use crate::commands::{history, key_lines, print_progress, service_fields, storage_fields};
use crate::error::{msg, CliError};
use crate::logging::{request_id_suffix, take_request_id};
use crate::output;
use crate::TourArgs;

type Result<T = ()> = std::result::Result<T, CliError>;

struct Names {
    suffix: String,
    group: String,
    service: String,
    storage: String,
}

/// What exists so far (deleted on failure or Ctrl-C).
#[derive(Default)]
struct Created {
    group: bool,
    service: bool,
    storage: bool,
}

struct Steps(u32);

impl Steps {
    fn next(&mut self, title: &str) {
        self.0 += 1;
        println!("\n{}. {title}", self.0);
    }
}

const SERVICE_LABEL: &str = "Tour cloud service";
const STORAGE_LABEL: &str = "Tour storage account";

pub async fn run(client: &Client, emulated: bool, args: &TourArgs) -> Result {
    let started = Instant::now();
    // A little slack for clocks that disagree with the service's.
    let since = DateTime::from_unix(DateTime::now().unix() - if emulated { 5 } else { 300 })
        .unwrap_or_else(DateTime::now);
    let suffix: String = {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
        let mut rng = rand::rng();
        (0..6)
            .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
            .collect()
    };
    let names = Names {
        group: format!("asm-tour-group-{suffix}"),
        service: format!("asm-tour-{suffix}"),
        storage: format!("asmtour{suffix}"),
        suffix,
    };
    if emulated {
        println!(
            "Service Management tour against the embedded emulator (subscription {})",
            client.subscription_id()
        );
    } else {
        println!(
            "Service Management tour against {} (subscription {})",
            client.core().endpoint(),
            client.subscription_id()
        );
        println!("It creates an affinity group, a cloud service and a storage account, then deletes them.");
    }
    println!("Names end in -{}.", names.suffix);

    let mut created = Created::default();
    let mut steps = Steps(0);
    let outcome = tokio::select! {
        r = tour(client, args, &names, since, &mut created, &mut steps) => r,
        _ = tokio::signal::ctrl_c() => Err(msg("interrupted")),
    };
    if let Err(e) = outcome {
        if created.group || created.service || created.storage {
            eprintln!("asm: the tour failed; deleting what it created");
            cleanup(client, &names, &created).await;
        }
        return Err(e);
    }
    println!(
        "\nTour complete in {}: created and deleted an affinity group, a cloud service and a storage account.",
        output::elapsed(started.elapsed())
    );
    Ok(())
}

async fn tour(
    client: &Client,
    args: &TourArgs,
    names: &Names,
    since: DateTime,
    created: &mut Created,
    steps: &mut Steps,
) -> Result {
    // 1. Locations.
    steps.next("List the available locations");
    let locations: Vec<String> = client
        .list_locations()
        .await?
        .location
        .into_iter()
        .map(|l| l.name)
        .collect();
    println!("   {} locations: {}", locations.len(), locations.join(", "));
    let location = match &args.location {
        Some(l) => locations
            .iter()
            .find(|x| x.eq_ignore_ascii_case(l))
            .cloned()
            .ok_or_else(|| {
                msg(format!(
                    "--location {l:?} is not one of the locations above"
                ))
            })?,
        None => locations
            .iter()
            .find(|l| l.as_str() == "West US")
            .or(locations.first())
            .cloned()
            .ok_or_else(|| msg("the subscription offers no location"))?,
    };
    println!("   using {location}");

    // 2. Affinity group.
    steps.next(&format!(
        "Create affinity group {} in {location}",
        names.group
    ));
    client
        .create_affinity_group(&CreateAffinityGroup {
            name: names.group.clone(),
            label: format!("Tour affinity group {}", names.suffix),
            description: Some("Created by asm tour".into()),
            location: location.clone(),
        })
        .await?;
    created.group = true;
    println!("   affinity group created{}", request_id_suffix());

    // 3. Cloud service with extended properties, read back.
    steps.next(&format!(
        "Create cloud service {} in the affinity group, with extended properties",
        names.service
    ));
    let props = [("Owner", "asm-tour"), ("Purpose", "how-to")];
    client
        .create_hosted_service(&CreateHostedService {
            service_name: names.service.clone(),
            label: SERVICE_LABEL.into(),
            description: Some("Created by asm tour".into()),
            affinity_group: Some(names.group.clone()),
            extended_properties: props
                .iter()
                .map(|(k, v)| ExtendedProperty {
                    name: (*k).into(),
                    value: Some((*v).into()),
                })
                .collect(),
            ..Default::default()
        })
        .await?;
    created.service = true;
    println!("   cloud service created{}", request_id_suffix());
    let service = client
        .get_hosted_service_properties(
            &names.service,
            &GetHostedServicePropertiesOptions::default(),
        )
        .await?;
    let _ = take_request_id();
    println!("   read back (the label travels base64-encoded and reads back as plain text):");
    print!("{}", service_fields(&service).render(5));

    // 4. Storage account, asynchronously.
    steps.next(&format!(
        "Create storage account {} in the affinity group (asynchronous)",
        names.storage
    ));
    let op = client
        .create_storage_account(&CreateStorageServiceInput {
            service_name: names.storage.clone(),
            label: STORAGE_LABEL.into(),
            description: Some("Created by asm tour".into()),
            affinity_group: Some(names.group.clone()),
            ..Default::default()
        })
        .await?;
    created.storage = true;
    println!(
        "   accepted (request id {}); polling Get Operation Status:",
        op.request_id()
    );
    op.wait_with(client.core().poll_options().clone(), |p| {
        print!("   ");
        print_progress(p);
    })
    .await?;
    let account = client
        .get_storage_account_properties(&names.storage)
        .await?;
    let status = account
        .storage_service_properties
        .as_ref()
        .and_then(|p| p.status.as_ref())
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown".into());
    println!("   storage account created (status {status})");
    print!("{}", storage_fields(&account).render(5));

    // 5. Keys.
    let shown = if args.show_secrets { "" } else { ", redacted" };
    steps.next(&format!(
        "Read and regenerate the storage account keys{shown}"
    ));
    let before = client.get_storage_account_keys(&names.storage).await?;
    println!("   keys:");
    print!("{}", key_lines(&before, args.show_secrets, 5));
    let after = client
        .regenerate_storage_account_keys(
            &names.storage,
            &RegenerateKeys {
                key_type: KeyType::Primary,
            },
        )
        .await?;
    println!("   regenerated the primary key{}", request_id_suffix());
    print!("{}", key_lines(&after, args.show_secrets, 5));
    let primary = |s: &azure_asm::StorageService| {
        s.storage_service_keys
            .as_ref()
            .and_then(|k| k.primary.clone())
    };
    let secondary = |s: &azure_asm::StorageService| {
        s.storage_service_keys
            .as_ref()
            .and_then(|k| k.secondary.clone())
    };
    println!(
        "   primary key changed: {}; secondary key unchanged: {}",
        yes_no(primary(&before) != primary(&after)),
        yes_no(secondary(&before) == secondary(&after)),
    );
    if !args.show_secrets {
        println!("   (add --show-secrets to print the keys in full)");
    }

    // 6. Operation history.
    steps.next("Show the subscription's operation history for this tour");
    let suffix = names.suffix.clone();
    let table = history(
        client,
        since,
        ListSubscriptionOperationsOptions::default(),
        true,
        move |op| {
            op.operation_object_id
                .as_deref()
                .is_some_and(|o| o.contains(suffix.as_str()))
        },
    )
    .await?;
    let table = table.indent(3);
    table.print_or("no operations recorded yet");
    println!("   {} operations", table.len());

    // 7. Clean up.
    steps.next("Delete the cloud service, the storage account and the affinity group");
    client.delete_hosted_service(&names.service).await?;
    created.service = false;
    println!(
        "   deleted cloud service {}{}",
        names.service,
        request_id_suffix()
    );
    client.delete_storage_account(&names.storage).await?;
    created.storage = false;
    println!(
        "   deleted storage account {}{}",
        names.storage,
        request_id_suffix()
    );
    client.delete_affinity_group(&names.group).await?;
    created.group = false;
    println!(
        "   deleted affinity group {}{}",
        names.group,
        request_id_suffix()
    );

    // 8. Verify.
    steps.next("Verify they are gone (list again)");
    let services = client.list_hosted_services().await?.hosted_service;
    let accounts = client.list_storage_accounts().await?.storage_service;
    let groups = client.list_affinity_groups().await?.affinity_group;
    let left_service = services.iter().any(|s| s.service_name == names.service);
    let left_storage = accounts
        .iter()
        .any(|a| a.service_name.as_deref() == Some(names.storage.as_str()));
    let left_group = groups.iter().any(|g| g.name == names.group);
    println!(
        "   cloud services: {} listed, {} {}",
        services.len(),
        names.service,
        gone(left_service)
    );
    println!(
        "   storage accounts: {} listed, {} {}",
        accounts.len(),
        names.storage,
        gone(left_storage)
    );
    println!(
        "   affinity groups: {} listed, {} {}",
        groups.len(),
        names.group,
        gone(left_group)
    );
    if left_service || left_storage || left_group {
        return Err(msg(
            "some of the tour's resources are still listed after deletion",
        ));
    }
    println!("   everything deleted");
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn gone(still_there: bool) -> &'static str {
    if still_there {
        "STILL LISTED"
    } else {
        "gone"
    }
}

/// Best-effort deletion after a failure; reports but does not stop on errors.
async fn cleanup(client: &Client, names: &Names, created: &Created) {
    if created.service {
        report(
            "cloud service",
            &names.service,
            client.delete_hosted_service(&names.service).await,
        );
    }
    if created.storage {
        report(
            "storage account",
            &names.storage,
            client.delete_storage_account(&names.storage).await,
        );
    }
    if created.group {
        report(
            "affinity group",
            &names.group,
            client.delete_affinity_group(&names.group).await,
        );
    }
}

fn report(kind: &str, name: &str, r: std::result::Result<(), azure_asm::Error>) {
    match r {
        Ok(()) => eprintln!("asm: deleted {kind} {name}"),
        Err(e) => eprintln!("asm: could not delete {kind} {name}: {e}"),
    }
}

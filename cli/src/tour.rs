//! `asm tour`: the Service Management how-to (seed 001, the Python
//! `ServiceManagementService` tour), step by step with the Rust client.

use std::time::Instant;

use azure_asm::{
    AsyncOperation, Client, CreateAffinityGroup, CreateDeployment, CreateHostedService,
    CreateStorageServiceInput, DateTime, DeleteDeploymentByNameOptions, DeploymentSlot,
    ExtendedProperty, GetHostedServicePropertiesOptions, KeyType,
    ListSubscriptionOperationsOptions, RegenerateKeys, Swap,
};
use rand::Rng as _;

use crate::commands::{history, key_lines, print_progress, service_fields, storage_fields};
use crate::error::{msg, CliError};
use crate::logging::{request_id_suffix, take_request_id};
use crate::output::{self, or_dash, Table};
use crate::vm::{self, Say, Secret, VmSpec};
use crate::TourArgs;

type Result<T = ()> = std::result::Result<T, CliError>;

struct Names {
    suffix: String,
    group: String,
    service: String,
    storage: String,
    /// The package deployment of `service`.
    deployment: String,
    /// The virtual machine's own cloud service (a service has one
    /// production deployment: the package's).
    vm_service: String,
    vm: String,
}

/// What exists so far (deleted on failure or Ctrl-C).
#[derive(Default)]
struct Created {
    group: bool,
    service: bool,
    storage: bool,
    vm_service: bool,
}

impl Created {
    fn any(&self) -> bool {
        self.group || self.service || self.storage || self.vm_service
    }
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
/// Instances of the web role in the tour's service configuration.
const WEB_INSTANCES: usize = 2;

/// The service configuration (.cscfg) of the tour's package.
fn service_configuration(service: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<ServiceConfiguration serviceName="{service}" xmlns="http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration" osFamily="4" osVersion="*">
  <Role name="WebRole1">
    <Instances count="{WEB_INSTANCES}" />
  </Role>
</ServiceConfiguration>"#
    )
}

/// A throw-away password for the tour's virtual machine (never shown).
fn random_password() -> Secret {
    const SETS: [&[u8]; 4] = [
        b"ABCDEFGHJKLMNPQRSTUVWXYZ",
        b"abcdefghijkmnopqrstuvwxyz",
        b"23456789",
        b"!#%+-=?@",
    ];
    let mut rng = rand::rng();
    let mut s = String::new();
    for i in 0..20 {
        let set = SETS[if i < 4 { i } else { rng.random_range(0..3) }];
        s.push(char::from(set[rng.random_range(0..set.len())]));
    }
    Secret::new(s)
}

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
        deployment: format!("tour-v1-{suffix}"),
        vm_service: format!("asm-tour-vm-{suffix}"),
        vm: format!("tourvm-{suffix}"),
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
        println!(
            "It creates an affinity group, a cloud service with a deployment, a storage account \
             and a virtual machine (in a second cloud service), then deletes them."
        );
    }
    println!("Names end in -{}.", names.suffix);

    let mut created = Created::default();
    let mut steps = Steps(0);
    let outcome = tokio::select! {
        r = tour(client, args, &names, since, &mut created, &mut steps) => r,
        _ = tokio::signal::ctrl_c() => Err(msg("interrupted")),
    };
    if let Err(e) = outcome {
        if created.any() {
            eprintln!("asm: the tour failed; deleting what it created");
            cleanup(client, &names, &created).await;
        }
        return Err(e);
    }
    println!(
        "\nTour complete in {}: created and deleted an affinity group, a storage account, \
         a cloud service with a {WEB_INSTANCES}-instance deployment and a virtual machine with a data disk.",
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
        .map(|l| l.name.to_string())
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
            name: names.group.as_str().into(),
            label: format!("Tour affinity group {}", names.suffix).into(),
            description: Some("Created by asm tour".into()),
            location: location.as_str().into(),
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
            service_name: names.service.as_str().into(),
            label: SERVICE_LABEL.into(),
            description: Some("Created by asm tour".into()),
            affinity_group: Some(names.group.as_str().into()),
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
            service_name: names.storage.as_str().into(),
            label: STORAGE_LABEL.into(),
            description: Some("Created by asm tour".into()),
            affinity_group: Some(names.group.as_str().into()),
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

    // 6. A deployment of the cloud service, in staging.
    deploy(client, names, steps).await?;

    // 7. A virtual machine with a data disk, in a cloud service of its own.
    steps.next(&format!(
        "Create virtual machine {} with a 10 GB data disk in cloud service {} (asm vm create)",
        names.vm, names.vm_service
    ));
    let spec = VmSpec {
        service: names.vm_service.clone(),
        name: names.vm.clone(),
        deployment: None,
        location: location.clone(),
        image: "ubuntu".into(),
        size: "Small".into(),
        user: "azureuser".into(),
        password: Some(random_password()),
        ssh_port: None,
        rdp: None,
        data_disk_gb: vec![10],
        storage_account: Some(names.storage.clone()),
    };
    println!("   (a random password, not shown)");
    let say = Say {
        to_stderr: false,
        indent: 3,
    };
    // The service is created first: note it before anything can fail.
    created.vm_service = true;
    let made = vm::create(client, &spec, true, say).await;
    if made.is_err() {
        // Nothing to delete if the service was not created.
        if client
            .get_hosted_service_properties(
                &names.vm_service,
                &GetHostedServicePropertiesOptions::default(),
            )
            .await
            .is_err()
        {
            created.vm_service = false;
        }
    }
    let made = made?;
    if let Some(view) = &made.view {
        print!("{}", vm::render(&made.service, view, 3));
    }

    // 8. Operation history.
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

    // 9. Clean up.
    steps.next(
        "Delete the deployments (the VM's with its disks), the cloud services, \
         the storage account and the affinity group",
    );
    let op = client
        .delete_deployment_by_name(
            &names.vm_service,
            &made.deployment,
            &DeleteDeploymentByNameOptions {
                comp: Some("media".into()),
            },
        )
        .await?;
    wait(client, op, "deleting the VM deployment and its disks").await?;
    println!(
        "   deleted deployment {} of {} and its disks",
        made.deployment, names.vm_service
    );
    client.delete_hosted_service(&names.vm_service).await?;
    created.vm_service = false;
    println!(
        "   deleted cloud service {}{}",
        names.vm_service,
        request_id_suffix()
    );
    let op = client
        .delete_deployment_by_name(
            &names.service,
            &names.deployment,
            &DeleteDeploymentByNameOptions::default(),
        )
        .await?;
    wait(client, op, "deleting the package deployment").await?;
    println!(
        "   deleted deployment {} of {}",
        names.deployment, names.service
    );
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

    // 10. Verify.
    steps.next("Verify they are gone (list again)");
    let services = client.list_hosted_services().await?.hosted_service;
    let accounts = client.list_storage_accounts().await?.storage_service;
    let groups = client.list_affinity_groups().await?.affinity_group;
    let disks = client.list_disks().await?.disk;
    let left_service = services
        .iter()
        .any(|s| s.service_name == names.service || s.service_name == names.vm_service);
    let left_disks = disks
        .iter()
        .filter(|d| d.name.contains(names.suffix.as_str()))
        .count();
    let left_storage = accounts
        .iter()
        .any(|a| a.service_name.as_deref() == Some(names.storage.as_str()));
    let left_group = groups.iter().any(|g| g.name == names.group);
    println!(
        "   cloud services: {} listed, {} and {} {}",
        services.len(),
        names.service,
        names.vm_service,
        gone(left_service)
    );
    println!(
        "   disks: {} listed, the VM's {}",
        disks.len(),
        gone(left_disks > 0)
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
    if left_service || left_storage || left_group || left_disks > 0 {
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
    // With their deployments and disks, if any.
    for (made, name) in [
        (created.vm_service, &names.vm_service),
        (created.service, &names.service),
    ] {
        if made {
            let r = match client.delete_hosted_service_and_contents(name).await {
                Ok(op) => op.wait().await,
                Err(e) => Err(e),
            };
            report("cloud service", name, r);
        }
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

/// Waits for an asynchronous operation, one line per poll.
async fn wait(client: &Client, op: AsyncOperation, what: &str) -> Result {
    println!("   {what} (request id {}):", op.request_id());
    op.wait_with(client.core().poll_options().clone(), |p| {
        print!("   ");
        print_progress(p);
    })
    .await?;
    Ok(())
}

/// Create Deployment in staging (the configuration travels base64-encoded),
/// its role instances, then Swap Deployment to production.
async fn deploy(client: &Client, names: &Names, steps: &mut Steps) -> Result {
    steps.next(&format!(
        "Deploy a package to cloud service {} in staging ({WEB_INSTANCES} instances)",
        names.service
    ));
    let package_url = format!(
        "https://{}.blob.core.windows.net/packages/tour.cspkg",
        names.storage
    );
    let op = client
        .create_deployment(
            &names.service,
            &DeploymentSlot::Staging,
            &CreateDeployment {
                name: names.deployment.as_str().into(),
                package_url: package_url.as_str().into(),
                label: "Tour deployment".into(),
                configuration: service_configuration(&names.service).into(),
                start_deployment: Some(true),
                ..Default::default()
            },
        )
        .await?;
    println!("   package {package_url}");
    println!(
        "   the service configuration (Instances count={WEB_INSTANCES}) travels base64-encoded"
    );
    wait(client, op, "Create Deployment accepted").await?;
    let d = client
        .get_deployment_by_slot(&names.service, &DeploymentSlot::Staging)
        .await?;
    println!(
        "   deployment {} in {}: {} ({} role instances)",
        d.name,
        d.deployment_slot,
        d.status,
        d.role_instance_list.len()
    );
    let mut t = Table::new(&["INSTANCE", "ROLE", "STATUS", "SIZE", "IP ADDRESS"]).indent(5);
    for i in &d.role_instance_list {
        t.row([
            i.instance_name.clone(),
            i.role_name.clone(),
            or_dash(i.instance_status.as_ref().map(|s| s.to_string()).as_deref()).into(),
            or_dash(i.instance_size.as_deref()).into(),
            or_dash(i.ip_address.as_deref()).into(),
        ]);
    }
    t.print_or("no role instances");
    if d.role_instance_list.len() != WEB_INSTANCES {
        return Err(msg(format!(
            "the deployment has {} role instances, the configuration asked for {WEB_INSTANCES}",
            d.role_instance_list.len()
        )));
    }

    steps.next("Swap the deployment from staging to production");
    let op = client
        .swap_deployment(
            &names.service,
            &Swap {
                production: None,
                source_deployment: names.deployment.as_str().into(),
            },
        )
        .await?;
    wait(client, op, "Swap Deployment accepted").await?;
    let d = client
        .get_deployment_by_slot(&names.service, &DeploymentSlot::Production)
        .await?;
    println!(
        "   production slot: {} ({}), {}",
        d.name,
        d.status,
        or_dash(d.url.as_deref())
    );
    if d.name != names.deployment {
        return Err(msg("the swap did not move the deployment to production"));
    }
    Ok(())
}

//! The subcommands: thin wrappers over the generated client.

use std::time::Duration;

use azure_asm::{
    Client, CreateAffinityGroup, CreateHostedService, CreateStorageServiceInput, DateTime,
    ExtendedProperty, GetHostedServicePropertiesOptions, KeyType,
    ListSubscriptionOperationsOptions, OperationState, OperationStatus, Progress, RegenerateKeys,
    StorageAccountType, StorageService, SubscriptionCertificate, UpdateAffinityGroup,
    UpdateHostedService, UpdateStorageServiceInput,
};
use clap::ArgMatches;
use futures_util::StreamExt as _;

use crate::connect::Target;
use crate::error::{msg, CliError};
use crate::logging::request_id_suffix;
use crate::output::{self, or_dash, Fields, Table};
use crate::spec::{Printing, SpecCommand};
use crate::{
    AffinityGroupCmd, CertificateCmd, Command, LocationsCmd, OperationCmd, OperationsCmd,
    Placement, ServiceCmd, StorageCmd, SubscriptionCmd,
};

type Result<T = ()> = std::result::Result<T, CliError>;

/// Connects, runs a hand-written command, and stops the embedded emulator
/// if any.
pub async fn run(target: Target, command: Command, printing: Printing) -> Result {
    let name = match &command {
        Command::Tour(_) => "tour",
        Command::Subscription(_) => "subscription",
        Command::Locations(_) => "locations",
        Command::AffinityGroup(_) => "affinity-group",
        Command::Service(_) => "service",
        Command::Storage(_) => "storage",
        Command::Certificate(_) => "certificate",
        Command::Operations(_) => "operations",
        Command::Operation(_) => "operation",
        Command::Network(_) => "network",
        Command::Vm(_) => "vm",
        Command::Completions { .. } => "completions",
    };
    // `vm create` prints the virtual machine in any format.
    if !matches!(command, Command::Vm(_)) {
        crate::spec::refuse_output(printing.format, name)?;
    }
    let show_secrets = printing.show_secrets;
    let session = target.connect().await?;
    let client = session.client.clone();
    let emulated = session.is_emulated();
    let result = match command {
        Command::Tour(args) => crate::tour::run(&client, emulated, &args).await,
        Command::Subscription(c) => subscription(&client, c).await,
        Command::Locations(c) => locations(&client, c).await,
        Command::AffinityGroup(c) => affinity_group(&client, c).await,
        Command::Service(c) => service(&client, c).await,
        Command::Storage(c) => storage(&client, c, show_secrets).await,
        Command::Certificate(c) => certificate(&client, c).await,
        Command::Operations(c) => operations(&client, c).await,
        Command::Operation(c) => operation(&client, c).await,
        Command::Network(c) => crate::network::run(&client, c).await,
        Command::Vm(c) => crate::vm::run(&client, c, printing).await,
        Command::Completions { .. } => Ok(()),
    };
    drop(client);
    session.close().await;
    result
}

/// Connects, runs a command generated from the spec, and stops the
/// embedded emulator if any.
pub async fn run_generated(
    target: Target,
    command: &'static SpecCommand,
    matches: &ArgMatches,
    printing: Printing,
) -> Result {
    let session = target.connect().await?;
    let client = session.client.clone();
    let result = crate::spec::run(&client, command, matches, printing).await;
    drop(client);
    session.close().await;
    result
}

async fn subscription(client: &Client, cmd: SubscriptionCmd) -> Result {
    match cmd {
        SubscriptionCmd::Show => {
            let s = client.get_subscription().await?;
            let quota = |cur: Option<i32>, max: Option<i32>| match (cur, max) {
                (None, None) => String::new(),
                (c, Some(m)) => format!("{} of {m}", c.unwrap_or(0)),
                (Some(c), None) => c.to_string(),
            };
            Fields::new()
                .add("id", s.subscription_id.clone())
                .opt("name", s.subscription_name.as_deref())
                .opt("status", s.subscription_status.as_ref())
                .opt("account admin", s.account_admin_live_email_id.as_deref())
                .opt("service admin", s.service_admin_live_email_id.as_deref())
                .add(
                    "cloud services",
                    quota(s.current_hosted_services, s.max_hosted_services),
                )
                .add(
                    "storage accounts",
                    quota(s.current_storage_accounts, s.max_storage_accounts),
                )
                .add("cores", quota(s.current_core_count, s.max_core_count))
                .opt("created", s.created_time.as_ref().map(output::time))
                .print();
        }
    }
    Ok(())
}

async fn locations(client: &Client, cmd: LocationsCmd) -> Result {
    match cmd {
        LocationsCmd::List => {
            let mut t = Table::new(&["NAME", "SERVICES"]);
            for l in client.list_locations().await?.location {
                t.row([l.name, l.available_services.join(", ").into()]);
            }
            t.print_or("no locations");
        }
    }
    Ok(())
}

async fn affinity_group(client: &Client, cmd: AffinityGroupCmd) -> Result {
    match cmd {
        AffinityGroupCmd::List => {
            let mut t = Table::new(&["NAME", "LOCATION", "LABEL", "DESCRIPTION"]);
            for g in client.list_affinity_groups().await?.affinity_group {
                t.row([
                    g.name,
                    g.location,
                    g.label,
                    or_dash(g.description.as_deref()).into(),
                ]);
            }
            t.print_or("no affinity groups");
        }
        AffinityGroupCmd::Show { name } => {
            let g = client.get_affinity_group_properties(&name).await?;
            let services: Vec<_> = g
                .hosted_services
                .iter()
                .map(|s| s.service_name.as_str())
                .collect();
            let accounts: Vec<_> = g
                .storage_services
                .iter()
                .map(|s| s.service_name.clone().unwrap_or_else(|| s.url.clone()))
                .collect();
            Fields::new()
                .add("name", g.name.clone())
                .add("label", g.label.clone())
                .opt("description", g.description.as_deref())
                .add("location", g.location.clone())
                .opt("created", g.created_time.as_ref().map(output::time))
                .add("capabilities", g.capabilities.join(", "))
                .add("cloud services", list_or_none(&services))
                .add("storage accounts", list_or_none(&accounts))
                .print();
        }
        AffinityGroupCmd::Create {
            name,
            location,
            label,
            description,
        } => {
            client
                .create_affinity_group(&CreateAffinityGroup {
                    label: label.unwrap_or_else(|| name.clone()).into(),
                    name: name.as_str().into(),
                    description: description.map(Into::into),
                    location: location.as_str().into(),
                })
                .await?;
            println!(
                "created affinity group {name} in {location}{}",
                request_id_suffix()
            );
        }
        AffinityGroupCmd::Update {
            name,
            label,
            description,
        } => {
            if label.is_none() && description.is_none() {
                return Err(msg("nothing to update: give --label and/or --description"));
            }
            // The label is required by the service: keep the current one.
            let label = match label {
                Some(l) => l,
                None => client
                    .get_affinity_group_properties(&name)
                    .await?
                    .label
                    .to_string(),
            };
            client
                .update_affinity_group(
                    &name,
                    &UpdateAffinityGroup {
                        label: label.into(),
                        description: description.map(Into::into),
                    },
                )
                .await?;
            println!("updated affinity group {name}{}", request_id_suffix());
        }
        AffinityGroupCmd::Delete { name } => {
            client.delete_affinity_group(&name).await?;
            println!("deleted affinity group {name}{}", request_id_suffix());
        }
    }
    Ok(())
}

fn list_or_none(items: &[impl AsRef<str>]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `K=V` arguments as extended properties (`K=` deletes in an update).
pub fn properties(args: &[String]) -> Result<Vec<ExtendedProperty>> {
    args.iter()
        .map(|a| {
            let (k, v) = a
                .split_once('=')
                .ok_or_else(|| msg(format!("--property {a:?}: expected NAME=VALUE")))?;
            if k.trim().is_empty() {
                return Err(msg(format!("--property {a:?}: the name is empty")));
            }
            Ok(ExtendedProperty {
                name: k.trim().into(),
                value: Some(v.into()),
            })
        })
        .collect()
}

fn placement_text(p: &Placement) -> String {
    match (&p.location, &p.affinity_group) {
        (_, Some(g)) => format!("affinity group {g}"),
        (Some(l), None) => l.clone(),
        (None, None) => String::new(),
    }
}

async fn service(client: &Client, cmd: ServiceCmd) -> Result {
    match cmd {
        ServiceCmd::List => {
            let mut t = Table::new(&["NAME", "LOCATION / AFFINITY GROUP", "STATUS", "LABEL"]);
            for s in client.list_hosted_services().await?.hosted_service {
                let p = s.hosted_service_properties.unwrap_or_default();
                t.row([
                    s.service_name,
                    where_(p.location.as_deref(), p.affinity_group.as_deref()).into(),
                    p.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into())
                        .into(),
                    p.label,
                ]);
            }
            t.print_or("no cloud services");
        }
        ServiceCmd::Show { name, detail } => {
            let options = GetHostedServicePropertiesOptions {
                embed_detail: detail.then_some(true),
            };
            let s = client
                .get_hosted_service_properties(&name, &options)
                .await?;
            print!("{}", service_fields(&s).render(0));
            if detail {
                let mut t = Table::new(&["DEPLOYMENT", "SLOT", "STATUS", "LABEL"]).indent(2);
                for d in s.deployments.iter().flatten() {
                    t.row([
                        d.name.clone(),
                        d.deployment_slot.to_string().into(),
                        d.status.to_string().into(),
                        d.label.clone(),
                    ]);
                }
                println!("deployments:");
                t.print_or("none");
            }
        }
        ServiceCmd::Create {
            name,
            placement,
            label,
            description,
            properties: props,
        } => {
            let where_text = placement_text(&placement);
            client
                .create_hosted_service(&CreateHostedService {
                    label: label.unwrap_or_else(|| name.clone()).into(),
                    service_name: name.as_str().into(),
                    description: description.map(Into::into),
                    location: placement.location.map(Into::into),
                    affinity_group: placement.affinity_group.map(Into::into),
                    extended_properties: properties(&props)?,
                    reverse_dns_fqdn: None,
                })
                .await?;
            println!(
                "created cloud service {name} in {where_text}{}",
                request_id_suffix()
            );
        }
        ServiceCmd::Update {
            name,
            label,
            description,
            properties: props,
        } => {
            if label.is_none() && description.is_none() && props.is_empty() {
                return Err(msg(
                    "nothing to update: give --label, --description or --property",
                ));
            }
            // The service wants a label or a description: keep the current label.
            let label = match (label, &description) {
                (None, None) => Some(
                    client
                        .get_hosted_service_properties(&name, &Default::default())
                        .await?
                        .hosted_service_properties
                        .unwrap_or_default()
                        .label,
                ),
                (label, _) => label.map(Into::into),
            };
            client
                .update_hosted_service(
                    &name,
                    &UpdateHostedService {
                        label,
                        description: description.map(Into::into),
                        extended_properties: properties(&props)?,
                        reverse_dns_fqdn: None,
                    },
                )
                .await?;
            println!("updated cloud service {name}{}", request_id_suffix());
        }
        ServiceCmd::Delete {
            name,
            with_contents,
        } => {
            if with_contents {
                let op = client.delete_hosted_service_and_contents(&name).await?;
                println!(
                    "deleting cloud service {name} and its contents (request id {})",
                    op.request_id()
                );
                op.wait_with(client.core().poll_options().clone(), print_progress)
                    .await?;
                println!("deleted cloud service {name}");
            } else {
                client.delete_hosted_service(&name).await?;
                println!("deleted cloud service {name}{}", request_id_suffix());
            }
        }
        ServiceCmd::Check { name } => {
            let r = client.check_hosted_service_name_availability(&name).await?;
            print_availability("cloud service", &name, r.result, r.reason.as_deref());
        }
    }
    Ok(())
}

fn where_(location: Option<&str>, group: Option<&str>) -> String {
    match (location, group) {
        (_, Some(g)) if !g.is_empty() => format!("group {g}"),
        (Some(l), _) if !l.is_empty() => l.to_owned(),
        _ => "-".to_owned(),
    }
}

/// Extended properties as `NAME=VALUE` texts.
fn property_pairs(properties: &[azure_asm::ExtendedProperty]) -> Vec<String> {
    properties
        .iter()
        .map(|e| format!("{}={}", e.name, e.value.as_deref().unwrap_or("")))
        .collect()
}

pub fn service_fields(s: &azure_asm::HostedService) -> Fields {
    let p = s.hosted_service_properties.clone().unwrap_or_default();
    let props = property_pairs(&p.extended_properties);
    let mut f = Fields::new();
    f.add("name", s.service_name.clone())
        .add("label", p.label.clone())
        .opt("description", p.description.as_deref())
        .opt("location", p.location.as_deref())
        .opt("affinity group", p.affinity_group.as_deref())
        .opt("status", p.status.as_ref())
        .opt("created", p.date_created.as_ref().map(output::time))
        .opt("modified", p.date_last_modified.as_ref().map(output::time))
        .add("properties", props.join(", "))
        .add("url", s.url.clone());
    f
}

fn print_availability(kind: &str, name: &str, available: bool, reason: Option<&str>) {
    if available {
        println!("{kind} name {name} is available");
    } else {
        match reason {
            Some(r) if !r.is_empty() => println!("{kind} name {name} is not available: {r}"),
            _ => println!("{kind} name {name} is not available"),
        }
    }
}

fn account_type(t: String) -> StorageAccountType {
    StorageAccountType::from(t.as_str())
}

/// One line per poll of an asynchronous operation.
pub fn print_progress(p: &Progress<'_>) {
    let state = match p.state {
        OperationState::InProgress => "InProgress".to_owned(),
        OperationState::Succeeded { http_status } => match http_status {
            Some(s) => format!("Succeeded (HTTP {s})"),
            None => "Succeeded".to_owned(),
        },
        OperationState::Failed(e) => format!("Failed ({})", e.code.as_deref().unwrap_or("error")),
        OperationState::Other(s) => s.clone(),
    };
    println!(
        "  [poll {:>2}] {}  {:<20} {:>7}",
        p.polls,
        p.request_id,
        state,
        output::elapsed(p.elapsed)
    );
}

pub fn key_lines(keys: &StorageService, show_secrets: bool, indent: usize) -> String {
    let k = keys.storage_service_keys.clone().unwrap_or_default();
    let mut f = Fields::new();
    f.add(
        "primary",
        output::show_key(k.primary.as_deref(), show_secrets),
    )
    .add(
        "secondary",
        output::show_key(k.secondary.as_deref(), show_secrets),
    );
    f.render(indent)
}

pub fn storage_fields(a: &StorageService) -> Fields {
    let p = a.storage_service_properties.clone().unwrap_or_default();
    let props = property_pairs(&a.extended_properties);
    let mut f = Fields::new();
    f.add("name", a.service_name.clone().unwrap_or_default())
        .add("label", p.label.clone())
        .opt("description", p.description.as_deref())
        .opt("location", p.location.as_deref())
        .opt("affinity group", p.affinity_group.as_deref())
        .opt("status", p.status.as_ref())
        .opt("account type", p.account_type.as_ref())
        .opt("created", p.creation_time.as_ref().map(output::time))
        .add("endpoints", p.endpoints.join(" "))
        .add("properties", props.join(", "))
        .add("url", a.url.clone());
    f
}

async fn storage(client: &Client, cmd: StorageCmd, show_secrets: bool) -> Result {
    match cmd {
        StorageCmd::List => {
            let mut t = Table::new(&[
                "NAME",
                "LOCATION / AFFINITY GROUP",
                "STATUS",
                "TYPE",
                "LABEL",
            ]);
            for a in client.list_storage_accounts().await?.storage_service {
                let p = a.storage_service_properties.unwrap_or_default();
                t.row([
                    a.service_name.unwrap_or_default(),
                    where_(p.location.as_deref(), p.affinity_group.as_deref()).into(),
                    p.status
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into())
                        .into(),
                    p.account_type
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into())
                        .into(),
                    p.label,
                ]);
            }
            t.print_or("no storage accounts");
        }
        StorageCmd::Show { name } => {
            storage_fields(&client.get_storage_account_properties(&name).await?).print();
        }
        StorageCmd::Keys { name } => {
            let keys = client.get_storage_account_keys(&name).await?;
            print!("{}", key_lines(&keys, show_secrets, 0));
            if !show_secrets {
                println!("(redacted; add --show-secrets to print the keys)");
            }
        }
        StorageCmd::RegenerateKeys { name, key } => {
            let key_type = KeyType::from(key.as_str());
            let keys = client
                .regenerate_storage_account_keys(
                    &name,
                    &RegenerateKeys {
                        key_type: key_type.clone(),
                    },
                )
                .await?;
            println!(
                "regenerated the {} key of {name}{}",
                key_type.as_str().to_lowercase(),
                request_id_suffix()
            );
            print!("{}", key_lines(&keys, show_secrets, 0));
        }
        StorageCmd::Create {
            name,
            placement,
            label,
            description,
            account_type: kind,
            properties: props,
            no_wait,
        } => {
            let where_text = placement_text(&placement);
            let op = client
                .create_storage_account(&CreateStorageServiceInput {
                    label: label.unwrap_or_else(|| name.clone()).into(),
                    service_name: name.as_str().into(),
                    description: description.map(Into::into),
                    location: placement.location.map(Into::into),
                    affinity_group: placement.affinity_group.map(Into::into),
                    extended_properties: properties(&props)?,
                    account_type: kind.map(account_type),
                    ..Default::default()
                })
                .await?;
            println!(
                "creating storage account {name} in {where_text} (request id {})",
                op.request_id()
            );
            if no_wait {
                println!(
                    "not waiting; follow it with `asm operation wait {}`",
                    op.request_id()
                );
                return Ok(());
            }
            op.wait_with(client.core().poll_options().clone(), print_progress)
                .await?;
            println!("created storage account {name}");
        }
        StorageCmd::Update {
            name,
            label,
            description,
            account_type: kind,
            properties: props,
        } => {
            if label.is_none() && description.is_none() && kind.is_none() && props.is_empty() {
                return Err(msg(
                    "nothing to update: give --label, --description, --account-type or --property",
                ));
            }
            client
                .update_storage_account(
                    &name,
                    &UpdateStorageServiceInput {
                        label: label.map(Into::into),
                        description: description.map(Into::into),
                        account_type: kind.map(account_type),
                        extended_properties: properties(&props)?,
                        ..Default::default()
                    },
                )
                .await?;
            println!("updated storage account {name}{}", request_id_suffix());
        }
        StorageCmd::Delete { name } => {
            client.delete_storage_account(&name).await?;
            println!("deleted storage account {name}{}", request_id_suffix());
        }
        StorageCmd::Check { name } => {
            let r = client
                .check_storage_account_name_availability(&name)
                .await?;
            print_availability("storage account", &name, r.result, r.reason.as_deref());
        }
    }
    Ok(())
}

async fn certificate(client: &Client, cmd: CertificateCmd) -> Result {
    match cmd {
        CertificateCmd::List => {
            let mut t = Table::new(&["THUMBPRINT", "ADDED"]);
            for c in client
                .list_management_certificates()
                .await?
                .subscription_certificate
            {
                t.row([
                    c.subscription_certificate_thumbprint,
                    output::opt_time(c.created.as_ref()).into(),
                ]);
            }
            t.print_or("no management certificates");
        }
        CertificateCmd::Show { thumbprint } => {
            let c = client.get_management_certificate(&thumbprint).await?;
            Fields::new()
                .add("thumbprint", c.subscription_certificate_thumbprint.clone())
                .opt("added", c.created.as_ref().map(output::time))
                .add(
                    "certificate",
                    format!("{} bytes (DER)", c.subscription_certificate_data.len()),
                )
                .add(
                    "public key",
                    format!(
                        "{} bytes (DER)",
                        c.subscription_certificate_public_key.len()
                    ),
                )
                .print();
        }
        CertificateCmd::Add { file } => {
            let info = crate::cert::read_certificate(&file)?;
            client
                .add_management_certificate(&SubscriptionCertificate {
                    subscription_certificate_public_key: info.public_key,
                    subscription_certificate_thumbprint: info.thumbprint.as_str().into(),
                    subscription_certificate_data: info.der,
                    created: None,
                })
                .await?;
            println!(
                "added management certificate {}{}",
                info.thumbprint,
                request_id_suffix()
            );
        }
        CertificateCmd::Delete { thumbprint } => {
            client.delete_management_certificate(&thumbprint).await?;
            println!(
                "deleted management certificate {thumbprint}{}",
                request_id_suffix()
            );
        }
    }
    Ok(())
}

/// `90s`, `30m`, `1h`, `2d`, `1w`.
pub fn parse_age(text: &str) -> Result<Duration> {
    let t = text.trim();
    let bad = || {
        msg(format!(
            "--since {text:?}: expected a number and a unit, like 90s, 30m, 1h or 2d"
        ))
    };
    let split = t.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = t.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(bad()),
    };
    let d = Duration::from_secs(n.saturating_mul(secs));
    if d > Duration::from_secs(90 * 86_400) {
        return Err(msg(format!(
            "--since {text}: the service keeps at most 90 days of history"
        )));
    }
    Ok(d)
}

/// Reads the subscription's operation history with the paging stream.
pub async fn history(
    client: &Client,
    start: DateTime,
    options: ListSubscriptionOperationsOptions,
    short_time: bool,
    keep: impl Fn(&azure_asm::SubscriptionOperation) -> bool,
) -> Result<Table> {
    let end = DateTime::from_unix(DateTime::now().unix() + 60).unwrap_or_else(DateTime::now);
    let stream = client.list_subscription_operations_stream(start, end, options);
    futures_util::pin_mut!(stream);
    let mut t = Table::new(&["TIME", "OPERATION", "OBJECT", "STATUS"]);
    let sub = client.subscription_id().to_owned();
    while let Some(item) = stream.next().await {
        let op = item?;
        if !keep(&op) {
            continue;
        }
        let status = match &op.operation_status {
            Some(s) => match (&s.status, s.http_status_code) {
                (OperationStatus::Failed, code) => {
                    let err = s.error.as_ref().and_then(|e| e.code.clone());
                    match (err, code) {
                        (Some(e), _) => format!("Failed ({e})"),
                        (None, Some(c)) => format!("Failed ({c})"),
                        (None, None) => "Failed".to_owned(),
                    }
                }
                (st, _) => st.to_string(),
            },
            None => "-".to_owned(),
        };
        let time = output::opt_time(op.operation_started_time.as_ref());
        t.row([
            if short_time {
                time.get(11..19).unwrap_or(&time).to_owned()
            } else {
                time
            },
            or_dash(op.operation_name.as_deref()),
            op.operation_object_id
                .as_deref()
                .map(|o| output::short_object(o, &sub))
                .unwrap_or_else(|| "-".into()),
            status,
        ]);
    }
    Ok(t)
}

async fn operations(client: &Client, cmd: OperationsCmd) -> Result {
    match cmd {
        OperationsCmd::List {
            since,
            object_id,
            result,
        } => {
            let age = parse_age(&since)?;
            let start = DateTime::from_unix(DateTime::now().unix() - age.as_secs() as i64)
                .ok_or_else(|| msg("--since is too far back"))?;
            let options = ListSubscriptionOperationsOptions {
                object_id_filter: object_id,
                operation_result_filter: result.as_deref().map(OperationStatus::from),
                continuation_token: None,
            };
            let t = history(client, start, options, false, |_| true).await?;
            t.print_or(&format!("no operations in the last {since}"));
        }
    }
    Ok(())
}

async fn operation(client: &Client, cmd: OperationCmd) -> Result {
    match cmd {
        OperationCmd::Show { request_id } => {
            let op = client.get_operation_status(&request_id).await?;
            let error = op.error.as_ref().map(|e| {
                format!(
                    "{}: {}",
                    e.code.as_deref().unwrap_or("error"),
                    e.message.as_deref().unwrap_or("")
                )
            });
            Fields::new()
                .add("id", op.id.clone())
                .add("status", op.status.to_string())
                .opt("http status", op.http_status_code)
                .opt("error", error)
                .print();
        }
        OperationCmd::Wait { request_id } => {
            let op = client.operation(request_id.clone());
            op.wait_with(client.core().poll_options().clone(), print_progress)
                .await?;
            println!("operation {request_id} succeeded");
        }
    }
    Ok(())
}

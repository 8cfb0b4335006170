//! `asm`: a command-line client for the Azure Service Management (classic)
//! API, built on the generated `azure_asm::Client`. Without credentials it
//! starts an embedded emulator, so every command works on a fresh machine.

// Help texts come from doc comments and show URLs as they are.
#![allow(rustdoc::bare_urls)]

mod cert;
mod commands;
mod connect;
mod error;
mod logging;
mod output;
mod tour;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};

use crate::connect::Target;

/// Manage Azure classic (Service Management) resources, or try the API
/// against an embedded emulator.
#[derive(Parser, Debug)]
#[command(
    name = "asm",
    version,
    max_term_width = 100,
    after_help = "Without --cert, --pfx or --publish-settings every command runs against an \
                  embedded emulator (temporary data unless --emulator-data is given).\n\
                  Global options go before the command: `asm --emulator-data DIR storage list`.\n\
                  Start with `asm tour`."
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Debug)]
#[command(next_help_heading = "Global options (before the command)")]
struct Global {
    /// Management endpoint (default https://management.core.windows.net, or the publish settings')
    #[arg(long, value_name = "URL")]
    endpoint: Option<String>,
    /// Subscription id (required with --cert and --pfx; picks one of the publish settings)
    #[arg(long, value_name = "ID")]
    subscription_id: Option<String>,
    /// Management certificate and its private key, in one PEM file
    #[arg(long, value_name = "PEM", conflicts_with_all = ["pfx", "publish_settings"])]
    cert: Option<PathBuf>,
    /// Management certificate as PKCS#12 (.pfx)
    #[arg(long, value_name = "FILE", conflicts_with = "publish_settings")]
    pfx: Option<PathBuf>,
    /// Environment variable holding the .pfx password (default: empty password)
    #[arg(long, value_name = "VAR", requires = "pfx")]
    pfx_password_env: Option<String>,
    /// A .publishsettings file (subscription, certificate and endpoint)
    #[arg(long, value_name = "FILE")]
    publish_settings: Option<PathBuf>,
    /// An extra trusted root CA certificate (PEM)
    #[arg(long, value_name = "PEM")]
    ca: Option<PathBuf>,
    /// Send this x-ms-version on every call instead of each operation's own
    #[arg(long = "x-ms-version", value_name = "V")]
    x_ms_version: Option<String>,
    /// Keep the embedded emulator's state in DIR (reused across runs)
    #[arg(long, value_name = "DIR", conflicts_with_all = ["cert", "pfx", "publish_settings", "endpoint"])]
    emulator_data: Option<PathBuf>,
    /// Log to stderr (-v info, -vv debug, -vvv trace; RUST_LOG also works)
    #[arg(short, long, action = ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Walk through the Service Management how-to: locations, affinity group,
    /// cloud service, storage account and keys, operation history, clean-up
    Tour(TourArgs),
    /// The subscription
    #[command(subcommand)]
    Subscription(SubscriptionCmd),
    /// Data center locations
    #[command(subcommand)]
    Locations(LocationsCmd),
    /// Affinity groups
    #[command(subcommand)]
    AffinityGroup(AffinityGroupCmd),
    /// Cloud services (hosted services)
    #[command(subcommand)]
    Service(ServiceCmd),
    /// Storage accounts
    #[command(subcommand)]
    Storage(StorageCmd),
    /// Management certificates
    #[command(subcommand)]
    Certificate(CertificateCmd),
    /// The subscription's operation history
    #[command(subcommand)]
    Operations(OperationsCmd),
    /// One asynchronous operation
    #[command(subcommand)]
    Operation(OperationCmd),
}

#[derive(Args, Debug)]
pub struct TourArgs {
    /// Print storage keys in full
    #[arg(long)]
    pub show_secrets: bool,
    /// Location to create things in (default: West US if offered, else the first)
    #[arg(long, value_name = "L")]
    pub location: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum SubscriptionCmd {
    /// Show the subscription's properties and quotas
    Show,
}

#[derive(Subcommand, Debug)]
pub enum LocationsCmd {
    /// List the locations available to the subscription
    List,
}

#[derive(Subcommand, Debug)]
pub enum AffinityGroupCmd {
    /// List affinity groups
    List,
    /// Show an affinity group, with its services and storage accounts
    Show { name: String },
    /// Create an affinity group
    Create {
        name: String,
        #[arg(long, value_name = "L")]
        location: String,
        /// Label (default: the name)
        #[arg(long)]
        label: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
    },
    /// Change the label and/or description of an affinity group
    Update {
        name: String,
        #[arg(long)]
        label: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete an (empty) affinity group
    Delete { name: String },
}

/// `--location L` or `--affinity-group G`, exactly one.
#[derive(Args, Debug)]
#[group(required = true, multiple = false)]
pub struct Placement {
    /// Location (see `asm locations list`)
    #[arg(long, value_name = "L")]
    pub location: Option<String>,
    /// Affinity group (instead of a location)
    #[arg(long, value_name = "G")]
    pub affinity_group: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum ServiceCmd {
    /// List cloud services
    List,
    /// Show a cloud service
    Show {
        name: String,
        /// Include the deployments (embed-detail)
        #[arg(long)]
        detail: bool,
    },
    /// Create a cloud service in a location or an affinity group
    Create {
        name: String,
        #[command(flatten)]
        placement: Placement,
        /// Label (default: the name)
        #[arg(long)]
        label: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
        /// Extended property NAME=VALUE (repeatable)
        #[arg(long = "property", value_name = "K=V")]
        properties: Vec<String>,
    },
    /// Change the label, description or extended properties (K= deletes K)
    Update {
        name: String,
        #[arg(long)]
        label: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
        /// Extended property NAME=VALUE (repeatable; an empty value deletes it)
        #[arg(long = "property", value_name = "K=V")]
        properties: Vec<String>,
    },
    /// Delete a cloud service
    Delete {
        name: String,
        /// Also delete its deployments and disks (asynchronous; waits)
        #[arg(long)]
        with_contents: bool,
    },
    /// Check whether a cloud service name is available
    Check { name: String },
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum KeyKind {
    Primary,
    Secondary,
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum AccountType {
    #[value(name = "Standard_LRS")]
    StandardLrs,
    #[value(name = "Standard_ZRS")]
    StandardZrs,
    #[value(name = "Standard_GRS")]
    StandardGrs,
    #[value(name = "Standard_RAGRS")]
    StandardRagrs,
    #[value(name = "Premium_LRS")]
    PremiumLrs,
}

#[derive(Subcommand, Debug)]
pub enum StorageCmd {
    /// List storage accounts
    List,
    /// Show a storage account
    Show { name: String },
    /// Show the access keys (redacted unless --show-secrets)
    Keys {
        name: String,
        #[arg(long)]
        show_secrets: bool,
    },
    /// Regenerate the primary or secondary key
    RegenerateKeys {
        name: String,
        #[arg(long, value_enum)]
        key: KeyKind,
        #[arg(long)]
        show_secrets: bool,
    },
    /// Create a storage account and wait until it exists
    Create {
        /// 3 to 24 lower-case letters and digits
        name: String,
        #[command(flatten)]
        placement: Placement,
        /// Label (default: the name)
        #[arg(long)]
        label: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_enum, value_name = "TYPE")]
        account_type: Option<AccountType>,
        /// Extended property NAME=VALUE (repeatable)
        #[arg(long = "property", value_name = "K=V")]
        properties: Vec<String>,
        /// Print the request id and return without waiting
        #[arg(long)]
        no_wait: bool,
    },
    /// Change the label, description, account type or extended properties
    Update {
        name: String,
        #[arg(long)]
        label: Option<String>,
        /// Description
        #[arg(long)]
        description: Option<String>,
        #[arg(long, value_enum, value_name = "TYPE")]
        account_type: Option<AccountType>,
        /// Extended property NAME=VALUE (repeatable; an empty value deletes it)
        #[arg(long = "property", value_name = "K=V")]
        properties: Vec<String>,
    },
    /// Delete a storage account
    Delete { name: String },
    /// Check whether a storage account name is available
    Check { name: String },
}

#[derive(Subcommand, Debug)]
pub enum CertificateCmd {
    /// List management certificates
    List,
    /// Show a management certificate
    Show { thumbprint: String },
    /// Upload a certificate (PEM or DER; a private key in the file is not sent)
    Add {
        #[arg(long, value_name = "PEM")]
        cert: PathBuf,
    },
    /// Remove a management certificate
    Delete { thumbprint: String },
}

#[derive(Copy, Clone, Debug, ValueEnum)]
pub enum ResultFilter {
    #[value(name = "Succeeded")]
    Succeeded,
    #[value(name = "Failed")]
    Failed,
    #[value(name = "InProgress")]
    InProgress,
}

#[derive(Subcommand, Debug)]
pub enum OperationsCmd {
    /// List operations (follows continuation tokens)
    List {
        /// How far back: 90s, 30m, 1h, 2d (at most 90d)
        #[arg(long, default_value = "24h", value_name = "AGE")]
        since: String,
        /// Only operations on this object (URL or /subscription/... path)
        #[arg(long, value_name = "ID")]
        object_id: Option<String>,
        #[arg(long, value_enum, value_name = "STATUS")]
        result: Option<ResultFilter>,
    },
}

#[derive(Subcommand, Debug)]
pub enum OperationCmd {
    /// Show the status of an asynchronous operation
    Show { request_id: String },
    /// Wait for an asynchronous operation to finish, printing each poll
    Wait { request_id: String },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let unknown = e.kind() == clap::error::ErrorKind::UnknownArgument;
            let _ = e.print();
            if unknown {
                eprintln!(
                    "\nnote: global options (--endpoint, --cert, --emulator-data, ...) go before \
                     the command, e.g. `asm --emulator-data DIR storage list`"
                );
            }
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    logging::init(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let g = cli.global;
    let target = Target {
        endpoint: g.endpoint,
        subscription_id: g.subscription_id,
        cert: g.cert,
        pfx: g.pfx,
        pfx_password_env: g.pfx_password_env,
        publish_settings: g.publish_settings,
        ca: g.ca,
        x_ms_version: g.x_ms_version,
        emulator_data: g.emulator_data,
    };
    match runtime.block_on(commands::run(target, cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", e.render());
            ExitCode::FAILURE
        }
    }
}

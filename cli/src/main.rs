//! `asm`: a command-line client for the Azure Service Management (classic)
//! API, built on the generated `azure_asm::Client`. Without credentials it
//! starts an embedded emulator, so every command works on a fresh machine.
//!
//! Two kinds of commands: one per operation of the spec (`asm <area>
//! <operation>`, built from the generated command table, see [`spec`]),
//! and hand-written ones that read better (`tour`, `storage create`, ...).

// Help texts come from doc comments and show URLs as they are.
#![allow(rustdoc::bare_urls)]

mod cert;
mod commands;
mod connect;
mod error;
mod logging;
mod network;
mod output;
mod spec;
mod tour;
mod vm;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{
    ArgAction, ArgMatches, Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand,
};

use crate::connect::Target;
use crate::spec::{spec_enum, OutputFormat, Printing};

/// Manage Azure classic (Service Management) resources, or try the API
/// against an embedded emulator.
#[derive(Parser, Debug)]
#[command(
    name = "asm",
    version,
    max_term_width = 100,
    after_help = "Every operation of the API is a command: `asm <area> <operation>` \
                  (`asm storage-accounts --help` lists an area's). \
                  Without --cert, --pfx or --publish-settings (or AZURE_CERT_PATH, \
                  AZURE_PUBLISH_SETTINGS_FILE) every command runs against an embedded emulator \
                  (temporary data unless --emulator-data is given). Global options go before \
                  or after the command. Start with `asm tour`."
)]
struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Environment variable for `--subscription-id`.
const ENV_SUBSCRIPTION_ID: &str = "AZURE_SUBSCRIPTION_ID";
/// Environment variable for `--cert`.
const ENV_CERT_PATH: &str = "AZURE_CERT_PATH";
/// Environment variable for `--publish-settings`.
const ENV_PUBLISH_SETTINGS: &str = "AZURE_PUBLISH_SETTINGS_FILE";

#[derive(Args, Debug)]
#[command(next_help_heading = "Global options (before or after the command)")]
struct Global {
    /// Management endpoint (default https://management.core.windows.net, or the publish settings')
    #[arg(long, global = true, value_name = "URL")]
    endpoint: Option<String>,
    /// Subscription id (required with --cert and --pfx; picks one of the publish settings)
    #[arg(long, global = true, value_name = "ID", env = ENV_SUBSCRIPTION_ID)]
    subscription_id: Option<String>,
    /// Management certificate and its private key, in one PEM file
    #[arg(long, global = true, value_name = "PEM", env = ENV_CERT_PATH)]
    cert: Option<PathBuf>,
    /// Management certificate as PKCS#12 (.pfx)
    #[arg(long, global = true, value_name = "FILE")]
    pfx: Option<PathBuf>,
    /// Environment variable holding the .pfx password (default: empty password)
    #[arg(long, global = true, value_name = "VAR", requires = "pfx")]
    pfx_password_env: Option<String>,
    /// A .publishsettings file (subscription, certificate and endpoint)
    #[arg(long, global = true, value_name = "FILE", env = ENV_PUBLISH_SETTINGS)]
    publish_settings: Option<PathBuf>,
    /// An extra trusted root CA certificate (PEM)
    #[arg(long, global = true, value_name = "PEM")]
    ca: Option<PathBuf>,
    /// Send this x-ms-version on every call instead of each operation's own
    #[arg(long = "x-ms-version", global = true, value_name = "V")]
    x_ms_version: Option<String>,
    /// Keep the embedded emulator's state in DIR (reused across runs)
    #[arg(long, global = true, value_name = "DIR", conflicts_with = "endpoint")]
    emulator_data: Option<PathBuf>,
    /// Output format: table (text for people), json (keys are the wire names) or xml (the
    /// response document re-encoded); json and xml are for the `<area> <operation>` commands
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table, value_name = "FORMAT")]
    output: OutputFormat,
    /// Print secrets (storage keys, passwords, connection strings) instead of redacting them
    #[arg(long, global = true)]
    show_secrets: bool,
    /// Log to stderr (-v info, -vv debug, -vvv trace; RUST_LOG also works)
    #[arg(short, long, global = true, action = ArgAction::Count)]
    verbose: u8,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Walk through the Service Management how-to: locations, affinity group,
    /// cloud service, storage account and keys, a deployment (swap), a virtual
    /// machine, operation history, clean-up
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
    /// The network configuration (virtual networks, subnets, DNS servers)
    #[command(subcommand)]
    Network(NetworkCmd),
    /// Virtual machines made from a few flags (`asm vm create`)
    #[command(subcommand)]
    Vm(vm::VmCmd),
    /// Print a shell completion script: `source <(asm completions bash)`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
pub struct TourArgs {
    /// Print storage keys in full (the global --show-secrets)
    #[arg(skip)]
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

#[derive(Subcommand, Debug)]
pub enum StorageCmd {
    /// List storage accounts
    List,
    /// Show a storage account
    Show { name: String },
    /// Show the access keys (redacted unless --show-secrets)
    Keys { name: String },
    /// Regenerate the primary or secondary key
    RegenerateKeys {
        name: String,
        /// Which key (a KeyType of the spec)
        #[arg(long, value_parser = spec_enum("KeyType"))]
        key: String,
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
        /// Replication type (a StorageAccountType of the spec)
        #[arg(long, value_parser = spec_enum("StorageAccountType"), value_name = "TYPE")]
        account_type: Option<String>,
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
        /// Replication type (a StorageAccountType of the spec)
        #[arg(long, value_parser = spec_enum("StorageAccountType"), value_name = "TYPE")]
        account_type: Option<String>,
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
        /// The certificate file (PEM or DER; not the global --cert, which
        /// is the certificate asm signs in with)
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Remove a management certificate
    Delete { thumbprint: String },
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
        /// Only operations with this result (an OperationStatus of the spec)
        #[arg(long, value_parser = spec_enum("OperationStatus"), value_name = "STATUS")]
        result: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
pub enum OperationCmd {
    /// Show the status of an asynchronous operation
    Show { request_id: String },
    /// Wait for an asynchronous operation to finish, printing each poll
    Wait { request_id: String },
}

#[derive(Subcommand, Debug)]
pub enum NetworkCmd {
    /// Replace the network configuration with the document in FILE (netcfg
    /// XML) and wait until it is applied
    SetConfig {
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the network configuration document (what set-config takes)
    ShowConfig,
}

fn main() -> ExitCode {
    let root = spec::augment(Cli::command());
    let matches = match root.clone().try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let generated = spec::find(&matches);
    // The hand-written commands read their own arguments; a generated one
    // only needs the global options (whose ids the derive shares).
    let global = match Global::from_arg_matches(&matches) {
        Ok(g) => g,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    };
    let command = match generated {
        Some(_) => None,
        None => match Cli::from_arg_matches(&matches) {
            Ok(cli) => Some(cli.command),
            Err(e) => {
                let _ = e.format(&mut Cli::command()).print();
                return ExitCode::from(2);
            }
        },
    };
    if let Some(Command::Completions { shell }) = command {
        let mut root = root;
        clap_complete::generate(shell, &mut root, "asm", &mut std::io::stdout());
        return ExitCode::SUCCESS;
    }
    logging::init(global.verbose);
    let target = match target(global_sources(&matches), &global) {
        Ok(t) => t,
        Err(e) => {
            eprint!("{}", e.render());
            return ExitCode::FAILURE;
        }
    };
    let printing = Printing {
        format: global.output,
        show_secrets: global.show_secrets,
    };
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
    let result = match (generated, command) {
        (Some((spec_command, op_matches)), _) => runtime.block_on(commands::run_generated(
            target,
            spec_command,
            op_matches,
            printing,
        )),
        (None, Some(mut command)) => {
            if let Command::Tour(args) = &mut command {
                args.show_secrets = global.show_secrets;
            }
            runtime.block_on(commands::run(target, command, printing))
        }
        (None, None) => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprint!("{}", e.render());
            ExitCode::FAILURE
        }
    }
}

/// Which credential options came from the command line (the rest, if any,
/// from the environment).
struct Sources {
    cert: bool,
    pfx: bool,
    publish_settings: bool,
    emulator_data: bool,
}

fn global_sources(m: &ArgMatches) -> Sources {
    // Global options are recorded in the deepest subcommand's matches too;
    // the root's know the value and where it came from.
    let cli = |id: &str| m.value_source(id) == Some(ValueSource::CommandLine);
    Sources {
        cert: cli("cert"),
        pfx: cli("pfx"),
        publish_settings: cli("publish_settings"),
        emulator_data: cli("emulator_data"),
    }
}

/// The target from the global options. Credentials on the command line
/// win over those from the environment (`AZURE_CERT_PATH`,
/// `AZURE_PUBLISH_SETTINGS_FILE`), and `--emulator-data` over both; two
/// kinds of credentials from the same place are an error.
fn target(src: Sources, g: &Global) -> Result<Target, error::CliError> {
    let mut cert = g.cert.clone();
    let mut pfx = g.pfx.clone();
    let mut publish_settings = g.publish_settings.clone();
    let on_cli = [src.cert, src.pfx, src.publish_settings];
    if src.emulator_data {
        if on_cli.iter().any(|b| *b) {
            return Err(error::msg(
                "--emulator-data runs against the embedded emulator: it cannot be used with \
                 --cert, --pfx or --publish-settings",
            ));
        }
        cert = None;
        pfx = None;
        publish_settings = None;
    } else if on_cli.iter().any(|b| *b) {
        // (--pfx has no environment variable: it is on the command line.)
        if on_cli.iter().filter(|b| **b).count() > 1 {
            return Err(error::msg(
                "give one of --cert, --pfx and --publish-settings",
            ));
        }
        if !src.cert {
            cert = None;
        }
        if !src.publish_settings {
            publish_settings = None;
        }
    } else if cert.is_some() && publish_settings.is_some() {
        return Err(error::msg(format!(
            "both {ENV_CERT_PATH} and {ENV_PUBLISH_SETTINGS} are set: unset one, or give \
             --cert or --publish-settings"
        )));
    }
    Ok(Target {
        endpoint: g.endpoint.clone(),
        subscription_id: g.subscription_id.clone(),
        cert,
        pfx,
        pfx_password_env: g.pfx_password_env.clone(),
        publish_settings,
        ca: g.ca.clone(),
        x_ms_version: g.x_ms_version.clone(),
        emulator_data: g.emulator_data.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own checks, and no command's flag shadows a global option
    /// (which would take the value of the command's flag).
    #[test]
    fn the_command_tree_is_consistent() {
        let root = spec::augment(Cli::command());
        root.clone().debug_assert();
        let globals: Vec<String> = root
            .get_arguments()
            .filter(|a| a.is_global_set())
            .filter_map(|a| a.get_long().map(str::to_owned))
            .collect();
        assert!(globals.contains(&"cert".to_owned()), "{globals:?}");
        fn walk(cmd: &clap::Command, globals: &[String], path: &str) {
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                for a in sub.get_arguments() {
                    if let Some(long) = a.get_long() {
                        assert!(
                            a.is_global_set() || !globals.iter().any(|g| g == long),
                            "`{path} --{long}` shadows the global option"
                        );
                    }
                }
                walk(sub, globals, &path);
            }
        }
        walk(&root, &globals, "asm");
    }
}

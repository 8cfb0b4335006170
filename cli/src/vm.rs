//! `asm vm create`: a Linux or Windows virtual machine from a few flags, the
//! way the classic tools made one (`azure vm create`, `New-AzureQuickVM`).
//!
//! It creates the cloud service if needed, picks the image (`--image ubuntu`
//! and `--image windows` take the newest platform image of that OS from
//! List OS Images), checks the size against List Role Sizes, then sends
//! Create Virtual Machine Deployment (an empty cloud service) or Add Role
//! (a cloud service with a deployment of virtual machines), waits for the
//! operation and prints the virtual machine.
//!
//! The password is read from `--password-file`, `ASM_VM_PASSWORD` or
//! `--password`; it is sent once, in the provisioning configuration, and
//! never printed, logged or put in an error (the generated types keep it
//! out of `Debug`, the service does not return it).

use std::fmt;
use std::io::Write as _;
use std::path::PathBuf;

use azure_asm::{
    Client, ConfigurationSet, ConfigurationSetType, CreateHostedService,
    CreateVirtualMachineDeploymentInput, DataVirtualHardDisk, Deployment, DeploymentSlot,
    GetHostedServicePropertiesOptions, ImageCategory, InputEndpoint, OSImage, OSType,
    OSVirtualHardDisk, Progress, Role, RoleInstance,
};
use clap::{Args, Subcommand};

use crate::error::CliError;
use crate::output::{self, Fields, Table};
use crate::spec::{OutputFormat, Printing};

type Result<T = ()> = std::result::Result<T, CliError>;

/// Environment variable for the virtual machine's password.
pub const ENV_PASSWORD: &str = "ASM_VM_PASSWORD";

#[derive(Subcommand, Debug)]
pub enum VmCmd {
    /// Create a Linux or Windows virtual machine (and its cloud service if
    /// needed), wait for it and print it
    #[command(after_help = "Examples:\n  \
            asm vm create --service web1 --name vm1 --image ubuntu --user azureuser \\\n      \
            --password-file pw.txt --storage-account web1disks --data-disk-gb 10\n  \
            ASM_VM_PASSWORD=... asm vm create --service web1 --name win1 --image windows --rdp 53389\n\n\
            The password is read from --password-file, then ASM_VM_PASSWORD, then --password \
            (visible to other users of the machine: prefer the first two). It is never printed.")]
    Create(VmCreateArgs),
}

/// A secret given on the command line or in the environment: kept out of
/// `Debug` (clap's and ours).
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }

    fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Args, Debug, Clone)]
pub struct VmCreateArgs {
    /// The cloud service (created in --location if it does not exist)
    #[arg(long, value_name = "NAME")]
    pub service: String,
    /// The virtual machine (role) name; also the deployment's if one is created
    #[arg(long, value_name = "VM")]
    pub name: String,
    /// The deployment's name when one is created (default: the VM name)
    #[arg(long, value_name = "NAME")]
    pub deployment: Option<String>,
    /// Where to create the cloud service if it does not exist
    #[arg(long, value_name = "L", default_value = "West US")]
    pub location: String,
    /// An OS image name (`asm os-images list-os-images`), or `ubuntu` / `windows`
    /// for the newest platform image of that OS
    #[arg(long, value_name = "NAME")]
    pub image: String,
    /// Role size (`asm role-sizes list-role-sizes`)
    #[arg(long, value_name = "SIZE", default_value = "Small")]
    pub size: String,
    /// Administrator user name
    #[arg(long, value_name = "USER", default_value = "azureuser")]
    pub user: String,
    /// Administrator password (prefer --password-file or ASM_VM_PASSWORD)
    #[arg(long, value_name = "PASSWORD", env = ENV_PASSWORD, hide_env_values = true)]
    pub password: Option<Secret>,
    /// Read the administrator password from FILE (first line)
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Public port of the SSH endpoint of a Linux VM (default 22, or a free
    /// port if the deployment already uses 22)
    #[arg(long, value_name = "PORT")]
    pub ssh_port: Option<u16>,
    /// Public port of the Remote Desktop endpoint (default 3389 for Windows,
    /// or a free port if the deployment already uses it); on Linux, adds one
    #[arg(long, value_name = "PORT")]
    pub rdp: Option<u16>,
    /// Add an empty data disk of N GB (repeatable: LUNs 0, 1, ...)
    #[arg(long = "data-disk-gb", value_name = "N")]
    pub data_disk_gb: Vec<i32>,
    /// Storage account of the VHDs (https://NAME.blob.core.windows.net/vhds/...);
    /// default: the subscription's account in the cloud service's location
    #[arg(long, value_name = "NAME")]
    pub storage_account: Option<String>,
    /// Print the request id and return without waiting
    #[arg(long)]
    pub no_wait: bool,
}

/// Bad input to `asm vm create`, found before anything is created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VmError {
    /// `--image` names no image of List OS Images.
    UnknownImage {
        image: String,
        suggestions: Vec<String>,
    },
    /// `--image ubuntu|windows` and the catalog has no such platform image.
    NoPlatformImage { os: String },
    /// `--size` is not one of List Role Sizes.
    UnknownSize { size: String, known: Vec<String> },
    /// The size is for web and worker roles only.
    SizeNotForVms { size: String },
    /// More data disks than the size takes.
    TooManyDataDisks {
        size: String,
        max: i32,
        given: usize,
    },
    /// A data disk size outside 1..=1023 GB.
    BadDiskSize { gb: i32 },
    /// No password from any source.
    MissingPassword { os: String },
    /// `--password-file` cannot be read (the error names the file, not its content).
    PasswordFile { path: String, reason: String },
    /// `--storage-account` is not a storage account name.
    BadStorageAccount { name: String },
    /// No storage account given, and none in the cloud service's location.
    NoStorageAccount { place: String },
    /// A VM name the service would refuse.
    BadName { name: String },
    /// An endpoint port already taken in the deployment.
    PortInUse {
        port: u16,
        endpoint: String,
        role: String,
    },
    /// `--deployment` differs from the deployment the cloud service has.
    DeploymentMismatch { given: String, existing: String },
    /// The cloud service's deployment has web/worker roles.
    NotAVmDeployment { service: String, deployment: String },
    /// The deployment already has a role of that name.
    RoleExists { role: String, deployment: String },
}

impl fmt::Display for VmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmError::UnknownImage { image, suggestions } => {
                write!(f, "--image {image:?}: no such OS image")?;
                if !suggestions.is_empty() {
                    write!(f, " (did you mean {}?)", suggestions.join(", "))?;
                }
                write!(
                    f,
                    "; give `ubuntu`, `windows` or a name from `asm os-images list-os-images`"
                )
            }
            VmError::NoPlatformImage { os } => {
                write!(f, "--image {os}: the image catalog has no platform {os} image")
            }
            VmError::UnknownSize { size, known } => write!(
                f,
                "--size {size:?}: not a role size of the subscription (sizes: {})",
                known.join(", ")
            ),
            VmError::SizeNotForVms { size } => {
                write!(f, "--size {size}: this size is not offered for virtual machines")
            }
            VmError::TooManyDataDisks { size, max, given } => write!(
                f,
                "{given} data disks: a {size} virtual machine takes at most {max} (choose a larger --size)"
            ),
            VmError::BadDiskSize { gb } => {
                write!(f, "--data-disk-gb {gb}: a data disk has 1 to 1023 GB")
            }
            VmError::MissingPassword { os } => write!(
                f,
                "a {os} virtual machine needs an administrator password: give --password-file FILE, \
                 set {ENV_PASSWORD}, or give --password"
            ),
            VmError::PasswordFile { path, reason } => {
                write!(f, "--password-file {path}: {reason}")
            }
            VmError::BadStorageAccount { name } => write!(
                f,
                "--storage-account {name:?}: a storage account name has 3 to 24 lower-case letters and digits"
            ),
            VmError::NoStorageAccount { place } => write!(
                f,
                "no storage account in {place} for the VM's disks: give --storage-account NAME \
                 (create one with `asm storage create NAME --location ...`)"
            ),
            VmError::BadName { name } => write!(
                f,
                "--name {name:?}: a virtual machine name has 1 to 64 letters, digits, '-', '_' and '.', \
                 and starts with a letter or digit"
            ),
            VmError::PortInUse {
                port,
                endpoint,
                role,
            } => write!(
                f,
                "public port {port} is already used by endpoint {endpoint} of {role} in this deployment; \
                 give another (--ssh-port / --rdp)"
            ),
            VmError::DeploymentMismatch { given, existing } => write!(
                f,
                "--deployment {given}: the cloud service already has deployment {existing}, \
                 and the VM is added to it (omit --deployment)"
            ),
            VmError::NotAVmDeployment {
                service,
                deployment,
            } => write!(
                f,
                "cloud service {service} has deployment {deployment} of web/worker roles: \
                 virtual machines need a cloud service of their own"
            ),
            VmError::RoleExists { role, deployment } => write!(
                f,
                "deployment {deployment} already has a virtual machine named {role}"
            ),
        }
    }
}

impl std::error::Error for VmError {}

impl From<VmError> for CliError {
    fn from(e: VmError) -> Self {
        CliError::Message(e.to_string())
    }
}

/// What to create (the flags, resolved).
#[derive(Debug, Clone)]
pub struct VmSpec {
    pub service: String,
    pub name: String,
    pub deployment: Option<String>,
    pub location: String,
    pub image: String,
    pub size: String,
    pub user: String,
    pub password: Option<Secret>,
    pub ssh_port: Option<u16>,
    pub rdp: Option<u16>,
    pub data_disk_gb: Vec<i32>,
    pub storage_account: Option<String>,
}

impl VmCreateArgs {
    /// The spec, with the password from the file if one is given.
    fn spec(&self) -> std::result::Result<VmSpec, VmError> {
        let password = match &self.password_file {
            Some(path) => Some(read_password_file(path)?),
            None => self.password.clone(),
        };
        Ok(VmSpec {
            service: self.service.clone(),
            name: self.name.clone(),
            deployment: self.deployment.clone(),
            location: self.location.clone(),
            image: self.image.clone(),
            size: self.size.clone(),
            user: self.user.clone(),
            password,
            ssh_port: self.ssh_port,
            rdp: self.rdp,
            data_disk_gb: self.data_disk_gb.clone(),
            storage_account: self.storage_account.clone(),
        })
    }
}

fn read_password_file(path: &std::path::Path) -> std::result::Result<Secret, VmError> {
    let bytes = std::fs::read(path).map_err(|e| VmError::PasswordFile {
        path: path.display().to_string(),
        reason: e.kind().to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| VmError::PasswordFile {
        path: path.display().to_string(),
        reason: "not UTF-8 text".into(),
    })?;
    let line = text
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap_or("")
        .trim_end_matches('\r');
    if line.is_empty() {
        return Err(VmError::PasswordFile {
            path: path.display().to_string(),
            reason: "the first line is empty".into(),
        });
    }
    Ok(Secret::new(line))
}

/// A virtual machine as created: where it is, its role and its instance.
#[derive(Debug)]
pub struct CreatedVm {
    pub service: String,
    pub deployment: String,
    pub operation: &'static str,
    pub request_id: String,
    /// `None` with `--no-wait`.
    pub view: Option<VmView>,
}

#[derive(Debug)]
pub struct VmView {
    pub deployment: Deployment,
    pub role: Role,
    pub instance: Option<RoleInstance>,
}

/// Where messages go: stdout for tables, stderr when stdout is JSON or XML.
#[derive(Clone, Copy)]
pub struct Say {
    pub to_stderr: bool,
    pub indent: usize,
}

impl Say {
    fn line(&self, text: &str) {
        let pad = " ".repeat(self.indent);
        if self.to_stderr {
            eprintln!("{pad}{text}");
        } else {
            println!("{pad}{text}");
        }
    }

    fn progress(&self, p: &Progress<'_>) {
        if self.to_stderr {
            let state = match p.state {
                azure_asm::OperationState::InProgress => "InProgress".to_owned(),
                azure_asm::OperationState::Succeeded { .. } => "Succeeded".to_owned(),
                azure_asm::OperationState::Failed(e) => {
                    format!("Failed ({})", e.code.as_deref().unwrap_or("error"))
                }
                azure_asm::OperationState::Other(s) => s.clone(),
            };
            eprintln!(
                "  [poll {:>2}] {}  {state:<12} {:>7}",
                p.polls,
                p.request_id,
                output::elapsed(p.elapsed)
            );
        } else {
            print!("{}", " ".repeat(self.indent));
            crate::commands::print_progress(p);
        }
    }
}

pub async fn run(client: &Client, cmd: VmCmd, printing: Printing) -> Result {
    match cmd {
        VmCmd::Create(args) => {
            let spec = args.spec()?;
            let say = Say {
                to_stderr: printing.format != OutputFormat::Table,
                indent: 0,
            };
            let created = create(client, &spec, !args.no_wait, say).await?;
            print_created(&created, printing.format)
        }
    }
}

fn valid_vm_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn valid_storage_account(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// The OS of an image, as the provisioning configuration needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Windows,
}

impl fmt::Display for Os {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Os::Linux => "Linux",
            Os::Windows => "Windows",
        })
    }
}

fn is_platform(i: &OSImage) -> bool {
    !matches!(
        i.category,
        Some(ImageCategory::User | ImageCategory::Private)
    )
}

/// The image `--image` names: `ubuntu` / `windows` (the newest platform
/// image of that OS), else an image name (case-insensitive).
pub fn pick_image<'a>(
    images: &'a [OSImage],
    wanted: &str,
) -> std::result::Result<&'a OSImage, VmError> {
    let family = |i: &OSImage| {
        format!(
            "{} {} {}",
            i.image_family.as_deref().unwrap_or(""),
            i.label.as_deref().unwrap_or(""),
            i.name
        )
        .to_ascii_lowercase()
    };
    let alias = match wanted.to_ascii_lowercase().as_str() {
        "ubuntu" => Some((OSType::Linux, "ubuntu")),
        "windows" => Some((OSType::Windows, "windows server")),
        _ => None,
    };
    if let Some((os, needle)) = alias {
        return images
            .iter()
            .filter(|i| is_platform(i) && i.os.as_ref() == Some(&os))
            .filter(|i| family(i).contains(needle))
            .max_by(|a, b| {
                (a.published_date.as_ref().map(|d| d.unix()), &a.name)
                    .cmp(&(b.published_date.as_ref().map(|d| d.unix()), &b.name))
            })
            .ok_or_else(|| VmError::NoPlatformImage {
                os: wanted.to_ascii_lowercase(),
            });
    }
    if let Some(i) = images.iter().find(|i| i.name.eq_ignore_ascii_case(wanted)) {
        return Ok(i);
    }
    let lower = wanted.to_ascii_lowercase();
    let mut suggestions: Vec<String> = images
        .iter()
        .filter(|i| !lower.is_empty() && family(i).contains(&lower))
        .map(|i| i.name.to_string())
        .take(3)
        .collect();
    suggestions.sort();
    Err(VmError::UnknownImage {
        image: wanted.to_owned(),
        suggestions,
    })
}

fn image_os(image: &OSImage) -> Os {
    match &image.os {
        Some(OSType::Windows) => Os::Windows,
        Some(OSType::Unknown(s)) if s.eq_ignore_ascii_case("windows") => Os::Windows,
        _ => Os::Linux,
    }
}

/// The public ports a deployment's roles already use: (port, endpoint, role).
fn used_ports(d: &Deployment) -> Vec<(u16, azure_asm::CompactString, azure_asm::CompactString)> {
    let mut out = Vec::new();
    for role in &d.role_list {
        for set in &role.configuration_sets {
            for e in &set.input_endpoints {
                if let Some(p) = e.port.and_then(|p| u16::try_from(p).ok()) {
                    out.push((
                        p,
                        e.name.clone().unwrap_or_default(),
                        role.role_name.clone(),
                    ));
                }
            }
        }
    }
    for i in &d.role_instance_list {
        for e in &i.instance_endpoints {
            if let Some(p) = e.public_port.and_then(|p| u16::try_from(p).ok()) {
                out.push((p, e.name.clone(), i.role_name.clone()));
            }
        }
    }
    out
}

/// The port asked for (which must be free), or the default if free, or the
/// first free port from 50000 + default's last digits.
fn choose_port(
    given: Option<u16>,
    default: u16,
    used: &[(u16, azure_asm::CompactString, azure_asm::CompactString)],
) -> std::result::Result<u16, VmError> {
    let taken = |p: u16| used.iter().find(|(u, _, _)| *u == p);
    if let Some(p) = given {
        return match taken(p) {
            Some((_, endpoint, role)) => Err(VmError::PortInUse {
                port: p,
                endpoint: endpoint.to_string(),
                role: role.to_string(),
            }),
            None => Ok(p),
        };
    }
    if taken(default).is_none() {
        return Ok(default);
    }
    let start = 50000 + default % 1000;
    Ok((start..u16::MAX)
        .find(|p| taken(*p).is_none())
        .unwrap_or(start))
}

fn endpoint(name: &str, local: u16, public: u16) -> InputEndpoint {
    InputEndpoint {
        name: Some(name.into()),
        local_port: Some(local.into()),
        port: Some(public.into()),
        protocol: Some("tcp".into()),
        ..Default::default()
    }
}

fn media_link(account: &str, blob: &str) -> String {
    format!("https://{account}.blob.core.windows.net/vhds/{blob}.vhd")
}

/// The role Create Virtual Machine Deployment / Add Role send.
pub fn build_role(
    spec: &VmSpec,
    image: &str,
    os: Os,
    size: &str,
    account: &str,
    endpoints: Vec<InputEndpoint>,
    password: &Secret,
) -> Role {
    let provisioning = match os {
        Os::Linux => ConfigurationSet {
            configuration_set_type: ConfigurationSetType::LinuxProvisioningConfiguration,
            host_name: Some(spec.name.as_str().into()),
            user_name: Some(spec.user.as_str().into()),
            user_password: Some(password.expose().into()),
            disable_ssh_password_authentication: Some(false),
            ..Default::default()
        },
        Os::Windows => ConfigurationSet {
            configuration_set_type: ConfigurationSetType::WindowsProvisioningConfiguration,
            computer_name: Some(spec.name.chars().take(15).collect()),
            admin_username: Some(spec.user.as_str().into()),
            admin_password: Some(password.expose().into()),
            enable_automatic_updates: Some(true),
            ..Default::default()
        },
    };
    Role {
        role_name: spec.name.as_str().into(),
        role_type: Some("PersistentVMRole".into()),
        configuration_sets: vec![
            provisioning,
            ConfigurationSet {
                configuration_set_type: ConfigurationSetType::NetworkConfiguration,
                input_endpoints: endpoints,
                ..Default::default()
            },
        ],
        data_virtual_hard_disks: spec
            .data_disk_gb
            .iter()
            .enumerate()
            .map(|(lun, gb)| DataVirtualHardDisk {
                lun: Some(lun as i32),
                logical_disk_size_in_gb: Some(*gb),
                media_link: Some(media_link(account, &format!("{}-data{lun}", spec.name)).into()),
                ..Default::default()
            })
            .collect(),
        os_virtual_hard_disk: Some(OSVirtualHardDisk {
            media_link: Some(media_link(account, &format!("{}-os", spec.name)).into()),
            source_image_name: Some(image.into()),
            ..Default::default()
        }),
        role_size: Some(size.into()),
        provision_guest_agent: Some(true),
        ..Default::default()
    }
}

/// Creates the virtual machine (and the cloud service if needed); waits
/// for it if `wait`.
pub async fn create(client: &Client, spec: &VmSpec, wait: bool, say: Say) -> Result<CreatedVm> {
    // Local checks first: nothing is created for a typo.
    if !valid_vm_name(&spec.name) {
        return Err(VmError::BadName {
            name: spec.name.clone(),
        }
        .into());
    }
    if let Some(a) = &spec.storage_account {
        if !valid_storage_account(a) {
            return Err(VmError::BadStorageAccount { name: a.clone() }.into());
        }
    }
    if let Some(gb) = spec
        .data_disk_gb
        .iter()
        .find(|gb| !(1..=1023).contains(*gb))
    {
        return Err(VmError::BadDiskSize { gb: *gb }.into());
    }
    // The image and the size, from the catalog.
    let images = client.list_os_images().await?.os_image;
    let image = pick_image(&images, &spec.image)?;
    let os = image_os(image);
    let sizes = client.list_role_sizes().await?.role_size;
    let size = sizes
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(&spec.size))
        .ok_or_else(|| VmError::UnknownSize {
            size: spec.size.clone(),
            known: sizes
                .iter()
                .filter(|s| s.supported_by_virtual_machines != Some(false))
                .map(|s| s.name.to_string())
                .collect(),
        })?;
    if size.supported_by_virtual_machines == Some(false) {
        return Err(VmError::SizeNotForVms {
            size: size.name.to_string(),
        }
        .into());
    }
    if let Some(max) = size.max_data_disk_count {
        if spec.data_disk_gb.len() > usize::try_from(max).unwrap_or(0) {
            return Err(VmError::TooManyDataDisks {
                size: size.name.to_string(),
                max,
                given: spec.data_disk_gb.len(),
            }
            .into());
        }
    }

    let password = match &spec.password {
        Some(p) if !p.expose().is_empty() => p.clone(),
        _ => {
            return Err(VmError::MissingPassword { os: os.to_string() }.into());
        }
    };

    // The cloud service and its deployment, if any.
    let existing = match client
        .get_hosted_service_properties(
            &spec.service,
            &GetHostedServicePropertiesOptions {
                embed_detail: Some(true),
            },
        )
        .await
    {
        Ok(s) => Some(s),
        Err(e) if e.status() == Some(404) => None,
        Err(e) => return Err(e.into()),
    };
    let place = match &existing {
        Some(s) => {
            let p = s.hosted_service_properties.as_ref();
            match (
                p.and_then(|p| p.affinity_group.clone()),
                p.and_then(|p| p.location.clone()),
            ) {
                (Some(g), _) => Place::Group(g.to_string()),
                (None, Some(l)) => Place::Location(l.to_string()),
                (None, None) => Place::Location(spec.location.clone()),
            }
        }
        None => Place::Location(spec.location.clone()),
    };
    let deployment = existing
        .as_ref()
        .and_then(|s| s.deployments.as_ref())
        .and_then(|d| {
            d.iter()
                .find(|d| d.deployment_slot == DeploymentSlot::Production)
                .or(d.first())
        })
        .cloned();
    if let Some(d) = &deployment {
        if let Some(given) = &spec.deployment {
            if !given.eq_ignore_ascii_case(&d.name) {
                return Err(VmError::DeploymentMismatch {
                    given: given.clone(),
                    existing: d.name.to_string(),
                }
                .into());
            }
        }
        // Web and worker roles carry no RoleType, or another one.
        let paas = !d.role_list.is_empty()
            && !d
                .role_list
                .iter()
                .any(|r| r.role_type.as_deref() == Some("PersistentVMRole"));
        if paas {
            return Err(VmError::NotAVmDeployment {
                service: spec.service.clone(),
                deployment: d.name.to_string(),
            }
            .into());
        }
        if d.role_list
            .iter()
            .any(|r| r.role_name.eq_ignore_ascii_case(&spec.name))
        {
            return Err(VmError::RoleExists {
                role: spec.name.clone(),
                deployment: d.name.to_string(),
            }
            .into());
        }
    }

    // Endpoints: SSH for Linux, Remote Desktop for Windows (or asked).
    let used = deployment.as_ref().map(used_ports).unwrap_or_default();
    let mut endpoints = Vec::new();
    if os == Os::Linux {
        endpoints.push(endpoint("SSH", 22, choose_port(spec.ssh_port, 22, &used)?));
    }
    if os == Os::Windows || spec.rdp.is_some() {
        endpoints.push(endpoint(
            "RemoteDesktop",
            3389,
            choose_port(spec.rdp, 3389, &used)?,
        ));
    }

    // The storage account of the VHDs.
    let account = match &spec.storage_account {
        Some(a) => a.clone(),
        None => {
            let accounts = client.list_storage_accounts().await?.storage_service;
            accounts
                .iter()
                .find(|a| {
                    let p = a.storage_service_properties.as_ref();
                    match &place {
                        Place::Group(g) => p
                            .and_then(|p| p.affinity_group.as_deref())
                            .is_some_and(|x| x.eq_ignore_ascii_case(g)),
                        Place::Location(l) => p
                            .and_then(|p| p.location.as_deref())
                            .is_some_and(|x| x.eq_ignore_ascii_case(l)),
                    }
                })
                .and_then(|a| a.service_name.clone())
                .ok_or_else(|| VmError::NoStorageAccount {
                    place: place.to_string(),
                })?
                .to_string()
        }
    };

    let role = build_role(
        spec,
        &image.name,
        os,
        &size.name,
        &account,
        endpoints,
        &password,
    );
    drop(password);
    // The client's checks (password length, names) before anything is
    // created; the message names the field, never the value.
    asm_runtime::Validate::validate(&role).map_err(azure_asm::Error::from)?;

    let mut service_created = false;
    if existing.is_none() {
        client
            .create_hosted_service(&CreateHostedService {
                service_name: spec.service.as_str().into(),
                label: spec.service.as_str().into(),
                description: Some("Created by asm vm create".into()),
                location: Some(spec.location.as_str().into()),
                ..Default::default()
            })
            .await?;
        service_created = true;
        say.line(&format!(
            "created cloud service {} in {}",
            spec.service, spec.location
        ));
    }
    say.line(&format!(
        "{os} virtual machine {} from image {} ({}), size {}",
        spec.name,
        image.name,
        image.label.as_deref().unwrap_or("no label"),
        size.name
    ));
    let (operation, deployment_name, op) = match &deployment {
        Some(d) => (
            "AddRole",
            d.name.to_string(),
            client.add_role(&spec.service, &d.name, &role).await,
        ),
        None => {
            let name = spec.deployment.clone().unwrap_or_else(|| spec.name.clone());
            let op = client
                .create_virtual_machine_deployment(
                    &spec.service,
                    &CreateVirtualMachineDeploymentInput {
                        name: name.as_str().into(),
                        deployment_slot: DeploymentSlot::Production,
                        label: name.as_str().into(),
                        role_list: vec![role],
                        ..Default::default()
                    },
                )
                .await;
            ("CreateVirtualMachineDeployment", name, op)
        }
    };
    let op = match op {
        Ok(op) => op,
        Err(e) => {
            if service_created {
                // Nothing else was made: do not leave an empty service behind.
                let _ = client.delete_hosted_service(&spec.service).await;
            }
            return Err(e.into());
        }
    };
    let request_id = op.request_id().to_owned();
    let mut created = CreatedVm {
        service: spec.service.clone(),
        deployment: deployment_name.clone(),
        operation,
        request_id: request_id.clone(),
        view: None,
    };
    if !wait {
        return Ok(created);
    }
    say.line(&format!(
        "{operation} accepted (request id {request_id}); waiting:"
    ));
    op.wait_with(client.core().poll_options().clone(), |p| say.progress(p))
        .await?;
    created.view = Some(view(client, &spec.service, &deployment_name, &spec.name).await?);
    Ok(created)
}

enum Place {
    Location(String),
    Group(String),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Location(l) => f.write_str(l),
            Place::Group(g) => write!(f, "affinity group {g}"),
        }
    }
}

/// The virtual machine as the service shows it now.
pub async fn view(client: &Client, service: &str, deployment: &str, name: &str) -> Result<VmView> {
    let d = client.get_deployment_by_name(service, deployment).await?;
    let role = d
        .role_list
        .iter()
        .find(|r| r.role_name.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(|| {
            crate::error::msg(format!(
                "deployment {deployment} has no virtual machine {name} after the operation"
            ))
        })?;
    let instance = d
        .role_instance_list
        .iter()
        .find(|i| i.role_name.eq_ignore_ascii_case(name))
        .cloned();
    Ok(VmView {
        deployment: d,
        role,
        instance,
    })
}

/// The virtual machine as fields and two small tables (endpoints, disks).
pub fn render(service: &str, v: &VmView, indent: usize) -> String {
    let i = v.instance.as_ref();
    let status = match i {
        Some(i) => match (&i.instance_status, &i.power_state) {
            (Some(s), Some(p)) => format!("{s} ({p})"),
            (Some(s), None) => s.to_string(),
            (None, Some(p)) => p.to_string(),
            (None, None) => "unknown".into(),
        },
        None => "no instance yet".into(),
    };
    let os_disk = v.role.os_virtual_hard_disk.as_ref();
    let mut out = Fields::new()
        .add("virtual machine", v.role.role_name.clone())
        .add("cloud service", service)
        .add(
            "deployment",
            format!("{} ({})", v.deployment.name, v.deployment.deployment_slot),
        )
        .add("status", status)
        .opt("size", v.role.role_size.as_deref())
        .opt("os", os_disk.and_then(|d| d.os.as_deref()))
        .opt(
            "image",
            os_disk.and_then(|d| d.source_image_name.as_deref()),
        )
        .opt("ip address", i.and_then(|i| i.ip_address.as_deref()))
        .opt("host name", i.and_then(|i| i.host_name.as_deref()))
        .render(indent);
    let pad = " ".repeat(indent);
    let mut endpoints =
        Table::new(&["ENDPOINT", "PROTOCOL", "PUBLIC", "LOCAL", "VIP"]).indent(indent + 2);
    let from_instance: Vec<_> = i.map(|i| i.instance_endpoints.clone()).unwrap_or_default();
    if !from_instance.is_empty() {
        for e in from_instance {
            endpoints.row([
                e.name.to_string(),
                output::or_dash(e.protocol.as_deref()),
                opt_num(e.public_port),
                opt_num(e.local_port),
                output::or_dash(e.vip.as_deref()),
            ]);
        }
    } else {
        for set in &v.role.configuration_sets {
            for e in &set.input_endpoints {
                endpoints.row([
                    output::or_dash(e.name.as_deref()),
                    output::or_dash(e.protocol.as_deref()),
                    opt_num(e.port),
                    opt_num(e.local_port),
                    output::or_dash(e.vip.as_deref()),
                ]);
            }
        }
    }
    out.push_str(&format!("{pad}endpoints:\n"));
    out.push_str(&render_or(&endpoints, indent + 2, "none"));
    let mut disks = Table::new(&["DISK", "LUN", "SIZE", "NAME", "MEDIA LINK"]).indent(indent + 2);
    if let Some(d) = os_disk {
        disks.row([
            "OS".to_owned(),
            "-".to_owned(),
            String::new(),
            output::or_dash(d.disk_name.as_deref()),
            output::or_dash(d.media_link.as_deref()),
        ]);
    }
    for d in &v.role.data_virtual_hard_disks {
        disks.row([
            "data".to_owned(),
            opt_num(d.lun),
            d.logical_disk_size_in_gb
                .map(|g| format!("{g} GB"))
                .unwrap_or_default(),
            output::or_dash(d.disk_name.as_deref()),
            output::or_dash(d.media_link.as_deref()),
        ]);
    }
    out.push_str(&format!("{pad}disks:\n"));
    out.push_str(&render_or(&disks, indent + 2, "none"));
    out
}

fn render_or(t: &Table, indent: usize, none: &str) -> String {
    if t.len() == 0 {
        format!("{}{none}\n", " ".repeat(indent))
    } else {
        t.render()
    }
}

fn opt_num(n: Option<i32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_else(|| "-".into())
}

/// The virtual machine as JSON (keys are the wire names).
/// `serde_json::to_value`, a value the generated types always serialize.
macro_rules! value {
    ($e:expr) => {
        serde_json::to_value($e).unwrap_or(serde_json::Value::Null)
    };
}

pub fn to_json(service: &str, v: &VmView) -> serde_json::Value {
    let i = v.instance.as_ref();
    serde_json::json!({
        "ServiceName": service,
        "DeploymentName": v.deployment.name,
        "DeploymentSlot": value!(&v.deployment.deployment_slot),
        "RoleName": v.role.role_name,
        "RoleSize": v.role.role_size,
        "InstanceStatus": i.and_then(|i| i.instance_status.as_ref()).map(|s| value!(s)),
        "PowerState": i.and_then(|i| i.power_state.as_ref()).map(|s| value!(s)),
        "IpAddress": i.and_then(|i| i.ip_address.clone()),
        "HostName": i.and_then(|i| i.host_name.clone()),
        "InstanceEndpoints": i.map(|i| value!(&i.instance_endpoints)),
        "OSVirtualHardDisk": v.role.os_virtual_hard_disk.as_ref().map(|d| value!(d)),
        "DataVirtualHardDisks": value!(&v.role.data_virtual_hard_disks),
    })
}

/// The deployment document with just this virtual machine's role and instance.
fn to_xml(v: &VmView) -> String {
    let mut d = v.deployment.clone();
    d.role_list = vec![v.role.clone()];
    d.role_instance_list = v.instance.iter().cloned().collect();
    d.configuration = None;
    let mut doc = asm_runtime::xml::to_document_ns(
        "Deployment",
        "http://schemas.microsoft.com/windowsazure",
        &d,
    );
    if !doc.ends_with('\n') {
        doc.push('\n');
    }
    doc
}

fn print_created(c: &CreatedVm, format: OutputFormat) -> Result {
    let text = match (&c.view, format) {
        (None, OutputFormat::Table) => format!(
            "{} started (request id {}); follow it with `asm operation wait {}`\n",
            c.operation, c.request_id, c.request_id
        ),
        (None, _) => {
            let mut s = serde_json::to_string_pretty(&serde_json::json!({
                "Operation": c.operation,
                "RequestId": c.request_id,
                "Status": "InProgress",
                "ServiceName": c.service,
                "DeploymentName": c.deployment,
            }))
            .unwrap_or_default();
            s.push('\n');
            s
        }
        (Some(v), OutputFormat::Table) => {
            format!(
                "{} succeeded (request id {})\n{}",
                c.operation,
                c.request_id,
                render(&c.service, v, 0)
            )
        }
        (Some(v), OutputFormat::Json) => {
            let mut s = serde_json::to_string_pretty(&to_json(&c.service, v)).unwrap_or_default();
            s.push('\n');
            s
        }
        (Some(v), OutputFormat::Xml) => to_xml(v),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| crate::error::msg(format!("cannot write the output: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str, os: OSType, family: &str, published: i64) -> OSImage {
        OSImage {
            name: name.into(),
            os: Some(os),
            image_family: Some(family.into()),
            category: Some(ImageCategory::Public),
            published_date: azure_asm::DateTime::from_unix(published),
            ..Default::default()
        }
    }

    #[test]
    fn aliases_pick_the_newest_platform_image_of_the_os() {
        let mut user = image("mine-ubuntu", OSType::Linux, "Ubuntu Server 99", 9_000);
        user.category = Some(ImageCategory::User);
        let images = vec![
            image("u14", OSType::Linux, "Ubuntu Server 14.04 LTS", 1_000),
            image("u16", OSType::Linux, "Ubuntu Server 16.04 LTS", 2_000),
            image("centos", OSType::Linux, "CentOS 7", 5_000),
            image("w12", OSType::Windows, "Windows Server 2012 R2", 3_000),
            image("w16", OSType::Windows, "Windows Server 2016", 2_500),
            image("sql", OSType::Windows, "SQL Server 2016 on WS2016", 8_000),
            user,
        ];
        assert_eq!(pick_image(&images, "ubuntu").unwrap().name, "u16");
        assert_eq!(pick_image(&images, "Windows").unwrap().name, "w12");
        assert_eq!(pick_image(&images, "CENTOS").unwrap().name, "centos");
        match pick_image(&images, "ubuntu-18") {
            Err(VmError::UnknownImage { image, .. }) => assert_eq!(image, "ubuntu-18"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            pick_image(&images[..3], "windows").unwrap_err(),
            VmError::NoPlatformImage {
                os: "windows".into()
            }
        );
    }

    #[test]
    fn ports_default_then_move_aside() {
        let used = vec![(22u16, "SSH".into(), "vm1".into())];
        assert_eq!(choose_port(None, 3389, &used).unwrap(), 3389);
        assert_eq!(choose_port(None, 22, &used).unwrap(), 50022);
        assert!(matches!(
            choose_port(Some(22), 22, &used),
            Err(VmError::PortInUse { port: 22, .. })
        ));
    }

    #[test]
    fn the_role_has_luns_media_links_and_no_password_in_debug() {
        let spec = VmSpec {
            service: "svc".into(),
            name: "vm1".into(),
            deployment: None,
            location: "West US".into(),
            image: "ubuntu".into(),
            size: "Small".into(),
            user: "azureuser".into(),
            password: Some(Secret::new("Hunter2-Secret!")),
            ssh_port: None,
            rdp: None,
            data_disk_gb: vec![10, 20],
            storage_account: None,
        };
        assert!(!format!("{spec:?}").contains("Hunter2"));
        let role = build_role(
            &spec,
            "img",
            Os::Linux,
            "Small",
            "acct",
            vec![endpoint("SSH", 22, 22)],
            &Secret::new("Hunter2-Secret!"),
        );
        assert!(!format!("{role:?}").contains("Hunter2"));
        let luns: Vec<_> = role
            .data_virtual_hard_disks
            .iter()
            .map(|d| (d.lun, d.media_link.clone().unwrap().to_string()))
            .collect();
        assert_eq!(
            luns,
            [
                (
                    Some(0),
                    "https://acct.blob.core.windows.net/vhds/vm1-data0.vhd".to_owned()
                ),
                (
                    Some(1),
                    "https://acct.blob.core.windows.net/vhds/vm1-data1.vhd".to_owned()
                )
            ]
        );
        assert_eq!(
            role.os_virtual_hard_disk.unwrap().media_link.as_deref(),
            Some("https://acct.blob.core.windows.net/vhds/vm1-os.vhd")
        );
    }
}

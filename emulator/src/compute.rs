//! Cloud service deployments and virtual machines: the behaviour of the
//! deployments, role instances, virtual machines, data disks, load balancer
//! and DNS server operations, and the parts of disks and service
//! certificates that the generic engine cannot do alone.
//!
//! A deployment is an engine record (`resource Deployment`, a child of its
//! cloud service: deleted with it, shown by Get Hosted Service Properties
//! with `embed-detail=true`) whose state is the `Deployment` document the
//! service answers, plus a private `_compute` element (JSON) with what the
//! wire does not show (package URL, an upgrade in progress, reboot events).
//! Deployments are found by name (the record key) or by slot (a scan of the
//! cloud service's deployments).
//!
//! Web/worker role deployments: the role instances are derived from the
//! service configuration's `<Role name=…><Instances count="N"/>` (instances
//! `Role_IN_0` …). Virtual machine deployments: one instance per role; the
//! OS and data disks are `Disk` engine records that remember the virtual
//! machine using them (`AttachedTo`), so a disk in use cannot be deleted or
//! attached twice.
//!
//! State changes are applied when the request is accepted; asynchronous
//! operations then read `InProgress` for the emulator's async delay.

use asm_runtime::xml::{self, FromXml, ToXml};
use azure_asm::server::ServerRequest;
use azure_asm::*;
use base64::Engine as _;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, Api, ApiError, Outcome, Reply};
use crate::engine::{Elem, ResourceRec};
use crate::store::*;

const EXTRA: &str = "_compute";
const TEXT_CONTENT: &str = "text/plain";
/// Data disks a virtual machine may have (LUNs 0 to 15 … 63 by size; the
/// emulator allows 16).
const MAX_LUN: i32 = 15;

type Table<'t> = redb::Table<'t, &'static str, &'static [u8]>;

// ------------------------------------------------------------------ keys

/// The engine's key form: names lower-cased, `/` escaped.
fn norm(name: &str) -> String {
    name.replace('/', "%2F").to_ascii_lowercase()
}

fn dep_prefix(sub: &str, service: &str) -> String {
    format!("Deployment/{sub}/{}/", norm(service))
}

fn dep_key(sub: &str, service: &str, name: &str) -> String {
    format!("{}{}", dep_prefix(sub, service), norm(name))
}

fn disk_key(sub: &str, name: &str) -> String {
    format!("Disk/{sub}/{}", norm(name))
}

fn cert_key(sub: &str, service: &str, name: &str) -> String {
    format!("ServiceCertificate/{sub}/{}/{}", norm(service), norm(name))
}

// ------------------------------------------------------------ element trees

fn to_elem<T: ToXml>(name: &str, value: &T) -> Elem {
    let mut e = Elem::parse(xml::to_document(name, value).as_bytes()).unwrap_or_default();
    e.name = name.to_owned();
    e
}

fn from_elem<T: FromXml>(root: &'static str, e: &Elem) -> Option<T> {
    xml::from_document(root, e.to_xml(root).as_bytes()).ok()
}

// ------------------------------------------------------------ deployments

/// What the emulator keeps about a deployment beside its wire form.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
struct Extra {
    /// The service package (web/worker roles).
    package_url: Option<String>,
    /// A manual upgrade or configuration change waiting for its upgrade
    /// domains to be walked.
    upgrade: Option<Upgrade>,
    /// Reboots of role instances: (role, instance, reason, at).
    events: Vec<(String, String, String, Millis)>,
    /// Migration state (Prepared) once Prepare Deployment Migration ran.
    migration: Option<String>,
    /// The operation holding the deployment: (request id, until).
    #[serde(default)]
    busy: Option<(String, Millis)>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
struct Upgrade {
    package_url: Option<String>,
    label: Option<String>,
    configuration: String,
}

/// A deployment record, read.
struct Dep {
    key: String,
    rec: ResourceRec,
    wire: Deployment,
    extra: Extra,
}

impl Dep {
    /// Takes the deployment for an operation until it completes: while
    /// another one holds it, a conflict (the service's words).
    fn lock(&mut self, request_id: &str, now: Millis, until: Millis) -> Result<(), ApiError> {
        self.check_lock(now)?;
        self.extra.busy = Some((request_id.to_owned(), until));
        Ok(())
    }

    fn check_lock(&self, now: Millis) -> Result<(), ApiError> {
        match &self.extra.busy {
            Some((id, until)) if *until > now => Err(ApiError::conflict(format!(
                "Windows Azure is currently performing an operation with x-ms-requestid {id} on this deployment that requires exclusive access."
            ))),
            _ => Ok(()),
        }
    }

    /// The wire form as read at `now` (Locked while an operation holds it).
    fn read(&self, now: Millis) -> Deployment {
        let mut wire = self.wire.clone();
        wire.locked = Some(self.check_lock(now).is_err());
        wire
    }

    fn save(&mut self, table: &mut Table<'_>, now: Millis) -> Result<(), ApiError> {
        self.wire.last_modified_time = Some(datetime(now));
        let mut state = to_elem("Deployment", &self.wire);
        state.set(Elem::text(
            EXTRA,
            serde_json::to_string(&self.extra).unwrap_or_default(),
        ));
        self.rec.state = state;
        self.rec.modified_ms = now;
        put(table, &self.key, &self.rec)?;
        Ok(())
    }

    fn is_vm(&self) -> bool {
        self.wire
            .role_list
            .iter()
            .any(|r| r.role_type.as_deref() == Some("PersistentVMRole"))
    }

    fn role_mut(&mut self, role: &str) -> Result<&mut Role, ApiError> {
        let dep = self.wire.name.clone();
        self.wire
            .role_list
            .iter_mut()
            .find(|r| r.role_name.eq_ignore_ascii_case(role))
            .ok_or_else(|| role_not_found(role, &dep))
    }

    fn role(&self, role: &str) -> Result<&Role, ApiError> {
        self.wire
            .role_list
            .iter()
            .find(|r| r.role_name.eq_ignore_ascii_case(role))
            .ok_or_else(|| role_not_found(role, &self.wire.name))
    }

    fn instance_mut(&mut self, name: &str) -> Result<&mut RoleInstance, ApiError> {
        self.wire
            .role_instance_list
            .iter_mut()
            .find(|i| i.instance_name.eq_ignore_ascii_case(name))
            .ok_or_else(|| ApiError::not_found(format!("The role instance {name} does not exist.")))
    }
}

fn role_not_found(role: &str, deployment: &str) -> ApiError {
    ApiError::not_found(format!(
        "The role {role} does not exist in the deployment {deployment}."
    ))
}

fn deployment_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("The deployment name '{name}' does not exist."))
}

fn no_deployment_in_slot() -> ApiError {
    ApiError::not_found("No deployments were found.")
}

/// How a request names its deployment.
#[derive(Clone, Copy)]
enum Target<'a> {
    Name(&'a str),
    Slot(&'a DeploymentSlot),
}

fn read_dep(key: String, rec: ResourceRec) -> Result<Dep, ApiError> {
    let wire: Deployment = from_elem("Deployment", &rec.state).ok_or_else(|| {
        ApiError::new(
            500,
            "InternalError",
            "The server encountered an internal error.",
        )
    })?;
    let extra = rec
        .state
        .child_text(EXTRA)
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    Ok(Dep {
        key,
        rec,
        wire,
        extra,
    })
}

/// The slot as the service reads it: case does not matter (the Python peer
/// sends `staging` and `production`).
fn canonical_slot(slot: &DeploymentSlot) -> DeploymentSlot {
    match slot {
        DeploymentSlot::Unknown(s) if s.eq_ignore_ascii_case("production") => {
            DeploymentSlot::Production
        }
        DeploymentSlot::Unknown(s) if s.eq_ignore_ascii_case("staging") => DeploymentSlot::Staging,
        other => other.clone(),
    }
}

fn slot_url(service: &str, slot: &DeploymentSlot, private_id: &str) -> String {
    match slot {
        DeploymentSlot::Staging => format!("http://{private_id}.cloudapp.net/"),
        _ => format!("http://{service}.cloudapp.net/"),
    }
}

/// A virtual IP address for a deployment (stable for its private id).
fn vip_for(private_id: &str) -> String {
    let h = private_id
        .bytes()
        .fold(17u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!(
        "23.{}.{}.{}",
        96 + (h % 8),
        (h >> 8) % 256,
        1 + (h >> 16) % 254
    )
}

// ------------------------------------------------- service configurations

/// Roles of a service configuration: (name, instance count, OS version).
fn config_roles(config: &str) -> Result<Vec<(String, i32)>, ApiError> {
    let bad = |why: String| {
        ApiError::bad_request(format!(
            "The specified configuration settings for Configuration are invalid: {why}"
        ))
    };
    let doc = Elem::parse(config.as_bytes()).map_err(bad)?;
    if doc.name != "ServiceConfiguration" {
        return Err(bad("the root element must be ServiceConfiguration.".into()));
    }
    let mut roles = Vec::new();
    for role in doc.children.iter().filter(|c| c.name == "Role") {
        let name = role
            .attrs
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| bad("a Role has no name.".into()))?;
        let count = role
            .child("Instances")
            .and_then(|i| i.attrs.iter().find(|(k, _)| k == "count"))
            .map(|(_, v)| v.trim().parse::<i32>())
            .ok_or_else(|| bad(format!("the role {name} has no Instances count.")))?
            .map_err(|_| bad(format!("the Instances count of {name} is not a number.")))?;
        if !(1..=1000).contains(&count) {
            return Err(bad(format!(
                "the role {name} must have 1 to 1000 instances."
            )));
        }
        if roles
            .iter()
            .any(|(n, _): &(String, i32)| n.eq_ignore_ascii_case(&name))
        {
            return Err(bad(format!("the role {name} is defined twice.")));
        }
        roles.push((name, count));
    }
    if roles.is_empty() {
        return Err(bad("the configuration has no Role.".into()));
    }
    Ok(roles)
}

fn os_version(config: &str) -> String {
    Elem::parse(config.as_bytes())
        .ok()
        .and_then(|d| {
            d.attrs
                .iter()
                .find(|(k, _)| k == "osVersion")
                .map(|(_, v)| v.clone())
        })
        .unwrap_or_else(|| "*".to_owned())
}

const UPGRADE_DOMAINS: i32 = 5;

/// The internal address of the `n`th instance (10.0.0.4 onwards).
fn internal_ip(n: usize) -> String {
    let n = n + 4;
    format!("10.0.{}.{}", (n / 250) % 256, n % 250)
}

/// Role list and instances of a web/worker role deployment from its
/// configuration; existing instances of the same name keep their state.
fn derive_instances(dep: &mut Deployment, config: &str) -> Result<(), ApiError> {
    let roles = config_roles(config)?;
    let running = dep.status == DeploymentStatus::Running;
    let max = roles.iter().map(|(_, c)| *c).max().unwrap_or(1);
    let domains = max.clamp(1, UPGRADE_DOMAINS);
    let mut instances = Vec::new();
    let mut ip = 0;
    for (role, count) in &roles {
        for i in 0..*count {
            let name = format!("{role}_IN_{i}");
            let old = dep
                .role_instance_list
                .iter()
                .find(|x| x.instance_name == name)
                .cloned();
            let inst = old.unwrap_or_else(|| RoleInstance {
                role_name: role.as_str().into(),
                instance_name: name.as_str().into(),
                instance_status: Some(if running {
                    InstanceStatus::ReadyRole
                } else {
                    InstanceStatus::StoppedVm
                }),
                instance_upgrade_domain: Some(i % domains),
                instance_fault_domain: Some(i % 2),
                instance_size: Some("Small".into()),
                instance_state_details: Some(String::new().into()),
                ip_address: Some(internal_ip(ip).into()),
                power_state: Some(if running {
                    PowerState::Started
                } else {
                    PowerState::Stopped
                }),
                ..Default::default()
            });
            ip += 1;
            instances.push(inst);
        }
    }
    dep.role_instance_list = instances;
    let version = os_version(config);
    dep.role_list = roles
        .iter()
        .map(|(name, _)| Role {
            role_name: name.as_str().into(),
            os_version: Some(version.as_str().into()),
            ..Default::default()
        })
        .collect();
    dep.upgrade_domain_count = Some(domains);
    dep.configuration = Some(config.as_bytes().to_vec());
    Ok(())
}

fn set_running(dep: &mut Deployment, running: bool) {
    dep.status = if running {
        DeploymentStatus::Running
    } else {
        DeploymentStatus::Suspended
    };
    for i in &mut dep.role_instance_list {
        i.instance_status = Some(if running {
            InstanceStatus::ReadyRole
        } else {
            InstanceStatus::StoppedVm
        });
        i.power_state = Some(if running {
            PowerState::Started
        } else {
            PowerState::Stopped
        });
    }
}

// ------------------------------------------------------------ virtual machines

/// The message of a disk in use (Delete Disk, and attaching it again).
fn disk_in_use(disk: &str, at: &AttachedTo) -> ApiError {
    ApiError::bad_request(format!(
        "A disk with name {disk} is currently in use by virtual machine {} running within hosted service {}, deployment {}.",
        at.role_name.as_deref().unwrap_or_default(),
        at.hosted_service_name.as_deref().unwrap_or_default(),
        at.deployment_name.as_deref().unwrap_or_default(),
    ))
}

/// Where a virtual machine's disks say they are attached.
struct Attach<'a> {
    service: &'a str,
    deployment: &'a str,
    role: &'a str,
}

impl Attach<'_> {
    fn to_wire(&self) -> AttachedTo {
        AttachedTo {
            deployment_name: Some(self.deployment.into()),
            hosted_service_name: Some(self.service.into()),
            role_name: Some(self.role.into()),
        }
    }
}

/// A disk name as the service makes them: `<service>-<role>-<n>-<timestamp>`.
fn new_disk_name(at: &Attach<'_>, n: i32, now: Millis) -> String {
    let t = datetime(now);
    let stamp: String = xml::XmlText::to_text(&t)
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!("{}-{}-{n}-{stamp:0<18}", at.service, at.role)
}

impl Api {
    /// Attaches (or creates and attaches) a disk: the disk record's name.
    #[allow(clippy::too_many_arguments)]
    fn attach_disk(
        &self,
        table: &mut Table<'_>,
        sub: &str,
        at: &Attach<'_>,
        given_name: Option<&str>,
        media_link: Option<&str>,
        os: Option<&str>,
        size: Option<i32>,
        source_image: Option<&str>,
        n: i32,
        now: Millis,
    ) -> Result<String, ApiError> {
        if let Some(name) = given_name.filter(|n| !n.trim().is_empty()) {
            let key = disk_key(sub, name);
            if let Some(mut rec) = get::<ResourceRec>(table, &key)?
                .filter(|r| r.subscription == sub && exists(&r.pending, now))
            {
                let mut disk: Disk = from_elem("Disk", &rec.state).unwrap_or_default();
                if let Some(a) = &disk.attached_to {
                    return Err(disk_in_use(&disk.name, a));
                }
                disk.attached_to = Some(at.to_wire());
                rec.state = disk_state(&disk, &rec.state);
                rec.modified_ms = now;
                put(table, &key, &rec)?;
                return Ok(rec.name);
            }
            if media_link.is_none() {
                return Err(ApiError::not_found(format!(
                    "The disk {name} does not exist."
                )));
            }
        }
        let media = media_link.filter(|m| !m.trim().is_empty()).ok_or_else(|| {
            ApiError::bad_request("A disk needs a DiskName of an existing disk or a MediaLink.")
        })?;
        let name = given_name
            .filter(|n| !n.trim().is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| new_disk_name(at, n, now));
        let key = disk_key(sub, &name);
        if get::<ResourceRec>(table, &key)?.is_some_and(|r| exists(&r.pending, now)) {
            return Err(ApiError::conflict(format!(
                "A disk named {name} already exists."
            )));
        }
        let disk = Disk {
            attached_to: Some(at.to_wire()),
            os: os.map(str::to_owned).map(Into::into),
            location: None,
            label: Some(name.as_str().into()),
            logical_disk_size_in_gb: Some(size.unwrap_or(if os.is_some() { 30 } else { 1 })),
            media_link: Some(media.into()),
            name: name.as_str().into(),
            source_image_name: source_image.map(str::to_owned).map(Into::into),
            is_premium: Some(false),
            created_time: Some(datetime(now)),
            io_type: Some("Standard".into()),
            ..Default::default()
        };
        let rec = ResourceRec {
            resource: "Disk".into(),
            subscription: sub.to_owned(),
            parents: Vec::new(),
            name: name.clone(),
            state: disk_state(&disk, &Elem::default()),
            created_ms: now,
            modified_ms: now,
            pending: None,
        };
        put(table, &key, &rec)?;
        Ok(name)
    }

    /// Detaches a disk (or deletes it with `media`).
    fn release_disk(
        &self,
        table: &mut Table<'_>,
        sub: &str,
        name: &str,
        delete: bool,
        now: Millis,
    ) -> Result<(), ApiError> {
        let key = disk_key(sub, name);
        let Some(mut rec) = get::<ResourceRec>(table, &key)? else {
            return Ok(());
        };
        if delete {
            table.remove(key.as_str())?;
            return Ok(());
        }
        let mut disk: Disk = from_elem("Disk", &rec.state).unwrap_or_default();
        disk.attached_to = None;
        rec.state = disk_state(&disk, &rec.state);
        rec.modified_ms = now;
        put(table, &key, &rec)?;
        Ok(())
    }

    /// Releases every disk of a role.
    fn release_role_disks(
        &self,
        table: &mut Table<'_>,
        sub: &str,
        role: &Role,
        delete: bool,
        now: Millis,
    ) -> Result<(), ApiError> {
        if let Some(name) = role
            .os_virtual_hard_disk
            .as_ref()
            .and_then(|d| d.disk_name.as_deref())
        {
            self.release_disk(table, sub, name, delete, now)?;
        }
        for d in &role.data_virtual_hard_disks {
            if let Some(name) = &d.disk_name {
                self.release_disk(table, sub, name, delete, now)?;
            }
        }
        Ok(())
    }

    /// Checks a new virtual machine and attaches its disks: the role as
    /// stored (provisioning settings and secrets left out) and its instance.
    #[allow(clippy::too_many_arguments)]
    fn provision_role(
        &self,
        table: &mut Table<'_>,
        sub: &str,
        service: &str,
        deployment: &str,
        vip: &str,
        mut role: Role,
        ordinal: usize,
        now: Millis,
    ) -> Result<(Role, RoleInstance), ApiError> {
        if role.role_name.trim().is_empty() {
            return Err(ApiError::bad_request("A parameter was incorrect"));
        }
        if role
            .role_type
            .as_deref()
            .is_some_and(|t| t != "PersistentVMRole")
        {
            return Err(ApiError::bad_request(
                "The RoleType of a virtual machine must be PersistentVMRole.",
            ));
        }
        let at = Attach {
            service,
            deployment,
            role: &role.role_name.clone(),
        };
        let provisioning = role
            .configuration_sets
            .iter()
            .find(|c| c.configuration_set_type != ConfigurationSetType::NetworkConfiguration)
            .cloned();
        let host_name = provisioning
            .as_ref()
            .and_then(|p| p.computer_name.clone().or_else(|| p.host_name.clone()))
            .unwrap_or_else(|| role.role_name.clone());
        // The OS disk: an existing disk, or a new one from an image.
        let mut os_disk = match (role.os_virtual_hard_disk.take(), &role.vm_image_name) {
            (Some(d), _) => d,
            (None, Some(image)) => OSVirtualHardDisk {
                source_image_name: Some(image.clone()),
                media_link: role.media_location.clone().or_else(|| {
                    Some(
                        format!(
                            "https://emulated.blob.core.windows.net/vhds/{}-{}.vhd",
                            service, role.role_name
                        )
                        .into(),
                    )
                }),
                ..Default::default()
            },
            (None, None) => {
                return Err(ApiError::bad_request(
                    "A virtual machine needs an OSVirtualHardDisk or a VMImageName.",
                ))
            }
        };
        if os_disk.disk_name.is_none() && os_disk.source_image_name.is_none() {
            return Err(ApiError::bad_request(
                "The OSVirtualHardDisk needs a DiskName or a SourceImageName.",
            ));
        }
        if os_disk.os.is_none() {
            os_disk.os = Some(
                match &provisioning.as_ref().map(|p| &p.configuration_set_type) {
                    Some(ConfigurationSetType::LinuxProvisioningConfiguration) => "Linux",
                    _ => "Windows",
                }
                .into(),
            );
        }
        let name = self.attach_disk(
            table,
            sub,
            &at,
            os_disk.disk_name.as_deref(),
            os_disk.media_link.as_deref(),
            os_disk.os.as_deref(),
            os_disk.resized_size_in_gb,
            os_disk.source_image_name.as_deref(),
            0,
            now,
        )?;
        os_disk.disk_name = Some(name.into());
        os_disk.host_caching.get_or_insert(HostCaching::ReadWrite);
        os_disk.io_type.get_or_insert_with(|| "Standard".into());
        role.os_virtual_hard_disk = Some(os_disk);
        // Data disks.
        let disks = std::mem::take(&mut role.data_virtual_hard_disks);
        for d in disks {
            self.add_data_disk_to(table, sub, &at, &mut role, d, now)?;
        }
        role.role_type = Some("PersistentVMRole".into());
        role.os_version.get_or_insert_with(CompactString::default);
        role.role_size.get_or_insert_with(|| "Small".into());
        // Secrets and provisioning settings are not shown again.
        role.configuration_sets
            .retain(|c| c.configuration_set_type == ConfigurationSetType::NetworkConfiguration);
        let instance = RoleInstance {
            role_name: role.role_name.clone(),
            instance_name: role.role_name.clone(),
            instance_status: Some(InstanceStatus::ReadyRole),
            instance_upgrade_domain: Some(0),
            instance_fault_domain: Some(0),
            instance_size: role.role_size.clone(),
            instance_state_details: Some(String::new().into()),
            ip_address: Some(internal_ip(ordinal).into()),
            instance_endpoints: instance_endpoints(&role, vip),
            power_state: Some(PowerState::Started),
            host_name: Some(host_name),
            ..Default::default()
        };
        Ok((role, instance))
    }

    /// Attaches a data disk to `role` (checking its LUN).
    fn add_data_disk_to(
        &self,
        table: &mut Table<'_>,
        sub: &str,
        at: &Attach<'_>,
        role: &mut Role,
        mut d: DataVirtualHardDisk,
        now: Millis,
    ) -> Result<(), ApiError> {
        let used: Vec<i32> = role
            .data_virtual_hard_disks
            .iter()
            .filter_map(|x| x.lun)
            .collect();
        let lun = match d.lun {
            Some(l) if !(0..=MAX_LUN).contains(&l) => {
                return Err(ApiError::bad_request(format!(
                    "The LUN {l} is not valid: use 0 to {MAX_LUN}."
                )))
            }
            Some(l) if used.contains(&l) => {
                return Err(ApiError::conflict(format!(
                    "A data disk is already attached to {} at LUN {l}.",
                    role.role_name
                )))
            }
            Some(l) => l,
            None => (0..=MAX_LUN).find(|l| !used.contains(l)).ok_or_else(|| {
                ApiError::bad_request(format!(
                    "The virtual machine {} has no free LUN.",
                    role.role_name
                ))
            })?,
        };
        let media = d.media_link.clone().or_else(|| d.source_media_link.clone());
        if d.disk_name.is_none()
            && d.logical_disk_size_in_gb.is_none()
            && d.source_media_link.is_none()
        {
            return Err(ApiError::bad_request(
                "A data disk needs a DiskName, a SourceMediaLink, or a LogicalDiskSizeInGB with a MediaLink.",
            ));
        }
        let name = self.attach_disk(
            table,
            sub,
            at,
            d.disk_name.as_deref(),
            media.as_deref(),
            None,
            d.logical_disk_size_in_gb,
            None,
            lun + 1,
            now,
        )?;
        // What the disk record says (an existing disk's size and blob).
        if let Some(rec) = get::<ResourceRec>(table, &disk_key(sub, &name))? {
            let disk: Disk = from_elem("Disk", &rec.state).unwrap_or_default();
            d.media_link = disk.media_link.or(d.media_link);
            d.logical_disk_size_in_gb = disk.logical_disk_size_in_gb.or(d.logical_disk_size_in_gb);
        }
        d.disk_name = Some(name.into());
        d.lun = Some(lun);
        d.host_caching.get_or_insert(HostCaching::NoCaching);
        d.io_type.get_or_insert_with(|| "Standard".into());
        d.source_media_link = None;
        role.data_virtual_hard_disks.push(d);
        role.data_virtual_hard_disks.sort_by_key(|x| x.lun);
        Ok(())
    }
}

/// The endpoints of a role instance from its role's network configuration.
fn instance_endpoints(role: &Role, vip: &str) -> Vec<InstanceEndpoint> {
    role.configuration_sets
        .iter()
        .filter(|c| c.configuration_set_type == ConfigurationSetType::NetworkConfiguration)
        .flat_map(|c| c.input_endpoints.iter())
        .map(|e| InstanceEndpoint {
            name: e.name.clone().unwrap_or_default(),
            vip: Some(vip.into()),
            public_port: e.port,
            local_port: e.local_port,
            protocol: e.protocol.clone(),
            idle_timeout_in_minutes: e.idle_timeout_in_minutes,
        })
        .collect()
}

/// A disk's state element: the `Disk` form, keeping elements it does not
/// show (the engine's update merges into it).
fn disk_state(disk: &Disk, old: &Elem) -> Elem {
    let mut e = to_elem("Disk", disk);
    for c in &old.children {
        if e.child(&c.name).is_none() && c.name != "AttachedTo" {
            e.children.push(c.clone());
        }
    }
    e.name = "Disk".into();
    e
}

// ------------------------------------------------------------ hooks

/// Refuses to delete a disk a virtual machine uses (Delete Disk).
pub(crate) fn refuse_disk_in_use(rec: &ResourceRec) -> Result<(), ApiError> {
    let disk: Disk = from_elem("Disk", &rec.state).unwrap_or_default();
    match &disk.attached_to {
        Some(at) => Err(disk_in_use(&rec.name, at)),
        None => Ok(()),
    }
}

/// Deleting a cloud service: Delete Hosted Service refuses while it has
/// deployments (the service's rule); Delete Hosted Service And Contents
/// (`comp=media`) takes them, with their virtual machines' disks.
pub(crate) fn service_deleted(
    tx: &WriteTransaction,
    operation: &str,
    rec: &ResourceRec,
    now: Millis,
) -> Result<(), ApiError> {
    let mut table = tx.open_table(RESOURCES)?;
    let sub = &rec.subscription;
    let deployments: Vec<String> = scan::<ResourceRec>(&table, &dep_prefix(sub, &rec.name))?
        .into_iter()
        .filter(|(_, d)| d.resource == "Deployment" && exists(&d.pending, now))
        .map(|(_, d)| d.name)
        .collect();
    if deployments.is_empty() {
        return Ok(());
    }
    if operation != "DeleteHostedServiceAndContents" {
        return Err(ApiError::conflict(format!(
            "The cloud service {} has deployments ({}): delete them first, or delete the cloud service with its contents (comp=media).",
            rec.name,
            deployments.join(", ")
        )));
    }
    for (key, disk_rec) in scan::<ResourceRec>(&table, &format!("Disk/{sub}/"))? {
        if disk_rec.resource != "Disk" || disk_rec.subscription != *sub {
            continue;
        }
        let disk: Disk = from_elem("Disk", &disk_rec.state).unwrap_or_default();
        let ours = disk.attached_to.as_ref().is_some_and(|a| {
            a.hosted_service_name
                .as_deref()
                .is_some_and(|s| s.eq_ignore_ascii_case(&rec.name))
        });
        if ours {
            table.remove(key.as_str())?;
        }
    }
    Ok(())
}

/// Completes a disk added with Add Disk.
pub(crate) fn disk_created(state: &mut Elem) -> Result<(), ApiError> {
    let os = state.child_text("OS").unwrap_or_default().to_owned();
    if !os.is_empty() && os != "Linux" && os != "Windows" {
        return Err(ApiError::bad_request(format!(
            "The OS {os} is not valid: use Linux or Windows."
        )));
    }
    if state.child("LogicalDiskSizeInGB").is_none() {
        state.set(Elem::text(
            "LogicalDiskSizeInGB",
            if os.is_empty() { "1" } else { "30" },
        ));
    }
    state.set(Elem::text("IsPremium", "false"));
    state.set(Elem::text("IOType", "Standard"));
    Ok(())
}

/// Checks an Update Disk (Update Disk Size grows the disk).
pub(crate) fn disk_updated(old: &Elem, update: &Elem, merged: &mut Elem) -> Result<(), ApiError> {
    if let Some(size) = update.child_text("ResizedSizeInGB") {
        let new: i32 = size
            .trim()
            .parse()
            .map_err(|_| ApiError::bad_request("ResizedSizeInGB must be a number."))?;
        let current: i32 = old
            .child_text("LogicalDiskSizeInGB")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(0);
        if new < current {
            return Err(ApiError::bad_request(format!(
                "A disk can only grow: it has {current} GB, {new} GB was asked."
            )));
        }
        merged.set(Elem::text("LogicalDiskSizeInGB", new.to_string()));
    }
    if let Some(name) = update.child_text("Name") {
        if !name.eq_ignore_ascii_case(old.child_text("Name").unwrap_or_default()) {
            return Err(ApiError::bad_request(
                "The Name in the body must be the disk's name.",
            ));
        }
    }
    merged.children.retain(|c| c.name != "ResizedSizeInGB");
    Ok(())
}

/// The certificate (DER) and thumbprint of an Add Service Certificate body.
fn certificate_of(body: &Elem) -> Result<(Vec<u8>, String), ApiError> {
    let data = base64::engine::general_purpose::STANDARD
        .decode(body.child_text("Data").unwrap_or_default().trim())
        .map_err(|_| ApiError::bad_request("The certificate Data is not base64."))?;
    let format = body
        .child_text("CertificateFormat")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let der = match format.as_str() {
        "pfx" => {
            let password = body.child_text("Password").unwrap_or_default();
            let creds = asm_runtime::Credentials::from_pkcs12(&data, password).map_err(|_| {
                ApiError::bad_request(
                    "The certificate file is not a valid PFX, or the password is wrong.",
                )
            })?;
            creds.certificate_der().to_vec()
        }
        "cer" => {
            if crate::pki::subject_public_key_info(&data).is_none() {
                return Err(ApiError::bad_request(
                    "The certificate file is not a valid X.509 certificate.",
                ));
            }
            data
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "The certificate format {other} is not valid: use pfx or cer."
            )))
        }
    };
    let thumbprint = crate::pki::thumbprint(&der).to_ascii_uppercase();
    Ok((der, thumbprint))
}

/// The name of a new service certificate: `sha1-<THUMBPRINT>`.
pub(crate) fn service_certificate_name(body: &Elem) -> Result<Option<String>, ApiError> {
    let (_, thumbprint) = certificate_of(body)?;
    Ok(Some(format!("sha1-{thumbprint}")))
}

/// A new service certificate's state: the public part only (the PFX and its
/// password are not kept).
pub(crate) fn service_certificate_created(
    api: &Api,
    sub: &str,
    parents: &[String],
    state: &mut Elem,
) -> Result<(), ApiError> {
    let (der, thumbprint) = certificate_of(state)?;
    let service = parents.last().map(String::as_str).unwrap_or_default();
    let cert = Certificate {
        certificate_url: Some(
            format!(
                "{}/{sub}/services/hostedservices/{service}/certificates/sha1-{thumbprint}",
                api.endpoint
            )
            .into(),
        ),
        thumbprint: Some(thumbprint.as_str().into()),
        thumbprint_algorithm: Some("sha1".into()),
        data: Some(der),
    };
    let mut e = to_elem("Certificate", &cert);
    e.set(Elem::text("Name", format!("sha1-{thumbprint}")));
    e.name = "ServiceCertificate".into();
    *state = e;
    Ok(())
}

// ------------------------------------------------------------ operations

impl Api {
    /// Stores a captured role as an image of the images area (`OSImage`,
    /// or `VMImage` with `vm_image`).
    #[allow(clippy::too_many_arguments)]
    fn store_capture(
        &self,
        t: &mut redb::Table<'_, &'static str, &'static [u8]>,
        sub: &str,
        (service_name, deployment_name): (&str, &str),
        role: &Role,
        vm_image: bool,
        (name, label): (&str, &str),
        os_state: &str,
        now: Millis,
    ) -> Result<(), ApiError> {
        let hs = self.hosted_service(&*t, sub, service_name, now)?;
        let location = match (&hs.location, &hs.affinity_group) {
            (Some(l), _) => l.clone(),
            (None, Some(g)) => self
                .affinity_group(&*t, sub, g)?
                .map(|(_, l)| l)
                .unwrap_or_default(),
            (None, None) => String::new(),
        };
        let disk = role.os_virtual_hard_disk.as_ref();
        let linux = role
            .configuration_sets
            .iter()
            .any(|c| c.configuration_set_type.as_str() == "LinuxProvisioningConfiguration");
        let os = disk
            .and_then(|d| d.os.clone())
            .unwrap_or_else(|| if linux { "Linux" } else { "Windows" }.into());
        let media_link = disk.and_then(|d| d.media_link.clone()).unwrap_or_default();
        crate::images::store_captured_image(
            t,
            sub,
            vm_image,
            &crate::images::CapturedImage {
                name,
                label,
                os: &os,
                os_state,
                location: &location,
                media_link: &media_link,
                service_name,
                deployment_name,
                role_name: &role.role_name,
                role_size: role.role_size.as_deref(),
            },
            now,
        )
    }

    /// The deployment `name` of `service` as the service shows it.
    pub(crate) fn deployment_wire(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        service: &str,
        name: &str,
        now: Millis,
    ) -> Result<Deployment, ApiError> {
        self.find_dep(table, sub, service, Target::Name(name), now)
            .map(|d| d.wire)
    }

    fn find_dep(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        service: &str,
        target: Target<'_>,
        now: Millis,
    ) -> Result<Dep, ApiError> {
        self.hosted_service(table, sub, service, now)?;
        match target {
            Target::Name(name) => {
                let key = dep_key(sub, service, name);
                let rec = get::<ResourceRec>(table, &key)?
                    .filter(|r| r.subscription == sub && exists(&r.pending, now))
                    .ok_or_else(|| deployment_not_found(name))?;
                read_dep(key, rec)
            }
            Target::Slot(slot) => {
                let slot = &canonical_slot(slot);
                for (key, rec) in scan::<ResourceRec>(table, &dep_prefix(sub, service))? {
                    if rec.resource != "Deployment"
                        || rec.subscription != sub
                        || !exists(&rec.pending, now)
                    {
                        continue;
                    }
                    let dep = read_dep(key, rec)?;
                    if dep.wire.deployment_slot.as_str() == slot.as_str() {
                        return Ok(dep);
                    }
                }
                Err(no_deployment_in_slot())
            }
        }
    }

    fn deployments_of(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        service: &str,
        now: Millis,
    ) -> Result<Vec<Dep>, ApiError> {
        let mut out = Vec::new();
        for (key, rec) in scan::<ResourceRec>(table, &dep_prefix(sub, service))? {
            if rec.resource == "Deployment" && rec.subscription == sub && exists(&rec.pending, now)
            {
                out.push(read_dep(key, rec)?);
            }
        }
        Ok(out)
    }

    /// A new deployment record (checks the name and the slot).
    #[allow(clippy::too_many_arguments)]
    fn new_dep(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        service: &str,
        name: &str,
        slot: &DeploymentSlot,
        label: &str,
        now: Millis,
    ) -> Result<Dep, ApiError> {
        self.hosted_service(table, sub, service, now)?;
        let slot = &canonical_slot(slot);
        if name.trim().is_empty() {
            return Err(ApiError::bad_request("The deployment name is missing."));
        }
        if matches!(slot, DeploymentSlot::Unknown(_)) {
            return Err(ApiError::bad_request(format!(
                "The deployment slot {} is not valid: use Production or Staging.",
                slot.as_str()
            )));
        }
        for d in self.deployments_of(table, sub, service, now)? {
            if d.wire.name.eq_ignore_ascii_case(name) {
                return Err(ApiError::conflict(format!(
                    "A deployment named {name} already exists in {service}."
                )));
            }
            if d.wire.deployment_slot.as_str() == slot.as_str() {
                return Err(ApiError::conflict(format!(
                    "There is already a deployment ({}) in the {} slot of {service}.",
                    d.wire.name,
                    slot.as_str()
                )));
            }
        }
        let private_id = uuid::Uuid::new_v4().simple().to_string();
        let wire = Deployment {
            name: name.into(),
            deployment_slot: slot.clone(),
            url: Some(slot_url(service, slot, &private_id).into()),
            virtual_ips: vec![VirtualIP {
                address: Some(vip_for(&private_id).into()),
                is_dns_programmed: Some(true),
                name: Some(format!("{service}ContractContract").into()),
                ..Default::default()
            }],
            private_id: private_id.into(),
            status: DeploymentStatus::Running,
            label: label.into(),
            sdk_version: Some(String::new().into()),
            locked: Some(false),
            rollback_allowed: Some(false),
            created_time: Some(datetime(now)),
            last_modified_time: Some(datetime(now)),
            ..Default::default()
        };
        let key = dep_key(sub, service, name);
        Ok(Dep {
            key,
            rec: ResourceRec {
                resource: "Deployment".into(),
                subscription: sub.to_owned(),
                parents: vec![service.to_owned()],
                name: name.to_owned(),
                state: Elem::default(),
                created_ms: now,
                modified_ms: now,
                pending: None,
            },
            wire,
            extra: Extra::default(),
        })
    }

    /// Reads of this area; `None`: not one of its operations.
    pub(crate) fn compute_read(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Option<Result<Reply, ApiError>> {
        let table = match tx.open_table(RESOURCES) {
            Ok(t) => t,
            Err(e) => return Some(Err(e.into())),
        };
        let t = &table;
        Some(match req {
            ServerRequest::GetDeploymentBySlot {
                service_name,
                deployment_slot,
                ..
            } => self
                .find_dep(t, sub, service_name, Target::Slot(deployment_slot), now)
                .map(|d| Reply::xml(req, &d.read(now))),
            ServerRequest::GetDeploymentByName {
                service_name,
                deployment_name,
                ..
            } => self
                .find_dep(t, sub, service_name, Target::Name(deployment_name), now)
                .map(|d| Reply::xml(req, &d.read(now))),
            ServerRequest::GetRole {
                service_name,
                deployment_name,
                role_name,
                ..
            } => self
                .find_dep(t, sub, service_name, Target::Name(deployment_name), now)
                .and_then(|d| d.role(role_name).map(|r| Reply::xml(req, r))),
            ServerRequest::GetDataDisk {
                service_name,
                deployment_name,
                role_name,
                lun,
                ..
            } => self
                .find_dep(t, sub, service_name, Target::Name(deployment_name), now)
                .and_then(|d| {
                    let role = d.role(role_name)?;
                    let lun = parse_lun(lun)?;
                    role.data_virtual_hard_disks
                        .iter()
                        .find(|x| x.lun == Some(lun))
                        .map(|x| Reply::xml(req, x))
                        .ok_or_else(|| lun_not_found(role_name, lun))
                }),
            ServerRequest::DownloadRdpFile {
                service_name,
                deployment_name,
                role_name,
                ..
            } => self
                .find_dep(t, sub, service_name, Target::Name(deployment_name), now)
                .and_then(|d| {
                    let role = d.role(role_name)?;
                    let rdp = role
                        .configuration_sets
                        .iter()
                        .flat_map(|c| c.input_endpoints.iter())
                        .find(|e| e.local_port == Some(3389))
                        .ok_or_else(|| {
                            ApiError::bad_request(
                                "An external endpoint to the Remote Desktop port (3389) must first be added to the role.",
                            )
                        })?;
                    Ok(Reply::body(
                        200,
                        TEXT_CONTENT,
                        format!(
                            "full address:s:{service_name}.cloudapp.net:{}\r\nprompt for credentials:i:1\r\nusername:s:\r\n",
                            rdp.port.unwrap_or(3389)
                        ),
                    ))
                }),
            ServerRequest::ListDeploymentEventsBySlot {
                service_name,
                deployment_slot,
                start_time,
                end_time,
                ..
            } => self
                .find_dep(t, sub, service_name, Target::Slot(deployment_slot), now)
                .map(|d| Reply::xml(req, &events(&d, start_time, end_time))),
            ServerRequest::ListDeploymentEventsByName {
                service_name,
                deployment_name,
                start_time,
                end_time,
                ..
            } => self
                .find_dep(t, sub, service_name, Target::Name(deployment_name), now)
                .map(|d| Reply::xml(req, &events(&d, start_time, end_time))),
            ServerRequest::GetServiceCertificate {
                service_name,
                thumbprint_algorithm,
                thumbprint,
                ..
            } => self
                .service_certificate(t, sub, service_name, thumbprint_algorithm, thumbprint, now)
                .map(|(_, rec)| {
                    let mut e = rec.state.clone();
                    e.children.retain(|c| c.name != "Name");
                    let cert: Certificate = from_elem("Certificate", &e).unwrap_or_default();
                    Reply::xml(req, &cert)
                }),
            _ => return None,
        })
    }

    fn service_certificate(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        service: &str,
        algorithm: &str,
        thumbprint: &str,
        now: Millis,
    ) -> Result<(String, ResourceRec), ApiError> {
        self.hosted_service(table, sub, service, now)?;
        let key = cert_key(sub, service, &format!("{algorithm}-{thumbprint}"));
        let rec = get::<ResourceRec>(table, &key)?
            .filter(|r| r.subscription == sub && exists(&r.pending, now))
            .ok_or_else(|| ApiError::not_found("The certificate was not found."))?;
        Ok((key, rec))
    }

    /// Writes of this area; `None`: not one of its operations.
    pub(crate) fn compute_write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
        request_id: &str,
    ) -> Option<Result<Outcome, ApiError>> {
        let mut table = match tx.open_table(RESOURCES) {
            Ok(t) => t,
            Err(e) => return Some(Err(e.into())),
        };
        let result = self.compute_write_in(&mut table, sub, req, now, request_id)?;
        Some(result)
    }

    fn compute_write_in(
        &self,
        t: &mut Table<'_>,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
        rid: &str,
    ) -> Option<Result<Outcome, ApiError>> {
        use ServerRequest as R;
        let ok = || Ok(self.accepted(now));
        let until = now + self.async_delay_ms;
        // Runs `f` on a deployment and saves it.
        let with = |t: &mut Table<'_>,
                    service: &str,
                    target: Target<'_>,
                    f: &mut dyn FnMut(&mut Dep, &mut Table<'_>) -> Result<(), ApiError>|
         -> Result<Outcome, ApiError> {
            let mut d = self.find_dep(&*t, sub, service, target, now)?;
            d.lock(rid, now, until)?;
            f(&mut d, t)?;
            d.save(t, now)?;
            ok()
        };
        Some(match req {
            // ---------------------------------------------- deployments
            R::CreateDeployment {
                service_name,
                deployment_slot,
                body,
                ..
            } => (|| {
                let mut d = self.new_dep(
                    &*t,
                    sub,
                    service_name,
                    &body.name,
                    deployment_slot,
                    &body.label,
                    now,
                )?;
                if body.package_url.trim().is_empty() {
                    return Err(ApiError::bad_request("The PackageUrl is missing."));
                }
                d.wire.status = if body.start_deployment == Some(true) {
                    DeploymentStatus::Running
                } else {
                    DeploymentStatus::Suspended
                };
                derive_instances(&mut d.wire, &body.configuration)?;
                d.lock(rid, now, until)?;
                d.wire.extended_properties = body.extended_properties.clone();
                d.wire.extension_configuration = body.extension_configuration.clone();
                d.extra.package_url = Some(body.package_url.to_string());
                d.save(t, now)?;
                ok()
            })(),
            R::DeleteDeploymentBySlot {
                service_name,
                deployment_slot,
                ..
            } => self.delete_dep(
                t,
                sub,
                service_name,
                Target::Slot(deployment_slot),
                false,
                now,
            ),
            R::DeleteDeploymentByName {
                service_name,
                deployment_name,
                options,
                ..
            } => self.delete_dep(
                t,
                sub,
                service_name,
                Target::Name(deployment_name),
                is_media(options.comp.as_deref()),
                now,
            ),
            R::SwapDeployment {
                service_name, body, ..
            } => self.swap(t, sub, service_name, body, now, rid),
            R::ChangeDeploymentConfigurationBySlot {
                service_name,
                deployment_slot,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| change(d, None, None, &body.configuration, body.mode.as_ref()),
            ),
            R::ChangeDeploymentConfigurationByName {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| change(d, None, None, &body.configuration, body.mode.as_ref()),
            ),
            R::UpdateDeploymentStatusBySlot {
                service_name,
                deployment_slot,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| update_status(d, &body.status),
            ),
            R::UpdateDeploymentStatusByName {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| update_status(d, &body.status),
            ),
            R::UpgradeDeploymentBySlot {
                service_name,
                deployment_slot,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| upgrade(d, body),
            ),
            R::UpgradeDeploymentByName {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| upgrade(d, body),
            ),
            R::WalkUpgradeDomainBySlot {
                service_name,
                deployment_slot,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| walk(d, body.upgrade_domain),
            ),
            R::WalkUpgradeDomainByName {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| walk(d, body.upgrade_domain),
            ),
            R::RollbackUpdateOrUpgradeBySlot {
                service_name,
                deployment_slot,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| rollback(d),
            ),
            R::RollbackUpdateOrUpgradeByName {
                service_name,
                deployment_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| rollback(d),
            ),
            R::GetPackageBySlot {
                service_name,
                deployment_slot,
                container_uri,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| get_package(d, container_uri),
            ),
            R::GetPackageByName {
                service_name,
                deployment_name,
                container_uri,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| get_package(d, container_uri),
            ),
            R::ValidateDeploymentMigration {
                service_name,
                deployment_name,
                ..
            } => self
                .find_dep(&*t, sub, service_name, Target::Name(deployment_name), now)
                .map(|_| Reply::xml(req, &ValidationMessages::default()).into()),
            R::PrepareDeploymentMigration {
                service_name,
                deployment_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    if d.extra.migration.is_some() {
                        return Err(ApiError::conflict(format!(
                            "The deployment {} is already prepared for migration.",
                            d.wire.name
                        )));
                    }
                    d.extra.migration = Some("Prepared".into());
                    for r in &mut d.wire.role_list {
                        r.migration_state = Some("Prepared".into());
                    }
                    Ok(())
                },
            ),
            R::AbortDeploymentMigration {
                service_name,
                deployment_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    if d.extra.migration.take().is_none() {
                        return Err(not_prepared(&d.wire.name));
                    }
                    for r in &mut d.wire.role_list {
                        r.migration_state = None;
                    }
                    Ok(())
                },
            ),
            R::CommitDeploymentMigration {
                service_name,
                deployment_name,
                ..
            } => (|| {
                let d =
                    self.find_dep(&*t, sub, service_name, Target::Name(deployment_name), now)?;
                d.check_lock(now)?;
                if d.extra.migration.is_none() {
                    return Err(not_prepared(&d.wire.name));
                }
                // The deployment now lives in Resource Manager: gone here,
                // with its disks.
                for r in &d.wire.role_list {
                    self.release_role_disks(t, sub, r, true, now)?;
                }
                t.remove(d.key.as_str())?;
                ok()
            })(),
            R::AddVirtualIP {
                service_name,
                deployment_name,
                virtual_ip_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    if d.wire.virtual_ips.iter().any(|v| {
                        v.name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(virtual_ip_name))
                    }) {
                        return Err(ApiError::conflict(format!(
                            "The virtual IP {virtual_ip_name} already exists."
                        )));
                    }
                    let address = vip_for(&format!("{}{virtual_ip_name}", d.wire.private_id));
                    d.wire.virtual_ips.push(VirtualIP {
                        address: Some(address.into()),
                        is_dns_programmed: Some(false),
                        name: Some(virtual_ip_name.as_str().into()),
                        ..Default::default()
                    });
                    Ok(())
                },
            ),
            R::RemoveVirtualIP {
                service_name,
                deployment_name,
                virtual_ip_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    let at = d
                        .wire
                        .virtual_ips
                        .iter()
                        .position(|v| {
                            v.name
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(virtual_ip_name))
                        })
                        .ok_or_else(|| {
                            ApiError::not_found(format!(
                                "The virtual IP {virtual_ip_name} does not exist."
                            ))
                        })?;
                    if at == 0 {
                        return Err(ApiError::bad_request(
                            "The default virtual IP of a deployment cannot be removed.",
                        ));
                    }
                    d.wire.virtual_ips.remove(at);
                    Ok(())
                },
            ),
            // ---------------------------------------------- role instances
            R::DeleteRoleInstancesByName {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| delete_instances(d, &body.name),
            ),
            R::DeleteRoleInstancesBySlot {
                service_name,
                deployment_slot,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| delete_instances(d, &body.name),
            ),
            R::RebootRoleInstanceByName {
                service_name,
                deployment_name,
                role_instance_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| restart_instance(d, role_instance_name, "Reboot", now),
            ),
            R::RebootRoleInstanceBySlot {
                service_name,
                deployment_slot,
                role_instance_name,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| restart_instance(d, role_instance_name, "Reboot", now),
            ),
            R::ReimageRoleInstanceByName {
                service_name,
                deployment_name,
                role_instance_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| restart_instance(d, role_instance_name, "Reimage", now),
            ),
            R::ReimageRoleInstanceBySlot {
                service_name,
                deployment_slot,
                role_instance_name,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| restart_instance(d, role_instance_name, "Reimage", now),
            ),
            R::RebuildRoleInstanceByName {
                service_name,
                deployment_name,
                role_instance_name,
                resources,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    check_rebuild(resources)?;
                    restart_instance(d, role_instance_name, "Rebuild", now)
                },
            ),
            R::RebuildRoleInstanceBySlot {
                service_name,
                deployment_slot,
                role_instance_name,
                resources,
                ..
            } => with(
                t,
                service_name,
                Target::Slot(deployment_slot),
                &mut |d, _| {
                    check_rebuild(resources)?;
                    restart_instance(d, role_instance_name, "Rebuild", now)
                },
            ),
            // ---------------------------------------------- virtual machines
            R::CreateVirtualMachineDeployment {
                service_name, body, ..
            } => self.create_vm_deployment(t, sub, service_name, body, now, rid),
            R::AddRole {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, t| {
                    if !d.is_vm() {
                        return Err(ApiError::bad_request(
                            "Virtual machines can only be added to a virtual machine deployment.",
                        ));
                    }
                    if d.role(&body.role_name).is_ok() {
                        return Err(ApiError::conflict(format!(
                            "A role named {} already exists in the deployment {}.",
                            body.role_name, d.wire.name
                        )));
                    }
                    let vip = vip_of(d);
                    let (role, instance) = self.provision_role(
                        t,
                        sub,
                        service_name,
                        &d.wire.name.clone(),
                        &vip,
                        body.clone(),
                        d.wire.role_instance_list.len(),
                        now,
                    )?;
                    d.wire.role_list.push(role);
                    d.wire.role_instance_list.push(instance);
                    Ok(())
                },
            ),
            R::UpdateRole {
                service_name,
                deployment_name,
                role_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| update_role(d, role_name, body),
            ),
            R::DeleteRole {
                service_name,
                deployment_name,
                role_name,
                options,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, t| {
                    let role = d.role(role_name)?.clone();
                    if d.wire.role_list.len() == 1 {
                        return Err(ApiError::bad_request(format!(
                        "Role {} is the only role present in the deployment and so cannot be removed. Please delete the deployment or add another role before removing this role.",
                        role.role_name
                    )));
                    }
                    self.release_role_disks(t, sub, &role, is_media(options.comp.as_deref()), now)?;
                    remove_role(d, &role.role_name);
                    Ok(())
                },
            ),
            R::StartRole {
                service_name,
                deployment_name,
                role_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| power(d, role_name, Power::Start),
            ),
            R::ShutdownRole {
                service_name,
                deployment_name,
                role_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| power(d, role_name, Power::Stop(body.post_shutdown_action.clone())),
            ),
            R::RestartRole {
                service_name,
                deployment_name,
                role_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| power(d, role_name, Power::Restart),
            ),
            R::StartRoles {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    for r in &body.roles {
                        d.role(r)?;
                    }
                    for r in &body.roles {
                        power(d, r, Power::Start)?;
                    }
                    Ok(())
                },
            ),
            R::ShutdownRoles {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    for r in &body.roles {
                        d.role(r)?;
                    }
                    for r in &body.roles {
                        power(d, r, Power::Stop(body.post_shutdown_action.clone()))?;
                    }
                    Ok(())
                },
            ),
            R::CaptureRole {
                service_name,
                deployment_name,
                role_name,
                body,
                ..
            } => (|| {
                let mut d =
                    self.find_dep(&*t, sub, service_name, Target::Name(deployment_name), now)?;
                d.lock(rid, now, until)?;
                let role = d.role(role_name)?.clone();
                if body.target_image_name.trim().is_empty() {
                    return Err(ApiError::bad_request("The TargetImageName is missing."));
                }
                // The OS image is stored in the images area (409 when the
                // name is taken); the role is then deleted (its OS disk
                // became the image) or reprovisioned.
                let generalized = body.post_capture_action != PostCaptureAction::Reprovision;
                self.store_capture(
                    t,
                    sub,
                    (service_name, deployment_name),
                    &role,
                    false,
                    (&body.target_image_name, &body.target_image_label),
                    if generalized {
                        "Generalized"
                    } else {
                        "Specialized"
                    },
                    now,
                )?;
                match body.post_capture_action {
                    PostCaptureAction::Reprovision => {
                        power(&mut d, role_name, Power::Start)?;
                        d.save(t, now)?;
                    }
                    _ => {
                        self.release_role_disks(t, sub, &role, false, now)?;
                        if let Some(os) = role
                            .os_virtual_hard_disk
                            .as_ref()
                            .and_then(|o| o.disk_name.as_deref())
                        {
                            self.release_disk(t, sub, os, true, now)?;
                        }
                        if d.wire.role_list.len() == 1 {
                            t.remove(d.key.as_str())?;
                        } else {
                            remove_role(&mut d, &role.role_name);
                            d.save(t, now)?;
                        }
                    }
                }
                ok()
            })(),
            R::CaptureVMImage {
                service_name,
                deployment_name,
                role_name,
                body,
                ..
            } => (|| {
                let d =
                    self.find_dep(&*t, sub, service_name, Target::Name(deployment_name), now)?;
                let role = d.role(role_name)?.clone();
                let name = body.vm_image_name.as_deref().unwrap_or_default().trim();
                if name.is_empty() {
                    return Err(ApiError::bad_request("The VMImageName is missing."));
                }
                let label = body.vm_image_label.as_deref().unwrap_or(name);
                let state = body.os_state.as_deref().unwrap_or("Specialized");
                self.store_capture(
                    t,
                    sub,
                    (service_name, deployment_name),
                    &role,
                    true,
                    (name, label),
                    state,
                    now,
                )?;
                // The role is left stopped.
                with(
                    t,
                    service_name,
                    Target::Name(deployment_name),
                    &mut |d, _| power(d, role_name, Power::Stop(None)),
                )
            })(),
            R::RedeployRole {
                service_name,
                deployment_name,
                role_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| power(d, role_name, Power::Restart),
            ),
            R::PerformMaintenanceOnRole {
                service_name,
                deployment_name,
                role_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    let inst = d.instance_mut(role_name)?;
                    let allowed = inst
                        .maintenance_status
                        .as_ref()
                        .and_then(|m| m.is_customer_initiated_maintenance_allowed)
                        .unwrap_or(false);
                    if !allowed {
                        return Err(ApiError::bad_request(format!(
                        "The role instance {role_name} is not in a maintenance window that allows customer-initiated maintenance."
                    )));
                    }
                    Ok(())
                },
            ),
            R::UpdateLoadBalancedEndpointSet {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| update_lb_sets(d, &body.input_endpoint),
            ),
            // ---------------------------------------------- data disks
            R::AddDataDisk {
                service_name,
                deployment_name,
                role_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, t| {
                    let dep_name = d.wire.name.clone();
                    let role = d.role_mut(role_name)?;
                    let at = Attach {
                        service: service_name,
                        deployment: &dep_name,
                        role: &role.role_name.clone(),
                    };
                    self.add_data_disk_to(t, sub, &at, role, body.clone(), now)
                },
            ),
            R::UpdateDataDisk {
                service_name,
                deployment_name,
                role_name,
                lun,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    let lun = parse_lun(lun)?;
                    let role = d.role_mut(role_name)?;
                    let new_lun = body.lun.unwrap_or(lun);
                    if !(0..=MAX_LUN).contains(&new_lun) {
                        return Err(ApiError::bad_request(format!(
                            "The LUN {new_lun} is not valid: use 0 to {MAX_LUN}."
                        )));
                    }
                    if new_lun != lun
                        && role
                            .data_virtual_hard_disks
                            .iter()
                            .any(|x| x.lun == Some(new_lun))
                    {
                        return Err(ApiError::conflict(format!(
                            "A data disk is already attached to {role_name} at LUN {new_lun}."
                        )));
                    }
                    let disk = role
                        .data_virtual_hard_disks
                        .iter_mut()
                        .find(|x| x.lun == Some(lun))
                        .ok_or_else(|| lun_not_found(role_name, lun))?;
                    if let Some(c) = &body.host_caching {
                        disk.host_caching = Some(c.clone());
                    }
                    if body.disk_label.is_some() {
                        disk.disk_label = body.disk_label.clone();
                    }
                    disk.lun = Some(new_lun);
                    role.data_virtual_hard_disks.sort_by_key(|x| x.lun);
                    Ok(())
                },
            ),
            R::DeleteDataDisk {
                service_name,
                deployment_name,
                role_name,
                lun,
                options,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, t| {
                    let lun = parse_lun(lun)?;
                    let role = d.role_mut(role_name)?;
                    let at = role
                        .data_virtual_hard_disks
                        .iter()
                        .position(|x| x.lun == Some(lun))
                        .ok_or_else(|| lun_not_found(role_name, lun))?;
                    let disk = role.data_virtual_hard_disks.remove(at);
                    if let Some(name) = &disk.disk_name {
                        self.release_disk(t, sub, name, is_media(options.comp.as_deref()), now)?;
                    }
                    Ok(())
                },
            ),
            // ---------------------------------------------- load balancers
            R::CreateLoadBalancer {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    if let Some(lb) = d.wire.load_balancers.first() {
                        return Err(ApiError::bad_request(format!(
                        "LoadBalancer already exists: {}. Only one internal load balancer allowed per deployment.",
                        lb.name
                    )));
                    }
                    if body.name.trim().is_empty() {
                        return Err(ApiError::bad_request("The load balancer name is missing."));
                    }
                    d.wire.load_balancers.push(body.clone());
                    Ok(())
                },
            ),
            R::UpdateLoadBalancer {
                service_name,
                deployment_name,
                load_balancer_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    let lb = d
                        .wire
                        .load_balancers
                        .iter_mut()
                        .find(|l| l.name.eq_ignore_ascii_case(load_balancer_name))
                        .ok_or_else(|| lb_not_found(load_balancer_name))?;
                    lb.frontend_ip_configuration = body.frontend_ip_configuration.clone();
                    Ok(())
                },
            ),
            R::DeleteLoadBalancer {
                service_name,
                deployment_name,
                load_balancer_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    let at = d
                        .wire
                        .load_balancers
                        .iter()
                        .position(|l| l.name.eq_ignore_ascii_case(load_balancer_name))
                        .ok_or_else(|| lb_not_found(load_balancer_name))?;
                    let used = d
                        .wire
                        .role_list
                        .iter()
                        .flat_map(|r| r.configuration_sets.iter())
                        .flat_map(|c| c.input_endpoints.iter())
                        .any(|e| {
                            e.load_balancer_name
                                .as_deref()
                                .is_some_and(|n| n.eq_ignore_ascii_case(load_balancer_name))
                        });
                    if used {
                        return Err(ApiError::bad_request(format!(
                        "The load balancer {load_balancer_name} is used by an endpoint and cannot be deleted."
                    )));
                    }
                    d.wire.load_balancers.remove(at);
                    Ok(())
                },
            ),
            // ---------------------------------------------- DNS servers
            R::AddDnsServer {
                service_name,
                deployment_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    let dns = d.wire.dns.get_or_insert_with(Default::default);
                    if dns
                        .dns_servers
                        .iter()
                        .any(|s| s.name.eq_ignore_ascii_case(&body.name))
                    {
                        return Err(ApiError::conflict(format!(
                            "The DNS server {} already exists.",
                            body.name
                        )));
                    }
                    if body.name.trim().is_empty() {
                        return Err(ApiError::bad_request("The DNS server name is missing."));
                    }
                    check_address(body.address.as_deref())?;
                    dns.dns_servers.push(body.clone());
                    Ok(())
                },
            ),
            R::UpdateDnsServer {
                service_name,
                deployment_name,
                dns_server_name,
                body,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    check_address(body.address.as_deref())?;
                    let server = d
                        .wire
                        .dns
                        .as_mut()
                        .and_then(|dns| {
                            dns.dns_servers
                                .iter_mut()
                                .find(|s| s.name.eq_ignore_ascii_case(dns_server_name))
                        })
                        .ok_or_else(|| dns_not_found(dns_server_name))?;
                    server.address = body.address.clone();
                    Ok(())
                },
            ),
            R::DeleteDnsServer {
                service_name,
                deployment_name,
                dns_server_name,
                ..
            } => with(
                t,
                service_name,
                Target::Name(deployment_name),
                &mut |d, _| {
                    let dns = d
                        .wire
                        .dns
                        .as_mut()
                        .ok_or_else(|| dns_not_found(dns_server_name))?;
                    let at = dns
                        .dns_servers
                        .iter()
                        .position(|s| s.name.eq_ignore_ascii_case(dns_server_name))
                        .ok_or_else(|| dns_not_found(dns_server_name))?;
                    dns.dns_servers.remove(at);
                    Ok(())
                },
            ),
            // ---------------------------------------------- certificates
            R::DeleteServiceCertificate {
                service_name,
                thumbprint_algorithm,
                thumbprint,
                ..
            } => (|| {
                let (key, _) = self.service_certificate(
                    &*t,
                    sub,
                    service_name,
                    thumbprint_algorithm,
                    thumbprint,
                    now,
                )?;
                t.remove(key.as_str())?;
                ok()
            })(),
            _ => return None,
        })
    }

    fn delete_dep(
        &self,
        t: &mut Table<'_>,
        sub: &str,
        service: &str,
        target: Target<'_>,
        media: bool,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let d = self.find_dep(&*t, sub, service, target, now)?;
        d.check_lock(now)?;
        for r in &d.wire.role_list {
            self.release_role_disks(t, sub, r, media, now)?;
        }
        t.remove(d.key.as_str())?;
        Ok(self.accepted(now))
    }

    fn swap(
        &self,
        t: &mut Table<'_>,
        sub: &str,
        service: &str,
        body: &Swap,
        now: Millis,
        rid: &str,
    ) -> Result<Outcome, ApiError> {
        let deps = self.deployments_of(&*t, sub, service, now)?;
        self.hosted_service(&*t, sub, service, now)?;
        let mut source = None;
        let mut other = None;
        for d in deps {
            if d.wire.name.eq_ignore_ascii_case(&body.source_deployment) {
                source = Some(d);
            } else {
                other = Some(d);
            }
        }
        let mut source = source.ok_or_else(|| deployment_not_found(&body.source_deployment))?;
        if let Some(o) = &other {
            o.check_lock(now)?;
        }
        source.lock(rid, now, now + self.async_delay_ms)?;
        let production = [&Some(&source), &other.as_ref()]
            .into_iter()
            .flatten()
            .find(|d| d.wire.deployment_slot == DeploymentSlot::Production)
            .map(|d| d.wire.name.clone());
        match (&body.production, &production) {
            (Some(given), Some(actual)) if !given.eq_ignore_ascii_case(actual) => {
                return Err(ApiError::bad_request(format!(
                    "The deployment {given} is not the production deployment of {service} ({actual} is)."
                )))
            }
            (Some(given), None) => {
                return Err(ApiError::bad_request(format!(
                    "The deployment {given} is not in production: the production slot is empty."
                )))
            }
            _ => {}
        }
        let flip = |slot: &DeploymentSlot| match slot {
            DeploymentSlot::Production => DeploymentSlot::Staging,
            _ => DeploymentSlot::Production,
        };
        source.wire.deployment_slot = flip(&source.wire.deployment_slot);
        source.wire.url = Some(
            slot_url(
                service,
                &source.wire.deployment_slot,
                &source.wire.private_id,
            )
            .into(),
        );
        source.save(t, now)?;
        if let Some(mut o) = other {
            o.lock(rid, now, now + self.async_delay_ms)?;
            o.wire.deployment_slot = flip(&source.wire.deployment_slot);
            o.wire.url =
                Some(slot_url(service, &o.wire.deployment_slot, &o.wire.private_id).into());
            o.save(t, now)?;
        }
        Ok(self.accepted(now))
    }

    fn create_vm_deployment(
        &self,
        t: &mut Table<'_>,
        sub: &str,
        service: &str,
        body: &CreateVirtualMachineDeploymentInput,
        now: Millis,
        rid: &str,
    ) -> Result<Outcome, ApiError> {
        let mut d = self.new_dep(
            &*t,
            sub,
            service,
            &body.name,
            &body.deployment_slot,
            &body.label,
            now,
        )?;
        if body.role_list.is_empty() {
            return Err(ApiError::bad_request("A parameter was incorrect"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for r in &body.role_list {
            if !seen.insert(r.role_name.to_ascii_lowercase()) {
                return Err(ApiError::bad_request(format!(
                    "The role name {} is used twice.",
                    r.role_name
                )));
            }
        }
        let vip = vip_of(&d);
        for (i, r) in body.role_list.iter().enumerate() {
            let (role, instance) =
                self.provision_role(t, sub, service, &body.name, &vip, r.clone(), i, now)?;
            d.wire.role_list.push(role);
            d.wire.role_instance_list.push(instance);
        }
        d.wire.virtual_network_name = body.virtual_network_name.clone();
        d.wire.dns = body.dns.clone();
        d.wire.reserved_ip_name = body.reserved_ip_name.clone();
        d.wire.load_balancers = body.load_balancers.clone();
        d.wire.upgrade_domain_count = Some(1);
        d.lock(rid, now, now + self.async_delay_ms)?;
        d.save(t, now)?;
        Ok(self.accepted(now))
    }
}

fn vip_of(d: &Dep) -> String {
    d.wire
        .virtual_ips
        .first()
        .and_then(|v| v.address.clone())
        .unwrap_or_default()
        .to_string()
}

fn is_media(comp: Option<&str>) -> bool {
    comp.is_some_and(|c| c.eq_ignore_ascii_case("media"))
}

fn parse_lun(lun: &str) -> Result<i32, ApiError> {
    lun.trim()
        .parse()
        .map_err(|_| ApiError::bad_request(format!("The LUN {lun} is not a number.")))
}

fn lun_not_found(role: &str, lun: i32) -> ApiError {
    ApiError::not_found(format!(
        "The virtual machine {role} has no data disk at LUN {lun}."
    ))
}

fn lb_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("The load balancer {name} does not exist."))
}

fn dns_not_found(name: &str) -> ApiError {
    ApiError::not_found(format!("The DNS server {name} does not exist."))
}

fn not_prepared(name: &str) -> ApiError {
    ApiError::bad_request(format!(
        "The deployment {name} is not prepared for migration."
    ))
}

fn check_address(address: Option<&str>) -> Result<(), ApiError> {
    match address {
        Some(a) if a.parse::<std::net::IpAddr>().is_err() => Err(ApiError::bad_request(format!(
            "The DNS server address {a} is not a valid IP address."
        ))),
        _ => Ok(()),
    }
}

fn check_rebuild(resources: &str) -> Result<(), ApiError> {
    if resources.eq_ignore_ascii_case("allLocalDrives") {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "The resources value {resources} is not valid: use allLocalDrives."
        )))
    }
}

fn events(d: &Dep, start: &DateTime, end: &DateTime) -> DeploymentEventCollection {
    let (start, end) = (millis(start), millis(end));
    DeploymentEventCollection {
        reboot_events: d
            .extra
            .events
            .iter()
            .filter(|(_, _, _, at)| *at >= start && *at <= end)
            .map(|(role, inst, reason, at)| RebootEvent {
                role_name: Some(role.as_str().into()),
                instance_name: Some(inst.as_str().into()),
                reboot_reason: Some(reason.as_str().into()),
                reboot_start_time: Some(datetime(*at)),
            })
            .collect(),
        continuation_token: None,
    }
}

fn millis(dt: &DateTime) -> Millis {
    let t: time::OffsetDateTime = (*dt).into();
    (t.unix_timestamp_nanos() / 1_000_000) as Millis
}

/// The deployment must be one of web/worker roles.
fn require_paas(d: &Dep) -> Result<(), ApiError> {
    if d.is_vm() {
        return Err(ApiError::bad_request(format!(
            "The operation is not supported on the virtual machine deployment {}.",
            d.wire.name
        )));
    }
    Ok(())
}

fn change(
    d: &mut Dep,
    package_url: Option<&str>,
    label: Option<&str>,
    config: &str,
    mode: Option<&UpgradeType>,
) -> Result<(), ApiError> {
    require_paas(d)?;
    if d.extra.upgrade.is_some() {
        return Err(ApiError::conflict(format!(
            "An upgrade or configuration change of {} is in progress.",
            d.wire.name
        )));
    }
    config_roles(config)?;
    if matches!(mode, Some(UpgradeType::Manual)) {
        d.extra.upgrade = Some(Upgrade {
            package_url: package_url.map(str::to_owned),
            label: label.map(str::to_owned),
            configuration: config.to_owned(),
        });
        d.wire.upgrade_status = Some(UpgradeStatus {
            upgrade_type: Some(UpgradeType::Manual),
            current_upgrade_domain_state: Some(CurrentUpgradeDomainState::Before),
            current_upgrade_domain: Some(0),
        });
        d.wire.rollback_allowed = Some(true);
        return Ok(());
    }
    apply(
        d,
        &Upgrade {
            package_url: package_url.map(str::to_owned),
            label: label.map(str::to_owned),
            configuration: config.to_owned(),
        },
    )
}

fn apply(d: &mut Dep, u: &Upgrade) -> Result<(), ApiError> {
    derive_instances(&mut d.wire, &u.configuration)?;
    if let Some(p) = &u.package_url {
        d.extra.package_url = Some(p.clone());
    }
    if let Some(l) = &u.label {
        d.wire.label = l.as_str().into();
    }
    d.wire.upgrade_status = None;
    d.wire.rollback_allowed = Some(false);
    d.extra.upgrade = None;
    Ok(())
}

fn upgrade(d: &mut Dep, body: &UpgradeDeployment) -> Result<(), ApiError> {
    if body.package_url.trim().is_empty() {
        return Err(ApiError::bad_request("The PackageUrl is missing."));
    }
    if let Some(role) = &body.role_to_upgrade {
        if !config_roles(&body.configuration)?
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(role))
        {
            return Err(ApiError::bad_request(format!(
                "The role {role} is not in the configuration."
            )));
        }
    }
    change(
        d,
        Some(&body.package_url),
        Some(&body.label),
        &body.configuration,
        Some(&body.mode),
    )
}

fn walk(d: &mut Dep, domain: i32) -> Result<(), ApiError> {
    require_paas(d)?;
    let pending = d.extra.upgrade.clone().ok_or_else(|| {
        ApiError::bad_request(format!(
            "No manual upgrade of {} is in progress.",
            d.wire.name
        ))
    })?;
    let current = d
        .wire
        .upgrade_status
        .as_ref()
        .and_then(|s| s.current_upgrade_domain)
        .unwrap_or(0);
    if domain != current {
        return Err(ApiError::bad_request(format!(
            "The upgrade domain to walk is {current}, not {domain}."
        )));
    }
    let count = d.wire.upgrade_domain_count.unwrap_or(1);
    if current + 1 >= count {
        apply(d, &pending)
    } else {
        d.wire.upgrade_status = Some(UpgradeStatus {
            upgrade_type: Some(UpgradeType::Manual),
            current_upgrade_domain_state: Some(CurrentUpgradeDomainState::Before),
            current_upgrade_domain: Some(current + 1),
        });
        Ok(())
    }
}

fn rollback(d: &mut Dep) -> Result<(), ApiError> {
    require_paas(d)?;
    if d.extra.upgrade.take().is_none() {
        return Err(ApiError::bad_request(format!(
            "No upgrade or configuration change of {} is in progress: there is nothing to roll back.",
            d.wire.name
        )));
    }
    d.wire.upgrade_status = None;
    d.wire.rollback_allowed = Some(false);
    Ok(())
}

fn get_package(d: &mut Dep, container: &str) -> Result<(), ApiError> {
    require_paas(d)?;
    if !container.starts_with("https://") && !container.starts_with("http://") {
        return Err(ApiError::bad_request(format!(
            "The container URI {container} is not valid."
        )));
    }
    Ok(())
}

fn update_status(d: &mut Dep, status: &DeploymentStatus) -> Result<(), ApiError> {
    match status {
        DeploymentStatus::Running => set_running(&mut d.wire, true),
        DeploymentStatus::Suspended => set_running(&mut d.wire, false),
        other => {
            return Err(ApiError::bad_request(format!(
                "The status {} is not valid: use Running or Suspended.",
                other.as_str()
            )))
        }
    }
    Ok(())
}

fn delete_instances(d: &mut Dep, names: &[CompactString]) -> Result<(), ApiError> {
    require_paas(d)?;
    if names.is_empty() {
        return Err(ApiError::bad_request(
            "No role instance to delete was given.",
        ));
    }
    for n in names {
        d.instance_mut(n)?;
    }
    let keep: Vec<RoleInstance> = d
        .wire
        .role_instance_list
        .iter()
        .filter(|i| {
            !names
                .iter()
                .any(|n| n.eq_ignore_ascii_case(&i.instance_name))
        })
        .cloned()
        .collect();
    for r in &d.wire.role_list {
        if !keep.iter().any(|i| i.role_name == r.role_name) {
            return Err(ApiError::bad_request(format!(
                "The role {} must keep at least one instance.",
                r.role_name
            )));
        }
    }
    d.wire.role_instance_list = keep;
    Ok(())
}

fn restart_instance(d: &mut Dep, name: &str, reason: &str, now: Millis) -> Result<(), ApiError> {
    if d.wire.status != DeploymentStatus::Running {
        return Err(ApiError::conflict(format!(
            "The deployment {} is not running.",
            d.wire.name
        )));
    }
    let inst = d.instance_mut(name)?;
    inst.instance_status = Some(InstanceStatus::ReadyRole);
    inst.power_state = Some(PowerState::Started);
    let (role, instance) = (inst.role_name.clone(), inst.instance_name.clone());
    d.extra.events.push((
        role.to_string(),
        instance.to_string(),
        reason.to_owned(),
        now,
    ));
    Ok(())
}

enum Power {
    Start,
    Stop(Option<PostShutdownAction>),
    Restart,
}

fn power(d: &mut Dep, role: &str, what: Power) -> Result<(), ApiError> {
    if !d.is_vm() {
        return Err(ApiError::bad_request(format!(
            "The deployment {} has no virtual machines.",
            d.wire.name
        )));
    }
    let role = d.role(role)?.role_name.clone();
    let inst = d.instance_mut(&role)?;
    match what {
        Power::Start => {
            inst.instance_status = Some(InstanceStatus::ReadyRole);
            inst.power_state = Some(PowerState::Started);
        }
        Power::Restart => {
            if inst.power_state == Some(PowerState::Stopped) {
                return Err(ApiError::conflict(format!(
                    "The virtual machine {role} is stopped: start it instead."
                )));
            }
            inst.instance_status = Some(InstanceStatus::ReadyRole);
            inst.power_state = Some(PowerState::Started);
        }
        Power::Stop(action) => {
            inst.instance_status = Some(match action {
                Some(PostShutdownAction::StoppedDeallocated) => InstanceStatus::StoppedDeallocated,
                _ => InstanceStatus::StoppedVm,
            });
            inst.power_state = Some(PowerState::Stopped);
        }
    }
    Ok(())
}

fn remove_role(d: &mut Dep, role: &str) {
    d.wire
        .role_list
        .retain(|r| !r.role_name.eq_ignore_ascii_case(role));
    d.wire
        .role_instance_list
        .retain(|i| !i.role_name.eq_ignore_ascii_case(role));
}

fn update_role(d: &mut Dep, role_name: &str, body: &Role) -> Result<(), ApiError> {
    let vip = vip_of(d);
    let role = d.role_mut(role_name)?;
    if !body.role_name.is_empty() && !body.role_name.eq_ignore_ascii_case(&role.role_name) {
        return Err(ApiError::bad_request(
            "The RoleName in the body must be the role's name.",
        ));
    }
    role.configuration_sets = body
        .configuration_sets
        .iter()
        .filter(|c| c.configuration_set_type == ConfigurationSetType::NetworkConfiguration)
        .cloned()
        .collect();
    if body.role_size.is_some() {
        role.role_size = body.role_size.clone();
    }
    if body.availability_set_name.is_some() {
        role.availability_set_name = body.availability_set_name.clone();
    }
    if !body.resource_extension_references.is_empty() {
        role.resource_extension_references = body.resource_extension_references.clone();
    }
    if body.provision_guest_agent.is_some() {
        role.provision_guest_agent = body.provision_guest_agent;
    }
    if body.debug_settings.is_some() {
        role.debug_settings = body.debug_settings.clone();
    }
    if let (Some(new), Some(os)) = (
        &body.os_virtual_hard_disk,
        role.os_virtual_hard_disk.as_mut(),
    ) {
        if new.host_caching.is_some() {
            os.host_caching = new.host_caching.clone();
        }
    }
    for new in &body.data_virtual_hard_disks {
        if let Some(x) = role
            .data_virtual_hard_disks
            .iter_mut()
            .find(|x| x.lun.is_some() && x.lun == new.lun)
        {
            if new.host_caching.is_some() {
                x.host_caching = new.host_caching.clone();
            }
        }
    }
    let endpoints = instance_endpoints(role, &vip);
    let size = role.role_size.clone();
    let name = role.role_name.clone();
    let inst = d.instance_mut(&name)?;
    inst.instance_endpoints = endpoints;
    inst.instance_size = size;
    Ok(())
}

fn update_lb_sets(d: &mut Dep, sets: &[LoadBalancedEndpoint]) -> Result<(), ApiError> {
    for s in sets {
        let mut found = false;
        for role in &mut d.wire.role_list {
            for c in &mut role.configuration_sets {
                for e in &mut c.input_endpoints {
                    if e.load_balanced_endpoint_set_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&s.load_balanced_endpoint_set_name))
                    {
                        found = true;
                        if s.local_port.is_some() {
                            e.local_port = s.local_port;
                        }
                        if s.port.is_some() {
                            e.port = s.port;
                        }
                        if s.protocol.is_some() {
                            e.protocol = s.protocol.clone();
                        }
                        if s.load_balancer_probe.is_some() {
                            e.load_balancer_probe = s.load_balancer_probe.clone();
                        }
                        if s.endpoint_acl.is_some() {
                            e.endpoint_acl = s.endpoint_acl.clone();
                        }
                        if s.enable_direct_server_return.is_some() {
                            e.enable_direct_server_return = s.enable_direct_server_return;
                        }
                        if s.idle_timeout_in_minutes.is_some() {
                            e.idle_timeout_in_minutes = s.idle_timeout_in_minutes;
                        }
                        if s.load_balancer_distribution.is_some() {
                            e.load_balancer_distribution = s.load_balancer_distribution.clone();
                        }
                    }
                }
            }
        }
        if !found {
            return Err(ApiError::bad_request(format!(
                "The load-balanced endpoint set {} does not exist in the deployment {}.",
                s.load_balanced_endpoint_set_name, d.wire.name
            )));
        }
    }
    let vip = vip_of(d);
    let roles = d.wire.role_list.clone();
    for r in &roles {
        if let Ok(inst) = d.instance_mut(&r.role_name) {
            inst.instance_endpoints = instance_endpoints(r, &vip);
        }
    }
    Ok(())
}

//! Real behaviour on top of the generic engine, per resource: what the
//! spec cannot say (name rules, canonical locations, what a read shows that
//! is not stored, deletes the service refuses). Everything else about a
//! declared resource is the engine's.

use asm_codegen::model::Resource;
use asm_runtime::xml::{self, FromXml, ToXml};
use azure_asm::*;
use base64::Engine as _;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use crate::api::{
    ext_props, valid_dns_name, valid_storage_name, Api, ApiError, DNS_NAME_RULES,
    STORAGE_NAME_RULES,
};
use crate::engine::{display, Elem, Matched, ResourceRec};
use crate::locations;
use crate::store::*;

/// An element tree as a generated type (through its XML).
fn typed<T: FromXml>(root: &'static str, e: &Elem) -> Option<T> {
    xml::from_document(root, e.to_xml(root).as_bytes()).ok()
}

/// Extended properties as an `ExtendedProperties` element.
fn ext_props_elem(props: &[(String, String)]) -> Elem {
    Elem {
        name: "ExtendedProperties".into(),
        children: props
            .iter()
            .map(|(k, v)| Elem {
                name: "ExtendedProperty".into(),
                children: vec![
                    Elem::text("Name", k.clone()),
                    Elem::text("Value", v.clone()),
                ],
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    }
}

/// The extended properties of a state.
fn ext_props_of(state: &Elem) -> Vec<(String, String)> {
    state
        .child("ExtendedProperties")
        .map(|w| {
            w.children
                .iter()
                .filter_map(|p| {
                    Some((
                        p.child_text("Name")?.to_owned(),
                        p.child_text("Value").unwrap_or_default().to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn b64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text.as_bytes())
}

fn unb64(text: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default()
}

/// The record of a management certificate given as DER (the emulator's own
/// client certificate, and those of added subscriptions): (key, record).
pub(crate) fn certificate_record(sub: &str, der: &[u8], now: Millis) -> (String, ResourceRec) {
    let b64 = &base64::engine::general_purpose::STANDARD;
    let thumbprint = crate::pki::thumbprint(der);
    let mut state = Elem {
        name: "SubscriptionCertificate".into(),
        ..Default::default()
    };
    state.set(Elem::text(
        "SubscriptionCertificatePublicKey",
        b64.encode(crate::pki::subject_public_key_info(der).unwrap_or_default()),
    ));
    state.set(Elem::text(
        "SubscriptionCertificateThumbprint",
        thumbprint.clone(),
    ));
    state.set(Elem::text("SubscriptionCertificateData", b64.encode(der)));
    state.set(Elem::text(
        "Created",
        xml::XmlText::to_text(&crate::api::datetime(now)).into_owned(),
    ));
    (
        certificate_key(sub, &thumbprint),
        ResourceRec {
            resource: "ManagementCertificate".into(),
            subscription: sub.to_owned(),
            parents: Vec::new(),
            name: thumbprint,
            state,
            created_ms: now,
            modified_ms: now,
            pending: None,
        },
    )
}

/// Where the engine keeps a subscription's management certificate.
pub(crate) fn certificate_key(sub: &str, thumbprint: &str) -> String {
    format!(
        "ManagementCertificate/{sub}/{}",
        thumbprint.to_ascii_lowercase()
    )
}

/// A storage account's state: the fields of [`StorageAccountRec`] as elements.
pub(crate) fn sa_state(v: &StorageAccountRec) -> Elem {
    let mut e = Elem {
        name: "StorageService".into(),
        ..Default::default()
    };
    e.set(Elem::text("ServiceName", v.name.clone()));
    e.set(Elem::text("Label", b64(&v.label)));
    for (n, val) in [
        ("Description", &v.description),
        ("Location", &v.location),
        ("AffinityGroup", &v.affinity_group),
    ] {
        if let Some(val) = val {
            e.set(Elem::text(n, val.clone()));
        }
    }
    e.set(Elem::text("Region", v.region.clone()));
    e.set(Elem::text("AccountType", v.account_type.clone()));
    e.set(Elem::text("PrimaryKey", v.primary_key.clone()));
    e.set(Elem::text("SecondaryKey", v.secondary_key.clone()));
    e.set(ext_props_elem(&v.extended_properties));
    e.set(Elem {
        name: "CustomDomains".into(),
        children: v
            .custom_domains
            .iter()
            .map(|(n, sub)| {
                let mut d = Elem {
                    name: "CustomDomain".into(),
                    ..Default::default()
                };
                d.set(Elem::text("Name", n.clone()));
                if let Some(s) = sub {
                    d.set(Elem::text("UseSubDomainName", s.to_string()));
                }
                d
            })
            .collect(),
        ..Default::default()
    });
    e
}

/// A storage account record as the hand-written parts see it.
pub(crate) fn sa_view(rec: &ResourceRec) -> StorageAccountRec {
    let s = &rec.state;
    let text = |n: &str| s.child_text(n).map(str::to_owned).filter(|t| !t.is_empty());
    StorageAccountRec {
        subscription: rec.subscription.clone(),
        name: rec.name.clone(),
        label: text("Label").map(|l| unb64(&l)).unwrap_or_default(),
        description: text("Description"),
        location: text("Location"),
        affinity_group: text("AffinityGroup"),
        region: text("Region").unwrap_or_default(),
        extended_properties: ext_props_of(s),
        custom_domains: s
            .child("CustomDomains")
            .map(|w| {
                w.children
                    .iter()
                    .filter_map(|d| {
                        Some((
                            d.child_text("Name")?.to_owned(),
                            d.child_text("UseSubDomainName").map(|v| v == "true"),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        account_type: text("AccountType").unwrap_or_default(),
        primary_key: text("PrimaryKey").unwrap_or_default(),
        secondary_key: text("SecondaryKey").unwrap_or_default(),
        created_ms: rec.created_ms,
        pending: rec.pending.clone(),
    }
}

/// A cloud service record as the hand-written parts of the emulator see it.
pub(crate) fn hs_view(rec: &ResourceRec) -> HostedServiceRec {
    let s = &rec.state;
    let text = |n: &str| s.child_text(n).map(str::to_owned).filter(|t| !t.is_empty());
    let label = text("Label")
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .unwrap_or_default();
    HostedServiceRec {
        subscription: rec.subscription.clone(),
        name: rec.name.clone(),
        label,
        description: text("Description"),
        location: text("Location"),
        affinity_group: text("AffinityGroup"),
        extended_properties: ext_props_of(s),
        reverse_dns_fqdn: text("ReverseDnsFqdn"),
        created_ms: rec.created_ms,
        modified_ms: rec.modified_ms,
        pending: rec.pending.clone(),
    }
}

/// A typed value as an element tree (for read hooks that show generated
/// types).
/// `<ComputeCapabilities>` of every location, built once (it is the same
/// for every read; encoding and parsing it per read was a fifth of the cost
/// of an affinity group read).
fn compute_capabilities_elem() -> Elem {
    static CAPS: std::sync::OnceLock<Elem> = std::sync::OnceLock::new();
    CAPS.get_or_init(|| elem_of("ComputeCapabilities", &locations::compute_capabilities()))
        .clone()
}

fn elem_of<T: ToXml>(name: &str, value: &T) -> Elem {
    let mut e = Elem::parse(xml::to_document(name, value).as_bytes()).unwrap_or_default();
    e.name = name.to_owned();
    e
}

impl Api {
    /// A name the service derives from the create body (a certificate's
    /// thumbprint from its data); `None`: the name element as given.
    pub(crate) fn hook_create_name(
        &self,
        r: &Resource,
        body: &Elem,
    ) -> Result<Option<String>, ApiError> {
        match r.name.as_str() {
            "ManagementCertificate" => {
                let data = body
                    .child_text("SubscriptionCertificateData")
                    .unwrap_or_default();
                let thumbprint = if data.trim().is_empty() {
                    body.child_text("SubscriptionCertificateThumbprint")
                        .unwrap_or_default()
                        .trim()
                        .to_ascii_uppercase()
                } else {
                    let der = base64::engine::general_purpose::STANDARD
                        .decode(data.trim())
                        .map_err(|_| {
                            ApiError::bad_request("SubscriptionCertificateData is not base64.")
                        })?;
                    crate::pki::thumbprint(&der)
                };
                if thumbprint.is_empty() || !thumbprint.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(ApiError::bad_request(
                        "The certificate thumbprint is invalid.",
                    ));
                }
                Ok(Some(thumbprint))
            }
            // The service names a new SQL server itself: ten lower-case
            // letters and digits (`q2dkhhxjvj`).
            "SqlServer" => {
                use rand::Rng as _;
                const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                let mut rng = rand::rng();
                let name = (0..10)
                    .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
                    .collect();
                Ok(Some(name))
            }
            "ServiceCertificate" => crate::compute::service_certificate_name(body),
            _ => Ok(None),
        }
    }

    /// Checks and completes a new resource's state before it is stored.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn hook_create(
        &self,
        tx: &WriteTransaction,
        r: &Resource,
        sub: &str,
        parents: &[String],
        name: &str,
        state: &mut Elem,
        now: Millis,
    ) -> Result<Option<Failure>, ApiError> {
        match r.name.as_str() {
            "Disk" => crate::compute::disk_created(state).map(|()| None),
            "ServiceCertificate" => {
                crate::compute::service_certificate_created(self, sub, parents, state)
                    .map(|()| None)
            }
            "StorageAccount" => {
                let body: CreateStorageServiceInput = typed("CreateStorageServiceInput", state)
                    .ok_or_else(|| ApiError::bad_request("The request body is invalid."))?;
                if !valid_storage_name(name) {
                    return Err(ApiError::bad_request(STORAGE_NAME_RULES));
                }
                let placement = self.placement(
                    tx,
                    sub,
                    body.location.as_deref(),
                    body.affinity_group.as_deref(),
                )?;
                let props = ext_props(&[], &body.extended_properties)?;
                let account_type = match &body.account_type {
                    Some(StorageAccountType::Unknown(t)) => {
                        return Err(ApiError::bad_request(format!(
                            "The account type {t} is not valid."
                        )))
                    }
                    Some(t) => t.as_str().to_owned(),
                    None => match (body.geo_replication_enabled, body.secondary_read_enabled) {
                        (Some(false), _) => "Standard_LRS".to_owned(),
                        (_, Some(true)) => "Standard_RAGRS".to_owned(),
                        _ => "Standard_GRS".to_owned(),
                    },
                };
                let count = self
                    .storage_accounts_of(&tx.open_table(RESOURCES)?, sub, now)?
                    .len();
                if count as i64 >= self.quotas.max_storage_accounts as i64 {
                    return Err(ApiError::bad_request(format!(
                        "The subscription has reached its limit of {} storage accounts.",
                        self.quotas.max_storage_accounts
                    )));
                }
                // Checked late, as the service did: the operation is accepted
                // and fails when it completes.
                let fail = (!locations::supports_account_type(&placement.region, &account_type))
                    .then(|| Failure {
                        status: 400,
                        code: "BadRequest".to_owned(),
                        message: format!(
                            "The account type {account_type} is not available in {}.",
                            placement.region
                        ),
                    });
                let view = StorageAccountRec {
                    subscription: sub.to_owned(),
                    name: name.to_owned(),
                    label: body.label.to_string(),
                    description: body.description.as_deref().map(Into::into),
                    location: placement.location,
                    affinity_group: placement.affinity_group,
                    region: placement.region,
                    extended_properties: props,
                    custom_domains: Vec::new(),
                    account_type,
                    primary_key: crate::api::new_key(),
                    secondary_key: crate::api::new_key(),
                    created_ms: now,
                    pending: None,
                };
                *state = sa_state(&view);
                Ok(fail)
            }
            "ManagementCertificate" => {
                let b64 = &base64::engine::general_purpose::STANDARD;
                let field = |n: &str| -> Result<Vec<u8>, ApiError> {
                    b64.decode(state.child_text(n).unwrap_or_default().trim())
                        .map_err(|_| ApiError::bad_request(format!("{n} is not base64.")))
                };
                let data = field("SubscriptionCertificateData")?;
                let given_key = field("SubscriptionCertificatePublicKey")?;
                let spki = if data.is_empty() {
                    None
                } else {
                    Some(crate::pki::subject_public_key_info(&data).ok_or_else(|| {
                        ApiError::bad_request(
                            "SubscriptionCertificateData is not an X.509 certificate.",
                        )
                    })?)
                };
                let public_key = if given_key.is_empty() {
                    spki.unwrap_or_default()
                } else {
                    given_key
                };
                state.set(Elem::text(
                    "SubscriptionCertificatePublicKey",
                    b64.encode(public_key),
                ));
                state.set(Elem::text(
                    "SubscriptionCertificateThumbprint",
                    name.to_ascii_uppercase(),
                ));
                state.set(Elem::text("SubscriptionCertificateData", b64.encode(&data)));
                Ok(None)
            }
            "AffinityGroup" => {
                if !valid_group_name(name) {
                    return Err(ApiError::bad_request(
                        "The affinity group name must be 1 to 63 letters, digits, hyphens, underscores or periods.",
                    ));
                }
                let given = state.child_text("Location").unwrap_or_default().to_owned();
                let location = locations::canonical(&given).ok_or_else(|| {
                    ApiError::bad_request(format!("The location {given} is not valid."))
                })?;
                state.set(Elem::text("Location", location));
                Ok(None)
            }
            "HostedService" => {
                if !valid_dns_name(name) {
                    return Err(ApiError::bad_request(DNS_NAME_RULES));
                }
                let body: CreateHostedService = typed("CreateHostedService", state)
                    .ok_or_else(|| ApiError::bad_request("The request body is invalid."))?;
                let props = ext_props(&[], &body.extended_properties)?;
                let placement = self.placement(
                    tx,
                    sub,
                    body.location.as_deref(),
                    body.affinity_group.as_deref(),
                )?;
                let count = self
                    .hosted_services_of(&tx.open_table(RESOURCES)?, sub, now)?
                    .len();
                if count as i64 >= self.quotas.max_hosted_services as i64 {
                    return Err(ApiError::bad_request(format!(
                        "The subscription has reached its limit of {} cloud services.",
                        self.quotas.max_hosted_services
                    )));
                }
                state
                    .children
                    .retain(|c| c.name != "Location" && c.name != "AffinityGroup");
                if let Some(l) = placement.location {
                    state.set(Elem::text("Location", l));
                }
                if let Some(g) = placement.affinity_group {
                    state.set(Elem::text("AffinityGroup", g));
                }
                state.set(ext_props_elem(&props));
                Ok(None)
            }
            "NetworkSecurityRule" => self.nsg_rule_create(tx, sub, parents, name, state, now),
            "Route" => self.route_create(tx, sub, parents),
            "SqlDatabase" => crate::sql::database_created(self, tx, sub, parents, name, state, now),
            // Create Server answers with the name alone (a scalar root).
            "SqlServer" => {
                state.text = name.to_owned();
                Ok(None)
            }
            "OSImage" | "VMImage" | "ReservedIP" | "HostedServiceExtension" => {
                self.images_hook_create(tx, r, sub, parents, name, state, now)
            }
            "ServiceBusNamespace" => {
                if !valid_namespace_name(name) {
                    return Err(ApiError::bad_request(format!(
                        "The namespace name {name} is not valid: 6 to 50 letters, digits and hyphens, starting with a letter and not ending with a hyphen."
                    )));
                }
                let given = state.child_text("Region").unwrap_or_default().to_owned();
                let region = locations::canonical(&given).ok_or_else(|| {
                    ApiError::bad_request(format!("The region {given} is not valid."))
                })?;
                state.set(Elem::text("Region", region));
                let key = crate::api::new_key();
                state.set(Elem::text(
                    "ConnectionString",
                    format!("Endpoint=sb://{name}.servicebus.windows.net/;SharedSecretIssuer=owner;SharedSecretValue={key}"),
                ));
                state.set(Elem::text("DefaultKey", key));
                state.set(Elem::text("SubscriptionId", sub.replace('-', "")));
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Checks an update (`update`, the request) merged into a resource's
    /// state (`merged`; `old` is the state before).
    pub(crate) fn hook_update(
        &self,
        tx: &WriteTransaction,
        r: &Resource,
        old: &Elem,
        update: &Elem,
        merged: &mut Elem,
        now: Millis,
    ) -> Result<(), ApiError> {
        match r.name.as_str() {
            "HostedService" => {
                if update.child("Label").is_none() && update.child("Description").is_none() {
                    return Err(ApiError::bad_request(
                        "An update must give at least a Label or a Description.",
                    ));
                }
                // Extended properties merge by name (an empty value removes one).
                let body: UpdateHostedService = typed("UpdateHostedService", update)
                    .ok_or_else(|| ApiError::bad_request("The request body is invalid."))?;
                let props = ext_props(&ext_props_of(old), &body.extended_properties)?;
                merged.set(ext_props_elem(&props));
                Ok(())
            }
            "StorageAccount" => {
                let body: UpdateStorageServiceInput = typed("UpdateStorageServiceInput", update)
                    .ok_or_else(|| ApiError::bad_request("The request body is invalid."))?;
                let old_rec = ResourceRec {
                    state: old.clone(),
                    ..Default::default()
                };
                let mut a = sa_view(&old_rec);
                if let Some(t) = &body.account_type {
                    let new = t.as_str().to_owned();
                    if matches!(t, StorageAccountType::Unknown(_)) {
                        return Err(ApiError::bad_request(format!(
                            "The account type {new} is not valid."
                        )));
                    }
                    let premium = |t: &str| t == "Premium_LRS";
                    if new != a.account_type
                        && (premium(&new)
                            || premium(&a.account_type)
                            || new == "Standard_ZRS"
                            || a.account_type == "Standard_ZRS")
                    {
                        return Err(ApiError::bad_request(format!(
                            "The account type cannot be changed from {} to {new}.",
                            a.account_type
                        )));
                    }
                    a.account_type = new;
                } else if let Some(geo) = body.geo_replication_enabled {
                    if a.account_type.starts_with("Standard") && a.account_type != "Standard_ZRS" {
                        a.account_type =
                            if geo { "Standard_GRS" } else { "Standard_LRS" }.to_owned();
                    }
                }
                if let Some(label) = &body.label {
                    a.label = label.to_string();
                }
                if body.description.is_some() {
                    a.description = body.description.as_deref().map(Into::into);
                }
                a.extended_properties =
                    ext_props(&a.extended_properties, &body.extended_properties)?;
                if !body.custom_domains.is_empty() {
                    a.custom_domains = body
                        .custom_domains
                        .iter()
                        .filter(|d| !d.name.trim().is_empty())
                        .map(|d| (d.name.to_string(), d.use_sub_domain_name))
                        .collect();
                }
                a.name = old.child_text("ServiceName").unwrap_or_default().to_owned();
                *merged = sa_state(&a);
                Ok(())
            }
            "Profile" => self.profile_update(old, merged),
            "OSImage" => self.images_hook_update(r, old, merged),
            "Disk" => crate::compute::disk_updated(old, update, merged),
            "SqlDatabase" => crate::sql::database_updated(self, tx, old, update, merged, now),
            _ => Ok(()),
        }
    }

    /// Why the service would refuse `name` for `r` (availability checks
    /// answer with it).
    pub(crate) fn hook_name_rules(&self, r: &Resource, name: &str) -> Option<String> {
        match r.name.as_str() {
            "HostedService" => (!valid_dns_name(name)).then(|| DNS_NAME_RULES.to_owned()),
            "StorageAccount" => (!valid_storage_name(name)).then(|| STORAGE_NAME_RULES.to_owned()),
            "ServiceBusNamespace" => (!valid_namespace_name(name)).then(|| {
                "The namespace name is not valid: 6 to 50 letters, digits and hyphens, starting with a letter and not ending with a hyphen.".to_owned()
            }),
            _ => None,
        }
    }

    /// The message of a name that is taken.
    pub(crate) fn hook_taken_message(&self, r: &Resource, name: &str) -> String {
        match r.name.as_str() {
            "HostedService" => "The specified DNS name is already taken.".to_owned(),
            "StorageAccount" => format!("A storage account named '{name}' already exists."),
            "ManagementCertificate" => {
                format!("The certificate with thumbprint {name} already exists.")
            }
            _ => format!("A {} named {name} already exists.", display(&r.name)),
        }
    }

    /// Refuses a delete the service refuses (`operation`: the delete
    /// operation, when a resource has several).
    pub(crate) fn hook_delete(
        &self,
        tx: &WriteTransaction,
        r: &Resource,
        operation: &str,
        rec: &ResourceRec,
        now: Millis,
    ) -> Result<(), ApiError> {
        match r.name.as_str() {
            "SchedulerCloudService" => self.platform_cloud_service_deleted(tx, rec),
            "AffinityGroup" => {
                let in_group = |a: &Option<String>| {
                    a.as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(&rec.name))
                };
                let services =
                    self.hosted_services_of(&tx.open_table(RESOURCES)?, &rec.subscription, now)?;
                let accounts =
                    self.storage_accounts_of(&tx.open_table(RESOURCES)?, &rec.subscription, now)?;
                if services.iter().any(|s| in_group(&s.affinity_group))
                    || accounts.iter().any(|a| in_group(&a.affinity_group))
                {
                    return Err(ApiError::bad_request(format!(
                        "The affinity group {} has cloud services or storage accounts in it and cannot be deleted.",
                        rec.name
                    )));
                }
                Ok(())
            }
            "NetworkSecurityGroup" | "RouteTable" => self.refuse_delete_if_associated(tx, rec),
            "NetworkSecurityRule" | "Route" => self.child_delete(tx, rec),
            "HostedService" => {
                self.forget_service(tx, rec)?;
                crate::compute::service_deleted(tx, operation, rec, now)
            }
            "OSImage" | "VMImage" | "ReservedIP" => self.images_hook_delete(tx, r, rec),
            "Disk" => crate::compute::refuse_disk_in_use(rec),
            "WebSite" => crate::websites::site_deleted(tx, rec),
            "SqlDatabase" => crate::sql::database_deleted(self, tx, rec, now),
            "SqlServer" => crate::sql::server_deleted(self, tx, rec, now),
            _ => Ok(()),
        }
    }

    /// Adds what a read shows and the state does not hold.
    pub(crate) fn hook_read(
        &self,
        tx: &ReadTransaction,
        r: &Resource,
        m: &Matched<'_>,
        rec: &ResourceRec,
        state: &mut Elem,
        now: Millis,
    ) -> Result<(), ApiError> {
        let operation = m.op.name.as_str();
        match r.name.as_str() {
            "SchedulerCloudService" if operation == "GetCloudService" => {
                self.platform_cloud_service_read(tx, rec, state, now)
            }
            "StorageAccount" => {
                // The rendering of a storage account is the service's own
                // (endpoints, geo-replication, status): the typed view.
                *state = elem_of("StorageService", &self.sa_to_wire(&sa_view(rec), now));
                Ok(())
            }
            "HostedService" => {
                let status = match life(&rec.pending, now) {
                    Life::Creating => "Creating",
                    Life::Deleting => "Deleting",
                    Life::Created | Life::Gone => "Created",
                };
                state.set(Elem::text("Status", status));
                if operation == "GetHostedServiceProperties" {
                    state.set(compute_capabilities_elem());
                    // With embed-detail the service sends `<Deployments/>`
                    // when there are none (the engine embedded the
                    // deployments before this hook), else nothing.
                    if m.query
                        .get("embed-detail")
                        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
                        && state.child("Deployments").is_none()
                    {
                        state.set(Elem {
                            name: "Deployments".into(),
                            ..Default::default()
                        });
                    }
                }
                Ok(())
            }
            "AffinityGroup" => {
                state.set(Elem {
                    name: "Capabilities".into(),
                    children: vec![
                        Elem::text("Capability", "PersistentVMRole"),
                        Elem::text("Capability", "HighMemory"),
                    ],
                    ..Default::default()
                });
                if operation != "GetAffinityGroupProperties" {
                    return Ok(());
                }
                let in_group = |a: &Option<String>| {
                    a.as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(&rec.name))
                };
                let mut services = Elem {
                    name: "HostedServices".into(),
                    ..Default::default()
                };
                for s in
                    self.hosted_services_of(&tx.open_table(RESOURCES)?, &rec.subscription, now)?
                {
                    if in_group(&s.affinity_group) {
                        services
                            .children
                            .push(elem_of("HostedService", &self.hs_to_wire(&s, now, false)));
                    }
                }
                let mut accounts = Elem {
                    name: "StorageServices".into(),
                    ..Default::default()
                };
                for a in
                    self.storage_accounts_of(&tx.open_table(RESOURCES)?, &rec.subscription, now)?
                {
                    if in_group(&a.affinity_group) {
                        accounts.children.push(elem_of(
                            "StorageService",
                            &StorageService {
                                url: self.sa_url(&a).into(),
                                service_name: Some(a.name.as_str().into()),
                                ..Default::default()
                            },
                        ));
                    }
                }
                state.set(services);
                state.set(accounts);
                state.set(compute_capabilities_elem());
                Ok(())
            }
            "NetworkSecurityGroup" => self.nsg_read(m, state),
            "Profile" => self.profile_read(rec, state),
            "WebSite" => crate::websites::site_read(tx, m, rec, state),
            _ => Ok(()),
        }
    }

    /// The live storage accounts of `sub`.
    pub(crate) fn storage_accounts_of(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        now: Millis,
    ) -> Result<Vec<StorageAccountRec>, ApiError> {
        let records = self.live_records(table, "StorageAccount", sub, now)?;
        Ok(records.iter().map(sa_view).collect())
    }

    /// The storage account `name` of `sub` (404 when missing or gone) and its
    /// record's key.
    pub(crate) fn storage_account(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        name: &str,
        now: Millis,
    ) -> Result<(String, ResourceRec), ApiError> {
        self.live_record(table, "StorageAccount", sub, name, now)
    }

    /// The live cloud services of `sub`.
    pub(crate) fn hosted_services_of(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        now: Millis,
    ) -> Result<Vec<HostedServiceRec>, ApiError> {
        let records = self.live_records(table, "HostedService", sub, now)?;
        Ok(records.iter().map(hs_view).collect())
    }

    /// The cloud service `name` of `sub` (404 when missing or gone).
    pub(crate) fn hosted_service(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        name: &str,
        now: Millis,
    ) -> Result<HostedServiceRec, ApiError> {
        let (_, rec) = self.live_record(table, "HostedService", sub, name, now)?;
        Ok(hs_view(&rec))
    }

    /// The affinity group `name` of `sub`, if it exists: (name, location).
    pub(crate) fn affinity_group(
        &self,
        table: &impl redb::ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        name: &str,
    ) -> Result<Option<(String, String)>, ApiError> {
        let key = format!("AffinityGroup/{sub}/{}", name.to_ascii_lowercase());
        Ok(get::<ResourceRec>(table, &key)?.map(|g| {
            let location = g
                .state
                .child_text("Location")
                .unwrap_or_default()
                .to_owned();
            (g.name, location)
        }))
    }
}

/// Service Bus namespace names: 6 to 50 letters, digits and hyphens,
/// starting with a letter, not ending with a hyphen.
fn valid_namespace_name(name: &str) -> bool {
    (6..=50).contains(&name.len())
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && !name.ends_with('-')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn valid_group_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 63
        && name
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

//! Virtual network gateways (classic and V2), local network gateways,
//! gateway connections and application gateways, with the networking
//! operations they are tracked by (`GatewayOperationAsyncResponse` → Get
//! Gateway Operation Status: InProgress, then Successful or Failed).
//!
//! A classic gateway sits on a virtual network site of the stored network
//! configuration (which must have a `GatewaySubnet`); its connections are
//! the local network sites the configuration connects the network to. The
//! state goes NotProvisioned → Provisioning → Provisioned while the create
//! operation runs, and Provisioned → Deprovisioning → NotProvisioned while
//! the delete runs. Shared keys are generated per connection; reset draws a
//! new one of the asked length. Connect/Disconnect change the connectivity
//! state, Test reports it. A diagnostics session runs for its capture
//! duration (or until stopped) and then offers a capture URL. A VPN client
//! package is a stored operation whose Data is the package URL. Client root
//! certificates are parsed (thumbprint, subject, expiry).
//!
//! V2 gateways, local network gateways and connections are records keyed by
//! generated ids; application gateways by name, with a configuration (its
//! references checked), Start/Stop through Starting/Stopping, and SSL
//! certificates (PFX opened with its password; only the public part kept).

use std::collections::BTreeMap;

use asm_runtime::xml;
use asm_runtime::TextDocument;
use azure_asm::server::ServerRequest;
use azure_asm::*;
use base64::Engine as _;
use rand::Rng as _;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, Api, ApiError, Outcome, Reply, XML_CONTENT};
use crate::areas::NetworkConfigRec;
use crate::store::*;

const TEXT_CONTENT: &str = "text/plain";
/// Client root certificates a gateway takes.
const MAX_ROOT_CERTIFICATES: usize = 20;

// ---------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------

/// A virtual network gateway: classic (`GATEWAYS`, by network) or V2
/// (`GATEWAY_RESOURCES`, by id).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct GatewayRec {
    pub network: String,
    pub size: Option<String>,
    pub gateway_type: Option<String>,
    pub created_ms: Millis,
    /// Provisioning until then.
    #[serde(default)]
    pub ready_ms: Millis,
    /// Deprovisioning until then, gone after.
    #[serde(default)]
    pub deleting_until: Option<Millis>,
    #[serde(default)]
    pub vip: String,
    /// Connections by lower-case local network site name (classic).
    #[serde(default)]
    pub links: BTreeMap<String, LinkRec>,
    #[serde(default)]
    pub diagnostics: Option<DiagnosticsRec>,
    #[serde(default)]
    pub root_certificates: Vec<RootCertificateRec>,
    #[serde(default)]
    pub default_site: Option<String>,
    #[serde(default)]
    pub last_event: Option<EventRec>,
    // V2 only.
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub vnet_id: Option<String>,
    #[serde(default)]
    pub bgp: Option<BgpRec>,
}

/// A gateway's connection to a local network site (classic) or connected
/// entity (V2).
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct LinkRec {
    pub name: String,
    pub shared_key: String,
    pub connected: bool,
    pub last_connected_ms: Option<Millis>,
    pub ipsec: Option<IpsecRec>,
    pub last_event: Option<EventRec>,
    // V2 connections.
    #[serde(default)]
    pub gateway_id: String,
    #[serde(default)]
    pub entity_id: String,
    #[serde(default)]
    pub connection_type: Option<String>,
    #[serde(default)]
    pub routing_weight: Option<i32>,
    #[serde(default)]
    pub enable_bgp: Option<bool>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct IpsecRec {
    pub encryption_type: Option<String>,
    pub pfs_group: Option<String>,
    pub sa_data_size_kilobytes: Option<i32>,
    pub sa_lifetime_seconds: Option<i32>,
    pub hash_algorithm: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct EventRec {
    pub id: String,
    pub message: String,
    pub at_ms: Millis,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct DiagnosticsRec {
    pub until_ms: Millis,
    pub url: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct RootCertificateRec {
    pub thumbprint: String,
    pub subject: String,
    pub expires_ms: Option<Millis>,
    /// As uploaded.
    pub data: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct BgpRec {
    pub asn: Option<i64>,
    pub peering_address: Option<String>,
    pub peer_weight: Option<i32>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct LocalGatewayRec {
    pub id: String,
    pub name: String,
    pub ip_address: Option<String>,
    pub prefixes: Vec<String>,
    pub bgp: Option<BgpRec>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct AppGatewayRec {
    pub name: String,
    pub description: Option<String>,
    pub size: String,
    pub instance_count: i32,
    pub subnets: Vec<String>,
    pub vnet: String,
    /// Running once `until_ms` has passed (Starting before), else Stopped
    /// (Stopping before).
    pub running: bool,
    pub until_ms: Millis,
    pub config_xml: Option<String>,
    /// SSL certificates the configuration's listeners use.
    #[serde(default)]
    pub certificates_in_use: Vec<String>,
    pub certificates: Vec<AppCertificateRec>,
    pub vip: String,
    /// DNS name of the public address (shown while running).
    #[serde(default)]
    pub dns_name: String,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct AppCertificateRec {
    pub name: String,
    /// The public certificate, base64 DER.
    pub data: String,
}

/// A networking (gateway) operation.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct GatewayOpRec {
    pub id: String,
    pub name: String,
    pub started_ms: Millis,
    pub until_ms: Millis,
    /// Operation data once finished (a VPN client package URL, a test result).
    #[serde(default)]
    pub data: Option<String>,
    /// Set when the operation finishes Failed.
    #[serde(default)]
    pub failure: Option<Failure>,
}

fn v2_key(sub: &str, id: &str) -> String {
    format!("vng/{sub}/{}", id.to_ascii_lowercase())
}
fn lng_key(sub: &str, id: &str) -> String {
    format!("lng/{sub}/{}", id.to_ascii_lowercase())
}
fn conn_key(sub: &str, gateway: &str, entity: &str) -> String {
    format!(
        "conn/{sub}/{}/{}",
        gateway.to_ascii_lowercase(),
        entity.to_ascii_lowercase()
    )
}
fn agw_key(sub: &str, name: &str) -> String {
    format!("agw/{sub}/{}", name.to_ascii_lowercase())
}

// ---------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------

fn random_key(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| CHARS[rng.random_range(0..CHARS.len())] as char)
        .collect()
}

fn random_vip() -> String {
    let mut rng = rand::rng();
    format!(
        "23.{}.{}.{}",
        rng.random_range(96..128),
        rng.random_range(0..256),
        rng.random_range(1..255)
    )
}

fn event(id: &str, message: impl Into<String>, now: Millis) -> Option<EventRec> {
    Some(EventRec {
        id: id.to_owned(),
        message: message.into(),
        at_ms: now,
    })
}

fn event_to_wire(e: &Option<EventRec>) -> Option<GatewayEvent> {
    e.as_ref().map(|e| GatewayEvent {
        data: None,
        id: Some(e.id.as_str().into()),
        message: Some(e.message.as_str().into()),
        timestamp: Some(datetime(e.at_ms)),
    })
}

fn bgp_from(b: &Option<BgpSettings>) -> Option<BgpRec> {
    b.as_ref().map(|b| BgpRec {
        asn: b.asn,
        peering_address: b.bgp_peering_address.as_deref().map(Into::into),
        peer_weight: b.peer_weight,
    })
}

fn bgp_to_wire(b: &Option<BgpRec>) -> Option<BgpSettings> {
    b.as_ref().map(|b| BgpSettings {
        asn: b.asn,
        bgp_peering_address: b.peering_address.as_deref().map(Into::into),
        peer_weight: b.peer_weight,
    })
}

fn ipsec_to_wire(p: &Option<IpsecRec>) -> IPsecParameters {
    // The service's defaults for a connection never set.
    let d = IpsecRec {
        encryption_type: Some("RequireEncryption".into()),
        pfs_group: Some("None".into()),
        sa_data_size_kilobytes: Some(102_400_000),
        sa_lifetime_seconds: Some(3600),
        hash_algorithm: Some("SHA1".into()),
    };
    let p = p.clone().unwrap_or_default();
    IPsecParameters {
        encryption_type: p.encryption_type.or(d.encryption_type).map(Into::into),
        pfs_group: p.pfs_group.or(d.pfs_group).map(Into::into),
        sa_data_size_kilobytes: p.sa_data_size_kilobytes.or(d.sa_data_size_kilobytes),
        sa_lifetime_seconds: p.sa_lifetime_seconds.or(d.sa_lifetime_seconds),
        hash_algorithm: p.hash_algorithm.or(d.hash_algorithm).map(Into::into),
    }
}

fn ipsec_from(p: &IPsecParameters, old: &Option<IpsecRec>) -> Result<IpsecRec, ApiError> {
    let old = old.clone().unwrap_or_default();
    let check = |v: &Option<CompactString>, allowed: &[&str], what: &str| match v {
        Some(s) if !allowed.iter().any(|a| a.eq_ignore_ascii_case(s)) => {
            Err(ApiError::bad_request(format!(
                "The {what} {s} is not valid; use one of {}.",
                allowed.join(", ")
            )))
        }
        _ => Ok(()),
    };
    check(
        &p.encryption_type,
        &[
            "RequireEncryption",
            "NoEncryption",
            "AES256",
            "AES128",
            "DES3",
        ],
        "encryption type",
    )?;
    check(&p.pfs_group, &["None", "PFS1"], "PFS group")?;
    check(
        &p.hash_algorithm,
        &["SHA1", "SHA256", "MD5"],
        "hash algorithm",
    )?;
    Ok(IpsecRec {
        encryption_type: p
            .encryption_type
            .clone()
            .or(old.encryption_type.map(Into::into))
            .map(Into::into),
        pfs_group: p
            .pfs_group
            .clone()
            .or(old.pfs_group.map(Into::into))
            .map(Into::into),
        sa_data_size_kilobytes: p.sa_data_size_kilobytes.or(old.sa_data_size_kilobytes),
        sa_lifetime_seconds: p.sa_lifetime_seconds.or(old.sa_lifetime_seconds),
        hash_algorithm: p
            .hash_algorithm
            .clone()
            .or(old.hash_algorithm.map(Into::into))
            .map(Into::into),
    })
}

fn check_shared_key(value: &Option<CompactString>) -> Result<String, ApiError> {
    match value.as_deref().map(str::trim) {
        Some(v)
            if !v.is_empty() && v.len() <= 128 && v.chars().all(|c| c.is_ascii_alphanumeric()) =>
        {
            Ok(v.to_owned())
        }
        _ => Err(ApiError::bad_request(
            "The shared key must be 1 to 128 letters and digits.",
        )),
    }
}

fn gateway_state(g: &GatewayRec, now: Millis) -> GatewayProvisioningState {
    match g.deleting_until {
        Some(t) if now < t => GatewayProvisioningState::Deprovisioning,
        Some(_) => GatewayProvisioningState::NotProvisioned,
        None if now < g.ready_ms => GatewayProvisioningState::Provisioning,
        None => GatewayProvisioningState::Provisioned,
    }
}

fn gone(g: &GatewayRec, now: Millis) -> bool {
    g.deleting_until.is_some_and(|t| now >= t)
}

/// A gateway that can take a change: Provisioned.
fn require_provisioned(g: &GatewayRec, what: &str, now: Millis) -> Result<(), ApiError> {
    match gateway_state(g, now) {
        GatewayProvisioningState::Provisioned => Ok(()),
        s => Err(ApiError::conflict(format!(
            "The gateway of {what} is {}; the operation needs it Provisioned.",
            s.as_str()
        ))),
    }
}

/// The certificate in an uploaded body: base64 DER, PEM armour allowed.
fn certificate_der(text: &str) -> Option<Vec<u8>> {
    let b64: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("-----"))
        .flat_map(|l| l.chars())
        .filter(|c| !c.is_whitespace())
        .collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
}

const DEVICES: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><VpnDeviceList version=\"1.0\"><Vendor name=\"Cisco Systems, Inc.\"><Platform name=\"ASA 5500 Series Adaptive Security Appliances\"><OSFamily name=\"ASA Software 8.3\" /></Platform><Platform name=\"ISR Series Integrated Services Routers\"><OSFamily name=\"IOS 15.0\" /></Platform></Vendor><Vendor name=\"Juniper Networks, Inc.\"><Platform name=\"SRX Series Routers\"><OSFamily name=\"JunOS 10.2\" /></Platform></Vendor><Vendor name=\"Microsoft Corporation\"><Platform name=\"RRAS\"><OSFamily name=\"Windows Server 2012\" /><OSFamily name=\"Windows Server 2012 R2\" /></Platform></Vendor></VpnDeviceList>";

// ---------------------------------------------------------------------------
// The network configuration
// ---------------------------------------------------------------------------

fn network_configuration(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    sub: &str,
) -> Result<Option<(NetworkConfigRec, NetworkConfiguration)>, ApiError> {
    let Some(rec) = get::<NetworkConfigRec>(table, sub)? else {
        return Ok(None);
    };
    let parsed = TextDocument::<NetworkConfiguration>::from_text(rec.text.clone())
        .parse()
        .map_err(|e| {
            ApiError::bad_request(format!("The network configuration is not valid: {e}"))
        })?;
    Ok(Some((rec, parsed)))
}

/// The virtual network site `name` (404 when the configuration has none).
fn network_site(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    sub: &str,
    name: &str,
) -> Result<
    (
        NetcfgVirtualNetworkSite,
        Option<String>,
        NetworkConfiguration,
    ),
    ApiError,
> {
    let missing = || ApiError::not_found(format!("The virtual network {name} does not exist."));
    let (rec, config) = network_configuration(table, sub)?.ok_or_else(missing)?;
    let site = config
        .virtual_network_configuration
        .virtual_network_sites
        .iter()
        .find(|s| s.name.eq_ignore_ascii_case(name))
        .cloned()
        .ok_or_else(missing)?;
    let id = rec
        .ids
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, id)| id.clone());
    Ok((site, id, config))
}

fn require_gateway_subnet(site: &NetcfgVirtualNetworkSite) -> Result<(), ApiError> {
    if site
        .subnets
        .iter()
        .any(|s| s.name.eq_ignore_ascii_case("GatewaySubnet"))
    {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "The virtual network {} has no subnet named GatewaySubnet; a gateway needs one.",
            site.name
        )))
    }
}

/// Names of the local network sites the configuration connects the site to.
fn configured_links(site: &NetcfgVirtualNetworkSite) -> Vec<String> {
    site.gateway
        .as_ref()
        .map(|g| {
            g.connections_to_local_network
                .iter()
                .map(|l| l.name.to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn require_link(site: &NetcfgVirtualNetworkSite, local: &str) -> Result<String, ApiError> {
    configured_links(site)
        .into_iter()
        .find(|l| l.eq_ignore_ascii_case(local))
        .ok_or_else(|| {
            ApiError::not_found(format!(
                "The local network site {local} is not connected to the virtual network {} in the network configuration.",
                site.name
            ))
        })
}

// ---------------------------------------------------------------------------
// Serving
// ---------------------------------------------------------------------------

impl Api {
    /// A new networking operation, finishing after the async delay.
    fn start_gateway_op(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        name: &str,
        data: Option<String>,
        failure: Option<Failure>,
        now: Millis,
    ) -> Result<String, ApiError> {
        let id = uuid::Uuid::new_v4().to_string();
        put(
            &mut tx.open_table(GATEWAY_OPERATIONS)?,
            &format!("{sub}/{id}"),
            &GatewayOpRec {
                id: id.clone(),
                name: name.to_owned(),
                started_ms: now,
                until_ms: now + self.async_delay_ms,
                data,
                failure,
            },
        )?;
        Ok(id)
    }

    /// The started answer: the operation's id in the body.
    fn gateway_accepted(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        name: &str,
        data: Option<String>,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        self.accepted_or_failing(tx, sub, req, name, data, None, now)
    }

    /// The started answer of an operation that finishes Failed with
    /// `failure` (when given).
    #[allow(clippy::too_many_arguments)]
    fn accepted_or_failing(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        name: &str,
        data: Option<String>,
        failure: Option<Failure>,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let id = self.start_gateway_op(tx, sub, name, data, failure.clone(), now)?;
        Ok(Outcome {
            reply: Reply::xml(req, &GatewayOperationAsyncResponse { id: id.into() }),
            completion: Some((now + self.async_delay_ms, failure)),
        })
    }

    fn classic_gateway(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        network: &str,
        now: Millis,
    ) -> Result<Option<GatewayRec>, ApiError> {
        Ok(
            get::<GatewayRec>(table, &format!("{sub}/{}", network.to_ascii_lowercase()))?
                .filter(|g| !gone(g, now)),
        )
    }

    fn require_classic_gateway(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        network: &str,
        now: Millis,
    ) -> Result<GatewayRec, ApiError> {
        self.classic_gateway(table, sub, network, now)?
            .ok_or_else(|| {
                ApiError::not_found(format!("The virtual network {network} has no gateway."))
            })
    }

    fn v2_gateway(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        id: &str,
        now: Millis,
    ) -> Result<GatewayRec, ApiError> {
        get::<GatewayRec>(table, &v2_key(sub, id))?
            .filter(|g| !gone(g, now))
            .ok_or_else(|| {
                ApiError::not_found(format!("The virtual network gateway {id} does not exist."))
            })
    }

    fn connection(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        gateway: &str,
        entity: &str,
    ) -> Result<LinkRec, ApiError> {
        get::<LinkRec>(table, &conn_key(sub, gateway, entity))?.ok_or_else(|| {
            ApiError::not_found(format!(
                "The gateway {gateway} has no connection to {entity}."
            ))
        })
    }

    fn app_gateway(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        name: &str,
    ) -> Result<AppGatewayRec, ApiError> {
        get::<AppGatewayRec>(table, &agw_key(sub, name))?
            .ok_or_else(|| ApiError::not_found("The gateway does not exist."))
    }

    fn v2_to_wire(&self, g: &GatewayRec, now: Millis) -> VirtualNetworkGateway {
        let provisioned = gateway_state(g, now) == GatewayProvisioningState::Provisioned;
        VirtualNetworkGateway {
            bgp_settings: bgp_to_wire(&g.bgp),
            default_sites: g.default_site.iter().map(Into::into).collect(),
            enable_bgp: Some(g.bgp.is_some()),
            gateway_id: Some(g.id.as_str().into()),
            gateway_name: Some(g.name.as_str().into()),
            gateway_size: g.size.as_deref().map(GatewaySize::from),
            gateway_type: g.gateway_type.as_deref().map(GatewayType::from),
            last_event: event_to_wire(&g.last_event),
            location: g.location.as_deref().map(Into::into),
            state: Some(gateway_state(g, now)),
            subnet_id: Some("GatewaySubnet".into()),
            vip_address: (provisioned.then(|| g.vip.clone())).map(Into::into),
            vnet_id: g.vnet_id.as_deref().map(Into::into),
        }
    }

    fn app_to_wire(&self, a: &AppGatewayRec, now: Millis) -> ApplicationGateway {
        let settled = now >= a.until_ms;
        let state = match (a.running, settled) {
            (true, true) => ApplicationGatewayState::Running,
            (true, false) => ApplicationGatewayState::Starting,
            (false, true) => ApplicationGatewayState::Stopped,
            (false, false) => ApplicationGatewayState::Stopping,
        };
        let up = state == ApplicationGatewayState::Running;
        ApplicationGateway {
            description: a.description.as_deref().map(Into::into),
            dns_name: (up.then(|| a.dns_name.clone())).map(Into::into),
            gateway_size: Some(ApplicationGatewaySize::from(a.size.as_str())),
            instance_count: Some(a.instance_count),
            name: a.name.as_str().into(),
            state: Some(state),
            subnets: a
                .subnets
                .clone()
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>(),
            virtual_ips: if up {
                vec![a.vip.as_str().into()]
            } else {
                Vec::new()
            },
            vnet_name: Some(a.vnet.as_str().into()),
        }
    }

    /// Reads of the gateway operations; `None` for other operations.
    pub(crate) fn gateways_read(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Option<Result<Reply, ApiError>> {
        let r = (|| -> Result<Option<Reply>, ApiError> {
            let res = tx.open_table(GATEWAY_RESOURCES)?;
            let gws = tx.open_table(GATEWAYS)?;
            let cfg = tx.open_table(NETWORK_CONFIG)?;
            Ok(Some(match req {
                ServerRequest::GetGatewayOperationStatus { request_id, .. } => {
                    let op: GatewayOpRec = get(
                        &tx.open_table(GATEWAY_OPERATIONS)?,
                        &format!("{sub}/{}", request_id.to_ascii_lowercase()),
                    )?
                    .ok_or_else(|| {
                        ApiError::not_found(format!("The operation {request_id} was not found."))
                    })?;
                    let done = now >= op.until_ms;
                    let failed = op.failure.as_ref().filter(|_| done);
                    Reply::xml(
                        req,
                        &GatewayOperation {
                            data: (done.then(|| op.data.clone()).flatten()).map(Into::into),
                            error: failed.map(|f| OperationError {
                                code: Some(f.code.as_str().into()),
                                message: Some(f.message.as_str().into()),
                            }),
                            id: op.id.as_str().into(),
                            operation_name: Some(op.name.as_str().into()),
                            operation_started_time: Some(datetime(op.started_ms)),
                            operation_completed_time: done.then(|| datetime(op.until_ms)),
                            status: match (done, failed) {
                                (false, _) => GatewayOperationStatus::InProgress,
                                (true, None) => GatewayOperationStatus::Successful,
                                (true, Some(_)) => GatewayOperationStatus::Failed,
                            },
                            // The status code's name, as the service writes it.
                            http_status_code: (done.then(|| match failed {
                                None => "OK".to_owned(),
                                Some(f) if f.status == 404 => "NotFound".to_owned(),
                                Some(f) if f.status == 409 => "Conflict".to_owned(),
                                Some(_) => "BadRequest".to_owned(),
                            }))
                            .map(Into::into),
                            ..Default::default()
                        },
                    )
                }
                ServerRequest::GetVirtualNetworkGateway { network_name, .. } => {
                    network_site(&cfg, sub, network_name)?;
                    let g = self.classic_gateway(&gws, sub, network_name, now)?;
                    let wire = match g {
                        None => Gateway {
                            state: Some(GatewayProvisioningState::NotProvisioned),
                            ..Default::default()
                        },
                        Some(g) => {
                            let state = gateway_state(&g, now);
                            Gateway {
                                default_sites: g.default_site.iter().map(Into::into).collect(),
                                gateway_size: g.size.as_deref().map(GatewaySize::from),
                                gateway_type: g.gateway_type.as_deref().map(GatewayType::from),
                                last_event: event_to_wire(&g.last_event),
                                vip_address: ((state == GatewayProvisioningState::Provisioned)
                                    .then(|| g.vip.clone()))
                                .map(Into::into),
                                state: Some(state),
                            }
                        }
                    };
                    Reply::xml(req, &wire)
                }
                ServerRequest::ListVirtualNetworkGatewayConnections { network_name, .. } => {
                    let (site, _, _) = network_site(&cfg, sub, network_name)?;
                    let g = self.require_classic_gateway(&gws, sub, network_name, now)?;
                    let connection = configured_links(&site)
                        .into_iter()
                        .map(|name| {
                            let link = g
                                .links
                                .get(&name.to_ascii_lowercase())
                                .cloned()
                                .unwrap_or_default();
                            GatewayConnectionStatus {
                                allocated_ip_addresses: Vec::new(),
                                connectivity_state: Some(if link.connected {
                                    GatewayConnectivityState::Connected
                                } else {
                                    GatewayConnectivityState::NotConnected
                                }),
                                egress_bytes_transferred: Some(0),
                                egress_packets_transferred: Some(0),
                                ingress_bytes_transferred: Some(0),
                                ingress_packets_transferred: Some(0),
                                last_connection_established: Some(datetime(
                                    link.last_connected_ms.unwrap_or(-11_644_473_600_000),
                                )),
                                last_event: event_to_wire(&link.last_event),
                                local_network_site_name: Some(name.into()),
                            }
                        })
                        .collect();
                    Reply::xml(req, &Connections { connection })
                }
                ServerRequest::GetVirtualNetworkGatewaySharedKey {
                    network_name,
                    local_network_name,
                    ..
                } => {
                    let (site, _, _) = network_site(&cfg, sub, network_name)?;
                    let g = self.require_classic_gateway(&gws, sub, network_name, now)?;
                    let local = require_link(&site, local_network_name)?;
                    let link = g.links.get(&local.to_ascii_lowercase()).ok_or_else(|| {
                        ApiError::not_found(format!("No shared key has been set for {local}."))
                    })?;
                    Reply::xml(
                        req,
                        &SharedKey {
                            value: Some(link.shared_key.as_str().into()),
                        },
                    )
                }
                ServerRequest::GetIPsecParameters {
                    network_name,
                    local_network_name,
                    ..
                } => {
                    let (site, _, _) = network_site(&cfg, sub, network_name)?;
                    let g = self.require_classic_gateway(&gws, sub, network_name, now)?;
                    let local = require_link(&site, local_network_name)?;
                    let ipsec = g
                        .links
                        .get(&local.to_ascii_lowercase())
                        .and_then(|l| l.ipsec.clone());
                    Reply::xml(req, &ipsec_to_wire(&ipsec))
                }
                ServerRequest::GetGatewayDiagnostics { network_name, .. } => {
                    network_site(&cfg, sub, network_name)?;
                    let g = self.require_classic_gateway(&gws, sub, network_name, now)?;
                    Reply::xml(req, &diagnostics_to_wire(&g.diagnostics, now))
                }
                ServerRequest::GetGatewayDiagnosticsV2 { gateway_id, .. } => {
                    let g = self.v2_gateway(&res, sub, gateway_id, now)?;
                    Reply::xml(req, &diagnostics_to_wire(&g.diagnostics, now))
                }
                ServerRequest::ListClientRootCertificates { network_name, .. } => {
                    network_site(&cfg, sub, network_name)?;
                    let g = self.require_classic_gateway(&gws, sub, network_name, now)?;
                    Reply::xml(
                        req,
                        &ClientRootCertificates {
                            client_root_certificate: g
                                .root_certificates
                                .iter()
                                .map(|c| ClientRootCertificate {
                                    expiration_time: c.expires_ms.map(datetime),
                                    subject: Some(c.subject.as_str().into()),
                                    thumbprint: c.thumbprint.as_str().into(),
                                })
                                .collect(),
                        },
                    )
                }
                ServerRequest::GetClientRootCertificate {
                    network_name,
                    certificate_thumbprint,
                    ..
                } => {
                    network_site(&cfg, sub, network_name)?;
                    let g = self.require_classic_gateway(&gws, sub, network_name, now)?;
                    let c = g
                        .root_certificates
                        .iter()
                        .find(|c| c.thumbprint.eq_ignore_ascii_case(certificate_thumbprint))
                        .ok_or_else(|| {
                            ApiError::not_found(format!(
                                "The client root certificate {certificate_thumbprint} does not exist."
                            ))
                        })?;
                    Reply::body(200, TEXT_CONTENT, c.data.clone())
                }
                ServerRequest::ListVpnSupportedDevices { .. } => {
                    Reply::body(200, XML_CONTENT, DEVICES.to_owned())
                }
                ServerRequest::GetVpnDeviceConfigurationScript {
                    network_name,
                    options,
                    ..
                } => {
                    let (site, _, config) = network_site(&cfg, sub, network_name)?;
                    let g = self.require_classic_gateway(&gws, sub, network_name, now)?;
                    let devices = TextDocument::<VpnDeviceList>::from_text(DEVICES)
                        .parse()
                        .map_err(|e| ApiError::new(500, "InternalError", e.to_string()))?;
                    let vendor = options.vendor.as_deref().unwrap_or("Microsoft Corporation");
                    let platform = options.platform.as_deref().unwrap_or("RRAS");
                    let family = options
                        .os_family
                        .as_deref()
                        .unwrap_or("Windows Server 2012");
                    let known = devices.vendor.iter().any(|v| {
                        v.name.eq_ignore_ascii_case(vendor)
                            && v.platform.iter().any(|p| {
                                p.name.eq_ignore_ascii_case(platform)
                                    && p.os_families
                                        .iter()
                                        .any(|f| f.name.eq_ignore_ascii_case(family))
                            })
                    });
                    if !known {
                        return Err(ApiError::not_found(format!(
                            "There is no configuration script for {vendor} / {platform} / {family} (see List VPN Supported Devices)."
                        )));
                    }
                    let mut script = format!(
                        "# {vendor} {platform} ({family}) configuration for the Azure gateway of {}\r\n# Azure gateway address: {}\r\n",
                        site.name, g.vip
                    );
                    let locals = config.virtual_network_configuration.local_network_sites;
                    for name in configured_links(&site) {
                        let prefixes = locals
                            .iter()
                            .find(|l| l.name.eq_ignore_ascii_case(&name))
                            .map(|l| l.address_space.address_prefix.join(", "))
                            .unwrap_or_default();
                        script.push_str(&format!(
                            "# Local network site {name} ({prefixes}); pre-shared key: see Get Virtual Network Gateway Shared Key\r\n"
                        ));
                    }
                    Reply::body(200, TEXT_CONTENT, script)
                }
                // V2 gateways.
                ServerRequest::ListVirtualNetworkGateways { .. } => {
                    let virtual_network_gateway = scan::<GatewayRec>(&res, &format!("vng/{sub}/"))?
                        .into_iter()
                        .filter(|(_, g)| !gone(g, now))
                        .map(|(_, g)| self.v2_to_wire(&g, now))
                        .collect();
                    Reply::xml(
                        req,
                        &VirtualNetworkGateways {
                            virtual_network_gateway,
                        },
                    )
                }
                ServerRequest::GetVirtualNetworkGatewayV2 { gateway_id, .. } => {
                    let g = self.v2_gateway(&res, sub, gateway_id, now)?;
                    Reply::xml(req, &self.v2_to_wire(&g, now))
                }
                ServerRequest::GetVirtualNetworkGatewaySharedKeyV2 {
                    gateway_id,
                    connected_entity_id,
                    ..
                } => {
                    self.v2_gateway(&res, sub, gateway_id, now)?;
                    let c = self.connection(&res, sub, gateway_id, connected_entity_id)?;
                    Reply::xml(
                        req,
                        &SharedKey {
                            value: Some(c.shared_key.into()),
                        },
                    )
                }
                ServerRequest::GetIPsecParametersV2 {
                    gateway_id,
                    connected_entity_id,
                    ..
                } => {
                    self.v2_gateway(&res, sub, gateway_id, now)?;
                    let c = self.connection(&res, sub, gateway_id, connected_entity_id)?;
                    Reply::xml(req, &ipsec_to_wire(&c.ipsec))
                }
                // Local network gateways.
                ServerRequest::ListLocalNetworkGateways { .. } => {
                    let local_network_gateway =
                        scan::<LocalGatewayRec>(&res, &format!("lng/{sub}/"))?
                            .into_iter()
                            .map(|(_, l)| lng_to_wire(&l))
                            .collect();
                    Reply::xml(
                        req,
                        &LocalNetworkGateways {
                            local_network_gateway,
                        },
                    )
                }
                ServerRequest::GetLocalNetworkGateway { gateway_id, .. } => {
                    let l = lng(&res, sub, gateway_id)?;
                    Reply::xml(req, &lng_to_wire(&l))
                }
                // Gateway connections.
                ServerRequest::ListGatewayConnections { .. } => {
                    let gateway_connection = scan::<LinkRec>(&res, &format!("conn/{sub}/"))?
                        .into_iter()
                        .map(|(_, c)| connection_to_wire(&c))
                        .collect();
                    Reply::xml(req, &GatewayConnections { gateway_connection })
                }
                ServerRequest::GetGatewayConnection {
                    gateway_id,
                    connected_entity_id,
                    ..
                } => {
                    let c = self.connection(&res, sub, gateway_id, connected_entity_id)?;
                    Reply::xml(req, &connection_to_wire(&c))
                }
                // Application gateways.
                ServerRequest::ListApplicationGateways { .. } => {
                    let application_gateway = scan::<AppGatewayRec>(&res, &format!("agw/{sub}/"))?
                        .into_iter()
                        .map(|(_, a)| self.app_to_wire(&a, now))
                        .collect();
                    Reply::xml(
                        req,
                        &ApplicationGateways {
                            application_gateway,
                        },
                    )
                }
                ServerRequest::GetApplicationGateway { gateway_name, .. } => {
                    let a = self.app_gateway(&res, sub, gateway_name)?;
                    Reply::xml(req, &self.app_to_wire(&a, now))
                }
                ServerRequest::GetApplicationGatewayConfig { gateway_name, .. } => {
                    let a = self.app_gateway(&res, sub, gateway_name)?;
                    match a.config_xml {
                        Some(text) => Reply::body(200, XML_CONTENT, text),
                        None => Reply::xml(req, &ApplicationGatewayConfiguration::default()),
                    }
                }
                ServerRequest::ListApplicationGatewayCertificates { gateway_name, .. } => {
                    let a = self.app_gateway(&res, sub, gateway_name)?;
                    Reply::xml(
                        req,
                        &ApplicationGatewayCertificates {
                            application_gateway_certificate: a
                                .certificates
                                .iter()
                                .map(app_cert_to_wire)
                                .collect(),
                        },
                    )
                }
                ServerRequest::GetApplicationGatewayCertificate {
                    gateway_name,
                    certificate_name,
                    ..
                } => {
                    let a = self.app_gateway(&res, sub, gateway_name)?;
                    let c = a
                        .certificates
                        .iter()
                        .find(|c| c.name.eq_ignore_ascii_case(certificate_name))
                        .ok_or_else(|| {
                            ApiError::not_found(format!(
                                "The certificate {certificate_name} does not exist."
                            ))
                        })?;
                    Reply::xml(req, &app_cert_to_wire(c))
                }
                _ => return Ok(None),
            }))
        })();
        r.transpose()
    }

    /// Writes of the gateway operations; `None` for other operations.
    pub(crate) fn gateways_write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Option<Result<Outcome, ApiError>> {
        let r = (|| -> Result<Option<Outcome>, ApiError> {
            Ok(Some(match req {
                ServerRequest::CreateVirtualNetworkGateway {
                    network_name, body, ..
                } => {
                    let (site, _, _) =
                        network_site(&tx.open_table(NETWORK_CONFIG)?, sub, network_name)?;
                    let mut gws = tx.open_table(GATEWAYS)?;
                    if self
                        .classic_gateway(&gws, sub, network_name, now)?
                        .is_some()
                    {
                        return Err(ApiError::conflict(format!(
                            "The virtual network {network_name} already has a gateway."
                        )));
                    }
                    require_gateway_subnet(&site)?;
                    let links = configured_links(&site)
                        .into_iter()
                        .map(|name| {
                            (
                                name.to_ascii_lowercase(),
                                LinkRec {
                                    name,
                                    shared_key: random_key(32),
                                    ..Default::default()
                                },
                            )
                        })
                        .collect();
                    let rec = GatewayRec {
                        network: site.name.to_string(),
                        size: Some(
                            body.gateway_size
                                .as_ref()
                                .map_or("Default", |s| s.as_str())
                                .to_owned(),
                        ),
                        gateway_type: Some(
                            body.gateway_type
                                .as_ref()
                                .map_or("StaticRouting", |t| t.as_str())
                                .to_owned(),
                        ),
                        created_ms: now,
                        ready_ms: now + self.async_delay_ms,
                        vip: random_vip(),
                        links,
                        last_event: event("0", "The gateway was created.", now),
                        ..Default::default()
                    };
                    put(
                        &mut gws,
                        &format!("{sub}/{}", network_name.to_ascii_lowercase()),
                        &rec,
                    )?;
                    drop(gws);
                    self.gateway_accepted(tx, sub, req, "CreateGateway", None, now)?
                }
                ServerRequest::DeleteVirtualNetworkGateway { network_name, .. }
                | ServerRequest::FailoverVirtualNetworkGateway { network_name, .. }
                | ServerRequest::ResizeVirtualNetworkGateway { network_name, .. }
                | ServerRequest::ConnectDisconnectOrTestGateway { network_name, .. }
                | ServerRequest::SetVirtualNetworkGatewaySharedKey { network_name, .. }
                | ServerRequest::ResetVirtualNetworkGatewaySharedKey { network_name, .. }
                | ServerRequest::SetIPsecParameters { network_name, .. }
                | ServerRequest::StartGatewayDiagnostics { network_name, .. }
                | ServerRequest::GenerateVpnClientPackage { network_name, .. }
                | ServerRequest::UploadClientRootCertificate { network_name, .. }
                | ServerRequest::DeleteClientRootCertificate { network_name, .. }
                | ServerRequest::SetDefaultSites { network_name, .. }
                | ServerRequest::RemoveDefaultSites { network_name, .. } => {
                    let (site, _, _) =
                        network_site(&tx.open_table(NETWORK_CONFIG)?, sub, network_name)?;
                    let key = format!("{sub}/{}", network_name.to_ascii_lowercase());
                    let mut g = self.require_classic_gateway(
                        &tx.open_table(GATEWAYS)?,
                        sub,
                        network_name,
                        now,
                    )?;
                    let what = format!("virtual network {}", site.name);
                    let locals = network_configuration(&tx.open_table(NETWORK_CONFIG)?, sub)?
                        .map(|(_, c)| c.virtual_network_configuration.local_network_sites)
                        .unwrap_or_default();
                    let (name, data, failure) =
                        self.classic_change(&mut g, &site, &locals, &what, req, now)?;
                    put(&mut tx.open_table(GATEWAYS)?, &key, &g)?;
                    self.accepted_or_failing(tx, sub, req, name, data, failure, now)?
                }
                // V2 gateways.
                ServerRequest::CreateVirtualNetworkGatewayV2 {
                    network_name, body, ..
                } => {
                    let (site, vnet_id, _) =
                        network_site(&tx.open_table(NETWORK_CONFIG)?, sub, network_name)?;
                    require_gateway_subnet(&site)?;
                    if body.gateway_name.trim().is_empty() {
                        return Err(ApiError::bad_request("The gateway name is missing."));
                    }
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let taken = scan::<GatewayRec>(&res, &format!("vng/{sub}/"))?
                        .into_iter()
                        .any(|(_, g)| !gone(&g, now) && g.network.eq_ignore_ascii_case(&site.name));
                    if taken {
                        return Err(ApiError::conflict(format!(
                            "The virtual network {} already has a gateway.",
                            site.name
                        )));
                    }
                    let id = uuid::Uuid::new_v4().to_string();
                    let rec = GatewayRec {
                        network: site.name.to_string(),
                        size: Some(
                            body.gateway_size
                                .as_ref()
                                .map_or("Default", |s| s.as_str())
                                .to_owned(),
                        ),
                        gateway_type: Some(
                            body.gateway_type
                                .as_ref()
                                .map_or("StaticRouting", |t| t.as_str())
                                .to_owned(),
                        ),
                        created_ms: now,
                        ready_ms: now + self.async_delay_ms,
                        vip: random_vip(),
                        last_event: event("0", "The gateway was created.", now),
                        id: id.clone(),
                        name: body.gateway_name.to_string(),
                        location: body
                            .location
                            .clone()
                            .or(site.location.clone())
                            .map(Into::into),
                        vnet_id: body
                            .vnet_id
                            .clone()
                            .or(vnet_id.map(Into::into))
                            .map(Into::into),
                        bgp: bgp_from(&body.bgp_settings),
                        ..Default::default()
                    };
                    put(&mut res, &v2_key(sub, &id), &rec)?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, "CreateVirtualNetworkGateway", None, now)?
                }
                ServerRequest::DeleteVirtualNetworkGatewayV2 { gateway_id, .. }
                | ServerRequest::ResizeVirtualNetworkGatewayV2 { gateway_id, .. }
                | ServerRequest::StartGatewayDiagnosticsV2 { gateway_id, .. } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let mut g = self.v2_gateway(&res, sub, gateway_id, now)?;
                    let what = format!("virtual network gateway {gateway_id}");
                    require_provisioned(&g, &what, now)?;
                    let name = match req {
                        ServerRequest::DeleteVirtualNetworkGatewayV2 { .. } => {
                            let prefix = format!("conn/{sub}/{}/", gateway_id.to_ascii_lowercase());
                            if let Some((_, c)) = scan::<LinkRec>(&res, &prefix)?.into_iter().next()
                            {
                                return Err(ApiError::conflict(format!(
                                    "The gateway is used by the connection {}; delete it first.",
                                    c.name
                                )));
                            }
                            g.deleting_until = Some(now + self.async_delay_ms);
                            "DeleteVirtualNetworkGateway"
                        }
                        ServerRequest::ResizeVirtualNetworkGatewayV2 { body, .. } => {
                            update_gateway(&mut g, body, now)?
                        }
                        ServerRequest::StartGatewayDiagnosticsV2 { body, .. } => {
                            diagnostics(&mut g, body, now)?
                        }
                        _ => unreachable_op()?,
                    };
                    put(&mut res, &v2_key(sub, gateway_id), &g)?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, name, None, now)?
                }
                ServerRequest::SetVirtualNetworkGatewaySharedKeyV2 {
                    gateway_id,
                    connected_entity_id,
                    ..
                }
                | ServerRequest::ResetVirtualNetworkGatewaySharedKeyV2 {
                    gateway_id,
                    connected_entity_id,
                    ..
                }
                | ServerRequest::SetIPsecParametersV2 {
                    gateway_id,
                    connected_entity_id,
                    ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let g = self.v2_gateway(&res, sub, gateway_id, now)?;
                    require_provisioned(&g, &format!("virtual network gateway {gateway_id}"), now)?;
                    let mut c = self.connection(&res, sub, gateway_id, connected_entity_id)?;
                    let name = match req {
                        ServerRequest::SetVirtualNetworkGatewaySharedKeyV2 { body, .. } => {
                            c.shared_key = check_shared_key(&body.value)?;
                            "SetSharedKey"
                        }
                        ServerRequest::ResetVirtualNetworkGatewaySharedKeyV2 { body, .. } => {
                            c.shared_key = random_key(key_length(body.key_length)?);
                            "ResetSharedKey"
                        }
                        ServerRequest::SetIPsecParametersV2 { body, .. } => {
                            c.ipsec = Some(ipsec_from(body, &c.ipsec)?);
                            "SetIPsecParameters"
                        }
                        _ => unreachable_op()?,
                    };
                    put(
                        &mut res,
                        &conn_key(sub, gateway_id, connected_entity_id),
                        &c,
                    )?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, name, None, now)?
                }
                // Local network gateways (synchronous).
                ServerRequest::CreateLocalNetworkGateway { body, .. } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    if body.gateway_name.trim().is_empty() {
                        return Err(ApiError::bad_request("The gateway name is missing."));
                    }
                    let taken = scan::<LocalGatewayRec>(&res, &format!("lng/{sub}/"))?
                        .into_iter()
                        .any(|(_, l)| l.name.eq_ignore_ascii_case(&body.gateway_name));
                    if taken {
                        return Err(ApiError::conflict(format!(
                            "A local network gateway named {} already exists.",
                            body.gateway_name
                        )));
                    }
                    let prefixes = body
                        .address_space
                        .as_ref()
                        .map(|a| a.address_prefixes.clone())
                        .unwrap_or_default();
                    check_prefixes(&prefixes)?;
                    let id = uuid::Uuid::new_v4().to_string();
                    put(
                        &mut res,
                        &lng_key(sub, &id),
                        &LocalGatewayRec {
                            id: id.clone(),
                            name: body.gateway_name.to_string(),
                            ip_address: body.ip_address.as_deref().map(Into::into),
                            prefixes: prefixes.into_iter().map(Into::into).collect::<Vec<_>>(),
                            bgp: bgp_from(&body.bgp_settings),
                        },
                    )?;
                    Reply::body(200, TEXT_CONTENT, id).into()
                }
                ServerRequest::UpdateLocalNetworkGateway {
                    gateway_id, body, ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let mut l = lng(&res, sub, gateway_id)?;
                    if let Some(a) = &body.address_space {
                        check_prefixes(&a.address_prefixes)?;
                        l.prefixes = a
                            .address_prefixes
                            .clone()
                            .into_iter()
                            .map(Into::into)
                            .collect::<Vec<_>>();
                    }
                    if body.bgp_settings.is_some() {
                        l.bgp = bgp_from(&body.bgp_settings);
                    }
                    put(&mut res, &lng_key(sub, gateway_id), &l)?;
                    Reply::empty(200).into()
                }
                ServerRequest::DeleteLocalNetworkGateway { gateway_id, .. } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    lng(&res, sub, gateway_id)?;
                    let used = scan::<LinkRec>(&res, &format!("conn/{sub}/"))?
                        .into_iter()
                        .find(|(_, c)| c.entity_id.eq_ignore_ascii_case(gateway_id));
                    if let Some((_, c)) = used {
                        return Err(ApiError::conflict(format!(
                            "The local network gateway is used by the connection {}; delete it first.",
                            c.name
                        )));
                    }
                    res.remove(lng_key(sub, gateway_id).as_str())?;
                    Reply::empty(200).into()
                }
                // Gateway connections.
                ServerRequest::CreateGatewayConnection { body, .. } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let g = self.v2_gateway(&res, sub, &body.virtual_network_gateway_id, now)?;
                    require_provisioned(&g, &format!("virtual network gateway {}", g.id), now)?;
                    let entity = &body.connected_entity_id;
                    let is_lng = get::<LocalGatewayRec>(&res, &lng_key(sub, entity))?.is_some();
                    let is_gw = get::<GatewayRec>(&res, &v2_key(sub, entity))?
                        .is_some_and(|g| !gone(&g, now));
                    if !is_lng && !is_gw {
                        return Err(ApiError::not_found(format!(
                            "The connected entity {entity} does not exist."
                        )));
                    }
                    let key = conn_key(sub, &g.id, entity);
                    if get::<LinkRec>(&res, &key)?.is_some() {
                        return Err(ApiError::conflict(format!(
                            "The gateway {} is already connected to {entity}.",
                            g.id
                        )));
                    }
                    if body.gateway_connection_name.trim().is_empty() {
                        return Err(ApiError::bad_request("The connection name is missing."));
                    }
                    let shared_key = match &body.shared_key {
                        Some(_) => check_shared_key(&body.shared_key)?,
                        None => random_key(32),
                    };
                    put(
                        &mut res,
                        &key,
                        &LinkRec {
                            name: body.gateway_connection_name.to_string(),
                            shared_key,
                            connected: true,
                            last_connected_ms: Some(now),
                            gateway_id: g.id.clone(),
                            entity_id: entity.to_string(),
                            connection_type: Some(
                                body.gateway_connection_type
                                    .clone()
                                    .unwrap_or_else(|| "IPsec".into())
                                    .to_string(),
                            ),
                            routing_weight: body.routing_weight,
                            enable_bgp: body.enable_bgp,
                            ..Default::default()
                        },
                    )?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, "CreateGatewayConnection", None, now)?
                }
                ServerRequest::UpdateGatewayConnection {
                    gateway_id,
                    connected_entity_id,
                    body,
                    ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let mut c = self.connection(&res, sub, gateway_id, connected_entity_id)?;
                    c.routing_weight = Some(body.routing_weight);
                    if body.shared_key.is_some() {
                        c.shared_key = check_shared_key(&body.shared_key)?;
                    }
                    if body.enable_bgp.is_some() {
                        c.enable_bgp = body.enable_bgp;
                    }
                    put(
                        &mut res,
                        &conn_key(sub, gateway_id, connected_entity_id),
                        &c,
                    )?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, "UpdateGatewayConnection", None, now)?
                }
                ServerRequest::DeleteGatewayConnection {
                    gateway_id,
                    connected_entity_id,
                    ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    self.connection(&res, sub, gateway_id, connected_entity_id)?;
                    res.remove(conn_key(sub, gateway_id, connected_entity_id).as_str())?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, "DeleteGatewayConnection", None, now)?
                }
                // Application gateways.
                ServerRequest::CreateApplicationGateway { body, .. } => {
                    let (site, _, _) =
                        network_site(&tx.open_table(NETWORK_CONFIG)?, sub, &body.vnet_name)?;
                    check_subnets(&site, &body.subnets)?;
                    if body.name.trim().is_empty() {
                        return Err(ApiError::bad_request(
                            "The application gateway name is missing.",
                        ));
                    }
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let key = agw_key(sub, &body.name);
                    if get::<AppGatewayRec>(&res, &key)?.is_some() {
                        return Err(ApiError::conflict(format!(
                            "An application gateway named {} already exists.",
                            body.name
                        )));
                    }
                    put(
                        &mut res,
                        &key,
                        &AppGatewayRec {
                            name: body.name.to_string(),
                            description: body.description.as_deref().map(Into::into),
                            size: body
                                .gateway_size
                                .as_ref()
                                .map_or("Medium", |s| s.as_str())
                                .to_owned(),
                            instance_count: body.instance_count.unwrap_or(2),
                            subnets: body
                                .subnets
                                .clone()
                                .into_iter()
                                .map(Into::into)
                                .collect::<Vec<_>>(),
                            vnet: site.name.to_string(),
                            vip: format!("10.{}.0.4", rand::rng().random_range(0..255)),
                            dns_name: format!("{}.cloudapp.net", uuid::Uuid::new_v4()),
                            ..Default::default()
                        },
                    )?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, "CreateApplicationGateway", None, now)?
                }
                ServerRequest::UpdateApplicationGateway {
                    gateway_name, body, ..
                } => {
                    let mut a =
                        self.app_gateway(&tx.open_table(GATEWAY_RESOURCES)?, sub, gateway_name)?;
                    if let Some(v) = &body.vnet_name {
                        let (site, _, _) = network_site(&tx.open_table(NETWORK_CONFIG)?, sub, v)?;
                        a.vnet = site.name.to_string();
                    }
                    if !body.subnets.is_empty() {
                        a.subnets = body
                            .subnets
                            .clone()
                            .into_iter()
                            .map(Into::into)
                            .collect::<Vec<_>>();
                    }
                    let (site, _, _) = network_site(&tx.open_table(NETWORK_CONFIG)?, sub, &a.vnet)?;
                    check_subnets(
                        &site,
                        &a.subnets
                            .iter()
                            .map(CompactString::from)
                            .collect::<Vec<_>>(),
                    )?;
                    if let Some(d) = &body.description {
                        a.description = Some(d.to_string());
                    }
                    if let Some(s) = &body.gateway_size {
                        a.size = s.as_str().to_owned();
                    }
                    if let Some(n) = body.instance_count {
                        a.instance_count = n;
                    }
                    put(
                        &mut tx.open_table(GATEWAY_RESOURCES)?,
                        &agw_key(sub, gateway_name),
                        &a,
                    )?;
                    self.gateway_accepted(tx, sub, req, "UpdateApplicationGateway", None, now)?
                }
                ServerRequest::DeleteApplicationGateway { gateway_name, .. } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let a = self.app_gateway(&res, sub, gateway_name)?;
                    if a.running || now < a.until_ms {
                        return Err(ApiError::conflict(format!(
                            "The application gateway {} must be stopped before it is deleted.",
                            a.name
                        )));
                    }
                    res.remove(agw_key(sub, gateway_name).as_str())?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, "DeleteApplicationGateway", None, now)?
                }
                ServerRequest::ExecuteApplicationGatewayOperation {
                    gateway_name, body, ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let mut a = self.app_gateway(&res, sub, gateway_name)?;
                    if now < a.until_ms {
                        return Err(ApiError::conflict(format!(
                            "The application gateway {} is {}; try again when it has settled.",
                            a.name,
                            if a.running { "starting" } else { "stopping" }
                        )));
                    }
                    let name = match &body.operation_type {
                        ApplicationGatewayOperationType::Start => {
                            if a.config_xml.is_none() {
                                return Err(ApiError::bad_request(format!(
                                    "The application gateway {} has no configuration; set one before starting it.",
                                    a.name
                                )));
                            }
                            a.running = true;
                            "StartApplicationGateway"
                        }
                        ApplicationGatewayOperationType::Stop => {
                            a.running = false;
                            "StopApplicationGateway"
                        }
                        other => {
                            return Err(ApiError::bad_request(format!(
                                "The operation type {} is not valid; use Start or Stop.",
                                other.as_str()
                            )))
                        }
                    };
                    a.until_ms = now + self.async_delay_ms;
                    put(&mut res, &agw_key(sub, gateway_name), &a)?;
                    drop(res);
                    self.gateway_accepted(tx, sub, req, name, None, now)?
                }
                ServerRequest::SetApplicationGatewayConfig {
                    gateway_name, body, ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let mut a = self.app_gateway(&res, sub, gateway_name)?;
                    check_configuration(body, &a)?;
                    a.certificates_in_use = body
                        .http_listeners
                        .iter()
                        .filter_map(|l| l.ssl_cert.as_deref().map(String::from))
                        .collect();
                    a.config_xml = Some(xml::to_document_ns(
                        "ApplicationGatewayConfiguration",
                        xml::NAMESPACE,
                        body,
                    ));
                    put(&mut res, &agw_key(sub, gateway_name), &a)?;
                    drop(res);
                    self.gateway_accepted(
                        tx,
                        sub,
                        req,
                        "SetApplicationGatewayConfiguration",
                        None,
                        now,
                    )?
                }
                ServerRequest::AddApplicationGatewayCertificate {
                    gateway_name,
                    certificate_name,
                    body,
                    ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let mut a = self.app_gateway(&res, sub, gateway_name)?;
                    if a.certificates
                        .iter()
                        .any(|c| c.name.eq_ignore_ascii_case(certificate_name))
                    {
                        return Err(ApiError::conflict(format!(
                            "The certificate {certificate_name} already exists."
                        )));
                    }
                    if let Some(f) = &body.certificate_format {
                        if !f.eq_ignore_ascii_case("pfx") {
                            return Err(ApiError::bad_request(format!(
                                "The certificate format {f} is not supported; use pfx."
                            )));
                        }
                    }
                    let creds = asm_runtime::Credentials::from_pkcs12(
                        &body.data,
                        body.password.as_deref().unwrap_or(""),
                    )
                    .map_err(|_| {
                        ApiError::bad_request(
                            "The certificate could not be read: not a PFX file, or the password is wrong.",
                        )
                    })?;
                    a.certificates.push(AppCertificateRec {
                        name: certificate_name.clone(),
                        data: base64::engine::general_purpose::STANDARD
                            .encode(creds.certificate_der()),
                    });
                    put(&mut res, &agw_key(sub, gateway_name), &a)?;
                    drop(res);
                    self.gateway_accepted(
                        tx,
                        sub,
                        req,
                        "AddApplicationGatewayCertificate",
                        None,
                        now,
                    )?
                }
                ServerRequest::DeleteApplicationGatewayCertificate {
                    gateway_name,
                    certificate_name,
                    ..
                } => {
                    let mut res = tx.open_table(GATEWAY_RESOURCES)?;
                    let mut a = self.app_gateway(&res, sub, gateway_name)?;
                    if a.certificates_in_use
                        .iter()
                        .any(|c| c.eq_ignore_ascii_case(certificate_name))
                    {
                        return Err(ApiError::conflict(format!(
                            "The certificate {certificate_name} is used by a listener of the configuration."
                        )));
                    }
                    let before = a.certificates.len();
                    a.certificates
                        .retain(|c| !c.name.eq_ignore_ascii_case(certificate_name));
                    if a.certificates.len() == before {
                        return Err(ApiError::not_found(format!(
                            "The certificate {certificate_name} does not exist."
                        )));
                    }
                    put(&mut res, &agw_key(sub, gateway_name), &a)?;
                    drop(res);
                    self.gateway_accepted(
                        tx,
                        sub,
                        req,
                        "DeleteApplicationGatewayCertificate",
                        None,
                        now,
                    )?
                }
                _ => return Ok(None),
            }))
        })();
        r.transpose()
    }

    /// A change to a classic gateway: what the operation is called and its
    /// data.
    fn classic_change(
        &self,
        g: &mut GatewayRec,
        site: &NetcfgVirtualNetworkSite,
        locals: &[NetcfgLocalNetworkSite],
        what: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<(&'static str, Option<String>, Option<Failure>), ApiError> {
        require_provisioned(g, what, now)?;
        let link = |g: &mut GatewayRec, local: &str| -> Result<String, ApiError> {
            let name = require_link(site, local)?;
            let key = name.to_ascii_lowercase();
            g.links.entry(key.clone()).or_insert_with(|| LinkRec {
                name,
                shared_key: random_key(32),
                ..Default::default()
            });
            Ok(key)
        };
        Ok(match req {
            ServerRequest::DeleteVirtualNetworkGateway { .. } => {
                g.deleting_until = Some(now + self.async_delay_ms);
                ("DeleteGateway", None, None)
            }
            ServerRequest::FailoverVirtualNetworkGateway { .. } => {
                g.last_event = event("1", "The gateway failed over to its standby instance.", now);
                ("FailoverGateway", None, None)
            }
            ServerRequest::ResizeVirtualNetworkGateway { body, .. } => {
                let name = update_gateway(g, body, now)?;
                (name, None, None)
            }
            ServerRequest::ConnectDisconnectOrTestGateway {
                local_network_site_name,
                body,
                ..
            } => {
                let key = link(g, local_network_site_name)?;
                let l = g
                    .links
                    .get_mut(&key)
                    .ok_or_else(|| ApiError::new(500, "InternalError", "lost link"))?;
                match &body.operation {
                    UpdateConnectionOperation::Connect => {
                        // No device address: the tunnel cannot come up, and
                        // the operation finishes Failed.
                        let device = locals
                            .iter()
                            .find(|s| s.name.eq_ignore_ascii_case(&l.name))
                            .and_then(|s| s.vpn_gateway_address.clone());
                        if device.is_none() {
                            let message = format!(
                                "Unable to establish the cross-premise tunnel for site '{}': the local network site has no VPNGatewayAddress.",
                                l.name
                            );
                            l.last_event = event("21601", message.clone(), now);
                            return Ok((
                                "ConnectGateway",
                                None,
                                Some(Failure {
                                    status: 400,
                                    code: "BadRequest".into(),
                                    message,
                                }),
                            ));
                        }
                        l.connected = true;
                        l.last_connected_ms = Some(now);
                        l.last_event = event(
                            "23401",
                            format!("The cross-premise tunnel for site '{}' is connected.", l.name),
                            now,
                        );
                        ("ConnectGateway", None, None)
                    }
                    UpdateConnectionOperation::Disconnect => {
                        l.connected = false;
                        l.last_event = event(
                            "23402",
                            format!("The cross-premise tunnel for site '{}' was disconnected.", l.name),
                            now,
                        );
                        ("DisconnectGateway", None, None)
                    }
                    UpdateConnectionOperation::Test => {
                        let state = if l.connected { "Connected" } else { "NotConnected" };
                        ("TestGateway", Some(state.to_owned()), None)
                    }
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "The connection operation {} is not valid; use Connect, Disconnect or Test.",
                            other.as_str()
                        )))
                    }
                }
            }
            ServerRequest::SetVirtualNetworkGatewaySharedKey {
                local_network_name,
                body,
                ..
            } => {
                let value = check_shared_key(&body.value)?;
                let key = link(g, local_network_name)?;
                if let Some(l) = g.links.get_mut(&key) {
                    l.shared_key = value;
                }
                ("SetSharedKey", None, None)
            }
            ServerRequest::ResetVirtualNetworkGatewaySharedKey {
                local_network_name,
                body,
                ..
            } => {
                let len = key_length(body.key_length)?;
                let key = link(g, local_network_name)?;
                if let Some(l) = g.links.get_mut(&key) {
                    l.shared_key = random_key(len);
                }
                ("ResetSharedKey", None, None)
            }
            ServerRequest::SetIPsecParameters {
                local_network_name,
                body,
                ..
            } => {
                let key = link(g, local_network_name)?;
                if let Some(l) = g.links.get_mut(&key) {
                    l.ipsec = Some(ipsec_from(body, &l.ipsec)?);
                }
                ("SetIPsecParameters", None, None)
            }
            ServerRequest::StartGatewayDiagnostics { body, .. } => {
                let name = diagnostics(g, body, now)?;
                (name, None, None)
            }
            ServerRequest::GenerateVpnClientPackage {
                network_name, body, ..
            } => {
                if g.gateway_type.as_deref() != Some("DynamicRouting") {
                    return Err(ApiError::bad_request(format!(
                        "The gateway of {what} uses static routing; point-to-site VPN needs a dynamic-routing gateway."
                    )));
                }
                if site
                    .gateway
                    .as_ref()
                    .and_then(|gw| gw.vpn_client_address_pool.as_ref())
                    .is_none()
                {
                    return Err(ApiError::bad_request(format!(
                        "The {what} has no VPNClientAddressPool in the network configuration; point-to-site VPN is not configured."
                    )));
                }
                let arch = match &body.processor_architecture {
                    ProcessorArchitecture::Amd64 => "amd64",
                    ProcessorArchitecture::X86 => "x86",
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "The processor architecture {} is not valid; use Amd64 or X86.",
                            other.as_str()
                        )))
                    }
                };
                let url = format!(
                    "{}/vpnclientpackages/{}/{}-{arch}.exe",
                    self.endpoint.trim_end_matches('/'),
                    uuid::Uuid::new_v4().simple(),
                    network_name
                );
                ("GenerateVpnClientPackage", Some(url), None)
            }
            ServerRequest::UploadClientRootCertificate { body, .. } => {
                let der = certificate_der(body).ok_or_else(|| {
                    ApiError::bad_request(
                        "The certificate is not base64 (the public certificate, .cer).",
                    )
                })?;
                let (_, cert) = x509_parser::parse_x509_certificate(&der).map_err(|_| {
                    ApiError::bad_request("The certificate is not an X.509 certificate.")
                })?;
                let thumbprint = asm_runtime::x509::thumbprint(&der);
                if g.root_certificates
                    .iter()
                    .any(|c| c.thumbprint == thumbprint)
                {
                    return Err(ApiError::conflict(format!(
                        "The client root certificate {thumbprint} already exists."
                    )));
                }
                if g.root_certificates.len() >= MAX_ROOT_CERTIFICATES {
                    return Err(ApiError::bad_request(format!(
                        "A gateway takes at most {MAX_ROOT_CERTIFICATES} client root certificates."
                    )));
                }
                g.root_certificates.push(RootCertificateRec {
                    thumbprint,
                    subject: cert.subject().to_string(),
                    expires_ms: Some(cert.validity().not_after.timestamp() * 1000),
                    data: body.trim().to_owned(),
                });
                ("UploadClientRootCertificate", None, None)
            }
            ServerRequest::DeleteClientRootCertificate {
                certificate_thumbprint,
                ..
            } => {
                let before = g.root_certificates.len();
                g.root_certificates
                    .retain(|c| !c.thumbprint.eq_ignore_ascii_case(certificate_thumbprint));
                if g.root_certificates.len() == before {
                    return Err(ApiError::not_found(format!(
                        "The client root certificate {certificate_thumbprint} does not exist."
                    )));
                }
                ("DeleteClientRootCertificate", None, None)
            }
            ServerRequest::SetDefaultSites { body, .. } => {
                if g.gateway_type.as_deref() != Some("DynamicRouting") {
                    return Err(ApiError::bad_request(format!(
                        "The gateway of {what} uses static routing; a default site needs a dynamic-routing gateway."
                    )));
                }
                let name = require_link(site, &body.default_site)?;
                g.default_site = Some(name);
                ("SetDefaultSites", None, None)
            }
            ServerRequest::RemoveDefaultSites { .. } => {
                g.default_site = None;
                ("RemoveDefaultSites", None, None)
            }
            _ => unreachable_op()?,
        })
    }
}

fn unreachable_op<T>() -> Result<T, ApiError> {
    Err(ApiError::new(
        500,
        "InternalError",
        "The server encountered an internal error.",
    ))
}

fn key_length(n: i32) -> Result<usize, ApiError> {
    match usize::try_from(n) {
        Ok(n) if (1..=128).contains(&n) => Ok(n),
        _ => Err(ApiError::bad_request(
            "The key length must be between 1 and 128.",
        )),
    }
}

/// Resize or Reset (one wire shape).
fn update_gateway(
    g: &mut GatewayRec,
    body: &UpdateGatewayParameters,
    now: Millis,
) -> Result<&'static str, ApiError> {
    match &body.operation {
        UpdateGatewayOperation::Resize => {
            let size = body
                .gateway_size
                .as_ref()
                .ok_or_else(|| ApiError::bad_request("A resize needs the new GatewaySize."))?;
            if let GatewaySize::Unknown(s) = size {
                return Err(ApiError::bad_request(format!(
                    "The gateway size {s} is not valid; use Default, HighPerformance or Standard."
                )));
            }
            g.size = Some(size.as_str().to_owned());
            g.last_event = event(
                "2",
                format!("The gateway was resized to {}.", size.as_str()),
                now,
            );
            Ok("ResizeGateway")
        }
        UpdateGatewayOperation::Reset => {
            g.last_event = event("3", "The gateway was reset.", now);
            for l in g.links.values_mut() {
                l.connected = false;
            }
            Ok("ResetGateway")
        }
        other => Err(ApiError::bad_request(format!(
            "The operation {} is not valid; use Resize or Reset.",
            other.as_str()
        ))),
    }
}

/// Start or Stop diagnostics (one wire shape).
fn diagnostics(
    g: &mut GatewayRec,
    body: &UpdateGatewayPublicDiagnostics,
    now: Millis,
) -> Result<&'static str, ApiError> {
    match &body.operation {
        GatewayDiagnosticsOperation::StartDiagnostics => {
            if g.diagnostics.as_ref().is_some_and(|d| now < d.until_ms) {
                return Err(ApiError::conflict(
                    "A diagnostics session is already running.",
                ));
            }
            let (Some(seconds), Some(account), Some(_key)) = (
                body.capture_duration_in_seconds,
                body.customer_storage_name.as_deref(),
                body.customer_storage_key.as_deref(),
            ) else {
                return Err(ApiError::bad_request(
                    "Starting diagnostics needs CaptureDurationInSeconds, CustomerStorageName and CustomerStorageKey.",
                ));
            };
            if !(1..=300).contains(&seconds) {
                return Err(ApiError::bad_request(
                    "CaptureDurationInSeconds must be between 1 and 300.",
                ));
            }
            let container = body
                .container_name
                .as_deref()
                .unwrap_or("gatewaypublicdiagnostics");
            g.diagnostics = Some(DiagnosticsRec {
                until_ms: now + i64::from(seconds) * 1000,
                url: format!(
                    "https://{account}.blob.core.windows.net/{container}/{}.txt",
                    uuid::Uuid::new_v4()
                ),
            });
            Ok("StartDiagnostics")
        }
        GatewayDiagnosticsOperation::StopDiagnostics => {
            if let Some(d) = g.diagnostics.as_mut() {
                d.until_ms = d.until_ms.min(now);
            }
            Ok("StopDiagnostics")
        }
        other => Err(ApiError::bad_request(format!(
            "The operation {} is not valid; use StartDiagnostics or StopDiagnostics.",
            other.as_str()
        ))),
    }
}

fn diagnostics_to_wire(d: &Option<DiagnosticsRec>, now: Millis) -> GatewayPublicDiagnosticsStatus {
    match d {
        Some(d) if now < d.until_ms => GatewayPublicDiagnosticsStatus {
            public_diagnostics_url: None,
            state: Some(GatewayDiagnosticsState::InProgress),
        },
        Some(d) => GatewayPublicDiagnosticsStatus {
            public_diagnostics_url: Some(d.url.as_str().into()),
            state: Some(GatewayDiagnosticsState::Ready),
        },
        None => GatewayPublicDiagnosticsStatus {
            public_diagnostics_url: None,
            state: Some(GatewayDiagnosticsState::Ready),
        },
    }
}

fn lng(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    sub: &str,
    id: &str,
) -> Result<LocalGatewayRec, ApiError> {
    get::<LocalGatewayRec>(table, &lng_key(sub, id))?.ok_or_else(|| {
        ApiError::not_found(format!("The local network gateway {id} does not exist."))
    })
}

fn lng_to_wire(l: &LocalGatewayRec) -> LocalNetworkGateway {
    LocalNetworkGateway {
        address_space: Some(LocalNetworkAddressSpace {
            address_prefixes: l
                .prefixes
                .clone()
                .into_iter()
                .map(Into::into)
                .collect::<Vec<_>>(),
        }),
        bgp_settings: bgp_to_wire(&l.bgp),
        gateway_name: Some(l.name.as_str().into()),
        id: Some(l.id.as_str().into()),
        ip_address: l.ip_address.as_deref().map(Into::into),
    }
}

fn connection_to_wire(c: &LinkRec) -> GatewayConnection {
    GatewayConnection {
        connected_entity_id: Some(c.entity_id.as_str().into()),
        enable_bgp: c.enable_bgp,
        gateway_connection_name: Some(c.name.as_str().into()),
        gateway_connection_type: c.connection_type.as_deref().map(Into::into),
        routing_weight: c.routing_weight,
        shared_key: Some(c.shared_key.as_str().into()),
        virtual_network_gateway_id: Some(c.gateway_id.as_str().into()),
    }
}

fn app_cert_to_wire(c: &AppCertificateRec) -> ApplicationGatewayCertificate {
    ApplicationGatewayCertificate {
        data: Some(c.data.as_str().into()),
        name: Some(c.name.as_str().into()),
        state: Some("Provisioned".into()),
    }
}

/// Address ranges in CIDR notation (a.b.c.d/n).
fn check_prefixes(prefixes: &[CompactString]) -> Result<(), ApiError> {
    for p in prefixes {
        let ok = p.split_once('/').is_some_and(|(addr, len)| {
            addr.parse::<std::net::Ipv4Addr>().is_ok() && len.parse::<u8>().is_ok_and(|n| n <= 32)
        });
        if !ok {
            return Err(ApiError::bad_request(format!(
                "The address prefix {p} is not a valid IPv4 range in CIDR notation."
            )));
        }
    }
    Ok(())
}

fn check_subnets(
    site: &NetcfgVirtualNetworkSite,
    subnets: &[CompactString],
) -> Result<(), ApiError> {
    if subnets.is_empty() {
        return Err(ApiError::bad_request(
            "An application gateway needs a subnet.",
        ));
    }
    for s in subnets {
        if !site.subnets.iter().any(|n| n.name.eq_ignore_ascii_case(s)) {
            return Err(ApiError::bad_request(format!(
                "The subnet {s} does not exist in the virtual network {}.",
                site.name
            )));
        }
    }
    Ok(())
}

/// The names a configuration's parts refer to exist.
fn check_configuration(
    c: &ApplicationGatewayConfiguration,
    a: &AppGatewayRec,
) -> Result<(), ApiError> {
    let has = |names: Vec<&str>, name: &str| names.iter().any(|n| n.eq_ignore_ascii_case(name));
    let missing = |kind: &str, name: &str, by: &str| {
        Err(ApiError::bad_request(format!(
            "The {kind} {name} referenced by {by} does not exist in the configuration."
        )))
    };
    let fips: Vec<&str> = c
        .frontend_ip_configurations
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let ports: Vec<&str> = c.frontend_ports.iter().map(|f| f.name.as_str()).collect();
    let probes: Vec<&str> = c.probes.iter().map(|f| f.name.as_str()).collect();
    let pools: Vec<&str> = c
        .backend_address_pools
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let settings: Vec<&str> = c
        .backend_http_settings_list
        .iter()
        .map(|f| f.name.as_str())
        .collect();
    let listeners: Vec<&str> = c.http_listeners.iter().map(|f| f.name.as_str()).collect();
    for s in &c.backend_http_settings_list {
        if let Some(p) = &s.probe {
            if !has(probes.clone(), p) {
                return missing("probe", p, &s.name);
            }
        }
    }
    for l in &c.http_listeners {
        if let Some(f) = &l.frontend_ip {
            if !has(fips.clone(), f) {
                return missing("frontend IP configuration", f, &l.name);
            }
        }
        if let Some(p) = &l.frontend_port {
            if !has(ports.clone(), p) {
                return missing("frontend port", p, &l.name);
            }
        }
        if let Some(cert) = &l.ssl_cert {
            if !a
                .certificates
                .iter()
                .any(|c| c.name.eq_ignore_ascii_case(cert))
            {
                return Err(ApiError::bad_request(format!(
                    "The SSL certificate {cert} of listener {} has not been added to the gateway.",
                    l.name
                )));
            }
        }
    }
    for r in &c.http_load_balancing_rules {
        if let Some(x) = &r.backend_http_settings {
            if !has(settings.clone(), x) {
                return missing("backend HTTP settings", x, &r.name);
            }
        }
        if let Some(x) = &r.listener {
            if !has(listeners.clone(), x) {
                return missing("listener", x, &r.name);
            }
        }
        if let Some(x) = &r.backend_address_pool {
            if !has(pools.clone(), x) {
                return missing("backend address pool", x, &r.name);
            }
        }
    }
    Ok(())
}

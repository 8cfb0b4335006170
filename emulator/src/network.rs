//! Networking behaviour beyond the generic engine: the network configuration
//! as the source of truth (validated when set; subnets, sites and their
//! associations derived from it), network security groups and route tables
//! associated with subnets, roles and network interfaces, the default rules
//! of a network security group and the rules' priorities, IP forwarding,
//! migration to Resource Manager as a state machine (virtual networks,
//! network security groups, route tables) and Traffic Manager definitions.
//!
//! Deployments are not modelled here: the role and network interface
//! associations and the IP forwarding settings are kept by
//! service/deployment/role(/interface) name, and only the cloud service
//! must exist.

use std::collections::BTreeSet;

use asm_runtime::xml;
use asm_runtime::TextDocument;
use azure_asm::server::ServerRequest;
use azure_asm::*;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{Api, ApiError, Outcome, Reply};
use crate::areas::{parse_config, virtual_network_sites, NetworkConfigRec};
use crate::engine::{list_prefix, Elem, Matched, ResourceRec};
use crate::store::*;

/// One value kept by name: an association's target, an IP forwarding
/// state, a migration state.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct NetRec {
    /// As given (names keep their case; keys are lower case).
    value: String,
}

/// Kinds of records in the [`NETWORK`] table (the key's first segment).
const NSG_SUBNET: &str = "nsg-subnet";
const NSG_ROLE: &str = "nsg-role";
const NSG_NIC: &str = "nsg-nic";
const RT_SUBNET: &str = "rt-subnet";
const IPFWD_ROLE: &str = "ipfwd-role";
const IPFWD_NIC: &str = "ipfwd-nic";
const MIGRATION: &str = "migration";

/// The hidden element of a Traffic Manager profile's state holding its
/// definition (a `<Definition>` document; never rendered: no response type
/// has it).
const STORED_DEFINITION: &str = "EmulatorStoredDefinition";

/// A name as a key segment: lower case, `/` escaped.
fn norm(name: &str) -> String {
    name.replace('/', "%2F").to_ascii_lowercase()
}

/// `{kind}/{subscription}/{names...}`.
fn key(kind: &str, sub: &str, names: &[&str]) -> String {
    let mut k = format!("{kind}/{sub}");
    for n in names {
        k.push('/');
        k.push_str(&norm(n));
    }
    k
}

fn get_rec(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<String>, ApiError> {
    Ok(get::<NetRec>(table, key)?.map(|r| r.value))
}

// ------------------------------------------------------------ address math

/// An IPv4 range in CIDR notation: (network address, prefix length).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr(u32, u8);

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (addr, len) = text.trim().split_once('/')?;
        let len: u8 = len.parse().ok()?;
        if len > 32 {
            return None;
        }
        let ip: std::net::Ipv4Addr = addr.parse().ok()?;
        Some(Cidr(u32::from(ip) & mask(len), len))
    }

    fn overlaps(self, other: Cidr) -> bool {
        let m = mask(self.1.min(other.1));
        self.0 & m == other.0 & m
    }

    fn contains(self, inner: Cidr) -> bool {
        inner.1 >= self.1 && inner.0 & mask(self.1) == self.0
    }
}

fn mask(len: u8) -> u32 {
    if len == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(len))
    }
}

fn cidr(text: &str) -> Result<Cidr, ApiError> {
    Cidr::parse(text).ok_or_else(|| {
        ApiError::bad_request(format!(
            "The address prefix '{}' is not valid: use CIDR notation, e.g. 10.0.0.0/16.",
            text.trim()
        ))
    })
}

/// Checks a network configuration the way the service did before accepting
/// it: unique names, valid prefixes, address spaces of different virtual
/// networks that do not overlap, subnets inside their network's address
/// space and not overlapping each other, references that resolve.
pub(crate) fn validate_config(config: &NetworkConfiguration) -> Result<(), ApiError> {
    let vnc = &config.virtual_network_configuration;
    let mut dns = BTreeSet::new();
    for d in vnc
        .dns
        .as_ref()
        .map(|d| d.dns_servers.as_slice())
        .unwrap_or_default()
    {
        if !dns.insert(d.name.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "The DNS server {} is defined twice.",
                d.name
            )));
        }
        if d.ip_address.trim().parse::<std::net::Ipv4Addr>().is_err() {
            return Err(ApiError::bad_request(format!(
                "The IP address '{}' of DNS server {} is not valid.",
                d.ip_address, d.name
            )));
        }
    }
    let mut locals = BTreeSet::new();
    for l in &vnc.local_network_sites {
        if !locals.insert(l.name.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "The local network site {} is defined twice.",
                l.name
            )));
        }
        for p in &l.address_space.address_prefix {
            cidr(p)?;
        }
    }
    let mut names = BTreeSet::new();
    // (network, prefix text, range) of every address space seen so far.
    let mut spaces: Vec<(&str, &str, Cidr)> = Vec::new();
    for site in &vnc.virtual_network_sites {
        if !names.insert(site.name.to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "The virtual network {} is defined twice.",
                site.name
            )));
        }
        let mut own = Vec::new();
        for p in &site.address_space.address_prefix {
            let c = cidr(p)?;
            for (other, other_text, oc) in spaces.iter().chain(own.iter()) {
                if c.overlaps(*oc) {
                    return Err(ApiError::bad_request(format!(
                        "The address space '{}' of virtual network '{}' overlaps with the address space '{}' of virtual network '{}'.",
                        p.trim(),
                        site.name,
                        other_text.trim(),
                        other
                    )));
                }
            }
            own.push((site.name.as_str(), p.as_str(), c));
        }
        let mut subnets: Vec<(&str, Cidr)> = Vec::new();
        let mut subnet_names = BTreeSet::new();
        for s in &site.subnets {
            if !subnet_names.insert(s.name.to_ascii_lowercase()) {
                return Err(ApiError::bad_request(format!(
                    "The subnet {} is defined twice in virtual network {}.",
                    s.name, site.name
                )));
            }
            let c = cidr(&s.address_prefix)?;
            if !own.iter().any(|(_, _, space)| space.contains(c)) {
                return Err(ApiError::bad_request(format!(
                    "Subnet '{}' is not valid in virtual network '{}': its address prefix '{}' is not within the virtual network's address space.",
                    s.name,
                    site.name,
                    s.address_prefix.trim()
                )));
            }
            if let Some((other, _)) = subnets.iter().find(|(_, oc)| oc.overlaps(c)) {
                return Err(ApiError::bad_request(format!(
                    "Subnet '{}' overlaps with subnet '{}' in virtual network '{}'.",
                    s.name, other, site.name
                )));
            }
            subnets.push((s.name.as_str(), c));
        }
        for r in &site.dns_servers_ref {
            if !dns.contains(&r.name.to_ascii_lowercase()) {
                return Err(ApiError::bad_request(format!(
                    "The DNS server {} referenced by virtual network {} is not defined.",
                    r.name, site.name
                )));
            }
        }
        if let Some(g) = &site.gateway {
            for c in &g.connections_to_local_network {
                if !locals.contains(&c.name.to_ascii_lowercase()) {
                    return Err(ApiError::bad_request(format!(
                        "The local network site {} referenced by virtual network {} is not defined.",
                        c.name, site.name
                    )));
                }
            }
        }
        spaces.extend(own);
    }
    Ok(())
}

/// The virtual network error of the migration calls (recorded).
fn vnet_not_found(name: &str) -> ApiError {
    ApiError::bad_request(format!(
        "Virtual network '{name}' not found. Either it does not exist or it is an Azure Resource Manager resource, which cannot be used with Cloud Services."
    ))
}

/// The default rules of every network security group (recorded):
/// (name, type, priority, action, source, destination).
const DEFAULT_RULES: [(&str, &str, i32, &str, &str, &str); 6] = [
    (
        "ALLOW VNET INBOUND",
        "Inbound",
        65000,
        "Allow",
        "VIRTUAL_NETWORK",
        "VIRTUAL_NETWORK",
    ),
    (
        "ALLOW VNET OUTBOUND",
        "Outbound",
        65000,
        "Allow",
        "VIRTUAL_NETWORK",
        "VIRTUAL_NETWORK",
    ),
    (
        "ALLOW AZURE LOAD BALANCER INBOUND",
        "Inbound",
        65001,
        "Allow",
        "AZURE_LOADBALANCER",
        "*",
    ),
    (
        "ALLOW INTERNET OUTBOUND",
        "Outbound",
        65001,
        "Allow",
        "*",
        "INTERNET",
    ),
    ("DENY ALL OUTBOUND", "Outbound", 65500, "Deny", "*", "*"),
    ("DENY ALL INBOUND", "Inbound", 65500, "Deny", "*", "*"),
];

fn default_rule_elem(rule: &(&str, &str, i32, &str, &str, &str)) -> Elem {
    let (name, ty, priority, action, source, destination) = *rule;
    Elem {
        name: "Rule".into(),
        children: vec![
            Elem::text("Name", name),
            Elem::text("Type", ty),
            Elem::text("Priority", priority.to_string()),
            Elem::text("Action", action),
            Elem::text("SourceAddressPrefix", source),
            Elem::text("SourcePortRange", "*"),
            Elem::text("DestinationAddressPrefix", destination),
            Elem::text("DestinationPortRange", "*"),
            Elem::text("Protocol", "*"),
            Elem::text("State", "Active"),
            Elem::text("IsDefault", "true"),
        ],
        ..Default::default()
    }
}

fn is_default_rule(name: &str) -> bool {
    DEFAULT_RULES
        .iter()
        .any(|r| r.0.eq_ignore_ascii_case(name.trim()))
}

fn priority_of(e: &Elem) -> i64 {
    e.child_text("Priority")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(i64::MAX)
}

/// Which resource a migration call names, for keys and messages.
#[derive(Clone, Copy)]
enum Migrating {
    VirtualNetwork,
    NetworkSecurityGroup,
    RouteTable,
}

impl Migrating {
    fn kind(self) -> &'static str {
        match self {
            Migrating::VirtualNetwork => "vnet",
            Migrating::NetworkSecurityGroup => "nsg",
            Migrating::RouteTable => "rt",
        }
    }
    fn display(self) -> &'static str {
        match self {
            Migrating::VirtualNetwork => "virtual network",
            Migrating::NetworkSecurityGroup => "network security group",
            Migrating::RouteTable => "route table",
        }
    }
    fn resource(self) -> &'static str {
        match self {
            Migrating::VirtualNetwork => "",
            Migrating::NetworkSecurityGroup => "NetworkSecurityGroup",
            Migrating::RouteTable => "RouteTable",
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Step {
    Validate,
    Prepare,
    Commit,
    Abort,
}

impl Api {
    // -------------------------------------------------------- configuration

    /// The subscription's network configuration (none set: empty).
    fn config_of(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
    ) -> Result<Option<(NetworkConfigRec, NetworkConfiguration)>, ApiError> {
        match get::<NetworkConfigRec>(table, sub)? {
            Some(rec) => {
                let parsed = parse_config(&TextDocument::from_text(rec.text.clone()))?;
                Ok(Some((rec, parsed)))
            }
            None => Ok(None),
        }
    }

    /// The subnet `subnet` of `vnet` as the configuration defines it: the
    /// names as written there (404 when either is missing).
    /// The address prefixes of the virtual network `vnet` and the route
    /// table associated with its subnet `subnet` (if any).
    pub(crate) fn vnet_routing(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        vnet: &str,
        subnet: Option<&str>,
    ) -> Result<(Vec<String>, Option<String>), ApiError> {
        let config = tx.open_table(NETWORK_CONFIG)?;
        let prefixes = self
            .config_of(&config, sub)?
            .and_then(|(_, c)| {
                c.virtual_network_configuration
                    .virtual_network_sites
                    .into_iter()
                    .find(|s| s.name.eq_ignore_ascii_case(vnet))
            })
            .map(|s| s.address_space.address_prefix)
            .ok_or_else(|| {
                ApiError::not_found(format!("The virtual network {vnet} does not exist."))
            })?;
        let table = match subnet {
            Some(subnet) => {
                let (v, s) = self.subnet_in_config(&config, sub, vnet, subnet)?;
                get_rec(&tx.open_table(NETWORK)?, &key(RT_SUBNET, sub, &[&v, &s]))?
            }
            None => None,
        };
        Ok((
            prefixes.into_iter().map(Into::into).collect::<Vec<_>>(),
            table,
        ))
    }

    fn subnet_in_config(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        vnet: &str,
        subnet: &str,
    ) -> Result<(String, String), ApiError> {
        let config = self.config_of(table, sub)?.map(|(_, c)| c);
        let site = config
            .as_ref()
            .and_then(|c| {
                c.virtual_network_configuration
                    .virtual_network_sites
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(vnet))
            })
            .ok_or_else(|| {
                ApiError::not_found(format!("The virtual network {vnet} does not exist."))
            })?;
        let s = site
            .subnets
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(subnet))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "The subnet {subnet} does not exist in virtual network {}.",
                    site.name
                ))
            })?;
        Ok((site.name.to_string(), s.name.to_string()))
    }

    /// Associations of subnets that a new configuration no longer has go
    /// with them, as do the migration states of removed networks.
    fn forget_removed_subnets(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        config: &NetworkConfiguration,
    ) -> Result<(), ApiError> {
        let sites = &config.virtual_network_configuration.virtual_network_sites;
        let mut table = tx.open_table(NETWORK)?;
        let mut stale = Vec::new();
        for kind in [NSG_SUBNET, RT_SUBNET] {
            let prefix = format!("{kind}/{sub}/");
            for (k, _) in scan::<NetRec>(&table, &prefix)? {
                let rest = &k[prefix.len()..];
                let (v, s) = rest.split_once('/').unwrap_or((rest, ""));
                let kept = sites.iter().any(|site| {
                    norm(&site.name) == v && site.subnets.iter().any(|n| norm(&n.name) == s)
                });
                if !kept {
                    stale.push(k);
                }
            }
        }
        let prefix = format!("{MIGRATION}/{sub}/vnet/");
        for (k, _) in scan::<NetRec>(&table, &prefix)? {
            let v = &k[prefix.len()..];
            if !sites.iter().any(|site| norm(&site.name) == v) {
                stale.push(k);
            }
        }
        for k in stale {
            table.remove(k.as_str())?;
        }
        Ok(())
    }

    // ---------------------------------------------------------------- reads

    /// Reads of the networking operations this module serves; `None`: not one.
    pub(crate) fn network_read(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Option<Result<Reply, ApiError>> {
        let result = match req {
            ServerRequest::ListVirtualNetworkSites { .. } => self.list_sites(tx, sub, req),
            ServerRequest::GetNetworkSecurityGroupForSubnet {
                virtual_network_name,
                subnet_name,
                ..
            } => (|| {
                let config = tx.open_table(NETWORK_CONFIG)?;
                let (v, s) =
                    self.subnet_in_config(&config, sub, virtual_network_name, subnet_name)?;
                let nsg = get_rec(&tx.open_table(NETWORK)?, &key(NSG_SUBNET, sub, &[&v, &s]))?
                    .ok_or_else(|| {
                        ApiError::not_found(format!(
                            "No network security group is associated with subnet {s} of virtual network {v}."
                        ))
                    })?;
                Ok(nsg_association(req, nsg))
            })(),
            ServerRequest::GetNetworkSecurityGroupForRole {
                service_name,
                deployment_name,
                role_name,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(NSG_ROLE, sub, &[service_name, deployment_name, role_name]);
                let nsg = get_rec(&tx.open_table(NETWORK)?, &k)?.ok_or_else(|| {
                    ApiError::not_found(format!(
                        "No network security group is associated with role {role_name}."
                    ))
                })?;
                Ok(nsg_association(req, nsg))
            })(),
            ServerRequest::GetNetworkSecurityGroupForNetworkInterface {
                service_name,
                deployment_name,
                role_name,
                network_interface_name,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(
                    NSG_NIC,
                    sub,
                    &[
                        service_name,
                        deployment_name,
                        role_name,
                        network_interface_name,
                    ],
                );
                let nsg = get_rec(&tx.open_table(NETWORK)?, &k)?.ok_or_else(|| {
                    ApiError::not_found(format!(
                        "No network security group is associated with network interface {network_interface_name} of role {role_name}."
                    ))
                })?;
                Ok(nsg_association(req, nsg))
            })(),
            ServerRequest::GetRouteTableForSubnet {
                vnet_name,
                subnet_name,
                ..
            } => (|| {
                let config = tx.open_table(NETWORK_CONFIG)?;
                let (v, s) = self.subnet_in_config(&config, sub, vnet_name, subnet_name)?;
                let table = get_rec(&tx.open_table(NETWORK)?, &key(RT_SUBNET, sub, &[&v, &s]))?
                    .ok_or_else(|| {
                        ApiError::not_found(format!(
                            "No route table is associated with subnet {s} of virtual network {v}."
                        ))
                    })?;
                Ok(Reply::xml(
                    req,
                    &RouteTableAssociation {
                        route_table_name: Some(table.into()),
                    },
                ))
            })(),
            ServerRequest::GetIPForwardingForRole {
                service_name,
                deployment_name,
                role_name,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(IPFWD_ROLE, sub, &[service_name, deployment_name, role_name]);
                Ok(ip_forwarding(req, get_rec(&tx.open_table(NETWORK)?, &k)?))
            })(),
            ServerRequest::GetIPForwardingForNetworkInterface {
                service_name,
                deployment_name,
                role_name,
                network_interface_name,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(
                    IPFWD_NIC,
                    sub,
                    &[
                        service_name,
                        deployment_name,
                        role_name,
                        network_interface_name,
                    ],
                );
                Ok(ip_forwarding(req, get_rec(&tx.open_table(NETWORK)?, &k)?))
            })(),
            ServerRequest::GetDefinition { profile_name, .. } => (|| {
                let (_, rec) = self.profile(&tx.open_table(RESOURCES)?, sub, profile_name, now)?;
                let def = stored_definition(&rec).ok_or_else(|| no_definition(profile_name))?;
                Ok(Reply::xml(req, &def))
            })(),
            ServerRequest::ListDefinitions { profile_name, .. } => (|| {
                let (_, rec) = self.profile(&tx.open_table(RESOURCES)?, sub, profile_name, now)?;
                Ok(Reply::xml(
                    req,
                    &TrafficManagerDefinitions {
                        definition: stored_definition(&rec).into_iter().collect(),
                    },
                ))
            })(),
            ServerRequest::CheckDnsPrefixAvailability { dns_name, .. } => (|| {
                let wanted = dns_name.trim().to_ascii_lowercase();
                let wanted = wanted
                    .strip_suffix(".trafficmanager.net")
                    .unwrap_or(&wanted)
                    .to_owned();
                let table = tx.open_table(RESOURCES)?;
                let taken = scan::<ResourceRec>(&table, "Profile/")?
                    .into_iter()
                    .any(|(_, p)| {
                        p.resource == "Profile"
                            && exists(&p.pending, now)
                            && p.state.child_text("DomainName").is_some_and(|d| {
                                let d = d.trim().to_ascii_lowercase();
                                d.strip_suffix(".trafficmanager.net").unwrap_or(&d) == wanted
                            })
                    });
                Ok(Reply::xml(
                    req,
                    &AvailabilityResponse {
                        result: !taken,
                        reason: (taken.then(|| {
                            format!("The DNS name {wanted}.trafficmanager.net is already taken.")
                        }))
                        .map(Into::into),
                    },
                ))
            })(),
            _ => return None,
        };
        Some(result)
    }

    /// List Virtual Network Sites: the configuration's networks, with their
    /// subnets' associations and their migration state.
    fn list_sites(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
    ) -> Result<Reply, ApiError> {
        let mut sites = match get::<NetworkConfigRec>(&tx.open_table(NETWORK_CONFIG)?, sub)? {
            Some(rec) => virtual_network_sites(&rec)?,
            None => Vec::new(),
        };
        let table = tx.open_table(NETWORK)?;
        for site in &mut sites {
            site.migration_state =
                (get_rec(&table, &key(MIGRATION, sub, &["vnet", &site.name]))?).map(Into::into);
            for s in &mut site.subnets {
                s.network_security_group =
                    (get_rec(&table, &key(NSG_SUBNET, sub, &[&site.name, &s.name]))?)
                        .map(Into::into);
                s.route_table_name =
                    (get_rec(&table, &key(RT_SUBNET, sub, &[&site.name, &s.name]))?)
                        .map(Into::into);
            }
        }
        Ok(Reply::xml(
            req,
            &VirtualNetworkSites {
                virtual_network_site: sites,
            },
        ))
    }

    /// The Traffic Manager profile `name` (404 with the service's message).
    fn profile(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        name: &str,
        now: Millis,
    ) -> Result<(String, ResourceRec), ApiError> {
        self.live_record(table, "Profile", sub, name, now)
            .map_err(|_| {
                ApiError::not_found(format!("The specified profile name {name} does not exist."))
            })
    }

    // --------------------------------------------------------------- writes

    /// Writes of the networking operations this module serves; `None`: not
    /// one (Set Network Configuration is checked here, then stored by
    /// `areas`).
    pub(crate) fn network_write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Option<Result<Outcome, ApiError>> {
        let result = match req {
            ServerRequest::SetNetworkConfiguration { body, .. } => {
                let checked = parse_config(body).and_then(|config| {
                    validate_config(&config)?;
                    self.refuse_migrating_changes(tx, sub, &config)?;
                    self.forget_removed_subnets(tx, sub, &config)
                });
                return match checked {
                    Ok(()) => None,
                    Err(e) => Some(Err(e)),
                };
            }
            ServerRequest::AddNetworkSecurityGroupToSubnet {
                virtual_network_name,
                subnet_name,
                body,
                ..
            } => (|| {
                let nsg = self.nsg_name(tx, sub, &body.name, now)?;
                let (v, s) = self.subnet_in_config(
                    &tx.open_table(NETWORK_CONFIG)?,
                    sub,
                    virtual_network_name,
                    subnet_name,
                )?;
                self.associate(tx, &key(NSG_SUBNET, sub, &[&v, &s]), &nsg, || {
                    format!("subnet {s} of virtual network {v}")
                })?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::RemoveNetworkSecurityGroupFromSubnet {
                virtual_network_name,
                subnet_name,
                network_security_group_name,
                ..
            } => (|| {
                let (v, s) = self.subnet_in_config(
                    &tx.open_table(NETWORK_CONFIG)?,
                    sub,
                    virtual_network_name,
                    subnet_name,
                )?;
                self.dissociate(
                    tx,
                    &key(NSG_SUBNET, sub, &[&v, &s]),
                    Some(network_security_group_name),
                    || format!("subnet {s} of virtual network {v}"),
                )?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::AddNetworkSecurityGroupToRole {
                service_name,
                deployment_name,
                role_name,
                body,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let nsg = self.nsg_name(tx, sub, &body.name, now)?;
                let k = key(NSG_ROLE, sub, &[service_name, deployment_name, role_name]);
                self.associate(tx, &k, &nsg, || format!("role {role_name}"))?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::RemoveNetworkSecurityGroupFromRole {
                service_name,
                deployment_name,
                role_name,
                network_security_group_name,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(NSG_ROLE, sub, &[service_name, deployment_name, role_name]);
                self.dissociate(tx, &k, Some(network_security_group_name), || {
                    format!("role {role_name}")
                })?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::AddNetworkSecurityGroupToNetworkInterface {
                service_name,
                deployment_name,
                role_name,
                network_interface_name,
                body,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let nsg = self.nsg_name(tx, sub, &body.name, now)?;
                let k = key(
                    NSG_NIC,
                    sub,
                    &[
                        service_name,
                        deployment_name,
                        role_name,
                        network_interface_name,
                    ],
                );
                self.associate(tx, &k, &nsg, || {
                    format!("network interface {network_interface_name} of role {role_name}")
                })?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::RemoveNetworkSecurityGroupFromNetworkInterface {
                service_name,
                deployment_name,
                role_name,
                network_interface_name,
                network_security_group_name,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(
                    NSG_NIC,
                    sub,
                    &[
                        service_name,
                        deployment_name,
                        role_name,
                        network_interface_name,
                    ],
                );
                self.dissociate(tx, &k, Some(network_security_group_name), || {
                    format!("network interface {network_interface_name} of role {role_name}")
                })?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::AddRouteTableToSubnet {
                vnet_name,
                subnet_name,
                body,
                ..
            } => (|| {
                let wanted = body
                    .route_table_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .ok_or_else(|| ApiError::bad_request("The route table name is missing."))?;
                let (_, rt) =
                    self.live_record(&tx.open_table(RESOURCES)?, "RouteTable", sub, wanted, now)?;
                let (v, s) = self.subnet_in_config(
                    &tx.open_table(NETWORK_CONFIG)?,
                    sub,
                    vnet_name,
                    subnet_name,
                )?;
                self.associate(tx, &key(RT_SUBNET, sub, &[&v, &s]), &rt.name, || {
                    format!("subnet {s} of virtual network {v}")
                })?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::RemoveRouteTableFromSubnet {
                vnet_name,
                subnet_name,
                ..
            } => (|| {
                let (v, s) = self.subnet_in_config(
                    &tx.open_table(NETWORK_CONFIG)?,
                    sub,
                    vnet_name,
                    subnet_name,
                )?;
                self.dissociate(tx, &key(RT_SUBNET, sub, &[&v, &s]), None, || {
                    format!("subnet {s} of virtual network {v}")
                })?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::SetIPForwardingOnRole {
                service_name,
                deployment_name,
                role_name,
                body,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(IPFWD_ROLE, sub, &[service_name, deployment_name, role_name]);
                self.set_ip_forwarding(tx, &k, &body.state)?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::SetIPForwardingOnNetworkInterface {
                service_name,
                deployment_name,
                role_name,
                network_interface_name,
                body,
                ..
            } => (|| {
                self.hosted_service(&tx.open_table(RESOURCES)?, sub, service_name, now)?;
                let k = key(
                    IPFWD_NIC,
                    sub,
                    &[
                        service_name,
                        deployment_name,
                        role_name,
                        network_interface_name,
                    ],
                );
                self.set_ip_forwarding(tx, &k, &body.state)?;
                Ok(self.accepted(now))
            })(),
            ServerRequest::ValidateVirtualNetworkMigration {
                virtual_network_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::VirtualNetwork,
                virtual_network_name,
                Step::Validate,
                now,
            ),
            ServerRequest::PrepareVirtualNetworkMigration {
                virtual_network_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::VirtualNetwork,
                virtual_network_name,
                Step::Prepare,
                now,
            ),
            ServerRequest::CommitVirtualNetworkMigration {
                virtual_network_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::VirtualNetwork,
                virtual_network_name,
                Step::Commit,
                now,
            ),
            ServerRequest::AbortVirtualNetworkMigration {
                virtual_network_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::VirtualNetwork,
                virtual_network_name,
                Step::Abort,
                now,
            ),
            ServerRequest::ValidateNetworkSecurityGroupMigration {
                network_security_group_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::NetworkSecurityGroup,
                network_security_group_name,
                Step::Validate,
                now,
            ),
            ServerRequest::PrepareNetworkSecurityGroupMigration {
                network_security_group_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::NetworkSecurityGroup,
                network_security_group_name,
                Step::Prepare,
                now,
            ),
            ServerRequest::CommitNetworkSecurityGroupMigration {
                network_security_group_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::NetworkSecurityGroup,
                network_security_group_name,
                Step::Commit,
                now,
            ),
            ServerRequest::AbortNetworkSecurityGroupMigration {
                network_security_group_name,
                ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::NetworkSecurityGroup,
                network_security_group_name,
                Step::Abort,
                now,
            ),
            ServerRequest::ValidateRouteTableMigration {
                route_table_name, ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::RouteTable,
                route_table_name,
                Step::Validate,
                now,
            ),
            ServerRequest::PrepareRouteTableMigration {
                route_table_name, ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::RouteTable,
                route_table_name,
                Step::Prepare,
                now,
            ),
            ServerRequest::CommitRouteTableMigration {
                route_table_name, ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::RouteTable,
                route_table_name,
                Step::Commit,
                now,
            ),
            ServerRequest::AbortRouteTableMigration {
                route_table_name, ..
            } => self.migrate(
                tx,
                sub,
                req,
                Migrating::RouteTable,
                route_table_name,
                Step::Abort,
                now,
            ),
            ServerRequest::CreateDefinition {
                profile_name, body, ..
            } => (|| {
                check_definition(body)?;
                let mut table = tx.open_table(RESOURCES)?;
                let (k, mut rec) = self.profile(&table, sub, profile_name, now)?;
                let def = definition_of(body);
                rec.state.set(Elem::text(
                    STORED_DEFINITION,
                    xml::to_document("Definition", &def),
                ));
                rec.modified_ms = now;
                put(&mut table, &k, &rec)?;
                Ok(Reply::xml(
                    req,
                    &TrafficManagerDefinition {
                        version: 1,
                        ..Default::default()
                    },
                )
                .into())
            })(),
            _ => return None,
        };
        Some(result)
    }

    /// The network security group `name` as created (404 when missing).
    fn nsg_name(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        name: &str,
        now: Millis,
    ) -> Result<String, ApiError> {
        let (_, rec) = self.live_record(
            &tx.open_table(RESOURCES)?,
            "NetworkSecurityGroup",
            sub,
            name.trim(),
            now,
        )?;
        Ok(rec.name)
    }

    /// Associates `target` at `k`: the same again is accepted, another one
    /// is a conflict (remove it first).
    fn associate(
        &self,
        tx: &WriteTransaction,
        k: &str,
        target: &str,
        what: impl Fn() -> String,
    ) -> Result<(), ApiError> {
        let mut table = tx.open_table(NETWORK)?;
        if let Some(old) = get_rec(&table, k)? {
            if !old.eq_ignore_ascii_case(target) {
                return Err(ApiError::conflict(format!(
                    "The {} is already associated with {old}; remove that association first.",
                    what()
                )));
            }
        }
        put(
            &mut table,
            k,
            &NetRec {
                value: target.to_owned(),
            },
        )?;
        Ok(())
    }

    /// Removes the association at `k` (naming `target` when given: it must be the associated one).
    fn dissociate(
        &self,
        tx: &WriteTransaction,
        k: &str,
        target: Option<&str>,
        what: impl Fn() -> String,
    ) -> Result<(), ApiError> {
        let mut table = tx.open_table(NETWORK)?;
        let old = get_rec(&table, k)?;
        match (old, target) {
            (Some(old), Some(t)) if !old.eq_ignore_ascii_case(t.trim()) => {
                Err(ApiError::not_found(format!(
                    "The network security group {t} is not associated with the {}.",
                    what()
                )))
            }
            (Some(_), _) => {
                table.remove(k)?;
                Ok(())
            }
            (None, _) => Err(ApiError::not_found(format!(
                "Nothing is associated with the {}.",
                what()
            ))),
        }
    }

    fn set_ip_forwarding(
        &self,
        tx: &WriteTransaction,
        k: &str,
        state: &IPForwardingState,
    ) -> Result<(), ApiError> {
        let value = match state {
            IPForwardingState::Enabled => "Enabled",
            IPForwardingState::Disabled => "Disabled",
            other => {
                return Err(ApiError::bad_request(format!(
                    "The IP forwarding state {} is not valid; use Enabled or Disabled.",
                    other.as_str()
                )))
            }
        };
        put(
            &mut tx.open_table(NETWORK)?,
            k,
            &NetRec {
                value: value.to_owned(),
            },
        )?;
        Ok(())
    }

    /// A configuration may not change or drop a virtual network prepared
    /// for migration.
    fn refuse_migrating_changes(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        config: &NetworkConfiguration,
    ) -> Result<(), ApiError> {
        let Some((_, old)) = self.config_of(&tx.open_table(NETWORK_CONFIG)?, sub)? else {
            return Ok(());
        };
        let table = tx.open_table(NETWORK)?;
        for site in &old.virtual_network_configuration.virtual_network_sites {
            if get_rec(&table, &key(MIGRATION, sub, &["vnet", &site.name]))?.is_none() {
                continue;
            }
            let same = config
                .virtual_network_configuration
                .virtual_network_sites
                .iter()
                .find(|s| s.name.eq_ignore_ascii_case(&site.name))
                .is_some_and(|s| xml::to_document("S", s) == xml::to_document("S", site));
            if !same {
                return Err(ApiError::bad_request(format!(
                    "The virtual network {} is prepared for migration and cannot be changed; commit or abort the migration first.",
                    site.name
                )));
            }
        }
        Ok(())
    }

    /// The migration state machine: validate (any time), prepare (when not
    /// prepared), commit or abort (when prepared). A commit moves the
    /// resource out of the classic deployment model: it is gone from here.
    #[allow(clippy::too_many_arguments)]
    fn migrate(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        what: Migrating,
        name: &str,
        step: Step,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        // The resource, by its name as created.
        let name = match what {
            Migrating::VirtualNetwork => {
                let config = self.config_of(&tx.open_table(NETWORK_CONFIG)?, sub)?;
                config
                    .and_then(|(_, c)| {
                        c.virtual_network_configuration
                            .virtual_network_sites
                            .into_iter()
                            .find(|s| s.name.eq_ignore_ascii_case(name))
                    })
                    .map(|s| s.name.to_string())
                    .ok_or_else(|| vnet_not_found(name))?
            }
            _ => {
                self.live_record(&tx.open_table(RESOURCES)?, what.resource(), sub, name, now)?
                    .1
                    .name
            }
        };
        let k = key(MIGRATION, sub, &[what.kind(), &name]);
        let state = get_rec(&tx.open_table(NETWORK)?, &k)?;
        let prepared = state.is_some();
        match step {
            Step::Validate => {
                return Ok(Reply::xml(req, &ValidationMessages::default()).into());
            }
            Step::Prepare if prepared => {
                return Err(ApiError::bad_request(format!(
                    "The {} {name} is already prepared for migration.",
                    what.display()
                )))
            }
            Step::Commit | Step::Abort if !prepared => {
                return Err(ApiError::bad_request(format!(
                    "The {} {name} is not prepared for migration: prepare it first.",
                    what.display()
                )))
            }
            Step::Prepare => {
                put(
                    &mut tx.open_table(NETWORK)?,
                    &k,
                    &NetRec {
                        value: "Prepared".into(),
                    },
                )?;
            }
            Step::Abort => {
                tx.open_table(NETWORK)?.remove(k.as_str())?;
            }
            Step::Commit => {
                tx.open_table(NETWORK)?.remove(k.as_str())?;
                self.commit_migration(tx, sub, what, &name, now)?;
            }
        }
        Ok(self.accepted(now))
    }

    /// A committed resource leaves the classic model: a virtual network
    /// leaves the configuration (with its subnets' associations), a network
    /// security group or route table its records (with its children and
    /// associations).
    fn commit_migration(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        what: Migrating,
        name: &str,
        now: Millis,
    ) -> Result<(), ApiError> {
        match what {
            Migrating::VirtualNetwork => {
                let mut table = tx.open_table(NETWORK_CONFIG)?;
                let Some((mut rec, mut config)) = self.config_of(&table, sub)? else {
                    return Ok(());
                };
                config
                    .virtual_network_configuration
                    .virtual_network_sites
                    .retain(|s| !s.name.eq_ignore_ascii_case(name));
                rec.text = TextDocument::from_value(&config).into_text();
                rec.ids.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
                put(&mut table, sub, &rec)?;
                drop(table);
                self.forget_removed_subnets(tx, sub, &config)
            }
            Migrating::NetworkSecurityGroup | Migrating::RouteTable => {
                let mut table = tx.open_table(RESOURCES)?;
                let (k, rec) = self.live_record(&table, what.resource(), sub, name, now)?;
                let spec = std::sync::Arc::clone(&self.engine.spec);
                let mut doomed = vec![k];
                for child in spec
                    .resources
                    .iter()
                    .filter(|c| c.parent.as_deref() == Some(what.resource()))
                {
                    let prefix = list_prefix(child, sub, std::slice::from_ref(&rec.name));
                    doomed.extend(
                        scan::<ResourceRec>(&table, &prefix)?
                            .into_iter()
                            .map(|(k, _)| k),
                    );
                }
                for k in doomed {
                    table.remove(k.as_str())?;
                }
                drop(table);
                self.forget_associations_of(tx, sub, what, name)
            }
        }
    }

    /// Drops every association with the network security group or route
    /// table `name`.
    fn forget_associations_of(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        what: Migrating,
        name: &str,
    ) -> Result<(), ApiError> {
        let mut table = tx.open_table(NETWORK)?;
        let mut doomed = Vec::new();
        for (_, k) in self.associations_of(&table, sub, what, name)? {
            doomed.push(k);
        }
        for k in doomed {
            table.remove(k.as_str())?;
        }
        Ok(())
    }

    /// (what, key) of every association with `name`.
    fn associations_of(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        what: Migrating,
        name: &str,
    ) -> Result<Vec<(String, String)>, ApiError> {
        let kinds: &[&str] = match what {
            Migrating::RouteTable => &[RT_SUBNET],
            _ => &[NSG_SUBNET, NSG_ROLE, NSG_NIC],
        };
        let mut out = Vec::new();
        for kind in kinds {
            let prefix = format!("{kind}/{sub}/");
            for (k, r) in scan::<NetRec>(table, &prefix)? {
                if r.value.eq_ignore_ascii_case(name) {
                    let path = k[prefix.len()..].replace('/', " / ");
                    let what = match *kind {
                        NSG_ROLE => "role",
                        NSG_NIC => "network interface",
                        _ => "subnet",
                    };
                    out.push((format!("{what} {path}"), k));
                }
            }
        }
        Ok(out)
    }

    // ------------------------------------------------ hooks of the engine

    /// Set Network Security Rule: the name is not a default rule's, the
    /// priority is in 100..=4096 and unique per direction in the group.
    pub(crate) fn nsg_rule_create(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        parents: &[String],
        name: &str,
        state: &mut Elem,
        now: Millis,
    ) -> Result<Option<Failure>, ApiError> {
        if is_default_rule(name) {
            return Err(ApiError::bad_request(format!(
                "The rule name {name} is reserved for a default rule, which cannot be changed."
            )));
        }
        if let Some(group) = parents.first() {
            self.refuse_if_migrating(tx, sub, Migrating::NetworkSecurityGroup, group)?;
        }
        let priority = state.child_text("Priority").unwrap_or_default().trim();
        let value: i64 = priority.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "The priority {priority} of rule {name} is not a number."
            ))
        })?;
        if !(100..=4096).contains(&value) {
            return Err(ApiError::bad_request(format!(
                "Security rule has invalid Priority. Value provided: {value} Allowed values are from 100 to 4096."
            )));
        }
        let direction = state
            .child_text("Type")
            .unwrap_or_default()
            .trim()
            .to_owned();
        if let Some(r) = self.engine.spec.find_resource("NetworkSecurityRule") {
            let prefix = list_prefix(r, sub, parents);
            for (_, other) in scan::<ResourceRec>(&tx.open_table(RESOURCES)?, &prefix)? {
                if other.resource != r.name
                    || !exists(&other.pending, now)
                    || other.name.eq_ignore_ascii_case(name)
                {
                    continue;
                }
                let same_direction = other
                    .state
                    .child_text("Type")
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(&direction));
                if same_direction && priority_of(&other.state) == value {
                    return Err(ApiError::bad_request(format!(
                        "Security rule {} conflicts with rule {name}. Rules cannot have the same Priority and Direction.",
                        other.name
                    )));
                }
            }
        }
        state.set(Elem::text("State", "Active"));
        Ok(None)
    }

    /// A network security group or route table prepared for migration
    /// keeps its rules or routes as they are.
    fn refuse_if_migrating(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        what: Migrating,
        name: &str,
    ) -> Result<(), ApiError> {
        if get_rec(
            &tx.open_table(NETWORK)?,
            &key(MIGRATION, sub, &[what.kind(), name]),
        )?
        .is_some()
        {
            return Err(ApiError::bad_request(format!(
                "The {} {name} is prepared for migration and cannot be changed; commit or abort the migration first.",
                what.display()
            )));
        }
        Ok(())
    }

    /// Set Route: not in a route table prepared for migration.
    pub(crate) fn route_create(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        parents: &[String],
    ) -> Result<Option<Failure>, ApiError> {
        match parents.first() {
            Some(table) => self.refuse_if_migrating(tx, sub, Migrating::RouteTable, table),
            None => Ok(()),
        }
        .map(|()| None)
    }

    /// Delete Network Security Rule / Delete Route: not in a group or
    /// table prepared for migration.
    pub(crate) fn child_delete(
        &self,
        tx: &WriteTransaction,
        rec: &ResourceRec,
    ) -> Result<(), ApiError> {
        let what = match rec.resource.as_str() {
            "Route" => Migrating::RouteTable,
            _ => Migrating::NetworkSecurityGroup,
        };
        match rec.parents.first() {
            Some(parent) => self.refuse_if_migrating(tx, &rec.subscription, what, parent),
            None => Ok(()),
        }
    }

    /// A deleted cloud service takes the settings kept under its name (role
    /// and network interface associations, IP forwarding) along.
    pub(crate) fn forget_service(
        &self,
        tx: &WriteTransaction,
        rec: &ResourceRec,
    ) -> Result<(), ApiError> {
        let mut table = tx.open_table(NETWORK)?;
        let mut doomed = Vec::new();
        for kind in [NSG_ROLE, NSG_NIC, IPFWD_ROLE, IPFWD_NIC] {
            let prefix = format!("{}/", key(kind, &rec.subscription, &[&rec.name]));
            doomed.extend(scan::<NetRec>(&table, &prefix)?.into_iter().map(|(k, _)| k));
        }
        for k in doomed {
            table.remove(k.as_str())?;
        }
        Ok(())
    }

    /// A network security group's detailed read: its rules and the six
    /// default ones, by priority.
    pub(crate) fn nsg_read(&self, m: &Matched<'_>, state: &mut Elem) -> Result<(), ApiError> {
        if !m
            .query
            .get("detaillevel")
            .is_some_and(|v| v.eq_ignore_ascii_case("Full"))
        {
            return Ok(());
        }
        let mut rules = state.child("Rules").cloned().unwrap_or_else(|| Elem {
            name: "Rules".into(),
            ..Default::default()
        });
        rules
            .children
            .extend(DEFAULT_RULES.iter().map(default_rule_elem));
        rules.children.sort_by_key(priority_of);
        state.set(rules);
        Ok(())
    }

    /// A network security group or route table that is associated with
    /// something cannot be deleted.
    pub(crate) fn refuse_delete_if_associated(
        &self,
        tx: &WriteTransaction,
        rec: &ResourceRec,
    ) -> Result<(), ApiError> {
        let what = match rec.resource.as_str() {
            "RouteTable" => Migrating::RouteTable,
            _ => Migrating::NetworkSecurityGroup,
        };
        let table = tx.open_table(NETWORK)?;
        if let Some((with, _)) = self
            .associations_of(&table, &rec.subscription, what, &rec.name)?
            .into_iter()
            .next()
        {
            return Err(ApiError::bad_request(format!(
                "The {} {} is associated with {with} and cannot be deleted; remove the association first.",
                what.display(),
                rec.name
            )));
        }
        if get_rec(
            &table,
            &key(MIGRATION, &rec.subscription, &[what.kind(), &rec.name]),
        )?
        .is_some()
        {
            return Err(ApiError::bad_request(format!(
                "The {} {} is prepared for migration and cannot be deleted.",
                what.display(),
                rec.name
            )));
        }
        Ok(())
    }

    /// A profile's read shows its definition's status and version.
    pub(crate) fn profile_read(&self, rec: &ResourceRec, state: &mut Elem) -> Result<(), ApiError> {
        let mut list = Elem {
            name: "Definitions".into(),
            ..Default::default()
        };
        if stored_definition(rec).is_some() {
            let enabled = profile_enabled(&rec.state);
            list.children.push(Elem {
                name: "Definition".into(),
                children: vec![
                    Elem::text("Status", if enabled { "Enabled" } else { "Disabled" }),
                    Elem::text("Version", "1"),
                ],
                ..Default::default()
            });
        }
        state.set(list);
        state.children.retain(|c| c.name != STORED_DEFINITION);
        Ok(())
    }

    /// Enabling a profile names a definition version it has.
    pub(crate) fn profile_update(&self, old: &Elem, merged: &Elem) -> Result<(), ApiError> {
        let version = merged
            .child("StatusDetails")
            .and_then(|d| d.child_text("EnabledVersion"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        let name = merged.child_text("Name").unwrap_or_default();
        if profile_enabled(merged) && (old.child(STORED_DEFINITION).is_none() || version != "1") {
            return Err(ApiError::bad_request(format!(
                "The profile {name} has no definition version {version} to enable."
            )));
        }
        Ok(())
    }
}

fn profile_enabled(state: &Elem) -> bool {
    state
        .child_text("Status")
        .is_some_and(|s| s.trim() == "Enabled")
}

fn nsg_association(req: &ServerRequest, name: String) -> Reply {
    Reply::xml(
        req,
        &NetworkSecurityGroupAssociation {
            name: name.into(),
            state: Some("Created".into()),
        },
    )
}

fn ip_forwarding(req: &ServerRequest, state: Option<String>) -> Reply {
    let state = match state.as_deref() {
        Some("Enabled") => IPForwardingState::Enabled,
        _ => IPForwardingState::Disabled,
    };
    Reply::xml(req, &IPForwarding { state: Some(state) })
}

fn no_definition(profile: &str) -> ApiError {
    ApiError::not_found(format!(
        "The specified profile name {profile} has no definition."
    ))
}

/// The definition kept in a profile's record, with the monitor statuses the
/// profile's status gives it.
fn stored_definition(rec: &ResourceRec) -> Option<TrafficManagerDefinition> {
    let text = rec.state.child_text(STORED_DEFINITION)?;
    let mut def: TrafficManagerDefinition =
        xml::from_document("Definition", text.as_bytes()).ok()?;
    let enabled = profile_enabled(&rec.state);
    if let Some(policy) = &mut def.policy {
        let mut checking = false;
        for e in &mut policy.endpoints {
            let on = enabled && e.status != Some(TrafficManagerStatus::Disabled);
            checking |= on;
            e.monitor_status = Some(
                match (enabled, on) {
                    (false, _) => "Inactive",
                    (true, true) => "CheckingEndpoint",
                    (true, false) => "Disabled",
                }
                .into(),
            );
        }
        policy.monitor_status = Some(
            if checking {
                "CheckingEndpoints"
            } else {
                "Inactive"
            }
            .into(),
        );
    }
    Some(def)
}

/// Checks a new definition as the service did.
fn check_definition(body: &CreateDefinitionParameters) -> Result<(), ApiError> {
    let ttl = body.dns_options.time_to_live_in_seconds;
    if !(30..=999_999).contains(&ttl) {
        return Err(ApiError::bad_request(format!(
            "The DNS time to live {ttl} is not valid: 30 to 999999 seconds."
        )));
    }
    if body.monitors.is_empty() {
        return Err(ApiError::bad_request("A definition needs a monitor."));
    }
    let mut names = BTreeSet::new();
    for e in &body.policy.endpoints {
        if !names.insert(e.domain_name.trim().to_ascii_lowercase()) {
            return Err(ApiError::bad_request(format!(
                "The endpoint {} is given twice.",
                e.domain_name
            )));
        }
    }
    Ok(())
}

/// A new definition as the service keeps it (version 1, enabled).
fn definition_of(body: &CreateDefinitionParameters) -> TrafficManagerDefinition {
    TrafficManagerDefinition {
        dns_options: Some(body.dns_options.clone()),
        status: Some(TrafficManagerStatus::Enabled),
        version: 1,
        monitors: body
            .monitors
            .iter()
            .map(|m| TrafficManagerMonitor {
                interval_in_seconds: Some(m.interval_in_seconds),
                timeout_in_seconds: Some(m.timeout_in_seconds),
                tolerated_number_of_failures: Some(m.tolerated_number_of_failures),
                protocol: Some(m.protocol.clone()),
                port: Some(m.port),
                http_options: Some(TrafficManagerHttpOptions {
                    verb: Some("GET".into()),
                    relative_path: m.http_options.relative_path.clone(),
                    expected_status_code: Some(200),
                }),
            })
            .collect(),
        policy: Some(TrafficManagerPolicy {
            load_balancing_method: Some(body.policy.load_balancing_method.clone()),
            endpoints: body
                .policy
                .endpoints
                .iter()
                .map(|e| TrafficManagerEndpoint {
                    domain_name: e.domain_name.clone(),
                    status: Some(e.status.clone()),
                    type_: Some(
                        e.type_
                            .clone()
                            .unwrap_or(TrafficManagerEndpointType::CloudService),
                    ),
                    location: e.location.clone(),
                    monitor_status: None,
                    weight: Some(e.weight.unwrap_or(1)),
                    min_child_endpoints: e.min_child_endpoints,
                })
                .collect(),
            monitor_status: None,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_math() {
        let a = Cidr::parse("10.0.0.0/16").unwrap();
        let b = Cidr::parse("10.0.1.0/24").unwrap();
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(a.contains(b) && !b.contains(a));
        assert!(a.overlaps(b) && b.overlaps(a));
        assert!(!a.overlaps(c) && !a.contains(c));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(c));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("10.0.0/8"), None);
        assert_eq!(Cidr::parse("nonsense"), None);
    }
}

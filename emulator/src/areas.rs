//! Behaviour of the spec-v2 operations that is more than a resource (each
//! wire form proven on one real operation): the network configuration and
//! the virtual network sites derived from it (gateways live in
//! `gateways.rs`), alert rules (JSON), web spaces and the subscription list;
//! deployments and virtual machines are `compute.rs`'s. Service Bus
//! namespaces are a plain resource: the engine serves them.

use asm_runtime::xml;
use asm_runtime::TextDocument;
use azure_asm::server::ServerRequest;
use azure_asm::*;
use redb::{ReadTransaction, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, Api, ApiError, Outcome, Reply, XML_CONTENT};
use crate::locations;
use crate::store::*;

const TEXT_CONTENT: &str = "text/plain";

/// A subscription's network configuration, as set (the text is kept as sent;
/// the emulator parses it to derive the virtual network sites).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct NetworkConfigRec {
    pub text: String,
    /// Virtual network site ids, by lower-case name (stable across sets).
    pub ids: Vec<(String, String)>,
}

impl Api {
    /// Reads of the spec-v2 operations.
    pub(crate) fn read_more(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        if let Some(r) = self.gateways_read(tx, sub, req, now) {
            return r;
        }
        if let Some(r) = self.sql_read(tx, sub, req, now) {
            return r;
        }
        match req {
            ServerRequest::GetNetworkConfiguration { .. } => {
                let rec: NetworkConfigRec =
                    get(&tx.open_table(NETWORK_CONFIG)?, sub)?.ok_or_else(|| {
                        ApiError::not_found("The network configuration has not been set.")
                    })?;
                Ok(Reply::body(200, TEXT_CONTENT, rec.text))
            }
            ServerRequest::ListVirtualNetworkSites { .. } => {
                let sites = match get::<NetworkConfigRec>(&tx.open_table(NETWORK_CONFIG)?, sub)? {
                    Some(rec) => virtual_network_sites(&rec)?,
                    None => Vec::new(),
                };
                Ok(Reply::xml(
                    req,
                    &VirtualNetworkSites {
                        virtual_network_site: sites,
                    },
                ))
            }
            ServerRequest::ListAlertRules { .. } => self.read_platform(tx, sub, req, now),
            ServerRequest::ListWebSpaces { .. } => self.read_platform(tx, sub, req, now),
            ServerRequest::ListGeoRegions { .. } => Ok(Reply::xml(
                req,
                &GeoRegions {
                    geo_region: locations::all()
                        .location
                        .into_iter()
                        .enumerate()
                        .map(|(i, l)| GeoRegion {
                            description: None,
                            display_name: l.display_name.clone(),
                            name: l.name,
                            sort_order: i32::try_from(i).ok(),
                        })
                        .collect(),
                },
            )),
            ServerRequest::GetDnsSuffix { .. } => Ok(Reply::body(
                200,
                XML_CONTENT,
                xml::scalar_to_document(
                    "string",
                    "http://schemas.microsoft.com/2003/10/Serialization/",
                    &"azurewebsites.net".to_owned(),
                ),
            )),
            ServerRequest::GetWebSiteInstanceIds { web_space_name, .. } => Err(
                ApiError::not_found(format!("The web space {web_space_name} does not exist.")),
            ),
            _ => self
                .compute_read(tx, sub, req, now)
                .unwrap_or_else(|| self.images_read(tx, sub, req, now)),
        }
    }

    /// Writes of the spec-v2 operations (`request_id`: this request's
    /// `x-ms-request-id`).
    pub(crate) fn write_more(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
        request_id: &str,
    ) -> Result<Outcome, ApiError> {
        if let Some(r) = self.gateways_write(tx, sub, req, now) {
            return r;
        }
        if let Some(r) = self.sql_write(tx, sub, req, now) {
            return r;
        }
        match req {
            ServerRequest::SetNetworkConfiguration { body, .. } => {
                let config = parse_config(body)?;
                let mut table = tx.open_table(NETWORK_CONFIG)?;
                let old: Option<NetworkConfigRec> = get(&table, sub)?;
                let mut seen = std::collections::BTreeSet::new();
                let mut ids = Vec::new();
                for site in &config.virtual_network_configuration.virtual_network_sites {
                    let key = site.name.to_ascii_lowercase();
                    if !seen.insert(key.clone()) {
                        return Err(ApiError::bad_request(format!(
                            "The virtual network {} is defined twice.",
                            site.name
                        )));
                    }
                    if site.location.is_some() == site.affinity_group.is_some() {
                        return Err(ApiError::bad_request(format!(
                            "The virtual network {} needs either a Location or an AffinityGroup.",
                            site.name
                        )));
                    }
                    let id = old
                        .as_ref()
                        .and_then(|o| o.ids.iter().find(|(k, _)| *k == key))
                        .map(|(_, id)| id.clone())
                        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                    ids.push((key.into(), id));
                }
                let rec = NetworkConfigRec {
                    text: body.text().to_owned(),
                    ids,
                };
                put(&mut table, sub, &rec)?;
                Ok(self.accepted(now))
            }
            _ => self
                .compute_write(tx, sub, req, now, request_id)
                .unwrap_or_else(|| self.images_write(tx, sub, req, now)),
        }
    }

    /// Get Subscriptions (`GET /subscriptions`): every subscription whose
    /// management certificates include the caller's.
    pub(crate) fn list_subscriptions(&self, thumbprint: Option<&str>) -> Result<Reply, ApiError> {
        let Some(thumbprint) = thumbprint else {
            return Err(ApiError::new(
                403,
                "ForbiddenError",
                "The server failed to authenticate the request.",
            ));
        };
        let tx = self.store.db.begin_read()?;
        let certs = tx.open_table(RESOURCES)?;
        let subs = scan::<SubscriptionRec>(&tx.open_table(SUBSCRIPTIONS)?, "")?;
        let mut out = Vec::new();
        for (_, s) in subs {
            if certs
                .get(crate::hooks::certificate_key(&s.id, thumbprint).as_str())?
                .is_some()
            {
                out.push(SubscriptionListEntry {
                    subscription_id: s.id.as_str().into(),
                    subscription_name: Some(s.name.as_str().into()),
                    subscription_status: Some(SubscriptionStatus::Active),
                    max_hosted_services: Some(self.quotas.max_hosted_services),
                    max_storage_accounts: Some(self.quotas.max_storage_accounts),
                    created_time: Some(datetime(s.created_ms)),
                    ..Default::default()
                });
            }
        }
        Ok(Reply::body(
            200,
            XML_CONTENT,
            xml::to_document("Subscriptions", &Subscriptions { subscription: out }),
        ))
    }
}
pub(crate) fn parse_config(
    doc: &TextDocument<NetworkConfiguration>,
) -> Result<NetworkConfiguration, ApiError> {
    doc.parse()
        .map_err(|e| ApiError::bad_request(format!("The network configuration is not valid: {e}")))
}

/// The virtual network sites of a configuration, as List Virtual Network
/// Sites reports them.
pub(crate) fn virtual_network_sites(
    rec: &NetworkConfigRec,
) -> Result<Vec<VirtualNetworkSite>, ApiError> {
    let config = parse_config(&TextDocument::from_text(rec.text.clone()))?;
    Ok(config
        .virtual_network_configuration
        .virtual_network_sites
        .iter()
        .map(|s| VirtualNetworkSite {
            name: s.name.clone(),
            id: rec
                .ids
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(&s.name))
                .map(|(_, id)| id.clone())
                .unwrap_or_default()
                .into(),
            affinity_group: s.affinity_group.clone(),
            location: s.location.clone(),
            state: VirtualNetworkState::Created,
            address_space: Some(AddressSpace {
                address_prefixes: s.address_space.address_prefix.clone(),
            }),
            subnets: s
                .subnets
                .iter()
                .map(|n| Subnet {
                    name: n.name.clone(),
                    address_prefix: n.address_prefix.clone(),
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        })
        .collect())
}

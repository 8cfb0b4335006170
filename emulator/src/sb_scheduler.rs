//! Service Bus and Scheduler operations beyond the generic engine: the
//! Service Bus regions (a static list), connection details (connection
//! strings built from the authorization rules of the namespace or entity),
//! the metrics of queues, topics, notification hubs and relays
//! (deterministic synthetic values); the scheduler resource provider
//! (registration and properties), subscription entitlements, the state of
//! all jobs of a collection at once and job history (runs derived from each
//! job's start time and recurrence, so the same job at the same time always
//! has the same history).
//!
//! Records of its own live in the `platform` table, keyed
//! `SchedulerProvider/{subscription}` and
//! `Entitlement/{subscription}/{namespace}/{type}`.

use asm_runtime::atom::{feed_to_document, Entry, Feed};
use asm_runtime::json;
use asm_runtime::xml::ToXml;
use azure_asm::server::ServerRequest;
use azure_asm::*;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, Api, ApiError, Outcome, Reply};
use crate::engine::{list_prefix, not_implemented, record_key, Elem, ResourceRec};
use crate::platform::{job_prefix, low, unit_noise, JobRec, ResourcesTx};
use crate::store::*;

const JSON_CONTENT: &str = "application/json; charset=utf-8";
const FEED_CONTENT: &str = "application/atom+xml;type=feed;charset=utf-8";

/// The regions Service Bus namespaces can be created in: (code, full name).
const SB_REGIONS: [(&str, &str); 12] = [
    ("Central US", "Central US"),
    ("East US", "East US"),
    ("East US 2", "East US 2"),
    ("North Central US", "North Central US"),
    ("South Central US", "South Central US"),
    ("West US", "West US"),
    ("North Europe", "North Europe"),
    ("West Europe", "West Europe"),
    ("East Asia", "East Asia"),
    ("Southeast Asia", "Southeast Asia"),
    ("Japan East", "Japan East"),
    ("Japan West", "Japan West"),
];

/// A metric of a Service Bus entity: (name, display name, unit, primary
/// aggregation, typical value, spread).
type SbMetric = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    f64,
    f64,
);

const QUEUE_METRICS: [SbMetric; 5] = [
    ("size", "Size", "Bytes", "Max", 20_000.0, 15_000.0),
    (
        "incoming",
        "Incoming Messages",
        "Count",
        "Total",
        120.0,
        100.0,
    ),
    (
        "outgoing",
        "Outgoing Messages",
        "Count",
        "Total",
        110.0,
        100.0,
    ),
    ("length", "Length", "Count", "Max", 30.0, 25.0),
    (
        "requests.total",
        "Total Requests",
        "Count",
        "Total",
        300.0,
        200.0,
    ),
];

const HUB_METRICS: [SbMetric; 4] = [
    (
        "incoming",
        "Incoming Messages",
        "Count",
        "Total",
        50.0,
        40.0,
    ),
    (
        "outgoing.allpns.success",
        "Successful Notifications",
        "Count",
        "Total",
        45.0,
        40.0,
    ),
    (
        "outgoing.allpns.invalidpayload",
        "Payload Errors",
        "Count",
        "Total",
        2.0,
        2.0,
    ),
    (
        "registration.all",
        "Registration Operations",
        "Count",
        "Total",
        20.0,
        15.0,
    ),
];

const RELAY_METRICS: [SbMetric; 4] = [
    (
        "listeners.active",
        "Active Listeners",
        "Count",
        "Max",
        3.0,
        3.0,
    ),
    (
        "messages.sent",
        "Sent Messages",
        "Count",
        "Total",
        80.0,
        60.0,
    ),
    (
        "bytes.sent",
        "Sent Bytes",
        "Bytes",
        "Total",
        40_000.0,
        30_000.0,
    ),
    (
        "connections.opened",
        "Opened Connections",
        "Count",
        "Total",
        10.0,
        8.0,
    ),
];

/// Rollups of every metric: (time grain, retention, grain in seconds).
const SB_ROLLUPS: [(&str, &str, i64); 4] = [
    ("PT5M", "P1D", 300),
    ("PT1H", "P7D", 3_600),
    ("P1D", "P90D", 86_400),
    ("P7D", "P90D", 604_800),
];

/// How many values a Values read returns: the most recent complete grains.
const SB_VALUES: i64 = 12;

/// The scheduler plans and their quotas (what the provider's properties list).
const PLANS: [(&str, i32, i32, &str); 3] = [
    // (plan, max jobs, max occurrence, most frequent recurrence)
    ("Free", 5, 0, "Hour:1"),
    ("Standard", 50, 0, "Minute:1"),
    ("Premium", 10_000, 0, "Minute:1"),
];

/// The subscription's registration of the scheduler resource provider.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct ProviderRec {
    registered: bool,
    changed_ms: Millis,
}

/// An entitlement of the subscription to a resource type.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct EntitlementRec {
    namespace: String,
    resource_type: String,
    registration_date: DateTime,
    requested_ms: Millis,
}

#[derive(Clone, Copy)]
enum Entity {
    Queue,
    Topic,
    Hub,
    Relay,
}

impl Entity {
    fn resource(self) -> &'static str {
        match self {
            Entity::Queue => "ServiceBusQueue",
            Entity::Topic => "ServiceBusTopic",
            Entity::Hub => "ServiceBusNotificationHub",
            Entity::Relay => "ServiceBusRelay",
        }
    }
    fn what(self) -> &'static str {
        match self {
            Entity::Queue => "queue",
            Entity::Topic => "topic",
            Entity::Hub => "notification hub",
            Entity::Relay => "relay",
        }
    }
    fn metrics(self) -> &'static [SbMetric] {
        match self {
            Entity::Queue | Entity::Topic => &QUEUE_METRICS,
            Entity::Hub => &HUB_METRICS,
            Entity::Relay => &RELAY_METRICS,
        }
    }
}

/// An Atom feed answer with the operation's content root and namespace.
fn feed_reply<T: ToXml>(req: &ServerRequest, title: &str, contents: Vec<T>) -> Reply {
    feed_of(req, title, contents.into_iter().map(Entry::new).collect())
}

/// [`feed_reply`] with a title on each entry.
fn feed_reply_titled<T: ToXml>(
    req: &ServerRequest,
    title: &str,
    entries: Vec<(String, T)>,
) -> Reply {
    let entries = entries
        .into_iter()
        .map(|(t, c)| Entry {
            title: Some(t),
            ..Entry::new(c)
        })
        .collect();
    feed_of(req, title, entries)
}

fn feed_of<T: ToXml>(req: &ServerRequest, title: &str, entries: Vec<Entry<T>>) -> Reply {
    let spec = req.spec();
    let root = spec.response_root.unwrap_or("Response");
    let ns = spec
        .response_namespace
        .unwrap_or(asm_runtime::xml::NAMESPACE);
    let feed = Feed {
        id: None,
        title: Some(title.to_owned()),
        updated: None,
        links: Vec::new(),
        entries,
    };
    Reply::body(200, FEED_CONTENT, feed_to_document(root, ns, &feed))
}

fn json_reply(body: String) -> Reply {
    Reply::body(200, JSON_CONTENT, body)
}

/// The rights listed under `Rights` of a rule.
fn rights_of(rule: &Elem) -> Vec<AccessRights> {
    rule.child("Rights")
        .map(|r| {
            r.children
                .iter()
                .map(|c| AccessRights::from(c.text.trim()))
                .collect()
        })
        .unwrap_or_default()
}

/// The connection details of the rules `rules` on `namespace` (and the
/// entity path, for an entity's rules).
fn connection_details(
    namespace: &str,
    entity: Option<&str>,
    rules: &[&Elem],
) -> Vec<(String, ConnectionDetail)> {
    let conn = |name: &str, key: &str| {
        let mut s = format!(
            "Endpoint=sb://{namespace}.servicebus.windows.net/;SharedAccessKeyName={name};SharedAccessKey={key}"
        );
        if let Some(e) = entity {
            s.push_str(&format!(";EntityPath={e}"));
        }
        s
    };
    rules
        .iter()
        .filter_map(|rule| {
            let name = rule.child_text("KeyName")?.to_owned();
            let primary = rule.child_text("PrimaryKey").unwrap_or_default();
            let secondary = rule.child_text("SecondaryKey").unwrap_or_default();
            Some((
                name.clone(),
                ConnectionDetail {
                    key_name: Some(name.as_str().into()),
                    connection_string: Some(conn(&name, primary).into()),
                    authorization_type: Some("SharedAccessAuthorization".into()),
                    rights: rights_of(rule),
                    secondary_connection_string: ((!secondary.is_empty())
                        .then(|| conn(&name, secondary)))
                    .map(Into::into),
                },
            ))
        })
        .collect()
}

impl Api {
    /// The live engine record of `resource` (parents outermost first).
    #[allow(clippy::too_many_arguments)]
    fn sb_record(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        resource: &str,
        sub: &str,
        parents: &[String],
        name: &str,
        what: &str,
        now: Millis,
    ) -> Result<ResourceRec, ApiError> {
        let r = self
            .engine
            .spec
            .find_resource(resource)
            .ok_or_else(|| not_implemented(resource))?;
        get::<ResourceRec>(table, &record_key(r, sub, parents, name))?
            .filter(|x| x.subscription == sub && exists(&x.pending, now))
            .ok_or_else(|| ApiError::not_found(format!("The {what} {name} does not exist.")))
    }

    fn sb_namespace(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        namespace: &str,
        now: Millis,
    ) -> Result<ResourceRec, ApiError> {
        self.sb_record(
            table,
            "ServiceBusNamespace",
            sub,
            &[],
            namespace,
            "namespace",
            now,
        )
    }

    fn sb_entity(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        namespace: &str,
        entity: Entity,
        name: &str,
        now: Millis,
    ) -> Result<ResourceRec, ApiError> {
        let ns = self.sb_namespace(table, sub, namespace, now)?;
        self.sb_record(
            table,
            entity.resource(),
            sub,
            std::slice::from_ref(&ns.name),
            name,
            entity.what(),
            now,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn entity_details(
        &self,
        req: &ServerRequest,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        namespace: &str,
        entity: Entity,
        name: &str,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        let rec = self.sb_entity(table, sub, namespace, entity, name, now)?;
        let rules: Vec<&Elem> = rec
            .state
            .child("AuthorizationRules")
            .map(|r| r.children.iter().collect())
            .unwrap_or_default();
        let details = connection_details(&rec.parents[0], Some(&rec.name), &rules);
        Ok(feed_reply_titled(req, "ConnectionDetails", details))
    }

    #[allow(clippy::too_many_arguments)]
    fn entity_metrics(
        &self,
        req: &ServerRequest,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        namespace: &str,
        entity: Entity,
        name: &str,
        metric: Option<&str>,
        rollup: Option<&str>,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        let rec = self.sb_entity(table, sub, namespace, entity, name, now)?;
        let Some(metric) = metric else {
            let list = entity
                .metrics()
                .iter()
                .map(|(n, d, u, a, _, _)| {
                    (
                        (*n).to_owned(),
                        MetricProperties {
                            name: Some((*n).into()),
                            primary_aggregation: Some((*a).into()),
                            unit: Some((*u).into()),
                            display_name: Some((*d).into()),
                        },
                    )
                })
                .collect();
            return Ok(feed_reply_titled(req, "Metrics", list));
        };
        let m = entity
            .metrics()
            .iter()
            .find(|m| m.0.eq_ignore_ascii_case(metric))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "The metric {metric} is not supported for a {}.",
                    entity.what()
                ))
            })?;
        let Some(rollup) = rollup else {
            let list = SB_ROLLUPS
                .iter()
                .map(|(g, r, _)| MetricRollups {
                    time_grain: Some((*g).into()),
                    retention: Some((*r).into()),
                })
                .collect();
            return Ok(feed_reply(req, "Rollups", list));
        };
        let (_, _, secs) = SB_ROLLUPS
            .iter()
            .find(|r| r.0.eq_ignore_ascii_case(rollup))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "The rollup {rollup} does not exist for the metric {}.",
                    m.0
                ))
            })?;
        let (_, _, _, _, typical, spread) = *m;
        let resource = format!("{}/{}/{}", rec.parents[0], entity.what(), rec.name);
        let end = (now / 1000).div_euclid(*secs) * secs;
        let values = (1..=SB_VALUES)
            .rev()
            .map(|i| {
                let t = end - i * secs;
                let noise = |salt| unit_noise(&resource, m.0, t, salt);
                let avg = (typical + spread * (noise(1) - 0.5) * 2.0).max(0.0);
                let lo = (avg - spread * noise(2) * 0.5).max(0.0);
                let hi = avg + spread * noise(3) * 0.5;
                let per = (*secs / 300).max(1) as f64;
                MetricValues {
                    timestamp: Some(datetime(t * 1000)),
                    min: Some(lo.floor() as i64),
                    max: Some(hi.ceil() as i64),
                    average: Some((avg * 100.0).round() / 100.0),
                    total: Some((avg * per).round() as i64),
                }
            })
            .collect();
        Ok(feed_reply(req, "Values", values))
    }

    /// Reads served here; anything else is not implemented.
    pub(crate) fn read_sb_scheduler(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        use Entity::*;
        let res = || tx.open_table(RESOURCES);
        match req {
            ServerRequest::GetServiceBusRegions { .. } => {
                let list = SB_REGIONS
                    .iter()
                    .map(|(c, f)| RegionCodeDescription {
                        code: (*c).into(),
                        full_name: Some((*f).into()),
                    })
                    .collect();
                Ok(feed_reply(req, "Regions", list))
            }
            ServerRequest::GetNamespaceConnectionDetails { namespace_name, .. } => {
                let table = res()?;
                let ns = self.sb_namespace(&table, sub, namespace_name, now)?;
                let r = self
                    .engine
                    .spec
                    .find_resource("ServiceBusAuthorizationRule")
                    .ok_or_else(|| not_implemented("ServiceBusAuthorizationRule"))?;
                let rules: Vec<ResourceRec> = scan::<ResourceRec>(
                    &table,
                    &list_prefix(r, sub, std::slice::from_ref(&ns.name)),
                )?
                .into_iter()
                .map(|(_, rec)| rec)
                .filter(|rec| rec.subscription == sub && exists(&rec.pending, now))
                .collect();
                let elems: Vec<&Elem> = rules.iter().map(|r| &r.state).collect();
                let details = connection_details(&ns.name, None, &elems);
                Ok(feed_reply_titled(req, "ConnectionDetails", details))
            }
            ServerRequest::GetQueueConnectionDetails {
                namespace_name,
                queue_name,
                ..
            } => self.entity_details(req, &res()?, sub, namespace_name, Queue, queue_name, now),
            ServerRequest::GetTopicConnectionDetails {
                namespace_name,
                topic_name,
                ..
            } => self.entity_details(req, &res()?, sub, namespace_name, Topic, topic_name, now),
            ServerRequest::GetNotificationHubConnectionDetails {
                namespace_name,
                notification_hub_name,
                ..
            } => self.entity_details(
                req,
                &res()?,
                sub,
                namespace_name,
                Hub,
                notification_hub_name,
                now,
            ),
            ServerRequest::GetRelayConnectionDetails {
                namespace_name,
                relay_name,
                ..
            } => self.entity_details(req, &res()?, sub, namespace_name, Relay, relay_name, now),
            ServerRequest::GetSupportedMetricsQueue {
                namespace_name,
                queue_name,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Queue,
                queue_name,
                None,
                None,
                now,
            ),
            ServerRequest::GetMetricsRollupsQueue {
                namespace_name,
                queue_name,
                metric,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Queue,
                queue_name,
                Some(metric),
                None,
                now,
            ),
            ServerRequest::GetMetricsDataQueue {
                namespace_name,
                queue_name,
                metric,
                rollup,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Queue,
                queue_name,
                Some(metric),
                Some(rollup),
                now,
            ),
            ServerRequest::GetSupportedMetricsTopic {
                namespace_name,
                topic_name,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Topic,
                topic_name,
                None,
                None,
                now,
            ),
            ServerRequest::GetMetricsRollupsTopic {
                namespace_name,
                topic_name,
                metric,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Topic,
                topic_name,
                Some(metric),
                None,
                now,
            ),
            ServerRequest::GetMetricsDataTopic {
                namespace_name,
                topic_name,
                metric,
                rollup,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Topic,
                topic_name,
                Some(metric),
                Some(rollup),
                now,
            ),
            ServerRequest::GetSupportedMetricsNotificationHub {
                namespace_name,
                hub_name,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Hub,
                hub_name,
                None,
                None,
                now,
            ),
            ServerRequest::GetMetricsRollupsNotificationHub {
                namespace_name,
                hub_name,
                metric,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Hub,
                hub_name,
                Some(metric),
                None,
                now,
            ),
            ServerRequest::GetMetricsDataNotificationHub {
                namespace_name,
                hub_name,
                metric,
                rollup,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Hub,
                hub_name,
                Some(metric),
                Some(rollup),
                now,
            ),
            ServerRequest::GetSupportedMetricsRelay {
                namespace_name,
                relay_name,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Relay,
                relay_name,
                None,
                None,
                now,
            ),
            ServerRequest::GetMetricsRollupsRelay {
                namespace_name,
                relay_name,
                metric,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Relay,
                relay_name,
                Some(metric),
                None,
                now,
            ),
            ServerRequest::GetMetricsDataRelay {
                namespace_name,
                relay_name,
                metric,
                rollup,
                ..
            } => self.entity_metrics(
                req,
                &res()?,
                sub,
                namespace_name,
                Relay,
                relay_name,
                Some(metric),
                Some(rollup),
                now,
            ),
            ServerRequest::GetSchedulerResourceProviderProperties { .. } => {
                let mut props = vec![ResourceProviderProperty {
                    key: Some("plans".into()),
                    value: Some(
                        PLANS
                            .iter()
                            .map(|p| p.0)
                            .collect::<Vec<_>>()
                            .join(",")
                            .into(),
                    ),
                }];
                for (plan, jobs, occ, rec) in PLANS {
                    let p = plan.to_ascii_lowercase();
                    props.push(ResourceProviderProperty {
                        key: Some(format!("{p}:MaxJobCount").into()),
                        value: Some(jobs.to_string().into()),
                    });
                    props.push(ResourceProviderProperty {
                        key: Some(format!("{p}:MaxJobOccurrence").into()),
                        value: Some(occ.to_string().into()),
                    });
                    props.push(ResourceProviderProperty {
                        key: Some(format!("{p}:MaxRecurrence").into()),
                        value: Some(rec.into()),
                    });
                }
                let registered = get::<ProviderRec>(
                    &tx.open_table(PLATFORM)?,
                    &format!("SchedulerProvider/{sub}"),
                )?
                .is_some_and(|p| p.registered);
                props.push(ResourceProviderProperty {
                    key: Some("registered".into()),
                    value: Some(registered.to_string().into()),
                });
                Ok(Reply::xml(
                    req,
                    &ResourceProviderProperties {
                        resource_provider_property: props,
                    },
                ))
            }
            ServerRequest::GetJobHistory {
                cloud_service_name,
                job_collection_name,
                job_id,
                options,
                ..
            } => {
                job_collection_exists(tx, sub, cloud_service_name, job_collection_name, now)?;
                let rec: JobRec = get(
                    &tx.open_table(PLATFORM)?,
                    &format!(
                        "{}{}",
                        job_prefix(sub, cloud_service_name, job_collection_name),
                        low(job_id)
                    ),
                )?
                .ok_or_else(|| ApiError::not_found(format!("The job {job_id} does not exist.")))?;
                let mut entries = job_history(&rec, now);
                if let Some(filter) = &options.filter {
                    let want = filter
                        .trim()
                        .strip_prefix("status eq ")
                        .map(|s| s.trim().trim_matches('\'').to_owned())
                        .ok_or_else(|| {
                            ApiError::bad_request(format!("The filter {filter} is not supported."))
                        })?;
                    entries.retain(|e| {
                        e.status
                            .as_ref()
                            .is_some_and(|s| s.as_str().eq_ignore_ascii_case(&want))
                    });
                }
                let skip = options.skip.unwrap_or(0).max(0) as usize;
                let top = options.top.map(|t| t.max(0) as usize).unwrap_or(usize::MAX);
                let page: Vec<JobHistoryEntry> = entries.into_iter().skip(skip).take(top).collect();
                Ok(json_reply(json::to_json(&page)))
            }
            ServerRequest::GetEffectiveRouteTableForRoleInstance {
                service_name,
                deployment_name,
                roleinstance_name,
                ..
            } => {
                let t = self.effective_routes(
                    tx,
                    sub,
                    service_name,
                    deployment_name,
                    roleinstance_name,
                    None,
                    now,
                )?;
                Ok(Reply::xml(req, &t))
            }
            ServerRequest::GetEffectiveRouteTableForNetworkInterface {
                service_name,
                deployment_name,
                roleinstance_name,
                network_interface_name,
                ..
            } => {
                let t = self.effective_routes(
                    tx,
                    sub,
                    service_name,
                    deployment_name,
                    roleinstance_name,
                    Some(network_interface_name),
                    now,
                )?;
                Ok(Reply::xml(req, &t))
            }
            _ => Err(not_implemented(req.spec().name)),
        }
    }

    /// The routes in effect for a role instance (its primary network
    /// interface, or the interface `nic`): the system routes of its virtual
    /// network, then the user routes of the route table associated with its
    /// subnet; a user route replaces the system route of the same prefix
    /// (which stays listed as Invalid).
    #[allow(clippy::too_many_arguments)]
    fn effective_routes(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        service: &str,
        deployment: &str,
        instance: &str,
        nic: Option<&str>,
        now: Millis,
    ) -> Result<EffectiveRouteTable, ApiError> {
        let resources = tx.open_table(RESOURCES)?;
        let dep = self.deployment_wire(&resources, sub, service, deployment, now)?;
        let inst = dep
            .role_instance_list
            .iter()
            .find(|i| i.instance_name.eq_ignore_ascii_case(instance))
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "The role instance {instance} does not exist in deployment {}.",
                    dep.name
                ))
            })?;
        let net = dep
            .role_list
            .iter()
            .find(|r| r.role_name.eq_ignore_ascii_case(&inst.role_name))
            .and_then(|r| {
                r.configuration_sets
                    .iter()
                    .find(|c| c.configuration_set_type.as_str() == "NetworkConfiguration")
            });
        let subnet: Option<String> = match nic {
            Some(nic) => {
                let iface = net
                    .and_then(|n| {
                        n.network_interfaces
                            .iter()
                            .find(|i| i.name.eq_ignore_ascii_case(nic))
                    })
                    .ok_or_else(|| {
                        ApiError::not_found(format!(
                            "The network interface {nic} does not exist on role instance {}.",
                            inst.instance_name
                        ))
                    })?;
                (iface
                    .ip_configurations
                    .iter()
                    .find_map(|c| c.subnet_name.clone()))
                .map(Into::into)
            }
            None => (net.and_then(|n| n.subnet_names.first().cloned())).map(Into::into),
        };
        let route =
            |name: Option<String>, source: &str, prefix: &str, hop: &str, ip: Option<String>| {
                EffectiveRoute {
                    name: name.map(Into::into),
                    source: Some(source.into()),
                    status: Some("Active".into()),
                    address_prefixes: vec![prefix.into()],
                    effective_next_hop: Some(EffectiveNextHop {
                        type_: Some(hop.into()),
                        ip_addresses: ip.into_iter().map(Into::into).collect(),
                    }),
                }
            };
        let mut routes: Vec<EffectiveRoute> = Vec::new();
        let mut table_name = None;
        if let Some(vnet) = dep
            .virtual_network_name
            .as_deref()
            .filter(|v| !v.is_empty())
        {
            let (prefixes, table) = self.vnet_routing(tx, sub, vnet, subnet.as_deref())?;
            for p in &prefixes {
                routes.push(route(None, "Default", p, "VNETLocal", None));
            }
            table_name = table;
        }
        routes.push(route(None, "Default", "0.0.0.0/0", "Internet", None));
        for p in [
            "10.0.0.0/8",
            "172.16.0.0/12",
            "192.168.0.0/16",
            "100.64.0.0/10",
        ] {
            routes.push(route(None, "Default", p, "Null", None));
        }
        if let Some(table) = table_name {
            let r = self
                .engine
                .spec
                .find_resource("Route")
                .ok_or_else(|| not_implemented("Route"))?;
            let mut user: Vec<ResourceRec> = scan::<ResourceRec>(
                &resources,
                &list_prefix(r, sub, std::slice::from_ref(&table)),
            )?
            .into_iter()
            .map(|(_, rec)| rec)
            .filter(|rec| rec.subscription == sub && exists(&rec.pending, now))
            .collect();
            user.sort_by_key(|u| u.name.to_ascii_lowercase());
            for u in user {
                let Some(prefix) = u.state.child_text("AddressPrefix").map(str::to_owned) else {
                    continue;
                };
                let hop = u.state.child("NextHopType");
                let ty = hop
                    .and_then(|h| h.child_text("Type"))
                    .unwrap_or("None")
                    .to_owned();
                let ip = hop
                    .and_then(|h| h.child_text("IpAddress"))
                    .filter(|i| !i.is_empty())
                    .map(str::to_owned);
                for sys in routes.iter_mut().filter(|x| {
                    x.source.as_deref() == Some("Default") && x.address_prefixes == [prefix.clone()]
                }) {
                    sys.status = Some("Invalid".into());
                }
                routes.push(route(Some(u.name.clone()), "User", &prefix, &ty, ip));
            }
        }
        Ok(EffectiveRouteTable {
            effective_route_list: routes,
        })
    }

    /// Writes served here; anything else is not implemented.
    pub(crate) fn write_sb_scheduler(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        match req {
            ServerRequest::RegisterSchedulerResourceProvider { .. }
            | ServerRequest::UnregisterSchedulerResourceProvider { .. } => {
                let register =
                    matches!(req, ServerRequest::RegisterSchedulerResourceProvider { .. });
                let mut table = tx.open_table(PLATFORM)?;
                let key = format!("SchedulerProvider/{sub}");
                let was = get::<ProviderRec>(&table, &key)?.is_some_and(|p| p.registered);
                if !register && !was {
                    return Err(ApiError::bad_request(
                        "The resource provider scheduler.JobCollections is not registered with the subscription.",
                    ));
                }
                if !register {
                    let r = self
                        .engine
                        .spec
                        .find_resource("JobCollection")
                        .ok_or_else(|| not_implemented("JobCollection"))?;
                    let prefix = format!("{}/{sub}/", r.name);
                    let any = scan::<ResourceRec>(&tx.open_table(RESOURCES)?, &prefix)?
                        .into_iter()
                        .any(|(_, rec)| exists(&rec.pending, now));
                    if any {
                        return Err(ApiError::conflict(
                            "The resource provider scheduler.JobCollections cannot be unregistered while the subscription has job collections.",
                        ));
                    }
                }
                put(
                    &mut table,
                    &key,
                    &ProviderRec {
                        registered: register,
                        changed_ms: now,
                    },
                )?;
                Ok(Outcome {
                    reply: Reply::empty(200),
                    completion: None,
                })
            }
            ServerRequest::EntitleResource { body, .. } => {
                let ns = body.resource_provider_name_space.trim();
                let ty = body.type_.trim();
                if ns.is_empty() || ty.is_empty() {
                    return Err(ApiError::bad_request(
                        "ResourceProviderNameSpace and Type are required.",
                    ));
                }
                let mut table = tx.open_table(PLATFORM)?;
                put(
                    &mut table,
                    &format!("Entitlement/{sub}/{}/{}", low(ns), low(ty)),
                    &EntitlementRec {
                        namespace: ns.to_owned(),
                        resource_type: ty.to_owned(),
                        registration_date: body.registration_date,
                        requested_ms: now,
                    },
                )?;
                let until = now + self.async_delay_ms;
                Ok(Outcome {
                    reply: Reply::empty(202),
                    completion: Some((until, None)),
                })
            }
            ServerRequest::UpdateJobCollectionJobsState {
                cloud_service_name,
                job_collection_name,
                body,
                ..
            } => {
                job_collection_exists(tx, sub, cloud_service_name, job_collection_name, now)?;
                if !matches!(body.state, JobState::Enabled | JobState::Disabled) {
                    return Err(ApiError::bad_request(format!(
                        "The state {} cannot be set: only Enabled or Disabled.",
                        body.state.as_str()
                    )));
                }
                let prefix = job_prefix(sub, cloud_service_name, job_collection_name);
                let mut table = tx.open_table(PLATFORM)?;
                let mut jobs: Vec<(String, JobRec)> = scan::<JobRec>(&table, &prefix)?;
                jobs.sort_by_key(|(_, j)| j.created_ms);
                for (key, job) in &mut jobs {
                    job.job.state = Some(body.state.clone());
                    put(&mut table, key, &*job)?;
                }
                let list: Vec<Job> = jobs.into_iter().map(|(_, j)| j.job).collect();
                Ok(Outcome {
                    reply: json_reply(json::to_json(&list)),
                    completion: None,
                })
            }
            _ => Err(not_implemented(req.spec().name)),
        }
    }
}

fn job_collection_exists<T: ResourcesTx>(
    tx: &T,
    sub: &str,
    cloud_service: &str,
    collection: &str,
    now: Millis,
) -> Result<(), ApiError> {
    if tx
        .resource(
            &format!("SchedulerCloudService/{sub}/{}", low(cloud_service)),
            now,
        )?
        .is_none()
    {
        return Err(ApiError::not_found(format!(
            "The cloud service {cloud_service} does not exist."
        )));
    }
    if tx
        .resource(
            &format!(
                "JobCollection/{sub}/{}/{}",
                low(cloud_service),
                low(collection)
            ),
            now,
        )?
        .is_none()
    {
        return Err(ApiError::not_found(format!(
            "The job collection {collection} does not exist."
        )));
    }
    Ok(())
}

/// Seconds of one recurrence step.
fn step_seconds(freq: &RecurrenceFrequency, interval: i32) -> i64 {
    let unit = match freq {
        RecurrenceFrequency::Minute => 60,
        RecurrenceFrequency::Hour => 3_600,
        RecurrenceFrequency::Day => 86_400,
        RecurrenceFrequency::Week => 604_800,
        RecurrenceFrequency::Month => 30 * 86_400,
        _ => 86_400,
    };
    unit * i64::from(interval.max(1))
}

/// Most history entries kept for a job.
const MAX_HISTORY: usize = 100;

/// The runs of a job up to `now`, newest first: one at the start time, then
/// one per recurrence step while the count and end time allow. Every run of
/// an HTTP(S) or queue action completes.
fn job_history(rec: &JobRec, now: Millis) -> Vec<JobHistoryEntry> {
    let job = &rec.job;
    let Some(start) = job.start_time else {
        return Vec::new();
    };
    let start_s = start.0.unix_timestamp();
    let now_s = now / 1000;
    let (step, count, end) = match &job.recurrence {
        Some(r) => (
            r.frequency
                .as_ref()
                .map(|f| step_seconds(f, r.interval.unwrap_or(1))),
            r.count.map(|c| i64::from(c.max(0))),
            r.end_time.map(|e| e.0.unix_timestamp()),
        ),
        None => (None, Some(1), None),
    };
    // How many runs have happened by now (the last one bounded by the
    // count and the end time), computed rather than walked: a job started
    // long ago with a short recurrence costs no more than a new one.
    let limit = end.map_or(now_s, |e| e.min(now_s));
    let total: i64 = if start_s > limit {
        0
    } else {
        match step {
            Some(s) => ((limit - start_s) / s).saturating_add(1),
            None => 1,
        }
    };
    let total = count.map_or(total, |c| total.min(c));
    let first = (total - MAX_HISTORY as i64).max(0);
    let runs: Vec<i64> = (first..total)
        .map(|k| start_s.saturating_add(k.saturating_mul(step.unwrap_or(0))))
        .collect();
    let k = total;
    let id = job.id.clone().unwrap_or_default();
    let target = job
        .action
        .as_ref()
        .map(|a| match a.type_ {
            JobActionType::StorageQueue => "Storage Queue Action - The message was successfully sent to the queue.".to_owned(),
            _ => {
                let host = a
                    .request
                    .as_ref()
                    .map(|r| r.uri.clone())
                    .unwrap_or_default();
                format!("Http Action - Response from host '{host}': 'OK' Response Headers: Cache-Control: private")
            }
        })
        .unwrap_or_default();
    let first_index = k - runs.len() as i64;
    runs.iter()
        .enumerate()
        .rev()
        .map(|(i, t)| {
            let ms = t * 1000;
            JobHistoryEntry {
                job_id: Some(id.clone()),
                timestamp: Some(datetime(ms + 1_500)),
                start_time: Some(datetime(ms)),
                end_time: Some(datetime(ms + 1_500)),
                state: Some(JobState::Enabled),
                message: Some(target.as_str().into()),
                status: Some(JobHistoryStatus::Completed),
                action_name: Some(JobHistoryActionName::MainAction),
                repeat_count: i32::try_from(first_index + i as i64 + 1).ok(),
                retry_count: Some(0),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(start_s: i64, recurrence: Option<JobRecurrence>) -> JobRec {
        JobRec {
            job: Job {
                id: Some("j".into()),
                start_time: DateTime::from_unix(start_s),
                recurrence,
                ..Default::default()
            },
            created_ms: 0,
        }
    }

    fn hourly(count: Option<i32>, end_s: Option<i64>) -> Option<JobRecurrence> {
        Some(JobRecurrence {
            frequency: Some(RecurrenceFrequency::Hour),
            interval: Some(1),
            count,
            end_time: end_s.and_then(DateTime::from_unix),
            ..Default::default()
        })
    }

    #[test]
    fn history_is_bounded_by_now_count_end_and_size() {
        let now = 1_000_000 * 1000;
        let start = 1_000_000 - 10 * 3600;
        assert_eq!(job_history(&rec(start, hourly(None, None)), now).len(), 11);
        assert_eq!(
            job_history(&rec(start, hourly(Some(4), None)), now).len(),
            4
        );
        assert!(job_history(&rec(start, hourly(Some(0), None)), now).is_empty());
        let end = start + 2 * 3600;
        assert_eq!(
            job_history(&rec(start, hourly(None, Some(end))), now).len(),
            3
        );
        // Newest first, numbered from the first run.
        let h = job_history(&rec(start, hourly(None, None)), now);
        assert_eq!(h[0].repeat_count, Some(11));
        assert_eq!(h[10].repeat_count, Some(1));
        // A long-running job keeps its latest runs only.
        let old = 1_000_000 - 1000 * 3600;
        let h = job_history(&rec(old, hourly(None, None)), now);
        assert_eq!(h.len(), MAX_HISTORY);
        assert_eq!(h[0].repeat_count, Some(1001));
        assert_eq!(h, job_history(&rec(old, hourly(None, None)), now));
        // Not started yet.
        assert!(job_history(&rec(2_000_000, None), now).is_empty());
    }
}

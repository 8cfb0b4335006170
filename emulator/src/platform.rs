//! Platform services beyond the generic engine: Store add-ons in cloud
//! services (their URIs put the add-on's provider namespace and type
//! between the cloud service and the name, which are not parent keys),
//! scheduler jobs and monitoring (alert rules and incidents, autoscale
//! settings, metrics: JSON bodies), HDInsight clusters (raw text creates),
//! web site slot swaps (polled with Get Web Site Operation), restarts,
//! publish profiles and the implicit web spaces.
//!
//! Records live in the `platform` table, keyed
//! `{kind}/{subscription}/{lower-case names...}`.

use asm_runtime::json;
use azure_asm::server::ServerRequest;
use azure_asm::*;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, Api, ApiError, Outcome, Reply};
use crate::engine::{Elem, ResourceRec};
use crate::store::*;

const JSON_CONTENT: &str = "application/json; charset=utf-8";

/// A Store add-on of a cloud service.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct StoreAddOnRec {
    pub cloud_service: String,
    /// The resource provider namespace (the create's `Type`).
    pub namespace: String,
    /// The resource type (the create URI's `resourceName`).
    pub resource_type: String,
    pub name: String,
    pub plan: String,
    pub promotion_code: Option<String>,
    pub etag: String,
    /// The last operation on it: Create, Update or Delete.
    pub operation: String,
    /// When that operation completes.
    pub until_ms: Millis,
}

/// A scheduler job.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct JobRec {
    pub job: Job,
    pub created_ms: Millis,
}

/// A metric setting of a resource in a namespace.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct MetricSettingRec {
    pub setting: MetricSetting,
}

/// A web site operation (a slot swap).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SiteOperationRec {
    pub id: String,
    pub name: String,
    pub web_space: String,
    pub site: String,
    pub started_ms: Millis,
    pub until_ms: Millis,
}

/// An HDInsight cluster (the payload is kept as sent).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct ClusterRec {
    pub cloud_service: String,
    pub name: String,
    /// `clusters` or `iaasclusters`.
    pub kind: String,
    pub location: Option<String>,
    pub payload: String,
    pub created_ms: Millis,
    pub until_ms: Millis,
    pub deleting_until_ms: Option<Millis>,
}

pub(crate) fn low(s: &str) -> String {
    s.replace('/', "%2F").to_ascii_lowercase()
}

fn addon_prefix(sub: &str, cloud_service: &str) -> String {
    format!("StoreAddOn/{sub}/{}/", low(cloud_service))
}

fn addon_key(sub: &str, cs: &str, namespace: &str, ty: &str, name: &str) -> String {
    format!(
        "{}{}/{}/{}",
        addon_prefix(sub, cs),
        low(namespace),
        low(ty),
        low(name)
    )
}

pub(crate) fn job_prefix(sub: &str, cs: &str, jc: &str) -> String {
    format!("SchedulerJob/{sub}/{}/{}/", low(cs), low(jc))
}

fn cluster_key(sub: &str, cs: &str, kind: &str, name: &str) -> String {
    format!("HDInsight/{sub}/{}/{kind}/{}", low(cs), low(name))
}

fn setting_key(sub: &str, resource_id: &str, namespace: &str) -> String {
    format!(
        "MetricSetting/{sub}/{}|{}",
        resource_id.to_ascii_lowercase(),
        namespace.to_ascii_lowercase()
    )
}

fn json_reply(status: u16, body: String) -> Reply {
    Reply::body(status, JSON_CONTENT, body)
}

/// Seconds of an ISO 8601 duration (`PT5M`, `PT1H`, `P1D`, `P1DT12H`,
/// `PT30S`); weeks, months and years are refused (not a time grain).
pub(crate) fn duration_seconds(s: &str) -> Option<i64> {
    let rest = s.trim().strip_prefix('P')?;
    let (days, time) = match rest.split_once('T') {
        Some((d, t)) => (d, Some(t)),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    let mut take = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut num = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() {
                num.push(c);
            } else {
                let mult = units.iter().find(|(u, _)| *u == c)?.1;
                let n: i64 = num.parse().ok()?;
                total = total.checked_add(n.checked_mul(mult)?)?;
                num.clear();
                any = true;
            }
        }
        num.is_empty().then_some(())
    };
    take(days, &[('D', 86_400)])?;
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        take(t, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    }
    (any && total > 0).then_some(total)
}

/// The metrics every resource has here: (name, display name, unit,
/// primary aggregation, typical value, spread).
const METRICS: [(&str, &str, &str, &str, f64, f64); 5] = [
    (
        "Percentage CPU",
        "CPU Percentage",
        "Percent",
        "Average",
        35.0,
        25.0,
    ),
    (
        "Network In",
        "Network In",
        "Bytes",
        "Total",
        40_000.0,
        30_000.0,
    ),
    (
        "Network Out",
        "Network Out",
        "Bytes",
        "Total",
        60_000.0,
        40_000.0,
    ),
    (
        "Disk Read Bytes/sec",
        "Disk Read",
        "BytesPerSecond",
        "Average",
        2_000.0,
        1_500.0,
    ),
    (
        "Disk Write Bytes/sec",
        "Disk Write",
        "BytesPerSecond",
        "Average",
        3_000.0,
        2_000.0,
    ),
];

/// Time grains the metrics are kept at, with their retention.
const GRAINS: [(&str, &str); 3] = [("PT5M", "P1D"), ("PT1H", "P90D"), ("P1D", "P90D")];

/// A deterministic value in [0, 1) from a resource, a metric and a time.
pub(crate) fn unit_noise(resource: &str, metric: &str, t_secs: i64, salt: u64) -> f64 {
    // FNV-1a, then a xorshift mix.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ salt;
    for b in resource
        .to_ascii_lowercase()
        .bytes()
        .chain([0u8])
        .chain(metric.to_ascii_lowercase().bytes())
        .chain(t_secs.to_le_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Most samples one metric read may return.
const MAX_SAMPLES: i64 = 10_000;

impl Api {
    /// Reads served here; anything else is not implemented.
    pub(crate) fn read_platform(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        match req {
            ServerRequest::GetWebSiteOperation {
                web_space_name,
                site_name,
                operation_id,
                ..
            } => {
                let table = tx.open_table(PLATFORM)?;
                let op: SiteOperationRec = get::<SiteOperationRec>(
                    &table,
                    &format!("WebSiteOperation/{sub}/{}", low(operation_id)),
                )?
                .filter(|o| {
                    o.web_space.eq_ignore_ascii_case(web_space_name)
                        && o.site.eq_ignore_ascii_case(site_name)
                })
                .ok_or_else(|| {
                    ApiError::not_found(format!(
                        "The operation {operation_id} was not found for the web site {site_name}."
                    ))
                })?;
                Ok(Reply::xml(req, &site_operation(&op, now)))
            }
            // Web spaces are implicit: those holding a site or a plan.
            ServerRequest::ListWebSpaces { .. } => {
                let table = tx.open_table(RESOURCES)?;
                let mut spaces: Vec<WebSpace> = Vec::new();
                for kind in ["WebSite", "WebHostingPlan"] {
                    for (_, rec) in scan::<ResourceRec>(&table, &format!("{kind}/{sub}/"))? {
                        if !exists(&rec.pending, now) {
                            continue;
                        }
                        let Some(name) = rec.parents.first() else {
                            continue;
                        };
                        if spaces.iter().any(|w| w.name.eq_ignore_ascii_case(name)) {
                            continue;
                        }
                        let region = rec
                            .state
                            .child("WebSpaceToCreate")
                            .and_then(|w| w.child_text("GeoRegion").map(str::to_owned));
                        spaces.push(WebSpace {
                            name: name.as_str().into(),
                            geo_region: region.map(Into::into),
                            plan: Some("VirtualDedicatedPlan".into()),
                            status: Some(WebSpaceStatus::Ready),
                            availability_state: Some(WebSpaceAvailabilityState::Normal),
                            subscription: Some(sub.into()),
                            ..Default::default()
                        });
                    }
                }
                spaces.sort_by_key(|w| w.name.to_ascii_lowercase());
                Ok(Reply::xml(req, &WebSpaces { web_space: spaces }))
            }
            ServerRequest::GetPublishProfile {
                web_space_name,
                web_site_name,
                ..
            } => {
                let site = site_of(
                    &tx.open_table(RESOURCES)?,
                    sub,
                    web_space_name,
                    web_site_name,
                    now,
                )?;
                let password = crate::websites::current_password(tx, &site)?;
                Ok(Reply::xml(req, &publish_data(&site, &password)))
            }
            ServerRequest::ListAlertRules { .. } => {
                let value = scan_values::<AlertRule>(
                    &tx.open_table(PLATFORM)?,
                    &format!("AlertRule/{sub}/"),
                )?;
                Ok(json_reply(200, json::to_json(&AlertRuleList { value })))
            }
            ServerRequest::GetAlertRule { rule_id, .. } => {
                let rule = alert_rule(&tx.open_table(PLATFORM)?, sub, rule_id)?;
                Ok(json_reply(200, json::to_json(&rule)))
            }
            // No metric data flows here, so no rule's condition ever holds:
            // a rule has no incidents, and none is active.
            ServerRequest::ListAlertIncidentsForRule { rule_id, .. } => {
                alert_rule(&tx.open_table(PLATFORM)?, sub, rule_id)?;
                Ok(json_reply(
                    200,
                    json::to_json(&AlertIncidentList::default()),
                ))
            }
            ServerRequest::ListActiveAlertIncidents { .. } => Ok(json_reply(
                200,
                json::to_json(&AlertIncidentList::default()),
            )),
            ServerRequest::GetAlertIncident { incident_id, .. } => Err(ApiError::not_found(
                format!("The alert incident {incident_id} does not exist."),
            )),
            ServerRequest::GetAutoscaleSetting { resource_id, .. } => {
                check_resource_id(resource_id)?;
                let setting: AutoscaleSetting =
                    get(&tx.open_table(PLATFORM)?, &autoscale_key(sub, resource_id))?.ok_or_else(
                        || {
                            ApiError::not_found(format!(
                                "The resource {resource_id} has no autoscale setting."
                            ))
                        },
                    )?;
                Ok(json_reply(200, json::to_json(&setting)))
            }
            ServerRequest::GetJob {
                cloud_service_name,
                job_collection_name,
                job_id,
                ..
            } => {
                self.job_collection(tx, sub, cloud_service_name, job_collection_name, now)?;
                let rec = job_of(
                    &tx.open_table(PLATFORM)?,
                    sub,
                    cloud_service_name,
                    job_collection_name,
                    job_id,
                )?;
                Ok(json_reply(200, json::to_json(&rec.job)))
            }
            ServerRequest::ListJobs {
                cloud_service_name,
                job_collection_name,
                options,
                ..
            } => {
                self.job_collection(tx, sub, cloud_service_name, job_collection_name, now)?;
                let prefix = job_prefix(sub, cloud_service_name, job_collection_name);
                let mut jobs: Vec<JobRec> = scan::<JobRec>(&tx.open_table(PLATFORM)?, &prefix)?
                    .into_iter()
                    .map(|(_, j)| j)
                    .collect();
                jobs.sort_by_key(|j| j.created_ms);
                let mut jobs: Vec<Job> = jobs.into_iter().map(|j| j.job).collect();
                if let Some(filter) = &options.filter {
                    // `state eq Enabled`
                    let want = filter
                        .trim()
                        .strip_prefix("state eq ")
                        .map(|s| s.trim().trim_matches('\'').to_owned())
                        .ok_or_else(|| {
                            ApiError::bad_request(format!("The filter {filter} is not supported."))
                        })?;
                    jobs.retain(|j| {
                        j.state
                            .as_ref()
                            .is_some_and(|s| s.as_str().eq_ignore_ascii_case(&want))
                    });
                }
                let skip = options.skip.unwrap_or(0).max(0) as usize;
                let top = options.top.map(|t| t.max(0) as usize).unwrap_or(usize::MAX);
                let page: Vec<Job> = jobs.into_iter().skip(skip).take(top).collect();
                Ok(json_reply(200, json::to_json(&page)))
            }
            ServerRequest::ListMetricDefinitions {
                resource_id,
                options,
                ..
            } => {
                check_resource_id(resource_id)?;
                let names = name_filter(options.names.as_deref());
                let namespace = options.namespace.clone().unwrap_or_default();
                let value = METRICS
                    .iter()
                    .filter(|m| {
                        names
                            .as_ref()
                            .is_none_or(|n| n.contains(&m.0.to_ascii_lowercase()))
                    })
                    .map(
                        |(name, display, unit, aggregation, _, _)| MetricDefinition {
                            name: Some((*name).into()),
                            namespace: Some(namespace.as_str().into()),
                            resource_id_suffix: None,
                            display_name: Some((*display).into()),
                            unit: Some((*unit).into()),
                            primary_aggregation: Some((*aggregation).into()),
                            metric_availabilities: GRAINS
                                .iter()
                                .map(|(g, r)| MetricAvailability {
                                    time_grain: Some((*g).into()),
                                    retention: Some((*r).into()),
                                })
                                .collect(),
                            minimum_alertable_time_window: Some("PT5M".into()),
                            is_alertable: Some(true),
                        },
                    )
                    .collect();
                Ok(json_reply(
                    200,
                    json::to_json(&MetricDefinitionCollection { value }),
                ))
            }
            ServerRequest::ListMetricSettings {
                resource_id,
                namespace,
                ..
            } => {
                check_resource_id(resource_id)?;
                let value = get::<MetricSettingRec>(
                    &tx.open_table(PLATFORM)?,
                    &setting_key(sub, resource_id, namespace),
                )?
                .map(|r| r.setting)
                .into_iter()
                .collect();
                Ok(json_reply(200, json::to_json(&MetricSettingList { value })))
            }
            ServerRequest::ListMetricValues {
                resource_id,
                names,
                time_grain,
                start_time,
                end_time,
                options,
                ..
            } => {
                check_resource_id(resource_id)?;
                let grain = duration_seconds(time_grain).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "The time grain {time_grain} is not a valid ISO 8601 duration."
                    ))
                })?;
                let start = start_time.0.unix_timestamp();
                let end = end_time.0.unix_timestamp();
                if end <= start {
                    return Err(ApiError::bad_request(
                        "The end time must be later than the start time.",
                    ));
                }
                let count = (end - start + grain - 1) / grain;
                if count > MAX_SAMPLES {
                    return Err(ApiError::bad_request(format!(
                        "The window holds {count} samples of {time_grain}; at most {MAX_SAMPLES} can be read at once."
                    )));
                }
                let wanted = name_filter(Some(names)).unwrap_or_default();
                if wanted.is_empty() {
                    return Err(ApiError::bad_request(
                        "At least one metric name is required.",
                    ));
                }
                let namespace = options.namespace.clone().unwrap_or_default();
                // Samples per grain of the raw 30-second measurements.
                let per_grain = (grain / 30).clamp(1, i64::from(i32::MAX));
                let value = METRICS
                    .iter()
                    .filter(|m| wanted.contains(&m.0.to_ascii_lowercase()))
                    .map(|(name, display, unit, aggregation, typical, spread)| {
                        let samples = (0..count)
                            .map(|i| {
                                let t = start + i * grain;
                                let noise = |salt| unit_noise(resource_id, name, t, salt);
                                let avg = (typical + spread * (noise(1) - 0.5) * 2.0).max(0.0);
                                let lo = (avg - spread * noise(2) * 0.5).max(0.0);
                                let hi = avg + spread * noise(3) * 0.5;
                                let avg = (avg * 100.0).round() / 100.0;
                                MetricSample {
                                    timestamp: Some(datetime(t * 1000)),
                                    average: Some(avg),
                                    minimum: Some((lo * 100.0).round() / 100.0),
                                    maximum: Some((hi * 100.0).round() / 100.0),
                                    total: Some(((avg * per_grain as f64) * 100.0).round() / 100.0),
                                    annotation: None,
                                    count: i32::try_from(per_grain).ok(),
                                }
                            })
                            .collect();
                        MetricValueSet {
                            name: Some((*name).into()),
                            namespace: Some(namespace.as_str().into()),
                            display_name: Some((*display).into()),
                            unit: Some((*unit).into()),
                            primary_aggregation: Some((*aggregation).into()),
                            time_grain: Some(time_grain.as_str().into()),
                            start_time: Some(*start_time),
                            end_time: Some(*end_time),
                            metric_values: samples,
                        }
                    })
                    .collect();
                Ok(json_reply(
                    200,
                    json::to_json(&MetricValueSetCollection { value }),
                ))
            }
            ServerRequest::GetHDInsightCluster {
                cloud_service_name,
                cluster_name,
                ..
            } => {
                let rec =
                    self.cluster(tx, sub, cloud_service_name, "clusters", cluster_name, now)?;
                Ok(Reply::xml(
                    req,
                    &HDInsightClusterResponse {
                        data: Some(cluster_details(&rec, now)),
                        error: None,
                    },
                ))
            }
            ServerRequest::GetHDInsightIaasCluster {
                cloud_service_name,
                cluster_name,
                ..
            } => {
                let rec = self.cluster(
                    tx,
                    sub,
                    cloud_service_name,
                    "iaasclusters",
                    cluster_name,
                    now,
                )?;
                Ok(Reply::xml(
                    req,
                    &HDInsightIaasClusterResponse {
                        data: Some(HDInsightIaasClusterDetails {
                            created_date: Some(datetime(rec.created_ms)),
                            id: Some(rec.name.as_str().into()),
                            location: rec.location.as_deref().map(Into::into),
                            state: Some(cluster_state(&rec, now).into()),
                            user_subscription_id: Some(sub.into()),
                            ..Default::default()
                        }),
                        error: None,
                    },
                ))
            }
            ServerRequest::ListHDInsightClusters { .. } => {
                let mut by_service: Vec<HDInsightCloudService> = Vec::new();
                for (_, rec) in
                    scan::<ClusterRec>(&tx.open_table(PLATFORM)?, &format!("HDInsight/{sub}/"))?
                {
                    if cluster_gone(&rec, now) {
                        continue;
                    }
                    let resource = HDInsightResource {
                        resource_provider_namespace: Some("hdinsight".into()),
                        type_: Some(rec.kind.as_str().into()),
                        name: Some(rec.name.as_str().into()),
                        state: Some(cluster_state(&rec, now).into()),
                        ..Default::default()
                    };
                    match by_service
                        .iter_mut()
                        .find(|s| s.name.as_deref() == Some(rec.cloud_service.as_str()))
                    {
                        Some(s) => s.resources.push(resource),
                        None => by_service.push(HDInsightCloudService {
                            name: Some(rec.cloud_service.as_str().into()),
                            geo_region: rec.location.as_deref().map(Into::into),
                            resources: vec![resource],
                            ..Default::default()
                        }),
                    }
                }
                Ok(Reply::xml(
                    req,
                    &HDInsightCloudServiceList {
                        cloud_service: by_service,
                    },
                ))
            }
            _ => self.websites_read(tx, sub, req, now),
        }
    }

    /// Writes served here; anything else is not implemented.
    pub(crate) fn write_platform(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let until = now + self.async_delay_ms;
        match req {
            // UpdateStoreItem is the same request on the wire: a PUT on an
            // existing add-on changes its plan.
            ServerRequest::CreateStoreItem {
                cloud_service_name,
                resource_type,
                resource_name,
                add_on_name,
                body,
                ..
            } => {
                self.cloud_service_exists(tx, sub, cloud_service_name, now)?;
                for (what, v) in [
                    ("resource type", resource_type),
                    ("resource name", resource_name),
                    ("add-on name", add_on_name),
                ] {
                    if v.trim().is_empty() {
                        return Err(ApiError::bad_request(format!("The {what} is missing.")));
                    }
                }
                if !body.type_.eq_ignore_ascii_case(resource_type) {
                    return Err(ApiError::bad_request(format!(
                        "The Type {} does not match the resource type {resource_type} of the URI.",
                        body.type_
                    )));
                }
                if body.plan.trim().is_empty() {
                    return Err(ApiError::bad_request("The Plan is missing."));
                }
                let key = addon_key(
                    sub,
                    cloud_service_name,
                    resource_type,
                    resource_name,
                    add_on_name,
                );
                let mut table = tx.open_table(PLATFORM)?;
                let existing: Option<StoreAddOnRec> = get(&table, &key)?;
                let rec = match existing.filter(|a| !addon_gone(a, now)) {
                    Some(old) if old.until_ms > now => {
                        return Err(ApiError::conflict(format!(
                            "The add-on {add_on_name} has an operation in progress ({}).",
                            old.operation
                        )))
                    }
                    Some(mut old) => {
                        old.plan = body.plan.to_string();
                        old.promotion_code = body.promotion_code.as_deref().map(Into::into);
                        old.operation = "Update".into();
                        old.etag = uuid::Uuid::new_v4().to_string();
                        old.until_ms = until;
                        old
                    }
                    None => StoreAddOnRec {
                        cloud_service: cloud_service_name.clone(),
                        namespace: resource_type.clone(),
                        resource_type: resource_name.clone(),
                        name: add_on_name.clone(),
                        plan: body.plan.to_string(),
                        promotion_code: body.promotion_code.as_deref().map(Into::into),
                        etag: uuid::Uuid::new_v4().to_string(),
                        operation: "Create".into(),
                        until_ms: until,
                    },
                };
                put(&mut table, &key, &rec)?;
                Ok(Outcome {
                    reply: Reply::empty(202),
                    completion: Some((until, None)),
                })
            }
            ServerRequest::DeleteStoreItem {
                cloud_service_name,
                resource_provider_namespace,
                resource_provider_type,
                resource_provider_name,
                ..
            } => {
                self.cloud_service_exists(tx, sub, cloud_service_name, now)?;
                let key = addon_key(
                    sub,
                    cloud_service_name,
                    resource_provider_namespace,
                    resource_provider_type,
                    resource_provider_name,
                );
                let mut table = tx.open_table(PLATFORM)?;
                let mut rec: StoreAddOnRec = get(&table, &key)?
                    .filter(|a: &StoreAddOnRec| !addon_gone(a, now))
                    .ok_or_else(|| {
                        ApiError::not_found(format!(
                            "The add-on {resource_provider_name} does not exist."
                        ))
                    })?;
                if rec.operation == "Delete" {
                    return Err(ApiError::conflict(format!(
                        "The add-on {resource_provider_name} is being deleted."
                    )));
                }
                rec.operation = "Delete".into();
                rec.until_ms = until;
                put(&mut table, &key, &rec)?;
                Ok(Outcome {
                    reply: Reply::empty(202),
                    completion: Some((until, None)),
                })
            }
            ServerRequest::CreateOrUpdateJob {
                cloud_service_name,
                job_collection_name,
                job_id,
                body,
                ..
            } => {
                self.job_collection(tx, sub, cloud_service_name, job_collection_name, now)?;
                let mut table = tx.open_table(PLATFORM)?;
                let key = format!(
                    "{}{}",
                    job_prefix(sub, cloud_service_name, job_collection_name),
                    low(job_id)
                );
                let old: Option<JobRec> = get(&table, &key)?;
                let status = if old.is_some() { 200 } else { 201 };
                let rec = new_job(job_id, body, old, now)?;
                put(&mut table, &key, &rec)?;
                Ok(json_reply(status, json::to_json(&rec.job)).into())
            }
            ServerRequest::CreateJob {
                cloud_service_name,
                job_collection_name,
                body,
                ..
            } => {
                self.job_collection(tx, sub, cloud_service_name, job_collection_name, now)?;
                let mut table = tx.open_table(PLATFORM)?;
                let id = uuid::Uuid::new_v4().simple().to_string();
                let key = format!(
                    "{}{id}",
                    job_prefix(sub, cloud_service_name, job_collection_name)
                );
                let rec = new_job(&id, body, None, now)?;
                put(&mut table, &key, &rec)?;
                Ok(json_reply(201, json::to_json(&rec.job)).into())
            }
            ServerRequest::UpdateJobState {
                cloud_service_name,
                job_collection_name,
                job_id,
                body,
                ..
            } => {
                self.job_collection(tx, sub, cloud_service_name, job_collection_name, now)?;
                let mut table = tx.open_table(PLATFORM)?;
                let mut rec = job_of(&table, sub, cloud_service_name, job_collection_name, job_id)?;
                if !matches!(body.state, JobState::Enabled | JobState::Disabled) {
                    return Err(ApiError::bad_request(format!(
                        "A job can only be Enabled or Disabled, not {}.",
                        body.state.as_str()
                    )));
                }
                rec.job.state = Some(body.state.clone());
                let key = format!(
                    "{}{}",
                    job_prefix(sub, cloud_service_name, job_collection_name),
                    low(job_id)
                );
                put(&mut table, &key, &rec)?;
                Ok(json_reply(200, json::to_json(&rec.job)).into())
            }
            ServerRequest::DeleteJob {
                cloud_service_name,
                job_collection_name,
                job_id,
                ..
            } => {
                self.job_collection(tx, sub, cloud_service_name, job_collection_name, now)?;
                let mut table = tx.open_table(PLATFORM)?;
                job_of(&table, sub, cloud_service_name, job_collection_name, job_id)?;
                let key = format!(
                    "{}{}",
                    job_prefix(sub, cloud_service_name, job_collection_name),
                    low(job_id)
                );
                table.remove(key.as_str())?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::RestartWebSite {
                web_space_name,
                web_site_name,
                ..
            } => {
                site_of(
                    &tx.open_table(RESOURCES)?,
                    sub,
                    web_space_name,
                    web_site_name,
                    now,
                )?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::CreateOrUpdateAlertRule { rule_id, body, .. } => {
                if rule_id.trim().is_empty() {
                    return Err(ApiError::bad_request("The rule id is missing."));
                }
                if body.id.as_deref().is_some_and(|id| id != rule_id) {
                    return Err(ApiError::bad_request(format!(
                        "The rule's Id does not match the rule id {rule_id} of the URI."
                    )));
                }
                if body.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    return Err(ApiError::bad_request("The rule's Name is missing."));
                }
                if body.condition.is_none() {
                    return Err(ApiError::bad_request("The rule's Condition is missing."));
                }
                let mut table = tx.open_table(PLATFORM)?;
                let key = format!("AlertRule/{sub}/{}", low(rule_id));
                let existed = get::<AlertRule>(&table, &key)?.is_some();
                let mut rule = body.clone();
                rule.id = Some(rule_id.as_str().into());
                rule.last_updated_time = Some(datetime(now));
                put(&mut table, &key, &rule)?;
                Ok(Reply::empty(if existed { 200 } else { 201 }).into())
            }
            ServerRequest::DeleteAlertRule { rule_id, .. } => {
                let mut table = tx.open_table(PLATFORM)?;
                alert_rule(&table, sub, rule_id)?;
                table.remove(format!("AlertRule/{sub}/{}", low(rule_id)).as_str())?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::CreateOrUpdateAutoscaleSetting {
                resource_id, body, ..
            } => {
                check_resource_id(resource_id)?;
                for p in &body.profiles {
                    let c = p.capacity.clone().unwrap_or_default();
                    let n =
                        |v: &Option<CompactString>, what: &str| -> Result<Option<i64>, ApiError> {
                            v.as_deref()
                                .map(|t| {
                                    t.trim().parse::<i64>().map_err(|_| {
                                        ApiError::bad_request(format!(
                                            "The capacity {what} {t} is not a number."
                                        ))
                                    })
                                })
                                .transpose()
                        };
                    let (min, max) = (n(&c.minimum, "Minimum")?, n(&c.maximum, "Maximum")?);
                    if let (Some(min), Some(max)) = (min, max) {
                        if min > max {
                            return Err(ApiError::bad_request(format!(
                                "The capacity Minimum {min} is above the Maximum {max}."
                            )));
                        }
                    }
                }
                let mut table = tx.open_table(PLATFORM)?;
                let key = autoscale_key(sub, resource_id);
                let existed = get::<AutoscaleSetting>(&table, &key)?.is_some();
                put(&mut table, &key, body)?;
                Ok(Reply::empty(if existed { 200 } else { 201 }).into())
            }
            ServerRequest::DeleteAutoscaleSetting { resource_id, .. } => {
                let mut table = tx.open_table(PLATFORM)?;
                let key = autoscale_key(sub, resource_id);
                if get::<AutoscaleSetting>(&table, &key)?.is_none() {
                    return Err(ApiError::not_found(format!(
                        "The resource {resource_id} has no autoscale setting."
                    )));
                }
                table.remove(key.as_str())?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::PutMetricSettings { body, .. } => {
                let resource_id = body.resource_id.clone().unwrap_or_default();
                check_resource_id(&resource_id)?;
                if body.value.is_none() {
                    return Err(ApiError::bad_request("The setting's Value is missing."));
                }
                let namespace = body.namespace.clone().unwrap_or_default();
                put(
                    &mut tx.open_table(PLATFORM)?,
                    &setting_key(sub, &resource_id, &namespace),
                    &MetricSettingRec {
                        setting: body.clone(),
                    },
                )?;
                Ok(json_reply(200, "{}".to_owned()).into())
            }
            ServerRequest::SwapWebSiteSlots {
                web_space_name,
                web_site_name,
                source_slot_name,
                target_slot,
                ..
            } => {
                let slot_site = |slot: &str| {
                    if slot.eq_ignore_ascii_case("production") {
                        web_site_name.clone()
                    } else {
                        format!("{web_site_name}({slot})")
                    }
                };
                let source = slot_site(source_slot_name);
                let target = slot_site(target_slot);
                if source.eq_ignore_ascii_case(&target) {
                    return Err(ApiError::bad_request(
                        "The source and target slots must differ.",
                    ));
                }
                let mut table = tx.open_table(RESOURCES)?;
                let mut a = site_of(&table, sub, web_space_name, &source, now)?;
                let mut b = site_of(&table, sub, web_space_name, &target, now)?;
                swap_site_content(&mut a.state, &mut b.state);
                a.modified_ms = now;
                b.modified_ms = now;
                put(&mut table, &site_key(sub, web_space_name, &source), &a)?;
                put(&mut table, &site_key(sub, web_space_name, &target), &b)?;
                let op = SiteOperationRec {
                    id: uuid::Uuid::new_v4().to_string(),
                    name: "SwapWebSiteSlots".into(),
                    web_space: web_space_name.clone(),
                    site: web_site_name.clone(),
                    started_ms: now,
                    until_ms: until,
                };
                put(
                    &mut tx.open_table(PLATFORM)?,
                    &format!("WebSiteOperation/{sub}/{}", low(&op.id)),
                    &op,
                )?;
                Ok(Reply::xml(req, &site_operation(&op, now)).into())
            }
            ServerRequest::CreateHDInsightCluster {
                cloud_service_name,
                cluster_name,
                body,
                ..
            } => self.create_cluster(
                tx,
                sub,
                cloud_service_name,
                "clusters",
                cluster_name,
                body,
                now,
            ),
            ServerRequest::CreateHDInsightIaasCluster {
                cloud_service_name,
                cluster_name,
                body,
                ..
            } => self.create_cluster(
                tx,
                sub,
                cloud_service_name,
                "iaasclusters",
                cluster_name,
                body,
                now,
            ),
            ServerRequest::DeleteHDInsightCluster {
                cloud_service_name,
                cluster_name,
                ..
            } => self.delete_cluster(tx, sub, cloud_service_name, "clusters", cluster_name, now),
            ServerRequest::DeleteHDInsightIaasCluster {
                cloud_service_name,
                cluster_name,
                ..
            } => self.delete_cluster(
                tx,
                sub,
                cloud_service_name,
                "iaasclusters",
                cluster_name,
                now,
            ),
            _ => self.websites_write(tx, sub, req, now),
        }
    }

    /// Store add-ons shown in a cloud service's read, under `Resources`,
    /// after the job collections the engine embedded before this hook.
    pub(crate) fn platform_cloud_service_read(
        &self,
        tx: &ReadTransaction,
        rec: &ResourceRec,
        state: &mut Elem,
        now: Millis,
    ) -> Result<(), ApiError> {
        let table = tx.open_table(PLATFORM)?;
        let mut wrapper = state.child("Resources").cloned().unwrap_or_else(|| Elem {
            name: "Resources".into(),
            ..Default::default()
        });
        for (_, a) in scan::<StoreAddOnRec>(&table, &addon_prefix(&rec.subscription, &rec.name))? {
            if addon_gone(&a, now) {
                continue;
            }
            wrapper.children.push(addon_elem(&a, now));
        }
        if !wrapper.children.is_empty() {
            state.set(wrapper);
        }
        Ok(())
    }

    /// A cloud service's Store add-ons, jobs and clusters go with it.
    pub(crate) fn platform_cloud_service_deleted(
        &self,
        tx: &WriteTransaction,
        rec: &ResourceRec,
    ) -> Result<(), ApiError> {
        let sub = &rec.subscription;
        let cs = low(&rec.name);
        let mut table = tx.open_table(PLATFORM)?;
        for prefix in [
            addon_prefix(sub, &rec.name),
            format!("SchedulerJob/{sub}/{cs}/"),
            format!("HDInsight/{sub}/{cs}/"),
        ] {
            let keys: Vec<String> = table
                .range::<&str>(prefix.as_str()..)?
                .map_while(|item| {
                    let key = item.ok()?.0.value().to_owned();
                    key.starts_with(&prefix).then_some(key)
                })
                .collect();
            for k in keys {
                table.remove(k.as_str())?;
            }
        }
        Ok(())
    }

    fn cloud_service_exists(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        name: &str,
        now: Millis,
    ) -> Result<(), ApiError> {
        self.live_record(
            &tx.open_table(RESOURCES)?,
            "SchedulerCloudService",
            sub,
            name,
            now,
        )
        .map(|_| ())
        .map_err(|_| ApiError::not_found(format!("The cloud service {name} does not exist.")))
    }

    /// 404 unless the job collection (and its cloud service) exists.
    fn job_collection(
        &self,
        tx: &impl ResourcesTx,
        sub: &str,
        cloud_service: &str,
        collection: &str,
        now: Millis,
    ) -> Result<(), ApiError> {
        let cs = tx.resource(
            &format!("SchedulerCloudService/{sub}/{}", low(cloud_service)),
            now,
        )?;
        if cs.is_none() {
            return Err(ApiError::not_found(format!(
                "The cloud service {cloud_service} does not exist."
            )));
        }
        let jc = tx.resource(
            &format!(
                "JobCollection/{sub}/{}/{}",
                low(cloud_service),
                low(collection)
            ),
            now,
        )?;
        if jc.is_none() {
            return Err(ApiError::not_found(format!(
                "The job collection {collection} does not exist."
            )));
        }
        Ok(())
    }

    fn cluster(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        cloud_service: &str,
        kind: &str,
        name: &str,
        now: Millis,
    ) -> Result<ClusterRec, ApiError> {
        get::<ClusterRec>(
            &tx.open_table(PLATFORM)?,
            &cluster_key(sub, cloud_service, kind, name),
        )?
        .filter(|c| !cluster_gone(c, now))
        .ok_or_else(|| ApiError::not_found(format!("The cluster {name} does not exist.")))
    }

    #[allow(clippy::too_many_arguments)]
    fn create_cluster(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        cloud_service: &str,
        kind: &str,
        name: &str,
        payload: &str,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        if payload.trim().is_empty() {
            return Err(ApiError::bad_request("The cluster payload is missing."));
        }
        let doc = Elem::parse(payload.as_bytes())
            .map_err(|e| ApiError::bad_request(format!("The cluster payload is not XML: {e}")))?;
        let location = find_text(&doc, "Location");
        let mut table = tx.open_table(PLATFORM)?;
        let key = cluster_key(sub, cloud_service, kind, name);
        if get::<ClusterRec>(&table, &key)?.is_some_and(|c| !cluster_gone(&c, now)) {
            return Err(ApiError::conflict(format!(
                "The cluster {name} already exists."
            )));
        }
        let until = now + self.async_delay_ms;
        put(
            &mut table,
            &key,
            &ClusterRec {
                cloud_service: cloud_service.to_owned(),
                name: name.to_owned(),
                kind: kind.to_owned(),
                location,
                payload: payload.to_owned(),
                created_ms: now,
                until_ms: until,
                deleting_until_ms: None,
            },
        )?;
        Ok(Outcome {
            reply: Reply::empty(202),
            completion: Some((until, None)),
        })
    }

    fn delete_cluster(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        cloud_service: &str,
        kind: &str,
        name: &str,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let mut table = tx.open_table(PLATFORM)?;
        let key = cluster_key(sub, cloud_service, kind, name);
        let mut rec: ClusterRec = get(&table, &key)?
            .filter(|c: &ClusterRec| !cluster_gone(c, now))
            .ok_or_else(|| ApiError::not_found(format!("The cluster {name} does not exist.")))?;
        if rec.deleting_until_ms.is_some() {
            return Err(ApiError::conflict(format!(
                "The cluster {name} is being deleted."
            )));
        }
        let until = now + self.async_delay_ms;
        rec.deleting_until_ms = Some(until);
        put(&mut table, &key, &rec)?;
        Ok(Outcome {
            reply: Reply::empty(202),
            completion: Some((until, None)),
        })
    }
}

/// Engine records readable in either kind of transaction.
pub(crate) trait ResourcesTx {
    fn resource(&self, key: &str, now: Millis) -> Result<Option<ResourceRec>, ApiError>;
}

fn live_at(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
    now: Millis,
) -> Result<Option<ResourceRec>, ApiError> {
    Ok(get::<ResourceRec>(table, key)?.filter(|r| exists(&r.pending, now)))
}

impl ResourcesTx for ReadTransaction {
    fn resource(&self, key: &str, now: Millis) -> Result<Option<ResourceRec>, ApiError> {
        live_at(&self.open_table(RESOURCES)?, key, now)
    }
}

impl ResourcesTx for WriteTransaction {
    fn resource(&self, key: &str, now: Millis) -> Result<Option<ResourceRec>, ApiError> {
        live_at(&self.open_table(RESOURCES)?, key, now)
    }
}

/// Where the engine keeps a web site (its resource key).
fn site_key(sub: &str, web_space: &str, name: &str) -> String {
    format!("WebSite/{sub}/{}/{}", low(web_space), low(name))
}

pub(crate) fn site_of(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    sub: &str,
    web_space: &str,
    name: &str,
    now: Millis,
) -> Result<ResourceRec, ApiError> {
    live_at(table, &site_key(sub, web_space, name), now)?
        .ok_or_else(|| ApiError::not_found(format!("The web site {name} does not exist.")))
}

/// The password a site is created with, derived from its identity and
/// creation time (Generate Publishing Password replaces it).
pub(crate) fn site_password(site: &ResourceRec) -> String {
    format!(
        "{:016x}{:016x}",
        (unit_noise(&site.subscription, &site.name, site.created_ms, 7) * 1e18) as u64,
        (unit_noise(&site.subscription, &site.name, site.created_ms, 11) * 1e18) as u64
    )
}

/// The site's publishing profiles (Web Deploy and FTP).
fn publish_data(site: &ResourceRec, password: &str) -> PublishData {
    let name = site.name.clone();
    let host = site
        .state
        .child_text("DefaultHostName")
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{name}.azurewebsites.net"));
    let secret = password.to_owned();
    let user = format!("${name}");
    let profile = |method: &str, url: String| PublishProfile {
        profile_name: Some(format!("{name} - {method}").into()),
        publish_method: Some(method.into()),
        publish_url: Some(url.into()),
        msdeploy_site: ((method == "MSDeploy").then(|| name.clone())).map(Into::into),
        ftp_passive_mode: ((method == "FTP").then(|| "True".to_owned())).map(Into::into),
        user_name: Some(user.as_str().into()),
        user_pwd: Some(secret.as_str().into()),
        destination_app_url: Some(format!("http://{host}").into()),
        sql_server_db_connection_string: Some(String::new().into()),
        my_sqldb_connection_string: Some(String::new().into()),
        hosting_provider_forum_link: Some(String::new().into()),
        control_panel_link: Some("https://portal.azure.com".into()),
        web_system: Some("WebSites".into()),
        databases: Vec::new(),
    };
    PublishData {
        profiles: vec![
            profile("MSDeploy", format!("{name}.scm.azurewebsites.net:443")),
            profile(
                "FTP",
                "ftp://waws-prod.ftp.azurewebsites.windows.net/site/wwwroot".to_owned(),
            ),
        ],
    }
}

fn autoscale_key(sub: &str, resource_id: &str) -> String {
    format!("Autoscale/{sub}/{}", resource_id.to_ascii_lowercase())
}

fn alert_rule(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    sub: &str,
    rule_id: &str,
) -> Result<AlertRule, ApiError> {
    get::<AlertRule>(table, &format!("AlertRule/{sub}/{}", low(rule_id)))?
        .ok_or_else(|| ApiError::not_found(format!("The alert rule {rule_id} does not exist.")))
}

fn check_resource_id(resource_id: &str) -> Result<(), ApiError> {
    if resource_id.trim().is_empty() {
        return Err(ApiError::bad_request("The resourceId is missing."));
    }
    Ok(())
}

/// Lower-case metric names of a comma-separated list (None: all).
fn name_filter(names: Option<&str>) -> Option<Vec<String>> {
    names.map(|n| {
        n.split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect()
    })
}

fn job_of(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    sub: &str,
    cs: &str,
    jc: &str,
    id: &str,
) -> Result<JobRec, ApiError> {
    get::<JobRec>(table, &format!("{}{}", job_prefix(sub, cs, jc), low(id)))?
        .ok_or_else(|| ApiError::not_found(format!("The job {id} does not exist.")))
}

fn new_job(
    id: &str,
    body: &JobInput,
    old: Option<JobRec>,
    now: Millis,
) -> Result<JobRec, ApiError> {
    if id.trim().is_empty() {
        return Err(ApiError::bad_request("The job id is missing."));
    }
    let action = &body.action;
    match action.type_ {
        JobActionType::Http | JobActionType::Https if action.request.is_none() => {
            return Err(ApiError::bad_request(
                "An Http or Https action needs a request.",
            ))
        }
        JobActionType::StorageQueue if action.queue_message.is_none() => {
            return Err(ApiError::bad_request(
                "A StorageQueue action needs a queueMessage.",
            ))
        }
        _ => {}
    }
    let start = body.start_time.unwrap_or_else(|| datetime(now));
    let created_ms = old.as_ref().map_or(now, |o| o.created_ms);
    Ok(JobRec {
        job: Job {
            id: Some(id.into()),
            start_time: Some(start),
            action: Some(body.action.clone()),
            recurrence: body.recurrence.clone(),
            status: Some(JobStatus {
                last_execution_time: None,
                next_execution_time: Some(start),
                execution_count: Some(0),
                failure_count: Some(0),
                faulted_count: Some(0),
            }),
            state: Some(JobState::Enabled),
        },
        created_ms,
    })
}

fn addon_gone(a: &StoreAddOnRec, now: Millis) -> bool {
    a.operation == "Delete" && now >= a.until_ms
}

fn addon_elem(a: &StoreAddOnRec, now: Millis) -> Elem {
    let done = now >= a.until_ms;
    let state = match (a.operation.as_str(), done) {
        ("Create", false) => "Provisioning",
        ("Delete", false) => "Deleting",
        _ => "Started",
    };
    let mut e = Elem {
        name: "Resource".into(),
        ..Default::default()
    };
    e.set(Elem::text("ResourceProviderNamespace", a.namespace.clone()));
    e.set(Elem::text("Type", a.resource_type.clone()));
    e.set(Elem::text("ETag", a.etag.clone()));
    e.set(Elem::text("Name", a.name.clone()));
    e.set(Elem::text("Plan", a.plan.clone()));
    e.set(Elem::text("State", state));
    let mut status = Elem {
        name: "OperationStatus".into(),
        ..Default::default()
    };
    status.set(Elem::text("Type", a.operation.clone()));
    status.set(Elem::text(
        "Result",
        if done { "Succeeded" } else { "InProgress" },
    ));
    e.set(status);
    e
}

fn site_operation(op: &SiteOperationRec, now: Millis) -> WebSiteOperation {
    let done = now >= op.until_ms;
    WebSiteOperation {
        created_time: Some(datetime(op.started_ms)),
        errors: Vec::new(),
        expiration_time: Some(datetime(op.started_ms + 24 * 3_600_000)),
        geo_master_operation_id: None,
        id: Some(op.id.as_str().into()),
        modified_time: Some(datetime(if done { op.until_ms } else { op.started_ms })),
        name: Some(op.name.as_str().into()),
        status: Some(if done {
            WebSiteOperationStatus::Succeeded
        } else {
            WebSiteOperationStatus::InProgress
        }),
    }
}

/// What a swap exchanges between two slots: everything but what names the
/// slot (its name, host names, repository, links and web space).
fn swap_site_content(a: &mut Elem, b: &mut Elem) {
    const STAYS: [&str; 9] = [
        "Name",
        "HostNames",
        "EnabledHostNames",
        "HostNameSslStates",
        "DefaultHostName",
        "RepositorySiteName",
        "SelfLink",
        "WebSpace",
        "LastModifiedTimeUtc",
    ];
    let moving = |e: &Elem| -> Vec<Elem> {
        e.children
            .iter()
            .filter(|c| !STAYS.contains(&c.name.as_str()))
            .cloned()
            .collect()
    };
    let (from_a, from_b) = (moving(a), moving(b));
    a.children.retain(|c| STAYS.contains(&c.name.as_str()));
    b.children.retain(|c| STAYS.contains(&c.name.as_str()));
    a.children.extend(from_b);
    b.children.extend(from_a);
}

fn cluster_gone(c: &ClusterRec, now: Millis) -> bool {
    c.deleting_until_ms.is_some_and(|u| now >= u)
}

fn cluster_state(c: &ClusterRec, now: Millis) -> &'static str {
    if c.deleting_until_ms.is_some() {
        "Deleting"
    } else if now < c.until_ms {
        "Accepted"
    } else {
        "Running"
    }
}

fn cluster_details(c: &ClusterRec, now: Millis) -> HDInsightClusterDetails {
    HDInsightClusterDetails {
        dns_name: Some(c.name.as_str().into()),
        location: c.location.as_deref().map(Into::into),
        created_time: Some(datetime(c.created_ms)),
        fully_qualified_dns_name: Some(format!("{}.azurehdinsight.net", c.name).into()),
        state: Some(cluster_state(c, now).into()),
        ..Default::default()
    }
}

/// The text of the first element named `name` anywhere in `e`.
fn find_text(e: &Elem, name: &str) -> Option<String> {
    if e.name == name && !e.text.trim().is_empty() {
        return Some(e.text.trim().to_owned());
    }
    e.children.iter().find_map(|c| find_text(c, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration_seconds("PT5M"), Some(300));
        assert_eq!(duration_seconds("PT1H"), Some(3600));
        assert_eq!(duration_seconds("P1D"), Some(86_400));
        assert_eq!(duration_seconds("P1DT12H"), Some(129_600));
        assert_eq!(duration_seconds("PT30S"), Some(30));
        for bad in ["", "P", "PT", "5M", "PT5X", "P1M", "PT0S", "PT5"] {
            assert_eq!(duration_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn noise_is_deterministic_and_in_range() {
        let a = unit_noise("/r", "Percentage CPU", 1000, 1);
        assert_eq!(a, unit_noise("/R", "percentage cpu", 1000, 1));
        assert_ne!(a, unit_noise("/r", "Percentage CPU", 1300, 1));
        assert!((0.0..1.0).contains(&a));
    }
}

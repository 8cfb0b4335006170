//! Web Sites beyond the generic engine's sites and plans: web space reads,
//! the site configuration (app settings, connection strings, handler
//! mappings, runtime versions) kept per site and merged on update, slot
//! configuration names and apply/reset, publishing users and passwords,
//! host name availability, subscription registration, usage and
//! historical metrics (deterministic synthetic values), repositories,
//! backups and hybrid connections.
//!
//! Records live in the `platform` table: per site `WebSiteExtras/{sub}/
//! {space}/{site}` (created on first write, defaults derived from the site
//! until then), per subscription `PublishingUser/{sub}` and
//! `WebSitesRegistration/{sub}`. Secrets (app setting values, connection
//! strings, passwords, storage URLs) are never put in an error message.

use asm_runtime::{json, xml};
use azure_asm::server::ServerRequest;
use azure_asm::*;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, Api, ApiError, Outcome, Reply, XML_CONTENT};
use crate::engine::{Elem, Matched, ResourceRec};
use crate::platform::{duration_seconds, low, site_of, site_password, unit_noise};
use crate::store::*;

const JSON_CONTENT: &str = "application/json; charset=utf-8";
const SERIALIZATION_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/";

/// What a site has beyond its engine record.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct SiteExtrasRec {
    pub config: SiteConfig,
    pub slot_names: SlotConfigNames,
    /// The slot applied by Apply Slot Configuration, with the configuration
    /// it replaced (restored by Reset).
    pub applied_slot: Option<String>,
    pub saved_config: Option<SiteConfig>,
    pub repository: bool,
    pub backup_config: Option<Xml<BackupRequest>>,
    pub backups: Vec<BackupRec>,
    pub hybrid: Vec<Xml<RelayServiceConnectionEntity>>,
}

/// A generated XML type kept as its XML document in a JSON record.
#[derive(Clone, Debug, Default)]
pub(crate) struct Xml<T>(pub T);

impl<T: xml::ToXml> Serialize for Xml<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        xml::to_document("V", &self.0).serialize(s)
    }
}

impl<'de, T: xml::FromXml> Deserialize<'de> for Xml<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        xml::from_document("V", text.as_bytes())
            .map(Xml)
            .map_err(|e| serde::de::Error::custom(e.to_string()))
    }
}

/// A backup and the configuration it holds.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub(crate) struct BackupRec {
    pub item: Xml<BackupItem>,
    pub config: SiteConfig,
}

fn extras_key(sub: &str, space: &str, site: &str) -> String {
    format!("WebSiteExtras/{sub}/{}/{}", low(space), low(site))
}

/// The configuration a new site has (as the service answered for one).
fn default_config(site: &ResourceRec) -> SiteConfig {
    SiteConfig {
        default_documents: [
            "Default.htm",
            "Default.html",
            "Default.asp",
            "index.htm",
            "index.html",
            "iisstart.htm",
            "default.aspx",
            "index.php",
            "hostingstart.html",
        ]
        .iter()
        .map(|s| CompactString::from(*s))
        .collect(),
        detailed_error_logging_enabled: Some(false),
        http_logging_enabled: Some(false),
        logs_directory_size_limit: Some(35),
        managed_pipeline_mode: Some(0),
        net_framework_version: Some("v4.0".into()),
        number_of_workers: Some(1),
        php_version: Some("5.4".into()),
        publishing_password: Some(site_password(site).into()),
        publishing_username: Some(format!("${}", site.name).into()),
        remote_debugging_enabled: Some(false),
        request_tracing_enabled: Some(false),
        scm_type: Some("None".into()),
        use32_bit_worker_process: Some(true),
        web_sockets_enabled: Some(false),
        always_on: Some(false),
        site_auth_enabled: Some(false),
        ..Default::default()
    }
}

fn extras_of(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    site: &ResourceRec,
) -> Result<SiteExtrasRec, ApiError> {
    let space = site.parents.first().map(String::as_str).unwrap_or("");
    Ok(
        get::<SiteExtrasRec>(table, &extras_key(&site.subscription, space, &site.name))?
            .unwrap_or_else(|| SiteExtrasRec {
                config: default_config(site),
                ..Default::default()
            }),
    )
}

/// The site's publishing password (a generated one once Generate
/// Publishing Password ran).
pub(crate) fn current_password(
    tx: &ReadTransaction,
    site: &ResourceRec,
) -> Result<String, ApiError> {
    Ok(extras_of(&tx.open_table(PLATFORM)?, site)?
        .config
        .publishing_password
        .unwrap_or_else(|| site_password(site).into())
        .to_string())
}

/// Forgets what a deleted site had.
pub(crate) fn site_deleted(tx: &WriteTransaction, rec: &ResourceRec) -> Result<(), ApiError> {
    let space = rec.parents.first().map(String::as_str).unwrap_or("");
    tx.open_table(PLATFORM)?
        .remove(extras_key(&rec.subscription, space, &rec.name).as_str())?;
    Ok(())
}

/// What a site read shows of its configuration: app settings, metadata
/// and the properties asked for with `propertiesToInclude`.
pub(crate) fn site_read(
    tx: &ReadTransaction,
    m: &Matched<'_>,
    rec: &ResourceRec,
    state: &mut Elem,
) -> Result<(), ApiError> {
    let extras = extras_of(&tx.open_table(PLATFORM)?, rec)?;
    let pairs = |v: &[NameValue]| -> Vec<NameValuePair> {
        v.iter()
            .map(|p| NameValuePair {
                name: p.name.clone(),
                value: p.value.clone(),
            })
            .collect()
    };
    let mut properties = Vec::new();
    let wanted = m
        .query
        .get("propertiesToInclude")
        .map(|s| s.to_ascii_lowercase())
        .unwrap_or_default();
    for w in wanted.split(',').map(str::trim) {
        let (name, value) = match w {
            "repositoryuri" => (
                "RepositoryUri",
                extras.repository.then(|| scm_uri(rec).into()),
            ),
            "publishingpassword" => (
                "PublishingPassword",
                extras.config.publishing_password.clone(),
            ),
            "publishingusername" => (
                "PublishingUsername",
                extras.config.publishing_username.clone(),
            ),
            _ => continue,
        };
        properties.push(NameValuePair {
            name: name.into(),
            value,
        });
    }
    let props = SiteProperties {
        app_settings: pairs(&extras.config.app_settings),
        metadata: pairs(&extras.config.metadata),
        properties,
    };
    let mut e =
        Elem::parse(xml::to_document("SiteProperties", &props).as_bytes()).unwrap_or_default();
    e.name = "SiteProperties".into();
    state.set(e);
    Ok(())
}

fn scm_uri(site: &ResourceRec) -> String {
    format!("https://{}.scm.azurewebsites.net/", site.name)
}

fn json_reply<T: Serialize>(value: &T) -> Reply {
    Reply::body(200, JSON_CONTENT, json::to_json(value))
}

fn scalar<T: xml::XmlText>(root: &str, v: &T) -> Reply {
    Reply::body(
        200,
        XML_CONTENT,
        xml::scalar_to_document(root, SERIALIZATION_NS, v),
    )
}

/// Whether a site or a plan of `sub` lives in `space`; its region.
fn web_space(
    tx: &ReadTransaction,
    sub: &str,
    space: &str,
    now: Millis,
) -> Result<Option<Option<String>>, ApiError> {
    let table = tx.open_table(RESOURCES)?;
    let mut found = None;
    for kind in ["WebSite", "WebHostingPlan"] {
        for (_, rec) in scan::<ResourceRec>(&table, &format!("{kind}/{sub}/{}/", low(space)))? {
            if !exists(&rec.pending, now) {
                continue;
            }
            let region = rec
                .state
                .child("WebSpaceToCreate")
                .and_then(|w| w.child_text("GeoRegion").map(str::to_owned));
            if found.as_ref().is_none_or(|r: &Option<String>| r.is_none()) {
                found = Some(region);
            }
        }
    }
    Ok(found)
}

/// Site metrics: (name, unit, primary aggregation, typical, spread).
const SITE_METRICS: [(&str, &str, &str, f64, f64); 8] = [
    ("CpuTime", "Milliseconds", "Total", 500.0, 400.0),
    ("Requests", "Count", "Total", 120.0, 100.0),
    ("BytesReceived", "Bytes", "Total", 50_000.0, 40_000.0),
    ("BytesSent", "Bytes", "Total", 200_000.0, 150_000.0),
    ("Http2xx", "Count", "Total", 110.0, 90.0),
    ("Http4xx", "Count", "Total", 5.0, 5.0),
    ("Http5xx", "Count", "Total", 1.0, 1.0),
    ("AverageResponseTime", "Milliseconds", "Average", 80.0, 60.0),
];

/// Plan metrics.
const PLAN_METRICS: [(&str, &str, &str, f64, f64); 4] = [
    ("CpuPercentage", "Percent", "Average", 30.0, 25.0),
    ("MemoryPercentage", "Percent", "Average", 45.0, 30.0),
    ("BytesReceived", "Bytes", "Total", 80_000.0, 60_000.0),
    ("BytesSent", "Bytes", "Total", 300_000.0, 200_000.0),
];

const MAX_SAMPLES: i64 = 10_000;

fn ms_of(d: &DateTime) -> Millis {
    (d.0.unix_timestamp_nanos() / 1_000_000) as Millis
}

#[allow(clippy::too_many_arguments)]
fn metrics(
    resource: &str,
    table: &[(&str, &str, &str, f64, f64)],
    names: Option<&str>,
    start: Option<&DateTime>,
    end: Option<&DateTime>,
    grain: Option<&str>,
    details: bool,
    now: Millis,
) -> Result<WebMetricResponses, ApiError> {
    let grain = grain.unwrap_or("PT1H");
    let step = duration_seconds(grain).ok_or_else(|| {
        ApiError::bad_request(format!("The time grain {grain} is not a valid duration."))
    })? * 1000;
    let end_ms = end.map(ms_of).unwrap_or(now);
    let start_ms = start.map(ms_of).unwrap_or(end_ms - 3_600_000);
    if start_ms >= end_ms {
        return Err(ApiError::bad_request(
            "The StartTime must be before the EndTime.",
        ));
    }
    let first = start_ms.div_euclid(step) * step + if start_ms % step == 0 { 0 } else { step };
    let count = if first >= end_ms {
        0
    } else {
        (end_ms - first - 1) / step + 1
    };
    if count > MAX_SAMPLES {
        return Err(ApiError::bad_request(format!(
            "The time range holds {count} samples at {grain}, more than {MAX_SAMPLES}."
        )));
    }
    let wanted: Vec<String> = match names {
        Some(n) if !n.trim().is_empty() => n
            .split(',')
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty())
            .collect(),
        _ => table.iter().map(|m| m.0.to_owned()).collect(),
    };
    let instances: &[Option<&str>] = if details {
        &[Some("RD0003FF0000A1"), Some("RD0003FF0000A2")]
    } else {
        &[None]
    };
    let mut out = Vec::new();
    for name in wanted {
        let Some(&(mname, unit, agg, typical, spread)) =
            table.iter().find(|m| m.0.eq_ignore_ascii_case(&name))
        else {
            out.push(WebMetricResponse {
                code: Some("NotFound".into()),
                data: None,
                message: Some(format!("The metric {name} does not exist.").into()),
            });
            continue;
        };
        let mut values = Vec::new();
        for i in 0..count {
            let t = first + i * step;
            for inst in instances {
                let salt =
                    inst.map_or(0, |s| s.len() as u64 + u64::from(s.as_bytes()[s.len() - 1]));
                let n = unit_noise(resource, mname, t / 1000, salt);
                let v = (typical + spread * (2.0 * n - 1.0)).max(0.0);
                let v = if unit == "Count"
                    || unit == "Bytes"
                    || unit == "Milliseconds" && agg == "Total"
                {
                    v.round()
                } else {
                    (v * 100.0).round() / 100.0
                };
                values.push(WebMetricSample {
                    count: Some(1),
                    maximum: Some(v.to_string().into()),
                    minimum: Some(v.to_string().into()),
                    time_created: Some(datetime(t)),
                    total: Some(v.to_string().into()),
                    instance_name: inst.map(str::to_owned).map(Into::into),
                });
            }
        }
        out.push(WebMetricResponse {
            code: Some("Success".into()),
            data: Some(WebMetricSet {
                display_name: Some(mname.into()),
                end_time: Some(datetime(end_ms)),
                name: Some(mname.into()),
                primary_aggregation_type: Some(agg.into()),
                start_time: Some(datetime(start_ms)),
                time_grain: Some(grain.into()),
                unit: Some(unit.into()),
                values,
            }),
            message: None,
        });
    }
    Ok(WebMetricResponses {
        metric_response: out,
    })
}

fn check_storage_url(url: &Option<CompactString>) -> Result<(), ApiError> {
    match url.as_deref().map(str::trim) {
        None | Some("") => Err(ApiError::bad_request("The StorageAccountUrl is missing.")),
        Some(u) if !u.starts_with("https://") && !u.starts_with("http://") => Err(
            ApiError::bad_request("The StorageAccountUrl is not a valid URL."),
        ),
        _ => Ok(()),
    }
}

fn merge_config(into: &mut SiteConfig, u: &SiteConfig) {
    macro_rules! opt {
        ($($f:ident),*) => { $( if u.$f.is_some() { into.$f = u.$f.clone(); } )* };
    }
    macro_rules! list {
        ($($f:ident),*) => { $( if !u.$f.is_empty() { into.$f = u.$f.clone(); } )* };
    }
    list!(
        app_settings,
        connection_strings,
        default_documents,
        handler_mappings,
        metadata
    );
    opt!(
        detailed_error_logging_enabled,
        document_root,
        http_logging_enabled,
        logs_directory_size_limit,
        managed_pipeline_mode,
        net_framework_version,
        number_of_workers,
        php_version,
        publishing_password,
        publishing_username,
        remote_debugging_enabled,
        remote_debugging_version,
        request_tracing_enabled,
        request_tracing_expiration_time,
        scm_type,
        use32_bit_worker_process,
        web_sockets_enabled,
        always_on,
        java_version,
        java_container,
        java_container_version,
        auto_swap_slot_name,
        site_auth_enabled
    );
}

fn validate_config(c: &SiteConfig) -> Result<(), ApiError> {
    for (i, s) in c.app_settings.iter().enumerate() {
        if s.name.trim().is_empty() {
            return Err(ApiError::bad_request(format!(
                "The name of app setting {} is empty.",
                i + 1
            )));
        }
    }
    for (i, s) in c.connection_strings.iter().enumerate() {
        if s.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
            return Err(ApiError::bad_request(format!(
                "The name of connection string {} is empty.",
                i + 1
            )));
        }
        if s.type_.is_some_and(|t| !(0..=3).contains(&t)) {
            return Err(ApiError::bad_request(format!(
                "The type of connection string {} must be 0 (MySql), 1 (SQLServer), 2 (SQLAzure) or 3 (Custom).",
                i + 1
            )));
        }
    }
    if let Some(v) = &c.php_version {
        if !["", "5.3", "5.4", "5.5", "5.6", "7.0"].contains(&v.as_str()) {
            return Err(ApiError::bad_request(format!(
                "The PHP version {v} is not supported."
            )));
        }
    }
    if let Some(v) = &c.net_framework_version {
        if !["v2.0", "v4.0"].contains(&v.as_str()) {
            return Err(ApiError::bad_request(format!(
                "The .NET Framework version {v} is not supported."
            )));
        }
    }
    if c.managed_pipeline_mode
        .is_some_and(|m| !(0..=1).contains(&m))
    {
        return Err(ApiError::bad_request(
            "The ManagedPipelineMode must be 0 (Integrated) or 1 (Classic).",
        ));
    }
    if c.number_of_workers.is_some_and(|n| n < 1) {
        return Err(ApiError::bad_request(
            "The NumberOfWorkers must be at least 1.",
        ));
    }
    Ok(())
}

fn slot_site(site: &str, slot: &str) -> String {
    if slot.eq_ignore_ascii_case("production") {
        site.split('(').next().unwrap_or(site).to_owned()
    } else {
        format!("{}({slot})", site.split('(').next().unwrap_or(site))
    }
}

fn new_password() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{a}{b}")
}

impl Api {
    /// Reads that share their wire with another operation and are told
    /// apart by a query parameter the router does not look at
    /// (Is Hostname Available: ListWebSpaces with `ishostnameavailable`).
    pub(crate) fn websites_same_wire_read(
        &self,
        req: &ServerRequest,
        query: &str,
        now: Millis,
    ) -> Option<Result<Reply, ApiError>> {
        if !matches!(req, ServerRequest::ListWebSpaces { .. }) {
            return None;
        }
        // The router parsed this query already (a query that does not
        // parse never gets here).
        let query = asm_runtime::routing::QueryParams::parse(query).ok()?;
        let name = query.get("ishostnameavailable")?;
        Some(self.hostname_available(name, now))
    }

    fn hostname_available(&self, name: &str, now: Millis) -> Result<Reply, ApiError> {
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(ApiError::bad_request("The host name is missing."));
        }
        let host = if name.contains('.') {
            name.clone()
        } else {
            format!("{name}.azurewebsites.net")
        };
        let tx = self.store.db.begin_read()?;
        let table = tx.open_table(RESOURCES)?;
        let mut taken = false;
        for (_, rec) in scan::<ResourceRec>(&table, "WebSite/")? {
            if !exists(&rec.pending, now) {
                continue;
            }
            let mut names = vec![rec.name.to_ascii_lowercase()];
            if let Some(h) = rec.state.child_text("DefaultHostName") {
                names.push(h.to_ascii_lowercase());
            }
            if let Some(hs) = rec.state.child("HostNames") {
                names.extend(
                    hs.children
                        .iter()
                        .map(|c| c.text.trim().to_ascii_lowercase()),
                );
            }
            if names.iter().any(|n| *n == name || *n == host) {
                taken = true;
                break;
            }
        }
        Ok(scalar("boolean", &!taken))
    }

    /// Web Sites reads served here; anything else is not implemented.
    pub(crate) fn websites_read(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        let site =
            |space: &str, name: &str| site_of(&tx.open_table(RESOURCES)?, sub, space, name, now);
        let extras = |space: &str, name: &str| -> Result<(ResourceRec, SiteExtrasRec), ApiError> {
            let s = site(space, name)?;
            let e = extras_of(&tx.open_table(PLATFORM)?, &s)?;
            Ok((s, e))
        };
        match req {
            ServerRequest::GetWebSpace { web_space_name, .. } => {
                let region = web_space(tx, sub, web_space_name, now)?.ok_or_else(|| {
                    ApiError::not_found(format!("Cannot find WebSpace with name {web_space_name}."))
                })?;
                Ok(Reply::xml(
                    req,
                    &WebSpace {
                        availability_state: Some(WebSpaceAvailabilityState::Normal),
                        compute_mode: Some(WebComputeMode::Shared),
                        current_number_of_workers: Some(0),
                        geo_region: region.map(Into::into),
                        name: web_space_name.as_str().into(),
                        number_of_workers: Some(0),
                        plan: Some("VirtualDedicatedPlan".into()),
                        status: Some(WebSpaceStatus::Ready),
                        subscription: Some(sub.into()),
                        ..Default::default()
                    },
                ))
            }
            ServerRequest::ListPublishingUsers { .. } => {
                let user: Option<Xml<PublishingUser>> =
                    get(&tx.open_table(PLATFORM)?, &format!("PublishingUser/{sub}"))?;
                Ok(Reply::xml(
                    req,
                    &ArrayOfstring {
                        ids: user
                            .and_then(|u| u.0.publishing_user_name)
                            .into_iter()
                            .collect(),
                    },
                ))
            }
            ServerRequest::GetSlotConfigNames {
                web_space_name,
                web_site_name,
                ..
            } => Ok(json_reply(
                &extras(web_space_name, web_site_name)?.1.slot_names,
            )),
            ServerRequest::GetWebSiteConfiguration {
                web_space_name,
                web_site_name,
                ..
            } => Ok(json_reply(&extras(web_space_name, web_site_name)?.1.config)),
            ServerRequest::GetWebSiteUsageMetrics {
                web_space_name,
                web_site_name,
                ..
            } => {
                let s = site(web_space_name, web_site_name)?;
                let day = now.div_euclid(86_400_000) * 86_400_000;
                let usage = |name: &str, display: &str, unit: &str, limit: f64, salt: u64| {
                    let v = (unit_noise(&s.name, name, day / 1000, salt) * limit * 0.5).round();
                    WebSiteUsage {
                        compute_mode: Some(WebComputeMode::Shared),
                        current_value: Some(v.to_string().into()),
                        display_name: Some(display.into()),
                        limit: Some(limit.to_string().into()),
                        name: Some(name.into()),
                        next_reset_time: Some(datetime(day + 86_400_000)),
                        resource_name: Some(s.name.as_str().into()),
                        site_mode: Some("Limited".into()),
                        unit: Some(unit.into()),
                    }
                };
                Ok(Reply::xml(
                    req,
                    &WebSiteUsages {
                        usage: vec![
                            usage("CpuTime", "CPU Time", "Milliseconds", 3_600_000.0, 1),
                            usage("BytesSent", "Data Out", "Bytes", 165_000_000.0, 2),
                            usage(
                                "FileSystemStorage",
                                "File System Storage",
                                "Bytes",
                                1_073_741_824.0,
                                3,
                            ),
                            usage("MemoryUsage", "Memory Usage", "Bytes", 1_073_741_824.0, 4),
                        ],
                    },
                ))
            }
            ServerRequest::GetWebSiteHistoricalUsageMetrics {
                web_space_name,
                web_site_name,
                options,
                ..
            } => {
                let s = site(web_space_name, web_site_name)?;
                let body = metrics(
                    &format!("{sub}/{}", s.name),
                    &SITE_METRICS,
                    options.names.as_deref(),
                    options.start_time.as_ref(),
                    options.end_time.as_ref(),
                    options.time_grain.as_deref(),
                    options.details.unwrap_or(false),
                    now,
                )?;
                Ok(Reply::xml(req, &body))
            }
            ServerRequest::GetWebHostingPlanHistoricalUsageMetrics {
                web_space_name,
                web_hosting_plan_name,
                options,
                ..
            } => {
                let key = format!(
                    "WebHostingPlan/{sub}/{}/{}",
                    low(web_space_name),
                    low(web_hosting_plan_name)
                );
                let plan = get::<ResourceRec>(&tx.open_table(RESOURCES)?, &key)?
                    .filter(|r| exists(&r.pending, now))
                    .ok_or_else(|| {
                        ApiError::not_found(format!(
                            "The web hosting plan {web_hosting_plan_name} does not exist."
                        ))
                    })?;
                let body = metrics(
                    &format!("{sub}/plan/{}", plan.name),
                    &PLAN_METRICS,
                    options.names.as_deref(),
                    options.start_time.as_ref(),
                    options.end_time.as_ref(),
                    options.time_grain.as_deref(),
                    options.details.unwrap_or(false),
                    now,
                )?;
                Ok(Reply::xml(req, &body))
            }
            ServerRequest::GetWebSiteMetricDefinitions {
                webspace_name,
                website_name,
                ..
            } => {
                site(webspace_name, website_name)?;
                let availabilities = [("PT1M", "P1D"), ("PT1H", "P30D"), ("P1D", "P90D")];
                Ok(Reply::xml(
                    req,
                    &WebMetricDefinitions {
                        metric_definition: SITE_METRICS
                            .iter()
                            .map(|(name, unit, agg, _, _)| WebMetricDefinition {
                                name: Some((*name).into()),
                                unit: Some((*unit).into()),
                                primary_aggregation_type: Some((*agg).into()),
                                metric_availabilities: availabilities
                                    .iter()
                                    .map(|(g, r)| WebMetricAvailability {
                                        time_grain: Some((*g).into()),
                                        retention: Some((*r).into()),
                                    })
                                    .collect(),
                            })
                            .collect(),
                    },
                ))
            }
            ServerRequest::GetRepository {
                web_space_name,
                web_site_name,
                ..
            } => {
                let (s, e) = extras(web_space_name, web_site_name)?;
                if !e.repository {
                    return Err(ApiError::not_found(format!(
                        "The web site {web_site_name} has no repository."
                    )));
                }
                Ok(scalar("anyURI", &scm_uri(&s)))
            }
            ServerRequest::GetBackupConfiguration {
                web_space_name,
                web_site_name,
                ..
            } => {
                let e = extras(web_space_name, web_site_name)?.1;
                let c = e.backup_config.map(|c| c.0).ok_or_else(|| {
                    ApiError::not_found(format!(
                        "The web site {web_site_name} has no backup configuration."
                    ))
                })?;
                Ok(Reply::xml(req, &c))
            }
            ServerRequest::ListBackups {
                web_space_name,
                web_site_name,
                ..
            } => {
                let e = extras(web_space_name, web_site_name)?.1;
                Ok(Reply::xml(
                    req,
                    &BackupItems {
                        backup_item: e.backups.into_iter().map(|b| b.item.0).collect(),
                    },
                ))
            }
            ServerRequest::ListHybridConnections {
                web_space_name,
                web_site_name,
                ..
            } => {
                let e = extras(web_space_name, web_site_name)?.1;
                Ok(Reply::xml(
                    req,
                    &ArrayOfRelayServiceConnectionEntity {
                        relay_service_connection_entity: e
                            .hybrid
                            .into_iter()
                            .map(|h| h.0)
                            .collect(),
                    },
                ))
            }
            ServerRequest::GetHybridConnection {
                web_space_name,
                web_site_name,
                hybrid_connection_name,
                ..
            } => {
                let e = extras(web_space_name, web_site_name)?.1;
                let h = e
                    .hybrid
                    .into_iter()
                    .map(|h| h.0)
                    .find(|h| {
                        h.entity_name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(hybrid_connection_name))
                    })
                    .ok_or_else(|| hybrid_missing(hybrid_connection_name))?;
                Ok(Reply::xml(req, &h))
            }
            _ => self.read_sb_scheduler(tx, sub, req, now),
        }
    }

    /// Web Sites writes served here; anything else is not implemented.
    pub(crate) fn websites_write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let until = now + self.async_delay_ms;
        let load = |space: &str, name: &str| -> Result<(ResourceRec, SiteExtrasRec), ApiError> {
            let s = site_of(&tx.open_table(RESOURCES)?, sub, space, name, now)?;
            let e = extras_of(&tx.open_table(PLATFORM)?, &s)?;
            Ok((s, e))
        };
        let save = |space: &str, s: &ResourceRec, e: &SiteExtrasRec| -> Result<(), ApiError> {
            // The record keeps the secrets (the store's serialization
            // would redact them).
            let mut table = tx.open_table(PLATFORM)?;
            asm_runtime::redaction::with_secrets_shown(|| {
                put(&mut table, &extras_key(sub, space, &s.name), e)
            })?;
            Ok(())
        };
        match req {
            ServerRequest::CreatePublishingUser { body, .. } => {
                let user = body
                    .publishing_user_name
                    .as_deref()
                    .map(str::trim)
                    .filter(|u| !u.is_empty())
                    .ok_or_else(|| ApiError::bad_request("The PublishingUserName is missing."))?;
                if user.len() < 3
                    || !user
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                {
                    return Err(ApiError::bad_request(format!(
                        "The publishing user name {user} is not valid."
                    )));
                }
                let pw = body.publishing_password.as_deref().unwrap_or("");
                if pw.len() < 8 {
                    return Err(ApiError::bad_request(
                        "The publishing password must be at least 8 characters long.",
                    ));
                }
                let mut table = tx.open_table(PLATFORM)?;
                let key = format!("PublishingUser/{sub}");
                let existed = get::<Xml<PublishingUser>>(&table, &key)?.is_some();
                let rec = PublishingUser {
                    name: Some("web".into()),
                    publishing_password: body.publishing_password.clone(),
                    publishing_user_name: Some(user.into()),
                };
                asm_runtime::redaction::with_secrets_shown(|| {
                    put(&mut table, &key, &Xml(rec.clone()))
                })?;
                let shown = PublishingUser {
                    publishing_password: None,
                    ..rec
                };
                let mut reply = Reply::xml(req, &shown);
                reply.status = if existed { 200 } else { 201 };
                Ok(reply.into())
            }
            ServerRequest::RegisterWebSitesSubscription { .. }
            | ServerRequest::UnregisterWebSitesSubscription { .. } => {
                let register = matches!(req, ServerRequest::RegisterWebSitesSubscription { .. });
                let mut table = tx.open_table(PLATFORM)?;
                let key = format!("WebSitesRegistration/{sub}");
                let registered = get::<bool>(&table, &key)?.unwrap_or(false);
                if register == registered {
                    return Err(ApiError::conflict(if register {
                        "The subscription is already registered with the web sites service."
                    } else {
                        "The subscription is not registered with the web sites service."
                    }));
                }
                put(&mut table, &key, &register)?;
                Ok(Outcome {
                    reply: Reply::empty(202),
                    completion: Some((until, None)),
                })
            }
            ServerRequest::ApplySlotConfiguration {
                web_space_name,
                web_site_name,
                target_swap_slot,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                let target_name = slot_site(web_site_name, target_swap_slot);
                if target_name.eq_ignore_ascii_case(&s.name) {
                    return Err(ApiError::bad_request(
                        "The target slot must differ from the site.",
                    ));
                }
                let (_, target) = load(web_space_name, &target_name)?;
                if let Some(applied) = &e.applied_slot {
                    if !applied.eq_ignore_ascii_case(target_swap_slot) {
                        return Err(ApiError::conflict(format!(
                            "The configuration of slot {applied} is applied; reset it first."
                        )));
                    }
                    return Ok(Reply::empty(200).into());
                }
                e.saved_config = Some(e.config.clone());
                e.applied_slot = Some(target_swap_slot.clone());
                // The settings that stay with the slot take the target's values.
                let sticky_apps = e.slot_names.app_setting_names.clone();
                let sticky_conns = e.slot_names.connection_string_names.clone();
                let is = |names: &[CompactString], n: &str| {
                    names.iter().any(|x| x.eq_ignore_ascii_case(n))
                };
                e.config.app_settings.retain(|a| !is(&sticky_apps, &a.name));
                e.config.app_settings.extend(
                    target
                        .config
                        .app_settings
                        .iter()
                        .filter(|a| is(&sticky_apps, &a.name))
                        .cloned(),
                );
                e.config
                    .connection_strings
                    .retain(|c| !is(&sticky_conns, c.name.as_deref().unwrap_or("")));
                e.config.connection_strings.extend(
                    target
                        .config
                        .connection_strings
                        .iter()
                        .filter(|c| is(&sticky_conns, c.name.as_deref().unwrap_or("")))
                        .cloned(),
                );
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::ResetSlotConfiguration {
                web_space_name,
                web_site_name,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                if let Some(saved) = e.saved_config.take() {
                    e.config = saved;
                }
                e.applied_slot = None;
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::UpdateSlotConfigNames {
                web_space_name,
                web_site_name,
                body,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                if body
                    .app_setting_names
                    .iter()
                    .chain(&body.connection_string_names)
                    .any(|n| n.trim().is_empty())
                {
                    return Err(ApiError::bad_request("A setting name is empty."));
                }
                e.slot_names = body.clone();
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::UpdateWebSiteConfiguration {
                web_space_name,
                web_site_name,
                body,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                validate_config(body)?;
                merge_config(&mut e.config, body);
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::GeneratePublishingPassword {
                web_space_name,
                web_site_name,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                e.config.publishing_password = Some(new_password().into());
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::CreateRepository {
                web_space_name,
                web_site_name,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                e.repository = true;
                if e.config.scm_type.as_deref().is_none_or(|t| t == "None") {
                    e.config.scm_type = Some("LocalGit".into());
                }
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::DeleteRepository {
                web_space_name,
                web_site_name,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                if !e.repository {
                    return Err(ApiError::not_found(format!(
                        "The web site {web_site_name} has no repository."
                    )));
                }
                e.repository = false;
                e.config.scm_type = Some("None".into());
                save(web_space_name, &s, &e)?;
                Ok(scalar("anyURI", &scm_uri(&s)).into())
            }
            ServerRequest::SyncRepository {
                web_space_name,
                web_site_name,
                ..
            } => {
                let (_, e) = load(web_space_name, web_site_name)?;
                if !e.repository {
                    return Err(ApiError::not_found(format!(
                        "The web site {web_site_name} has no repository."
                    )));
                }
                Ok(Reply::empty(200).into())
            }
            ServerRequest::BackupWebSite {
                web_space_name,
                web_site_name,
                body,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                check_storage_url(&body.storage_account_url)?;
                let stamp = datetime(now).0;
                let name = body
                    .name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| {
                        format!(
                            "{}_{:04}{:02}{:02}{:02}{:02}{:02}",
                            s.name,
                            stamp.year(),
                            u8::from(stamp.month()),
                            stamp.day(),
                            stamp.hour(),
                            stamp.minute(),
                            stamp.second()
                        )
                        .into()
                    });
                if e.backups
                    .iter()
                    .any(|b| b.item.0.name.as_deref() == Some(name.as_str()))
                {
                    return Err(ApiError::conflict(format!(
                        "A backup named {name} already exists."
                    )));
                }
                let size = 10_000 + (unit_noise(&s.name, &name, now / 1000, 5) * 1e6) as i64;
                let item = BackupItem {
                    storage_account_url: body.storage_account_url.clone(),
                    blob_name: Some(format!("{name}.zip").into()),
                    name: Some(name),
                    status: Some(BackupStatus::Succeeded),
                    size_in_bytes: Some(size),
                    created: Some(datetime(now)),
                    log: None,
                    databases: body.databases.clone(),
                    scheduled: Some(false),
                    last_restore_time_stamp: None,
                    finished_time_stamp: Some(datetime(now)),
                    correlation_id: Some(uuid::Uuid::new_v4().to_string().into()),
                };
                e.backups.push(BackupRec {
                    item: Xml(item.clone()),
                    config: e.config.clone(),
                });
                save(web_space_name, &s, &e)?;
                Ok(Reply::xml(req, &item).into())
            }
            ServerRequest::UpdateBackupConfiguration {
                web_space_name,
                web_site_name,
                body,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                check_storage_url(&body.storage_account_url)?;
                if let Some(sch) = &body.backup_schedule {
                    if sch.frequency_interval.is_some_and(|i| i < 1) {
                        return Err(ApiError::bad_request(
                            "The backup FrequencyInterval must be at least 1.",
                        ));
                    }
                    if sch.retention_period_in_days.is_some_and(|d| d < 0) {
                        return Err(ApiError::bad_request(
                            "The backup RetentionPeriodInDays cannot be negative.",
                        ));
                    }
                } else if body.enabled == Some(true) {
                    return Err(ApiError::bad_request(
                        "An enabled backup configuration needs a BackupSchedule.",
                    ));
                }
                e.backup_config = Some(Xml(body.clone()));
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::RestoreWebSite {
                web_space_name,
                web_site_name,
                body,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                check_storage_url(&body.storage_account_url)?;
                if !body.overwrite.unwrap_or(false) {
                    return Err(ApiError::conflict(format!(
                        "The web site {web_site_name} exists; set Overwrite to restore onto it."
                    )));
                }
                let blob = body.blob_name.clone().unwrap_or_default();
                let b = e
                    .backups
                    .iter_mut()
                    .find(|b| b.item.0.blob_name.as_deref() == Some(blob.as_str()))
                    .ok_or_else(|| backup_missing(&blob))?;
                b.item.0.last_restore_time_stamp = Some(datetime(now));
                let config = b.config.clone();
                let password = e.config.publishing_password.clone();
                e.config = config;
                e.config.publishing_password = password;
                save(web_space_name, &s, &e)?;
                Ok(Reply::xml(
                    req,
                    &RestoreResponse {
                        operation_id: Some(uuid::Uuid::new_v4().to_string().into()),
                    },
                )
                .into())
            }
            ServerRequest::DiscoverBackup {
                web_space_name,
                web_site_name,
                body,
                ..
            } => {
                let (_, e) = load(web_space_name, web_site_name)?;
                check_storage_url(&body.storage_account_url)?;
                let blob = body.blob_name.clone().unwrap_or_default();
                let b = e
                    .backups
                    .iter()
                    .find(|b| b.item.0.blob_name.as_deref() == Some(blob.as_str()))
                    .ok_or_else(|| backup_missing(&blob))?;
                Ok(Reply::xml(
                    req,
                    &RestoreRequest {
                        adjust_connection_strings: body.adjust_connection_strings,
                        blob_name: b.item.0.blob_name.clone(),
                        databases: b.item.0.databases.clone(),
                        ignore_conflicting_host_names: body.ignore_conflicting_host_names,
                        overwrite: body.overwrite,
                        storage_account_url: body.storage_account_url.clone(),
                    },
                )
                .into())
            }
            ServerRequest::CreateHybridConnection {
                web_space_name,
                site_name,
                body,
                ..
            } => {
                let (s, mut e) = load(web_space_name, site_name)?;
                let name = body.entity_name.trim();
                if name.is_empty() {
                    return Err(ApiError::bad_request("The EntityName is missing."));
                }
                if body.hostname.trim().is_empty() {
                    return Err(ApiError::bad_request("The Hostname is missing."));
                }
                if !(1..=65535).contains(&body.port) {
                    return Err(ApiError::bad_request(format!(
                        "The port {} is not between 1 and 65535.",
                        body.port
                    )));
                }
                if e.hybrid.iter().any(|h| {
                    h.0.entity_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(name))
                }) {
                    return Err(ApiError::conflict(format!(
                        "The hybrid connection {name} already exists."
                    )));
                }
                let h = RelayServiceConnectionEntity {
                    entity_name: Some(name.into()),
                    entity_connection_string: Some(body.entity_connection_string.clone()),
                    resource_type: Some(body.resource_type.clone()),
                    resource_connection_string: Some(body.resource_connection_string.clone()),
                    hostname: Some(body.hostname.clone()),
                    port: Some(body.port),
                    biztalk_uri: Some(body.biztalk_uri.clone()),
                };
                e.hybrid.push(Xml(h.clone()));
                save(web_space_name, &s, &e)?;
                Ok(Reply::xml(req, &h).into())
            }
            ServerRequest::UpdateHybridConnection {
                web_space_name,
                site_name,
                body,
                ..
            } => {
                let (s, mut e) = load(web_space_name, site_name)?;
                if body.port.is_some_and(|p| !(1..=65535).contains(&p)) {
                    return Err(ApiError::bad_request(
                        "The port is not between 1 and 65535.",
                    ));
                }
                let h = e
                    .hybrid
                    .iter_mut()
                    .map(|h| &mut h.0)
                    .find(|h| {
                        h.entity_name
                            .as_deref()
                            .is_some_and(|n| n.eq_ignore_ascii_case(&body.entity_name))
                    })
                    .ok_or_else(|| hybrid_missing(&body.entity_name))?;
                macro_rules! upd {
                    ($($f:ident),*) => { $( if body.$f.is_some() { h.$f = body.$f.clone(); } )* };
                }
                upd!(
                    biztalk_uri,
                    entity_connection_string,
                    hostname,
                    port,
                    resource_connection_string,
                    resource_type
                );
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::DeleteHybridConnection {
                web_space_name,
                web_site_name,
                hybrid_connection_name,
                ..
            } => {
                let (s, mut e) = load(web_space_name, web_site_name)?;
                let before = e.hybrid.len();
                e.hybrid.retain(|h| {
                    !h.0.entity_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(hybrid_connection_name))
                });
                if e.hybrid.len() == before {
                    return Err(hybrid_missing(hybrid_connection_name));
                }
                save(web_space_name, &s, &e)?;
                Ok(Reply::empty(200).into())
            }
            _ => self.write_sb_scheduler(tx, sub, req, now),
        }
    }
}

fn hybrid_missing(name: &str) -> ApiError {
    ApiError::not_found(format!("The hybrid connection {name} does not exist."))
}

fn backup_missing(blob: &str) -> ApiError {
    ApiError::not_found(format!("The backup {blob} does not exist."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_are_deterministic_and_in_window() {
        let t = |s: &str| {
            DateTime(
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .unwrap(),
            )
        };
        let (a, b) = (t("2026-01-01T00:00:00Z"), t("2026-01-01T06:00:00Z"));
        let m1 = metrics(
            "s/x",
            &SITE_METRICS,
            Some("CpuTime,Nope"),
            Some(&a),
            Some(&b),
            Some("PT1H"),
            false,
            0,
        )
        .unwrap();
        let m2 = metrics(
            "s/x",
            &SITE_METRICS,
            Some("CpuTime,Nope"),
            Some(&a),
            Some(&b),
            Some("PT1H"),
            false,
            0,
        )
        .unwrap();
        assert_eq!(m1, m2);
        let data = m1.metric_response[0].data.clone().unwrap();
        assert_eq!(data.values.len(), 6);
        assert_eq!(m1.metric_response[1].code.as_deref(), Some("NotFound"));
        assert!(metrics(
            "s/x",
            &SITE_METRICS,
            None,
            Some(&b),
            Some(&a),
            None,
            false,
            0
        )
        .is_err());
        // 6 hours at 1 second: more samples than one read returns.
        assert!(metrics(
            "s/x",
            &SITE_METRICS,
            None,
            Some(&a),
            Some(&b),
            Some("PT1S"),
            false,
            0
        )
        .is_err());
        assert!(metrics(
            "s/x",
            &SITE_METRICS,
            None,
            Some(&a),
            Some(&b),
            Some("bogus"),
            false,
            0
        )
        .is_err());
    }

    #[test]
    fn config_merges_only_what_is_given() {
        let mut c = SiteConfig {
            php_version: Some("5.4".into()),
            app_settings: vec![NameValue {
                name: "a".into(),
                value: Some("1".into()),
            }],
            ..Default::default()
        };
        merge_config(
            &mut c,
            &SiteConfig {
                net_framework_version: Some("v2.0".into()),
                ..Default::default()
            },
        );
        assert_eq!(c.php_version.as_deref(), Some("5.4"));
        assert_eq!(c.net_framework_version.as_deref(), Some("v2.0"));
        assert_eq!(c.app_settings.len(), 1);
        assert!(validate_config(&SiteConfig {
            php_version: Some("9.9".into()),
            ..Default::default()
        })
        .is_err());
    }
}

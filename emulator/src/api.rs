//! The behaviour of every operation over the stored state. Routing, body
//! decoding and response encoding are the generated code's; this module
//! decides what happens.

use std::time::{SystemTime, UNIX_EPOCH};

use asm_runtime::routing::RouteError;
use asm_runtime::xml::{self, XmlText};
use asm_runtime::DateTime;
use azure_asm::server::{route, ServerRequest};
use azure_asm::*;
use base64::Engine as _;
use rand::RngCore as _;
use redb::WriteTransaction;

use crate::locations;
use crate::store::*;

/// Subscription quotas reported (and enforced) by the emulator.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Quotas {
    pub max_hosted_services: i32,
    pub max_storage_accounts: i32,
}

/// The emulator's request handler (synchronous: it runs on a blocking thread).
pub(crate) struct Api {
    pub engine: std::sync::Arc<crate::engine::Engine>,
    pub store: Store,
    pub endpoint: String,
    pub async_delay_ms: i64,
    pub page_size: usize,
    pub quotas: Quotas,
}

/// A request as the HTTP layer hands it over.
pub(crate) struct Incoming {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: bytes::Bytes,
    pub version: Option<String>,
    pub thumbprint: Option<String>,
    pub client_ip: Option<String>,
    pub request_id: String,
}

/// What to answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Option<String>,
    pub content_type: &'static str,
}

impl Reply {
    pub(crate) fn empty(status: u16) -> Self {
        Self {
            status,
            body: None,
            content_type: XML_CONTENT,
        }
    }

    /// The operation's XML response (root and namespace from the spec).
    pub(crate) fn xml<T: xml::ToXml>(req: &ServerRequest, value: &T) -> Self {
        let spec = req.spec();
        let root = spec.response_root.unwrap_or("Response");
        let ns = spec.response_namespace.unwrap_or(xml::NAMESPACE);
        Self::body(
            spec.first_success(),
            XML_CONTENT,
            xml::to_document_ns(root, ns, value),
        )
    }

    /// A body with its content type.
    pub(crate) fn body(status: u16, content_type: &'static str, body: String) -> Self {
        Self {
            status,
            body: Some(body),
            content_type,
        }
    }
}

pub(crate) const XML_CONTENT: &str = "application/xml; charset=utf-8";

/// An error answer: `<Error><Code/><Message/></Error>`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }
    pub(crate) fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "ResourceNotFound", message)
    }
    pub(crate) fn conflict(message: impl Into<String>) -> Self {
        Self::new(409, "ConflictError", message)
    }
    fn forbidden() -> Self {
        Self::new(
            403,
            "ForbiddenError",
            "The server failed to authenticate the request. Verify that the certificate is valid and is associated with this subscription.",
        )
    }

    pub fn reply(&self) -> Reply {
        Reply::body(
            self.status,
            XML_CONTENT,
            error_document(self.code, &self.message),
        )
    }

    fn failure(&self) -> Failure {
        Failure {
            status: self.status,
            code: self.code.to_owned(),
            message: self.message.clone(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::error!(error = %e, "database failure");
        ApiError::new(
            500,
            "InternalError",
            "The server encountered an internal error.",
        )
    }
}

macro_rules! api_error_from_store {
    ($($t:ty),*) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                ApiError::from(StoreError::from(e))
            }
        }
    )*};
}
api_error_from_store!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    serde_json::Error
);

/// The service's error document.
pub(crate) fn error_document(code: &str, message: &str) -> String {
    format!(
        "<Error xmlns=\"{}\" xmlns:i=\"{}\"><Code>{}</Code><Message>{}</Message></Error>",
        xml::NAMESPACE,
        xml::XSI_NAMESPACE,
        escape(code),
        escape(message)
    )
}

/// Text escaped for XML content and double-quoted attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

pub(crate) fn now_ms() -> Millis {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub(crate) fn datetime(ms: Millis) -> DateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .map(DateTime)
        .unwrap_or_default()
}

fn millis(dt: &DateTime) -> Millis {
    (dt.0.unix_timestamp_nanos() / 1_000_000) as Millis
}

/// A new random storage access key (64 bytes, base64).
pub(crate) fn new_key() -> String {
    let mut bytes = [0u8; 64];
    rand::rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn is_mutating(method: &str) -> bool {
    matches!(
        method.to_ascii_uppercase().as_str(),
        "POST" | "PUT" | "DELETE" | "PATCH"
    )
}

/// Keeps an asynchronous operation's completion with its reply.
pub(crate) struct Outcome {
    pub reply: Reply,
    /// For `async` operations: completes at, possibly failing then.
    pub completion: Option<(Millis, Option<Failure>)>,
}

impl Api {
    /// The answer of an accepted asynchronous call: 202 with no body, the
    /// operation succeeding after the configured delay.
    pub(crate) fn accepted(&self, now: Millis) -> Outcome {
        Outcome {
            reply: Reply::empty(202),
            completion: Some((now + self.async_delay_ms, None)),
        }
    }
}

impl From<Reply> for Outcome {
    fn from(reply: Reply) -> Self {
        Self {
            reply,
            completion: None,
        }
    }
}

/// What is recorded about a mutating call.
struct Record {
    name: Option<String>,
    object_id: String,
    parameters: Vec<(String, String)>,
}

const OK: u16 = 200;

impl Api {
    /// Serves one request.
    pub fn handle(&self, inc: &Incoming) -> Reply {
        let now = now_ms();
        let segment = inc
            .path
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        let subscription = asm_runtime::path::decode_segment(segment)
            .unwrap_or_default()
            .to_ascii_lowercase();
        if subscription.is_empty() {
            return ApiError::not_found("The requested resource does not exist.").reply();
        }
        // `GET /subscriptions` names no subscription: it lists the caller's.
        if subscription == "subscriptions" {
            if let Ok(ServerRequest::ListSubscriptions {}) =
                route(&inc.method, &inc.path, &inc.query, &inc.body)
            {
                return self
                    .check_version(inc)
                    .and_then(|()| self.list_subscriptions(inc.thumbprint.as_deref()))
                    .unwrap_or_else(|e| e.reply());
            }
        }
        match self.authorised(&subscription, inc.thumbprint.as_deref()) {
            Ok(true) => {}
            Ok(false) => return ApiError::forbidden().reply(),
            Err(e) => return e.reply(),
        }
        // One routing, with the spec model: it names the operation for the
        // history, and picks the engine for the operations a resource declares.
        let matched = self
            .engine
            .route(&inc.method, &inc.path, &inc.query, &inc.body)
            .ok();
        let record = is_mutating(&inc.method).then(|| self.record_of(inc, matched.as_ref()));
        if let Some(m) = matched.filter(|m| self.engine.serves(&m.op.name)) {
            if let Err(e) = self.check_version(inc) {
                return match record {
                    Some(record) => {
                        self.mutate(inc, &subscription, record, now, |_, _| Err(e.clone()))
                    }
                    None => e.reply(),
                };
            }
            return match record {
                None => self
                    .store
                    .db
                    .begin_read()
                    .map_err(ApiError::from)
                    .and_then(|tx| self.engine_read(&tx, &subscription, &m, now))
                    .unwrap_or_else(|e| e.reply()),
                Some(mut record) => {
                    if let Some(id) = self.engine_object_id(&m, &inc.body) {
                        record.object_id = id;
                    }
                    self.mutate(inc, &subscription, record, now, |api, tx| {
                        api.engine_write(tx, &subscription, &m, &inc.body, now)
                    })
                }
            };
        }
        let result = self.check_version(inc).and_then(|()| {
            route(&inc.method, &inc.path, &inc.query, &inc.body).map_err(|e| match e {
                RouteError::NotFound => {
                    ApiError::not_found("The requested resource or operation does not exist.")
                }
                RouteError::MethodNotAllowed => ApiError::new(
                    405,
                    "MethodNotAllowed",
                    format!("The method {} is not allowed on this resource.", inc.method),
                ),
                RouteError::BadRequest(m) => ApiError::bad_request(m),
            })
        });
        match (result, record) {
            (Ok(req), None) => self
                .websites_same_wire_read(&req, &inc.query, now)
                .unwrap_or_else(|| self.read(&subscription, &req, now))
                .unwrap_or_else(|e| e.reply()),
            (Ok(req), Some(mut record)) => {
                if let Some(id) = object_id(&req) {
                    record.object_id = id;
                }
                self.mutate(inc, &subscription, record, now, |api, tx| {
                    api.write(tx, &subscription, &req, now, &inc.request_id)
                })
            }
            (Err(e), None) => e.reply(),
            (Err(e), Some(record)) => {
                self.mutate(inc, &subscription, record, now, |_, _| Err(e.clone()))
            }
        }
    }

    /// Whether `thumbprint` is a management certificate of `subscription`.
    fn authorised(&self, subscription: &str, thumbprint: Option<&str>) -> Result<bool, ApiError> {
        let Some(thumbprint) = thumbprint else {
            return Ok(false);
        };
        let tx = self.store.db.begin_read()?;
        let table = tx.open_table(RESOURCES)?;
        Ok(table
            .get(crate::hooks::certificate_key(subscription, thumbprint).as_str())?
            .is_some())
    }

    fn check_version(&self, inc: &Incoming) -> Result<(), ApiError> {
        let ok = inc.version.as_deref().is_some_and(|v| {
            let v = v.trim();
            v.len() == 10
                && time::Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
                    .is_ok()
                && v >= "2009-10-01"
        });
        if ok {
            Ok(())
        } else {
            Err(ApiError::new(
                400,
                "MissingOrIncorrectVersionHeader",
                "The versioning header is not specified or was specified incorrectly.",
            ))
        }
    }

    /// Name, object and parameters of a mutating call, from its route (even
    /// when its body does not decode).
    fn record_of(&self, inc: &Incoming, matched: Option<&crate::engine::Matched<'_>>) -> Record {
        let path = decoded_path(&inc.path);
        let mut record = Record {
            name: None,
            object_id: path,
            parameters: Vec::new(),
        };
        if let Some(m) = matched {
            record.name = Some(m.op.name.clone());
            for (name, value) in &m.params {
                if name != "subscriptionId" {
                    record.parameters.push((name.clone(), value.clone()));
                }
            }
            for q in &m.op.query {
                if let asm_codegen::model::Query::Fixed { name, value } = q {
                    record.parameters.push((name.clone(), value.clone()));
                }
            }
            if let Some(b) = &m.op.request {
                let root = if b.root.is_empty() {
                    "Body"
                } else {
                    b.root.as_str()
                };
                // XML and Atom bodies are masked by structure; anything
                // else (JSON, a body that does not parse) by name. One pass,
                // not both.
                let spec = &self.engine.spec;
                let text =
                    crate::engine::redacted_request(spec, m.op, &inc.body).unwrap_or_else(|| {
                        redact_sensitive(spec, b, String::from_utf8_lossy(&inc.body).into_owned())
                    });
                let text: String = text.chars().take(8192).collect();
                record.parameters.push((root.to_owned(), text));
            }
        }
        record
    }

    /// Runs a mutating call in one write transaction, records it in the
    /// operation history (in the same transaction when it succeeds, in a
    /// new one when it fails) and commits durably before answering (with
    /// the other requests committed meanwhile: one fsync for the group).
    fn mutate(
        &self,
        inc: &Incoming,
        subscription: &str,
        record: Record,
        now: Millis,
        f: impl FnOnce(&Self, &WriteTransaction) -> Result<Outcome, ApiError>,
    ) -> Reply {
        let attempt = (|| -> Result<Result<Reply, ApiError>, ApiError> {
            let tx = self.store.write_grouped()?;
            match f(self, &tx) {
                Ok(outcome) => {
                    let (http_status, error, until) = match &outcome.completion {
                        Some((until, fail)) => (
                            fail.as_ref().map(|f| f.status).unwrap_or(OK),
                            fail.clone(),
                            Some(*until),
                        ),
                        None => (outcome.reply.status, None, None),
                    };
                    self.append_operation(
                        &tx,
                        inc,
                        subscription,
                        &record,
                        now,
                        http_status,
                        error,
                        until,
                    )?;
                    self.store.commit_durably(tx)?;
                    Ok(Ok(outcome.reply))
                }
                Err(e) => {
                    tx.abort()?;
                    Ok(Err(e))
                }
            }
        })();
        match attempt {
            Ok(Ok(reply)) => reply,
            Ok(Err(e)) => {
                let logged = (|| -> Result<(), ApiError> {
                    let tx = self.store.write_grouped()?;
                    self.append_operation(
                        &tx,
                        inc,
                        subscription,
                        &record,
                        now,
                        e.status,
                        Some(e.failure()),
                        None,
                    )?;
                    self.store.commit_durably(tx)?;
                    Ok(())
                })();
                match logged {
                    Ok(()) => e.reply(),
                    Err(store) => store.reply(),
                }
            }
            Err(e) => e.reply(),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn append_operation(
        &self,
        tx: &WriteTransaction,
        inc: &Incoming,
        subscription: &str,
        record: &Record,
        now: Millis,
        http_status: u16,
        error: Option<Failure>,
        until_ms: Option<Millis>,
    ) -> Result<(), ApiError> {
        let mut meta = tx.open_table(META)?;
        let seq: u64 = get(&meta, "seq")?.unwrap_or(0) + 1;
        put(&mut meta, "seq", &seq)?;
        let key = format!("{subscription}/{seq:020}");
        let rec = OperationRec {
            seq,
            subscription: subscription.to_owned(),
            id: inc.request_id.clone(),
            object_id: record.object_id.clone(),
            name: record.name.clone(),
            parameters: record.parameters.clone(),
            thumbprint: inc.thumbprint.clone(),
            client_ip: inc.client_ip.clone(),
            started_ms: now,
            completed_ms: until_ms.unwrap_or_else(now_ms),
            http_status,
            error,
            until_ms,
        };
        put(&mut tx.open_table(OPERATION_LOG)?, &key, &rec)?;
        put(&mut tx.open_table(OPERATION_IDS)?, &inc.request_id, &key)?;
        Ok(())
    }

    // ------------------------------------------------------------------
    // Reads
    // ------------------------------------------------------------------

    fn read(&self, sub: &str, req: &ServerRequest, now: Millis) -> Result<Reply, ApiError> {
        let tx = self.store.db.begin_read()?;
        match req {
            ServerRequest::ListLocations { .. } => Ok(Reply::xml(req, &locations::all())),
            ServerRequest::GetStorageAccountKeys { account_name, .. } => {
                let (_, rec) =
                    self.storage_account(&tx.open_table(RESOURCES)?, sub, account_name, now)?;
                Ok(Reply::xml(req, &self.sa_keys(&crate::hooks::sa_view(&rec))))
            }
            ServerRequest::GetSubscription { .. } => {
                let subs = tx.open_table(SUBSCRIPTIONS)?;
                let s: SubscriptionRec = get(&subs, sub)?
                    .ok_or_else(|| ApiError::not_found("The subscription does not exist."))?;
                let hs = self
                    .hosted_services_of(&tx.open_table(RESOURCES)?, sub, now)?
                    .len();
                let sa = self
                    .storage_accounts_of(&tx.open_table(RESOURCES)?, sub, now)?
                    .len();
                Ok(Reply::xml(req, &self.subscription_to_wire(&s, hs, sa)))
            }
            ServerRequest::GetOperationStatus { request_id, .. } => {
                let id = request_id.replace('-', "").to_ascii_lowercase();
                let ids = tx.open_table(OPERATION_IDS)?;
                let not_found =
                    || ApiError::not_found(format!("The operation {request_id} was not found."));
                let key: String = get(&ids, &id)?.ok_or_else(not_found)?;
                if !key.starts_with(&format!("{sub}/")) {
                    return Err(not_found());
                }
                let op: OperationRec =
                    get(&tx.open_table(OPERATION_LOG)?, &key)?.ok_or_else(not_found)?;
                Ok(Reply::xml(req, &operation_status(&op, now)))
            }
            ServerRequest::ListSubscriptionOperations {
                start_time,
                end_time,
                options,
                ..
            } => self.list_operations(&tx, req, sub, start_time, end_time, options, now),
            _ => self
                .network_read(&tx, sub, req, now)
                .unwrap_or_else(|| self.read_more(&tx, sub, req, now)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn list_operations(
        &self,
        tx: &redb::ReadTransaction,
        req: &ServerRequest,
        sub: &str,
        start: &DateTime,
        end: &DateTime,
        options: &ListSubscriptionOperationsOptions,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        let (start, end) = (millis(start), millis(end));
        if end < start {
            return Err(ApiError::bad_request(
                "EndTime must not be earlier than StartTime.",
            ));
        }
        let from: u64 = match options.continuation_token.as_deref() {
            None => 0,
            Some(t) => t
                .parse()
                .map_err(|_| ApiError::bad_request("The continuation token is invalid."))?,
        };
        let filter = options.object_id_filter.as_deref().map(|f| {
            let f = f.trim();
            // A full URL filters by its path.
            let path = match f.split_once("://") {
                Some((_, rest)) => rest.find('/').map(|i| &rest[i..]).unwrap_or("/"),
                None => f,
            };
            decoded_path(path).to_ascii_lowercase()
        });
        let table = tx.open_table(OPERATION_LOG)?;
        let prefix = format!("{sub}/");
        let first = format!("{sub}/{from:020}");
        let mut page = Vec::new();
        let mut next = None;
        for item in table.range::<&str>(first.as_str()..)? {
            let (k, v) = item?;
            if !k.value().starts_with(&prefix) {
                break;
            }
            let op: OperationRec = serde_json::from_slice(v.value())?;
            if op.started_ms < start || op.started_ms > end {
                continue;
            }
            if let Some(f) = &filter {
                if !op.object_id.to_ascii_lowercase().starts_with(f.as_str()) {
                    continue;
                }
            }
            let status = operation_status(&op, now);
            if let Some(want) = &options.operation_result_filter {
                if *want != status.status {
                    continue;
                }
            }
            if page.len() == self.page_size {
                next = Some(op.seq.to_string());
                break;
            }
            page.push(self.operation_to_wire(&op, status));
        }
        Ok(Reply::xml(
            req,
            &SubscriptionOperationCollection {
                subscription_operations: page,
                continuation_token: next.map(Into::into),
            },
        ))
    }

    // ------------------------------------------------------------------
    // Writes
    // ------------------------------------------------------------------

    fn write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
        request_id: &str,
    ) -> Result<Outcome, ApiError> {
        match req {
            ServerRequest::RegenerateStorageAccountKeys { name, body, .. } => {
                let mut table = tx.open_table(RESOURCES)?;
                let (key, mut rec) = self.storage_account(&table, sub, name, now)?;
                let element = match &body.key_type {
                    KeyType::Primary => "PrimaryKey",
                    KeyType::Secondary => "SecondaryKey",
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "The key type {} is not valid; use Primary or Secondary.",
                            other.to_text()
                        )))
                    }
                };
                rec.state.set(crate::engine::Elem::text(element, new_key()));
                put(&mut table, &key, &rec)?;
                Ok(Reply::xml(req, &self.sa_keys(&crate::hooks::sa_view(&rec))).into())
            }
            _ if req.spec().method.eq_ignore_ascii_case("GET") => Err(ApiError::new(
                405,
                "MethodNotAllowed",
                "The method is not allowed on this resource.",
            )),
            _ => self
                .network_write(tx, sub, req, now)
                .unwrap_or_else(|| self.write_more(tx, sub, req, now, request_id)),
        }
    }

    /// Location or affinity group (exactly one), checked.
    pub(crate) fn placement(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        location: Option<&str>,
        affinity_group: Option<&str>,
    ) -> Result<Placement, ApiError> {
        let location = location.map(str::trim).filter(|s| !s.is_empty());
        let affinity_group = affinity_group.map(str::trim).filter(|s| !s.is_empty());
        match (location, affinity_group) {
            (Some(_), Some(_)) => Err(ApiError::bad_request(
                "Specify either a Location or an AffinityGroup, not both.",
            )),
            (None, None) => Err(ApiError::bad_request(
                "A Location or an AffinityGroup is required.",
            )),
            (Some(l), None) => {
                let l = locations::canonical(l).ok_or_else(|| {
                    ApiError::bad_request(format!("The location {l} is not valid."))
                })?;
                Ok(Placement {
                    location: Some(l.to_owned()),
                    affinity_group: None,
                    region: l.to_owned(),
                })
            }
            (None, Some(g)) => {
                let (name, location) = self
                    .affinity_group(&tx.open_table(RESOURCES)?, sub, g)?
                    .ok_or_else(|| {
                        ApiError::bad_request(format!("The affinity group {g} does not exist."))
                    })?;
                Ok(Placement {
                    location: None,
                    affinity_group: Some(name),
                    region: location,
                })
            }
        }
    }

    // ------------------------------------------------------------------
    // Lookups and conversions
    // ------------------------------------------------------------------

    fn hs_url(&self, s: &HostedServiceRec) -> String {
        format!(
            "{}/{}/services/hostedservices/{}",
            self.endpoint, s.subscription, s.name
        )
    }

    pub(crate) fn sa_url(&self, a: &StorageAccountRec) -> String {
        format!(
            "{}/{}/services/storageservices/{}",
            self.endpoint, a.subscription, a.name
        )
    }

    pub(crate) fn hs_to_wire(
        &self,
        s: &HostedServiceRec,
        now: Millis,
        with_properties: bool,
    ) -> HostedService {
        let status = match life(&s.pending, now) {
            Life::Creating => HostedServiceStatus::Creating,
            Life::Deleting => HostedServiceStatus::Deleting,
            Life::Created | Life::Gone => HostedServiceStatus::Created,
        };
        HostedService {
            url: self.hs_url(s).into(),
            service_name: s.name.as_str().into(),
            hosted_service_properties: with_properties.then(|| HostedServiceProperties {
                description: s.description.as_deref().map(Into::into),
                affinity_group: s.affinity_group.as_deref().map(Into::into),
                location: s.location.as_deref().map(Into::into),
                label: s.label.as_str().into(),
                status: Some(status),
                date_created: Some(datetime(s.created_ms)),
                date_last_modified: Some(datetime(s.modified_ms)),
                extended_properties: s
                    .extended_properties
                    .iter()
                    .map(|(k, v)| ExtendedProperty {
                        name: k.as_str().into(),
                        value: Some(v.as_str().into()),
                    })
                    .collect(),
                reverse_dns_fqdn: s.reverse_dns_fqdn.as_deref().map(Into::into),
                guest_agent_type: None,
            }),
            ..Default::default()
        }
    }

    pub(crate) fn sa_to_wire(&self, a: &StorageAccountRec, now: Millis) -> StorageService {
        let status = match life(&a.pending, now) {
            Life::Creating => StorageServiceStatus::Creating,
            Life::Deleting => StorageServiceStatus::Deleting,
            Life::Created | Life::Gone => StorageServiceStatus::Created,
        };
        let endpoints = |suffix: &str| {
            ["blob", "queue", "table", "file"]
                .iter()
                .map(|kind| format!("https://{}{suffix}.{kind}.core.windows.net/", a.name))
                .collect::<Vec<_>>()
        };
        let geo = matches!(a.account_type.as_str(), "Standard_GRS" | "Standard_RAGRS");
        let secondary = geo.then(|| locations::paired_region(&a.region).to_owned());
        StorageService {
            url: self.sa_url(a).into(),
            service_name: Some(a.name.as_str().into()),
            storage_service_properties: Some(StorageServiceProperties {
                description: a.description.as_deref().map(Into::into),
                affinity_group: a.affinity_group.as_deref().map(Into::into),
                location: a.location.as_deref().map(Into::into),
                label: a.label.as_str().into(),
                status: Some(status),
                endpoints: endpoints("")
                    .into_iter()
                    .map(Into::into)
                    .collect::<Vec<_>>(),
                geo_replication_enabled: Some(geo),
                geo_primary_region: Some(a.region.as_str().into()),
                status_of_primary: Some(GeoRegionStatus::Available),
                geo_secondary_region: secondary.as_deref().map(Into::into),
                status_of_secondary: secondary.as_ref().map(|_| GeoRegionStatus::Available),
                last_geo_failover_time: None,
                creation_time: Some(datetime(a.created_ms)),
                custom_domains: a
                    .custom_domains
                    .iter()
                    .map(|(name, _)| CustomDomain {
                        name: name.as_str().into(),
                        use_sub_domain_name: None,
                    })
                    .collect(),
                secondary_read_enabled: Some(a.account_type == "Standard_RAGRS"),
                secondary_endpoints: if a.account_type == "Standard_RAGRS" {
                    (endpoints("-secondary"))
                        .into_iter()
                        .map(Into::into)
                        .collect::<Vec<_>>()
                } else {
                    Vec::new()
                },
                account_type: StorageAccountType::parse_text(&a.account_type).ok(),
            }),
            storage_service_keys: None,
            extended_properties: a
                .extended_properties
                .iter()
                .map(|(k, v)| ExtendedProperty {
                    name: k.as_str().into(),
                    value: Some(v.as_str().into()),
                })
                .collect(),
            capabilities: Vec::new(),
            migration_state: None,
        }
    }

    fn sa_keys(&self, a: &StorageAccountRec) -> StorageService {
        StorageService {
            url: self.sa_url(a).into(),
            storage_service_keys: Some(StorageServiceKeys {
                primary: Some(a.primary_key.as_str().into()),
                secondary: Some(a.secondary_key.as_str().into()),
            }),
            ..Default::default()
        }
    }

    fn subscription_to_wire(
        &self,
        s: &SubscriptionRec,
        hosted: usize,
        storage: usize,
    ) -> Subscription {
        Subscription {
            subscription_id: s.id.as_str().into(),
            subscription_name: Some(s.name.as_str().into()),
            subscription_status: Some(SubscriptionStatus::Active),
            account_admin_live_email_id: Some("admin@emulator.invalid".into()),
            service_admin_live_email_id: Some("admin@emulator.invalid".into()),
            max_core_count: Some(20),
            max_storage_accounts: Some(self.quotas.max_storage_accounts),
            max_hosted_services: Some(self.quotas.max_hosted_services),
            current_core_count: Some(0),
            current_hosted_services: Some(hosted as i32),
            current_storage_accounts: Some(storage as i32),
            max_virtual_network_sites: Some(100),
            max_local_network_sites: Some(100),
            max_dns_servers: Some(9),
            created_time: Some(datetime(s.created_ms)),
            max_reserved_ips: Some(20),
            max_public_ip_count: Some(5),
            max_network_security_groups: Some(100),
            max_network_security_rules_per_group: Some(200),
            max_route_tables: Some(100),
            max_routes_per_route_table: Some(100),
            ..Default::default()
        }
    }

    fn operation_to_wire(&self, op: &OperationRec, status: Operation) -> SubscriptionOperation {
        let done = status.status != OperationStatus::InProgress;
        SubscriptionOperation {
            operation_id: op.id.as_str().into(),
            operation_object_id: Some(op.object_id.as_str().into()),
            operation_name: op.name.as_deref().map(Into::into),
            operation_parameters: op
                .parameters
                .iter()
                .map(|(k, v)| OperationParameter {
                    name: Some(k.as_str().into()),
                    value: Some(v.as_str().into()),
                })
                .collect(),
            operation_caller: Some(OperationCaller {
                used_service_management_api: Some(true),
                user_email_address: None,
                subscription_certificate_thumbprint: op.thumbprint.as_deref().map(Into::into),
                client_ip: op.client_ip.as_deref().map(Into::into),
            }),
            operation_status: Some(status),
            operation_started_time: Some(datetime(op.started_ms)),
            operation_completed_time: done.then(|| datetime(op.completed_ms)),
            operation_kind: None,
        }
    }
}

pub(crate) struct Placement {
    pub location: Option<String>,
    pub affinity_group: Option<String>,
    pub region: String,
}

/// The status of a recorded operation at `now`.
fn operation_status(op: &OperationRec, now: Millis) -> Operation {
    let id = uuid::Uuid::parse_str(&op.id)
        .map(|u| u.hyphenated().to_string())
        .unwrap_or_else(|_| op.id.clone());
    if op.until_ms.is_some_and(|u| now < u) {
        return Operation {
            id: id.into(),
            status: OperationStatus::InProgress,
            http_status_code: None,
            error: None,
        };
    }
    match &op.error {
        None => Operation {
            id: id.into(),
            status: OperationStatus::Succeeded,
            http_status_code: Some(op.http_status as i32),
            error: None,
        },
        Some(f) => Operation {
            id: id.into(),
            status: OperationStatus::Failed,
            http_status_code: Some(f.status as i32),
            error: Some(OperationError {
                code: Some(f.code.as_str().into()),
                message: Some(f.message.as_str().into()),
            }),
        },
    }
}

/// The resource a mutating request acts on, as a path.
fn object_id(req: &ServerRequest) -> Option<String> {
    let sub = req.subscription_id()?;
    Some(match req {
        ServerRequest::RegenerateStorageAccountKeys { name, .. } => {
            format!("/{sub}/services/storageservices/{name}")
        }
        _ => return None,
    })
}

/// The path with each segment percent-decoded.
fn decoded_path(path: &str) -> String {
    path.split('/')
        .map(|s| asm_runtime::path::decode_segment(s).unwrap_or_else(|| s.to_owned()))
        .collect::<Vec<_>>()
        .join("/")
}

pub(crate) const DNS_NAME_RULES: &str = "The name must be 1 to 63 characters: letters, digits and hyphens, starting with a letter and ending with a letter or digit.";
pub(crate) const STORAGE_NAME_RULES: &str =
    "The name is not valid. Storage account names must be 3 to 24 characters, lower-case letters and digits only.";

pub(crate) fn valid_dns_name(name: &str) -> bool {
    let b = name.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
}

pub(crate) fn valid_storage_name(name: &str) -> bool {
    (3..=24).contains(&name.len())
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
}

/// Applies extended properties to `current`: a value sets, an empty value
/// deletes. Limits of the service: at most 50, names up to 64 characters
/// (letters, digits, underscores, starting with a letter), values up to 255.
pub(crate) fn ext_props(
    current: &[(String, String)],
    changes: &[ExtendedProperty],
) -> Result<Vec<(String, String)>, ApiError> {
    let mut out = current.to_vec();
    for p in changes {
        let n = p.name.as_bytes();
        if n.is_empty()
            || n.len() > 64
            || !n[0].is_ascii_alphabetic()
            || !n.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'_')
        {
            return Err(ApiError::bad_request(format!(
                "The extended property name {} is not valid.",
                p.name
            )));
        }
        let value = p.value.clone().unwrap_or_default();
        if value.chars().count() > 255 {
            return Err(ApiError::bad_request(format!(
                "The value of the extended property {} is longer than 255 characters.",
                p.name
            )));
        }
        out.retain(|(k, _)| !k.eq_ignore_ascii_case(&p.name));
        if !value.is_empty() {
            out.push((p.name.to_string(), value.to_string()));
        }
    }
    if out.len() > 50 {
        return Err(ApiError::bad_request(
            "At most 50 extended properties are allowed.",
        ));
    }
    Ok(out)
}

/// A request body the structured masking (`engine::redacted_request`) does
/// not read (JSON, or a body that does not parse), as the operation history
/// keeps it: the values of the elements (XML) or keys (JSON) the spec marks
/// `sensitive` anywhere in the request type (passwords, shared keys, storage keys) replaced by
/// asterisks, so List Subscription Operations never returns a secret.
fn redact_sensitive(
    spec: &asm_codegen::model::Spec,
    body: &asm_codegen::model::Body,
    text: String,
) -> String {
    use asm_codegen::model::TypeRef;
    fn collect(
        spec: &asm_codegen::model::Spec,
        ty: &str,
        names: &mut std::collections::BTreeSet<String>,
        seen: &mut std::collections::BTreeSet<String>,
    ) {
        if !seen.insert(ty.to_owned()) {
            return;
        }
        let Some(s) = spec.find_struct(ty) else {
            return;
        };
        for f in &s.fields {
            if f.sensitive {
                names.insert(f.element.clone());
            }
            if let TypeRef::Named(n) = &f.ty {
                collect(spec, n, names, seen);
            }
        }
    }
    let Some(TypeRef::Named(ty)) = &body.ty else {
        return text;
    };
    let mut names = std::collections::BTreeSet::new();
    collect(spec, ty, &mut names, &mut std::collections::BTreeSet::new());
    let mut out = text;
    for name in names {
        let n = regex::escape(&name);
        let patterns = [
            (
                format!(r"(<(?:[\w.-]+:)?{n}(?:\s[^>]*)?>)[^<]*(</(?:[\w.-]+:)?{n}\s*>)"),
                "${1}********${2}",
            ),
            (
                format!(r#"("{n}"\s*:\s*)"(?:[^"\\]|\\.)*""#),
                r#"${1}"********""#,
            ),
        ];
        for (p, with) in patterns {
            if let Ok(re) = regex::Regex::new(&p) {
                out = re.replace_all(&out, with).into_owned();
            }
        }
    }
    out
}

//! SQL Database beyond what the generic engine serves (servers, firewall
//! rules and databases are `resource` declarations): server quotas, the
//! service-objective catalog, database operations and the event logs
//! derived from them, database copies (a new database on the partner server
//! with a replication link that seeds, then catches up or ends), restorable
//! dropped databases (a deleted database stays restorable), recoverable
//! databases (every live one), restore/recover (a new database), and the
//! DAC import/export service (a request id whose status moves from Pending
//! to Running to Completed or Failed).
//!
//! State is kept in the `platform` table under `SqlOperation/`, `SqlCopy/`,
//! `SqlDropped/` and `SqlDac/` keys; databases are the engine's records.

use asm_runtime::xml::{self, XmlText};
use asm_runtime::DateTime;
use azure_asm::server::ServerRequest;
use azure_asm::*;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};
use serde::{Deserialize, Serialize};

use crate::api::{datetime, Api, ApiError, Outcome, Reply, XML_CONTENT};
use crate::engine::{list_prefix, record_key, Elem, ResourceRec};
use crate::store::*;

const SERIALIZATION_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/";
const DNS_SUFFIX: &str = ".database.windows.net";

/// A service objective: (name, id, description, edition, is default of its
/// edition, is system).
type Objective = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    bool,
    bool,
);

/// The service-objective catalog.
const OBJECTIVES: &[Objective] = &[
    (
        "Shared",
        "910b4fcb-8a29-4c3e-958f-f7ba794388b2",
        "Shared resource allocation (Web and Business editions).",
        "Web",
        true,
        false,
    ),
    (
        "Basic",
        "dd6d99bb-f193-4ec1-86f2-43d3bccbc49c",
        "Basic resource allocation (5 DTU).",
        "Basic",
        true,
        false,
    ),
    (
        "S0",
        "f1173c43-91bd-4aaa-973c-54e79e15235b",
        "Standard S0 resource allocation (10 DTU).",
        "Standard",
        true,
        false,
    ),
    (
        "S1",
        "1b1ebd4d-d903-4baa-97f9-4ea675f5e928",
        "Standard S1 resource allocation (20 DTU).",
        "Standard",
        false,
        false,
    ),
    (
        "S2",
        "455330e1-00cd-488b-b5fa-177c226f28b7",
        "Standard S2 resource allocation (50 DTU).",
        "Standard",
        false,
        false,
    ),
    (
        "S3",
        "789681b8-ca10-4eb0-bdf2-e0b050601b40",
        "Standard S3 resource allocation (100 DTU).",
        "Standard",
        false,
        false,
    ),
    (
        "P1",
        "7203483a-c4fb-4304-9e9f-17c71c904f5d",
        "Premium P1 resource allocation (125 DTU).",
        "Premium",
        true,
        false,
    ),
    (
        "P2",
        "a7d1b92d-c987-4375-b54d-2b1d0e0f5bb0",
        "Premium P2 resource allocation (250 DTU).",
        "Premium",
        false,
        false,
    ),
    (
        "P3",
        "a7c4c615-cfb1-464b-b252-925be0a19446",
        "Premium P3 resource allocation (1000 DTU).",
        "Premium",
        false,
        false,
    ),
    (
        "System",
        "26e021db-f1f9-4c98-84c6-92af8ef433d7",
        "System resource allocation (the master database).",
        "System",
        true,
        true,
    ),
];

/// The server quotas (the one the service reported, with its value).
const QUOTAS: &[(&str, &str)] = &[("server_dtu_quota", "2000")];

/// An operation on a database of a server (its history, and the source of
/// the event logs).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SqlOpRec {
    pub id: String,
    pub server: String,
    pub database: String,
    /// e.g. `CREATE DATABASE`.
    pub name: String,
    pub start_ms: Millis,
    pub until_ms: Millis,
    pub error: Option<String>,
}

/// A copy (replication link) between two databases.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SqlCopyRec {
    pub id: String,
    pub source_server: String,
    pub source_database: String,
    pub destination_server: String,
    pub destination_database: String,
    pub continuous: bool,
    pub offline: bool,
    pub start_ms: Millis,
    /// Seeding ends then (a one-off copy's link is gone afterwards).
    pub seeded_ms: Millis,
}

/// A deleted database, restorable.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SqlDroppedRec {
    pub server: String,
    pub name: String,
    pub entity_id: String,
    pub state: Elem,
    pub created_ms: Millis,
    pub deleted_ms: Millis,
}

/// An import or export request.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SqlDacRec {
    pub id: String,
    pub server: String,
    pub database: String,
    /// `Import` or `Export`.
    pub kind: String,
    pub blob_uri: String,
    pub queued_ms: Millis,
    pub until_ms: Millis,
    pub error: Option<String>,
}

fn ms_of(dt: &DateTime) -> Millis {
    (dt.0.unix_timestamp_nanos() / 1_000_000) as Millis
}

fn text_of(ms: Millis) -> String {
    XmlText::to_text(&datetime(ms)).into_owned()
}

fn lc(s: &str) -> String {
    s.to_ascii_lowercase()
}

fn new_guid() -> String {
    uuid::Uuid::new_v4().hyphenated().to_string()
}

/// Windows file time (100 ns ticks since 1601) of a time: the number in a
/// restorable dropped database's entity id.
fn file_time(ms: Millis) -> i64 {
    (ms + 11_644_473_600_000) * 10_000
}

fn not_found(what: &str, name: &str) -> ApiError {
    ApiError::not_found(format!(
        "Resource with the name '{name}' does not exist ({what}). To continue, specify a valid resource name."
    ))
}

fn edition_of(text: &str) -> DatabaseEdition {
    DatabaseEdition::from(text)
}

/// The default objective of an edition.
fn default_objective(edition: &str) -> Option<&'static str> {
    let edition = match edition {
        "Business" => "Web",
        e => e,
    };
    OBJECTIVES
        .iter()
        .find(|o| o.3.eq_ignore_ascii_case(edition) && o.4)
        .map(|o| o.1)
}

fn objective(id: &str) -> Option<&'static Objective> {
    OBJECTIVES
        .iter()
        .find(|o| o.1.eq_ignore_ascii_case(id.trim()))
}

/// Default maximum size of an edition, in GB.
fn default_size_gb(edition: &str) -> i64 {
    match edition {
        "Web" => 1,
        "Business" => 10,
        "Basic" => 2,
        "Premium" => 500,
        _ => 250,
    }
}

impl Api {
    fn server_path(&self, sub: &str, server: &str) -> String {
        format!(
            "{}/{sub}/services/sqlservers/servers/{server}",
            self.endpoint
        )
    }

    /// The live server record (404 when missing).
    fn sql_server(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
        now: Millis,
    ) -> Result<ResourceRec, ApiError> {
        self.live_record(table, "SqlServer", sub, server, now)
            .map(|(_, r)| r)
            .map_err(|_| not_found("server", server))
    }

    fn db_key(&self, sub: &str, server: &str, name: &str) -> Option<String> {
        let r = self.engine.spec.find_resource("SqlDatabase")?;
        Some(record_key(r, sub, &[server.to_owned()], name))
    }

    /// The live database record of a server (404 when missing).
    fn sql_database(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
        name: &str,
        now: Millis,
    ) -> Result<ResourceRec, ApiError> {
        let key = self
            .db_key(sub, server, name)
            .ok_or_else(|| not_found("database", name))?;
        get::<ResourceRec>(table, &key)?
            .filter(|r| r.subscription == sub && exists(&r.pending, now))
            .ok_or_else(|| not_found("database", name))
    }

    /// The live databases of a server.
    fn sql_databases(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
        now: Millis,
    ) -> Result<Vec<ResourceRec>, ApiError> {
        let Some(r) = self.engine.spec.find_resource("SqlDatabase") else {
            return Ok(Vec::new());
        };
        let prefix = list_prefix(r, sub, &[server.to_owned()]);
        Ok(scan_values::<ResourceRec>(table, &prefix)?
            .into_iter()
            .filter(|r| r.subscription == sub && exists(&r.pending, now))
            .collect())
    }

    /// Writes a new database record on `server` (checked free), its state
    /// from `template` (edition, objective, size, collation).
    #[allow(clippy::too_many_arguments)]
    fn sql_put_database(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        server: &str,
        name: &str,
        template: &Elem,
        now: Millis,
    ) -> Result<(), ApiError> {
        let key = self
            .db_key(sub, server, name)
            .ok_or_else(|| not_found("database", name))?;
        {
            let table = tx.open_table(RESOURCES)?;
            self.sql_server(&table, sub, server, now)?;
            if get::<ResourceRec>(&table, &key)?.is_some_and(|r| exists(&r.pending, now)) {
                return Err(ApiError::conflict(format!(
                    "A SQL database named {name} already exists."
                )));
            }
        }
        let mut state = Elem {
            name: "SqlDatabase".into(),
            ..Default::default()
        };
        for field in [
            "Edition",
            "MaxSizeGB",
            "MaxSizeBytes",
            "CollationName",
            "ServiceObjectiveId",
        ] {
            if let Some(v) = template.child_text(field) {
                state.set(Elem::text(field, v));
            }
        }
        state.set(Elem::text("Name", name));
        state.set(Elem::text("Type", "Microsoft.SqlAzure.Database"));
        state.set(Elem::text("State", "Normal"));
        let parent = self.server_path(sub, server);
        state.set(Elem::text("SelfLink", format!("{parent}/databases/{name}")));
        state.set(Elem::text("ParentLink", parent));
        state.set(Elem::text("CreationDate", text_of(now)));
        complete_database(self, tx, sub, server, &mut state, now)?;
        let rec = ResourceRec {
            resource: "SqlDatabase".into(),
            subscription: sub.to_owned(),
            parents: vec![server.to_owned()],
            name: name.to_owned(),
            state,
            created_ms: now,
            modified_ms: now,
            pending: None,
        };
        put(&mut tx.open_table(RESOURCES)?, &key, &rec)?;
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn sql_record_op(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        server: &str,
        database: &str,
        name: &str,
        now: Millis,
        until: Millis,
        error: Option<String>,
    ) -> Result<String, ApiError> {
        let id = new_guid();
        let rec = SqlOpRec {
            id: id.clone(),
            server: server.to_owned(),
            database: database.to_owned(),
            name: name.to_owned(),
            start_ms: now,
            until_ms: until,
            error,
        };
        // Listed in the order they were made, even within one millisecond.
        let mut table = tx.open_table(PLATFORM)?;
        let key = history_key(&table, &format!("SqlOperation/{sub}/{}/", lc(server)), now)?;
        put(&mut table, &format!("{key}-{id}"), &rec)?;
        Ok(id)
    }

    fn sql_ops(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
    ) -> Result<Vec<SqlOpRec>, ApiError> {
        Ok(scan_values::<SqlOpRec>(
            table,
            &format!("SqlOperation/{sub}/{}/", lc(server)),
        )?)
    }

    fn op_to_wire(&self, sub: &str, op: &SqlOpRec, now: Millis) -> DatabaseOperation {
        let done = now >= op.until_ms;
        let (state, state_id) = match (done, &op.error) {
            (false, _) => ("IN_PROGRESS", 1),
            (true, None) => ("COMPLETED", 2),
            (true, Some(_)) => ("FAILED", 3),
        };
        let span = (op.until_ms - op.start_ms).max(1);
        let percent = if done {
            100
        } else {
            (((now - op.start_ms) * 100 / span).clamp(0, 99)) as i32
        };
        let parent = self.server_path(sub, &op.server);
        DatabaseOperation {
            name: Some(op.name.as_str().into()),
            resource_type: Some("Microsoft.SqlAzure.DatabaseOperation".into()),
            state: Some(state.into()),
            self_link: Some(format!("{parent}/databaseoperations/{}", op.id).into()),
            parent_link: Some(parent.into()),
            id: Some(op.id.as_str().into()),
            state_id: Some(state_id),
            session_activity_id: Some(op.id.as_str().into()),
            database_name: Some(op.database.as_str().into()),
            percent_complete: Some(percent),
            error_code: Some(if done && op.error.is_some() { 40000 } else { 0 }),
            error: (op.error.clone().filter(|_| done)).map(Into::into),
            error_severity: Some(if done && op.error.is_some() { 16 } else { 0 }),
            error_state: Some(if done && op.error.is_some() { 1 } else { 0 }),
            start_time: Some(datetime(op.start_ms)),
            last_modify_time: Some(datetime(if done { op.until_ms } else { now })),
        }
    }

    /// Aggregated events of the operations of a server (one database when
    /// `database` is given) from `start` on, in intervals of `minutes`.
    #[allow(clippy::too_many_arguments)]
    fn sql_events(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
        database: Option<&str>,
        start: &DateTime,
        minutes: i32,
        types: Option<&str>,
        now: Millis,
    ) -> Result<DatabaseEvents, ApiError> {
        if minutes <= 0 {
            return Err(ApiError::bad_request(
                "intervalSizeInMinutes must be a positive number of minutes.",
            ));
        }
        let start = ms_of(start);
        let span = i64::from(minutes) * 60_000;
        let wanted: Vec<String> = types
            .unwrap_or_default()
            .split(',')
            .map(|t| lc(t.trim()))
            .filter(|t| !t.is_empty())
            .collect();
        // (interval start, database, type, failed) -> count
        let mut groups: std::collections::BTreeMap<(Millis, String, String, bool), i32> =
            Default::default();
        for op in self.sql_ops(table, sub, server)? {
            if op.start_ms < start || op.start_ms > now {
                continue;
            }
            if database.is_some_and(|d| !d.eq_ignore_ascii_case(&op.database)) {
                continue;
            }
            let kind = lc(&op.name).replace(' ', "_");
            if !wanted.is_empty() && !wanted.contains(&kind) {
                continue;
            }
            let at = start + (op.start_ms - start) / span * span;
            let failed = op.error.is_some() && now >= op.until_ms;
            *groups
                .entry((at, op.database.clone(), kind, failed))
                .or_default() += 1;
        }
        let parent = self.server_path(sub, server);
        Ok(DatabaseEvents {
            service_resource: groups
                .into_iter()
                .map(|((at, db, kind, failed), n)| DatabaseEvent {
                    name: Some(db.as_str().into()),
                    resource_type: Some("Microsoft.SqlAzure.DatabaseEvent".into()),
                    state: Some("Normal".into()),
                    self_link: Some(format!("{parent}/databases/{db}/events").into()),
                    parent_link: Some(parent.as_str().into()),
                    database_name: Some(db.as_str().into()),
                    start_time_utc: Some(datetime(at)),
                    interval_size_in_minutes: Some(minutes),
                    event_category: Some("management".into()),
                    event_type: Some(kind.as_str().into()),
                    event_subtype: Some(if failed { "1" } else { "0" }.into()),
                    event_subtype_description: Some(
                        if failed { "failed" } else { "succeeded" }.into(),
                    ),
                    number_of_events: Some(n),
                    severity: Some(if failed { 2 } else { 0 }),
                    description: Some(
                        format!(
                            "{} of database {db} {}.",
                            kind.replace('_', " "),
                            if failed { "failed" } else { "succeeded" }
                        )
                        .into(),
                    ),
                    additional_data: None,
                })
                .collect(),
        })
    }

    fn sql_copies(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        now: Millis,
    ) -> Result<Vec<(String, SqlCopyRec)>, ApiError> {
        Ok(scan::<SqlCopyRec>(table, &format!("SqlCopy/{sub}/"))?
            .into_iter()
            // A one-off copy's link ends when the seeding completes.
            .filter(|(_, c)| c.continuous || now < c.seeded_ms)
            .collect())
    }

    #[allow(clippy::too_many_arguments)]
    fn copy_to_wire(
        &self,
        sub: &str,
        server: &str,
        database: &str,
        local_id: Option<i32>,
        c: &SqlCopyRec,
        now: Millis,
    ) -> DatabaseCopy {
        let seeding = now < c.seeded_ms;
        let span = (c.seeded_ms - c.start_ms).max(1);
        let percent = if seeding {
            ((now - c.start_ms) as f64 * 100.0 / span as f64).clamp(0.0, 99.0)
        } else {
            100.0
        };
        let parent = self.server_path(sub, server);
        let target = c.destination_server.eq_ignore_ascii_case(server)
            && c.destination_database.eq_ignore_ascii_case(database);
        DatabaseCopy {
            name: Some(c.id.as_str().into()),
            resource_type: Some("Microsoft.SqlAzure.DatabaseCopy".into()),
            state: Some("Normal".into()),
            self_link: Some(
                format!("{parent}/databases/{database}/databasecopies/{}", c.id).into(),
            ),
            parent_link: Some(format!("{parent}/databases/{database}").into()),
            source_server_name: Some(c.source_server.as_str().into()),
            source_database_name: Some(c.source_database.as_str().into()),
            destination_server_name: Some(c.destination_server.as_str().into()),
            destination_database_name: Some(c.destination_database.as_str().into()),
            is_continuous: Some(c.continuous),
            replication_state: Some(if seeding { 1 } else { 2 }),
            replication_state_description: Some(
                if seeding { "SEEDING" } else { "CATCH_UP" }.into(),
            ),
            local_database_id: local_id,
            is_local_database_replication_target: Some(target),
            is_interlink_connected: Some(true),
            start_date: Some(text_of(c.start_ms).into()),
            modify_date: Some(text_of(if seeding { now } else { c.seeded_ms }).into()),
            percent_complete: Some(percent),
            is_offline_secondary: Some(c.offline),
            is_termination_allowed: Some(true),
        }
    }

    /// The link `id` of a database (404 when the database or link is missing).
    #[allow(clippy::too_many_arguments)]
    fn sql_copy(
        &self,
        tx_res: &impl ReadableTable<&'static str, &'static [u8]>,
        tx_plat: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
        database: &str,
        id: &str,
        now: Millis,
    ) -> Result<(String, SqlCopyRec, DatabaseCopy), ApiError> {
        self.sql_server(tx_res, sub, server, now)?;
        let db = self.sql_database(tx_res, sub, server, database, now)?;
        let (key, c) = self
            .sql_copies(tx_plat, sub, now)?
            .into_iter()
            .find(|(_, c)| c.id.eq_ignore_ascii_case(id) && copy_of(c, server, database))
            .ok_or_else(|| not_found("database copy", id))?;
        let wire = self.copy_to_wire(sub, server, database, db_id(&db), &c, now);
        Ok((key, c, wire))
    }

    fn dropped(
        &self,
        table: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
    ) -> Result<Vec<SqlDroppedRec>, ApiError> {
        Ok(scan_values::<SqlDroppedRec>(
            table,
            &format!("SqlDropped/{sub}/{}/", lc(server)),
        )?)
    }

    fn dropped_to_wire(&self, sub: &str, d: &SqlDroppedRec) -> RestorableDroppedDatabase {
        let parent = self.server_path(sub, &d.server);
        RestorableDroppedDatabase {
            name: Some(d.name.as_str().into()),
            resource_type: Some("Microsoft.SqlAzure.RestorableDroppedDatabase".into()),
            state: Some("Normal".into()),
            self_link: Some(format!("{parent}/restorabledroppeddatabases/{}", d.entity_id).into()),
            parent_link: Some(parent.into()),
            entity_id: Some(d.entity_id.as_str().into()),
            server_name: Some(d.server.as_str().into()),
            edition: d.state.child_text("Edition").map(edition_of),
            max_size_bytes: d
                .state
                .child_text("MaxSizeBytes")
                .and_then(|v| v.parse().ok()),
            creation_date: Some(datetime(d.created_ms)),
            deletion_date: Some(datetime(d.deleted_ms)),
            recovery_period_start_date: Some(datetime(d.created_ms)),
        }
    }

    fn recoverable_to_wire(
        &self,
        sub: &str,
        server: &str,
        db: &ResourceRec,
        now: Millis,
    ) -> RecoverableDatabase {
        let parent = self.server_path(sub, server);
        // Geo-replicated backups are taken hourly.
        let backup = (now - now.rem_euclid(3_600_000)).max(db.created_ms);
        RecoverableDatabase {
            name: Some(db.name.as_str().into()),
            resource_type: Some("Microsoft.SqlAzure.RecoverableDatabase".into()),
            state: Some("Normal".into()),
            self_link: Some(format!("{parent}/recoverabledatabases/{}", db.name).into()),
            parent_link: Some(parent.into()),
            entity_id: Some(db.name.as_str().into()),
            server_name: Some(server.into()),
            edition: db.state.child_text("Edition").map(edition_of),
            last_available_backup_date: Some(datetime(backup)),
        }
    }

    fn objective_to_wire(&self, sub: &str, server: &str, o: &Objective) -> ServiceObjective {
        let parent = self.server_path(sub, server);
        let link = format!("{parent}/serviceobjectives/{}", o.1);
        ServiceObjective {
            name: Some(o.0.into()),
            resource_type: Some("Microsoft.SqlAzure.ServiceObjective".into()),
            state: Some("Normal".into()),
            self_link: Some(link.as_str().into()),
            parent_link: Some(parent.into()),
            id: Some(o.1.into()),
            is_default: Some(o.4),
            is_system: Some(o.5),
            description: Some(o.2.into()),
            enabled: Some(true),
            dimension_settings: vec![DimensionSetting {
                name: Some(o.0.into()),
                resource_type: Some("Microsoft.SqlAzure.DimensionSetting".into()),
                state: Some("Normal".into()),
                self_link: None,
                parent_link: Some(link.into()),
                id: Some(o.1.into()),
                description: Some(o.2.into()),
                ordinal: OBJECTIVES
                    .iter()
                    .filter(|x| x.3 == o.3)
                    .position(|x| x.1 == o.1)
                    .and_then(|p| i32::try_from(p + 1).ok()),
                is_default: Some(o.4),
            }],
        }
    }

    fn quota_to_wire(&self, sub: &str, server: &str, q: &(&str, &str)) -> ServerQuota {
        let parent = self.server_path(sub, server);
        ServerQuota {
            name: Some(q.0.into()),
            resource_type: Some("Microsoft.SqlAzure.ServerQuota".into()),
            state: Some("Normal".into()),
            self_link: Some(format!("{parent}/serverquotas/{}", q.0).into()),
            parent_link: Some(parent.into()),
            value: Some(q.1.into()),
        }
    }

    fn dac_to_wire(&self, d: &SqlDacRec, now: Millis) -> StatusInfo {
        let half = d.queued_ms + (d.until_ms - d.queued_ms) / 2;
        let status = if now < half {
            "Pending".to_owned()
        } else if now < d.until_ms {
            let span = (d.until_ms - half).max(1);
            format!(
                "Running, Progress = {:.2}%",
                ((now - half) as f64 * 100.0 / span as f64).clamp(0.0, 99.0)
            )
        } else if d.error.is_some() {
            "Failed".to_owned()
        } else {
            "Completed".to_owned()
        };
        let done = now >= d.until_ms;
        StatusInfo {
            blob_uri: Some(d.blob_uri.as_str().into()),
            database_name: Some(d.database.as_str().into()),
            error_message: (d.error.clone().filter(|_| done)).map(Into::into),
            last_modified_time: Some(datetime(now.min(d.until_ms))),
            queued_time: Some(datetime(d.queued_ms)),
            request_id: Some(d.id.as_str().into()),
            request_type: Some(d.kind.as_str().into()),
            server_name: Some(format!("{}{DNS_SUFFIX}", d.server).into()),
            status: Some(status.into()),
        }
    }

    /// The status of request `id` on `server`, after checking the login.
    #[allow(clippy::too_many_arguments)]
    fn dac_status(
        &self,
        res: &impl ReadableTable<&'static str, &'static [u8]>,
        plat: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
        server: &str,
        fqdn: &str,
        user: &str,
        id: &str,
        now: Millis,
    ) -> Result<ArrayOfStatusInfo, ApiError> {
        let srv = self.sql_server(res, sub, server, now)?;
        check_login(&srv, fqdn, user)?;
        let d: SqlDacRec = get(plat, &format!("SqlDac/{sub}/{}", lc(id.trim())))?
            .filter(|d: &SqlDacRec| d.server.eq_ignore_ascii_case(server))
            .ok_or_else(|| not_found("import/export request", id))?;
        Ok(ArrayOfStatusInfo {
            status_info: vec![self.dac_to_wire(&d, now)],
        })
    }

    /// Reads of this area; `None` for other operations.
    pub(crate) fn sql_read(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Option<Result<Reply, ApiError>> {
        let r = (|| -> Result<Option<Reply>, ApiError> {
            let res = tx.open_table(RESOURCES)?;
            let plat = tx.open_table(PLATFORM)?;
            Ok(Some(match req {
                ServerRequest::ListServerQuotas { server_name, .. } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    Reply::xml(
                        req,
                        &ServerQuotas {
                            service_resource: QUOTAS
                                .iter()
                                .map(|q| self.quota_to_wire(sub, server_name, q))
                                .collect(),
                        },
                    )
                }
                ServerRequest::GetServerQuota {
                    server_name,
                    quota_name,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let q = QUOTAS
                        .iter()
                        .find(|q| q.0.eq_ignore_ascii_case(quota_name))
                        .ok_or_else(|| not_found("server quota", quota_name))?;
                    Reply::xml(req, &self.quota_to_wire(sub, server_name, q))
                }
                ServerRequest::GetServerEventLogs {
                    server_name,
                    start_date,
                    interval_size_in_minutes,
                    options,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    Reply::xml(
                        req,
                        &self.sql_events(
                            &plat,
                            sub,
                            server_name,
                            None,
                            start_date,
                            *interval_size_in_minutes,
                            options.event_types.as_deref(),
                            now,
                        )?,
                    )
                }
                ServerRequest::GetDatabaseEventLogs {
                    server_name,
                    database_name,
                    start_date,
                    interval_size_in_minutes,
                    event_types,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    self.sql_database(&res, sub, server_name, database_name, now)?;
                    Reply::xml(
                        req,
                        &self.sql_events(
                            &plat,
                            sub,
                            server_name,
                            Some(database_name),
                            start_date,
                            *interval_size_in_minutes,
                            Some(event_types),
                            now,
                        )?,
                    )
                }
                ServerRequest::ListDatabaseCopies {
                    server_name,
                    database_name,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let db = self.sql_database(&res, sub, server_name, database_name, now)?;
                    let items = self
                        .sql_copies(&plat, sub, now)?
                        .into_iter()
                        .filter(|(_, c)| copy_of(c, server_name, database_name))
                        .map(|(_, c)| {
                            self.copy_to_wire(sub, server_name, &db.name, db_id(&db), &c, now)
                        })
                        .collect();
                    Reply::xml(
                        req,
                        &DatabaseCopies {
                            service_resource: items,
                        },
                    )
                }
                ServerRequest::GetDatabaseCopy {
                    server_name,
                    database_name,
                    database_copy_name,
                    ..
                } => {
                    let (_, _, wire) = self.sql_copy(
                        &res,
                        &plat,
                        sub,
                        server_name,
                        database_name,
                        database_copy_name,
                        now,
                    )?;
                    Reply::xml(req, &wire)
                }
                ServerRequest::GetDatabaseOperation {
                    server_name,
                    operation_guid,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let op = self
                        .sql_ops(&plat, sub, server_name)?
                        .into_iter()
                        .find(|o| o.id.eq_ignore_ascii_case(operation_guid.trim()))
                        .ok_or_else(|| not_found("database operation", operation_guid))?;
                    Reply::xml(req, &self.op_to_wire(sub, &op, now))
                }
                ServerRequest::ListDatabaseOperationsByDatabase {
                    server_name,
                    database_name,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let ops: Vec<_> = self
                        .sql_ops(&plat, sub, server_name)?
                        .into_iter()
                        .filter(|o| o.database.eq_ignore_ascii_case(database_name))
                        .collect();
                    // A dropped database keeps its history; an unknown one is 404.
                    if ops.is_empty() {
                        self.sql_database(&res, sub, server_name, database_name, now)?;
                    }
                    Reply::xml(
                        req,
                        &DatabaseOperations {
                            service_resource: ops
                                .iter()
                                .map(|o| self.op_to_wire(sub, o, now))
                                .collect(),
                        },
                    )
                }
                ServerRequest::ListDatabaseOperationsByServer { server_name, .. } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    Reply::xml(
                        req,
                        &DatabaseOperations {
                            service_resource: self
                                .sql_ops(&plat, sub, server_name)?
                                .iter()
                                .map(|o| self.op_to_wire(sub, o, now))
                                .collect(),
                        },
                    )
                }
                ServerRequest::ListRecoverableDatabases { server_name, .. } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let items = self
                        .sql_databases(&res, sub, server_name, now)?
                        .iter()
                        .map(|d| self.recoverable_to_wire(sub, server_name, d, now))
                        .collect();
                    Reply::xml(
                        req,
                        &RecoverableDatabases {
                            service_resource: items,
                        },
                    )
                }
                ServerRequest::GetRecoverableDatabase {
                    server_name,
                    database_name,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let d = self.sql_database(&res, sub, server_name, database_name, now)?;
                    Reply::xml(req, &self.recoverable_to_wire(sub, server_name, &d, now))
                }
                ServerRequest::ListRestorableDroppedDatabases { server_name, .. } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let items = self
                        .dropped(&plat, sub, server_name)?
                        .iter()
                        .map(|d| self.dropped_to_wire(sub, d))
                        .collect();
                    Reply::xml(
                        req,
                        &RestorableDroppedDatabases {
                            service_resource: items,
                        },
                    )
                }
                ServerRequest::GetRestorableDroppedDatabase {
                    server_name,
                    entity_id,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let d = self
                        .dropped(&plat, sub, server_name)?
                        .into_iter()
                        .find(|d| d.entity_id.eq_ignore_ascii_case(entity_id.trim()))
                        .ok_or_else(|| not_found("restorable dropped database", entity_id))?;
                    Reply::xml(req, &self.dropped_to_wire(sub, &d))
                }
                ServerRequest::ListServiceObjectives { server_name, .. } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    Reply::xml(
                        req,
                        &ServiceObjectives {
                            service_resource: OBJECTIVES
                                .iter()
                                .map(|o| self.objective_to_wire(sub, server_name, o))
                                .collect(),
                        },
                    )
                }
                ServerRequest::GetServiceObjective {
                    server_name,
                    service_objective_id,
                    ..
                } => {
                    self.sql_server(&res, sub, server_name, now)?;
                    let o = objective(service_objective_id)
                        .ok_or_else(|| not_found("service objective", service_objective_id))?;
                    Reply::xml(req, &self.objective_to_wire(sub, server_name, o))
                }
                ServerRequest::GetImportExportStatus {
                    server_name,
                    servername,
                    username,
                    req_id,
                    ..
                } => Reply::xml(
                    req,
                    &self.dac_status(
                        &res,
                        &plat,
                        sub,
                        server_name,
                        servername,
                        username,
                        req_id,
                        now,
                    )?,
                ),
                _ => return Ok(None),
            }))
        })();
        r.transpose()
    }

    /// Writes of this area; `None` for other operations.
    pub(crate) fn sql_write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Option<Result<Outcome, ApiError>> {
        let r = (|| -> Result<Option<Reply>, ApiError> {
            let delay = self.async_delay_ms.max(1);
            Ok(Some(match req {
                ServerRequest::CreateDatabaseCopy {
                    server_name,
                    database_name,
                    body,
                    ..
                } => {
                    let (src, partner) = {
                        let res = tx.open_table(RESOURCES)?;
                        self.sql_server(&res, sub, server_name, now)?;
                        let src = self.sql_database(&res, sub, server_name, database_name, now)?;
                        let partner = self.sql_server(&res, sub, &body.partner_server, now)?;
                        (src, partner)
                    };
                    let target = body.partner_database.trim();
                    if target.is_empty() {
                        return Err(ApiError::bad_request("PartnerDatabase is required."));
                    }
                    self.sql_put_database(tx, sub, &partner.name, target, &src.state, now)?;
                    let c = SqlCopyRec {
                        id: new_guid(),
                        source_server: server_name.clone(),
                        source_database: src.name.clone(),
                        destination_server: partner.name.clone(),
                        destination_database: target.to_owned(),
                        continuous: body.is_continuous,
                        offline: body.is_offline_secondary.unwrap_or(false),
                        start_ms: now,
                        seeded_ms: now + delay,
                    };
                    put(
                        &mut tx.open_table(PLATFORM)?,
                        &format!("SqlCopy/{sub}/{}", c.id),
                        &c,
                    )?;
                    self.sql_record_op(
                        tx,
                        sub,
                        server_name,
                        &src.name,
                        "DATABASE COPY",
                        now,
                        now + delay,
                        None,
                    )?;
                    self.sql_record_op(
                        tx,
                        sub,
                        &partner.name,
                        target,
                        "CREATE DATABASE COPY",
                        now,
                        now + delay,
                        None,
                    )?;
                    Reply::xml(
                        req,
                        &self.copy_to_wire(sub, server_name, &src.name, db_id(&src), &c, now),
                    )
                }
                ServerRequest::UpdateDatabaseCopy {
                    server_name,
                    database_name,
                    database_copy_name,
                    body,
                    ..
                } => {
                    let (key, c, mut wire) = {
                        let res = tx.open_table(RESOURCES)?;
                        let plat = tx.open_table(PLATFORM)?;
                        self.sql_copy(
                            &res,
                            &plat,
                            sub,
                            server_name,
                            database_name,
                            database_copy_name,
                            now,
                        )?
                    };
                    if body.is_forced_terminate == Some(true) {
                        if !c.continuous {
                            return Err(ApiError::bad_request(
                                "Only a continuous copy can be terminated.",
                            ));
                        }
                        // The link ends at once; both databases stay.
                        let mut plat = tx.open_table(PLATFORM)?;
                        plat.remove(key.as_str())?;
                        wire.is_interlink_connected = Some(false);
                        wire.modify_date = Some(text_of(now).into());
                    }
                    Reply::xml(req, &wire)
                }
                ServerRequest::DeleteDatabaseCopy {
                    server_name,
                    database_name,
                    database_copy_name,
                    ..
                } => {
                    let (key, c, _) = {
                        let res = tx.open_table(RESOURCES)?;
                        let plat = tx.open_table(PLATFORM)?;
                        self.sql_copy(
                            &res,
                            &plat,
                            sub,
                            server_name,
                            database_name,
                            database_copy_name,
                            now,
                        )?
                    };
                    {
                        let mut plat = tx.open_table(PLATFORM)?;
                        plat.remove(key.as_str())?;
                    }
                    // A one-off copy stopped while seeding leaves no copy.
                    if !c.continuous && now < c.seeded_ms {
                        if let Some(k) =
                            self.db_key(sub, &c.destination_server, &c.destination_database)
                        {
                            let mut res = tx.open_table(RESOURCES)?;
                            res.remove(k.as_str())?;
                        }
                    }
                    Reply::empty(200)
                }
                ServerRequest::RecoverDatabase {
                    source_server_name,
                    body,
                    ..
                } => {
                    let src = {
                        let res = tx.open_table(RESOURCES)?;
                        self.sql_server(&res, sub, source_server_name, now)?;
                        self.sql_database(
                            &res,
                            sub,
                            source_server_name,
                            &body.source_database_name,
                            now,
                        )?
                    };
                    let target_server = body
                        .target_server_name
                        .clone()
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| source_server_name.as_str().into());
                    let target = body
                        .target_database_name
                        .clone()
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| src.name.as_str().into());
                    self.sql_put_database(tx, sub, &target_server, &target, &src.state, now)?;
                    let id = self.sql_record_op(
                        tx,
                        sub,
                        &target_server,
                        &target,
                        "RECOVER DATABASE",
                        now,
                        now + delay,
                        None,
                    )?;
                    let parent = self.server_path(sub, source_server_name);
                    Reply::xml(
                        req,
                        &RecoverDatabaseOperation {
                            name: Some(id.as_str().into()),
                            resource_type: Some(
                                "Microsoft.SqlAzure.RecoverDatabaseOperation".into(),
                            ),
                            state: Some("Normal".into()),
                            self_link: Some(
                                format!("{parent}/recoverdatabaseoperations/{id}").into(),
                            ),
                            parent_link: Some(parent.into()),
                            request_id: Some(id.into()),
                            source_database_name: Some(src.name.as_str().into()),
                            target_server_name: Some(target_server),
                            target_database_name: Some(target),
                        },
                    )
                }
                ServerRequest::RestoreDatabase {
                    source_server_name,
                    body,
                    ..
                } => {
                    let (template, created, deleted) = {
                        let res = tx.open_table(RESOURCES)?;
                        let plat = tx.open_table(PLATFORM)?;
                        self.sql_server(&res, sub, source_server_name, now)?;
                        match &body.source_database_deletion_date {
                            Some(when) => {
                                let when = ms_of(when);
                                let d = self
                                    .dropped(&plat, sub, source_server_name)?
                                    .into_iter()
                                    .find(|d| {
                                        d.name.eq_ignore_ascii_case(&body.source_database_name)
                                            && (d.deleted_ms - when).abs() < 1000
                                    })
                                    .ok_or_else(|| {
                                        not_found(
                                            "restorable dropped database",
                                            &body.source_database_name,
                                        )
                                    })?;
                                (d.state, d.created_ms, Some(d.deleted_ms))
                            }
                            None => {
                                let d = self.sql_database(
                                    &res,
                                    sub,
                                    source_server_name,
                                    &body.source_database_name,
                                    now,
                                )?;
                                (d.state, d.created_ms, None)
                            }
                        }
                    };
                    if let Some(at) = &body.target_utc_point_in_time {
                        let at = ms_of(at);
                        let latest = deleted.unwrap_or(now);
                        if at < created - 1000 || at > latest + 1000 {
                            return Err(ApiError::bad_request(format!(
                                "The point in time {} is outside the restorable period of database {} ({} to {}).",
                                text_of(at),
                                body.source_database_name,
                                text_of(created),
                                text_of(latest)
                            )));
                        }
                    }
                    let target_server = body
                        .target_server_name
                        .clone()
                        .filter(|s| !s.trim().is_empty())
                        .unwrap_or_else(|| source_server_name.as_str().into());
                    let target = body.target_database_name.trim().to_owned();
                    if target.is_empty() {
                        return Err(ApiError::bad_request("TargetDatabaseName is required."));
                    }
                    self.sql_put_database(tx, sub, &target_server, &target, &template, now)?;
                    let id = self.sql_record_op(
                        tx,
                        sub,
                        &target_server,
                        &target,
                        "RESTORE DATABASE",
                        now,
                        now + delay,
                        None,
                    )?;
                    Reply::xml(
                        req,
                        &RestoreDatabaseOperation {
                            request_id: Some(id.into()),
                            source_database_name: Some(body.source_database_name.clone()),
                            source_database_deletion_date: deleted.map(datetime),
                            target_server_name: Some(target_server),
                            target_database_name: Some(target.into()),
                            target_utc_point_in_time: Some(
                                body.target_utc_point_in_time
                                    .unwrap_or_else(|| datetime(now)),
                            ),
                        },
                    )
                }
                ServerRequest::ExportDatabase {
                    server_name, body, ..
                } => {
                    let (blob, conn) = dac_input(&body.blob_credentials, &body.connection_info)?;
                    let srv = {
                        let res = tx.open_table(RESOURCES)?;
                        let srv = self.sql_server(&res, sub, server_name, now)?;
                        check_login(&srv, &conn.server_name, &conn.user_name)?;
                        self.sql_database(&res, sub, server_name, &conn.database_name, now)?;
                        srv
                    };
                    let error = self.blob_error(tx, sub, blob, now)?;
                    let id =
                        self.dac_start(tx, sub, &srv.name, conn, blob, "Export", error, now)?;
                    Reply::body(
                        200,
                        XML_CONTENT,
                        xml::scalar_to_document("Guid", SERIALIZATION_NS, &id),
                    )
                }
                ServerRequest::ImportDatabase {
                    server_name, body, ..
                } => {
                    let (blob, conn) = dac_input(&body.blob_credentials, &body.connection_info)?;
                    let srv = {
                        let res = tx.open_table(RESOURCES)?;
                        let srv = self.sql_server(&res, sub, server_name, now)?;
                        check_login(&srv, &conn.server_name, &conn.user_name)?;
                        srv
                    };
                    let mut error = self.blob_error(tx, sub, blob, now)?;
                    if error.is_none() {
                        let mut template = Elem::default();
                        if let Some(e) = body.azure_edition.as_deref().filter(|e| !e.is_empty()) {
                            template.set(Elem::text("Edition", e));
                        }
                        if let Some(gb) = body.database_size_in_gb {
                            template.set(Elem::text("MaxSizeGB", gb.to_string()));
                        }
                        match self.sql_put_database(
                            tx,
                            sub,
                            &srv.name,
                            &conn.database_name,
                            &template,
                            now,
                        ) {
                            Ok(()) => {}
                            Err(e) if e.status == 409 => {
                                error = Some(format!(
                                    "The database '{}' already exists on server '{}'.",
                                    conn.database_name, srv.name
                                ))
                            }
                            Err(e) => return Err(e),
                        }
                    }
                    let id =
                        self.dac_start(tx, sub, &srv.name, conn, blob, "Import", error, now)?;
                    Reply::body(
                        200,
                        XML_CONTENT,
                        xml::scalar_to_document("Guid", SERIALIZATION_NS, &id),
                    )
                }
                ServerRequest::GetImportExportStatusPost {
                    server_name, body, ..
                } => {
                    let res = tx.open_table(RESOURCES)?;
                    let plat = tx.open_table(PLATFORM)?;
                    Reply::xml(
                        req,
                        &self.dac_status(
                            &res,
                            &plat,
                            sub,
                            server_name,
                            &body.server_name,
                            &body.user_name,
                            &body.request_id,
                            now,
                        )?,
                    )
                }
                _ => return Ok(None),
            }))
        })();
        r.transpose().map(|r| r.map(Outcome::from))
    }

    /// Why access to a bacpac blob fails (checked against the emulated
    /// storage accounts of the subscription), or `None`.
    fn blob_error(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        blob: &BlobCredentials,
        now: Millis,
    ) -> Result<Option<String>, ApiError> {
        let uri = blob.uri.trim();
        let host = uri
            .split_once("://")
            .map(|(_, rest)| rest.split('/').next().unwrap_or_default())
            .filter(|h| !h.is_empty())
            .ok_or_else(|| ApiError::bad_request(format!("The blob URI '{uri}' is not valid.")))?;
        let account = host.split('.').next().unwrap_or_default();
        let table = tx.open_table(RESOURCES)?;
        let Ok((_, rec)) = self.storage_account(&table, sub, account, now) else {
            return Ok(Some(format!(
                "The storage account '{account}' could not be found."
            )));
        };
        let a = crate::hooks::sa_view(&rec);
        let key = blob.storage_access_key.trim();
        if key.is_empty() || (key != a.primary_key && key != a.secondary_key) {
            return Ok(Some(format!(
                "Access to the blob '{uri}' was denied: the storage access key is not valid for account '{account}'."
            )));
        }
        Ok(None)
    }

    #[allow(clippy::too_many_arguments)]
    fn dac_start(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        server: &str,
        conn: &ConnectionInfo,
        blob: &BlobCredentials,
        kind: &str,
        error: Option<String>,
        now: Millis,
    ) -> Result<String, ApiError> {
        let delay = self.async_delay_ms.max(1);
        let id = new_guid();
        let rec = SqlDacRec {
            id: id.clone(),
            server: server.to_owned(),
            database: conn.database_name.to_string(),
            kind: kind.to_owned(),
            blob_uri: blob.uri.trim().to_owned(),
            queued_ms: now,
            until_ms: now + 2 * delay,
            error: error.clone(),
        };
        put(
            &mut tx.open_table(PLATFORM)?,
            &format!("SqlDac/{sub}/{id}"),
            &rec,
        )?;
        self.sql_record_op(
            tx,
            sub,
            server,
            &conn.database_name,
            &format!("{} DATABASE", kind.to_ascii_uppercase()),
            now,
            now + 2 * delay,
            error,
        )?;
        Ok(id)
    }
}

fn dac_input<'a>(
    blob: &'a Option<BlobCredentials>,
    conn: &'a Option<ConnectionInfo>,
) -> Result<(&'a BlobCredentials, &'a ConnectionInfo), ApiError> {
    let blob = blob
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("BlobCredentials are required."))?;
    let conn = conn
        .as_ref()
        .ok_or_else(|| ApiError::bad_request("ConnectionInfo is required."))?;
    if conn.database_name.trim().is_empty() {
        return Err(ApiError::bad_request("The database name is required."));
    }
    Ok((blob, conn))
}

/// The server named in a DAC request must be this one (its DNS name or its
/// name), the login its administrator.
fn check_login(server: &ResourceRec, fqdn: &str, user: &str) -> Result<(), ApiError> {
    let given = fqdn.trim().to_ascii_lowercase();
    let given = given.strip_suffix(DNS_SUFFIX).unwrap_or(&given);
    if given != server.name.to_ascii_lowercase() {
        return Err(ApiError::bad_request(format!(
            "The server name '{fqdn}' does not match server '{}'.",
            server.name
        )));
    }
    let admin = server
        .state
        .child_text("AdministratorLogin")
        .unwrap_or_default();
    let user = user.trim();
    let user = user.split('@').next().unwrap_or(user);
    if !admin.eq_ignore_ascii_case(user) {
        return Err(ApiError::bad_request(format!(
            "Login failed for user '{user}'."
        )));
    }
    Ok(())
}

fn copy_of(c: &SqlCopyRec, server: &str, database: &str) -> bool {
    (c.source_server.eq_ignore_ascii_case(server)
        && c.source_database.eq_ignore_ascii_case(database))
        || (c.destination_server.eq_ignore_ascii_case(server)
            && c.destination_database.eq_ignore_ascii_case(database))
}

fn db_id(db: &ResourceRec) -> Option<i32> {
    db.state.child_text("Id").and_then(|v| v.parse().ok())
}

/// (subscription, server) of a database state, from its ParentLink.
fn server_of(state: &Elem) -> Option<(String, String)> {
    let link = state.child_text("ParentLink")?;
    let (head, server) = link.split_once("/services/sqlservers/servers/")?;
    let sub = head.rsplit('/').next()?;
    Some((sub.to_owned(), server.trim_end_matches('/').to_owned()))
}

/// Completes a new database's state: edition and service objective
/// (consistent with each other), sizes, collation, id and the assignment.
fn complete_database(
    api: &Api,
    tx: &WriteTransaction,
    sub: &str,
    server: &str,
    state: &mut Elem,
    now: Millis,
) -> Result<(), ApiError> {
    let given_objective = state
        .child_text("ServiceObjectiveId")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let given_edition = state
        .child_text("Edition")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let (edition, objective_id) = match (given_edition, given_objective) {
        (e, Some(o)) => {
            let found = objective(&o).ok_or_else(|| {
                ApiError::bad_request(format!("The service objective '{o}' is not valid."))
            })?;
            let edition = e.unwrap_or_else(|| found.3.to_owned());
            let fits = found.3.eq_ignore_ascii_case(&edition)
                || (found.3 == "Web" && edition.eq_ignore_ascii_case("Business"));
            if !fits {
                return Err(ApiError::bad_request(format!(
                    "The service objective '{}' is not supported by the edition '{edition}'.",
                    found.0
                )));
            }
            (edition, found.1.to_owned())
        }
        (Some(e), None) => {
            let o = default_objective(&e)
                .ok_or_else(|| ApiError::bad_request(format!("The edition '{e}' is not valid.")))?;
            (e, o.to_owned())
        }
        (None, None) => (
            "Standard".to_owned(),
            default_objective("Standard").unwrap_or_default().to_owned(),
        ),
    };
    let gb_given = state
        .child_text("MaxSizeGB")
        .and_then(|v| v.trim().parse::<i64>().ok());
    let bytes_given = state
        .child_text("MaxSizeBytes")
        .and_then(|v| v.trim().parse::<i64>().ok());
    let bytes = match (gb_given, bytes_given) {
        (_, Some(b)) => b,
        (Some(gb), None) => gb << 30,
        (None, None) => default_size_gb(&edition) << 30,
    };
    state.set(Elem::text("Edition", edition));
    state.set(Elem::text("MaxSizeGB", (bytes >> 30).max(0).to_string()));
    state.set(Elem::text("MaxSizeBytes", bytes.to_string()));
    if state
        .child_text("CollationName")
        .is_none_or(|c| c.trim().is_empty())
    {
        state.set(Elem::text("CollationName", "SQL_Latin1_General_CP1_CI_AS"));
    }
    // Ids: after those of the server's live and dropped databases
    // (`master` is 1).
    let id = {
        let res = tx.open_table(RESOURCES)?;
        let plat = tx.open_table(PLATFORM)?;
        let live = api
            .sql_databases(&res, sub, server, now)?
            .iter()
            .filter_map(db_id)
            .max()
            .unwrap_or(0);
        let dropped = api
            .dropped(&plat, sub, server)?
            .iter()
            .filter_map(|d| d.state.child_text("Id").and_then(|v| v.parse::<i32>().ok()))
            .max()
            .unwrap_or(0);
        live.max(dropped).max(3) + 1
    };
    state.set(Elem::text("Id", id.to_string()));
    state.set(Elem::text("IsFederationRoot", "false"));
    state.set(Elem::text("IsSystemObject", "false"));
    state.set(Elem::text("ServiceObjectiveId", objective_id.clone()));
    assign(state, &objective_id, now);
    state.set(Elem::text("RecoveryPeriodStartDate", text_of(now)));
    state.set(Elem::text("IsSuspended", "false"));
    Ok(())
}

/// The objective in effect becomes the requested one.
fn assign(state: &mut Elem, objective_id: &str, now: Millis) {
    state.set(Elem::text("AssignedServiceObjectiveId", objective_id));
    state.set(Elem::text("ServiceObjectiveAssignmentState", "1"));
    state.set(Elem::text(
        "ServiceObjectiveAssignmentStateDescription",
        "Complete",
    ));
    state.set(Elem::text("ServiceObjectiveAssignmentErrorCode", "0"));
    state.set(Elem::text(
        "ServiceObjectiveAssignmentSuccessDate",
        text_of(now),
    ));
}

/// Create Database (the engine's): completes the state, records the
/// operation.
pub(crate) fn database_created(
    api: &Api,
    tx: &WriteTransaction,
    sub: &str,
    parents: &[String],
    name: &str,
    state: &mut Elem,
    now: Millis,
) -> Result<Option<Failure>, ApiError> {
    let server = parents.first().cloned().unwrap_or_default();
    complete_database(api, tx, sub, &server, state, now)?;
    api.sql_record_op(
        tx,
        sub,
        &server,
        name,
        "CREATE DATABASE",
        now,
        now + api.async_delay_ms.max(1),
        None,
    )?;
    Ok(None)
}

/// Update Database (the engine's): keeps sizes and the objective
/// consistent, records the operation.
pub(crate) fn database_updated(
    api: &Api,
    tx: &WriteTransaction,
    old: &Elem,
    update: &Elem,
    merged: &mut Elem,
    now: Millis,
) -> Result<(), ApiError> {
    if let Some(o) = update
        .child_text("ServiceObjectiveId")
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        let found = objective(o).ok_or_else(|| {
            ApiError::bad_request(format!("The service objective '{o}' is not valid."))
        })?;
        merged.set(Elem::text("ServiceObjectiveId", found.1));
        assign(merged, found.1, now);
    }
    match (
        update
            .child_text("MaxSizeBytes")
            .and_then(|v| v.trim().parse::<i64>().ok()),
        update
            .child_text("MaxSizeGB")
            .and_then(|v| v.trim().parse::<i64>().ok()),
    ) {
        (Some(b), _) => {
            merged.set(Elem::text("MaxSizeGB", (b >> 30).to_string()));
        }
        (None, Some(gb)) => {
            merged.set(Elem::text("MaxSizeBytes", (gb << 30).to_string()));
        }
        (None, None) => {}
    }
    if let Some((sub, server)) = server_of(old) {
        let name = old.child_text("Name").unwrap_or_default().to_owned();
        api.sql_record_op(
            tx,
            &sub,
            &server,
            &name,
            "ALTER DATABASE",
            now,
            now + api.async_delay_ms.max(1),
            None,
        )?;
    }
    Ok(())
}

/// Delete Database (the engine's): the database stays restorable; the
/// operation is recorded; links to it end.
pub(crate) fn database_deleted(
    api: &Api,
    tx: &WriteTransaction,
    rec: &ResourceRec,
    now: Millis,
) -> Result<(), ApiError> {
    let sub = &rec.subscription;
    let server = rec.parents.first().cloned().unwrap_or_default();
    let entity_id = format!("{},{}", rec.name, file_time(now));
    let dropped = SqlDroppedRec {
        server: server.clone(),
        name: rec.name.clone(),
        entity_id: entity_id.clone(),
        state: rec.state.clone(),
        created_ms: rec.created_ms,
        deleted_ms: now,
    };
    let links: Vec<String> = {
        let plat = tx.open_table(PLATFORM)?;
        api.sql_copies(&plat, sub, now)?
            .into_iter()
            .filter(|(_, c)| copy_of(c, &server, &rec.name))
            .map(|(k, _)| k)
            .collect()
    };
    {
        let mut plat = tx.open_table(PLATFORM)?;
        put(
            &mut plat,
            &format!("SqlDropped/{sub}/{}/{}", lc(&server), lc(&entity_id)),
            &dropped,
        )?;
        for k in links {
            plat.remove(k.as_str())?;
        }
    }
    api.sql_record_op(
        tx,
        sub,
        &server,
        &rec.name,
        "DROP DATABASE",
        now,
        now + api.async_delay_ms.max(1),
        None,
    )?;
    Ok(())
}

/// Delete Server (the engine's, which removes its databases): the copy
/// links with an end on the server end too.
pub(crate) fn server_deleted(
    api: &Api,
    tx: &WriteTransaction,
    rec: &ResourceRec,
    now: Millis,
) -> Result<(), ApiError> {
    let links: Vec<String> = {
        let plat = tx.open_table(PLATFORM)?;
        api.sql_copies(&plat, &rec.subscription, now)?
            .into_iter()
            .filter(|(_, c)| {
                c.source_server.eq_ignore_ascii_case(&rec.name)
                    || c.destination_server.eq_ignore_ascii_case(&rec.name)
            })
            .map(|(k, _)| k)
            .collect()
    };
    let mut plat = tx.open_table(PLATFORM)?;
    for k in links {
        plat.remove(k.as_str())?;
    }
    Ok(())
}

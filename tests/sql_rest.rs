//! The SQL Database operations beyond servers, firewall rules and databases,
//! through the generated client against the emulator: server quotas,
//! service objectives, database operations and event logs, database
//! copies, recoverable and restorable dropped databases with recover and
//! restore, and DAC import/export — with 404s for a missing server,
//! database or item.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{assert_service_error, start_with};
use azure_asm::*;

/// How long the emulator's asynchronous work takes (operations, seeding,
/// half of an import/export).
const DELAY: Duration = Duration::from_millis(1500);

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = DELAY,
        |client| client.retry_policy(RetryPolicy::none()),
    )
    .await
}

#[track_caller]
fn not_found<T: std::fmt::Debug>(r: Result<T, Error>) {
    assert_service_error(r, 404, "ResourceNotFound");
}

async fn server(c: &Client) -> String {
    c.create_server(&CreateServerInput {
        administrator_login: "azuredb".into(),
        administrator_login_password: "Pa$$w0rd!".into(),
        location: "West US".into(),
        ..Default::default()
    })
    .await
    .unwrap()
}

async fn database(c: &Client, server: &str, name: &str, edition: Option<DatabaseEdition>) {
    c.create_database(
        server,
        &CreateDatabaseInput {
            name: name.into(),
            edition,
            ..Default::default()
        },
    )
    .await
    .unwrap();
}

async fn settle() {
    tokio::time::sleep(DELAY + Duration::from_millis(300)).await;
}

fn an_hour_ago() -> DateTime {
    DateTime(DateTime::now().0 - Duration::from_secs(3600))
}

const BASIC: &str = "dd6d99bb-f193-4ec1-86f2-43d3bccbc49c";
const S0: &str = "f1173c43-91bd-4aaa-973c-54e79e15235b";
const P1: &str = "7203483a-c4fb-4304-9e9f-17c71c904f5d";

/// Every operation of this file is served: none answers 501 (before this
/// module all 24 did).
#[tokio::test]
async fn no_sql_operation_is_unimplemented() {
    let (_emu, c) = start().await;
    let s = server(&c).await;
    database(&c, &s, "db1", None).await;
    let mut statuses = Vec::new();
    macro_rules! probe {
        ($name:literal, $call:expr) => {
            let status = match $call.await {
                Ok(_) => 200,
                Err(e) => e.service_error().map(|s| s.status).unwrap_or(0),
            };
            statuses.push(($name, status));
        };
    }
    let t = an_hour_ago();
    probe!("ListServerQuotas", c.list_server_quotas(&s));
    probe!("GetServerQuota", c.get_server_quota(&s, "server_dtu_quota"));
    probe!(
        "GetServerEventLogs",
        c.get_server_event_logs(&s, t, 60, &Default::default())
    );
    probe!(
        "GetDatabaseEventLogs",
        c.get_database_event_logs(&s, "db1", t, 60, "")
    );
    probe!("ListDatabaseCopies", c.list_database_copies(&s, "db1"));
    probe!("GetDatabaseCopy", c.get_database_copy(&s, "db1", "x"));
    probe!(
        "CreateDatabaseCopy",
        c.create_database_copy(
            &s,
            "db1",
            &CreateDatabaseCopyInput {
                partner_server: s.clone().into(),
                partner_database: "c1".into(),
                is_continuous: false,
                ..Default::default()
            }
        )
    );
    probe!(
        "UpdateDatabaseCopy",
        c.update_database_copy(&s, "db1", "x", &Default::default())
    );
    probe!("DeleteDatabaseCopy", c.delete_database_copy(&s, "db1", "x"));
    probe!("GetDatabaseOperation", c.get_database_operation(&s, "x"));
    probe!(
        "ListDatabaseOperationsByDatabase",
        c.list_database_operations_by_database(&s, "db1")
    );
    probe!(
        "ListDatabaseOperationsByServer",
        c.list_database_operations_by_server(&s)
    );
    probe!("ListRecoverableDatabases", c.list_recoverable_databases(&s));
    probe!(
        "GetRecoverableDatabase",
        c.get_recoverable_database(&s, "db1")
    );
    probe!(
        "ListRestorableDroppedDatabases",
        c.list_restorable_dropped_databases(&s)
    );
    probe!(
        "GetRestorableDroppedDatabase",
        c.get_restorable_dropped_database(&s, "x,1")
    );
    probe!(
        "RecoverDatabase",
        c.recover_database(
            &s,
            &RecoverDatabaseInput {
                source_database_name: "db1".into(),
                target_database_name: Some("r1".into()),
                ..Default::default()
            }
        )
    );
    probe!(
        "RestoreDatabase",
        c.restore_database(
            &s,
            &RestoreDatabaseInput {
                source_database_name: "db1".into(),
                target_database_name: "r2".into(),
                ..Default::default()
            }
        )
    );
    probe!("ListServiceObjectives", c.list_service_objectives(&s));
    probe!("GetServiceObjective", c.get_service_objective(&s, S0));
    probe!(
        "ExportDatabase",
        c.export_database(&s, &ExportInput::default())
    );
    probe!(
        "ImportDatabase",
        c.import_database(&s, &ImportInput::default())
    );
    probe!(
        "GetImportExportStatus",
        c.get_import_export_status(&s, "a", "b", "c", "d")
    );
    probe!(
        "GetImportExportStatusPost",
        c.get_import_export_status_post(&s, &StatusInput::default())
    );
    for (name, status) in &statuses {
        println!("{name}: {status}");
    }
    let unimplemented: Vec<_> = statuses.iter().filter(|(_, s)| *s == 501).collect();
    assert!(unimplemented.is_empty(), "501: {unimplemented:?}");
    assert_eq!(statuses.len(), 24);
}

#[tokio::test]
async fn server_quotas_and_service_objectives() {
    let (_emu, c) = start().await;
    let s = server(&c).await;

    let quotas = c.list_server_quotas(&s).await.unwrap().service_resource;
    assert_eq!(quotas.len(), 1, "{quotas:?}");
    let q = &quotas[0];
    assert_eq!(q.name.as_deref(), Some("server_dtu_quota"));
    assert_eq!(q.value.as_deref(), Some("2000"));
    assert_eq!(
        q.resource_type.as_deref(),
        Some("Microsoft.SqlAzure.ServerQuota")
    );
    assert!(q
        .self_link
        .as_deref()
        .unwrap()
        .ends_with(&format!("/servers/{s}/serverquotas/server_dtu_quota")));
    assert_eq!(
        &c.get_server_quota(&s, "server_dtu_quota").await.unwrap(),
        q
    );
    not_found(c.get_server_quota(&s, "no_such_quota").await);
    not_found(c.list_server_quotas("nosuchserver").await);
    not_found(c.get_server_quota("nosuchserver", "server_dtu_quota").await);

    let objectives = c
        .list_service_objectives(&s)
        .await
        .unwrap()
        .service_resource;
    let by_name = |n: &str| {
        objectives
            .iter()
            .find(|o| o.name.as_deref() == Some(n))
            .unwrap_or_else(|| panic!("{n} in {objectives:?}"))
    };
    for (name, id) in [("Basic", BASIC), ("S0", S0), ("P1", P1)] {
        let o = by_name(name);
        assert_eq!(o.id.as_deref(), Some(id));
        assert_eq!(o.enabled, Some(true));
        assert_eq!(o.dimension_settings.len(), 1);
        assert_eq!(o.dimension_settings[0].name.as_deref(), Some(name));
        assert_eq!(&c.get_service_objective(&s, id).await.unwrap(), o);
    }
    for name in ["S1", "S2", "S3", "P2", "P3", "Shared", "System"] {
        by_name(name);
    }
    assert_eq!(by_name("System").is_system, Some(true));
    assert_eq!(by_name("S0").is_default, Some(true));
    assert_eq!(by_name("S1").is_default, Some(false));
    not_found(
        c.get_service_objective(&s, "00000000-0000-0000-0000-000000000000")
            .await,
    );
    not_found(c.list_service_objectives("nosuchserver").await);

    // A database's objective comes from the catalog: the edition's default,
    // or the one given (which must fit the edition).
    database(&c, &s, "prem", Some(DatabaseEdition::Premium)).await;
    let db = c.get_database(&s, "prem").await.unwrap();
    assert_eq!(db.service_objective_id.as_deref(), Some(P1));
    assert_eq!(db.assigned_service_objective_id.as_deref(), Some(P1));
    assert_eq!(db.max_size_bytes, Some(500 << 30));
    let bad = c
        .create_database(
            &s,
            &CreateDatabaseInput {
                name: "mismatch".into(),
                edition: Some(DatabaseEdition::Basic),
                service_objective_id: Some(P1.into()),
                ..Default::default()
            },
        )
        .await;
    assert_service_error(bad, 400, "BadRequest");
}

#[tokio::test]
async fn database_operations_and_event_logs() {
    let (_emu, c) = start().await;
    let s = server(&c).await;
    let before = an_hour_ago();
    database(&c, &s, "db1", Some(DatabaseEdition::Basic)).await;
    c.update_database(
        &s,
        "db1",
        &UpdateDatabaseInput {
            edition: DatabaseEdition::Standard,
            service_objective_id: Some(S0.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    database(&c, &s, "db2", None).await;

    let ops = c
        .list_database_operations_by_server(&s)
        .await
        .unwrap()
        .service_resource;
    let names: Vec<_> = ops.iter().filter_map(|o| o.name.as_deref()).collect();
    assert_eq!(
        names,
        ["CREATE DATABASE", "ALTER DATABASE", "CREATE DATABASE"]
    );
    // Just started: in progress.
    assert_eq!(ops[0].state.as_deref(), Some("IN_PROGRESS"));
    assert_eq!(ops[0].state_id, Some(1));
    assert!(ops[0].percent_complete.unwrap() < 100);
    assert_eq!(ops[0].database_name.as_deref(), Some("db1"));
    let id = ops[0].id.clone().unwrap();

    settle().await;
    let op = c.get_database_operation(&s, &id).await.unwrap();
    assert_eq!(op.state.as_deref(), Some("COMPLETED"));
    assert_eq!(op.state_id, Some(2));
    assert_eq!(op.percent_complete, Some(100));
    assert_eq!(op.error_code, Some(0));
    assert!(op.start_time.is_some() && op.last_modify_time.is_some());
    not_found(
        c.get_database_operation(&s, "6f1c5f8e-1f3c-4d8a-9a4b-2f0f7c3b8a11")
            .await,
    );
    not_found(c.get_database_operation("nosuchserver", &id).await);

    // The updated objective took effect.
    let db = c.get_database(&s, "db1").await.unwrap();
    assert_eq!(db.assigned_service_objective_id.as_deref(), Some(S0));

    // A dropped database keeps its history.
    c.delete_database(&s, "db1").await.unwrap();
    let db1_ops = c
        .list_database_operations_by_database(&s, "db1")
        .await
        .unwrap()
        .service_resource;
    let names: Vec<_> = db1_ops.iter().filter_map(|o| o.name.as_deref()).collect();
    assert_eq!(
        names,
        ["CREATE DATABASE", "ALTER DATABASE", "DROP DATABASE"]
    );
    not_found(c.list_database_operations_by_database(&s, "never").await);
    not_found(c.list_database_operations_by_server("nosuchserver").await);

    // Event logs: what happened, aggregated per interval and type.
    let events = c
        .get_server_event_logs(&s, before, 60, &Default::default())
        .await
        .unwrap()
        .service_resource;
    let count = |db: &str, kind: &str| -> i32 {
        events
            .iter()
            .filter(|e| {
                e.database_name.as_deref() == Some(db) && e.event_type.as_deref() == Some(kind)
            })
            .filter_map(|e| e.number_of_events)
            .sum()
    };
    assert_eq!(count("db1", "create_database"), 1, "{events:?}");
    assert_eq!(count("db1", "alter_database"), 1);
    assert_eq!(count("db1", "drop_database"), 1);
    assert_eq!(count("db2", "create_database"), 1);
    assert!(events
        .iter()
        .all(|e| e.interval_size_in_minutes == Some(60) && e.start_time_utc.is_some()));

    let only_creates = c
        .get_server_event_logs(
            &s,
            before,
            60,
            &GetServerEventLogsOptions {
                event_types: Some("create_database".into()),
            },
        )
        .await
        .unwrap()
        .service_resource;
    assert_eq!(only_creates.len(), 2, "{only_creates:?}");
    // Nothing happened after now.
    let later = DateTime(DateTime::now().0 + Duration::from_secs(300));
    assert!(c
        .get_server_event_logs(&s, later, 60, &Default::default())
        .await
        .unwrap()
        .service_resource
        .is_empty());

    let db2 = c
        .get_database_event_logs(&s, "db2", before, 5, "")
        .await
        .unwrap()
        .service_resource;
    assert_eq!(db2.len(), 1, "{db2:?}");
    assert_eq!(db2[0].event_type.as_deref(), Some("create_database"));
    assert_eq!(db2[0].number_of_events, Some(1));
    not_found(c.get_database_event_logs(&s, "db1", before, 5, "").await);
    not_found(
        c.get_server_event_logs("nosuchserver", before, 60, &Default::default())
            .await,
    );
    assert_service_error(
        c.get_server_event_logs(&s, before, 0, &Default::default())
            .await,
        400,
        "BadRequest",
    );
}

#[tokio::test]
async fn database_copies() {
    let (_emu, c) = start().await;
    let a = server(&c).await;
    let b = server(&c).await;
    database(&c, &a, "src", Some(DatabaseEdition::Basic)).await;

    let one_off = CreateDatabaseCopyInput {
        partner_server: b.clone().into(),
        partner_database: "copy1".into(),
        is_continuous: false,
        ..Default::default()
    };
    let created = c.create_database_copy(&a, "src", &one_off).await.unwrap();
    assert_eq!(created.source_server_name.as_deref(), Some(a.as_str()));
    assert_eq!(created.destination_server_name.as_deref(), Some(b.as_str()));
    assert_eq!(created.destination_database_name.as_deref(), Some("copy1"));
    assert_eq!(created.is_continuous, Some(false));
    assert_eq!(
        created.replication_state_description.as_deref(),
        Some("SEEDING")
    );
    assert!(created.percent_complete.unwrap() < 100.0);
    let link = created.name.clone().unwrap();

    // The copy is a new database on the partner server, like its source.
    let copy = c.get_database(&b, "copy1").await.unwrap();
    assert_eq!(copy.edition, Some(DatabaseEdition::Basic));
    assert_eq!(copy.service_objective_id.as_deref(), Some(BASIC));
    // Both ends see the link.
    let from_src = c
        .list_database_copies(&a, "src")
        .await
        .unwrap()
        .service_resource;
    assert_eq!(from_src.len(), 1);
    assert_eq!(
        from_src[0].is_local_database_replication_target,
        Some(false)
    );
    let from_dst = c.get_database_copy(&b, "copy1", &link).await.unwrap();
    assert_eq!(from_dst.is_local_database_replication_target, Some(true));
    assert_eq!(from_dst.name.as_deref(), Some(link.as_str()));

    // A taken name, a missing partner, a missing source.
    assert_service_error(
        c.create_database_copy(&a, "src", &one_off).await,
        409,
        "ConflictError",
    );
    let mut to_nowhere = one_off.clone();
    to_nowhere.partner_server = "nosuchserver".into();
    not_found(c.create_database_copy(&a, "src", &to_nowhere).await);
    not_found(c.create_database_copy(&a, "nope", &one_off).await);
    not_found(c.list_database_copies(&a, "nope").await);
    not_found(c.list_database_copies("nosuchserver", "src").await);
    not_found(c.get_database_copy(&a, "src", "no-such-link").await);

    // A one-off copy's link ends when seeding completes; the copy stays.
    settle().await;
    assert!(c
        .list_database_copies(&a, "src")
        .await
        .unwrap()
        .service_resource
        .is_empty());
    not_found(c.get_database_copy(&a, "src", &link).await);
    c.get_database(&b, "copy1").await.unwrap();

    // A continuous copy catches up and stays until stopped.
    let geo = CreateDatabaseCopyInput {
        partner_server: b.clone().into(),
        partner_database: "geo".into(),
        is_continuous: true,
        is_offline_secondary: Some(true),
    };
    let geo_link = c
        .create_database_copy(&a, "src", &geo)
        .await
        .unwrap()
        .name
        .unwrap();
    settle().await;
    let caught_up = c.get_database_copy(&a, "src", &geo_link).await.unwrap();
    assert_eq!(caught_up.replication_state, Some(2));
    assert_eq!(
        caught_up.replication_state_description.as_deref(),
        Some("CATCH_UP")
    );
    assert_eq!(caught_up.percent_complete, Some(100.0));
    assert_eq!(caught_up.is_offline_secondary, Some(true));

    // Forced termination ends the link; both databases stay.
    let ended = c
        .update_database_copy(
            &a,
            "src",
            &geo_link,
            &UpdateDatabaseCopyInput {
                is_forced_terminate: Some(true),
            },
        )
        .await
        .unwrap();
    assert_eq!(ended.is_interlink_connected, Some(false));
    not_found(c.get_database_copy(&a, "src", &geo_link).await);
    c.get_database(&b, "geo").await.unwrap();
    c.get_database(&a, "src").await.unwrap();

    // Delete stops a link; a one-off copy stopped while seeding is gone.
    let geo2 = CreateDatabaseCopyInput {
        partner_database: "geo2".into(),
        ..geo.clone()
    };
    let l2 = c
        .create_database_copy(&a, "src", &geo2)
        .await
        .unwrap()
        .name
        .unwrap();
    c.delete_database_copy(&a, "src", &l2).await.unwrap();
    not_found(c.delete_database_copy(&a, "src", &l2).await);
    c.get_database(&b, "geo2").await.unwrap();
    let quick = CreateDatabaseCopyInput {
        partner_database: "quick".into(),
        ..one_off.clone()
    };
    let l3 = c
        .create_database_copy(&a, "src", &quick)
        .await
        .unwrap()
        .name
        .unwrap();
    c.delete_database_copy(&b, "quick", &l3).await.unwrap();
    not_found(c.get_database(&b, "quick").await);
    not_found(
        c.update_database_copy(&a, "src", &l3, &Default::default())
            .await,
    );

    // The copies are in both servers' operation history.
    let ops = c
        .list_database_operations_by_server(&b)
        .await
        .unwrap()
        .service_resource;
    assert!(ops
        .iter()
        .any(|o| o.name.as_deref() == Some("CREATE DATABASE COPY")
            && o.database_name.as_deref() == Some("copy1")));
    // A server's deletion ends the links to its databases.
    let geo3 = CreateDatabaseCopyInput {
        partner_database: "geo3".into(),
        ..geo.clone()
    };
    c.create_database_copy(&a, "src", &geo3).await.unwrap();
    assert_eq!(
        c.list_database_copies(&a, "src")
            .await
            .unwrap()
            .service_resource
            .len(),
        1
    );
    let ops = c
        .list_database_operations_by_database(&a, "src")
        .await
        .unwrap()
        .service_resource;
    assert_eq!(
        ops.iter()
            .filter(|o| o.name.as_deref() == Some("DATABASE COPY"))
            .count(),
        5
    );
    c.delete_server(&b).await.unwrap();
    assert!(c
        .list_database_copies(&a, "src")
        .await
        .unwrap()
        .service_resource
        .is_empty());
}

#[tokio::test]
async fn restorable_dropped_and_recoverable_databases() {
    let (_emu, c) = start().await;
    let a = server(&c).await;
    let b = server(&c).await;
    database(&c, &a, "live", Some(DatabaseEdition::Standard)).await;
    database(&c, &a, "doomed", Some(DatabaseEdition::Premium)).await;

    // Every live database is recoverable.
    let rec = c
        .list_recoverable_databases(&a)
        .await
        .unwrap()
        .service_resource;
    let mut names: Vec<_> = rec.iter().filter_map(|r| r.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["doomed", "live"]);
    let live = c.get_recoverable_database(&a, "live").await.unwrap();
    assert_eq!(live.edition, Some(DatabaseEdition::Standard));
    assert_eq!(live.server_name.as_deref(), Some(a.as_str()));
    assert!(live.last_available_backup_date.is_some());
    not_found(c.get_recoverable_database(&a, "nope").await);
    not_found(c.list_recoverable_databases("nosuchserver").await);

    // A deleted database remains restorable, with its deletion date.
    assert!(c
        .list_restorable_dropped_databases(&a)
        .await
        .unwrap()
        .service_resource
        .is_empty());
    c.delete_database(&a, "doomed").await.unwrap();
    let dropped = c
        .list_restorable_dropped_databases(&a)
        .await
        .unwrap()
        .service_resource;
    assert_eq!(dropped.len(), 1);
    let d = &dropped[0];
    assert_eq!(d.name.as_deref(), Some("doomed"));
    assert_eq!(d.edition, Some(DatabaseEdition::Premium));
    assert_eq!(d.max_size_bytes, Some(500 << 30));
    let entity = d.entity_id.clone().unwrap();
    assert!(entity.starts_with("doomed,"), "{entity}");
    let deleted = d.deletion_date.unwrap();
    assert!(d.creation_date.as_ref().unwrap().0 <= deleted.0);
    assert_eq!(
        &c.get_restorable_dropped_database(&a, &entity)
            .await
            .unwrap(),
        d
    );
    not_found(c.get_restorable_dropped_database(&a, "doomed,1").await);
    not_found(c.list_restorable_dropped_databases("nosuchserver").await);
    // No longer recoverable (it is not live).
    not_found(c.get_recoverable_database(&a, "doomed").await);

    // Restore the dropped database as a new one.
    let restored = c
        .restore_database(
            &a,
            &RestoreDatabaseInput {
                source_database_name: "doomed".into(),
                source_database_deletion_date: Some(deleted),
                target_database_name: "revived".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(restored.request_id.is_some());
    assert_eq!(restored.target_database_name.as_deref(), Some("revived"));
    assert_eq!(restored.target_server_name.as_deref(), Some(a.as_str()));
    let revived = c.get_database(&a, "revived").await.unwrap();
    assert_eq!(revived.edition, Some(DatabaseEdition::Premium));
    assert_eq!(revived.service_objective_id.as_deref(), Some(P1));
    // A wrong deletion date names no dropped database.
    let wrong = DateTime(deleted.0 - Duration::from_secs(86_400));
    not_found(
        c.restore_database(
            &a,
            &RestoreDatabaseInput {
                source_database_name: "doomed".into(),
                source_database_deletion_date: Some(wrong),
                target_database_name: "other".into(),
                ..Default::default()
            },
        )
        .await,
    );
    // A live database restores to a point in its past, on another server.
    c.restore_database(
        &a,
        &RestoreDatabaseInput {
            source_database_name: "live".into(),
            target_server_name: Some(b.clone().into()),
            target_database_name: "live-copy".into(),
            target_utc_point_in_time: Some(DateTime::now()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    c.get_database(&b, "live-copy").await.unwrap();
    let future = DateTime(DateTime::now().0 + Duration::from_secs(86_400));
    assert_service_error(
        c.restore_database(
            &a,
            &RestoreDatabaseInput {
                source_database_name: "live".into(),
                target_database_name: "later".into(),
                target_utc_point_in_time: Some(future),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    // The target name must be free.
    assert_service_error(
        c.restore_database(
            &a,
            &RestoreDatabaseInput {
                source_database_name: "live".into(),
                target_database_name: "revived".into(),
                ..Default::default()
            },
        )
        .await,
        409,
        "ConflictError",
    );
    not_found(
        c.restore_database(
            "nosuchserver",
            &RestoreDatabaseInput {
                source_database_name: "live".into(),
                target_database_name: "x".into(),
                ..Default::default()
            },
        )
        .await,
    );

    // Recover: a new database from the geo-replicated backup.
    let recovered = c
        .recover_database(
            &a,
            &RecoverDatabaseInput {
                source_database_name: "live".into(),
                target_server_name: Some(b.clone().into()),
                target_database_name: None,
            },
        )
        .await
        .unwrap();
    assert!(recovered.request_id.is_some());
    assert_eq!(recovered.target_database_name.as_deref(), Some("live"));
    assert_eq!(
        c.get_database(&b, "live").await.unwrap().edition,
        Some(DatabaseEdition::Standard)
    );
    // Same server, same name: taken.
    assert_service_error(
        c.recover_database(
            &a,
            &RecoverDatabaseInput {
                source_database_name: "live".into(),
                ..Default::default()
            },
        )
        .await,
        409,
        "ConflictError",
    );
    not_found(
        c.recover_database(
            &a,
            &RecoverDatabaseInput {
                source_database_name: "nope".into(),
                target_database_name: Some("x".into()),
                ..Default::default()
            },
        )
        .await,
    );
    let ops = c
        .list_database_operations_by_server(&b)
        .await
        .unwrap()
        .service_resource;
    let names: Vec<_> = ops.iter().filter_map(|o| o.name.as_deref()).collect();
    assert_eq!(names, ["RESTORE DATABASE", "RECOVER DATABASE"]);
}

#[tokio::test]
async fn import_and_export() {
    let (_emu, c) = start().await;
    let s = server(&c).await;
    database(&c, &s, "db1", None).await;
    c.create_storage_account(&CreateStorageServiceInput {
        service_name: "bacpacs".into(),
        label: "bacpacs".into(),
        location: Some("West US".into()),
        ..Default::default()
    })
    .await
    .unwrap();
    let key = c
        .get_storage_account_keys("bacpacs")
        .await
        .unwrap()
        .storage_service_keys
        .unwrap()
        .primary
        .unwrap();
    let fqdn = format!("{s}.database.windows.net");
    let conn = |db: &str| ConnectionInfo {
        database_name: db.into(),
        password: "Pa$$w0rd!".into(),
        server_name: fqdn.clone().into(),
        user_name: "azuredb".into(),
    };
    let blob = |k: &str| BlobCredentials {
        uri: "https://bacpacs.blob.core.windows.net/backups/db1.bacpac".into(),
        storage_access_key: k.into(),
    };
    let status_input = |id: &str| StatusInput {
        password: "Pa$$w0rd!".into(),
        request_id: id.into(),
        server_name: fqdn.clone().into(),
        user_name: "azuredb".into(),
    };

    let export = c
        .export_database(
            &s,
            &ExportInput {
                blob_credentials: Some(blob(&key)),
                connection_info: Some(conn("db1")),
            },
        )
        .await
        .unwrap();
    assert_eq!(export.len(), 36, "{export}");
    let first = c
        .get_import_export_status(&s, &fqdn, "azuredb", "Pa$$w0rd!", &export)
        .await
        .unwrap()
        .status_info;
    assert_eq!(first.len(), 1);
    let st = first[0].status.clone().unwrap();
    assert!(st == "Pending" || st.starts_with("Running"), "{st}");
    assert_eq!(first[0].request_type.as_deref(), Some("Export"));
    assert_eq!(first[0].database_name.as_deref(), Some("db1"));
    assert_eq!(
        first[0].blob_uri.as_deref(),
        Some("https://bacpacs.blob.core.windows.net/backups/db1.bacpac")
    );
    settle().await;
    settle().await;
    let done = c
        .get_import_export_status_post(&s, &status_input(&export))
        .await
        .unwrap()
        .status_info;
    assert_eq!(done[0].status.as_deref(), Some("Completed"), "{done:?}");
    assert_eq!(done[0].error_message, None);
    assert_eq!(done[0].request_id.as_deref(), Some(export.as_str()));

    // A bad storage key: accepted, then Failed with the reason.
    let bad = c
        .export_database(
            &s,
            &ExportInput {
                blob_credentials: Some(blob("bm90IHRoZSBrZXk=")),
                connection_info: Some(conn("db1")),
            },
        )
        .await
        .unwrap();
    // Import creates the database when it completes well.
    let import = c
        .import_database(
            &s,
            &ImportInput {
                azure_edition: Some("Premium".into()),
                blob_credentials: Some(blob(&key)),
                connection_info: Some(conn("imported")),
                database_size_in_gb: Some(100),
            },
        )
        .await
        .unwrap();
    settle().await;
    settle().await;
    let failed = c
        .get_import_export_status_post(&s, &status_input(&bad))
        .await
        .unwrap()
        .status_info;
    assert_eq!(failed[0].status.as_deref(), Some("Failed"));
    assert!(
        failed[0].error_message.as_deref().unwrap().contains("key"),
        "{failed:?}"
    );
    let imported = c
        .get_import_export_status(&s, &fqdn, "azuredb", "Pa$$w0rd!", &import)
        .await
        .unwrap()
        .status_info;
    assert_eq!(imported[0].status.as_deref(), Some("Completed"));
    assert_eq!(imported[0].request_type.as_deref(), Some("Import"));
    let db = c.get_database(&s, "imported").await.unwrap();
    assert_eq!(db.edition, Some(DatabaseEdition::Premium));
    assert_eq!(db.max_size_gb, Some(100));
    // Importing over an existing database fails.
    let again = c
        .import_database(
            &s,
            &ImportInput {
                blob_credentials: Some(blob(&key)),
                connection_info: Some(conn("imported")),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    settle().await;
    settle().await;
    let st = c
        .get_import_export_status_post(&s, &status_input(&again))
        .await
        .unwrap()
        .status_info;
    assert_eq!(st[0].status.as_deref(), Some("Failed"));

    // Errors at request time.
    not_found(
        c.export_database(
            &s,
            &ExportInput {
                blob_credentials: Some(blob(&key)),
                connection_info: Some(conn("nope")),
            },
        )
        .await,
    );
    not_found(
        c.export_database(
            "nosuchserver",
            &ExportInput {
                blob_credentials: Some(blob(&key)),
                connection_info: Some(conn("db1")),
            },
        )
        .await,
    );
    let mut wrong_login = conn("db1");
    wrong_login.user_name = "intruder".into();
    assert_service_error(
        c.export_database(
            &s,
            &ExportInput {
                blob_credentials: Some(blob(&key)),
                connection_info: Some(wrong_login),
            },
        )
        .await,
        400,
        "BadRequest",
    );
    not_found(
        c.get_import_export_status_post(&s, &status_input("6f1c5f8e-1f3c-4d8a-9a4b-2f0f7c3b8a11"))
            .await,
    );
    not_found(
        c.get_import_export_status("nosuchserver", &fqdn, "azuredb", "x", &export)
            .await,
    );
    // The export and import are in the operation history.
    let ops = c
        .list_database_operations_by_server(&s)
        .await
        .unwrap()
        .service_resource;
    assert!(ops
        .iter()
        .any(|o| o.name.as_deref() == Some("EXPORT DATABASE")));
    assert!(ops
        .iter()
        .any(|o| o.name.as_deref() == Some("IMPORT DATABASE")
            && o.state.as_deref() == Some("COMPLETED")));
}

//! The emulator's state in redb: one table per kind of record, records
//! encoded as JSON of the types below (a stable encoding owned by the
//! emulator, independent of the wire format).

use std::path::Path;

use redb::backends::FileBackend;
use redb::{
    Database, Durability, ReadableTable, StorageBackend, TableDefinition, TableHandle as _,
    WriteTransaction,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::Error;

pub(crate) type Def = TableDefinition<'static, &'static str, &'static [u8]>;

/// Subscriptions by id (lower case).
pub(crate) const SUBSCRIPTIONS: Def = TableDefinition::new("subscriptions");
/// Operation history by `{subscription}/{sequence:020}`.
pub(crate) const OPERATION_LOG: Def = TableDefinition::new("operations");
/// Operation history key by request id (32 lower-case hex digits).
pub(crate) const OPERATION_IDS: Def = TableDefinition::new("operation_ids");
/// Counters and settings.
pub(crate) const META: Def = TableDefinition::new("meta");
/// Resources the generic engine serves, by
/// `{resource}/{subscription or *}/{parents.../}{name}`.
pub(crate) const RESOURCES: Def = TableDefinition::new("resources");
/// Network configuration by subscription.
pub(crate) const NETWORK_CONFIG: Def = TableDefinition::new("network_config");
/// Virtual network gateways by `{subscription}/{lower-case network}`.
pub(crate) const GATEWAYS: Def = TableDefinition::new("gateways");
/// Networking operations by `{subscription}/{id}`.
pub(crate) const GATEWAY_OPERATIONS: Def = TableDefinition::new("gateway_operations");
/// V2 gateways, local network gateways, gateway connections and application
/// gateways, by `{kind}/{subscription}/{id...}` (`gateways.rs`).
pub(crate) const GATEWAY_RESOURCES: Def = TableDefinition::new("gateway_resources");

/// Networking associations, IP forwarding and migration states by
/// `{kind}/{subscription}/{names...}` (`emulator/src/network.rs`).
pub(crate) const NETWORK: Def = TableDefinition::new("network");

/// Platform services (Store add-ons, jobs, metric settings, ...) by
/// `{kind}/{subscription}/...` (see `platform.rs`).
pub(crate) const PLATFORM: Def = TableDefinition::new("platform");

const ALL: [Def; 11] = [
    RESOURCES,
    PLATFORM,
    NETWORK,
    NETWORK_CONFIG,
    GATEWAYS,
    GATEWAY_OPERATIONS,
    GATEWAY_RESOURCES,
    SUBSCRIPTIONS,
    OPERATION_LOG,
    OPERATION_IDS,
    META,
];

/// Milliseconds since the Unix epoch.
pub(crate) type Millis = i64;

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct SubscriptionRec {
    pub id: String,
    pub name: String,
    pub created_ms: Millis,
}

/// Why an asynchronous operation failed.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub(crate) struct Failure {
    pub status: u16,
    pub code: String,
    pub message: String,
}

/// A create or delete that completes at `until_ms`.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct Pending {
    pub until_ms: Millis,
    pub kind: PendingKind,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) enum PendingKind {
    /// Being created; with a failure, the record vanishes when it completes.
    Create { fail: Option<Failure> },
    /// Being deleted; the record vanishes when it completes.
    Delete,
}

/// What a record with a [`Pending`] change looks like at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Life {
    Creating,
    Created,
    Deleting,
    Gone,
}

pub(crate) fn life(pending: &Option<Pending>, now: Millis) -> Life {
    match pending {
        None => Life::Created,
        Some(p) => match (&p.kind, now < p.until_ms) {
            (PendingKind::Create { .. }, true) => Life::Creating,
            (PendingKind::Create { fail: None }, false) => Life::Created,
            (PendingKind::Create { fail: Some(_) }, false) => Life::Gone,
            (PendingKind::Delete, true) => Life::Deleting,
            (PendingKind::Delete, false) => Life::Gone,
        },
    }
}

/// Whether a resource with this pending state is still there (not yet gone).
pub(crate) fn exists(pending: &Option<Pending>, now: Millis) -> bool {
    life(pending, now) != Life::Gone
}

/// A cloud service as the hand-written parts see it (a view of the engine's
/// record: `hooks::hs_view`).
#[derive(Clone, Debug)]
pub(crate) struct HostedServiceRec {
    pub subscription: String,
    pub name: String,
    pub label: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub affinity_group: Option<String>,
    pub extended_properties: Vec<(String, String)>,
    pub reverse_dns_fqdn: Option<String>,
    pub created_ms: Millis,
    pub modified_ms: Millis,
    pub pending: Option<Pending>,
}

/// A storage account as the hand-written parts see it (a view of the
/// engine's record: `hooks::sa_view`).
#[derive(Clone, Debug)]
pub(crate) struct StorageAccountRec {
    pub subscription: String,
    pub name: String,
    pub label: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub affinity_group: Option<String>,
    /// The location of the account (its own, or its affinity group's).
    pub region: String,
    pub extended_properties: Vec<(String, String)>,
    pub custom_domains: Vec<(String, Option<bool>)>,
    /// Wire text, e.g. `Standard_GRS`.
    pub account_type: String,
    pub primary_key: String,
    pub secondary_key: String,
    pub created_ms: Millis,
    pub pending: Option<Pending>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub(crate) struct OperationRec {
    pub seq: u64,
    pub subscription: String,
    /// The request id (32 hex digits).
    pub id: String,
    pub object_id: String,
    pub name: Option<String>,
    pub parameters: Vec<(String, String)>,
    pub thumbprint: Option<String>,
    pub client_ip: Option<String>,
    pub started_ms: Millis,
    pub completed_ms: Millis,
    /// Final HTTP status (for an asynchronous operation, the status it ends with).
    pub http_status: u16,
    pub error: Option<Failure>,
    /// Asynchronous operations: in progress until then.
    pub until_ms: Option<Millis>,
}

/// The database.
pub(crate) struct Store {
    pub db: Database,
    /// Whether commits wait for the disk; without it there is no fsync to
    /// share, and a write commits durably on its own.
    sync: bool,
    flush: GroupCommit,
}

/// Group commit: a request's transaction is committed on its own (atomic
/// and visible at once, not yet on disk), and the request is answered when
/// a durable commit made after it has finished. One fsync then covers every
/// request that committed while the previous one was running, instead of
/// one fsync each.
///
/// A write is visible to readers from its own commit, up to one fsync
/// before it is on disk. If the durable commit fails (a full disk, an I/O
/// error), the requests waiting for it are answered with an error although
/// their changes stay visible, and may reach the disk with a later flush:
/// a committed redb transaction cannot be taken back.
#[derive(Default)]
struct GroupCommit {
    state: std::sync::Mutex<FlushState>,
    done: std::sync::Condvar,
}

#[derive(Default)]
struct FlushState {
    /// Commits counted so far (each one's ticket).
    committed: u64,
    /// Every commit up to this ticket is on disk.
    durable: u64,
    /// A durable commit is under way.
    flushing: bool,
    /// Durable commits made for groups (for tests and diagnostics).
    flushes: u64,
}

impl GroupCommit {
    /// The state (a panic elsewhere while it was held does not matter: every
    /// change to it is a single assignment).
    fn lock(&self) -> std::sync::MutexGuard<'_, FlushState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store {
    /// Opens (or creates) the database at `path`. With `sync` off, commits
    /// write to the file without waiting for the disk (no fsync).
    pub fn open(path: &Path, sync: bool) -> Result<Self, Error> {
        let db = if sync {
            Database::create(path).map_err(|e| Error::Store(e.to_string()))?
        } else {
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)
                .map_err(|e| Error::io(path, e))?;
            let backend = FileBackend::new(file).map_err(|e| Error::Store(e.to_string()))?;
            Database::builder()
                .create_with_backend(NoSync(backend))
                .map_err(|e| Error::Store(e.to_string()))?
        };
        let tx = db.begin_write().map_err(|e| Error::Store(e.to_string()))?;
        for def in ALL {
            tx.open_table(def)
                .map_err(|e| Error::Store(e.to_string()))?;
        }
        tx.commit().map_err(|e| Error::Store(e.to_string()))?;
        Ok(Self {
            db,
            sync,
            flush: GroupCommit::default(),
        })
    }

    /// A write transaction that is durable once committed.
    pub fn write(&self) -> Result<WriteTransaction, StoreError> {
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Immediate);
        Ok(tx)
    }

    /// A write transaction for [`Store::commit_durably`] (without sync, one
    /// that commits durably on its own).
    pub fn write_grouped(&self) -> Result<WriteTransaction, StoreError> {
        if !self.sync {
            return self.write();
        }
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::None);
        Ok(tx)
    }

    /// Commits `tx` (from [`Store::write_grouped`]) and returns once it is
    /// on disk: after a durable commit that began after it, made by this
    /// thread or by another request's (group commit). Without sync, once it
    /// is committed.
    pub fn commit_durably(&self, tx: WriteTransaction) -> Result<(), StoreError> {
        tx.commit()?;
        if !self.sync {
            // Committed durably already (no fsync to wait for).
            return Ok(());
        }
        let ticket = {
            let mut state = self.flush.lock();
            state.committed += 1;
            state.committed
        };
        self.wait_durable(ticket)
    }

    fn wait_durable(&self, ticket: u64) -> Result<(), StoreError> {
        let mut state = self.flush.lock();
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.flushing {
                state = self
                    .flush
                    .done
                    .wait(state)
                    .unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // Lead a durable commit. An empty transaction committed
            // durably makes the non-durable commits before it durable too
            // (redb's `Durability::None`).
            state.flushing = true;
            drop(state);
            // Ends the flush however it ends, a panic included, so that the
            // others do not wait for it forever.
            let mut leading = Leading {
                flush: &self.flush,
                covered: None,
            };
            let flushed = self
                .db
                .begin_write()
                .map_err(StoreError::from)
                .and_then(|mut tx| {
                    // Counted with redb's write lock held: every commit
                    // counted by now has finished, so this one covers it,
                    // including those made while this thread waited for the
                    // lock. (A commit counted later waits for the next.)
                    let target = self.flush.lock().committed;
                    tx.set_durability(Durability::Immediate);
                    tx.commit().map_err(StoreError::from).map(|()| target)
                });
            leading.covered = flushed.as_ref().ok().copied();
            drop(leading);
            state = self.flush.lock();
            // On failure, this request fails; the others waiting lead a
            // flush of their own and fail or succeed with it.
            flushed?;
        }
    }
}

/// redb's file backend without the fsync: for state that is thrown away
/// with the emulator ([`crate::Config::sync_writes`] off).
#[derive(Debug)]
struct NoSync(FileBackend);

impl StorageBackend for NoSync {
    fn len(&self) -> std::io::Result<u64> {
        self.0.len()
    }

    fn read(&self, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
        self.0.read(offset, len)
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.0.set_len(len)
    }

    fn sync_data(&self, _eventual: bool) -> std::io::Result<()> {
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.0.write(offset, data)
    }
}

/// The flush under way, ended (and its waiters woken) when dropped: the
/// commits it made durable are counted if it succeeded (`covered`).
struct Leading<'a> {
    flush: &'a GroupCommit,
    /// Set once the durable commit has succeeded: the commits counted
    /// before it.
    covered: Option<u64>,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let mut state = self.flush.lock();
        if let Some(covered) = self.covered {
            state.durable = state.durable.max(covered);
            state.flushes += 1;
        }
        state.flushing = false;
        self.flush.done.notify_all();
    }
}

/// Every record of every table, as JSON: `{"table": {"key": record}}`.
pub(crate) fn dump(db: &Database) -> Result<serde_json::Value, StoreError> {
    let tx = db.begin_read()?;
    let mut out = serde_json::Map::new();
    for def in ALL {
        let table = tx.open_table(def)?;
        let mut records = serde_json::Map::new();
        for item in table.iter()? {
            let (k, v) = item?;
            records.insert(k.value().to_owned(), serde_json::from_slice(v.value())?);
        }
        out.insert(def.name().to_owned(), serde_json::Value::Object(records));
    }
    Ok(serde_json::Value::Object(out))
}

/// Writes the records of a [`dump`] (or a hand-written seed of the same
/// form) into the database, replacing records with the same keys.
pub(crate) fn load(db: &Database, seed: &serde_json::Value) -> Result<(), StoreError> {
    let obj = seed
        .as_object()
        .ok_or_else(|| StoreError("the seed must be a JSON object of tables".into()))?;
    let mut tx = db.begin_write()?;
    tx.set_durability(Durability::Immediate);
    for (name, records) in obj {
        let def = ALL
            .into_iter()
            .find(|d| d.name() == name)
            .ok_or_else(|| StoreError(format!("the seed names an unknown table {name:?}")))?;
        let records = records
            .as_object()
            .ok_or_else(|| StoreError(format!("table {name:?} must be an object of records")))?;
        let mut table = tx.open_table(def)?;
        for (key, value) in records {
            let bytes = serde_json::to_vec(value)?;
            table.insert(key.as_str(), bytes.as_slice())?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// A database failure while serving a request.
#[derive(Debug, thiserror::Error)]
#[error("database error: {0}")]
pub(crate) struct StoreError(pub String);

macro_rules! store_error_from {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError(e.to_string())
            }
        }
    )*};
}
store_error_from!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError,
    serde_json::Error
);

pub(crate) fn get<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<T>, StoreError> {
    match table.get(key)? {
        Some(v) => Ok(Some(serde_json::from_slice(v.value())?)),
        None => Ok(None),
    }
}

/// Every record whose key starts with `prefix`, in key order.
pub(crate) fn scan<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    prefix: &str,
) -> Result<Vec<(String, T)>, StoreError> {
    let mut out = Vec::new();
    for item in table.range::<&str>(prefix..)? {
        let (k, v) = item?;
        let key = k.value();
        if !key.starts_with(prefix) {
            break;
        }
        out.push((key.to_owned(), serde_json::from_slice(v.value())?));
    }
    Ok(out)
}

/// [`scan`] without the keys.
pub(crate) fn scan_values<T: DeserializeOwned>(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    prefix: &str,
) -> Result<Vec<T>, StoreError> {
    Ok(scan(table, prefix)?.into_iter().map(|(_, v)| v).collect())
}

/// A key under `prefix` (which ends with `/`) for a record of a history
/// listed in key order: `{prefix}{t:016}`, where `t` is `now` in
/// milliseconds, or one more than the time of the last key under `prefix`
/// when that is not earlier. So records made within one millisecond (or
/// while the clock steps back) still list in the order they were made;
/// the caller appends what makes the key unique (`-{id}`).
pub(crate) fn history_key(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    prefix: &str,
    now: Millis,
) -> Result<String, StoreError> {
    // Every key under `prefix` sorts before `prefix` with its final `/`
    // raised to `0`, the next character.
    let end = format!("{}0", prefix.strip_suffix('/').unwrap_or(prefix));
    let last = match table.range::<&str>(prefix..end.as_str())?.next_back() {
        Some(item) => {
            let (key, _) = item?;
            key.value()
                .get(prefix.len()..prefix.len() + 16)
                .and_then(|t| t.parse::<Millis>().ok())
        }
        None => None,
    };
    let t = last.map_or(now, |last| now.max(last + 1));
    Ok(format!("{prefix}{t:016}"))
}

pub(crate) fn put<T: Serialize>(
    table: &mut redb::Table<'_, &'static str, &'static [u8]>,
    key: &str,
    value: &T,
) -> Result<(), StoreError> {
    let bytes = serde_json::to_vec(value)?;
    table.insert(key, bytes.as_slice())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_one(store: &Store, key: &str) -> Result<(), StoreError> {
        let tx = store.write_grouped()?;
        {
            let mut meta = tx.open_table(META)?;
            put(&mut meta, key, &key)?;
        }
        store.commit_durably(tx)
    }

    /// The database at `path`, opened again, has each of `keys` (written by
    /// [`write_one`]).
    fn assert_reopened_holds(path: &Path, sync: bool, keys: &[&str]) {
        let store = Store::open(path, sync).unwrap();
        let tx = store.db.begin_read().unwrap();
        let meta = tx.open_table(META).unwrap();
        for &key in keys {
            assert_eq!(get::<String>(&meta, key).unwrap().as_deref(), Some(key));
        }
    }

    /// Records made in the same millisecond list in the order they were
    /// made, after any already there, whatever their ids.
    #[test]
    fn history_keys_keep_the_order_records_were_made_in() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb"), false).unwrap();
        let tx = store.db.begin_write().unwrap();
        {
            let mut table = tx.open_table(PLATFORM).unwrap();
            // Beside the history: keys of other prefixes, before and after.
            put(&mut table, "Log/a", &"other").unwrap();
            put(&mut table, "Log/b0", &"other").unwrap();
            // Ids that sort against the order of making.
            for (i, id) in ["f", "e", "d", "c", "b", "a"].iter().enumerate() {
                let now = if i < 4 { 1_000 } else { 999 };
                let key = history_key(&table, "Log/b/", now).unwrap();
                put(&mut table, &format!("{key}-{id}"), &i).unwrap();
            }
            let later = history_key(&table, "Log/b/", 5_000).unwrap();
            assert_eq!(later, "Log/b/0000000000005000");
            put(&mut table, &format!("{later}-z"), &6).unwrap();
            let order: Vec<usize> = scan_values(&table, "Log/b/").unwrap();
            assert_eq!(order, [0, 1, 2, 3, 4, 5, 6]);
            let keys: Vec<String> = scan::<usize>(&table, "Log/b/")
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            assert_eq!(keys[0], "Log/b/0000000000001000-f");
            assert_eq!(keys[5], "Log/b/0000000000001005-a");
            assert_eq!(
                history_key(&table, "Log/c/", 7).unwrap(),
                "Log/c/0000000000000007"
            );
        }
        tx.commit().unwrap();
    }

    /// Requests that commit while a durable commit is under way are made
    /// durable together by the next one: one flush for the group.
    #[test]
    fn commits_made_during_a_flush_share_the_next_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let store = Store::open(&path, true).unwrap();
        // Stand in for a leader whose flush is running.
        store.flush.state.lock().unwrap().flushing = true;
        std::thread::scope(|scope| {
            let writers: Vec<_> = (0..8)
                .map(|i| {
                    let store = &store;
                    scope.spawn(move || write_one(store, &format!("k{i}")))
                })
                .collect();
            // All eight have committed (not yet durably) and wait.
            while store.flush.state.lock().unwrap().committed < 8 {
                std::thread::yield_now();
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            assert!(writers.iter().all(|w| !w.is_finished()));
            // The stand-in leader finishes without covering them.
            store.flush.state.lock().unwrap().flushing = false;
            store.flush.done.notify_all();
            for w in writers {
                w.join().unwrap().unwrap();
            }
        });
        let state = store.flush.state.lock().unwrap();
        assert_eq!((state.committed, state.durable), (8, 8));
        assert_eq!(state.flushes, 1, "one durable commit for the group");
        drop(state);
        // A write with nothing else around makes its own flush.
        write_one(&store, "alone").unwrap();
        assert_eq!(store.flush.state.lock().unwrap().flushes, 2);
        // And everything is there after reopening.
        drop(store);
        assert_reopened_holds(&path, true, &["k0", "k7", "alone"]);
    }

    /// A flush that panics still ends: the requests waiting for it lead
    /// one of their own instead of waiting forever.
    #[test]
    fn a_flush_that_panics_does_not_leave_the_others_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("state.redb"), true).unwrap();
        store.flush.state.lock().unwrap().flushing = true;
        let (sent, done) = std::sync::mpsc::channel();
        std::thread::scope(|scope| {
            let store = &store;
            scope.spawn(move || sent.send(write_one(store, "waits")).unwrap());
            while store.flush.state.lock().unwrap().committed < 1 {
                std::thread::yield_now();
            }
            // The flush under way panics.
            let leader = scope.spawn(|| {
                let _leading = Leading {
                    flush: &store.flush,
                    covered: None,
                };
                panic!("the flush failed");
            });
            assert!(leader.join().is_err());
            let result = done.recv_timeout(std::time::Duration::from_secs(10));
            if result.is_err() {
                // Let it go, so that the scope ends and the test fails.
                store.flush.state.lock().unwrap().flushing = false;
                store.flush.done.notify_all();
            }
            result.expect("the waiting write was left waiting").unwrap();
        });
        let state = store.flush.state.lock().unwrap();
        assert_eq!(
            (state.durable, state.flushes, state.flushing),
            (1, 1, false)
        );
    }

    /// Without fsync the writes still reach the file: they are there when
    /// it is opened again (an ephemeral emulator restarted on its config).
    #[test]
    fn writes_without_sync_are_in_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.redb");
        let store = Store::open(&path, false).unwrap();
        for key in ["a", "b", "c"] {
            write_one(&store, key).unwrap();
        }
        drop(store);
        assert_reopened_holds(&path, false, &["a", "b", "c"]);
    }
}

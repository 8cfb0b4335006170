//! Real documents: the largest recorded response body of each response type
//! in the conformance corpus (`../shared/conformance`, or
//! `ASM_CONFORMANCE_DIR`), decoded with the generated decoder of the
//! operation the recording routes to — beside the same raw scan and the
//! Python peer as the synthetic documents.
//!
//! Only bodies of at least [`MIN_BYTES`] count: below that a decode is a few
//! microseconds and the ratio measures fixed costs, not decoding.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use asm_runtime::routing;
use azure_asm::server::{self, ROUTES};
use serde::Deserialize;

/// Smallest body taken as a benchmark document.
pub const MIN_BYTES: usize = 8 * 1024;

/// One real document.
#[derive(Debug, Clone)]
pub struct RealDoc {
    /// `Root (Operation)`.
    pub name: String,
    /// `file#index` in the corpus.
    pub source: String,
    pub operation: &'static str,
    /// The body's root element (the peer's model class of the same name).
    pub root: String,
    pub bytes: Vec<u8>,
}

impl RealDoc {
    /// A response body of `operation` (its spec name) read from `file`
    /// (`--count-decode OPERATION=FILE`); `None` for a name the spec does
    /// not have.
    pub fn from_file(operation: &str, file: &str, bytes: Vec<u8>) -> Option<Self> {
        let operation = azure_asm::OPERATIONS
            .iter()
            .find(|o| o.name == operation)?
            .name;
        Some(Self {
            name: format!("{file} ({operation})"),
            source: file.to_owned(),
            operation,
            root: String::new(),
            bytes,
        })
    }
}

#[derive(Deserialize)]
struct Recording {
    interactions: Vec<Interaction>,
}

#[derive(Deserialize)]
struct Interaction {
    #[serde(default)]
    response_body: Option<String>,
}

/// The corpus directory.
pub fn corpus_dir(root: &Path) -> PathBuf {
    std::env::var_os("ASM_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared/conformance"))
}

/// One 2xx row of `INDEX.tsv` whose request routes to an operation of the
/// spec.
struct Row {
    file: String,
    idx: usize,
    spec: &'static asm_runtime::OperationSpec,
    root_el: String,
    size: usize,
}

/// The successful, routed rows of the corpus index.
fn routed_rows(dir: &Path) -> Result<Vec<Row>, String> {
    let index_path = dir.join("INDEX.tsv");
    let index = std::fs::read_to_string(&index_path)
        .map_err(|e| format!("{}: {e}", index_path.display()))?;
    let mut rows = Vec::new();
    for line in index.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let [file, idx, method, path, query, status, root_el, size] = f[..] else {
            continue;
        };
        let (Ok(status), Ok(size), Ok(idx)) = (
            status.parse::<u16>(),
            size.parse::<usize>(),
            idx.parse::<usize>(),
        ) else {
            continue;
        };
        if !(200..300).contains(&status) {
            continue;
        }
        let Ok((route, _, _)) = routing::find(ROUTES, method, path, query, None) else {
            continue;
        };
        rows.push(Row {
            file: file.to_owned(),
            idx,
            spec: ROUTES[route].spec,
            root_el: root_el.to_owned(),
            size,
        });
    }
    Ok(rows)
}

/// The recorded response body of interaction `idx` of `file`.
fn load_body(dir: &Path, file: &str, idx: usize) -> Result<Option<String>, String> {
    let path = dir.join(format!("{file}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let rec: Recording =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(rec
        .interactions
        .into_iter()
        .nth(idx)
        .and_then(|i| i.response_body))
}

/// The largest body of each response root whose operation is in the spec and
/// decodes, largest first.
pub fn real_docs(root: &Path) -> Result<Vec<RealDoc>, String> {
    real_docs_of(root, MIN_BYTES)
}

/// [`real_docs`] of at least `min_bytes` bytes.
pub fn real_docs_of(root: &Path, min_bytes: usize) -> Result<Vec<RealDoc>, String> {
    let dir = corpus_dir(root);
    // root element -> the largest row
    let mut best: BTreeMap<String, Row> = BTreeMap::new();
    for row in routed_rows(&dir)? {
        if row.size < min_bytes || row.root_el.starts_with(['-', '(']) {
            continue;
        }
        if best.get(&row.root_el).is_none_or(|b| b.size < row.size) {
            best.insert(row.root_el.clone(), row);
        }
    }
    let mut docs = Vec::new();
    for (
        root_el,
        Row {
            file, idx, spec, ..
        },
    ) in best
    {
        let operation = spec.name;
        let Some(body) = load_body(&dir, &file, idx)? else {
            continue;
        };
        let bytes = body.into_bytes();
        // Only documents the generated code decodes (the conformance test
        // holds every one of them to that).
        match server::decode_response(operation, &bytes) {
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("{file}#{idx} ({operation}): {e}")),
            None => continue,
        }
        docs.push(RealDoc {
            name: format!("{root_el} ({operation})"),
            source: format!("{file}#{idx}"),
            operation,
            root: root_el,
            bytes,
        });
    }
    docs.sort_by_key(|d| std::cmp::Reverse(d.bytes.len()));
    Ok(docs)
}

/// The smallest recorded 2xx body of each operation in the spec whose
/// response decodes (fuzz seeds: `(operation, body)`), at most `max` bytes.
pub fn smallest_per_operation(
    root: &Path,
    max: usize,
) -> Result<Vec<(&'static str, Vec<u8>)>, String> {
    let dir = corpus_dir(root);
    let mut best: BTreeMap<&'static str, Row> = BTreeMap::new();
    for row in routed_rows(&dir)? {
        // Only operations the fuzz target decodes (not raw bytes).
        if row.size == 0
            || row.size > max
            || row.root_el == "-"
            || !matches!(row.spec.response_format, Some(f) if f != "bytes")
        {
            continue;
        }
        if best.get(row.spec.name).is_none_or(|b| b.size > row.size) {
            best.insert(row.spec.name, row);
        }
    }
    let mut out = Vec::new();
    for (operation, row) in best {
        let Some(body) = load_body(&dir, &row.file, row.idx)? else {
            continue;
        };
        if matches!(
            server::roundtrip_response(operation, body.as_bytes()),
            Some(Ok(()))
        ) {
            out.push((operation, body.into_bytes()));
        }
    }
    Ok(out)
}

//! Part 6: synthetic 440-operation build cost.
//!
//! The spec covers only part of the API today; this measures what a crate of
//! the whole API would cost to build. A synthetic spec of every operation in
//! `shared/reference/operations.tsv` is derived from the wire shapes of
//! `shared/reference/shapes/<area>.json` (request and response trees →
//! structs, lists, scalars), written in the current spec language, loaded
//! with `asm_codegen::load` and generated with `asm_codegen::generate` into a
//! scratch crate under `target/bench/synthetic/` (its own Cargo workspace,
//! not a member of this one, with a copy of this workspace's `Cargo.lock`).
//! Its dependencies are built once into `target/bench/synthetic-target`;
//! then the crate alone is built cold (`cargo build --release -p …` after
//! `cargo clean --release -p …`) under `/usr/bin/time -v` for the wall time
//! and the peak resident memory. The crate generated from today's `spec/`
//! is built the same way for comparison.
//!
//! Environment: `ASM_SYNTHETIC_LIMIT=N` takes only the first N operations
//! (for quick checks), `ASM_SKIP_SYNTHETIC=1` skips the part like
//! `--skip-synthetic`, `ASM_SHARED_DIR` overrides `<root>/../shared`,
//! `ASM_SYNTHETIC_NICE` sets the builds' niceness (default 10; 0 = no `nice`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::Serialize;
use serde_json::Value;

use crate::Opts;

/// The marker docs/BENCHMARKS.md keeps the last measured figures under.
pub const MARKER: &str = "<!-- synthetic-build:";

/// Build figures of one scratch crate (the crate alone; its dependencies
/// were built before).
#[derive(Debug, Clone, Serialize)]
pub struct CrateBuild {
    pub crate_name: String,
    pub operations: usize,
    pub seconds: f64,
    pub s_per_op: f64,
    /// Peak resident set of any process of the build (rustc), MB = 10^6 bytes.
    pub peak_mb: Option<f64>,
    /// CPU time of the build (user + system), from `time -v`.
    pub cpu_seconds: Option<f64>,
    /// 1-minute load average just before the build (other work on the machine).
    pub load_before: Option<f64>,
}

/// What the derivation did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeriveStats {
    pub areas: usize,
    pub operations: usize,
    pub request_bodies: usize,
    pub response_bodies: usize,
    /// Operations whose request or response is a scalar root, raw text or
    /// has no shape (no body in the synthetic spec).
    pub bodies_without_tree: usize,
    /// GET requests with a body tree (dropped: a GET has no body).
    pub get_bodies_dropped: usize,
    /// `query synthetic = N` added to tell apart operations that collide.
    pub disambiguated: usize,
    /// Struct types reused by name and identical fields.
    pub structs_shared: usize,
    pub paged: usize,
    pub spec_lines: usize,
}

/// Part 6 figures.
#[derive(Debug, Clone, Serialize)]
pub struct SyntheticReport {
    /// Operations of the synthetic spec.
    pub operations: usize,
    /// `ASM_SYNTHETIC_LIMIT`, if it cut the operation list.
    pub limit: Option<usize>,
    pub structs: usize,
    pub enums: usize,
    pub derive: DeriveStats,
    /// `asm_codegen::load` + `generate` of the synthetic spec.
    pub codegen_seconds: f64,
    pub generated_lines: usize,
    pub generated_files: usize,
    pub lines_per_operation: f64,
    /// Time to bring the dependencies up to date (minutes the first time,
    /// about a second afterwards).
    pub deps_seconds: Option<f64>,
    /// The synthetic crate's cold build.
    pub synthetic: Option<CrateBuild>,
    /// The crate of today's `spec/`, built the same way.
    pub current: Option<CrateBuild>,
    /// "measured in this run", "last measured …", or why not.
    pub note: String,
    pub date: Option<String>,
}

impl SyntheticReport {
    fn empty(note: String) -> Self {
        Self {
            operations: 0,
            limit: None,
            structs: 0,
            enums: 0,
            derive: DeriveStats::default(),
            codegen_seconds: 0.0,
            generated_lines: 0,
            generated_files: 0,
            lines_per_operation: 0.0,
            deps_seconds: None,
            synthetic: None,
            current: None,
            note,
            date: None,
        }
    }
}

/// `<root>/../shared` (or `ASM_SHARED_DIR`).
pub fn shared_dir(root: &Path) -> PathBuf {
    std::env::var_os("ASM_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("../shared"))
}

fn limit_from_env() -> Option<usize> {
    std::env::var("ASM_SYNTHETIC_LIMIT")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .filter(|&n| n > 0)
}

/// Runs part 6 (`skip`: report the last figures docs/BENCHMARKS.md holds).
pub fn run(opts: &Opts, skip: bool) -> SyntheticReport {
    if skip {
        return last_measured(&opts.root.join("docs/BENCHMARKS.md")).unwrap_or_else(|| {
            SyntheticReport::empty("skipped (--skip-synthetic or ASM_SKIP_SYNTHETIC)".into())
        });
    }
    match measure(opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("synthetic: {e}");
            SyntheticReport::empty(format!("failed: {e}"))
        }
    }
}

fn measure(opts: &Opts) -> Result<SyntheticReport, String> {
    let limit = limit_from_env();
    let shared = shared_dir(&opts.root);
    let derived = derive(&shared.join("reference"), limit)?;
    let dir = opts.out_dir().join("synthetic");
    let spec_dir = dir.join("spec");
    write_spec(&spec_dir, &derived.files)?;
    eprintln!(
        "synthetic: {} operations in {} areas, {} spec lines → {}",
        derived.stats.operations,
        derived.stats.areas,
        derived.stats.spec_lines,
        spec_dir.display()
    );

    let t = Instant::now();
    let spec = asm_codegen::load(&spec_dir).map_err(|errors| {
        let shown: Vec<String> = errors.iter().take(20).map(|e| e.to_string()).collect();
        format!(
            "the synthetic spec does not load ({} errors): {}",
            errors.len(),
            shown.join("; ")
        )
    })?;
    let files = asm_codegen::generate(&spec).map_err(|e| format!("codegen: {e}"))?;
    let codegen_seconds = t.elapsed().as_secs_f64();
    let (generated_files, generated_lines) = count_rs(&files);
    eprintln!(
        "synthetic: codegen {codegen_seconds:.2} s: {} operations, {} structs, {} enums, {generated_lines} lines in {generated_files} files",
        spec.operations.len(),
        spec.structs.len(),
        spec.enums.len(),
    );

    // The scratch workspace: the synthetic crate, and the crate of today's spec.
    let root_toml = std::fs::read_to_string(opts.root.join("Cargo.toml"))
        .map_err(|e| format!("Cargo.toml: {e}"))?;
    let mut members = vec![(SYNTH_CRATE, spec.operations.len(), files)];
    match asm_codegen::load(&opts.root.join("spec")) {
        Ok(current) => match asm_codegen::generate(&current) {
            Ok(f) => members.push((CURRENT_CRATE, current.operations.len(), f)),
            Err(e) => eprintln!("synthetic: today's spec does not generate: {e}"),
        },
        Err(errors) => eprintln!(
            "synthetic: today's spec does not load ({} errors); its crate is not measured",
            errors.len()
        ),
    }
    let member_files: Vec<(&str, &[asm_codegen::emit::File])> =
        members.iter().map(|(n, _, f)| (*n, f.as_slice())).collect();
    write_workspace(&dir, &opts.root, &root_toml, &member_files)?;

    let target = opts.out_dir().join("synthetic-target");
    let builder = Builder::new(&dir, &target);
    eprintln!(
        "synthetic: building the dependencies (release) in {}",
        target.display()
    );
    let t = Instant::now();
    builder.cargo(&[
        "build",
        "--release",
        "-p",
        "asm-runtime",
        "-p",
        "futures-core",
    ])?;
    let deps_seconds = t.elapsed().as_secs_f64();
    eprintln!("synthetic: dependencies ready in {deps_seconds:.1} s");

    let mut current = None;
    let mut synthetic = None;
    // Today's crate first: it is small, and a failure there is cheap to see.
    for (name, ops, _) in members.iter().rev() {
        eprintln!("synthetic: cold release build of {name} ({ops} operations)");
        let b = builder.cold_build(name, *ops)?;
        eprintln!(
            "synthetic: {name}: {:.1} s, {:.3} s/op, peak {}",
            b.seconds,
            b.s_per_op,
            b.peak_mb
                .map_or_else(|| "n/a".into(), |m| format!("{m:.0} MB"))
        );
        if *name == SYNTH_CRATE {
            synthetic = Some(b);
        } else {
            current = Some(b);
        }
    }
    Ok(SyntheticReport {
        operations: spec.operations.len(),
        limit,
        structs: spec.structs.len(),
        enums: spec.enums.len(),
        derive: derived.stats,
        codegen_seconds,
        generated_lines,
        generated_files,
        lines_per_operation: generated_lines as f64 / spec.operations.len().max(1) as f64,
        deps_seconds: Some(deps_seconds),
        synthetic,
        current,
        note: match limit {
            Some(n) => format!("measured in this run (first {n} operations: ASM_SYNTHETIC_LIMIT)"),
            None => "measured in this run".into(),
        },
        date: Some(crate::report::today()),
    })
}

const SYNTH_CRATE: &str = "azure-asm-synthetic";
const CURRENT_CRATE: &str = "azure-asm-current";

fn count_rs(files: &[asm_codegen::emit::File]) -> (usize, usize) {
    files
        .iter()
        .filter(|(p, _)| p.ends_with(".rs"))
        .fold((0, 0), |(n, l), (_, t)| (n + 1, l + t.lines().count()))
}

// ------------------------------------------------------------ derivation

/// The synthetic spec: `(file name, text)` per area, and what was done.
pub struct Derived {
    pub files: Vec<(String, String)>,
    pub stats: DeriveStats,
}

/// One row of operations.tsv.
struct Row {
    area: String,
    operation: String,
    method: String,
    uri: String,
    query: String,
    request_root: String,
    response_root: String,
    status: String,
    is_async: bool,
    version: String,
}

fn read_rows(path: &Path) -> Result<Vec<Row>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("{}: no `{name}` column", path.display()))
    };
    let idx = [
        col("area")?,
        col("operation")?,
        col("method")?,
        col("uri_template")?,
        col("query")?,
        col("request_root")?,
        col("response_root")?,
        col("success_status")?,
        col("async")?,
        col("x_ms_version")?,
    ];
    let mut rows = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| {
            cells
                .get(idx[i])
                .map_or(String::new(), |s| s.trim().to_owned())
        };
        rows.push(Row {
            area: get(0),
            operation: get(1),
            method: get(2),
            uri: get(3),
            query: get(4),
            request_root: get(5),
            response_root: get(6),
            status: get(7),
            is_async: get(8) == "yes",
            version: get(9),
        });
    }
    Ok(rows)
}

/// Names the generated crate defines or imports where spec types live
/// (a struct of one of these names would be shadowed or clash).
const RESERVED_TYPES: &[&str] = &[
    "Self",
    "Client",
    "Error",
    "ServerRequest",
    "RouteError",
    "Route",
    "Seg",
    "Request",
    "DateTime",
    "Child",
    "XmlReader",
    "XmlText",
    "XmlWriter",
    "FromXml",
    "ToXml",
    "AsyncOperation",
    "DecodeError",
    "OperationSpec",
    "ValidationError",
    "Validate",
    "Redacted",
    "Stream",
    "ClientBuilder",
    "Core",
    "Credentials",
    "OperationState",
    "PollOptions",
    "Progress",
    "PublishSettings",
    "RetryPolicy",
    "ServiceError",
    "Page",
    "Option",
    "Result",
    "String",
    "Vec",
    "Box",
    "Some",
    "None",
    "Ok",
    "Err",
    "Default",
    "Clone",
    "Debug",
    "PartialEq",
    "Eq",
    "From",
    "Into",
    "Send",
    "Sync",
    "Sized",
    "Copy",
    "Fn",
    "Iterator",
    "ToString",
    "ToOwned",
    "Drop",
    "AsRef",
    "Cow",
    "Future",
    "Unpin",
    "ReadmeDoctests",
];

/// Rust names the generated methods and router use for their own locals.
const RESERVED_PARAMS: &[&str] = &[
    "body", "options", "client", "req", "v", "params", "q", "index", "self_", "path", "method",
    "query",
];

/// `[A-Za-z_][A-Za-z0-9_.-]*`, as the spec parser wants element names.
fn wire_name(s: &str) -> String {
    let mut out: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        out.insert(0, 'E');
    }
    if !out.chars().any(|c| c.is_ascii_alphanumeric()) {
        out.push('E');
    }
    out
}

/// An UpperCamelCase type name from an element name.
fn type_name(s: &str) -> String {
    let mut out = String::new();
    for part in s.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.is_empty() {
        out.push_str("Item");
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'T');
    }
    out
}

fn is_ident(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The newest `YYYY-MM-DD` in an `x_ms_version` cell (`node=…;py=…`).
fn version(cell: &str) -> String {
    let b = cell.as_bytes();
    let mut best: Option<&str> = None;
    for i in 0..b.len().saturating_sub(9) {
        let w = &b[i..i + 10];
        let ok = w.iter().enumerate().all(|(j, c)| {
            if j == 4 || j == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
        if ok {
            let s = &cell[i..i + 10];
            if best.is_none_or(|b| s > b) {
                best = Some(s);
            }
        }
    }
    best.unwrap_or("2014-10-01").to_owned()
}

fn statuses(cell: &str) -> Vec<u16> {
    let mut out: Vec<u16> = cell
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|c| (100..600).contains(c))
        .collect();
    out.dedup();
    if out.is_empty() {
        out.push(200);
    }
    out
}

/// The spec scalar for a shapes `value_type`.
fn scalar(value_type: Option<&str>, element: &str) -> &'static str {
    match value_type.unwrap_or("string") {
        "int" => {
            let wide = ["Bytes", "InMB", "SizeIn", "Ticks", "InGB"]
                .iter()
                .any(|w| element.contains(w));
            if wide {
                "i64"
            } else {
                "i32"
            }
        }
        "bool" => "bool",
        "datetime" => "datetime",
        "base64" => "base64",
        v if v.starts_with("label") => "label",
        // string, float, duration, enum?, json-scalar, int|bool|enum?.
        _ => "string",
    }
}

/// The spec type of a query parameter, guessed from its name.
fn query_type(name: &str) -> &'static str {
    let l = name.to_ascii_lowercase();
    if matches!(l.as_str(), "top" | "skip" | "intervalsizeinminutes") {
        "i32"
    } else if l.starts_with("overwrite") || l.starts_with("delete") || l == "embed-detail" {
        "bool"
    } else if l.ends_with("time") || l == "startdate" {
        "datetime"
    } else {
        "string"
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Card {
    Required,
    Optional,
    Repeated,
    List { optional: bool },
}

#[derive(Clone)]
struct FieldDef {
    element: String,
    /// The spec type (`string`, `Disk`).
    ty: String,
    card: Card,
    /// Item element of a wrapped list.
    item: Option<String>,
    /// ` max=…`, ` sensitive`: text after the type.
    attrs: String,
    rust: String,
}

impl FieldDef {
    /// The field line without the `rust=` override.
    fn line(&self) -> String {
        let ty = match (&self.card, &self.item) {
            (Card::List { optional }, Some(item)) => {
                format!("[{item}: {}]{}", self.ty, if *optional { "?" } else { "" })
            }
            (Card::Optional, _) => format!("{}?", self.ty),
            (Card::Repeated, _) => format!("{}*", self.ty),
            _ => self.ty.clone(),
        };
        format!("{}: {ty}{}", self.element, self.attrs)
    }
}

struct StructDef {
    name: String,
    area: String,
    doc: String,
    fields: Vec<FieldDef>,
    /// The field lines: two structs with the same name and signature are one.
    signature: String,
}

struct Op {
    area: String,
    text: String,
}

/// Per-operation context while its trees are turned into structs.
struct OpCtx<'a> {
    op: &'a str,
    area: &'a str,
    /// Request limits by the tree's `field` path: (min, max).
    limits: &'a HashMap<String, (Option<i64>, Option<i64>)>,
}

#[derive(Default)]
struct Deriver {
    structs: Vec<StructDef>,
    by_name: HashMap<String, usize>,
    reserved: HashSet<String>,
    shared: usize,
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

impl Deriver {
    /// Registers a struct; returns its (unique) name.
    fn register(&mut self, cx: &OpCtx<'_>, preferred: &str, fields: Vec<FieldDef>) -> String {
        let signature: String = fields.iter().map(|f| f.line() + "\n").collect::<String>();
        let prefixed = if preferred.starts_with(cx.op) {
            preferred.to_owned()
        } else {
            format!("{}{preferred}", cx.op)
        };
        let mut candidates = vec![preferred.to_owned(), prefixed.clone()];
        candidates.extend((2..).take(1000).map(|n| format!("{prefixed}{n}")));
        for cand in candidates {
            if self.reserved.contains(&cand) || !is_ident(&cand) {
                continue;
            }
            match self.by_name.get(&cand) {
                Some(&i) if self.structs[i].signature == signature => {
                    self.shared += 1;
                    return cand;
                }
                Some(_) => continue,
                None => {
                    self.by_name.insert(cand.clone(), self.structs.len());
                    self.structs.push(StructDef {
                        name: cand.clone(),
                        area: cx.area.to_owned(),
                        doc: format!("`<{preferred}>` as {} reads or writes it.", cx.op),
                        fields,
                        signature,
                    });
                    return cand;
                }
            }
        }
        unreachable!("1000 candidate names taken")
    }

    /// A struct from child nodes.
    fn struct_of(&mut self, cx: &OpCtx<'_>, preferred: &str, children: &[Value]) -> String {
        let mut fields: Vec<FieldDef> = Vec::new();
        let mut elements = HashSet::new();
        let mut rusts = HashSet::new();
        for child in children {
            let Some(mut f) = self.field_of(cx, child) else {
                continue;
            };
            if !elements.insert(f.element.clone()) {
                continue; // The same element twice (merged variants): keep the first.
            }
            if !is_ident(&f.rust) || !rusts.insert(f.rust.clone()) {
                let base = if is_ident(&f.rust) {
                    f.rust.clone()
                } else {
                    "field".to_owned()
                };
                let alt = (2..)
                    .map(|n| format!("{base}_{n}"))
                    .find(|a| !rusts.contains(a))
                    .unwrap_or_default();
                rusts.insert(alt.clone());
                f.attrs.push_str(&format!(" rust={alt}"));
                f.rust = alt;
            }
            fields.push(f);
        }
        self.register(cx, preferred, fields)
    }

    /// The type of a list's item (a struct for a list of lists).
    fn item_type(&mut self, cx: &OpCtx<'_>, item: &Value, item_elem: &str) -> String {
        match str_of(item, "kind") {
            Some("struct") => {
                let children = item
                    .get("children")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                self.struct_of(cx, &type_name(item_elem), &children)
            }
            Some("list" | "dictionary") => {
                // <Item><Inner/>…</Item>: a struct holding the inner items.
                let mut inner = item.clone();
                if let Some(o) = inner.as_object_mut() {
                    o.insert("wrapper".into(), Value::Bool(false));
                }
                self.struct_of(cx, &type_name(item_elem), &[inner])
            }
            Some("text") => scalar(str_of(item, "value_type"), item_elem).to_owned(),
            _ => "string".to_owned(),
        }
    }

    fn field_of(&mut self, cx: &OpCtx<'_>, node: &Value) -> Option<FieldDef> {
        let kind = str_of(node, "kind")?;
        let optional = node
            .get("optional")
            .and_then(Value::as_bool)
            .unwrap_or(true);
        let element = wire_name(str_of(node, "element").unwrap_or("Value"));
        let single = if optional {
            Card::Optional
        } else {
            Card::Required
        };
        let mut f = FieldDef {
            rust: asm_codegen::parse::rust_field_name(&element),
            element: element.clone(),
            ty: "string".into(),
            card: single,
            item: None,
            attrs: String::new(),
        };
        match kind {
            "text" => {
                f.ty = scalar(str_of(node, "value_type"), &element).to_owned();
                if matches!(f.ty.as_str(), "string" | "label") {
                    if let Some((min, max)) = str_of(node, "field").and_then(|p| cx.limits.get(p)) {
                        if let Some(max) = max {
                            f.attrs.push_str(&format!(" max={max}"));
                        }
                        if let Some(min) = min {
                            f.attrs.push_str(&format!(" min={min}"));
                        }
                    }
                    if element.to_ascii_lowercase().ends_with("password") {
                        f.attrs.push_str(" sensitive");
                    }
                }
            }
            "empty" => f.card = Card::Optional,
            "struct" => {
                let children = node
                    .get("children")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                f.ty = self.struct_of(cx, &type_name(&element), &children);
            }
            "list" | "dictionary" => {
                let item = node.get("item").filter(|v| v.is_object())?;
                let wrapper = node.get("wrapper").and_then(Value::as_bool).unwrap_or(true);
                let item_elem = match str_of(item, "element") {
                    Some(e) => wire_name(e),
                    None if !wrapper && str_of(node, "element").is_some() => element.clone(),
                    None => "Item".to_owned(),
                };
                f.ty = self.item_type(cx, item, &item_elem);
                if wrapper {
                    f.card = Card::List { optional };
                    f.item = Some(item_elem);
                } else {
                    f.card = Card::Repeated;
                    f.rust = asm_codegen::parse::rust_field_name(&item_elem);
                    f.element = item_elem;
                }
            }
            _ => return None,
        }
        Some(f)
    }

    /// A body from a request or response tree: (root element, type).
    fn body(&mut self, cx: &OpCtx<'_>, tree: &Value, fallback: &str) -> Option<(String, String)> {
        let root = wire_name(str_of(tree, "element").unwrap_or(fallback));
        match str_of(tree, "kind")? {
            "struct" => {
                let children = tree
                    .get("children")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default();
                let ty = self.struct_of(cx, &type_name(&root), &children);
                Some((root, ty))
            }
            "list" | "dictionary" => {
                // <Wrapper><Item/>…</Wrapper>: a struct holding the items.
                let mut inner = tree.clone();
                if let Some(o) = inner.as_object_mut() {
                    o.insert("wrapper".into(), Value::Bool(false));
                    o.insert("optional".into(), Value::Bool(true));
                    if str_of(tree, "element").is_none() {
                        o.insert("element".into(), Value::String("Item".into()));
                    }
                }
                if let Some(item) = inner.get_mut("item").and_then(Value::as_object_mut) {
                    if item.get("element").is_none_or(Value::is_null) {
                        item.insert("element".into(), Value::String("Item".into()));
                    }
                }
                let ty = self.struct_of(cx, &type_name(&root), &[inner]);
                Some((root, ty))
            }
            _ => None, // A scalar root (`<string>…</string>`): no struct body.
        }
    }
}

/// One path segment per placeholder, literals cleaned, `{subscriptionId}` first.
fn segments(uri: &str) -> Vec<(bool, String)> {
    let path = uri.split('?').next().unwrap_or_default();
    let mut out: Vec<(bool, String)> = Vec::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        let mut rest = part;
        while !rest.is_empty() {
            if let Some(open) = rest.find('{') {
                push_literal(&mut out, &rest[..open]);
                let after = &rest[open + 1..];
                let close = after.find('}').unwrap_or(after.len());
                let name: String = after[..close]
                    .chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if is_ident(&name) {
                    out.push((true, name));
                }
                rest = after.get(close + 1..).unwrap_or_default();
            } else {
                push_literal(&mut out, rest);
                rest = "";
            }
        }
    }
    if out.first() != Some(&(true, "subscriptionId".to_owned())) {
        out.retain(|s| s != &(true, "subscriptionId".to_owned()));
        out.insert(0, (true, "subscriptionId".to_owned()));
    }
    // A placeholder used twice gets a second name.
    let mut seen = HashSet::new();
    for (is_param, name) in &mut out {
        if *is_param {
            let base = name.clone();
            let mut n = 2;
            while !seen.insert(name.clone()) {
                *name = format!("{base}{n}");
                n += 1;
            }
        }
    }
    out
}

fn push_literal(out: &mut Vec<(bool, String)>, s: &str) {
    let clean: String = s
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '~' | '-'))
        .collect();
    let clean = clean.trim_matches(|c| c == '-' || c == '.').to_owned();
    if !clean.is_empty() {
        out.push((false, clean));
    }
}

enum QueryLine {
    Fixed(String, String),
    Param {
        name: String,
        ty: String,
        optional: bool,
    },
}

/// `A={a}&B=fixed&C={c}?&comp=media?` → query lines.
fn queries(cell: &str) -> Vec<QueryLine> {
    let mut out = Vec::new();
    if cell == "-" || cell.is_empty() {
        return out;
    }
    for part in cell.split('&') {
        let part = part.trim();
        let (part, optional) = match part.strip_suffix('?') {
            Some(p) => (p, true),
            None => (part, false),
        };
        let (key, value) = match part.split_once('=') {
            Some((k, v)) => (k.trim(), v.trim()),
            None => {
                // `{filterExpression} (raw OData query string …)`.
                let name = part.split(['{', '}']).nth(1).unwrap_or("filter").to_owned();
                out.push(QueryLine::Param {
                    ty: "string".into(),
                    name: wire_name(&name),
                    optional: true,
                });
                continue;
            }
        };
        let param_name = wire_name(key.trim_start_matches('$'));
        if value.contains('{') {
            out.push(QueryLine::Param {
                ty: query_type(&param_name).into(),
                name: param_name,
                optional,
            });
        } else if optional {
            // `comp=media?`: an optional switch, a parameter of the client.
            out.push(QueryLine::Param {
                ty: query_type(&param_name).into(),
                name: param_name,
                optional: true,
            });
        } else {
            let key = match key.strip_prefix('$') {
                Some(rest) => format!("${}", wire_name(rest)),
                None => wire_name(key),
            };
            let value: String = value
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '#' && *c != '"')
                .collect();
            out.push(QueryLine::Fixed(key, value));
        }
    }
    out
}

/// Reads the reference and builds the synthetic spec.
pub fn derive(reference: &Path, limit: Option<usize>) -> Result<Derived, String> {
    let mut rows = read_rows(&reference.join("operations.tsv"))?;
    if let Some(n) = limit {
        rows.truncate(n);
    }
    let mut shapes: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    let mut d = Deriver::default();
    for r in RESERVED_TYPES {
        d.reserved.insert((*r).to_owned());
    }
    let mut op_names = HashSet::new();
    for row in &rows {
        d.reserved.insert(format!("{}Options", row.operation));
        if !is_ident(&row.operation) || !row.operation.starts_with(|c: char| c.is_ascii_uppercase())
        {
            return Err(format!(
                "operation name `{}` is not UpperCamelCase",
                row.operation
            ));
        }
        if !op_names.insert(row.operation.clone()) {
            return Err(format!("operation `{}` listed twice", row.operation));
        }
        let area_ok = row
            .area
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && row.area.starts_with(|c: char| c.is_ascii_lowercase())
            && !["lib", "server"].contains(&row.area.as_str());
        if !area_ok {
            return Err(format!("area `{}` is not a valid spec file name", row.area));
        }
        if !shapes.contains_key(&row.area) {
            let path = reference.join("shapes").join(format!("{}.json", row.area));
            let map = match std::fs::read_to_string(&path) {
                Ok(text) => serde_json::from_str::<Value>(&text)
                    .map_err(|e| format!("{}: {e}", path.display()))?
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                Err(_) => Default::default(),
            };
            shapes.insert(row.area.clone(), map);
        }
    }

    let mut stats = DeriveStats::default();
    let mut ops: Vec<Op> = Vec::new();
    let mut wire_keys: HashSet<String> = HashSet::new();
    let none = Value::Null;
    for row in &rows {
        let entry = shapes
            .get(&row.area)
            .and_then(|m| m.get(&row.operation))
            .unwrap_or(&none);
        let mut limits: HashMap<String, (Option<i64>, Option<i64>)> = HashMap::new();
        for l in entry
            .get("limits")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(p) = str_of(l, "param") else {
                continue;
            };
            let e = limits.entry(p.to_owned()).or_default();
            if let Some(m) = l.get("min_length").and_then(Value::as_i64) {
                e.0 = Some(m);
            }
            if let Some(m) = l.get("max_length").and_then(Value::as_i64) {
                e.1 = Some(m);
            }
        }
        let cx = OpCtx {
            op: &row.operation,
            area: &row.area,
            limits: &limits,
        };
        let fallback = |col: &str, suffix: &str| {
            if col == "-" || col.is_empty() {
                format!("{}{suffix}", row.operation)
            } else {
                col.to_owned()
            }
        };
        let mut request = entry
            .get("request")
            .filter(|v| v.is_object())
            .and_then(|t| d.body(&cx, t, &fallback(&row.request_root, "Request")));
        if request.is_some() && row.method == "GET" {
            request = None;
            stats.get_bodies_dropped += 1;
        }
        let response = entry
            .get("response")
            .filter(|v| v.is_object())
            .and_then(|t| d.body(&cx, t, &fallback(&row.response_root, "Response")));
        let has_tree = |k: &str| entry.get(k).is_some_and(Value::is_object);
        let wants_request = row.request_root != "-" || has_tree("request");
        let wants_response = row.response_root != "-" || has_tree("response");
        if (wants_request && request.is_none() && row.method != "GET")
            || (wants_response && response.is_none())
        {
            stats.bodies_without_tree += 1;
        }
        stats.request_bodies += usize::from(request.is_some());
        stats.response_bodies += usize::from(response.is_some());

        // URI, path and query parameters.
        let segs = segments(&row.uri);
        let uri: String = segs
            .iter()
            .map(|(p, s)| {
                if *p {
                    format!("/{{{s}}}")
                } else {
                    format!("/{s}")
                }
            })
            .collect();
        let mut used: HashSet<String> = RESERVED_PARAMS.iter().map(|s| (*s).to_owned()).collect();
        let mut lines: Vec<String> = vec![format!(
            "/// {} ({}): synthetic, from operations.tsv and shapes/{}.json.",
            row.operation, row.area, row.area
        )];
        lines.push(format!("operation {} {{", row.operation));
        lines.push(format!("    method  {}", row.method));
        lines.push(format!("    uri     {uri}"));
        lines.push(format!("    version {}", version(&row.version)));
        for (is_param, name) in &segs {
            if !is_param {
                continue;
            }
            let rust = asm_codegen::parse::rust_field_name(name);
            let keyword = rust.ends_with('_') && !name.ends_with('_');
            let (min, max) = limits.get(name.as_str()).copied().unwrap_or_default();
            let mut attrs = String::new();
            if let Some(m) = max {
                attrs.push_str(&format!(" max={m}"));
            }
            if let Some(m) = min {
                attrs.push_str(&format!(" min={m}"));
            }
            let rust = if keyword || used.contains(&rust) {
                let alt = unique(&format!("{}_path", rust.trim_end_matches('_')), &used);
                attrs.push_str(&format!(" rust={alt}"));
                alt
            } else {
                rust
            };
            used.insert(rust);
            if !attrs.is_empty() {
                lines.push(format!("    path    {name}: string{attrs}"));
            }
        }
        let mut fixed: Vec<String> = Vec::new();
        let mut token_param = false;
        for q in queries(&row.query) {
            match q {
                QueryLine::Fixed(k, v) => {
                    fixed.push(format!("{k}={v}"));
                    lines.push(format!("    query   {k} = {v}"));
                }
                QueryLine::Param { name, ty, optional } => {
                    let rust = asm_codegen::parse::rust_field_name(&name);
                    let mut attrs = String::new();
                    let rust = if used.contains(&rust) {
                        let alt = unique(&format!("{}_query", rust.trim_end_matches('_')), &used);
                        attrs.push_str(&format!(" rust={alt}"));
                        alt
                    } else {
                        rust
                    };
                    used.insert(rust);
                    token_param |= name == "ContinuationToken" && optional && ty == "string";
                    lines.push(format!(
                        "    query   {name}: {ty}{}{attrs}",
                        if optional { "?" } else { "" }
                    ));
                }
            }
        }
        // Two operations may not share method, URI shape and fixed query.
        let shape: Vec<String> = segs
            .iter()
            .map(|(p, s)| {
                if *p {
                    "{}".into()
                } else {
                    s.to_ascii_lowercase()
                }
            })
            .collect();
        let key =
            |fixed: &[String]| format!("{} /{}?{}", row.method, shape.join("/"), fixed.join("&"));
        if !wire_keys.insert(key(&fixed)) {
            let n = (2..)
                .find(|n| {
                    let mut f = fixed.clone();
                    f.push(format!("synthetic={n}"));
                    !wire_keys.contains(&key(&f))
                })
                .unwrap_or(2);
            fixed.push(format!("synthetic={n}"));
            wire_keys.insert(key(&fixed));
            lines.push(format!("    query   synthetic = {n}"));
            stats.disambiguated += 1;
        }
        if let Some((root, ty)) = &request {
            lines.push(format!("    request {}", body_ref(root, ty)));
        }
        if let Some((root, ty)) = &response {
            lines.push(format!("    response {}", body_ref(root, ty)));
            if token_param {
                if let Some(items) = d.by_name.get(ty).and_then(|&i| {
                    let s = &d.structs[i];
                    let has_token = s
                        .fields
                        .iter()
                        .any(|f| f.element == "ContinuationToken" && f.card == Card::Optional);
                    let list = s
                        .fields
                        .iter()
                        .find(|f| matches!(f.card, Card::Repeated | Card::List { .. }));
                    list.filter(|_| has_token).map(|f| f.element.clone())
                }) {
                    lines.push(format!("    paged   ContinuationToken {items}"));
                    stats.paged += 1;
                }
            }
        }
        let status: Vec<String> = statuses(&row.status).iter().map(u16::to_string).collect();
        lines.push(format!("    status  {}", status.join(" ")));
        if row.is_async {
            lines.push("    async".into());
        }
        lines.push("}".into());
        ops.push(Op {
            area: row.area.clone(),
            text: lines.join("\n") + "\n",
        });
    }

    // One file per area: its operations, then the structs first met there.
    let mut files: BTreeMap<String, String> = BTreeMap::new();
    for op in &ops {
        let f = files.entry(op.area.clone()).or_insert_with(|| {
            format!(
                "# {}.spec: synthetic spec of every `{}` operation of operations.tsv\n\
                 # (written by `cargo xtask bench`; build-cost measurement only).\n",
                op.area, op.area
            )
        });
        f.push('\n');
        f.push_str(&op.text);
    }
    for s in &d.structs {
        let f = files.entry(s.area.clone()).or_default();
        let _ = write!(f, "\n/// {}\nstruct {} {{\n", s.doc, s.name);
        for field in &s.fields {
            let _ = writeln!(f, "    {}", field.line());
        }
        f.push_str("}\n");
    }
    add_classic_poller(&mut files);
    stats.areas = files.len();
    stats.operations = rows.len();
    stats.structs_shared = d.shared;
    stats.spec_lines = files.values().map(|t| t.lines().count()).sum();
    Ok(Derived {
        files: files
            .into_iter()
            .map(|(area, text)| (format!("{area}.spec"), text))
            .collect(),
        stats,
    })
}

/// `async` operations need the `Classic` poller: GetOperationStatus's
/// `Status` becomes a tagged enum and the poller is declared beside it.
fn add_classic_poller(files: &mut BTreeMap<String, String>) {
    for text in files.values_mut() {
        let Some(at) = text.find("operation GetOperationStatus {") else {
            continue;
        };
        let block = text.get(at..).unwrap_or_default();
        let end = block.find("\n}").unwrap_or(block.len());
        let Some(resp) = block
            .get(..end)
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.trim().strip_prefix("response"))
            .map(|r| {
                let r = r.trim();
                r.split_once(':').map_or(r, |(_, t)| t.trim()).to_owned()
            })
        else {
            continue;
        };
        let header = format!("struct {resp} {{");
        let Some(s_at) = text.find(&header) else {
            continue;
        };
        let s_end = s_at + text.get(s_at..).and_then(|b| b.find("\n}")).unwrap_or(0);
        let body = text.get(s_at..s_end).unwrap_or_default().to_owned();
        let status_line = body
            .lines()
            .find(|l| l.trim_start().starts_with("Status:"))
            .map(str::to_owned);
        let patched = match status_line {
            Some(l) => body.replace(&l, "    Status: SyntheticOperationStatus"),
            None => format!("{body}\n    Status: SyntheticOperationStatus"),
        };
        text.replace_range(s_at..s_end, &patched);
        text.push_str(
            "\nenum SyntheticOperationStatus {\n    InProgress pending\n    Succeeded success\n    Failed failure\n}\n\
             \npoller Classic {\n    operation GetOperationStatus\n    id        header x-ms-request-id\n    status    Status\n}\n",
        );
        return;
    }
}

fn unique(base: &str, used: &HashSet<String>) -> String {
    if !used.contains(base) {
        return base.to_owned();
    }
    (2..)
        .map(|n| format!("{base}{n}"))
        .find(|c| !used.contains(c))
        .unwrap_or_default()
}

fn body_ref(root: &str, ty: &str) -> String {
    if root == ty {
        root.to_owned()
    } else {
        format!("{root}: {ty}")
    }
}

/// Rewrites `dir` to hold exactly `files` (other `.spec` files are removed).
fn write_spec(dir: &Path, files: &[(String, String)]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            let keep = files
                .iter()
                .any(|(n, _)| p.file_name().is_some_and(|f| f == n.as_str()));
            if !keep && p.extension().is_some_and(|x| x == "spec") {
                let _ = std::fs::remove_file(&p);
            }
        }
    }
    for (name, text) in files {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(())
}

// ------------------------------------------------------------ scratch workspace

/// The value of `key = value` in section `section` of a TOML text (top-level
/// keys only, one line each: enough for the workspace's Cargo.toml).
fn toml_value(toml: &str, section: &str, key: &str) -> Option<String> {
    let mut in_section = false;
    for line in toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_section = t == format!("[{section}]");
            continue;
        }
        if in_section {
            if let Some((k, v)) = t.split_once('=') {
                if k.trim() == key {
                    return Some(v.trim().to_owned());
                }
            }
        }
    }
    None
}

/// The generated Cargo.toml made standalone: `x.workspace = true` lines take
/// their value from the workspace's Cargo.toml (paths made absolute).
fn standalone_manifest(text: &str, name: &str, root: &Path, root_toml: &str) -> String {
    let mut out = String::new();
    let mut section = String::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            section = t.trim_matches(['[', ']']).to_owned();
        }
        if section == "package" && t.starts_with("name") && t.contains('=') {
            let _ = writeln!(out, "name = \"{name}\"");
            continue;
        }
        if let Some(key) = t.strip_suffix(".workspace = true") {
            let from = if section == "package" {
                "workspace.package"
            } else {
                "workspace.dependencies"
            };
            let value = toml_value(root_toml, from, key).unwrap_or_else(|| "\"*\"".into());
            let value = absolute_paths(&value, root);
            let _ = writeln!(out, "{key} = {value}");
            if section == "package" && key == "version" {
                out.push_str("publish = false\n");
            }
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn absolute_paths(value: &str, root: &Path) -> String {
    let Some(start) = value.find("path = \"") else {
        return value.to_owned();
    };
    let from = start + "path = \"".len();
    let Some(len) = value[from..].find('"') else {
        return value.to_owned();
    };
    let rel = &value[from..from + len];
    let abs = root.join(rel);
    format!(
        "{}{}{}",
        &value[..from],
        abs.display(),
        &value[from + len..]
    )
}

/// `dir/Cargo.toml` (a workspace of its own with the main workspace's
/// profiles), `dir/Cargo.lock` (a copy of the main one), one member per crate.
fn write_workspace(
    dir: &Path,
    root: &Path,
    root_toml: &str,
    members: &[(&str, &[asm_codegen::emit::File])],
) -> Result<(), String> {
    let io = |p: &Path, e: std::io::Error| format!("{}: {e}", p.display());
    let mut ws = String::from(
        "# Scratch workspace of `cargo xtask bench` (part 6, synthetic build cost).\n\
         # Its own workspace: not a member of the main one.\n\
         [workspace]\nresolver = \"2\"\nmembers = [",
    );
    ws.push_str(
        &members
            .iter()
            .map(|(n, _)| format!("\"{n}\""))
            .collect::<Vec<_>>()
            .join(", "),
    );
    ws.push_str("]\n");
    // The main workspace's profiles, so the build is the one `cargo build --release` does.
    let mut in_profile = false;
    for line in root_toml.lines() {
        let t = line.trim();
        if t.starts_with('[') {
            in_profile = t.starts_with("[profile.");
            if in_profile {
                ws.push('\n');
            }
        }
        if in_profile && !t.is_empty() {
            ws.push_str(line);
            ws.push('\n');
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    write_if_changed(&dir.join("Cargo.toml"), &ws)?;
    let lock = root.join("Cargo.lock");
    let text = std::fs::read_to_string(&lock).map_err(|e| io(&lock, e))?;
    write_if_changed(&dir.join("Cargo.lock"), &text)?;
    for (name, files) in members {
        let crate_dir = dir.join(name);
        let files: Vec<asm_codegen::emit::File> = files
            .iter()
            .map(|(p, t)| {
                if p == "Cargo.toml" {
                    (p.clone(), standalone_manifest(t, name, root, root_toml))
                } else {
                    (p.clone(), t.clone())
                }
            })
            .collect();
        asm_codegen::write(&crate_dir, &files).map_err(|e| io(&crate_dir, e))?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, text: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).ok().as_deref() == Some(text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

// ------------------------------------------------------------ measuring

struct Builder {
    dir: PathBuf,
    target: PathBuf,
    cargo: String,
    nice: Option<String>,
}

impl Builder {
    fn new(dir: &Path, target: &Path) -> Self {
        let nice = std::env::var("ASM_SYNTHETIC_NICE").unwrap_or_else(|_| "10".into());
        let nice = (nice.trim() != "0" && Path::new("/usr/bin/nice").exists())
            .then(|| nice.trim().to_owned());
        Self {
            dir: dir.to_path_buf(),
            target: target.to_path_buf(),
            cargo: std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()),
            nice,
        }
    }

    /// `cargo ARGS` in the scratch workspace, under `time -v` when `time_out` is given.
    fn command(&self, args: &[&str], time_out: Option<&Path>) -> Command {
        let mut argv: Vec<String> = Vec::new();
        if let Some(out) = time_out {
            argv.extend(["/usr/bin/time".into(), "-v".into(), "-o".into()]);
            argv.push(out.display().to_string());
        }
        if let Some(n) = &self.nice {
            argv.extend(["nice".into(), "-n".into(), n.clone()]);
        }
        argv.push(self.cargo.clone());
        argv.extend(args.iter().map(|s| (*s).to_owned()));
        let mut cmd = Command::new(&argv[0]);
        cmd.args(&argv[1..])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("CARGO_BUILD_TARGET_DIR");
        cmd
    }

    fn cargo(&self, args: &[&str]) -> Result<(), String> {
        let out = self
            .command(args, None)
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "`cargo {}` failed: {}",
                args.join(" "),
                tail(&String::from_utf8_lossy(&out.stderr), 15)
            ))
        }
    }

    /// `cargo clean --release -p NAME`, then a timed `cargo build --release -p NAME`.
    fn cold_build(&self, name: &str, operations: usize) -> Result<CrateBuild, String> {
        self.cargo(&["clean", "--release", "-p", name])?;
        let have_time = Path::new("/usr/bin/time").exists();
        let time_file = self.dir.join(format!("{name}.time.txt"));
        let _ = std::fs::remove_file(&time_file);
        let load_before = std::fs::read_to_string("/proc/loadavg")
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok());
        let args = ["build", "--release", "-p", name];
        let t = Instant::now();
        let out = self
            .command(&args, have_time.then_some(time_file.as_path()))
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        let seconds = t.elapsed().as_secs_f64();
        if !out.status.success() {
            return Err(format!(
                "`cargo build --release -p {name}` failed: {}",
                tail(&String::from_utf8_lossy(&out.stderr), 25)
            ));
        }
        let report = std::fs::read_to_string(&time_file).unwrap_or_default();
        let field = |label: &str| -> Option<f64> {
            report
                .lines()
                .find_map(|l| l.trim().strip_prefix(label))
                .and_then(|v| v.trim().parse().ok())
        };
        let peak_mb = field("Maximum resident set size (kbytes):").map(|kb| kb * 1024.0 / 1e6);
        let cpu_seconds = match (
            field("User time (seconds):"),
            field("System time (seconds):"),
        ) {
            (Some(u), Some(s)) => Some(u + s),
            _ => None,
        };
        if !have_time {
            eprintln!("synthetic: /usr/bin/time is missing (apt-get install time): no peak memory");
        }
        Ok(CrateBuild {
            crate_name: name.to_owned(),
            operations,
            seconds,
            s_per_op: seconds / operations.max(1) as f64,
            peak_mb,
            cpu_seconds,
            load_before,
        })
    }
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

// ------------------------------------------------------------ last figures

/// The marker line a run that measured leaves in docs/BENCHMARKS.md.
pub fn marker_line(r: &SyntheticReport) -> Option<String> {
    let b = r.synthetic.as_ref()?;
    let mut s = format!(
        "{MARKER} ops={} structs={} enums={} lines={} seconds={:.1} peak_mb={:.0}",
        r.operations,
        r.structs,
        r.enums,
        r.generated_lines,
        b.seconds,
        b.peak_mb.unwrap_or(0.0)
    );
    if let Some(c) = &r.current {
        let _ = write!(
            s,
            " current_ops={} current_seconds={:.1} current_peak_mb={:.0}",
            c.operations,
            c.seconds,
            c.peak_mb.unwrap_or(0.0)
        );
    }
    let _ = write!(
        s,
        " measured {} -->",
        r.date.as_deref().unwrap_or("earlier")
    );
    Some(s)
}

/// The figures a previous run left in docs/BENCHMARKS.md.
fn last_measured(report: &Path) -> Option<SyntheticReport> {
    let text = std::fs::read_to_string(report).ok()?;
    let line = text.lines().find(|l| l.starts_with(MARKER))?;
    let rest = line
        .strip_prefix(MARKER)?
        .trim()
        .trim_end_matches("-->")
        .trim();
    let (kv, when) = rest.split_once(" measured ").unwrap_or((rest, "earlier"));
    let get = |k: &str| -> Option<f64> {
        kv.split_whitespace()
            .find_map(|p| p.strip_prefix(k)?.strip_prefix('='))
            .and_then(|v| v.parse().ok())
    };
    let ops = get("ops")? as usize;
    let seconds = get("seconds")?;
    let build = |name: &str, ops: usize, seconds: f64, peak: Option<f64>| CrateBuild {
        crate_name: name.to_owned(),
        operations: ops,
        seconds,
        s_per_op: seconds / ops.max(1) as f64,
        peak_mb: peak.filter(|p| *p > 0.0),
        cpu_seconds: None,
        load_before: None,
    };
    let mut r =
        SyntheticReport::empty(format!("last measured {when}; not re-measured in this run"));
    r.operations = ops;
    r.structs = get("structs").unwrap_or(0.0) as usize;
    r.enums = get("enums").unwrap_or(0.0) as usize;
    r.generated_lines = get("lines").unwrap_or(0.0) as usize;
    r.lines_per_operation = r.generated_lines as f64 / ops.max(1) as f64;
    r.synthetic = Some(build(SYNTH_CRATE, ops, seconds, get("peak_mb")));
    if let (Some(o), Some(s)) = (get("current_ops"), get("current_seconds")) {
        r.current = Some(build(CURRENT_CRATE, o as usize, s, get("current_peak_mb")));
    }
    r.date = Some(when.to_owned());
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_become_whole_segments() {
        let s = |u: &str| {
            segments(u)
                .into_iter()
                .map(|(p, s)| if p { format!("{{{s}}}") } else { s })
                .collect::<Vec<_>>()
                .join("/")
        };
        assert_eq!(s("/subscriptions"), "{subscriptionId}/subscriptions");
        assert_eq!(
            s("/{subscriptionId}/a/{x}({y})/slots/"),
            "{subscriptionId}/a/{x}/{y}/slots"
        );
        assert_eq!(
            s("/{subscriptionId}/certificates/{alg}-{thumb}"),
            "{subscriptionId}/certificates/{alg}/{thumb}"
        );
        assert_eq!(
            s("/{subscriptionId}/x/{n}/y/{n}"),
            "{subscriptionId}/x/{n}/y/{n2}"
        );
    }

    #[test]
    fn versions_and_statuses() {
        assert_eq!(version("node=2012-03-01;py=2014-10-01"), "2014-10-01");
        assert_eq!(version("-"), "2014-10-01");
        assert_eq!(statuses("200,202"), vec![200, 202]);
        assert_eq!(statuses("<400"), vec![200]);
    }

    #[test]
    fn names() {
        assert_eq!(type_name("odata.type"), "OdataType");
        assert_eq!(type_name("entry"), "Entry");
        assert_eq!(wire_name("$type"), "_type");
        assert_eq!(wire_name("3d"), "E3d");
    }

    /// The whole reference turns into a spec `asm_codegen::load` accepts
    /// (skipped where `../shared` is absent).
    #[test]
    fn synthetic_spec_loads() {
        let root = crate::workspace_root();
        let reference = shared_dir(&root).join("reference");
        if !reference.join("operations.tsv").exists() {
            eprintln!("no {}: skipped", reference.display());
            return;
        }
        let d = derive(&reference, limit_from_env()).expect("derive");
        // ASM_SYNTHETIC_KEEP=DIR keeps the spec there for reading.
        let keep = std::env::var_os("ASM_SYNTHETIC_KEEP").map(PathBuf::from);
        let dir = keep.clone().unwrap_or_else(|| {
            std::env::temp_dir().join(format!("asm-synthetic-test-{}", std::process::id()))
        });
        let spec_dir = dir.join("spec");
        write_spec(&spec_dir, &d.files).expect("write");
        let loaded = asm_codegen::load(&spec_dir);
        if keep.is_none() {
            let _ = std::fs::remove_dir_all(&dir);
        }
        let spec = loaded.unwrap_or_else(|errors| {
            panic!(
                "{} errors:\n{}",
                errors.len(),
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert_eq!(spec.operations.len(), d.stats.operations);
        // Deterministic.
        let again = derive(&reference, limit_from_env()).expect("derive");
        assert_eq!(again.files, d.files);
        asm_codegen::generate(&spec).expect("generate");
    }

    fn sample() -> SyntheticReport {
        let build = |name: &str, ops: usize, seconds: f64| CrateBuild {
            crate_name: name.into(),
            operations: ops,
            seconds,
            s_per_op: seconds / ops as f64,
            peak_mb: Some(1234.0),
            cpu_seconds: Some(seconds),
            load_before: Some(1.0),
        };
        let mut r = SyntheticReport::empty("measured in this run".into());
        r.operations = 440;
        r.structs = 800;
        r.generated_lines = 100_000;
        r.synthetic = Some(build(SYNTH_CRATE, 440, 44.0));
        r.current = Some(build(CURRENT_CRATE, 31, 9.3));
        r.date = Some("2026-01-02".into());
        r
    }

    /// A skipped run reads back what a measuring run left in the report.
    #[test]
    fn marker_round_trip() {
        let line = marker_line(&sample()).expect("marker");
        let dir = std::env::temp_dir().join(format!("asm-synthetic-marker-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let md = dir.join("BENCHMARKS.md");
        std::fs::write(&md, format!("# x\n\n{line}\n")).expect("write");
        let back = last_measured(&md).expect("parsed");
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(back.operations, 440);
        assert_eq!(back.structs, 800);
        let b = back.synthetic.expect("synthetic");
        assert!((b.seconds - 44.0).abs() < 1e-9 && (b.s_per_op - 0.1).abs() < 1e-9);
        assert_eq!(b.peak_mb, Some(1234.0));
        let c = back.current.expect("current");
        assert_eq!(c.operations, 31);
        assert!(back.note.contains("2026-01-02"), "{}", back.note);
    }

    #[test]
    fn table_and_summary_keys() {
        let opts = Opts {
            quick: true,
            python: false,
            e2e: false,
            build: false,
            write: false,
            root: crate::workspace_root(),
        };
        let mut summary = crate::report::Summary::new(&opts);
        summary.synthetic = Some(sample());
        let text = summary.render_markdown();
        assert!(text.contains("## 6. Synthetic 440-operation build cost"));
        assert!(text.contains("≤ 0.15 s per operation"));
        assert!(
            text.contains("| 0.100 s/op (44 s, 440 operations) | met |"),
            "{text}"
        );
        assert!(text.contains("| 1234 MB | met |"), "{text}");
        let json = summary.json();
        assert_eq!(json["synthetic_operations"], 440);
        assert_eq!(json["synthetic_crate_build_seconds"], 44.0);
        assert_eq!(json["synthetic_crate_build_peak_mb"], 1234.0);
        assert!(json["synthetic_crate_build_s_per_op"].as_f64().is_some());
        assert!(json["crate_build_s_per_op"].as_f64().is_some());
        let part = summary.synthetic_json();
        assert_eq!(part["synthetic_operations"], 440);
    }

    #[test]
    fn manifest_is_standalone() {
        let root_toml = "[workspace.package]\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                         [workspace.dependencies]\nasm-runtime = { path = \"runtime\" }\nfutures-core = \"0.3\"\n";
        let gen =
            "[package]\nname = \"azure-asm\"\nversion.workspace = true\nedition.workspace = true\n\
                   [dependencies]\nasm-runtime.workspace = true\nfutures-core.workspace = true\n";
        let m = standalone_manifest(gen, "x", Path::new("/r"), root_toml);
        assert!(m.contains("name = \"x\""));
        assert!(m.contains("edition = \"2021\""));
        assert!(m.contains("asm-runtime = { path = \"/r/runtime\" }"));
        assert!(m.contains("futures-core = \"0.3\""));
        assert!(!m.contains("workspace = true"));
    }
}

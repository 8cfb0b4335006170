//! Parts 1, 2 and 4: decode throughput (beside a raw quick-xml scan and the
//! Python peer), encode throughput, peak memory while decoding.

use std::any::Any;
use std::hint::black_box;
use std::path::Path;

use asm_runtime::xml::{from_document, FromXml};
use asm_runtime::DecodeError;
use quick_xml::events::Event;
use quick_xml::Reader;
use serde::Serialize;

use crate::alloc::{calls_during, peak_during};
use crate::docs::{self, Doc, Scale};
use crate::stats::{mb_per_s, median, time_paired, time_runs, Budget};
use crate::{python, Opts};

/// One decode document's figures.
#[derive(Debug, Clone, Serialize)]
pub struct DecodeRow {
    pub document: String,
    pub operation: String,
    pub bytes: usize,
    pub items: usize,
    pub rust_mb_s: f64,
    pub rust_runs: usize,
    pub raw_scan_mb_s: f64,
    pub vs_raw_scan: f64,
    pub python_mb_s: Option<f64>,
    pub python_runs: usize,
    pub vs_python: Option<f64>,
    pub peak_bytes: usize,
    pub peak_ratio: f64,
    /// Where a real document comes from (`file#index` in the corpus).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
}

/// Part 1 and 4 figures, plus why Python is missing if it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DecodeReport {
    pub rows: Vec<DecodeRow>,
    pub python_note: Option<String>,
    /// The largest real recorded body of each response type (`real.rs`).
    pub real_rows: Vec<DecodeRow>,
    /// Why real documents (or the peer on them) are missing, if they are.
    pub real_note: Option<String>,
}

type DecodeFn = fn(&'static str, &[u8]) -> Result<(Box<dyn Any>, usize), DecodeError>;

fn decode_as<T: FromXml + 'static>(
    root: &'static str,
    bytes: &[u8],
) -> Result<(Box<dyn Any>, usize), DecodeError> {
    let v: T = from_document(root, bytes)?;
    Ok((Box::new(v), 0))
}

fn decoder(root: &str) -> DecodeFn {
    match root {
        "HostedServices" => |r, b| {
            decode_as::<azure_asm::HostedServices>(r, b).map(|(v, _)| {
                let n = v
                    .downcast_ref::<azure_asm::HostedServices>()
                    .map_or(0, |x| x.hosted_service.len());
                (v, n)
            })
        },
        "HostedService" => |r, b| {
            decode_as::<azure_asm::HostedService>(r, b).map(|(v, _)| {
                let n = v
                    .downcast_ref::<azure_asm::HostedService>()
                    .map_or(0, |x| x.deployments.as_ref().map_or(0, Vec::len));
                (v, n)
            })
        },
        "SubscriptionOperationCollection" => |r, b| {
            decode_as::<azure_asm::SubscriptionOperationCollection>(r, b).map(|(v, _)| {
                let n = v
                    .downcast_ref::<azure_asm::SubscriptionOperationCollection>()
                    .map_or(0, |x| x.subscription_operations.len());
                (v, n)
            })
        },
        "StorageServices" => |r, b| {
            decode_as::<azure_asm::StorageServices>(r, b).map(|(v, _)| {
                let n = v
                    .downcast_ref::<azure_asm::StorageServices>()
                    .map_or(0, |x| x.storage_service.len());
                (v, n)
            })
        },
        other => panic!("no decoder for {other}"),
    }
}

/// The practical limit: quick-xml's own event loop over the document, with
/// the same reader settings as `asm_runtime::xml::XmlReader`, touching every
/// event (no unescaping, no allocation, no value building).
pub fn raw_scan(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    let config = reader.config_mut();
    config.trim_text(false);
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut touched = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Eof) => break,
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => touched += e.name().as_ref().len(),
            Ok(Event::End(e)) => touched += e.name().as_ref().len(),
            Ok(Event::Text(t)) => touched += t.len(),
            Ok(e) => touched += e.len(),
            Err(_) => return usize::MAX,
        }
    }
    touched
}

fn budget(opts: &Opts) -> Budget {
    if opts.quick {
        Budget::new(5, 2000, 1.0)
    } else {
        Budget::new(15, 20000, 4.0)
    }
}

/// Parts 1 and 4.
pub fn run_decode(opts: &Opts) -> DecodeReport {
    eprintln!("decode: generating documents");
    let docs = docs::decode_docs(Scale::FULL);
    let mut report = DecodeReport::default();
    for doc in &docs {
        report.rows.push(decode_one(opts, doc));
    }
    if opts.python {
        match python_decode(opts, &docs) {
            Ok(results) => {
                for (row, (mbs, runs)) in report.rows.iter_mut().zip(results) {
                    row.python_mb_s = Some(mbs);
                    row.python_runs = runs;
                    row.vs_python = Some(row.rust_mb_s / mbs);
                }
            }
            Err(e) => {
                eprintln!("decode: Python peer not measured: {e}");
                report.python_note = Some(e);
            }
        }
    } else {
        report.python_note = Some("skipped (--skip-python)".into());
    }
    run_real(opts, &mut report);
    report
}

/// The real documents: decode beside the raw scan, and the Python peer on
/// the same files where it has a model of the same name.
fn run_real(opts: &Opts, report: &mut DecodeReport) {
    let docs = match crate::real::real_docs(&opts.root) {
        Ok(d) if !d.is_empty() => d,
        Ok(_) => {
            report.real_note = Some("no real documents found".into());
            return;
        }
        Err(e) => {
            eprintln!("decode: real documents not measured: {e}");
            report.real_note = Some(e);
            return;
        }
    };
    let b = budget(opts);
    for doc in &docs {
        let bytes = &doc.bytes[..];
        assert!(
            matches!(
                azure_asm::server::roundtrip_response(doc.operation, bytes),
                Some(Ok(()))
            ),
            "{} does not round-trip",
            doc.name
        );
        let decode = |b: &[u8]| azure_asm::server::decode_response(doc.operation, b);
        let (rust, scan) = time_paired(
            b,
            || decode(black_box(bytes)),
            || raw_scan(black_box(bytes)),
        );
        let mut peak = 0;
        for _ in 0..3 {
            let (v, p) = peak_during(|| decode(bytes));
            drop(v);
            peak = peak.max(p);
        }
        let rust_mb_s = mb_per_s(bytes.len(), median(&rust));
        let raw_scan_mb_s = mb_per_s(bytes.len(), median(&scan));
        let row = DecodeRow {
            document: doc.name.clone(),
            operation: doc.operation.into(),
            bytes: bytes.len(),
            items: 0,
            rust_mb_s,
            rust_runs: rust.len(),
            raw_scan_mb_s,
            vs_raw_scan: rust_mb_s / raw_scan_mb_s,
            python_mb_s: None,
            python_runs: 0,
            vs_python: None,
            peak_bytes: peak,
            peak_ratio: peak as f64 / bytes.len() as f64,
            source: Some(doc.source.clone()),
        };
        eprintln!(
            "decode: real {:<40} {:>6.2} MB  rust {:>7.1} MB/s  scan {:>7.1} MB/s  ({:.2}x)",
            doc.name,
            bytes.len() as f64 / 1e6,
            rust_mb_s,
            raw_scan_mb_s,
            row.vs_raw_scan,
        );
        report.real_rows.push(row);
    }
    if !opts.python {
        report.real_note = Some("Python peer skipped (--skip-python)".into());
        return;
    }
    if let Err(e) = python_real(opts, &docs, &mut report.real_rows) {
        eprintln!("decode: Python peer on real documents not measured: {e}");
        report.real_note = Some(e);
    }
}

fn python_real(
    opts: &Opts,
    docs: &[crate::real::RealDoc],
    rows: &mut [DecodeRow],
) -> Result<(), String> {
    let py = python::ensure_venv(opts)?;
    let dir = opts.out_dir().join("docs").join("real");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut args = Vec::new();
    for doc in docs {
        let path = dir.join(format!("{}.xml", doc.root));
        std::fs::write(&path, &doc.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        args.push(format!("{}:{}", path.display(), doc.root));
    }
    let runs = if opts.quick { 1 } else { 3 };
    let lines = python::run_script(
        &py,
        &opts.root.join("bench/python/decode.py"),
        &runs.to_string(),
        &args,
    )?;
    for ((doc, row), line) in docs.iter().zip(rows.iter_mut()).zip(&lines) {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("bad output {line:?}: {e}"))?;
        if let Some(why) = v["skipped"].as_str() {
            eprintln!("decode: python real {}: not measured ({why})", doc.name);
            continue;
        }
        let secs: Vec<f64> = v["seconds"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default();
        let mbs = mb_per_s(doc.bytes.len(), median(&secs));
        row.python_mb_s = Some(mbs);
        row.python_runs = secs.len();
        row.vs_python = Some(row.rust_mb_s / mbs);
        eprintln!("decode: python real {:<46} {:>7.2} MB/s", doc.name, mbs);
    }
    Ok(())
}

fn decode_one(opts: &Opts, doc: &Doc) -> DecodeRow {
    let decode = decoder(doc.root);
    let bytes = &doc.bytes[..];
    // Correctness first: it must decode, and the round trip must hold.
    let (_, items) = decode(doc.root, bytes).unwrap_or_else(|e| panic!("{}: {e}", doc.name));
    assert!(
        matches!(
            azure_asm::server::roundtrip_response(doc.operation, bytes),
            Some(Ok(()))
        ),
        "{} does not round-trip",
        doc.name
    );
    let b = budget(opts);
    let (rust, scan) = time_paired(
        b,
        || decode(doc.root, black_box(bytes)).ok(),
        || raw_scan(black_box(bytes)),
    );
    // Peak memory: several runs, the largest peak.
    let mut peak = 0;
    for _ in 0..3 {
        let (v, p) = peak_during(|| decode(doc.root, bytes));
        drop(v);
        peak = peak.max(p);
    }
    let rust_mb_s = mb_per_s(bytes.len(), median(&rust));
    let raw_scan_mb_s = mb_per_s(bytes.len(), median(&scan));
    let row = DecodeRow {
        document: doc.name.into(),
        operation: doc.operation.into(),
        bytes: bytes.len(),
        items,
        rust_mb_s,
        rust_runs: rust.len(),
        raw_scan_mb_s,
        vs_raw_scan: rust_mb_s / raw_scan_mb_s,
        python_mb_s: None,
        python_runs: 0,
        vs_python: None,
        peak_bytes: peak,
        peak_ratio: peak as f64 / bytes.len() as f64,
        source: None,
    };
    eprintln!(
        "decode: {:<58} {:>6.2} MB  rust {:>7.1} MB/s  scan {:>7.1} MB/s  ({:.2}x)  peak {:.2}x",
        doc.name,
        bytes.len() as f64 / 1e6,
        rust_mb_s,
        raw_scan_mb_s,
        row.vs_raw_scan,
        row.peak_ratio
    );
    row
}

fn python_decode(opts: &Opts, docs: &[Doc]) -> Result<Vec<(f64, usize)>, String> {
    let py = python::ensure_venv(opts)?;
    let dir = opts.out_dir().join("docs");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut args = Vec::new();
    for doc in docs {
        let path = dir.join(format!("{}.xml", doc.operation));
        std::fs::write(&path, &doc.bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        args.push(format!("{}:{}", path.display(), doc.python_type));
    }
    let runs = if opts.quick { 1 } else { 3 };
    eprintln!("decode: timing the Python peer ({runs} run(s) per document)");
    let lines = python::run_script(
        &py,
        &opts.root.join("bench/python/decode.py"),
        &runs.to_string(),
        &args,
    )?;
    let mut out = Vec::new();
    for (doc, line) in docs.iter().zip(&lines) {
        let v: serde_json::Value =
            serde_json::from_str(line).map_err(|e| format!("bad output {line:?}: {e}"))?;
        let secs: Vec<f64> = v["seconds"]
            .as_array()
            .map(|a| a.iter().filter_map(|x| x.as_f64()).collect())
            .unwrap_or_default();
        let mbs = mb_per_s(doc.bytes.len(), median(&secs));
        eprintln!(
            "decode: python {:<51} {:>7.2} MB/s ({} items)",
            doc.name, mbs, v["items"]
        );
        out.push((mbs, secs.len()));
    }
    if out.len() != docs.len() {
        return Err(format!(
            "the Python script printed {} results for {} documents",
            out.len(),
            docs.len()
        ));
    }
    Ok(out)
}

/// One request body's encode figures.
#[derive(Debug, Clone, Serialize)]
pub struct EncodeRow {
    pub body: String,
    pub bytes: usize,
    pub mb_s: f64,
    pub ns_per_body: f64,
}

/// Part 2: encode throughput of request bodies (and, for scale, of the large
/// response documents, which the emulator encodes).
pub fn run_encode(opts: &Opts) -> Vec<EncodeRow> {
    let mut rows = Vec::new();
    let b = budget(opts);
    for body in docs::request_bodies() {
        let len = (body.encode)().len();
        // Batches of 1,000 bodies per timed run.
        let runs = time_runs(b, || {
            for _ in 0..1000 {
                black_box((body.encode)());
            }
        });
        let per = median(&runs) / 1000.0;
        rows.push(EncodeRow {
            body: body.root.into(),
            bytes: len,
            mb_s: mb_per_s(len, per),
            ns_per_body: per * 1e9,
        });
    }
    let scale = Scale::FULL;
    let hs = docs::hosted_service_detail(scale);
    let ops = docs::subscription_operations(scale.operations);
    type Encoder = Box<dyn Fn() -> String>;
    let large: [(&str, Encoder); 2] = [
        (
            "HostedService embed-detail (response)",
            Box::new(move || asm_runtime::xml::to_document("HostedService", &hs)),
        ),
        (
            "SubscriptionOperationCollection (response)",
            Box::new(move || {
                asm_runtime::xml::to_document("SubscriptionOperationCollection", &ops)
            }),
        ),
    ];
    for (name, f) in large {
        let len = f().len();
        let runs = time_runs(b, &f);
        let per = median(&runs);
        rows.push(EncodeRow {
            body: name.into(),
            bytes: len,
            mb_s: mb_per_s(len, per),
            ns_per_body: per * 1e9,
        });
    }
    for r in &rows {
        eprintln!(
            "encode: {:<44} {:>9} B {:>8.1} MB/s {:>12.0} ns",
            r.body, r.bytes, r.mb_s, r.ns_per_body
        );
    }
    rows
}

/// Writes small, valid documents of every response type (after a first line
/// naming the operation, as fuzz/fuzz_targets/responses.rs reads it) into
/// `dir`.
pub fn write_fuzz_seeds(dir: &Path) -> std::io::Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut n = 0;
    for doc in docs::decode_docs(Scale::TINY) {
        // `Operation\n` then the body: azure_asm::server::select_response_input.
        if azure_asm::OPERATIONS
            .iter()
            .any(|o| o.name == doc.operation)
        {
            let mut bytes = format!("{}\n", doc.operation).into_bytes();
            bytes.extend_from_slice(&doc.bytes);
            std::fs::write(dir.join(format!("gen-{}.xml", doc.operation)), bytes)?;
            n += 1;
        }
    }
    // The smallest real body of every operation the corpus recorded.
    let real = crate::real::smallest_per_operation(&crate::workspace_root(), 16 * 1024)
        .map_err(std::io::Error::other)?;
    for (operation, body) in real {
        let mut bytes = format!("{operation}\n").into_bytes();
        bytes.extend_from_slice(&body);
        std::fs::write(dir.join(format!("real-{operation}.xml")), bytes)?;
        n += 1;
    }
    Ok(n)
}

/// `--profile-decode ROOT SECONDS`: decodes the document with that root
/// over and over (nothing else), for a profiler.
pub fn profile(root: &str, seconds: f64) {
    let docs = docs::decode_docs(Scale::FULL);
    let real;
    type Decode = Box<dyn Fn(&[u8])>;
    let (bytes, decode): (&[u8], Decode) = if let Some(doc) = docs.iter().find(|d| d.root == root) {
        let decode = decoder(doc.root);
        let root = doc.root;
        (
            &doc.bytes,
            Box::new(move |b| drop(black_box(decode(root, b).ok()))),
        )
    } else {
        // The real document of that root, or OPERATION=FILE (as
        // `--count-decode` does).
        let Some(doc) = real_doc(root) else {
            return;
        };
        real = doc;
        let doc = &real;
        let op = doc.operation;
        (
            &doc.bytes,
            Box::new(move |b| drop(black_box(counted_decode_real(op, b)))),
        )
    };
    let started = std::time::Instant::now();
    let mut n = 0usize;
    while started.elapsed().as_secs_f64() < seconds {
        decode(black_box(bytes));
        n += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{root}: {n} decodes of {} bytes, {:.1} MB/s",
        bytes.len(),
        mb_per_s(bytes.len() * n, secs)
    );
}

/// `--cold-decode OPERATION=FILE N`: the decode of one real document when
/// its code and data are no longer in the core's caches, as in a call that
/// follows a wait for the network (another vCPU's work, the kernel and the
/// TLS stack run in between). Before each of N timed decodes, the other
/// recorded documents are decoded (other code) and 8 MB are swept (the
/// core's L2 holds 2 MB); prints the median time of the timed decode, and
/// of the same decode repeated at once (warm). Every other round reads the
/// body once after the sweep, as the kernel's copy from the socket leaves
/// it in the e2e part: that figure is the cost of cold code and allocator
/// state alone.
pub fn cold(root: &str, n: usize) {
    let Some(target) = real_doc(root) else {
        return;
    };
    let others: Vec<_> = crate::real::real_docs(&crate::workspace_root())
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.operation != target.operation && d.bytes.len() < 200_000)
        .collect();
    let mut sweep = vec![0u64; 1 << 20];
    // One decode of the target, in µs.
    let time_decode = || {
        let started = std::time::Instant::now();
        drop(black_box(counted_decode_real(
            target.operation,
            black_box(&target.bytes),
        )));
        started.elapsed().as_secs_f64() * 1e6
    };
    let (mut cold, mut body_warm, mut warm) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..2 * n {
        for doc in &others {
            drop(black_box(counted_decode_real(doc.operation, &doc.bytes)));
        }
        for (i, w) in sweep.iter_mut().enumerate() {
            *w = w.wrapping_add(i as u64 ^ round as u64);
        }
        black_box(&sweep);
        let warm_body = round % 2 == 1;
        if warm_body {
            black_box(target.bytes.iter().fold(0u8, |a, &b| a ^ b));
        }
        let first = time_decode();
        let again = time_decode();
        if round > 1 {
            if warm_body { &mut body_warm } else { &mut cold }.push(first);
            warm.push(again);
        }
    }
    eprintln!(
        "{root}: decode after other work {:.1} µs, the same with the body read first {:.1} µs, again at once {:.1} µs (medians of {}; {} other documents)",
        crate::stats::median(&cold),
        crate::stats::median(&body_warm),
        crate::stats::median(&warm),
        cold.len(),
        others.len()
    );
}

/// `--count-decode ROOT N`: N decodes, then N raw scans, of the document
/// with that root. Under `valgrind --tool=callgrind`, the inclusive costs of
/// `counted_decode` and `counted_scan` are the instructions of each (the
/// decoded value is freed outside `counted_decode`, as the bench's clock
/// excludes it); bench/NOTES.md gives the command.
pub fn count(root: &str, n: usize) {
    let docs = docs::decode_docs(Scale::FULL);
    let Some(doc) = docs.iter().find(|d| d.root == root) else {
        return count_real(root, n);
    };
    let decode = decoder(doc.root);
    for _ in 0..n {
        let v = counted_decode(decode, doc.root, black_box(&doc.bytes));
        assert!(v.is_some(), "{root} does not decode");
        drop(v);
    }
    for _ in 0..n {
        black_box(counted_scan(black_box(&doc.bytes)));
    }
    eprintln!("{root}: {n} decodes and scans of {} bytes", doc.bytes.len());
    report_calls(|| counted_decode(decode, doc.root, black_box(&doc.bytes)));
}

/// Prints the allocator calls of one more decode, `decode` (outside the
/// counted loops, so the instruction counts are not changed), and of
/// freeing its value.
fn report_calls(decode: impl FnOnce() -> Option<Box<dyn Any>>) {
    let (value, calls) = calls_during(decode);
    let (_, dropped) = calls_during(|| drop(value));
    eprintln!(
        "allocator calls of one decode: {} allocations, {} reallocations, {} frees \
         (temporaries); freeing the value: {} frees (the harness boxes each value: \
         one allocation and one free of these are the box)",
        calls.allocs, calls.reallocs, calls.frees, dropped.frees
    );
}

/// `--count-decode` of the real document whose root element is `root`, or
/// of a response body in a file: `OPERATION=FILE` (as the e2e part saves
/// them with `ASM_BENCH_SAVE_BODIES=DIR`).
fn count_real(root: &str, n: usize) {
    let Some(doc) = real_doc(root) else {
        return;
    };
    for _ in 0..n {
        let v = counted_decode_real(doc.operation, black_box(&doc.bytes));
        assert!(v.is_some(), "{root} does not decode");
        drop(v);
    }
    for _ in 0..n {
        black_box(counted_scan(black_box(&doc.bytes)));
    }
    eprintln!(
        "{}: {n} decodes and scans of {} bytes",
        doc.name,
        doc.bytes.len()
    );
    report_calls(|| counted_decode_real(doc.operation, black_box(&doc.bytes)));
}

/// The real document whose root element is `root`, or a response body in
/// a file: `OPERATION=FILE`; `None` (and why, on stderr) if there is none.
fn real_doc(root: &str) -> Option<crate::real::RealDoc> {
    let doc = match root.split_once('=') {
        Some((operation, file)) => match std::fs::read(file) {
            Ok(bytes) => {
                let doc = crate::real::RealDoc::from_file(operation, file, bytes);
                if doc.is_none() {
                    eprintln!("no operation {operation} in the spec");
                }
                return doc;
            }
            Err(e) => {
                eprintln!("cannot read {file}: {e}");
                return None;
            }
        },
        None => crate::real::real_docs(&crate::workspace_root())
            .unwrap_or_default()
            .into_iter()
            .find(|d| d.root == root),
    };
    if doc.is_none() {
        eprintln!("no synthetic or real document with root {root}");
    }
    doc
}

/// `--survey-decode [MIN_BYTES]`: the decode against the raw scan for the
/// largest recorded body of every response type of at least `min_bytes`
/// (default 2,048), worst first: where the benchmark's documents do not
/// reach, the types whose decode falls behind the scan.
pub fn survey(min_bytes: usize) -> std::process::ExitCode {
    let docs = match crate::real::real_docs_of(&crate::workspace_root(), min_bytes) {
        Ok(docs) => docs,
        Err(e) => {
            eprintln!("survey-decode: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let budget = Budget::new(5, 5000, 0.3);
    let mut rows: Vec<(f64, &crate::real::RealDoc, f64)> = docs
        .iter()
        .map(|doc| {
            let bytes = &doc.bytes[..];
            let decode = |b: &[u8]| azure_asm::server::decode_response(doc.operation, b);
            let (rust, scan) = time_paired(
                budget,
                || decode(black_box(bytes)),
                || raw_scan(black_box(bytes)),
            );
            let rust_mb_s = mb_per_s(bytes.len(), median(&rust));
            (
                rust_mb_s / mb_per_s(bytes.len(), median(&scan)),
                doc,
                rust_mb_s,
            )
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("| document | bytes | decode MB/s | decode / scan | source |");
    println!("|---|---:|---:|---:|---|");
    for (ratio, doc, mb_s) in rows {
        println!(
            "| {} | {} | {mb_s:.1} | {ratio:.2}× | `{}` |",
            doc.name,
            doc.bytes.len(),
            doc.source
        );
    }
    std::process::ExitCode::SUCCESS
}

#[inline(never)]
fn counted_decode_real(operation: &str, bytes: &[u8]) -> Option<Box<dyn Any>> {
    azure_asm::server::decode_response(operation, bytes)?.ok()
}

#[inline(never)]
fn counted_decode(decode: DecodeFn, root: &'static str, bytes: &[u8]) -> Option<Box<dyn Any>> {
    decode(root, bytes).ok().map(|(v, _)| v)
}

#[inline(never)]
fn counted_scan(bytes: &[u8]) -> usize {
    raw_scan(bytes)
}

//! Part 5: build cost — codegen wall time (in process: `asm_codegen::load`
//! and `generate`, what `cargo xtask codegen` does before writing), a cold
//! release build of the client crate, and generated lines per operation.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use serde::Serialize;

use crate::stats::median;
use crate::Opts;

/// Part 5 figures.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub codegen_seconds: f64,
    pub codegen_runs: usize,
    pub cold_build_seconds: Option<f64>,
    /// "measured now", "last measured on DATE (quick run)", "skipped (quick)", or why it failed.
    pub cold_build_note: String,
    /// When the cold-build figure was measured (YYYY-MM-DD).
    pub cold_build_date: Option<String>,
    pub generated_lines: usize,
    pub generated_files: usize,
    pub operations: usize,
    pub structs: usize,
    pub enums: usize,
    pub lines_per_operation: f64,
}

/// The marker the report keeps the last cold-build figure under.
pub const COLD_MARKER: &str = "<!-- cold-build-seconds:";

pub fn run(opts: &Opts) -> BuildReport {
    let spec_dir = opts.root.join("spec");
    let runs = if opts.quick { 3 } else { 7 };
    let mut secs = Vec::new();
    let mut counts = (0, 0, 0);
    for _ in 0..runs {
        let t = Instant::now();
        let spec = asm_codegen::load(&spec_dir).unwrap_or_else(|errors| {
            panic!(
                "spec errors: {}",
                errors
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        });
        let files = asm_codegen::generate(&spec).expect("codegen");
        secs.push(t.elapsed().as_secs_f64());
        std::hint::black_box(&files);
        counts = (spec.operations.len(), spec.structs.len(), spec.enums.len());
    }
    let codegen_seconds = median(&secs);
    eprintln!("build: codegen (load + generate) {codegen_seconds:.3} s (median of {runs})");

    let (generated_files, generated_lines) = count_lines(&opts.root.join("generated/src"));
    let (cold_build_seconds, cold_build_note, cold_build_date) = if opts.quick {
        match last_cold_build(&opts.root.join("docs/BENCHMARKS.md")) {
            Some((s, when)) => (
                Some(s),
                format!("last measured {when}; not re-measured in quick mode"),
                Some(when),
            ),
            None => (None, "skipped (quick)".into(), None),
        }
    } else {
        match cold_build(opts) {
            Ok(s) => (
                Some(s),
                "measured in this run".into(),
                Some(crate::report::today()),
            ),
            Err(e) => (None, format!("failed: {e}"), None),
        }
    };
    BuildReport {
        codegen_seconds,
        codegen_runs: runs,
        cold_build_seconds,
        cold_build_note,
        cold_build_date,
        generated_lines,
        generated_files,
        operations: counts.0,
        structs: counts.1,
        enums: counts.2,
        lines_per_operation: generated_lines as f64 / counts.0.max(1) as f64,
    }
}

fn count_lines(dir: &Path) -> (usize, usize) {
    let mut files = 0;
    let mut lines = 0;
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "rs") {
                if let Ok(text) = std::fs::read_to_string(&p) {
                    files += 1;
                    lines += text.lines().count();
                }
            }
        }
    }
    (files, lines)
}

/// `cargo build --release -p azure-asm` in a fresh target directory.
fn cold_build(opts: &Opts) -> Result<f64, String> {
    let dir = opts.out_dir().join("cold");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!(
        "build: cold release build of azure-asm in {} (takes minutes)",
        dir.display()
    );
    let t = Instant::now();
    let out = Command::new(cargo)
        .current_dir(&opts.root)
        .env("CARGO_TARGET_DIR", &dir)
        .args(["build", "--release", "--quiet", "-p", "azure-asm"])
        .output()
        .map_err(|e| e.to_string())?;
    let secs = t.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .last()
            .unwrap_or("")
            .to_owned());
    }
    eprintln!("build: cold release build {secs:.1} s");
    // The build is only a measurement: do not keep ~1 GB around.
    let _ = std::fs::remove_dir_all(&dir);
    Ok(secs)
}

/// The cold-build figure a previous full run left in docs/BENCHMARKS.md:
/// `<!-- cold-build-seconds: 123.4 measured 2025-01-01 -->`.
fn last_cold_build(report: &Path) -> Option<(f64, String)> {
    let text = std::fs::read_to_string(report).ok()?;
    let line = text.lines().find(|l| l.starts_with(COLD_MARKER))?;
    let rest = line
        .strip_prefix(COLD_MARKER)?
        .trim()
        .trim_end_matches("-->")
        .trim();
    let mut parts = rest.splitn(3, ' ');
    let secs: f64 = parts.next()?.parse().ok()?;
    let _ = parts.next();
    let when = parts.next().unwrap_or("earlier").trim().to_owned();
    Some((secs, when))
}

//! `cargo xtask bench [--quick]`: the benchmark harness.
//!
//! One process runs everything it can: decode throughput of the generated
//! types on large generated documents beside a raw quick-xml scan and the
//! Python peer's parser, encode throughput of request bodies, peak memory
//! while decoding, end-to-end calls against the emulator (Rust client,
//! Python client, bare HTTP request), build cost, and the build cost of a
//! synthetic crate of all 440 operations (bench/src/synthetic.rs). It prints
//! a table, writes `docs/BENCHMARKS.md` and `target/bench/summary.json`.
//!
//! Options: `--quick` (shorter runs, no cold build; under 3 minutes once
//! built, plus the synthetic build unless skipped), `--skip-python`,
//! `--skip-e2e`, `--skip-build`, `--skip-synthetic` (or
//! `ASM_SKIP_SYNTHETIC=1`: reports the last measured figures),
//! `--only decode|encode|e2e|build|synthetic`, `--no-write` (print only),
//! `--write-fuzz-seeds DIR`, `--help`; `--profile-decode ROOT SECS` and
//! `--count-decode ROOT N` (bench/NOTES.md: instruction counts) decode one
//! document over and over for a profiler (the latter also prints one
//! decode's allocator calls); `--survey-decode [MIN_BYTES]`
//! sets every recorded response type's largest body against the raw scan; `--split-e2e OPERATION N` splits
//! one connection's call time between pipeline, decode and its knock-on;
//! it and `--count-e2e` run on one thread, or with `ASM_BENCH_RT=multi` on
//! the multi-threaded runtime of the e2e part.
//! `--only synthetic` prints its section and writes
//! `target/bench/synthetic.json`, leaving docs/BENCHMARKS.md and
//! summary.json alone.

mod alloc;
mod buildcost;
mod cores;
mod decode;
mod docs;
mod e2e;
mod python;
mod real;
mod report;
mod stats;
mod synthetic;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Command-line options.
#[derive(Debug, Clone)]
pub struct Opts {
    pub quick: bool,
    pub python: bool,
    pub e2e: bool,
    pub build: bool,
    pub write: bool,
    pub root: PathBuf,
}

impl Opts {
    /// `target/bench` (created).
    pub fn out_dir(&self) -> PathBuf {
        let dir = target_dir(&self.root).join("bench");
        let _ = std::fs::create_dir_all(&dir);
        dir
    }
}

/// The workspace's target directory (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"))
}

pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// What `--help` prints.
const USAGE: &str = "\
usage: asm-bench [--quick] [--skip-python] [--skip-e2e] [--skip-build] [--skip-synthetic]
                 [--only decode|encode|e2e|build|synthetic] [--no-write]
       asm-bench --survey-decode [MIN_BYTES]
       asm-bench --count-decode ROOT|OPERATION=FILE N
       asm-bench --profile-decode ROOT SECS
       asm-bench --cold-decode ROOT|OPERATION=FILE N
       asm-bench --split-e2e OPERATION N
       asm-bench --count-e2e rust|no-decode|bare|hyper OPERATION N
       asm-bench --write-fuzz-seeds DIR
       asm-bench --serve-emulator [--cpus LIST]
Without a diagnostic option it runs the benchmark, prints the table and
writes docs/BENCHMARKS.md and target/bench/summary.json (bench/NOTES.md
says what each figure measures).";

/// Options that take no value, and those followed by values (which are
/// not checked here).
const FLAGS: &[&str] = &[
    "--quick",
    "--skip-python",
    "--skip-e2e",
    "--skip-build",
    "--skip-synthetic",
    "--no-write",
    "--serve-emulator",
    "--cpus",
    "--count-e2e",
    "--split-e2e",
    "--write-fuzz-seeds",
    "--profile-decode",
    "--cold-decode",
    "--survey-decode",
    "--count-decode",
    "--only",
];

/// The parts `--only` selects.
const PARTS: &[&str] = &["decode", "encode", "e2e", "build", "synthetic"];

/// An unknown option or `--only` part, said before anything runs: a typo
/// must not start a quarter-hour run that rewrites docs/BENCHMARKS.md.
fn check_args(args: &[String]) -> Result<(), String> {
    for (i, a) in args.iter().enumerate() {
        if a.starts_with('-') && !FLAGS.contains(&a.as_str()) {
            return Err(format!("unknown option {a}"));
        }
        if a == "--only" {
            match args.get(i + 1) {
                Some(part) if PARTS.contains(&part.as_str()) => {}
                Some(part) => return Err(format!("--only takes one of {PARTS:?}, not {part}")),
                None => return Err(format!("--only takes one of {PARTS:?}")),
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let has = |f: &str| args.iter().any(|a| a == f);
    if has("--help") || has("-h") {
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    if let Err(e) = check_args(&args) {
        eprintln!("asm-bench: {e}\n{USAGE}");
        return ExitCode::from(2);
    }
    if has("--serve-emulator") {
        let cpus = args
            .iter()
            .position(|a| a == "--cpus")
            .and_then(|i| args.get(i + 1));
        return e2e::serve_emulator(cpus.map(String::as_str));
    }
    if let Some(i) = args.iter().position(|a| a == "--count-e2e") {
        // N calls of one client (rust|no-decode|bare|hyper) against an emulator process.
        let kind = args.get(i + 1).map_or("rust", String::as_str);
        let op = args.get(i + 2).map_or("ListLocations", String::as_str);
        let n: usize = args.get(i + 3).and_then(|s| s.parse().ok()).unwrap_or(100);
        return e2e::count_e2e(kind, op, n);
    }
    if let Some(i) = args.iter().position(|a| a == "--split-e2e") {
        // Where one connection's call time goes (bench/NOTES.md).
        let op = args.get(i + 1).map_or("ListLocations", String::as_str);
        let n: usize = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(300);
        return e2e::split_e2e(op, n);
    }
    if let Some(i) = args.iter().position(|a| a == "--write-fuzz-seeds") {
        let Some(dir) = args.get(i + 1) else {
            eprintln!("--write-fuzz-seeds needs a directory");
            return ExitCode::from(2);
        };
        return match decode::write_fuzz_seeds(Path::new(dir)) {
            Ok(n) => {
                eprintln!("wrote {n} seeds to {dir}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("cannot write seeds: {e}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(i) = args.iter().position(|a| a == "--profile-decode") {
        // Decodes one document in a loop (for perf / callgrind).
        let root = args.get(i + 1).map_or("HostedService", String::as_str);
        let secs: f64 = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(5.0);
        decode::profile(root, secs);
        return ExitCode::SUCCESS;
    }
    if let Some(i) = args.iter().position(|a| a == "--cold-decode") {
        // One decode after other work has taken the caches (bench/NOTES.md).
        let root = args.get(i + 1).map_or("Locations", String::as_str);
        let n: usize = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(200);
        decode::cold(root, n);
        return ExitCode::SUCCESS;
    }
    if let Some(i) = args.iter().position(|a| a == "--survey-decode") {
        // Every recorded response type's largest body against the raw scan.
        let min: usize = args.get(i + 1).and_then(|s| s.parse().ok()).unwrap_or(2048);
        return decode::survey(min);
    }
    if let Some(i) = args.iter().position(|a| a == "--count-decode") {
        // N decodes and N raw scans of one document, each in a function of
        // its own, for instruction counts (`valgrind --tool=callgrind`).
        let root = args.get(i + 1).map_or("HostedService", String::as_str);
        let n: usize = args.get(i + 2).and_then(|s| s.parse().ok()).unwrap_or(1);
        decode::count(root, n);
        return ExitCode::SUCCESS;
    }
    let only = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let opts = Opts {
        quick: has("--quick"),
        python: !has("--skip-python"),
        e2e: !has("--skip-e2e") && wants("e2e"),
        build: !has("--skip-build") && wants("build"),
        write: !has("--no-write"),
        root: workspace_root(),
    };
    let started = std::time::Instant::now();
    eprintln!(
        "asm-bench: {} run from {}",
        if opts.quick { "quick" } else { "full" },
        opts.root.display()
    );

    let mut summary = report::Summary::new(&opts);
    if wants("decode") {
        summary.decode = decode::run_decode(&opts);
    }
    if wants("encode") {
        summary.encode = decode::run_encode(&opts);
    }
    if opts.e2e {
        summary.e2e = e2e::run(&opts);
    }
    if opts.build {
        summary.build = Some(buildcost::run(&opts));
    }
    if wants("synthetic") {
        let skip = has("--skip-synthetic")
            || std::env::var("ASM_SKIP_SYNTHETIC").is_ok_and(|v| !v.is_empty() && v != "0");
        summary.synthetic = Some(synthetic::run(&opts, skip));
    }
    summary.total_seconds = started.elapsed().as_secs_f64();

    if only.as_deref() == Some("synthetic") {
        // Re-measuring this part alone: print it, keep the full report as it is.
        println!("{}", summary.synthetic_section());
        if opts.write {
            let path = opts.out_dir().join("synthetic.json");
            let json = serde_json::to_string_pretty(&summary.synthetic_json()).unwrap_or_default();
            if let Err(e) = std::fs::write(&path, json + "\n") {
                eprintln!("cannot write {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
            eprintln!("asm-bench: wrote {}", path.display());
        }
        eprintln!(
            "asm-bench: done in {:.1} s",
            started.elapsed().as_secs_f64()
        );
        return ExitCode::SUCCESS;
    }

    let text = summary.render_markdown();
    println!("{text}");
    if opts.write {
        if let Err(e) = summary.write(&opts, &text) {
            eprintln!("cannot write the report: {e}");
            return ExitCode::FAILURE;
        }
    }
    eprintln!(
        "asm-bench: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::check_args;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn known_options_pass_and_typos_are_refused_before_anything_runs() {
        assert!(check_args(&args(&[])).is_ok());
        assert!(check_args(&args(&["--quick", "--only", "e2e", "--no-write"])).is_ok());
        assert!(check_args(&args(&["--count-decode", "Locations=/tmp/x.xml", "20"])).is_ok());
        assert!(check_args(&args(&["--survey-decode", "4096"])).is_ok());
        let err = check_args(&args(&["--quik"])).unwrap_err();
        assert!(err.contains("--quik"), "{err}");
        assert!(check_args(&args(&["--only", "decoder"])).is_err());
        assert!(check_args(&args(&["--only"])).is_err());
    }

    /// Every option `main` looks for is one `check_args` lets through (the
    /// list and the parsing are kept apart; this holds them together).
    #[test]
    fn every_option_main_reads_is_known() {
        let source = include_str!("main.rs");
        let code = source.split("#[cfg(test)]").next().unwrap_or(source);
        let mut seen = 0;
        for piece in code.split('"').skip(1).step_by(2) {
            if piece.starts_with("--") && piece.len() > 2 && !piece.contains([' ', '\n']) {
                seen += 1;
                assert!(
                    piece == "--help" || super::FLAGS.contains(&piece),
                    "{piece} is read by main but refused by check_args"
                );
            }
        }
        assert!(seen > super::FLAGS.len(), "only {seen} options found");
    }
}

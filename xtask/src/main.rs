//! `cargo xtask codegen [--check]`, `cargo xtask spec operations`,
//! `cargo xtask bench [--quick] [--only synthetic] [--skip-synthetic]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn usage() -> ExitCode {
    eprintln!(
        "usage:\n  cargo xtask codegen [--check] [--spec DIR] [--out DIR]\n  cargo xtask spec operations [--spec DIR]\n  cargo xtask bench [--quick] [--skip-python] [--skip-e2e] [--skip-build] [--skip-synthetic]\n                    [--only decode|encode|e2e|build|synthetic] [--no-write]"
    );
    ExitCode::from(2)
}

fn load(spec_dir: &Path) -> Result<asm_codegen::Spec, ExitCode> {
    asm_codegen::load(spec_dir).map_err(|errors| {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("{} spec error(s)", errors.len());
        ExitCode::FAILURE
    })
}

fn flag_value(args: &[String], flag: &str) -> Option<PathBuf> {
    args.iter()
        .position(|a| a == flag)
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spec_dir = flag_value(&args, "--spec").unwrap_or_else(|| root().join("spec"));
    match args.first().map(String::as_str) {
        Some("codegen") => {
            let out = flag_value(&args, "--out").unwrap_or_else(|| root().join("generated"));
            let started = std::time::Instant::now();
            let spec = match load(&spec_dir) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let files = match asm_codegen::generate(&spec) {
                Ok(f) => f,
                Err(e) => {
                    eprintln!("codegen failed: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if args.iter().any(|a| a == "--check") {
                let problems = asm_codegen::check(&out, &files);
                if problems.is_empty() {
                    eprintln!(
                        "generated/ is up to date ({} files, {} operations)",
                        files.len(),
                        spec.operations.len()
                    );
                    ExitCode::SUCCESS
                } else {
                    for p in &problems {
                        eprintln!("{p}");
                    }
                    eprintln!("generated code is out of date: run `cargo xtask codegen`");
                    ExitCode::FAILURE
                }
            } else {
                if let Err(e) = asm_codegen::write(&out, &files) {
                    eprintln!("cannot write {}: {e}", out.display());
                    return ExitCode::FAILURE;
                }
                eprintln!(
                    "wrote {} files for {} operations, {} structs, {} enums in {:.2?}",
                    files.len(),
                    spec.operations.len(),
                    spec.structs.len(),
                    spec.enums.len(),
                    started.elapsed()
                );
                ExitCode::SUCCESS
            }
        }
        Some("spec") if args.get(1).map(String::as_str) == Some("operations") => {
            match load(&spec_dir) {
                Ok(spec) => {
                    print!("{}", asm_codegen::operations_table(&spec));
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            }
        }
        Some("bench") => bench(&args[1..]),
        _ => usage(),
    }
}

/// `cargo xtask bench [--quick] [...]`: builds and runs the `asm-bench` harness in
/// release mode (see bench/src/main.rs for the options); it prints the table
/// and writes docs/BENCHMARKS.md and target/bench/summary.json
/// (`--only synthetic`: the synthetic 440-operation build cost alone).
fn bench(rest: &[String]) -> ExitCode {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .current_dir(root())
        .args(["run", "--release", "--quiet", "-p", "asm-bench", "--"])
        .args(rest)
        .status();
    match status {
        Ok(s) if s.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("cannot run cargo: {e}");
            ExitCode::FAILURE
        }
    }
}

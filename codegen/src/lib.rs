//! The generator: `spec/*.spec` → `generated/`.
//!
//! [`load`] parses and validates a spec directory into a [`model::Spec`];
//! [`generate`] turns it into files; [`write()`] and [`check`] put them on disk
//! or compare them with what is there. `cargo xtask codegen` is a thin driver.

pub mod emit;
pub mod model;
pub mod parse;
pub mod validate;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

pub use model::{Spec, SpecError};

/// Loads every `*.spec` file of `dir` (sorted by name) and validates the
/// result. Errors read `spec/file.spec:LINE: message (`name`)`.
pub fn load(dir: &Path) -> Result<Spec, Vec<SpecError>> {
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "spec"))
            .collect(),
        Err(e) => {
            return Err(vec![SpecError {
                loc: model::Loc {
                    file: dir.display().to_string(),
                    line: 0,
                },
                message: format!("cannot read the spec directory: {e}"),
                name: String::new(),
            }])
        }
    };
    entries.sort();
    let prefix = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spec".into());
    let mut spec = Spec::default();
    let mut errors = Vec::new();
    for path in entries {
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let shown = format!(
            "{prefix}/{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        let area_ok = stem
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && stem.starts_with(|c: char| c.is_ascii_lowercase());
        if !area_ok || ["lib", "server", "cli"].contains(&stem.as_str()) {
            errors.push(SpecError {
                loc: model::Loc {
                    file: shown,
                    line: 0,
                },
                message:
                    "spec file names must be lower_snake_case area names (not `lib`, `server` or `cli`)"
                        .into(),
                name: stem,
            });
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                if let Err(e) = parse::parse_file(&mut spec, &shown, &stem, &text) {
                    errors.push(e);
                    continue;
                }
                spec.areas.push(stem);
            }
            Err(e) => errors.push(SpecError {
                loc: model::Loc {
                    file: shown,
                    line: 0,
                },
                message: format!("cannot read: {e}"),
                name: String::new(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    validate::validate(&mut spec)?;
    Ok(spec)
}

/// Parses and validates spec files given as (area, text) pairs, as
/// [`load`] does for a directory (the emulator loads the embedded spec so).
pub fn load_texts(files: &[(&str, &str)]) -> Result<Spec, Vec<SpecError>> {
    let mut sorted = files.to_vec();
    sorted.sort();
    let mut spec = Spec::default();
    let mut errors = Vec::new();
    for (area, text) in sorted {
        let shown = format!("spec/{area}.spec");
        match parse::parse_file(&mut spec, &shown, area, text) {
            Ok(()) => spec.areas.push(area.to_owned()),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    validate::validate(&mut spec)?;
    Ok(spec)
}

/// The generated files for `spec`: (path relative to `generated/`, text).
pub fn generate(spec: &Spec) -> Result<Vec<emit::File>, String> {
    emit::generate(spec)
}

/// Rewrites `out` to hold exactly `files` (other files under it are removed).
pub fn write(out: &Path, files: &[emit::File]) -> std::io::Result<()> {
    let wanted: BTreeSet<PathBuf> = files.iter().map(|(p, _)| out.join(p)).collect();
    for existing in list_files(out) {
        if !wanted.contains(&existing) {
            std::fs::remove_file(&existing)?;
        }
    }
    for (rel, text) in files {
        let path = out.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            std::fs::write(&path, text)?;
        }
    }
    Ok(())
}

/// Compares `out` with `files`: one line per stale, missing or extra file;
/// empty when `out` is up to date.
pub fn check(out: &Path, files: &[emit::File]) -> Vec<String> {
    let mut problems = Vec::new();
    let wanted: BTreeSet<PathBuf> = files.iter().map(|(p, _)| out.join(p)).collect();
    for (rel, text) in files {
        let path = out.join(rel);
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == *text => {}
            Ok(_) => problems.push(format!("stale: {}", path.display())),
            Err(_) => problems.push(format!("missing: {}", path.display())),
        }
    }
    for existing in list_files(out) {
        if !wanted.contains(&existing) {
            problems.push(format!("extra: {}", existing.display()));
        }
    }
    problems
}

fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// One line per operation: `Name<TAB>METHOD<TAB>/uri/template` (a stable
/// format scripts read).
pub fn operations_table(spec: &Spec) -> String {
    let mut s = String::new();
    for op in &spec.operations {
        let _ = writeln!(s, "{}\t{}\t{}", op.name, op.method, op.uri);
    }
    s
}

//! The Python peer (`azure-servicemanagement-legacy` 0.20.8), installed from
//! PyPI into `target/bench/venv` on first use.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Opts;

/// The peer's package and version.
pub const PEER: &str = "azure-servicemanagement-legacy==0.20.8";

/// The venv's python, with the peer installed (created on first use).
pub fn ensure_venv(opts: &Opts) -> Result<PathBuf, String> {
    let venv = opts.out_dir().join("venv");
    let py = venv.join("bin").join("python");
    let ready = |py: &Path| {
        Command::new(py)
            .args(["-c", "import azure.servicemanagement"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if py.exists() && ready(&py) {
        return Ok(py);
    }
    let system = ["python3", "python"]
        .into_iter()
        .find(|p| {
            Command::new(p)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .ok_or("no python3 on PATH")?;
    eprintln!("python: creating {} and installing {PEER}", venv.display());
    let out = Command::new(system)
        .args(["-m", "venv"])
        .arg(&venv)
        .output()
        .map_err(|e| format!("python3 -m venv: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python3 -m venv failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let out = Command::new(&py)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            PEER,
        ])
        .output()
        .map_err(|e| format!("pip: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "pip install {PEER} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    if ready(&py) {
        Ok(py)
    } else {
        Err(format!("{PEER} installed but does not import"))
    }
}

/// Runs `script first args...` and returns its stdout lines.
pub fn run_script(
    py: &Path,
    script: &Path,
    first: &str,
    args: &[String],
) -> Result<Vec<String>, String> {
    let out = Command::new(py)
        .arg(script)
        .arg(first)
        .args(args)
        .output()
        .map_err(|e| format!("{}: {e}", script.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} failed: {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|l| !l.trim().is_empty())
        .collect())
}

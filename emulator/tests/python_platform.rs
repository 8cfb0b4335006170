//! The real Python peer clients of `azure-servicemanagement-legacy` 0.20.8
//! for the platform services (SQL Database, Service Bus, Web Sites,
//! Scheduler) against the `asm-emulator` binary:
//! `tests/python/peer_platform.py` drives each client and checks the
//! outcomes.
//!
//! The test installs the peer into a virtual environment under the target
//! directory (kept between runs, shared with `python_peer.rs`). If it cannot
//! be installed, the test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const PEER: &str = "azure-servicemanagement-legacy==0.20.8";

fn venv_python() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("py-peer-venv");
    let python = venv.join("bin").join("python");
    let installed = python.exists()
        && Command::new(&python)
            .args(["-c", "import azure.servicemanagement, requests"])
            .status()
            .is_ok_and(|s| s.success());
    if installed {
        return python;
    }
    let status = Command::new("python3")
        .args(["-m", "venv"])
        .arg(&venv)
        .status()
        .expect("python3 must be installed to run the Python peer test");
    assert!(status.success(), "python3 -m venv failed: {status:?}");
    let out = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            PEER,
        ])
        .output()
        .expect("run pip");
    assert!(
        out.status.success(),
        "pip install {PEER} failed (the registry must be reachable):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    python
}

#[test]
fn python_peer_platform_services() {
    let python = venv_python();
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &["--async-delay-ms", "150"]);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/peer_platform.py");
    let started = std::time::Instant::now();
    let out = Command::new(&python)
        .arg(&script)
        .env("ASM_EMULATOR", &emu.line)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the platform scenario");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the Python peer platform scenario failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    println!("scenario took {:?}", started.elapsed());
    assert!(emu.terminate().success());
}

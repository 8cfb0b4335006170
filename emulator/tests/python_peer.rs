//! The real Python peer client, `azure-servicemanagement-legacy` 0.20.8 from
//! PyPI, against the `asm-emulator` binary: `tests/python/peer_scenario.py`
//! exercises every operation of the slice and checks the outcomes.
//!
//! The test installs the peer into a virtual environment under the target
//! directory (kept between runs). If it cannot be installed, the test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;
use rcgen::PublicKeyData as _;

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
fn python_peer_scenario() {
    let python = venv_python();
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &["--page-size", "5", "--async-delay-ms", "150"]);

    // A second certificate for Add/Delete Management Certificate.
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["python-peer".to_owned()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let extra_pem = dir.path().join("extra.pem");
    std::fs::write(&extra_pem, format!("{}{}", cert.pem(), key.serialize_pem())).unwrap();
    let b64 = &base64::engine::general_purpose::STANDARD;

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/peer_scenario.py");
    let started = std::time::Instant::now();
    let out = Command::new(&python)
        .arg(&script)
        .env("ASM_EMULATOR", &emu.line)
        .env("EXTRA_CERT_PEM", &extra_pem)
        .env("EXTRA_CERT_DER_B64", b64.encode(cert.der()))
        .env(
            "EXTRA_CERT_SPKI_B64",
            b64.encode(key.subject_public_key_info()),
        )
        .env(
            "EXTRA_CERT_THUMBPRINT",
            asm_emulator::thumbprint(cert.der()),
        )
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the scenario");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the Python peer scenario failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    println!("scenario took {:?}", started.elapsed());
    assert!(emu.terminate().success());
}

//! The real Python peer client, `azure-servicemanagement-legacy` 0.20.8 from
//! PyPI, against the `asm-emulator` binary for deployments and virtual
//! machines: `tests/python/peer_compute.py` creates a web/worker role
//! deployment and a virtual machine deployment, adds a data disk and a
//! service certificate (a PFX generated here), reads them back and deletes
//! them, all through the peer's own methods.
//!
//! The test installs the peer into a virtual environment under the target
//! directory (kept between runs, shared with `python_peer.rs`). If it cannot
//! be installed, the test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine as _;

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

/// A self-signed certificate with its key as a PFX: (pfx, certificate DER).
fn pfx(password: &str) -> (Vec<u8>, Vec<u8>) {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["python-compute.test".to_owned()]).unwrap();
    let key = p12_keystore::PrivateKey::from_der(&signing_key.serialize_der()).unwrap();
    let c = p12_keystore::Certificate::from_der(cert.der()).unwrap();
    let mut store = p12_keystore::KeyStore::new();
    store.add_entry(
        "svc",
        p12_keystore::KeyStoreEntry::PrivateKeyChain(p12_keystore::PrivateKeyChain::new(
            "key-1",
            key,
            [c],
        )),
    );
    let bytes = store
        .writer(password)
        .encryption_iterations(2048)
        .mac_iterations(2048)
        .write()
        .unwrap();
    (bytes, cert.der().to_vec())
}

#[test]
fn python_peer_compute() {
    let python = venv_python();
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &["--async-delay-ms", "100"]);
    let password = "Py-Pfx-Passw0rd";
    let (pfx, der) = pfx(password);
    let b64 = &base64::engine::general_purpose::STANDARD;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/python/peer_compute.py");
    let out = Command::new(&python)
        .arg(&script)
        .env("ASM_EMULATOR", &emu.line)
        .env("PFX_B64", b64.encode(&pfx))
        .env("PFX_PASSWORD", password)
        .env("PFX_THUMBPRINT", asm_emulator::thumbprint(&der))
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .expect("run the scenario");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the Python peer compute scenario failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
    assert!(emu.terminate().success());
}

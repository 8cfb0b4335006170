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

use base64::Engine as _;

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
    let python = common::python_peer_venv("py-peer-venv");
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &["--async-delay-ms", "100"]);
    let password = "Py-Pfx-Passw0rd";
    let (pfx, der) = pfx(password);
    let b64 = &base64::engine::general_purpose::STANDARD;
    let out = common::python_peer_command(&python, "peer_compute.py", &emu)
        .env("PFX_B64", b64.encode(&pfx))
        .env("PFX_PASSWORD", password)
        .env("PFX_THUMBPRINT", asm_emulator::thumbprint(&der))
        .output()
        .expect("run the scenario");
    common::assert_peer_passed(&out, "Python peer compute scenario");
    assert!(emu.terminate().success());
}

//! The real Python peer client, `azure-servicemanagement-legacy` 0.20.8 from
//! PyPI, against the `asm-emulator` binary: `tests/python/peer_scenario.py`
//! exercises every operation of the slice and checks the outcomes.
//!
//! The test installs the peer into a virtual environment under the target
//! directory (kept between runs). If it cannot be installed, the test fails.

mod common;

use base64::Engine as _;
use rcgen::PublicKeyData as _;

#[test]
fn python_peer_scenario() {
    let python = common::python_peer_venv("py-peer-venv");
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

    let started = std::time::Instant::now();
    let out = common::python_peer_command(&python, "peer_scenario.py", &emu)
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
        .output()
        .expect("run the scenario");
    common::assert_peer_passed(&out, "Python peer scenario");
    println!("scenario took {:?}", started.elapsed());
    assert!(emu.terminate().success());
}

//! The official Node.js classic clients (`azure-asm-network` 0.13.1,
//! `azure-asm-trafficmanager` 0.10.4, `azure-common` 0.9.27 from npm)
//! against the `asm-emulator` binary: `tests/node/network_scenario.js` sets
//! the network configuration, lists the virtual network sites, creates a
//! network security group with a rule and associates it with a subnet,
//! creates a route table on a subnet and a Traffic Manager profile with a
//! definition, asserting the results in JavaScript.
//!
//! The emulator's certificates are generated at test time (its data
//! directory): Node trusts its CA through `NODE_EXTRA_CA_CERTS` and
//! presents the management certificate through azure-common's
//! `CertificateCloudCredentials`. The clients are installed with
//! `npm install` under the target directory (kept between runs). The test
//! is skipped only when `node` or `npm` is not on the PATH; if the install
//! fails, it fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether `program --version` runs.
fn available(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// `npm install`s `tests/node/package.json` into a directory under the
/// target directory; returns its `node_modules`.
fn install_clients() -> PathBuf {
    let source = common::peer_script("node/package.json");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("node-peer");
    std::fs::create_dir_all(&dir).unwrap();
    let wanted = std::fs::read(&source).expect("tests/node/package.json");
    let modules = dir.join("node_modules");
    let same_manifest = std::fs::read(dir.join("package.json")).is_ok_and(|have| have == wanted);
    let loads = |modules: &Path| {
        Command::new("node")
            .args([
                "-e",
                "require('azure-asm-network'); require('azure-asm-trafficmanager'); require('azure-common')",
            ])
            .env("NODE_PATH", modules)
            .status()
            .is_ok_and(|s| s.success())
    };
    if same_manifest && loads(&modules) {
        return modules;
    }
    std::fs::write(dir.join("package.json"), &wanted).unwrap();
    common::install(
        Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--no-package-lock",
                "--loglevel",
                "error",
            ])
            .current_dir(&dir),
        "npm install",
    );
    assert!(loads(&modules), "the installed clients do not load");
    modules
}

/// Splits a PEM holding a certificate and its private key into the two.
fn split_pem(pem: &str) -> (String, String) {
    let mut cert = String::new();
    let mut key = String::new();
    let mut current: Option<bool> = None;
    for line in pem.lines() {
        if line.starts_with("-----BEGIN ") {
            current = Some(line.contains("PRIVATE KEY"));
        }
        match current {
            Some(true) => {
                key.push_str(line);
                key.push('\n');
            }
            Some(false) => {
                cert.push_str(line);
                cert.push('\n');
            }
            None => {}
        }
        if line.starts_with("-----END ") {
            current = None;
        }
    }
    (cert, key)
}

#[test]
fn node_peer_network_scenario() {
    for program in ["node", "npm"] {
        if !available(program) {
            println!("SKIPPED: `{program}` is not on the PATH; the Node.js peer test needs Node.js and npm");
            return;
        }
    }
    let modules = install_clients();
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &["--async-delay-ms", "150"]);

    let combined = std::fs::read_to_string(&emu.client_cert).expect("client.pem");
    let (cert, key) = split_pem(&combined);
    assert!(cert.contains("CERTIFICATE") && key.contains("PRIVATE KEY"));
    let cert_path = dir.path().join("node-cert.pem");
    let key_path = dir.path().join("node-key.pem");
    std::fs::write(&cert_path, cert).unwrap();
    std::fs::write(&key_path, key).unwrap();

    let script = common::peer_script("node/network_scenario.js");
    let started = std::time::Instant::now();
    let out = Command::new("node")
        .arg(&script)
        .env("ASM_ENDPOINT", &emu.endpoint)
        .env("ASM_SUBSCRIPTION_ID", &emu.subscription_id)
        .env("ASM_CERT_PEM", &cert_path)
        .env("ASM_KEY_PEM", &key_path)
        .env("NODE_EXTRA_CA_CERTS", &emu.ca)
        .env("NODE_PATH", &modules)
        // Loopback only: no proxy for the emulator.
        .env_remove("HTTP_PROXY")
        .env_remove("HTTPS_PROXY")
        .env_remove("http_proxy")
        .env_remove("https_proxy")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .expect("run node");
    common::assert_peer_passed(&out, "Node.js peer scenario");
    println!("scenario took {:?}", started.elapsed());
    assert!(emu.terminate().success());
}

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

#[test]
fn python_peer_platform_services() {
    let python = common::python_peer_venv("py-peer-venv");
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &["--async-delay-ms", "150"]);
    let started = std::time::Instant::now();
    let out = common::python_peer_command(&python, "peer_platform.py", &emu)
        .output()
        .expect("run the platform scenario");
    common::assert_peer_passed(&out, "Python peer platform scenario");
    println!("scenario took {:?}", started.elapsed());
    assert!(emu.terminate().success());
}

//! The real Python peer client, `azure-servicemanagement-legacy` 0.20.8 from
//! PyPI, against the `asm-emulator` binary: `tests/python/peer_images.py`
//! drives OS images, role sizes, guest operating systems and reserved IP
//! addresses with the peer's own methods and checks the outcomes.
//!
//! The test installs the peer into its own virtual environment under the
//! target directory (kept between runs). If it cannot be installed, the
//! test fails.

mod common;

#[test]
fn python_peer_images() {
    let python = common::python_peer_venv("py-peer-images-venv");
    let dir = tempfile::tempdir().unwrap();
    let emu = common::spawn(dir.path(), &["--async-delay-ms", "100"]);
    let out = common::python_peer_command(&python, "peer_images.py", &emu)
        .output()
        .expect("run the script");
    common::assert_peer_passed(&out, "Python peer images script");
    assert!(emu.terminate().success());
}

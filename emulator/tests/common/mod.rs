//! Spawning the `asm-emulator` binary the way an outside script does, and
//! running the peer clients' scripts (`tests/python`, `tests/node`) against it.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// A spawned emulator and the JSON line it printed.
pub struct Spawned {
    pub child: Child,
    pub line: String,
    pub endpoint: String,
    pub subscription_id: String,
    pub ca: String,
    pub client_cert: String,
}

/// Starts `asm-emulator --listen 127.0.0.1:0 --data-dir DIR ARGS...` and
/// reads its JSON line (waits at most 30 s).
pub fn spawn(data_dir: &Path, args: &[&str]) -> Spawned {
    let mut child = Command::new(env!("CARGO_BIN_EXE_asm-emulator"))
        .arg("--listen")
        .arg("127.0.0.1:0")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn asm-emulator");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let line = match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(line) if !line.trim().is_empty() => line.trim().to_owned(),
        other => {
            let _ = child.kill();
            panic!("asm-emulator printed no JSON line: {other:?}");
        }
    };
    let v: serde_json::Value = serde_json::from_str(&line).expect("JSON line");
    let field = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("no {k} in {line}"))
            .to_owned()
    };
    Spawned {
        endpoint: field("endpoint"),
        subscription_id: field("subscription_id"),
        ca: field("ca"),
        client_cert: field("client_cert"),
        line,
        child,
    }
}

impl Spawned {
    /// SIGTERM, then waits (at most 20 s) for the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        for _ in 0..400 {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        panic!("asm-emulator did not exit after SIGTERM");
    }

    /// SIGKILL (`kill -9`), at once.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// A client of the first subscription.
    pub fn client(&self) -> azure_asm::Client {
        azure_asm::Client::builder()
            .subscription_id(&self.subscription_id)
            .credentials(
                azure_asm::Credentials::from_pem_file(&self.client_cert).expect("client.pem"),
            )
            .endpoint(&self.endpoint)
            .add_root_certificate_pem(&std::fs::read(&self.ca).expect("ca.pem"))
            .expect("ca")
            .build()
            .expect("client")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The Python peer client the `python_*` tests drive, from PyPI.
pub const PYTHON_PEER: &str = "azure-servicemanagement-legacy==0.20.8";

/// The `python` of the virtual environment `name` under the target
/// directory, with [`PYTHON_PEER`] installed: made and installed on first
/// use, kept between runs. Fails the test if it cannot be installed.
pub fn python_peer_venv(name: &str) -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
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
    install(
        Command::new(&python).args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "-q",
            PYTHON_PEER,
        ]),
        &format!("pip install {PYTHON_PEER}"),
    );
    python
}

/// Runs a package installer (`what` names it in a failure); fails the test,
/// with the installer's output, if it does not succeed.
#[track_caller]
pub fn install(command: &mut Command, what: &str) {
    let out = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed (the package registry must be reachable):\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A file of the peer clients' scripts under the workspace's `tests/`, e.g.
/// `python/peer_images.py` or `node/package.json`.
pub fn peer_script(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests")
        .join(path)
}

/// `python` running the peer script `tests/python/{script}` against `emu`
/// (its JSON line in `ASM_EMULATOR`), without writing bytecode; the caller
/// adds the script's other inputs and runs it.
pub fn python_peer_command(python: &Path, script: &str, emu: &Spawned) -> Command {
    let mut command = Command::new(python);
    command
        .arg(peer_script(&format!("python/{script}")))
        .env("ASM_EMULATOR", &emu.line)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    command
}

/// Checks the output of a peer script (`what` names it in a failure): it
/// exited 0 and printed "checks passed". Prints its stdout.
#[track_caller]
pub fn assert_peer_passed(out: &Output, what: &str) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "the {what} failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("checks passed"), "{stdout}");
}

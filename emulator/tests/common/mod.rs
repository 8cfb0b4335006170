//! Spawning the `asm-emulator` binary the way an outside script does.

#![allow(dead_code)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
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

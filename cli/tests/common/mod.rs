//! Running the `asm` binary the way the CLI's integration tests do: with
//! the environment variables it reads removed, so the tests are hermetic.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// The environment variables `asm` reads, removed so tests are hermetic.
pub const ENV: &[&str] = &[
    "RUST_LOG",
    "AZURE_SUBSCRIPTION_ID",
    "AZURE_CERT_PATH",
    "AZURE_PUBLISH_SETTINGS_FILE",
];

/// The `asm` binary under test, without the variables of [`ENV`].
pub fn asm_command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_asm"));
    for var in ENV {
        c.env_remove(var);
    }
    c
}

/// Runs `asm ARGS`.
pub fn asm(args: &[&str]) -> Output {
    asm_command().args(args).output().expect("run asm")
}

/// Runs `asm --emulator-data DIR ARGS`: the embedded emulator keeps its
/// state in `dir`, shared by the processes.
pub fn asm_in(dir: &Path, args: &[&str]) -> Output {
    asm_command()
        .arg("--emulator-data")
        .arg(dir)
        .args(args)
        .output()
        .expect("run asm")
}

/// Output bytes as text (invalid UTF-8 replaced).
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a run printed on stdout.
pub fn stdout(o: &Output) -> String {
    text(&o.stdout)
}

/// What a run printed on stderr.
pub fn stderr(o: &Output) -> String {
    text(&o.stderr)
}

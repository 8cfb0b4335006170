//! End-to-end tests of the `asm` binary against its embedded emulator.

mod common;

use std::process::Output;

use common::{asm, asm_in, stderr, stdout};

/// Words that look like a storage key (long base64).
fn long_base64_words(text: &str) -> Vec<&str> {
    text.split(|c: char| c.is_whitespace())
        .filter(|w| {
            w.len() >= 40
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        })
        .collect()
}

fn assert_no_panic(o: &Output) {
    let err = stderr(o);
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(!err.contains("RUST_BACKTRACE"), "backtrace hint: {err}");
}

#[test]
fn tour_runs_every_step_against_the_embedded_emulator() {
    let o = asm(&["tour"]);
    let out = stdout(&o);
    let err = stderr(&o);
    assert!(o.status.success(), "exit {:?}\n{out}\n{err}", o.status);
    assert!(err.contains("embedded emulator"), "{err}");

    assert!(out.contains("1. List the available locations"), "{out}");
    assert!(out.contains("West US"), "{out}");
    assert!(out.contains("affinity group created (request id "), "{out}");
    assert!(out.contains("cloud service created (request id "), "{out}");
    // The label reads back as plain text, the extended properties too.
    assert!(out.contains("Tour cloud service"), "{out}");
    assert!(out.contains("Owner=asm-tour, Purpose=how-to"), "{out}");
    // Progress of the asynchronous creation: one line per poll, then done.
    let polls: Vec<&str> = out.lines().filter(|l| l.contains("[poll")).collect();
    assert!(!polls.is_empty(), "no progress lines\n{out}");
    assert!(
        polls.last().is_some_and(|l| l.contains("Succeeded")),
        "{out}"
    );
    assert!(
        out.contains("storage account created (status Created)"),
        "{out}"
    );
    // Keys: redacted, never in full.
    assert!(
        out.contains("regenerated the primary key (request id "),
        "{out}"
    );
    assert!(out.contains("primary key changed: yes"), "{out}");
    assert!(out.contains("… (88 chars)"), "{out}");
    assert_eq!(
        long_base64_words(&out),
        Vec::<&str>::new(),
        "a key leaked\n{out}"
    );
    // Operation history, read through the paging stream.
    for op in [
        "CreateAffinityGroup",
        "CreateHostedService",
        "CreateStorageAccount",
        "RegenerateStorageAccountKeys",
    ] {
        assert!(out.contains(op), "{op} missing from the history\n{out}");
    }
    assert!(!out.contains("no operations recorded yet"), "{out}");
    // A package deployment in staging: two instances from the configuration,
    // then swapped to production.
    assert!(
        out.contains("Deploy a package to cloud service asm-tour-"),
        "{out}"
    );
    assert!(
        out.contains("travels base64-encoded") && out.contains("Instances count=2"),
        "{out}"
    );
    assert!(
        out.contains("in Staging: Running (2 role instances)"),
        "{out}"
    );
    for instance in ["WebRole1_IN_0", "WebRole1_IN_1"] {
        assert!(
            out.lines()
                .any(|l| l.contains(instance) && l.contains("ReadyRole")),
            "{instance}: {out}"
        );
    }
    assert!(out.contains("production slot: tour-v1-"), "{out}");
    // A virtual machine with a data disk (the vm create code), shown.
    assert!(
        out.contains("CreateVirtualMachineDeployment accepted"),
        "{out}"
    );
    assert!(out.contains("virtual machine:  tourvm-"), "{out}");
    assert!(out.contains("ReadyRole (Started)"), "{out}");
    assert!(
        out.lines().any(|l| l.trim_start().starts_with("data")
            && l.contains("10 GB")
            && l.contains(".blob.core.windows.net/vhds/tourvm-")),
        "{out}"
    );
    assert!(out.contains("(a random password, not shown)"), "{out}");
    for op in [
        "CreateDeployment",
        "SwapDeployment",
        "CreateVirtualMachineDeployment",
    ] {
        assert!(out.contains(op), "{op} missing from the history\n{out}");
    }
    // Clean-up, verified.
    assert!(out.contains("deleted deployment tourvm-"), "{out}");
    assert!(out.contains("deleted deployment tour-v1-"), "{out}");
    assert!(out.contains("deleted cloud service asm-tour-vm-"), "{out}");
    assert!(out.contains("disks: 0 listed, the VM's gone"), "{out}");
    assert!(out.contains("deleted cloud service asm-tour-"), "{out}");
    assert!(out.contains("deleted storage account asmtour"), "{out}");
    assert!(
        out.contains("deleted affinity group asm-tour-group-"),
        "{out}"
    );
    assert!(out.contains("everything deleted"), "{out}");
    assert!(!out.contains("STILL LISTED"), "{out}");
    assert!(out.contains("Tour complete"), "{out}");
}

#[test]
fn tour_reruns_against_the_same_data_dir() {
    let dir = tempfile::tempdir().expect("temp dir");
    for run in 0..2 {
        let o = asm_in(dir.path(), &["tour"]);
        assert!(
            o.status.success(),
            "run {run}: {}\n{}",
            stdout(&o),
            stderr(&o)
        );
    }
    let o = asm_in(dir.path(), &["storage", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("no storage accounts"), "{}", stdout(&o));
    // The emulator's state: every cloud service and disk is gone ...
    let o = asm_in(dir.path(), &["service", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("no cloud services"), "{}", stdout(&o));
    let o = asm_in(dir.path(), &["--output", "json", "vm-disks", "list-disks"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let disks: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("JSON");
    assert_eq!(
        disks["Disk"].as_array().map_or(0, Vec::len),
        0,
        "disks left: {disks}"
    );
    // ... and its history has each run's deployment, swap, VM and deletions.
    let o = asm_in(dir.path(), &["operations", "list"]);
    let history = stdout(&o);
    assert!(o.status.success(), "{}", stderr(&o));
    for (op, runs) in [
        ("CreateDeployment ", 2),
        ("SwapDeployment ", 2),
        ("CreateVirtualMachineDeployment ", 2),
        ("DeleteDeploymentByName ", 4),
        ("DeleteHostedService ", 4),
    ] {
        let n = history
            .lines()
            .filter(|l| l.contains(op) && l.contains("Succeeded"))
            .count();
        assert_eq!(n, runs, "{op}\n{history}");
    }
}

#[test]
fn storage_keys_are_redacted_unless_asked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = asm_in(
        dir.path(),
        &["storage", "create", "keystest1", "--location", "West US"],
    );
    assert!(o.status.success(), "{}\n{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("created storage account keystest1"));

    let full = asm_in(
        dir.path(),
        &["storage", "keys", "keystest1", "--show-secrets"],
    );
    assert!(full.status.success(), "{}", stderr(&full));
    let full_out = stdout(&full);
    let keys = long_base64_words(&full_out);
    assert_eq!(keys.len(), 2, "{full_out}");

    let hidden = asm_in(dir.path(), &["storage", "keys", "keystest1"]);
    assert!(hidden.status.success(), "{}", stderr(&hidden));
    let hidden_out = stdout(&hidden);
    let hidden_err = stderr(&hidden);
    for key in keys {
        assert!(
            !hidden_out.contains(key),
            "key shown without --show-secrets"
        );
        assert!(!hidden_err.contains(key), "key on stderr");
        assert!(hidden_out.contains(&format!("{}… ({} chars)", &key[..4], key.len())));
    }
    assert!(hidden_out.contains("--show-secrets"), "{hidden_out}");

    let regen = asm_in(
        dir.path(),
        &[
            "storage",
            "regenerate-keys",
            "keystest1",
            "--key",
            "secondary",
        ],
    );
    assert!(regen.status.success(), "{}", stderr(&regen));
    assert_eq!(long_base64_words(&stdout(&regen)), Vec::<&str>::new());
}

#[test]
fn missing_affinity_group_is_an_error_with_the_service_code() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = asm_in(
        dir.path(),
        &[
            "affinity-group",
            "create",
            "present",
            "--location",
            "West US",
        ],
    );
    assert!(first.status.success(), "{}", stderr(&first));

    // Same data directory, second process: the state persisted.
    let shown = asm_in(dir.path(), &["affinity-group", "show", "present"]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    assert!(stdout(&shown).contains("West US"));

    let o = asm_in(dir.path(), &["affinity-group", "show", "does-not-exist"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("error: "), "{err}");
    assert!(err.contains("ResourceNotFound"), "{err}");
    assert!(err.contains("HTTP 404"), "{err}");
    assert!(err.contains("request id "), "{err}");
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    assert_no_panic(&o);
}

#[test]
fn service_create_refuses_both_location_and_affinity_group() {
    let o = asm(&[
        "service",
        "create",
        "x",
        "--location",
        "West US",
        "--affinity-group",
        "g",
    ]);
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(err.contains("error:"), "{err}");
    assert!(err.contains("cannot be used with"), "{err}");
    assert_no_panic(&o);

    let neither = asm(&["service", "create", "x"]);
    assert!(!neither.status.success());
    assert_no_panic(&neither);
}

#[test]
fn endpoint_without_credentials_is_refused() {
    let o = asm(&["--endpoint", "https://example.invalid", "locations", "list"]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("error: --endpoint needs credentials"), "{err}");
    assert_no_panic(&o);
}

#[test]
fn unreadable_certificate_is_a_clean_error() {
    let o = asm(&[
        "--cert",
        "/nonexistent/management.pem",
        "--subscription-id",
        "00000000-0000-0000-0000-000000000000",
        "locations",
        "list",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.starts_with("error: "), "{err}");
    assert!(err.contains("/nonexistent/management.pem"), "{err}");
    assert_no_panic(&o);
}

#[test]
fn certificate_add_show_delete() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = asm_in(dir.path(), &["certificate", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).lines().count(), 2, "{}", stdout(&o));

    // Any certificate will do: the emulator's CA certificate.
    let ca = dir.path().join("ca.pem");
    let ca = ca.to_str().expect("utf-8 temp path");
    let o = asm_in(dir.path(), &["certificate", "add", ca]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let thumbprint = out
        .split_whitespace()
        .find(|w| w.len() == 40 && w.chars().all(|c| c.is_ascii_hexdigit()))
        .expect("a thumbprint")
        .to_owned();

    let o = asm_in(dir.path(), &["certificate", "show", &thumbprint]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&thumbprint));

    let o = asm_in(dir.path(), &["certificate", "delete", &thumbprint]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = asm_in(dir.path(), &["certificate", "list"]);
    assert!(!stdout(&o).contains(&thumbprint), "{}", stdout(&o));
}

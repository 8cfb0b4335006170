//! The commands generated from the spec (`asm <area> <operation>`), end to
//! end against the embedded emulator. What commands exist is worked out
//! here from the spec files and `azure_asm::OPERATIONS`, not from the
//! generated command table, so a missing command fails.

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{asm, asm_command, asm_in, stderr, stdout};

fn ok(o: &Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status,
        stdout(o),
        stderr(o)
    );
    stdout(o)
}

/// `CreateAffinityGroup` → `create-affinity-group`, `ListReservedIPs` →
/// `list-reserved-ips`.
fn kebab(name: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = name.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev_lower = chars[i - 1].is_lowercase() || chars[i - 1].is_ascii_digit();
            // A plural acronym is one word (`ListReservedIPs` → `list-reserved-ips`).
            let plural_end = chars.get(i + 1) == Some(&'s')
                && chars.get(i + 2).is_none_or(|n| !n.is_lowercase());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase()) && !plural_end;
            if prev_lower || (chars[i - 1].is_uppercase() && next_lower) {
                out.push('-');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

fn spec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec")
}

/// Every operation with its area (the spec file that declares it, in
/// kebab-case), its kebab-case name and its path parameters.
fn operations() -> Vec<(String, String, String, Vec<String>)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(spec_dir())
        .expect("spec/")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "spec"))
        .map(|e| {
            let stem = e.path().file_stem().unwrap().to_string_lossy().into_owned();
            (stem, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    files.sort();
    azure_asm::OPERATIONS
        .iter()
        .map(|op| {
            let decl = format!("operation {} {{", op.name);
            let (stem, _) = files
                .iter()
                .find(|(_, text)| text.lines().any(|l| l.trim() == decl))
                .unwrap_or_else(|| panic!("no spec file declares {}", op.name));
            let params = op
                .uri
                .split('{')
                .skip(1)
                .filter_map(|p| p.split_once('}').map(|(name, _)| name.to_owned()))
                .filter(|p| p != "subscriptionId")
                .collect();
            (
                stem.replace('_', "-"),
                kebab(op.name),
                op.name.to_owned(),
                params,
            )
        })
        .collect()
}

#[test]
fn every_operation_is_a_command_with_help() {
    let ops = operations();
    assert!(ops.len() >= 50, "{} operations", ops.len());
    for (area, name, op, params) in &ops {
        let o = asm(&[area, name, "--help"]);
        let help = ok(&o);
        assert!(help.contains("Usage: asm "), "{area} {name}:\n{help}");
        for p in params {
            let flag = format!("--{}", kebab(p));
            assert!(
                help.contains(&flag),
                "{area} {name} ({op}): no {flag} in\n{help}"
            );
        }
    }
    // The area lists its operations.
    let area = asm(&["storage-accounts", "--help"]);
    let text = ok(&area);
    for name in ["list-storage-accounts", "create-storage-account"] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn enum_flags_list_the_spec_values_but_accept_others() {
    let help = ok(&asm(&[
        "storage-accounts",
        "create-storage-account",
        "--help",
    ]));
    for v in ["Standard_LRS", "Standard_RAGRS", "Premium_LRS"] {
        assert!(help.contains(v), "{help}");
    }
    assert!(help.contains("[required unless --body]"), "{help}");
    // An unknown value is not a usage error (exit 2): the service sees it.
    let dir = tempfile::tempdir().unwrap();
    let o = asm_in(
        dir.path(),
        &[
            "storage-accounts",
            "create-storage-account",
            "--service-name",
            "enumtest1",
            "--label",
            "x",
            "--location",
            "West US",
            "--account-type",
            "Standard_FUTURE",
        ],
    );
    assert_ne!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains("invalid value"),
        "refused by the parser: {}",
        stderr(&o)
    );
}

fn valid_json(text: &str) -> bool {
    let mut child = Command::new("python3")
        .args(["-m", "json.tool"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

/// RFC 3339 text for now + `seconds`.
fn rfc3339(seconds: i64) -> String {
    let t = time::OffsetDateTime::now_utc() + time::Duration::seconds(seconds);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[test]
fn every_list_operation_the_emulator_serves_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let start = rfc3339(-3600);
    let end = rfc3339(60);
    let mut served = Vec::new();
    let mut not_served = Vec::new();
    for (area, name, op, params) in operations() {
        if !op.starts_with("List") {
            continue;
        }
        let mut args = vec![area.clone(), name.clone(), "--output".into(), "json".into()];
        for p in &params {
            args.push(format!("--{}", kebab(p)));
            args.push("x".into());
        }
        if op == "ListSubscriptionOperations" {
            args.extend(["--start-time".into(), start.clone()]);
            args.extend(["--end-time".into(), end.clone()]);
        }
        if op.starts_with("ListDeploymentEvents") {
            args.extend(["--starttime".into(), start.clone()]);
            args.extend(["--endtime".into(), end.clone()]);
        }
        // A required query parameter (not a path parameter).
        if op == "ListDatabaseOperationsByDatabase" {
            args.extend(["--database-name".into(), "x".into()]);
        }
        // The metric reads' required query parameters.
        let role = "/hostedservices/x/deployments/x/roles/x".to_owned();
        match op.as_str() {
            "ListMetricDefinitions" => args.extend(["--resource-id".into(), role]),
            "ListMetricSettings" => args.extend([
                "--resource-id".into(),
                role,
                "--namespace".into(),
                "WindowsAzure.Availability".into(),
            ]),
            "ListMetricValues" => args.extend([
                "--resource-id".into(),
                role,
                "--names".into(),
                "Percentage CPU".into(),
                "--time-grain".into(),
                "PT5M".into(),
                "--start-time".into(),
                start.clone(),
                "--end-time".into(),
                end.clone(),
            ]),
            _ => {}
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = asm_in(dir.path(), &args);
        let out = stdout(&o);
        if o.status.success() {
            assert!(
                valid_json(&out),
                "{area} {name}: not JSON for python3 -m json.tool:\n{out}"
            );
            served.push(op);
        } else {
            // Not served: the emulator does not implement it, or what it
            // lists under does not exist (web sites need a web space).
            let err = stderr(&o);
            assert_eq!(o.status.code(), Some(1), "{area} {name}: {err}");
            assert!(
                err.contains("NotImplemented") || err.contains("HTTP 404"),
                "{area} {name}: {err}"
            );
            assert!(out.is_empty(), "{area} {name}: {out}");
            not_served.push(op);
        }
    }
    for op in [
        "ListLocations",
        "ListAffinityGroups",
        "ListHostedServices",
        "ListStorageAccounts",
        "ListSubscriptionOperations",
        "ListManagementCertificates",
        "ListMetricDefinitions",
        "ListMetricSettings",
        "ListMetricValues",
    ] {
        assert!(
            served.iter().any(|s| s == op),
            "{op} not served (served {served:?}, not served {not_served:?})"
        );
    }
}

/// Words that look like a storage key (long base64).
fn long_base64_words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || c == '"' || c == '<' || c == '>')
        .filter(|w| {
            w.len() >= 40
                && w.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn create_waits_with_progress_and_keys_are_redacted_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let o = asm_in(
        dir.path(),
        &[
            "storage-accounts",
            "create-storage-account",
            "--service-name",
            "gencli1",
            "--label",
            "generated",
            "--location",
            "West US",
            "--account-type",
            "standard_lrs",
            "--wait",
        ],
    );
    let out = ok(&o);
    let err = stderr(&o);
    assert!(out.contains("CreateStorageAccount succeeded"), "{out}");
    let polls: Vec<&str> = err.lines().filter(|l| l.contains("[poll")).collect();
    assert!(!polls.is_empty(), "no progress on stderr:\n{err}");
    assert!(
        polls.last().is_some_and(|l| l.contains("Succeeded")),
        "{err}"
    );

    // The enum value was matched ignoring case.
    let props = ok(&asm_in(
        dir.path(),
        &[
            "storage-accounts",
            "get-storage-account-properties",
            "gencli1",
            "--output",
            "json",
        ],
    ));
    assert!(
        props.contains("\"AccountType\": \"Standard_LRS\""),
        "{props}"
    );

    let hidden = asm_in(
        dir.path(),
        &[
            "storage-accounts",
            "get-storage-account-keys",
            "gencli1",
            "--output",
            "json",
        ],
    );
    let hidden_out = ok(&hidden);
    assert!(valid_json(&hidden_out), "{hidden_out}");
    assert!(
        hidden_out.contains("\"Primary\": \"<redacted>\""),
        "{hidden_out}"
    );
    assert!(long_base64_words(&hidden_out).is_empty(), "{hidden_out}");
    assert!(long_base64_words(&stderr(&hidden)).is_empty());

    let shown = ok(&asm_in(
        dir.path(),
        &[
            "storage-accounts",
            "get-storage-account-keys",
            "gencli1",
            "--output",
            "json",
            "--show-secrets",
        ],
    ));
    let keys = long_base64_words(&shown);
    assert_eq!(keys.len(), 2, "{shown}");

    // The re-encoded document and the table redact too.
    for format in ["xml", "table"] {
        let o = ok(&asm_in(
            dir.path(),
            &[
                "storage-accounts",
                "get-storage-account-keys",
                "--account-name",
                "gencli1",
                "--output",
                format,
            ],
        ));
        for key in &keys {
            assert!(!o.contains(key.as_str()), "{format}: a key leaked\n{o}");
        }
        assert!(o.contains("redacted"), "{format}: {o}");
    }
    let xml = ok(&asm_in(
        dir.path(),
        &[
            "storage-accounts",
            "get-storage-account-keys",
            "gencli1",
            "--output",
            "xml",
            "--show-secrets",
        ],
    ));
    assert!(xml.starts_with("<?xml"), "{xml}");
    for key in &keys {
        assert!(xml.contains(key.as_str()), "{xml}");
    }
}

#[test]
fn global_options_work_after_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    // --emulator-data after the command, twice: the state persists.
    let o = asm(&[
        "affinity-groups",
        "create-affinity-group",
        "--name",
        "after",
        "--label",
        "After",
        "--location",
        "West US",
        "--emulator-data",
        d,
    ]);
    ok(&o);
    let o = asm(&[
        "affinity-groups",
        "list-affinity-groups",
        "--emulator-data",
        d,
        "--output",
        "json",
        "-v",
    ]);
    let out = ok(&o);
    assert!(out.contains("\"Name\": \"after\""), "{out}");
    // A hand-written command, the option after it.
    let o = asm(&["affinity-group", "show", "after", "--emulator-data", d]);
    assert!(ok(&o).contains("West US"));
}

#[test]
fn body_file_with_flags_overriding_fields() {
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("group.xml");
    std::fs::write(
        &body,
        "<CreateAffinityGroup xmlns=\"http://schemas.microsoft.com/windowsazure\">\
         <Name>frombody</Name><Label>ZnJvbSBib2R5</Label><Description>in the file</Description>\
         <Location>East US</Location></CreateAffinityGroup>",
    )
    .unwrap();
    ok(&asm_in(
        dir.path(),
        &[
            "affinity-groups",
            "create-affinity-group",
            "--body",
            body.to_str().unwrap(),
            "--location",
            "West US",
        ],
    ));
    let shown = ok(&asm_in(
        dir.path(),
        &[
            "affinity-groups",
            "get-affinity-group-properties",
            "frombody",
            "--output",
            "json",
        ],
    ));
    assert!(shown.contains("\"Label\": \"from body\""), "{shown}");
    assert!(shown.contains("\"Location\": \"West US\""), "{shown}");
    assert!(shown.contains("in the file"), "{shown}");
    // Without --body, a required field is a usage error naming the flag.
    let o = asm(&["affinity-groups", "create-affinity-group", "--name", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--label"), "{}", stderr(&o));
}

#[test]
fn hand_written_commands_print_text_only() {
    let o = asm(&["storage", "list", "--output", "json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("storage-accounts list-storage-accounts"));
}

#[test]
fn credentials_come_from_the_environment() {
    let o = asm_command()
        .env("AZURE_CERT_PATH", "/nonexistent/from-env.pem")
        .env(
            "AZURE_SUBSCRIPTION_ID",
            "00000000-0000-0000-0000-000000000000",
        )
        .args(["locations", "list-locations"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("/nonexistent/from-env.pem"),
        "{}",
        stderr(&o)
    );
    // --emulator-data on the command line wins over the environment.
    let dir = tempfile::tempdir().unwrap();
    let o = asm_command()
        .env("AZURE_CERT_PATH", "/nonexistent/from-env.pem")
        .args(["locations", "list-locations", "--emulator-data"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(ok(&o).contains("West US"));
}

#[test]
fn completions_for_bash() {
    let out = ok(&asm(&["completions", "bash"]));
    assert!(out.contains("_asm()"), "{}", &out[..out.len().min(400)]);
    assert!(out.contains("storage-accounts"));
    assert!(out.contains("create-storage-account"));
}

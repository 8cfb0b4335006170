//! `asm vm create` against the embedded emulator (a data directory shared
//! by the processes): a Linux VM with two data disks in a new cloud
//! service, a Windows VM added to it as a second role, bad input refused
//! before anything is created, and the password never printed.

mod common;

use std::path::Path;
use std::process::Output;

use common::text;
use serde_json::Value;

const LINUX_PASSWORD: &str = "Lx-Pa55word-7f3q";
const WINDOWS_PASSWORD: &str = "Wn-Pa55word-9k2z";

fn asm_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = common::asm_command();
    c.env_remove("ASM_VM_PASSWORD");
    for (k, v) in env {
        c.env(k, v);
    }
    c.arg("--emulator-data")
        .arg(dir.join("emulator"))
        .args(args)
        .output()
        .expect("run asm")
}

fn asm_in(dir: &Path, args: &[&str]) -> Output {
    asm_env(dir, args, &[])
}

#[track_caller]
fn ok(o: &Output) -> (String, String) {
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert!(o.status.success(), "exit {:?}\n{out}\n{err}", o.status);
    (out, err)
}

#[track_caller]
fn fails(o: &Output, message: &str) -> String {
    let (out, err) = (text(&o.stdout), text(&o.stderr));
    assert_eq!(o.status.code(), Some(1), "{out}\n{err}");
    assert!(err.contains(message), "expected {message:?} in\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

fn json(o: &Output) -> Value {
    let (out, _) = ok(o);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}"))
}

/// Nothing of the passwords in anything asm printed.
#[track_caller]
fn no_password(outputs: &[&Output]) {
    for o in outputs {
        for s in [text(&o.stdout), text(&o.stderr)] {
            for p in [LINUX_PASSWORD, WINDOWS_PASSWORD, "Pa55word"] {
                assert!(!s.contains(p), "the password was printed:\n{s}");
            }
        }
    }
}

#[test]
fn linux_vm_with_data_disks_then_a_windows_vm_as_a_second_role() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pw_file = dir.path().join("password.txt");
    std::fs::write(&pw_file, format!("{LINUX_PASSWORD}\n")).unwrap();

    // A Linux VM with two data disks, in a cloud service that does not exist
    // yet; -vvv logs every request, and still not the password.
    let linux = asm_in(
        dir.path(),
        &[
            "-vvv",
            "vm",
            "create",
            "--service",
            "cli-vms",
            "--name",
            "lin1",
            "--image",
            "ubuntu",
            "--user",
            "ops",
            "--password-file",
            pw_file.to_str().unwrap(),
            "--storage-account",
            "clidisks",
            "--data-disk-gb",
            "10",
            "--data-disk-gb",
            "20",
        ],
    );
    let (out, _) = ok(&linux);
    assert!(
        out.contains("created cloud service cli-vms in West US"),
        "{out}"
    );
    assert!(out.contains("Ubuntu-16_04-LTS"), "newest Ubuntu: {out}");
    assert!(
        out.contains("CreateVirtualMachineDeployment succeeded"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("[poll") && l.contains("Succeeded")),
        "progress: {out}"
    );
    assert!(out.contains("deployment:       lin1 (Production)"), "{out}");
    assert!(out.contains("ReadyRole (Started)"), "{out}");
    assert!(out.contains("ip address:       10.0.0."), "{out}");
    let ssh = out.lines().find(|l| l.trim_start().starts_with("SSH"));
    assert!(
        ssh.is_some_and(
            |l| l.split_whitespace().collect::<Vec<_>>()[..4] == ["SSH", "tcp", "22", "22"]
        ),
        "{out}"
    );
    for (lun, gb, blob) in [
        ("0", "10 GB", "lin1-data0.vhd"),
        ("1", "20 GB", "lin1-data1.vhd"),
    ] {
        assert!(
            out.lines().any(|l| l.trim_start().starts_with("data")
                && l.contains(&format!(" {lun} "))
                && l.contains(gb)
                && l.contains(&format!(
                    "https://clidisks.blob.core.windows.net/vhds/{blob}"
                ))),
            "LUN {lun}: {out}"
        );
    }
    assert!(
        out.contains("https://clidisks.blob.core.windows.net/vhds/lin1-os.vhd"),
        "{out}"
    );

    // The emulator's disk repository: an OS disk and two data disks, attached.
    let disks = json(&asm_in(
        dir.path(),
        &["--output", "json", "vm-disks", "list-disks"],
    ));
    let disks = disks["Disk"].as_array().expect("disks");
    assert_eq!(disks.len(), 3, "{disks:?}");
    let mut sizes: Vec<i64> = disks
        .iter()
        .map(|d| {
            assert_eq!(d["AttachedTo"]["RoleName"], "lin1", "{d}");
            assert_eq!(d["AttachedTo"]["HostedServiceName"], "cli-vms", "{d}");
            d["LogicalDiskSizeInGB"].as_i64().unwrap()
        })
        .collect();
    sizes.sort();
    assert_eq!(sizes[..2], [10, 20], "{disks:?}");
    assert_eq!(
        disks.iter().filter(|d| d["OS"] == "Linux").count(),
        1,
        "{disks:?}"
    );

    // A Windows VM in the same cloud service: Add Role, RDP on the port asked.
    let windows = asm_env(
        dir.path(),
        &[
            "--output",
            "json",
            "vm",
            "create",
            "--service",
            "cli-vms",
            "--name",
            "win1",
            "--image",
            "windows",
            "--size",
            "medium",
            "--rdp",
            "53389",
            "--storage-account",
            "clidisks",
        ],
        &[("ASM_VM_PASSWORD", WINDOWS_PASSWORD)],
    );
    let (_, err) = ok(&windows);
    assert!(err.contains("AddRole accepted"), "{err}");
    assert!(err.contains("Succeeded"), "progress on stderr: {err}");
    let vm = json(&windows);
    assert_eq!(vm["RoleName"], "win1");
    assert_eq!(vm["DeploymentName"], "lin1");
    assert_eq!(vm["RoleSize"], "Medium", "the size as the service names it");
    assert_eq!(vm["InstanceStatus"], "ReadyRole");
    assert_eq!(vm["OSVirtualHardDisk"]["OS"], "Windows");
    assert!(vm["OSVirtualHardDisk"]["SourceImageName"]
        .as_str()
        .is_some_and(|s| s.contains("Windows-Server")));
    let endpoints = vm["InstanceEndpoints"].as_array().expect("endpoints");
    assert_eq!(endpoints.len(), 1, "{vm}");
    assert_eq!(endpoints[0]["Name"], "RemoteDesktop");
    assert_eq!(endpoints[0]["PublicPort"], 53389);
    assert_eq!(endpoints[0]["LocalPort"], 3389);

    // The deployment now has both virtual machines.
    let d = json(&asm_in(
        dir.path(),
        &[
            "--output",
            "json",
            "deployments",
            "get-deployment-by-name",
            "cli-vms",
            "lin1",
        ],
    ));
    let mut roles: Vec<&str> = d["RoleList"]["Role"]
        .as_array()
        .or_else(|| d["RoleList"].as_array())
        .expect("roles")
        .iter()
        .map(|r| r["RoleName"].as_str().unwrap())
        .collect();
    roles.sort();
    assert_eq!(roles, ["lin1", "win1"], "{d}");

    // A second Linux VM: port 22 is taken, so SSH moves aside; XML output.
    let xml = asm_env(
        dir.path(),
        &[
            "--output",
            "xml",
            "vm",
            "create",
            "--service",
            "cli-vms",
            "--name",
            "lin2",
            "--image",
            "ubuntu",
            "--storage-account",
            "clidisks",
        ],
        &[("ASM_VM_PASSWORD", LINUX_PASSWORD)],
    );
    let (doc, _) = ok(&xml);
    assert!(
        doc.starts_with("<?xml") || doc.starts_with("<Deployment"),
        "{doc}"
    );
    assert!(doc.contains("<RoleName>lin2</RoleName>"), "{doc}");
    assert!(doc.contains("<PublicPort>50022</PublicPort>"), "{doc}");
    // An explicit port that is taken is refused before anything is sent.
    let taken = asm_env(
        dir.path(),
        &[
            "vm",
            "create",
            "--service",
            "cli-vms",
            "--name",
            "lin3",
            "--image",
            "ubuntu",
            "--ssh-port",
            "53389",
            "--storage-account",
            "clidisks",
        ],
        &[("ASM_VM_PASSWORD", LINUX_PASSWORD)],
    );
    fails(
        &taken,
        "public port 53389 is already used by endpoint RemoteDesktop of win1",
    );
    // The same name twice.
    let again = asm_env(
        dir.path(),
        &[
            "vm",
            "create",
            "--service",
            "cli-vms",
            "--name",
            "win1",
            "--image",
            "windows",
            "--storage-account",
            "clidisks",
        ],
        &[("ASM_VM_PASSWORD", WINDOWS_PASSWORD)],
    );
    fails(
        &again,
        "deployment lin1 already has a virtual machine named win1",
    );

    no_password(&[&linux, &windows, &xml, &taken, &again]);
}

#[test]
fn bad_input_is_refused_before_anything_is_created() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["vm", "create", "--service", "bad-svc", "--name", "vm1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let run = |extra: &[&str], env: &[(&str, &str)]| {
        let args = base(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        asm_env(dir.path(), &args, env)
    };
    let pw = [("ASM_VM_PASSWORD", WINDOWS_PASSWORD)];
    let mut outputs = Vec::new();

    let o = run(&["--image", "Ubuntu-99", "--storage-account", "acct"], &pw);
    fails(&o, "--image \"Ubuntu-99\": no such OS image");
    outputs.push(o);
    let o = run(
        &[
            "--image",
            "ubuntu",
            "--size",
            "Huge",
            "--storage-account",
            "acct",
        ],
        &pw,
    );
    let err = fails(&o, "--size \"Huge\": not a role size");
    assert!(err.contains("Standard_D1"), "sizes listed: {err}");
    outputs.push(o);
    // Windows without a password (no flag, no environment, no file).
    let o = run(&["--image", "windows", "--storage-account", "acct"], &[]);
    fails(
        &o,
        "a Windows virtual machine needs an administrator password",
    );
    outputs.push(o);
    let o = run(
        &[
            "--image",
            "ubuntu",
            "--data-disk-gb",
            "2000",
            "--storage-account",
            "acct",
        ],
        &pw,
    );
    fails(&o, "--data-disk-gb 2000: a data disk has 1 to 1023 GB");
    outputs.push(o);
    let o = run(
        &[
            "--image",
            "ubuntu",
            "--size",
            "ExtraSmall",
            "--data-disk-gb",
            "1",
            "--data-disk-gb",
            "1",
            "--storage-account",
            "acct",
        ],
        &pw,
    );
    fails(
        &o,
        "2 data disks: a ExtraSmall virtual machine takes at most 1",
    );
    outputs.push(o);
    let o = run(&["--image", "ubuntu", "--storage-account", "Bad_Name"], &pw);
    fails(&o, "--storage-account \"Bad_Name\"");
    outputs.push(o);
    // No storage account given and none in West US.
    let o = run(&["--image", "ubuntu"], &pw);
    fails(&o, "no storage account in West US");
    outputs.push(o);
    let missing = dir.path().join("no-such-file");
    let o = run(
        &[
            "--image",
            "ubuntu",
            "--password-file",
            missing.to_str().unwrap(),
        ],
        &[],
    );
    fails(&o, "--password-file");
    outputs.push(o);
    // The client's limits, checked before the cloud service is created; the
    // message names the field, not the value (given on the command line).
    let o = run(
        &[
            "--image",
            "ubuntu",
            "--password",
            "Pa55word"[..5].as_ref(),
            "--storage-account",
            "acct",
        ],
        &[],
    );
    let err = fails(&o, "UserPassword");
    assert!(!err.contains("Pa55w"), "{err}");
    outputs.push(o);

    // Nothing was created.
    let services = json(&asm_in(
        dir.path(),
        &[
            "--output",
            "json",
            "hosted-services",
            "list-hosted-services",
        ],
    ));
    assert!(
        !services.to_string().contains("bad-svc"),
        "a cloud service was left behind: {services}"
    );
    let refs: Vec<&Output> = outputs.iter().collect();
    no_password(&refs);
}

/// Without --storage-account, the VHDs go to the subscription's account in
/// the cloud service's location.
#[test]
fn no_wait_returns_the_request_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    ok(&asm_in(
        dir.path(),
        &["storage", "create", "autodisks", "--location", "West US"],
    ));
    let o = asm_env(
        dir.path(),
        &[
            "vm",
            "create",
            "--service",
            "nowait-svc",
            "--name",
            "vm1",
            "--deployment",
            "dep1",
            "--image",
            "ubuntu",
            "--no-wait",
        ],
        &[("ASM_VM_PASSWORD", LINUX_PASSWORD)],
    );
    let (out, _) = ok(&o);
    let line = out
        .lines()
        .find(|l| l.starts_with("CreateVirtualMachineDeployment started (request id "))
        .unwrap_or_else(|| panic!("{out}"));
    let id = line
        .split("request id ")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .expect("request id");
    let wait = asm_in(dir.path(), &["operation", "wait", id]);
    let (out, _) = ok(&wait);
    assert!(out.contains("Succeeded"), "{out}");
    let d = json(&asm_in(
        dir.path(),
        &[
            "--output",
            "json",
            "deployments",
            "get-deployment-by-name",
            "nowait-svc",
            "dep1",
        ],
    ));
    assert_eq!(d["Name"], "dep1", "{d}");
    assert!(
        d.to_string()
            .contains("https://autodisks.blob.core.windows.net/vhds/vm1-os.vhd"),
        "{d}"
    );
    no_password(&[&o, &wait]);
}

/// A cloud service whose deployment has web/worker roles takes no VM.
#[test]
fn a_package_deployment_takes_no_virtual_machine() {
    let dir = tempfile::tempdir().expect("temp dir");
    ok(&asm_in(
        dir.path(),
        &["service", "create", "paas-svc", "--location", "West US"],
    ));
    let cscfg = "<ServiceConfiguration serviceName=\"paas-svc\" xmlns=\"http://schemas.microsoft.com/ServiceHosting/2008/10/ServiceConfiguration\"><Role name=\"WebRole1\"><Instances count=\"1\" /></Role></ServiceConfiguration>";
    ok(&asm_in(
        dir.path(),
        &[
            "deployments",
            "create-deployment",
            "paas-svc",
            "production",
            "--name",
            "web",
            "--package-url",
            "https://acct.blob.core.windows.net/pkgs/app.cspkg",
            "--label",
            "web",
            "--configuration",
            cscfg,
            "--wait",
        ],
    ));
    let o = asm_env(
        dir.path(),
        &[
            "vm",
            "create",
            "--service",
            "paas-svc",
            "--name",
            "vm1",
            "--image",
            "ubuntu",
            "--storage-account",
            "acct",
        ],
        &[("ASM_VM_PASSWORD", LINUX_PASSWORD)],
    );
    fails(
        &o,
        "cloud service paas-svc has deployment web of web/worker roles",
    );
    no_password(&[&o]);
}

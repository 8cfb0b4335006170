//! `--seed FILE` starts with a given state and `asm-emulator dump` prints
//! it back: tests of downstream crates arrange and assert with them.

mod common;

use std::process::Command;

#[tokio::test]
async fn seed_then_dump() {
    let dir = tempfile::tempdir().unwrap();
    let sub = "3f1c2c6e-0000-4000-8000-000000000001";
    // A state written by hand, in the form `dump` prints.
    let seed = serde_json::json!({
        "resources": {
            format!("AffinityGroup/{sub}/seeded"): {
                "resource": "AffinityGroup",
                "subscription": sub,
                "parents": [],
                "name": "seeded",
                "state": {"name": "AffinityGroup", "children": [
                    {"name": "Name", "text": "seeded"},
                    {"name": "Label", "text": "U2VlZGVk"},
                    {"name": "Location", "text": "West US"}
                ]},
                "created_ms": 0,
                "modified_ms": 0,
                "pending": null
            }
        }
    });
    let seed_path = dir.path().join("seed.json");
    std::fs::write(&seed_path, seed.to_string()).unwrap();
    let data = dir.path().join("data");
    let emu = common::spawn(
        &data,
        &[
            "--subscription-id",
            sub,
            "--seed",
            seed_path.to_str().unwrap(),
        ],
    );
    let c = emu.client();
    let groups = c.list_affinity_groups().await.unwrap();
    assert_eq!(groups.affinity_group.len(), 1);
    assert_eq!(groups.affinity_group[0].name, "seeded");
    assert_eq!(groups.affinity_group[0].label, "Seeded");
    c.create_affinity_group(&azure_asm::CreateAffinityGroup {
        name: "made".into(),
        label: "Made".into(),
        location: "West Europe".into(),
        ..Default::default()
    })
    .await
    .unwrap();
    assert!(emu.terminate().success());

    let out = Command::new(env!("CARGO_BIN_EXE_asm-emulator"))
        .args(["dump", "--data-dir"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let resources = state["resources"].as_object().unwrap();
    assert!(resources.contains_key(&format!("AffinityGroup/{sub}/seeded")));
    let made = &resources[&format!("AffinityGroup/{sub}/made")];
    assert_eq!(made["state"]["children"][0]["text"], "made");
    // The operation history is in the dump too.
    assert!(state["operations"]
        .as_object()
        .unwrap()
        .values()
        .any(|o| o["name"] == "CreateAffinityGroup"));
    // A seed naming an unknown table is refused at start.
    std::fs::write(&seed_path, r#"{"nonsense": {}}"#).unwrap();
    let bad = Command::new(env!("CARGO_BIN_EXE_asm-emulator"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path().join("other"))
        .arg("--seed")
        .arg(&seed_path)
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown table"));
}

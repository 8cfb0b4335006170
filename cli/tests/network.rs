//! `asm network set-config FILE` / `asm network show-config` against the
//! embedded emulator (a data directory shared by the processes).

mod common;

use std::path::Path;
use std::process::Output;

use common::text;

fn asm_in(dir: &Path, args: &[&str]) -> Output {
    common::asm_in(&dir.join("emulator"), args)
}

fn netcfg(sites: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<NetworkConfiguration xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\">\r\n  <VirtualNetworkConfiguration>\r\n    <Dns />\r\n    <VirtualNetworkSites>\r\n{sites}    </VirtualNetworkSites>\r\n  </VirtualNetworkConfiguration>\r\n</NetworkConfiguration>\r\n"
    )
}

const SITE_A: &str = "      <VirtualNetworkSite name=\"cli-vnet\" Location=\"West US\">\r\n        <AddressSpace><AddressPrefix>10.4.0.0/16</AddressPrefix></AddressSpace>\r\n        <Subnets><Subnet name=\"web\"><AddressPrefix>10.4.1.0/24</AddressPrefix></Subnet></Subnets>\r\n      </VirtualNetworkSite>\r\n";
const SITE_OVERLAPPING: &str = "      <VirtualNetworkSite name=\"cli-vnet2\" Location=\"West US\">\r\n        <AddressSpace><AddressPrefix>10.4.128.0/17</AddressPrefix></AddressSpace>\r\n      </VirtualNetworkSite>\r\n";

#[test]
fn network_set_config_and_show_config() {
    let dir = tempfile::tempdir().expect("temp dir");

    // Nothing set yet: the service's 404.
    let o = asm_in(dir.path(), &["network", "show-config"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("HTTP 404"), "{}", text(&o.stderr));

    // Set from a file (with a byte-order mark, as the portal wrote them).
    let file = dir.path().join("netcfg.xml");
    let doc = netcfg(SITE_A);
    std::fs::write(&file, format!("\u{feff}{doc}")).unwrap();
    let o = asm_in(
        dir.path(),
        &["network", "set-config", file.to_str().unwrap()],
    );
    let out = text(&o.stdout);
    assert!(o.status.success(), "{out}\n{}", text(&o.stderr));
    assert!(
        out.contains("network configuration set: 1 virtual network: cli-vnet"),
        "{out}"
    );
    assert!(out.contains("Succeeded"), "progress lines: {out}");

    // Shown as set (another process, the same data directory): what
    // set-config takes back.
    let o = asm_in(dir.path(), &["network", "show-config"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), doc);

    // A document the service refuses: its code and message, nothing changed.
    std::fs::write(&file, netcfg(&format!("{SITE_A}{SITE_OVERLAPPING}"))).unwrap();
    let o = asm_in(
        dir.path(),
        &["network", "set-config", file.to_str().unwrap()],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("overlaps"), "{err}");
    assert!(
        err.contains("BadRequest") && err.contains("HTTP 400"),
        "{err}"
    );
    let o = asm_in(dir.path(), &["network", "show-config"]);
    assert_eq!(text(&o.stdout), doc);

    // Not a network configuration, or no file: refused before sending.
    std::fs::write(&file, "<Other/>").unwrap();
    let o = asm_in(
        dir.path(),
        &["network", "set-config", file.to_str().unwrap()],
    );
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("is not a network configuration"), "{err}");
    let missing = dir.path().join("missing.xml");
    let o = asm_in(
        dir.path(),
        &["network", "set-config", missing.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("cannot read"),
        "{}",
        text(&o.stderr)
    );
    assert!(!text(&o.stderr).contains("panicked"));
}

//! The subscription's network configuration: a document of its own schema
//! that Set Network Configuration takes as text. Set it as text, read it back
//! typed, change it as a typed value and set it again, then list the virtual
//! network sites the service derives from it.
//!
//! ```sh
//! cargo run -p asm-examples --example network_configuration
//! ```

use azure_asm::{NetcfgSubnet, TextDocument};

/// A configuration as the portal exports it (a `.netcfg` file).
const NETCFG: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<NetworkConfiguration xmlns="http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration">
  <VirtualNetworkConfiguration>
    <Dns>
      <DnsServers>
        <DnsServer name="dns1" IPAddress="10.0.0.4" />
      </DnsServers>
    </Dns>
    <VirtualNetworkSites>
      <VirtualNetworkSite name="example-vnet" Location="West US">
        <AddressSpace>
          <AddressPrefix>10.0.0.0/16</AddressPrefix>
        </AddressSpace>
        <Subnets>
          <Subnet name="front-end">
            <AddressPrefix>10.0.1.0/24</AddressPrefix>
          </Subnet>
        </Subnets>
        <DnsServersRef>
          <DnsServerRef name="dns1" />
        </DnsServersRef>
      </VirtualNetworkSite>
    </VirtualNetworkSites>
  </VirtualNetworkConfiguration>
</NetworkConfiguration>
"#;

#[tokio::main]
async fn main() -> asm_examples::Result {
    let (client, emulator) = asm_examples::connect().await?;

    // A new subscription has none yet.
    match client.get_network_configuration().await {
        Err(e) if e.is_not_found() => println!("no network configuration yet"),
        Err(e) => return Err(e.into()),
        Ok(_) => return Err("a new subscription has a network configuration".into()),
    }

    // Set it as text (for instance a file exported from the portal). The
    // change is asynchronous.
    client
        .set_network_configuration(&TextDocument::from_text(NETCFG))
        .await?
        .wait()
        .await?;
    println!("set the network configuration from text");

    // Read back: the text as the service keeps it, and the typed form.
    let document = client.get_network_configuration().await?;
    println!("{} bytes of configuration", document.text().len());
    let mut config = document.parse()?;
    let vnets = &mut config.virtual_network_configuration.virtual_network_sites;
    for site in vnets.iter() {
        println!(
            "  {} in {}: {:?}, subnets {:?}",
            site.name,
            site.location.as_deref().unwrap_or("-"),
            site.address_space.address_prefix,
            site.subnets.iter().map(|s| &s.name).collect::<Vec<_>>()
        );
    }

    // Change the typed value and set it again.
    let site = vnets.first_mut().ok_or("no virtual network site")?;
    site.subnets.push(NetcfgSubnet {
        name: "back-end".into(),
        address_prefix: "10.0.2.0/24".into(),
    });
    client
        .set_network_configuration(&TextDocument::from_value(&config))
        .await?
        .wait()
        .await?;
    println!("added subnet back-end");

    // The sites as List Virtual Network Sites reports them.
    let sites = client
        .list_virtual_network_sites()
        .await?
        .virtual_network_site;
    for site in &sites {
        println!(
            "  {} ({}): {:?}",
            site.name,
            site.state,
            site.subnets
                .iter()
                .map(|s| format!("{} {}", s.name, s.address_prefix))
                .collect::<Vec<_>>()
        );
    }
    if sites.len() != 1 || sites[0].subnets.len() != 2 {
        return Err("expected one virtual network site with two subnets".into());
    }

    emulator.shutdown().await;
    Ok(())
}

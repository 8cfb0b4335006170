//! `asm network set-config FILE` / `asm network show-config`: the
//! subscription's network configuration document (netcfg) as a file, the way
//! the classic tools handled it (`Get-AzureVNetConfig` / `Set-AzureVNetConfig`).

use std::path::Path;

use azure_asm::{Client, TextDocument};

use crate::error::{msg, CliError};
use crate::NetworkCmd;

pub async fn run(client: &Client, cmd: NetworkCmd) -> Result<(), CliError> {
    match cmd {
        NetworkCmd::SetConfig { file } => set_config(client, &file).await,
        NetworkCmd::ShowConfig => {
            // The document as the service keeps it: what set-config takes back.
            let doc = client.get_network_configuration().await?;
            let text = doc.text();
            print!("{text}");
            if !text.ends_with('\n') {
                println!();
            }
            Ok(())
        }
    }
}

async fn set_config(client: &Client, file: &Path) -> Result<(), CliError> {
    let bytes =
        std::fs::read(file).map_err(|e| msg(format!("cannot read {}: {e}", file.display())))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| msg(format!("{} is not UTF-8 text", file.display())))?;
    let doc = TextDocument::from_text(text.trim_start_matches('\u{feff}'));
    // Checked here first, so a typo is reported before anything is sent.
    let config = doc.parse().map_err(|e| {
        msg(format!(
            "{} is not a network configuration: {e}",
            file.display()
        ))
    })?;
    let op = client.set_network_configuration(&doc).await?;
    op.wait_with(
        client.core().poll_options().clone(),
        crate::commands::print_progress,
    )
    .await?;
    let sites = &config.virtual_network_configuration.virtual_network_sites;
    let names: Vec<&str> = sites.iter().map(|s| s.name.as_str()).collect();
    println!(
        "network configuration set: {} virtual network{}{}{}",
        sites.len(),
        if sites.len() == 1 { "" } else { "s" },
        if names.is_empty() { "" } else { ": " },
        names.join(", ")
    );
    Ok(())
}

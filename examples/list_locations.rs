//! Connect, show the subscription, and list the locations (the first steps
//! of the Service Management how-to: "How to: Connect to service management"
//! and "How to: List available locations").
//!
//! ```sh
//! cargo run -p asm-examples --example list_locations
//! ```

use asm_emulator::{Config, Emulator};
use azure_asm::{Client, Credentials};

#[tokio::main]
async fn main() -> asm_examples::Result {
    // An emulator with temporary data. It issued a management certificate
    // (certificate and private key in one PEM) for its first subscription.
    let emulator = Emulator::start(Config::ephemeral()?).await?;

    // Every request is mutually authenticated with the management
    // certificate. Against Azure: your subscription id and
    // `Credentials::from_pem_file("management.pem")` (or `from_pkcs12_file`,
    // or a `.publishsettings` file), and no `endpoint` or extra root.
    let credentials = Credentials::from_pem(&emulator.client_pem())?;
    println!("management certificate {}", credentials.thumbprint());
    let client = Client::builder()
        .subscription_id(emulator.subscription_id())
        .credentials(credentials)
        .endpoint(emulator.endpoint())
        .add_root_certificate_pem(&emulator.ca_pem())?
        .no_proxy()
        .build()?;

    let subscription = client.get_subscription().await?;
    println!(
        "subscription {} ({}): {} of {} cloud services, {} of {} storage accounts",
        subscription.subscription_id,
        subscription
            .subscription_name
            .as_deref()
            .unwrap_or("unnamed"),
        subscription.current_hosted_services.unwrap_or(0),
        subscription.max_hosted_services.unwrap_or(0),
        subscription.current_storage_accounts.unwrap_or(0),
        subscription.max_storage_accounts.unwrap_or(0),
    );

    // A cloud service, a storage account or an affinity group needs one of
    // these locations.
    let locations = client.list_locations().await?.location;
    println!("{} locations:", locations.len());
    for location in &locations {
        println!(
            "  {:<20} {}",
            location.name,
            location.available_services.join(", ")
        );
    }
    if locations.is_empty() {
        return Err("the subscription offers no location".into());
    }

    emulator.shutdown().await;
    Ok(())
}

//! An affinity group, a cloud service in it, and the service read back with
//! Get Hosted Service Properties and `embed-detail=true` (the how-to's "Create
//! an affinity group" and "Create a cloud service", and the Get Hosted
//! Service Properties reference). Everything is deleted at the end.
//!
//! ```sh
//! cargo run -p asm-examples --example create_cloud_service
//! ```

use azure_asm::{
    CreateAffinityGroup, CreateHostedService, ExtendedProperty, GetHostedServicePropertiesOptions,
    UpdateHostedService,
};

#[tokio::main]
async fn main() -> asm_examples::Result {
    let (client, emulator) = asm_examples::connect().await?;
    let group = "example-group";
    let service = "example-service";

    // An affinity group keeps related services close together; it needs a
    // location.
    client
        .create_affinity_group(&CreateAffinityGroup {
            name: group.into(),
            label: "Example affinity group".into(), // plain text; base64 on the wire
            description: Some("Created by the create_cloud_service example".into()),
            location: "West US".into(),
        })
        .await?;
    println!("created affinity group {group}");

    // The name is the DNS prefix under cloudapp.net: unique across Azure.
    let availability = client
        .check_hosted_service_name_availability(service)
        .await?;
    if !availability.result {
        return Err(format!(
            "{service} is taken: {}",
            availability.reason.unwrap_or_default()
        )
        .into());
    }

    // A location or an affinity group, not both.
    client
        .create_hosted_service(&CreateHostedService {
            service_name: service.into(),
            label: "Example cloud service".into(),
            description: Some("Created by the create_cloud_service example".into()),
            affinity_group: Some(group.into()),
            extended_properties: vec![ExtendedProperty {
                name: "Owner".into(),
                value: Some("asm-examples".into()),
            }],
            ..Default::default()
        })
        .await?;
    println!("created cloud service {service} in {group}");

    client
        .update_hosted_service(
            service,
            &UpdateHostedService {
                description: Some("Updated by the create_cloud_service example".into()),
                ..Default::default()
            },
        )
        .await?;

    // With embed-detail the response also describes every deployment
    // (`<Deployments/>` while there are none).
    let detail = client
        .get_hosted_service_properties(
            service,
            &GetHostedServicePropertiesOptions {
                embed_detail: Some(true),
            },
        )
        .await?;
    let props = detail
        .hosted_service_properties
        .as_ref()
        .ok_or("no HostedServiceProperties")?;
    println!("{}", detail.url);
    println!("  label:          {}", props.label);
    println!(
        "  description:    {}",
        props.description.as_deref().unwrap_or("")
    );
    println!(
        "  affinity group: {}",
        props.affinity_group.as_deref().unwrap_or("-")
    );
    if let Some(status) = &props.status {
        println!("  status:         {status}");
    }
    if let Some(created) = props.date_created {
        println!("  created:        {created}");
    }
    for p in &props.extended_properties {
        println!(
            "  property:       {} = {}",
            p.name,
            p.value.as_deref().unwrap_or("")
        );
    }
    let deployments = detail.deployments.as_deref().unwrap_or_default();
    println!("  deployments:    {}", deployments.len());
    for d in deployments {
        println!(
            "    {} ({}, {}): {} role instances",
            d.name,
            d.deployment_slot,
            d.status,
            d.role_instance_list.len()
        );
    }

    // The affinity group lists what is in it.
    let in_group = client.get_affinity_group_properties(group).await?;
    let names: Vec<_> = in_group
        .hosted_services
        .iter()
        .map(|s| s.service_name.as_str())
        .collect();
    println!("affinity group {group} holds {names:?}");
    if names != [service] {
        return Err("the cloud service is not in its affinity group".into());
    }

    // Clean up: the group can only go once it is empty.
    client.delete_hosted_service(service).await?;
    client.delete_affinity_group(group).await?;
    println!("deleted {service} and {group}");

    emulator.shutdown().await;
    Ok(())
}

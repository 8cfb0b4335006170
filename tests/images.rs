//! Images, extensions, reserved IPs and the static catalogs (issue 9),
//! driven through the generated client against the emulator over mutual
//! TLS: OS images (platform catalog and the subscription's own: add, list,
//! get, update, replicate, share, unreplicate, delete), VM images, the
//! extension catalogs and publishers' extension images, cloud-service
//! extensions (the private configuration is never returned), reserved IPs
//! (allocation, association, deletes refused while associated), the
//! migration state machine of reserved IPs and storage accounts, static IP
//! availability in a virtual network, role sizes, guest OS families and
//! resource provider registration.

use std::time::Duration;

use asm_emulator::RunningEmulator;
use asm_tests::emulated::{
    assert_service_error, client_builder_as, cloud_service, fast_poll, start_with,
};
use azure_asm::*;

async fn start() -> (RunningEmulator, Client) {
    start_with(
        |config| config.async_delay = Duration::from_millis(50),
        |client| client.poll_options(fast_poll()),
    )
    .await
}

async fn storage_account(c: &Client, name: &str, location: &str) {
    c.create_storage_account(&CreateStorageServiceInput {
        service_name: name.into(),
        label: name.into(),
        location: Some(location.into()),
        ..Default::default()
    })
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
}

const UBUNTU: &str =
    "b39f27a8b8c64d52b05eac6a62ebad85__Ubuntu-16_04-LTS-amd64-server-20170516-en-us-30GB";

#[tokio::test]
async fn os_images() {
    let (_emu, c) = start().await;

    // The platform catalog: Windows Server and Ubuntu, Category Public.
    let images = c.list_os_images().await.unwrap();
    let ubuntu = images
        .os_image
        .iter()
        .find(|i| i.name == UBUNTU)
        .expect("Ubuntu 16.04 in the catalog");
    assert_eq!(ubuntu.category, Some(ImageCategory::Public));
    assert_eq!(ubuntu.os, Some(OSType::Linux));
    assert_eq!(ubuntu.publisher_name.as_deref(), Some("Canonical"));
    assert!(images.os_image.iter().any(
        |i| i.os == Some(OSType::Windows) && i.label.as_deref().unwrap_or("").contains("2016")
    ));
    let platform_count = images.os_image.len();

    // A user image needs a blob in one of the subscription's storage accounts.
    let add = AddOSImageInput {
        label: "My image".into(),
        media_link: "https://imgstore01.blob.core.windows.net/vhds/my-image.vhd".into(),
        name: "my-image".into(),
        os: OSType::Linux,
        ..Default::default()
    };
    assert_service_error(c.add_os_image(&add).await, 400, "BadRequest");
    storage_account(&c, "imgstore01", "North Europe").await;
    let bad_link = AddOSImageInput {
        media_link: "ftp://imgstore01/vhds/x.vhd".into(),
        ..add.clone()
    };
    assert_service_error(c.add_os_image(&bad_link).await, 400, "BadRequest");
    let bad_os = AddOSImageInput {
        os: OSType::Unknown("BeOS".into()),
        ..add.clone()
    };
    assert_service_error(c.add_os_image(&bad_os).await, 400, "BadRequest");

    let added = c.add_os_image(&add).await.unwrap();
    assert_eq!(added.name, "my-image");
    assert_eq!(added.category, Some(ImageCategory::User));
    assert_eq!(added.location.as_deref(), Some("North Europe"));
    assert_eq!(added.os_state.as_deref(), Some("Generalized"));
    assert_eq!(added.logical_size_in_gb, Some(30.0));
    // The name is taken (any case).
    let again = AddOSImageInput {
        name: "MY-IMAGE".into(),
        ..add.clone()
    };
    assert_service_error(c.add_os_image(&again).await, 409, "ConflictError");
    assert_eq!(
        c.list_os_images().await.unwrap().os_image.len(),
        platform_count + 1
    );

    let got = c.get_os_image("my-image").await.unwrap();
    assert_eq!(got.media_link.as_deref(), Some(add.media_link.as_str()));
    let missing = c.get_os_image("nope").await;
    match &missing {
        Err(e) => assert!(e.to_string().contains("OS image nope"), "{e}"),
        Ok(_) => panic!("a missing image was found"),
    }
    assert_service_error(missing, 404, "ResourceNotFound");

    // Update: the label and descriptive fields; platform images refuse it.
    let update = UpdateOSImageInput {
        label: "Renamed".into(),
        description: Some("Built by the tests".into()),
        image_family: Some("Tests".into()),
        is_premium: Some(false),
        ..Default::default()
    };
    let updated = c.update_os_image("my-image", &update).await.unwrap();
    assert_eq!(updated.label.as_deref(), Some("Renamed"));
    assert_eq!(updated.description.as_deref(), Some("Built by the tests"));
    assert_eq!(updated.media_link.as_deref(), Some(add.media_link.as_str()));
    assert_service_error(c.update_os_image(UBUNTU, &update).await, 400, "BadRequest");

    // Sharing needs a replicated image.
    assert_service_error(
        c.share_os_image("my-image", &ImageSharingPermission::Public)
            .await,
        400,
        "BadRequest",
    );
    let replication = ReplicationInput {
        target_locations: vec!["West US".into(), "east us".into()],
        compute_image_attributes: ComputeImageAttributes {
            offer: "TestOffer".into(),
            sku: "TestSku".into(),
            version: "1.0.0".into(),
        },
        marketplace_image_attributes: None,
    };
    let bad_region = ReplicationInput {
        target_locations: vec!["Atlantis".into()],
        ..replication.clone()
    };
    assert_service_error(
        c.replicate_os_image("my-image", &bad_region).await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.replicate_os_image(UBUNTU, &replication).await,
        400,
        "BadRequest",
    );
    let published = c
        .replicate_os_image("my-image", &replication)
        .await
        .unwrap();
    assert_eq!(published, "my-image");
    let details = c.get_os_image_details("my-image").await.unwrap();
    let regions: Vec<_> = details
        .replication_progress
        .iter()
        .map(|p| {
            (
                p.location.as_deref().unwrap_or(""),
                p.progress.as_deref().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(regions, [("West US", "100"), ("East US", "100")]);
    assert_eq!(
        details.compute_image_attributes.as_ref().unwrap().sku,
        "TestSku"
    );
    assert_eq!(details.is_corrupted, Some(false));
    assert_eq!(details.label.as_deref(), Some("Renamed"));

    let op = c
        .share_os_image("my-image", &ImageSharingPermission::Public)
        .await
        .unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();
    let details = c.get_os_image_details("my-image").await.unwrap();
    assert_eq!(details.sharing_status.as_deref(), Some("Public"));

    c.unreplicate_os_image("my-image")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let details = c.get_os_image_details("my-image").await.unwrap();
    assert!(details.replication_progress.is_empty());
    assert!(details.sharing_status.is_none());
    assert_service_error(c.unreplicate_os_image("my-image").await, 400, "BadRequest");

    // Platform images cannot be deleted; the user image can (with its blob).
    assert_service_error(
        c.delete_os_image(UBUNTU, &Default::default()).await,
        400,
        "BadRequest",
    );
    c.delete_os_image(
        "my-image",
        &DeleteOSImageOptions {
            comp: Some("media".into()),
        },
    )
    .await
    .unwrap();
    assert_service_error(c.get_os_image("my-image").await, 404, "ResourceNotFound");
    assert_eq!(
        c.list_os_images().await.unwrap().os_image.len(),
        platform_count
    );
}

#[tokio::test]
async fn vm_images() {
    let (_emu, c) = start().await;
    let listed = c.list_vm_images().await.unwrap();
    let sql = listed
        .vm_image
        .iter()
        .find(|i| i.name.contains("SQL-Server-2016"))
        .expect("a SQL Server VM image");
    assert_eq!(sql.category, Some(ImageCategory::Public));
    assert_eq!(sql.data_disk_configurations.len(), 1);
    let details = c.get_vm_image_details(&sql.name).await.unwrap();
    assert_eq!(
        details.os_disk_configuration.as_ref().unwrap().os,
        Some(OSType::Windows)
    );
    assert_service_error(
        c.get_vm_image_details("nope").await,
        404,
        "ResourceNotFound",
    );

    storage_account(&c, "vmimgstore", "West US").await;
    let create = CreateVMImageInput {
        name: "web-golden".into(),
        label: "Web golden image".into(),
        os_disk_configuration: VMImageOSDiskInput {
            host_caching: Some(HostCaching::ReadWrite),
            os_state: OSState::Generalized,
            os: OSType::Linux,
            media_link: "https://vmimgstore.blob.core.windows.net/vhds/os.vhd".into(),
        },
        data_disk_configurations: vec![VMImageDataDiskInput {
            host_caching: Some(HostCaching::ReadOnly),
            lun: Some(1),
            media_link: "https://vmimgstore.blob.core.windows.net/vhds/data.vhd".into(),
        }],
        ..Default::default()
    };
    let op = c.create_vm_image(&create).await.unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();
    let mine = c
        .list_vm_images()
        .await
        .unwrap()
        .vm_image
        .into_iter()
        .find(|i| i.name == "web-golden")
        .expect("the new image is listed");
    assert_eq!(mine.category, Some(ImageCategory::User));
    assert_eq!(mine.location.as_deref(), Some("West US"));
    assert_eq!(mine.data_disk_configurations[0].lun, Some(1));

    c.update_vm_image(
        "web-golden",
        &UpdateVMImageInput {
            label: "Web golden image v2".into(),
            data_disk_configurations: vec![VMImageDataDiskUpdate {
                lun: Some(1),
                host_caching: Some(HostCaching::ReadWrite),
                ..Default::default()
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let details = c.get_vm_image_details("web-golden").await.unwrap();
    assert_eq!(details.label.as_deref(), Some("Web golden image v2"));
    assert_eq!(
        details.data_disk_configurations[0].host_caching,
        Some(HostCaching::ReadWrite)
    );
    assert_service_error(
        c.update_vm_image(
            &sql.name,
            &UpdateVMImageInput {
                label: "mine now".into(),
                ..Default::default()
            },
        )
        .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.delete_vm_image(&sql.name, &Default::default()).await,
        400,
        "BadRequest",
    );
    c.delete_vm_image("web-golden", &Default::default())
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.get_vm_image_details("web-golden").await,
        404,
        "ResourceNotFound",
    );
}

#[tokio::test]
async fn extension_catalogs_and_publishing() {
    let (_emu, c) = start().await;
    // Virtual-machine extensions: the latest version of each, and all versions.
    let latest = c.list_resource_extensions().await.unwrap();
    let bginfo = latest
        .resource_extension
        .iter()
        .find(|e| e.publisher == "Microsoft.Compute" && e.name == "BGInfo")
        .expect("BGInfo");
    assert_eq!(bginfo.version, "2.1");
    assert!(latest
        .resource_extension
        .iter()
        .any(|e| e.publisher == "Microsoft.OSTCExtensions" && e.name == "VMAccessForLinux"));
    let versions = c
        .list_resource_extension_versions("Microsoft.Compute", "CustomScriptExtension")
        .await
        .unwrap();
    let v: Vec<_> = versions
        .resource_extension
        .iter()
        .map(|e| e.version.as_str())
        .collect();
    assert_eq!(v, ["1.7", "1.8", "1.9"]);

    // Cloud-service extensions.
    let available = c.list_available_extensions().await.unwrap();
    let rdp = available
        .extension_image
        .iter()
        .find(|e| e.type_ == "RDP")
        .expect("RDP");
    assert_eq!(rdp.version, "1.2.1");
    assert!(rdp
        .public_configuration_schema
        .as_deref()
        .unwrap_or("")
        .contains("xs:schema"));
    let rdp_versions = c
        .list_extension_versions("Microsoft.Windows.Azure.Extensions", "RDP")
        .await
        .unwrap();
    assert_eq!(rdp_versions.extension_image.len(), 2);

    // A publisher registers, updates and unregisters its own image.
    assert!(c
        .list_publisher_extensions()
        .await
        .unwrap()
        .extension_image
        .is_empty());
    let image = ExtensionImageInput {
        provider_name_space: "Contoso.Extensions".into(),
        type_: "Monitor".into(),
        version: "1.0".into(),
        label: Some("Contoso monitor".into()),
        description: Some("first".into()),
        ..Default::default()
    };
    c.register_extension_image(&image)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.register_extension_image(&image).await,
        409,
        "ConflictError",
    );
    let taken = ExtensionImageInput {
        provider_name_space: "Microsoft.Windows.Azure.Extensions".into(),
        type_: "RDP".into(),
        version: "9.0".into(),
        ..Default::default()
    };
    assert_service_error(
        c.register_extension_image(&taken).await,
        403,
        "ForbiddenError",
    );
    let published = c.list_publisher_extensions().await.unwrap();
    assert_eq!(published.extension_image.len(), 1);
    assert_eq!(published.extension_image[0].type_, "Monitor");
    c.update_extension_image(&ExtensionImageInput {
        description: Some("second".into()),
        ..image.clone()
    })
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();
    let v = c
        .list_extension_versions("Contoso.Extensions", "Monitor")
        .await
        .unwrap();
    assert_eq!(v.extension_image[0].description.as_deref(), Some("second"));
    assert!(c
        .list_available_extensions()
        .await
        .unwrap()
        .extension_image
        .iter()
        .any(|e| e.provider_name_space == "Contoso.Extensions"));
    c.unregister_extension_image("Contoso.Extensions", "Monitor", "1.0")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.unregister_extension_image("Contoso.Extensions", "Monitor", "1.0")
            .await,
        404,
        "ResourceNotFound",
    );
    assert!(c
        .list_publisher_extensions()
        .await
        .unwrap()
        .extension_image
        .is_empty());
}

#[tokio::test]
async fn cloud_service_extensions() {
    let (_emu, c) = start().await;
    let add = AddExtensionInput {
        provider_name_space: Some("Microsoft.Windows.Azure.Extensions".into()),
        type_: "RDP".into(),
        id: "RDP-1".into(),
        public_configuration: Some("<PublicConfig><UserName>ops</UserName></PublicConfig>".into()),
        private_configuration: Some(
            "<PrivateConfig><Password>s3cret-Pa55</Password></PrivateConfig>".into(),
        ),
        ..Default::default()
    };
    // The cloud service must exist.
    assert_service_error(
        c.add_extension("nosuchsvc", &add).await,
        404,
        "ResourceNotFound",
    );
    assert_service_error(
        c.list_extensions("nosuchsvc").await,
        404,
        "ResourceNotFound",
    );
    cloud_service(&c, "ext-svc-01").await;
    // An extension the catalog does not have is refused.
    let unknown = AddExtensionInput {
        type_: "Nonexistent".into(),
        id: "x".into(),
        ..add.clone()
    };
    assert_service_error(
        c.add_extension("ext-svc-01", &unknown).await,
        400,
        "BadRequest",
    );

    let op = c.add_extension("ext-svc-01", &add).await.unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();
    assert_service_error(
        c.add_extension("ext-svc-01", &add).await,
        409,
        "ConflictError",
    );

    let got = c.get_extension("ext-svc-01", "RDP-1").await.unwrap();
    assert_eq!(got.id, "RDP-1");
    assert_eq!(got.type_.as_deref(), Some("RDP"));
    assert_eq!(got.version.as_deref(), Some("1.2.1"));
    assert_eq!(got.public_configuration, add.public_configuration);
    let listed = c.list_extensions("ext-svc-01").await.unwrap();
    assert_eq!(listed.extension.len(), 1);

    // The private configuration never comes back, in any form.
    let mut req = runtime::Request::new(&extensions::GET_EXTENSION);
    req.path = format!(
        "{}/services/hostedservices/ext-svc-01/extensions/RDP-1",
        c.core().subscription_path().unwrap()
    );
    let raw = c.core().send(&req).await.unwrap();
    let body = String::from_utf8_lossy(&raw.body).into_owned();
    assert!(body.contains("<PublicConfiguration>"), "{body}");
    assert!(!body.contains("PrivateConfiguration"), "{body}");
    let secret_b64 = "czNjcmV0";
    assert!(
        !body.contains("s3cret") && !body.contains(secret_b64),
        "{body}"
    );
    // Nor in Debug output of the request type.
    assert!(!format!("{add:?}").contains("s3cret"));

    c.delete_extension("ext-svc-01", "RDP-1")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.get_extension("ext-svc-01", "RDP-1").await,
        404,
        "ResourceNotFound",
    );
    assert!(c
        .list_extensions("ext-svc-01")
        .await
        .unwrap()
        .extension
        .is_empty());
}

#[tokio::test]
async fn reserved_ips_and_migration() {
    let (_emu, c) = start().await;
    let create = CreateReservedIPInput {
        name: "front-ip".into(),
        label: Some("Front end".into()),
        location: Some("west us".into()),
        ..Default::default()
    };
    let op = c.create_reserved_ip(&create).await.unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();
    assert_service_error(c.create_reserved_ip(&create).await, 409, "ConflictError");
    let no_location = CreateReservedIPInput {
        name: "nowhere".into(),
        ..Default::default()
    };
    assert_service_error(c.create_reserved_ip(&no_location).await, 400, "BadRequest");
    c.create_reserved_ip(&CreateReservedIPInput {
        name: "second-ip".into(),
        location: Some("West US".into()),
        ..Default::default()
    })
    .await
    .unwrap()
    .wait()
    .await
    .unwrap();

    let ip = c.get_reserved_ip("front-ip").await.unwrap();
    assert_eq!(ip.location.as_deref(), Some("West US"));
    assert_eq!(ip.state.as_deref(), Some("Created"));
    assert_eq!(ip.label.as_deref(), Some("Front end"));
    assert_eq!(ip.in_use, Some(false));
    let address: std::net::Ipv4Addr = ip.address.as_deref().unwrap().parse().unwrap();
    assert!(ip.id.as_deref().is_some_and(|id| id.len() == 36));
    let listed = c.list_reserved_ips().await.unwrap();
    assert_eq!(listed.reserved_ip.len(), 2);
    let other = listed
        .reserved_ip
        .iter()
        .find(|r| r.name == "second-ip")
        .unwrap();
    assert_ne!(other.address.as_deref(), Some(address.to_string().as_str()));

    // Associate with a deployment of an existing cloud service.
    let assoc = ReservedIPAssociation {
        service_name: "rip-svc-01".into(),
        deployment_name: "prod".into(),
        virtual_ip_name: None,
    };
    assert_service_error(
        c.associate_reserved_ip("front-ip", &assoc).await,
        404,
        "ResourceNotFound",
    );
    cloud_service(&c, "rip-svc-01").await;
    c.associate_reserved_ip("front-ip", &assoc)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let ip = c.get_reserved_ip("front-ip").await.unwrap();
    assert_eq!(ip.in_use, Some(true));
    assert_eq!(ip.service_name.as_deref(), Some("rip-svc-01"));
    assert_eq!(ip.deployment_name.as_deref(), Some("prod"));
    // One reserved IP per virtual IP of a deployment; one association per IP.
    assert_service_error(
        c.associate_reserved_ip("second-ip", &assoc).await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.associate_reserved_ip("front-ip", &assoc).await,
        409,
        "ConflictError",
    );
    // Deleting it is refused while associated; migration validation says why.
    assert_service_error(c.delete_reserved_ip("front-ip").await, 400, "BadRequest");
    let v = c.validate_reserved_ip_migration("front-ip").await.unwrap();
    assert_eq!(v.validation_message.len(), 1);
    assert_eq!(v.validation_message[0].category.as_deref(), Some("Error"));
    assert_service_error(
        c.prepare_reserved_ip_migration("front-ip").await,
        400,
        "BadRequest",
    );
    // Disassociate: only from the deployment it is associated with.
    let wrong = ReservedIPAssociation {
        deployment_name: "staging".into(),
        ..assoc.clone()
    };
    assert_service_error(
        c.disassociate_reserved_ip("front-ip", &wrong).await,
        400,
        "BadRequest",
    );
    c.disassociate_reserved_ip("front-ip", &assoc)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let ip = c.get_reserved_ip("front-ip").await.unwrap();
    assert_eq!(ip.in_use, Some(false));
    assert!(ip.service_name.is_none());

    // Migration: validate → prepare → abort, prepare → commit; invalid
    // transitions refused.
    assert!(c
        .validate_reserved_ip_migration("front-ip")
        .await
        .unwrap()
        .validation_message
        .is_empty());
    assert_service_error(
        c.commit_reserved_ip_migration("front-ip").await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.abort_reserved_ip_migration("front-ip").await,
        400,
        "BadRequest",
    );
    c.prepare_reserved_ip_migration("front-ip")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.prepare_reserved_ip_migration("front-ip").await,
        409,
        "ConflictError",
    );
    assert_service_error(c.delete_reserved_ip("front-ip").await, 400, "BadRequest");
    c.abort_reserved_ip_migration("front-ip")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.abort_reserved_ip_migration("front-ip").await,
        400,
        "BadRequest",
    );
    c.prepare_reserved_ip_migration("front-ip")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.commit_reserved_ip_migration("front-ip")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    // Committed: Resource Manager owns it, the classic API no longer shows it.
    assert_service_error(c.get_reserved_ip("front-ip").await, 404, "ResourceNotFound");
    assert_service_error(
        c.prepare_reserved_ip_migration("front-ip").await,
        404,
        "ResourceNotFound",
    );

    // Delete the other one.
    let op = c.delete_reserved_ip("second-ip").await.unwrap();
    assert_eq!(op.status(), 202);
    op.wait().await.unwrap();
    assert!(c.list_reserved_ips().await.unwrap().reserved_ip.is_empty());
}

#[tokio::test]
async fn storage_account_migration() {
    let (_emu, c) = start().await;
    // A missing account: validation reports it, the others answer 404 (as recorded).
    let v = c.validate_storage_account_migration("123").await.unwrap();
    assert_eq!(v.validation_message.len(), 1);
    assert_eq!(
        v.validation_message[0].resource_type.as_deref(),
        Some("Storage")
    );
    assert_eq!(
        v.validation_message[0].message.as_deref(),
        Some("The storage account '123' was not found.")
    );
    for r in [
        c.prepare_storage_account_migration("123").await,
        c.commit_storage_account_migration("123").await,
        c.abort_storage_account_migration("123").await,
    ] {
        assert_service_error(r, 404, "ResourceNotFound");
    }
    storage_account(&c, "migstore01", "West US").await;
    assert!(c
        .validate_storage_account_migration("migstore01")
        .await
        .unwrap()
        .validation_message
        .is_empty());
    assert_service_error(
        c.commit_storage_account_migration("migstore01").await,
        400,
        "BadRequest",
    );
    c.prepare_storage_account_migration("migstore01")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.abort_storage_account_migration("migstore01")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.get_storage_account_properties("migstore01")
        .await
        .unwrap();
    c.prepare_storage_account_migration("migstore01")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    c.commit_storage_account_migration("migstore01")
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    assert_service_error(
        c.get_storage_account_properties("migstore01").await,
        404,
        "ResourceNotFound",
    );
}

const NETCFG: &str = "<NetworkConfiguration xmlns=\"http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration\">\
<VirtualNetworkConfiguration><VirtualNetworkSites>\
<VirtualNetworkSite name=\"mynetwork\" Location=\"West US\">\
<AddressSpace><AddressPrefix>10.4.0.0/16</AddressPrefix></AddressSpace>\
<Subnets><Subnet name=\"Subnet-1\"><AddressPrefix>10.4.0.0/24</AddressPrefix></Subnet></Subnets>\
</VirtualNetworkSite></VirtualNetworkSites></VirtualNetworkConfiguration></NetworkConfiguration>";

#[tokio::test]
async fn static_ip_role_sizes_os_families_providers() {
    let (_emu, c) = start().await;
    // No network configuration yet: the network does not exist.
    assert_service_error(
        c.check_static_ip_address_availability("mynetwork", "10.4.0.10")
            .await,
        404,
        "ResourceNotFound",
    );
    c.set_network_configuration(&TextDocument::from_text(NETCFG))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    // The first four addresses are the service's (as recorded for 10.4.0.0).
    let r = c
        .check_static_ip_address_availability("mynetwork", "10.4.0.0")
        .await
        .unwrap();
    assert!(!r.is_available);
    assert_eq!(
        r.available_addresses,
        ["10.4.0.4", "10.4.0.5", "10.4.0.6", "10.4.0.7", "10.4.0.8"]
    );
    let r = c
        .check_static_ip_address_availability("mynetwork", "10.4.0.10")
        .await
        .unwrap();
    assert!(r.is_available);
    assert!(r.available_addresses.is_empty());
    assert_service_error(
        c.check_static_ip_address_availability("mynetwork", "192.168.0.1")
            .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.check_static_ip_address_availability("mynetwork", "not-an-ip")
            .await,
        400,
        "BadRequest",
    );
    assert_service_error(
        c.check_static_ip_address_availability("othernet", "10.4.0.10")
            .await,
        404,
        "ResourceNotFound",
    );

    // Role sizes.
    let sizes = c.list_role_sizes().await.unwrap();
    let small = sizes.role_size.iter().find(|s| s.name == "Small").unwrap();
    assert_eq!((small.cores, small.memory_in_mb), (Some(1), Some(1792)));
    let ds2 = sizes
        .role_size
        .iter()
        .find(|s| s.name == "Standard_DS2")
        .unwrap();
    assert_eq!(ds2.supported_by_web_worker_roles, Some(false));
    assert_eq!(ds2.supported_by_virtual_machines, Some(true));

    // Guest OS families and versions (labels are base64 on the wire).
    let families = c.list_operating_system_families().await.unwrap();
    let f4 = families
        .operating_system_family
        .iter()
        .find(|f| f.name == 4)
        .unwrap();
    assert_eq!(f4.label.as_deref(), Some("Windows Server 2012 R2"));
    assert_eq!(
        f4.operating_systems
            .iter()
            .filter(|o| o.is_default == Some(true))
            .count(),
        1
    );
    let all = c.list_operating_systems().await.unwrap();
    assert!(all
        .operating_system
        .iter()
        .any(|o| o.family == Some(5) && o.version.starts_with("WA-GUEST-OS-5.")));
    assert_eq!(
        all.operating_system.len(),
        families
            .operating_system_family
            .iter()
            .map(|f| f.operating_systems.len())
            .sum::<usize>()
    );

    // Resource providers: registered once (409 again, as recorded), unknown 404.
    c.register_resource_provider("sqlserver").await.unwrap();
    assert_service_error(
        c.register_resource_provider("sqlserver").await,
        409,
        "ConflictError",
    );
    assert_service_error(
        c.register_resource_provider("nonsense").await,
        404,
        "ResourceNotFound",
    );
    c.unregister_resource_provider("sqlserver").await.unwrap();
    assert_service_error(
        c.unregister_resource_provider("sqlserver").await,
        409,
        "ConflictError",
    );
    c.register_resource_provider("SQLSERVER").await.unwrap();
}

/// Open enums: categories, operating systems and disk states the spec does
/// not list are kept as read, and written back unchanged.
#[test]
fn unknown_image_enum_values_are_kept() {
    let doc = r#"<OSImage xmlns="http://schemas.microsoft.com/windowsazure"><Category>Marketplace Partner</Category><Label>x</Label><Name>img</Name><OS>FreeBSD</OS><IOType>Ultra</IOType></OSImage>"#;
    let image: OSImage = runtime::xml::from_document("OSImage", doc.as_bytes()).unwrap();
    assert_eq!(
        image.category,
        Some(ImageCategory::Unknown("Marketplace Partner".into()))
    );
    assert_eq!(image.os, Some(OSType::Unknown("FreeBSD".into())));
    let again = runtime::xml::to_document("OSImage", &image);
    assert!(
        again.contains("<Category>Marketplace Partner</Category>"),
        "{again}"
    );
    assert!(again.contains("<OS>FreeBSD</OS>"), "{again}");

    let doc = r#"<VMImages xmlns="http://schemas.microsoft.com/windowsazure"><VMImage><Name>v</Name><OSDiskConfiguration><HostCaching>WriteBack</HostCaching><OSState>Hibernated</OSState><OS>Linux</OS></OSDiskConfiguration></VMImage></VMImages>"#;
    let list: VMImages = runtime::xml::from_document("VMImages", doc.as_bytes()).unwrap();
    let os = list.vm_image[0].os_disk_configuration.as_ref().unwrap();
    assert_eq!(
        os.host_caching,
        Some(HostCaching::Unknown("WriteBack".into()))
    );
    assert_eq!(os.os_state, Some(OSState::Unknown("Hibernated".into())));
}

/// Every subscription has the platform catalog; user images and reserved IPs
/// are the subscription's own, while reserved addresses come from one pool.
#[tokio::test]
async fn catalog_per_subscription_and_isolation() {
    let (emu, a) = start().await;
    let (sub_b, pem_b) = emu.add_subscription().unwrap();
    let b = client_builder_as(&emu, &sub_b, &pem_b)
        .poll_options(fast_poll())
        .build()
        .unwrap();
    let platform = a.list_os_images().await.unwrap().os_image.len();
    assert!(platform >= 6);
    assert_eq!(b.list_os_images().await.unwrap().os_image.len(), platform);
    assert!(!b.list_vm_images().await.unwrap().vm_image.is_empty());

    storage_account(&a, "isostore01", "West US").await;
    a.add_os_image(&AddOSImageInput {
        label: "A's".into(),
        media_link: "https://isostore01.blob.core.windows.net/vhds/a.vhd".into(),
        name: "a-image".into(),
        os: OSType::Windows,
        ..Default::default()
    })
    .await
    .unwrap();
    assert_eq!(
        a.list_os_images().await.unwrap().os_image.len(),
        platform + 1
    );
    assert_eq!(b.list_os_images().await.unwrap().os_image.len(), platform);
    assert_service_error(b.get_os_image("a-image").await, 404, "ResourceNotFound");
    // B cannot use A's storage account for its image.
    assert_service_error(
        b.add_os_image(&AddOSImageInput {
            label: "B's".into(),
            media_link: "https://isostore01.blob.core.windows.net/vhds/b.vhd".into(),
            name: "b-image".into(),
            os: OSType::Linux,
            ..Default::default()
        })
        .await,
        400,
        "BadRequest",
    );

    let reserve = |name: &str| CreateReservedIPInput {
        name: name.into(),
        location: Some("East US".into()),
        ..Default::default()
    };
    a.create_reserved_ip(&reserve("same-name"))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    b.create_reserved_ip(&reserve("same-name"))
        .await
        .unwrap()
        .wait()
        .await
        .unwrap();
    let ip_a = a.get_reserved_ip("same-name").await.unwrap().address;
    let ip_b = b.get_reserved_ip("same-name").await.unwrap().address;
    assert!(ip_a.is_some() && ip_b.is_some());
    assert_ne!(
        ip_a, ip_b,
        "one address pool per region across subscriptions"
    );
}

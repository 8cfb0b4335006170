//! Images, extensions, reserved IPs and the static catalogs (issue 9): the
//! behaviour on top of the engine's `OSImage`, `VMImage`, `ReservedIP` and
//! `HostedServiceExtension` resources (hooks), and the hand-written
//! operations around them — image details, replication and sharing, the
//! extension catalogs and publishers' extension images, reserved IP
//! association, the migration state machine of reserved IPs and storage
//! accounts, static IP availability in a virtual network, role sizes, guest
//! OS families and resource provider registration.
//!
//! State the engine does not hold (registered extension images, migration
//! states, registered providers) is kept in the `meta` table under the
//! prefixes `images/extimage/`, `images/migration/` and `images/provider/`.

use std::net::Ipv4Addr;

use asm_codegen::model::Resource;
use asm_runtime::xml::{self, FromXml, ToXml, XmlText};
use asm_runtime::TextDocument;
use azure_asm::server::ServerRequest;
use azure_asm::*;
use redb::{ReadTransaction, ReadableTable, WriteTransaction};

use crate::api::{Api, ApiError, Outcome, Reply, XML_CONTENT};
use crate::areas::NetworkConfigRec;
use crate::engine::{Elem, ResourceRec};
use crate::locations;
use crate::store::*;

const SERIALIZATION: &str = "http://schemas.microsoft.com/2003/10/Serialization/";

/// Regions the platform images are offered in.
const IMAGE_REGIONS: &str = "East Asia;Southeast Asia;North Europe;West Europe;Central US;East US;East US 2;South Central US;West US";

/// The error the service gives for a change to an image that is not the
/// subscription's own.
fn not_supported(name: &str) -> ApiError {
    ApiError::bad_request(format!(
        "This operation is not supported for image with name {name}."
    ))
}

/// An element tree as a generated type (through its XML).
fn typed<T: FromXml>(root: &'static str, e: &Elem) -> Result<T, ApiError> {
    xml::from_document(root, e.to_xml(root).as_bytes()).map_err(|err| {
        tracing::error!(root, error = %err, "stored state does not decode");
        ApiError::new(
            500,
            "InternalError",
            "The server encountered an internal error.",
        )
    })
}

/// A generated value as an element tree named `name`.
fn elem_of<T: ToXml>(name: &str, value: &T) -> Elem {
    let mut e = Elem::parse(xml::to_document(name, value).as_bytes()).unwrap_or_default();
    e.name = name.to_owned();
    e
}

fn is_user_image(state: &Elem) -> bool {
    state
        .child_text("Category")
        .is_some_and(|c| c.eq_ignore_ascii_case("User"))
}

// ---------------------------------------------------------------- catalogs

struct PlatformOsImage {
    name: &'static str,
    label: &'static str,
    os: &'static str,
    size_gb: &'static str,
    family: &'static str,
    publisher: &'static str,
    eula: &'static str,
    privacy: &'static str,
    icon: Option<&'static str>,
    small_icon: Option<&'static str>,
    vm_size: Option<&'static str>,
    published: &'static str,
    description: &'static str,
}

const PLATFORM_OS_IMAGES: &[PlatformOsImage] = &[
    PlatformOsImage {
        name: "a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2012-R2-20170512-en.us-127GB.vhd",
        label: "Windows Server 2012 R2 Datacenter, May 2017",
        os: "Windows",
        size_gb: "128",
        family: "Windows Server 2012 R2 Datacenter",
        publisher: "Microsoft Windows Server Group",
        eula: "",
        privacy: "https://go.microsoft.com/fwlink/?LinkID=286720",
        icon: Some("WindowsServer2012R2_100.png"),
        small_icon: Some("WindowsServer2012R2_45.png"),
        vm_size: Some("Standard_D1"),
        published: "2017-05-12T07:00:00Z",
        description: "At the heart of the Microsoft Cloud OS vision, Windows Server 2012 R2 brings Microsoft's experience delivering global-scale cloud services into your infrastructure.",
    },
    PlatformOsImage {
        name: "a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2016-Datacenter-20170510-en.us-127GB.vhd",
        label: "Windows Server 2016 Datacenter, May 2017",
        os: "Windows",
        size_gb: "128",
        family: "Windows Server 2016 Datacenter",
        publisher: "Microsoft Windows Server Group",
        eula: "https://go.microsoft.com/fwlink/?linkid=825699",
        privacy: "https://go.microsoft.com/fwlink/?linkid=734730",
        icon: None,
        small_icon: Some("WindowsServer2012R2_45.png"),
        vm_size: Some("Standard_D1"),
        published: "2017-05-10T07:00:00Z",
        description: "Windows Server 2016 is the cloud-ready operating system that delivers new layers of security and Azure-inspired innovation for the applications and infrastructure that power your business.",
    },
    PlatformOsImage {
        name: "a699494373c04fc0bc8f2bb1389d6106__Windows-Server-2008-R2-SP1-20170410-en.us-127GB.vhd",
        label: "Windows Server 2008 R2 SP1, April 2017",
        os: "Windows",
        size_gb: "128",
        family: "Windows Server 2008 R2 SP1",
        publisher: "Microsoft Windows Server Group",
        eula: "",
        privacy: "https://go.microsoft.com/fwlink/?LinkID=286720",
        icon: Some("WindowsServer2008R2_100.png"),
        small_icon: Some("WindowsServer2008R2_45.png"),
        vm_size: Some("Small"),
        published: "2017-04-10T07:00:00Z",
        description: "Windows Server 2008 R2 is a multi-purpose server designed to increase the reliability and flexibility of your server or private cloud infrastructure.",
    },
    PlatformOsImage {
        name: "b39f27a8b8c64d52b05eac6a62ebad85__Ubuntu-16_04-LTS-amd64-server-20170516-en-us-30GB",
        label: "Ubuntu Server 16.04 LTS",
        os: "Linux",
        size_gb: "30",
        family: "Ubuntu Server 16.04 LTS",
        publisher: "Canonical",
        eula: "http://www.ubuntu.com/project/about-ubuntu/licensing;http://www.ubuntu.com/aboutus/privacypolicy",
        privacy: "http://www.ubuntu.com/aboutus/privacypolicy",
        icon: Some("Ubuntu-cof-100.png"),
        small_icon: Some("Ubuntu-cof-45.png"),
        vm_size: None,
        published: "2017-05-17T00:00:00Z",
        description: "Ubuntu Server 16.04 LTS (amd64 20170516) for Microsoft Azure. Updates and patches for Ubuntu 16.04 LTS will be available until 2021-04-21.",
    },
    PlatformOsImage {
        name: "b39f27a8b8c64d52b05eac6a62ebad85__Ubuntu-14_04_5-LTS-amd64-server-20170510-en-us-30GB",
        label: "Ubuntu Server 14.04.5 LTS",
        os: "Linux",
        size_gb: "30",
        family: "Ubuntu Server 14.04 LTS",
        publisher: "Canonical",
        eula: "http://www.ubuntu.com/project/about-ubuntu/licensing;http://www.ubuntu.com/aboutus/privacypolicy",
        privacy: "http://www.ubuntu.com/aboutus/privacypolicy",
        icon: Some("Ubuntu-cof-100.png"),
        small_icon: Some("Ubuntu-cof-45.png"),
        vm_size: None,
        published: "2017-05-11T00:00:00Z",
        description: "Ubuntu Server 14.04.5 LTS (amd64 20170510) for Microsoft Azure. Updates and patches for Ubuntu 14.04 LTS will be available until 2019-04-17.",
    },
    PlatformOsImage {
        name: "5112500ae3b842c8b9c604889f8753c3__OpenLogic-CentOS-73-20170517",
        label: "OpenLogic 7.3",
        os: "Linux",
        size_gb: "31",
        family: "OpenLogic 7.3",
        publisher: "OpenLogic",
        eula: "http://www.openlogic.com/azure/service-agreement/",
        privacy: "",
        icon: None,
        small_icon: None,
        vm_size: None,
        published: "2017-05-18T06:00:00Z",
        description: "This distribution of Linux is based on CentOS version 7.3 and is provided by OpenLogic, a Rogue Wave Software company. It contains an installation of the Basic Server packages. (20170517)",
    },
];

fn platform_os_image(p: &PlatformOsImage) -> Elem {
    let mut e = Elem {
        name: "OSImage".into(),
        ..Default::default()
    };
    let mut add = |n: &str, v: &str| e.children.push(Elem::text(n, v));
    add("Category", "Public");
    add("Label", p.label);
    add("Location", IMAGE_REGIONS);
    add("LogicalSizeInGB", p.size_gb);
    add("Name", p.name);
    add("OS", p.os);
    add("Eula", p.eula);
    add("Description", p.description);
    add("ImageFamily", p.family);
    add("ShowInGui", "true");
    add("PublishedDate", p.published);
    add("IsPremium", "false");
    if let Some(i) = p.icon {
        add("IconUri", i);
    }
    add("PrivacyUri", p.privacy);
    if let Some(s) = p.vm_size {
        add("RecommendedVMSize", s);
    }
    add("PublisherName", p.publisher);
    if let Some(i) = p.small_icon {
        add("SmallIconUri", i);
    }
    add("IOType", "Standard_LRS");
    e.children.retain(|c| !c.text.is_empty());
    e
}

fn platform_vm_images() -> Vec<Elem> {
    let image = |name: &str,
                 label: &str,
                 os: &str,
                 size: &str,
                 publisher: &str,
                 premium: bool,
                 vm_size: &str,
                 data_disk: bool| {
        let mut e = Elem {
            name: "VMImage".into(),
            ..Default::default()
        };
        e.children.push(Elem::text("Name", name));
        e.children.push(Elem::text("Label", label));
        e.children.push(Elem::text("Category", "Public"));
        e.children.push(Elem::text("Description", label));
        e.children.push(Elem {
            name: "OSDiskConfiguration".into(),
            children: vec![
                Elem::text("Name", format!("{name}-os-2017-05-12")),
                Elem::text("HostCaching", "ReadWrite"),
                Elem::text("OSState", "Generalized"),
                Elem::text("OS", os),
                Elem::text("LogicalDiskSizeInGB", size),
                Elem::text("IOType", "Standard_LRS"),
            ],
            ..Default::default()
        });
        if data_disk {
            e.children.push(Elem {
                name: "DataDiskConfigurations".into(),
                children: vec![Elem {
                    name: "DataDiskConfiguration".into(),
                    children: vec![
                        Elem::text("Name", format!("{name}-datadisk-0-2017-05-12")),
                        Elem::text("HostCaching", "ReadOnly"),
                        Elem::text("Lun", "0"),
                        Elem::text("LogicalDiskSizeInGB", "1023"),
                        Elem::text("IOType", "Standard_LRS"),
                    ],
                    ..Default::default()
                }],
                ..Default::default()
            });
        }
        e.children.push(Elem::text("Location", IMAGE_REGIONS));
        e.children
            .push(Elem::text("CreatedTime", "2017-05-12T00:00:00Z"));
        e.children
            .push(Elem::text("ModifiedTime", "2017-05-12T00:00:00Z"));
        e.children.push(Elem::text("ImageFamily", label));
        e.children.push(Elem::text("RecommendedVMSize", vm_size));
        e.children
            .push(Elem::text("IsPremium", premium.to_string()));
        e.children.push(Elem::text("PublisherName", publisher));
        e.children
            .push(Elem::text("PublishedDate", "2017-05-12T07:00:00Z"));
        e.children.push(Elem::text("ShowInGui", "true"));
        e.children.push(Elem::text("VMImageState", "Ready"));
        e
    };
    vec![
        image(
            "fb83b3509582419d99629ce476bcb5c8__SQL-Server-2016-SP1-Standard-WS2016-20170512",
            "SQL Server 2016 SP1 Standard on Windows Server 2016",
            "Windows",
            "127",
            "Microsoft SQL Server Group",
            true,
            "Standard_DS13",
            true,
        ),
        image(
            "2b171e93f07c4903bcad35bda10acf22__CoreOS-Stable-1353.7.0",
            "CoreOS Stable",
            "Linux",
            "30",
            "CoreOS",
            false,
            "Small",
            false,
        ),
    ]
}

/// Writes the platform image catalog into a subscription (images already
/// there are left as they are).
pub(crate) fn seed_platform(
    table: &mut redb::Table<'_, &'static str, &'static [u8]>,
    sub: &str,
    now: Millis,
) -> Result<(), StoreError> {
    let os = PLATFORM_OS_IMAGES.iter().map(platform_os_image);
    let vm = platform_vm_images().into_iter();
    for (resource, state) in os.map(|s| ("OSImage", s)).chain(vm.map(|s| ("VMImage", s))) {
        let name = state.child_text("Name").unwrap_or_default().to_owned();
        // The engine's key of a top-level resource (names ignore case).
        let key = format!("{resource}/{sub}/{}", name.to_ascii_lowercase());
        if get::<ResourceRec>(table, &key)?.is_some() {
            continue;
        }
        let rec = ResourceRec {
            resource: resource.to_owned(),
            subscription: sub.to_owned(),
            parents: Vec::new(),
            name,
            state,
            created_ms: now,
            modified_ms: now,
            pending: None,
        };
        put(table, &key, &rec)?;
    }
    Ok(())
}

/// What a capture of a role (Capture Role / Capture VM Image, in the
/// virtual machines area) makes: the image's fields.
pub(crate) struct CapturedImage<'a> {
    pub name: &'a str,
    pub label: &'a str,
    /// Linux or Windows.
    pub os: &'a str,
    /// Generalized or Specialized.
    pub os_state: &'a str,
    /// The region of the role's cloud service.
    pub location: &'a str,
    /// The OS disk's blob.
    pub media_link: &'a str,
    pub service_name: &'a str,
    pub deployment_name: &'a str,
    pub role_name: &'a str,
    pub role_size: Option<&'a str>,
}

/// Stores a captured role as an `OSImage` (Capture Role) or a `VMImage`
/// (Capture VM Image) of `sub`, as the engine keeps them; 409 when the name
/// is taken.
pub(crate) fn store_captured_image(
    table: &mut redb::Table<'_, &'static str, &'static [u8]>,
    sub: &str,
    vm_image: bool,
    image: &CapturedImage<'_>,
    now: Millis,
) -> Result<(), ApiError> {
    let resource = if vm_image { "VMImage" } else { "OSImage" };
    let key = format!("{resource}/{sub}/{}", image.name.to_ascii_lowercase());
    if get::<ResourceRec>(table, &key)?.is_some_and(|r| exists(&r.pending, now)) {
        return Err(ApiError::conflict(format!(
            "An image named {} already exists.",
            image.name
        )));
    }
    let when = crate::api::datetime(now).to_text().into_owned();
    let size = if image.os.eq_ignore_ascii_case("Windows") {
        "127"
    } else {
        "30"
    };
    let mut state = Elem {
        name: resource.into(),
        ..Default::default()
    };
    let mut add = |n: &str, v: &str| state.children.push(Elem::text(n, v));
    if vm_image {
        add("Name", image.name);
        add("Label", image.label);
        add("Category", "User");
        state.children.push(Elem {
            name: "OSDiskConfiguration".into(),
            children: vec![
                Elem::text("Name", format!("{}-os", image.name)),
                Elem::text("HostCaching", "ReadWrite"),
                Elem::text("OSState", image.os_state),
                Elem::text("OS", image.os),
                Elem::text("MediaLink", image.media_link),
                Elem::text("LogicalDiskSizeInGB", size),
                Elem::text("IOType", "Standard"),
            ],
            ..Default::default()
        });
        let mut add = |n: &str, v: &str| state.children.push(Elem::text(n, v));
        add("ServiceName", image.service_name);
        add("DeploymentName", image.deployment_name);
        add("RoleName", image.role_name);
        add("Location", image.location);
        add("CreatedTime", &when);
        add("ModifiedTime", &when);
        add("IsPremium", "false");
        add("VMImageState", "Ready");
        add("RoleStateOnCapture", "StoppedVM");
        if let Some(size) = image.role_size {
            add("RoleSizeOnCapture", size);
        }
    } else {
        add("Category", "User");
        add("Label", image.label);
        add("Location", image.location);
        add("LogicalSizeInGB", size);
        add("MediaLink", image.media_link);
        add("Name", image.name);
        add("OS", image.os);
        add("IsPremium", "false");
        add("OSState", image.os_state);
        add("IOType", "Standard");
    }
    let rec = ResourceRec {
        resource: resource.to_owned(),
        subscription: sub.to_owned(),
        parents: Vec::new(),
        name: image.name.to_owned(),
        state,
        created_ms: now,
        modified_ms: now,
        pending: None,
    };
    put(table, &key, &rec)?;
    Ok(())
}

/// Seeds the platform catalog into every subscription of the store that
/// lacks it (data directories made before the catalog existed, subscriptions
/// from a `--seed` file).
pub(crate) fn seed_existing(store: &Store, now: Millis) -> Result<(), StoreError> {
    let tx = store.write()?;
    {
        let subs: Vec<String> = scan::<SubscriptionRec>(&tx.open_table(SUBSCRIPTIONS)?, "")?
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        let mut table = tx.open_table(RESOURCES)?;
        for sub in subs {
            seed_platform(&mut table, &sub, now)?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// One version of a cloud-service extension of the built-in catalog.
fn builtin_extension_images() -> Vec<ExtensionImage> {
    let ext = |ns: &str, ty: &str, version: &str, label: &str, description: &str, os: &str| {
        ExtensionImage {
            provider_name_space: ns.into(),
            type_: ty.into(),
            version: version.into(),
            label: Some(label.into()),
            hosting_resources: Some("WebOrWorkerRole".into()),
            description: Some(description.into()),
            publisher_name: Some("Microsoft".into()),
            public_configuration_schema: Some(format!(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element name=\"PublicConfig\"/></xs:schema><!-- {ty} -->"
            ).into()),
            private_configuration_schema: Some(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\"><xs:element name=\"PrivateConfig\"/></xs:schema>"
                    .into(),
            ),
            block_role_upon_failure: Some(false),
            is_internal_extension: Some(false),
            replication_completed: Some(true),
            is_json_extension: Some(false),
            supported_os: Some(os.into()),
            company_name: Some("Microsoft".into()),
            regions: Some(IMAGE_REGIONS.into()),
            ..Default::default()
        }
    };
    const NS: &str = "Microsoft.Windows.Azure.Extensions";
    vec![
        ext(
            NS,
            "RDP",
            "1.2",
            "Remote Desktop",
            "Remote Desktop for cloud service roles.",
            "Windows",
        ),
        ext(
            NS,
            "RDP",
            "1.2.1",
            "Remote Desktop",
            "Remote Desktop for cloud service roles.",
            "Windows",
        ),
        ext(
            NS,
            "Diagnostics",
            "1.5",
            "Azure Diagnostics",
            "Collects diagnostic data of cloud service roles.",
            "Windows",
        ),
        ext(
            NS,
            "Diagnostics",
            "1.7",
            "Azure Diagnostics",
            "Collects diagnostic data of cloud service roles.",
            "Windows",
        ),
        ext(
            "Microsoft.Azure.Security",
            "Antimalware",
            "1.5",
            "Microsoft Antimalware",
            "Microsoft Antimalware for cloud services.",
            "Windows",
        ),
    ]
}

/// The built-in virtual-machine extension catalog (publisher, name,
/// versions, label, OS, JSON).
fn builtin_resource_extensions() -> Vec<ResourceExtension> {
    let ext = |publisher: &str, name: &str, version: &str, label: &str, os: &str, json: bool| {
        ResourceExtension {
            publisher: publisher.into(),
            name: name.into(),
            version: version.into(),
            label: Some(label.into()),
            description: Some(format!("{label} ({publisher}.{name} {version}).").into()),
            public_configuration_schema: None,
            private_configuration_schema: None,
            sample_config: (json.then(|| "{\"commandToExecute\": \"\"}".to_owned()))
                .map(Into::into),
            replication_completed: Some(true),
            eula: Some("http://azure.microsoft.com/en-us/support/legal/".into()),
            privacy_uri: Some("http://azure.microsoft.com/en-us/support/legal/".into()),
            homepage_uri: Some("http://azure.microsoft.com/".into()),
            is_json_extension: Some(json),
            is_internal_extension: Some(false),
            disallow_major_version_upgrade: Some(false),
            supported_os: Some(os.into()),
            company_name: Some("Microsoft".into()),
            published_date: None,
            regions: None,
        }
    };
    const MC: &str = "Microsoft.Compute";
    const OSTC: &str = "Microsoft.OSTCExtensions";
    vec![
        ext(MC, "BGInfo", "1.1", "BGInfo", "Windows", false),
        ext(MC, "BGInfo", "2.1", "BGInfo", "Windows", true),
        ext(MC, "VMAccessAgent", "2.0", "VMAccessAgent", "Windows", true),
        ext(MC, "VMAccessAgent", "2.4", "VMAccessAgent", "Windows", true),
        ext(
            MC,
            "CustomScriptExtension",
            "1.7",
            "Custom Script Extension",
            "Windows",
            true,
        ),
        ext(
            MC,
            "CustomScriptExtension",
            "1.8",
            "Custom Script Extension",
            "Windows",
            true,
        ),
        ext(
            MC,
            "CustomScriptExtension",
            "1.9",
            "Custom Script Extension",
            "Windows",
            true,
        ),
        ext(
            OSTC,
            "VMAccessForLinux",
            "1.4",
            "VM Access for Linux",
            "Linux",
            true,
        ),
        ext(
            OSTC,
            "CustomScriptForLinux",
            "1.5",
            "Custom Script for Linux",
            "Linux",
            true,
        ),
        ext(
            OSTC,
            "LinuxDiagnostic",
            "2.3",
            "Linux Diagnostic",
            "Linux",
            true,
        ),
    ]
}

/// Compares dotted versions numerically (`1.10` after `1.9`).
fn version_key(v: &str) -> Vec<u64> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// The latest version of each (group key) in `items`, in first-seen order.
fn latest<T: Clone>(
    items: &[T],
    key: impl Fn(&T) -> String,
    version: impl Fn(&T) -> &str,
) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for item in items {
        match out
            .iter_mut()
            .find(|o| key(o).eq_ignore_ascii_case(&key(item)))
        {
            Some(o) => {
                if version_key(version(item)) > version_key(version(o)) {
                    *o = item.clone();
                }
            }
            None => out.push(item.clone()),
        }
    }
    out
}

fn role_sizes() -> RoleSizes {
    /// (name, cores, memory MB, data disks, web/worker disk MB, VM disk MB)
    type Size = (&'static str, i32, i32, i32, Option<i32>, i32);
    const SIZES: &[Size] = &[
        ("ExtraSmall", 1, 768, 1, Some(19456), 20480),
        ("Small", 1, 1792, 2, Some(229376), 71680),
        ("Medium", 2, 3584, 4, Some(501760), 138240),
        ("Large", 4, 7168, 8, Some(1022976), 291840),
        ("ExtraLarge", 8, 14336, 16, Some(2040832), 619520),
        ("A5", 2, 14336, 4, Some(501760), 138240),
        ("A6", 4, 28672, 8, Some(1022976), 291840),
        ("A7", 8, 57344, 16, Some(2040832), 619520),
        ("Basic_A0", 1, 768, 1, None, 20480),
        ("Basic_A1", 1, 1792, 2, None, 40960),
        ("Basic_A2", 2, 3584, 4, None, 61440),
        ("Basic_A3", 4, 7168, 8, None, 122880),
        ("Basic_A4", 8, 14336, 16, None, 245760),
        ("Standard_D1", 1, 3584, 2, Some(51200), 51200),
        ("Standard_D2", 2, 7168, 4, Some(102400), 102400),
        ("Standard_D3", 4, 14336, 8, Some(204800), 204800),
        ("Standard_D4", 8, 28672, 16, Some(409600), 409600),
        ("Standard_D11", 2, 14336, 4, Some(102400), 102400),
        ("Standard_D12", 4, 28672, 8, Some(204800), 204800),
        ("Standard_D13", 8, 57344, 16, Some(409600), 409600),
        ("Standard_D14", 16, 114688, 32, Some(819200), 819200),
        ("Standard_DS1", 1, 3584, 2, None, 7168),
        ("Standard_DS2", 2, 7168, 4, None, 14336),
        ("Standard_DS3", 4, 14336, 8, None, 28672),
        ("Standard_DS4", 8, 28672, 16, None, 57344),
        ("Standard_DS13", 8, 57344, 16, None, 114688),
        ("Standard_D1_v2", 1, 3584, 4, Some(51200), 51200),
        ("Standard_D2_v2", 2, 7168, 8, Some(102400), 102400),
        ("Standard_D3_v2", 4, 14336, 16, Some(204800), 204800),
    ];
    RoleSizes {
        role_size: SIZES
            .iter()
            .map(|&(name, cores, mem, disks, ww, vm)| RoleSize {
                name: name.into(),
                label: Some(format!("{name} ({cores} cores, {mem} MB)").into()),
                cores: Some(cores),
                memory_in_mb: Some(mem),
                supported_by_web_worker_roles: Some(ww.is_some()),
                supported_by_virtual_machines: Some(true),
                max_data_disk_count: Some(disks),
                web_worker_resource_disk_size_in_mb: ww,
                virtual_machine_resource_disk_size_in_mb: Some(vm),
            })
            .collect(),
    }
}

/// A guest OS version: (version, label, default).
type OsVersion = (String, String, bool);

/// Guest OS families: (family, label, versions).
fn os_families() -> Vec<(i32, &'static str, Vec<OsVersion>)> {
    let versions = |family: i32, minor: &[u32]| -> Vec<OsVersion> {
        let last = minor.len().saturating_sub(1);
        minor
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let release = ["201703-01", "201704-01"][i.min(1)];
                (
                    format!("WA-GUEST-OS-{family}.{m}_{release}"),
                    format!("Windows Azure Guest OS {family}.{m} (Release {release})"),
                    i == last,
                )
            })
            .collect()
    };
    vec![
        (2, "Windows Server 2008 R2 SP1", versions(2, &[60, 61])),
        (3, "Windows Server 2012", versions(3, &[48, 49])),
        (4, "Windows Server 2012 R2", versions(4, &[43, 44])),
        (5, "Windows Server 2016", versions(5, &[7, 8])),
    ]
}

// ---------------------------------------------------------------- migration

/// What a migration acts on.
#[derive(Clone, Copy)]
enum Migrating {
    ReservedIP,
    StorageAccount,
}

impl Migrating {
    fn resource(self) -> &'static str {
        match self {
            Self::ReservedIP => "ReservedIP",
            Self::StorageAccount => "StorageAccount",
        }
    }
    fn missing(self, name: &str) -> String {
        match self {
            Self::ReservedIP => format!("The reserved IP '{name}' was not found."),
            Self::StorageAccount => format!("The storage account '{name}' was not found."),
        }
    }
    fn kind(self) -> &'static str {
        match self {
            Self::ReservedIP => "ReservedIP",
            Self::StorageAccount => "Storage",
        }
    }
    fn display(self) -> &'static str {
        match self {
            Self::ReservedIP => "reserved IP",
            Self::StorageAccount => "storage account",
        }
    }
}

#[derive(Clone, Copy)]
enum Step {
    Prepare,
    Commit,
    Abort,
}

fn migration_key(sub: &str, what: Migrating, name: &str) -> String {
    format!(
        "images/migration/{sub}/{}/{}",
        what.resource(),
        name.to_ascii_lowercase()
    )
}

fn provider_key(sub: &str, name: &str) -> String {
    format!("images/provider/{sub}/{}", name.to_ascii_lowercase())
}

fn ext_image_prefix(sub: &str) -> String {
    format!("images/extimage/{sub}/")
}

fn ext_image_key(sub: &str, ns: &str, ty: &str, version: &str) -> String {
    format!(
        "{}{}/{}/{}",
        ext_image_prefix(sub),
        ns.to_ascii_lowercase(),
        ty.to_ascii_lowercase(),
        version.to_ascii_lowercase()
    )
}

/// Resource providers the service knew (names as the service spelled them).
const PROVIDERS: &[&str] = &[
    "website",
    "sqlserver",
    "scheduler.JobCollections",
    "mobileservice",
    "servicebus",
    "HDInsight",
    "biztalkservices.biztalk",
    "cacheservice.Memcache",
    "Microsoft.Cache",
    "Microsoft.Insights",
    "Microsoft.Storage",
    "Microsoft.Compute",
    "Microsoft.Network",
];

/// Where an IPv4 address falls: its subnet's prefix, parsed.
fn parse_cidr(prefix: &str) -> Option<(u32, u32)> {
    let (addr, len) = prefix.trim().split_once('/')?;
    let addr: Ipv4Addr = addr.parse().ok()?;
    let len: u32 = len.parse().ok()?;
    if len > 32 {
        return None;
    }
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    Some((u32::from(addr) & mask, mask))
}

impl Api {
    // ------------------------------------------------------------ hooks

    /// Checks and completes a new OS image, VM image, reserved IP or
    /// cloud-service extension (see `hooks::hook_create`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn images_hook_create(
        &self,
        tx: &WriteTransaction,
        r: &Resource,
        sub: &str,
        parents: &[String],
        name: &str,
        state: &mut Elem,
        now: Millis,
    ) -> Result<Option<Failure>, ApiError> {
        match r.name.as_str() {
            "OSImage" => {
                let body: AddOSImageInput = typed("OSImage", state)
                    .map_err(|_| ApiError::bad_request("The request body is invalid."))?;
                if body.label.trim().is_empty() {
                    return Err(ApiError::bad_request("The Label of the image is required."));
                }
                let os = match &body.os {
                    OSType::Linux => "Linux",
                    OSType::Windows => "Windows",
                    other => {
                        return Err(ApiError::bad_request(format!(
                            "The operating system type {} is not valid; use Linux or Windows.",
                            other.to_text()
                        )))
                    }
                };
                let region = self.media_link_region(tx, sub, &body.media_link, now)?;
                state.set(Elem::text("OS", os));
                state.set(Elem::text("Location", region));
                state.set(Elem::text(
                    "LogicalSizeInGB",
                    if os == "Windows" { "127" } else { "30" },
                ));
                if state.child("IsPremium").is_none() {
                    state.set(Elem::text("IsPremium", "false"));
                }
                state.set(Elem::text("OSState", "Generalized"));
                state.set(Elem::text("IOType", "Standard"));
                Ok(None)
            }
            "VMImage" => {
                let body: CreateVMImageInput = typed("VMImage", state)
                    .map_err(|_| ApiError::bad_request("The request body is invalid."))?;
                let os = &body.os_disk_configuration;
                if matches!(os.os, OSType::Unknown(_)) {
                    return Err(ApiError::bad_request(format!(
                        "The operating system type {} is not valid; use Linux or Windows.",
                        os.os.to_text()
                    )));
                }
                let region = self.media_link_region(tx, sub, &os.media_link, now)?;
                for d in &body.data_disk_configurations {
                    self.media_link_region(tx, sub, &d.media_link, now)?;
                }
                let mut luns: Vec<i32> = Vec::new();
                let mut data = Vec::new();
                for (i, d) in body.data_disk_configurations.iter().enumerate() {
                    let lun = d.lun.unwrap_or(i as i32);
                    if luns.contains(&lun) {
                        return Err(ApiError::bad_request(format!(
                            "The LUN {lun} is used by two data disks."
                        )));
                    }
                    luns.push(lun);
                    data.push(VMImageDataDisk {
                        name: Some(format!("{name}-datadisk-{lun}").into()),
                        host_caching: Some(
                            d.host_caching.clone().unwrap_or(HostCaching::NoCaching),
                        ),
                        lun: Some(lun),
                        media_link: Some(d.media_link.clone()),
                        logical_disk_size_in_gb: Some(1023),
                        io_type: Some("Standard".into()),
                    });
                }
                let osd = VMImageOSDisk {
                    name: Some(format!("{name}-os").into()),
                    host_caching: Some(os.host_caching.clone().unwrap_or(HostCaching::ReadWrite)),
                    os_state: Some(os.os_state.clone()),
                    os: Some(os.os.clone()),
                    media_link: Some(os.media_link.clone()),
                    logical_disk_size_in_gb: Some(if matches!(os.os, OSType::Windows) {
                        127
                    } else {
                        30
                    }),
                    io_type: Some("Standard".into()),
                };
                state.set(elem_of("OSDiskConfiguration", &osd));
                state
                    .children
                    .retain(|c| c.name != "DataDiskConfigurations");
                state.children.push(Elem {
                    name: "DataDiskConfigurations".into(),
                    children: data
                        .iter()
                        .map(|d| elem_of("DataDiskConfiguration", d))
                        .collect(),
                    ..Default::default()
                });
                state.set(Elem::text("Location", region));
                state.set(Elem::text("IsPremium", "false"));
                state.set(Elem::text("VMImageState", "Ready"));
                Ok(None)
            }
            "ReservedIP" => {
                let body: CreateReservedIPInput = typed("ReservedIP", state)
                    .map_err(|_| ApiError::bad_request("The request body is invalid."))?;
                let table = tx.open_table(RESOURCES)?;
                let location = match (&body.location, &body.service_name) {
                    (Some(l), _) if !l.trim().is_empty() => {
                        locations::canonical(l).map(str::to_owned).ok_or_else(|| {
                            ApiError::bad_request(format!("The location {l} is not valid."))
                        })?
                    }
                    (_, Some(service)) => {
                        let hs = self.hosted_service(&table, sub, service, now)?;
                        match (hs.location, hs.affinity_group) {
                            (Some(l), _) => l,
                            (None, Some(g)) => self
                                .affinity_group(&table, sub, &g)?
                                .map(|(_, l)| l)
                                .unwrap_or_default(),
                            _ => String::new(),
                        }
                    }
                    _ => {
                        return Err(ApiError::bad_request(
                            "A Location is required to reserve an IP address.",
                        ))
                    }
                };
                if body.service_name.is_some() != body.deployment_name.is_some() {
                    return Err(ApiError::bad_request(
                        "ServiceName and DeploymentName go together.",
                    ));
                }
                let address = allocate_address(&table, &location, now)?;
                drop(table);
                state.set(Elem::text("Address", address));
                state.set(Elem::text(
                    "Id",
                    uuid::Uuid::new_v4().hyphenated().to_string(),
                ));
                state.set(Elem::text("Location", location));
                let in_use = body.service_name.is_some();
                state.set(Elem::text("InUse", in_use.to_string()));
                Ok(None)
            }
            "HostedServiceExtension" => {
                let body: AddExtensionInput = typed("Extension", state)
                    .map_err(|_| ApiError::bad_request("The request body is invalid."))?;
                let ns = body
                    .provider_name_space
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .unwrap_or_else(|| "Microsoft.Windows.Azure.Extensions".into());
                let versions: Vec<ExtensionImage> = self
                    .all_extension_images(&tx.open_table(META)?, sub)?
                    .into_iter()
                    .filter(|i| {
                        i.provider_name_space.eq_ignore_ascii_case(&ns)
                            && i.type_.eq_ignore_ascii_case(&body.type_)
                    })
                    .collect();
                let Some(newest) = latest(&versions, |_| String::new(), |i| &i.version)
                    .into_iter()
                    .next()
                else {
                    return Err(ApiError::bad_request(format!(
                        "The extension {ns}.{} is not available.",
                        body.type_
                    )));
                };
                let version = match &body.version {
                    Some(v) if !v.trim().is_empty() && v != "*" => {
                        // A version or a major.* wildcard.
                        let found = versions.iter().any(|i| {
                            i.version == *v
                                || v.strip_suffix(".*")
                                    .is_some_and(|major| i.version.split('.').next() == Some(major))
                        });
                        if !found {
                            return Err(ApiError::bad_request(format!(
                                "The version {v} of the extension {ns}.{} is not available.",
                                body.type_
                            )));
                        }
                        v.clone()
                    }
                    _ => newest.version,
                };
                let _ = parents;
                state.set(Elem::text("ProviderNameSpace", ns));
                state.set(Elem::text("Version", version));
                if body.thumbprint.is_some() && state.child("ThumbprintAlgorithm").is_none() {
                    state.set(Elem::text("ThumbprintAlgorithm", "sha1"));
                }
                Ok(None)
            }
            _ => Ok(None),
        }
    }

    /// Refuses updates of platform images.
    pub(crate) fn images_hook_update(
        &self,
        r: &Resource,
        old: &Elem,
        _merged: &mut Elem,
    ) -> Result<(), ApiError> {
        match r.name.as_str() {
            "OSImage" if !is_user_image(old) => {
                Err(not_supported(old.child_text("Name").unwrap_or_default()))
            }
            _ => Ok(()),
        }
    }

    /// Refuses deletes the service refuses: platform images, an associated
    /// or migrating reserved IP.
    pub(crate) fn images_hook_delete(
        &self,
        tx: &WriteTransaction,
        r: &Resource,
        rec: &ResourceRec,
    ) -> Result<(), ApiError> {
        match r.name.as_str() {
            "OSImage" | "VMImage" if !is_user_image(&rec.state) => Err(not_supported(&rec.name)),
            "ReservedIP" => {
                if rec.state.child_text("InUse") == Some("true") {
                    return Err(ApiError::bad_request(format!(
                        "The reserved IP {} is associated with deployment {} of cloud service {} and cannot be deleted.",
                        rec.name,
                        rec.state.child_text("DeploymentName").unwrap_or_default(),
                        rec.state.child_text("ServiceName").unwrap_or_default()
                    )));
                }
                let key = migration_key(&rec.subscription, Migrating::ReservedIP, &rec.name);
                if get::<String>(&tx.open_table(META)?, &key)?.is_some() {
                    return Err(ApiError::bad_request(format!(
                        "The reserved IP {} is being migrated and cannot be deleted.",
                        rec.name
                    )));
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The region of the storage account a media link's blob is in.
    fn media_link_region(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        link: &str,
        now: Millis,
    ) -> Result<String, ApiError> {
        let invalid = || {
            ApiError::bad_request(format!(
                "The MediaLink {link} is not a valid blob URL (https://<account>.blob.core.windows.net/<container>/<blob>)."
            ))
        };
        let rest = link
            .trim()
            .strip_prefix("https://")
            .or_else(|| link.trim().strip_prefix("http://"))
            .ok_or_else(invalid)?;
        let (host, path) = rest.split_once('/').ok_or_else(invalid)?;
        let account = host
            .to_ascii_lowercase()
            .strip_suffix(".blob.core.windows.net")
            .map(str::to_owned)
            .ok_or_else(invalid)?;
        if !path.contains('/') || path.ends_with('/') {
            return Err(invalid());
        }
        let table = tx.open_table(RESOURCES)?;
        let accounts = self.storage_accounts_of(&table, sub, now)?;
        let found = accounts.iter().find(|a| a.name == account).ok_or_else(|| {
            ApiError::bad_request(format!(
                "The storage account {account} of the MediaLink was not found in the subscription."
            ))
        })?;
        Ok(found.region.clone())
    }

    /// Built-in and registered cloud-service extension images.
    fn all_extension_images(
        &self,
        meta: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
    ) -> Result<Vec<ExtensionImage>, ApiError> {
        let mut out = builtin_extension_images();
        out.extend(self.registered_extension_images(meta, sub)?);
        Ok(out)
    }

    fn registered_extension_images(
        &self,
        meta: &impl ReadableTable<&'static str, &'static [u8]>,
        sub: &str,
    ) -> Result<Vec<ExtensionImage>, ApiError> {
        let mut out = Vec::new();
        for (_, text) in scan::<String>(meta, &ext_image_prefix(sub))? {
            if let Ok(image) =
                xml::from_document::<ExtensionImage>("ExtensionImage", text.as_bytes())
            {
                out.push(image);
            }
        }
        Ok(out)
    }

    // ------------------------------------------------------------ reads

    /// Reads of this area (`areas::read_more` hands over what it does not serve).
    pub(crate) fn images_read(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Reply, ApiError> {
        match req {
            ServerRequest::GetOSImageDetails { image_name, .. } => {
                let table = tx.open_table(RESOURCES)?;
                let (_, rec) = self.live_record(&table, "OSImage", sub, image_name, now)?;
                let mut details: OSImageDetails = typed("OSImageDetails", &rec.state)?;
                details.is_corrupted = Some(false);
                Ok(Reply::xml(req, &details))
            }
            ServerRequest::GetVMImageDetails { vm_image_name, .. } => {
                let table = tx.open_table(RESOURCES)?;
                let (_, rec) = self.live_record(&table, "VMImage", sub, vm_image_name, now)?;
                let mut details: VMImageDetails = typed("VMImageDetails", &rec.state)?;
                details.is_corrupted = Some(false);
                Ok(Reply::xml(req, &details))
            }
            ServerRequest::ListAvailableExtensions { .. } => {
                let all = self.all_extension_images(&tx.open_table(META)?, sub)?;
                let items = latest(
                    &all,
                    |i| format!("{}/{}", i.provider_name_space, i.type_),
                    |i| &i.version,
                );
                Ok(Reply::xml(
                    req,
                    &ExtensionImages {
                        extension_image: items,
                    },
                ))
            }
            ServerRequest::ListExtensionVersions {
                provider_namespace,
                extension_type,
                ..
            } => {
                let all = self.all_extension_images(&tx.open_table(META)?, sub)?;
                let mut items: Vec<ExtensionImage> = all
                    .into_iter()
                    .filter(|i| {
                        i.provider_name_space
                            .eq_ignore_ascii_case(provider_namespace)
                            && i.type_.eq_ignore_ascii_case(extension_type)
                    })
                    .collect();
                items.sort_by_key(|i| version_key(&i.version));
                Ok(Reply::xml(
                    req,
                    &ExtensionImages {
                        extension_image: items,
                    },
                ))
            }
            ServerRequest::ListPublisherExtensions { .. } => {
                let items = self.registered_extension_images(&tx.open_table(META)?, sub)?;
                Ok(Reply::xml(
                    req,
                    &ExtensionImages {
                        extension_image: items,
                    },
                ))
            }
            ServerRequest::ListResourceExtensions { .. } => {
                let items = latest(
                    &builtin_resource_extensions(),
                    |e| format!("{}/{}", e.publisher, e.name),
                    |e| &e.version,
                );
                Ok(Reply::xml(
                    req,
                    &ResourceExtensions {
                        resource_extension: items,
                    },
                ))
            }
            ServerRequest::ListResourceExtensionVersions {
                publisher_name,
                extension_name,
                ..
            } => {
                let items: Vec<ResourceExtension> = builtin_resource_extensions()
                    .into_iter()
                    .filter(|e| {
                        e.publisher.eq_ignore_ascii_case(publisher_name)
                            && e.name.eq_ignore_ascii_case(extension_name)
                    })
                    .collect();
                Ok(Reply::xml(
                    req,
                    &ResourceExtensions {
                        resource_extension: items,
                    },
                ))
            }
            ServerRequest::CheckStaticIPAddressAvailability {
                network_name,
                ip_address,
                ..
            } => self.check_static_ip(tx, sub, req, network_name, ip_address),
            ServerRequest::ListRoleSizes { .. } => Ok(Reply::xml(req, &role_sizes())),
            ServerRequest::ListOperatingSystems { .. } => {
                let mut list = Vec::new();
                for (family, family_label, versions) in os_families() {
                    for (version, label, default) in versions {
                        list.push(OperatingSystem {
                            version: version.into(),
                            label: Some(label.into()),
                            is_default: Some(default),
                            is_active: Some(true),
                            family: Some(family),
                            family_label: Some(family_label.into()),
                        });
                    }
                }
                Ok(Reply::xml(
                    req,
                    &OperatingSystems {
                        operating_system: list,
                    },
                ))
            }
            ServerRequest::ListOperatingSystemFamilies { .. } => {
                let families = os_families()
                    .into_iter()
                    .map(|(family, label, versions)| OperatingSystemFamily {
                        name: family,
                        label: Some(label.into()),
                        operating_systems: versions
                            .into_iter()
                            .map(|(version, label, default)| OperatingSystemFamilyVersion {
                                version: version.into(),
                                label: Some(label.into()),
                                is_default: Some(default),
                                is_active: Some(true),
                            })
                            .collect(),
                    })
                    .collect();
                Ok(Reply::xml(
                    req,
                    &OperatingSystemFamilies {
                        operating_system_family: families,
                    },
                ))
            }
            _ => self.read_platform(tx, sub, req, now),
        }
    }

    fn check_static_ip(
        &self,
        tx: &ReadTransaction,
        sub: &str,
        req: &ServerRequest,
        network: &str,
        address: &str,
    ) -> Result<Reply, ApiError> {
        let missing =
            || ApiError::not_found(format!("The virtual network {network} does not exist."));
        let rec: NetworkConfigRec =
            get(&tx.open_table(NETWORK_CONFIG)?, sub)?.ok_or_else(missing)?;
        let config = TextDocument::<NetworkConfiguration>::from_text(rec.text.clone())
            .parse()
            .map_err(|e| {
                ApiError::bad_request(format!("The network configuration is not valid: {e}"))
            })?;
        let site = config
            .virtual_network_configuration
            .virtual_network_sites
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(network))
            .ok_or_else(missing)?;
        let ip: Ipv4Addr = address.trim().parse().map_err(|_| {
            ApiError::bad_request(format!("The IP address {address} is not valid."))
        })?;
        let ip = u32::from(ip);
        let subnets: Vec<(u32, u32)> = site
            .subnets
            .iter()
            .filter_map(|s| parse_cidr(&s.address_prefix))
            .collect();
        let in_space = site
            .address_space
            .address_prefix
            .iter()
            .filter_map(|p| parse_cidr(p))
            .any(|(net, mask)| ip & mask == net);
        if !in_space {
            return Err(ApiError::bad_request(format!(
                "The IP address {address} is not in the address space of the virtual network {network}."
            )));
        }
        // The first four addresses of a subnet and its last are the
        // service's; addresses of deployed roles are not tracked here.
        let usable = |a: u32, (net, mask): (u32, u32)| {
            a & mask == net && a >= net.saturating_add(4) && a < (net | !mask)
        };
        let subnet = subnets
            .iter()
            .copied()
            .find(|&(net, mask)| ip & mask == net);
        let available = subnet.is_some_and(|s| usable(ip, s));
        let mut near = Vec::new();
        if !available {
            if let Some((net, mask)) = subnet.or_else(|| subnets.first().copied()) {
                let mut a = ip.max(net);
                while near.len() < 5 && a & mask == net {
                    if usable(a, (net, mask)) {
                        near.push(Ipv4Addr::from(a).to_string().into());
                    }
                    match a.checked_add(1) {
                        Some(n) => a = n,
                        None => break,
                    }
                }
            }
        }
        Ok(Reply::xml(
            req,
            &AddressAvailabilityResponse {
                is_available: available,
                available_addresses: near,
            },
        ))
    }

    // ------------------------------------------------------------ writes

    /// Mutations of this area (`areas::write_more` hands over what it does
    /// not serve).
    pub(crate) fn images_write(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        match req {
            ServerRequest::ReplicateOSImage {
                image_name, body, ..
            } => self.replicate(tx, sub, "OSImage", image_name, body, now),
            ServerRequest::ReplicateVMImage {
                vm_image_name,
                body,
                ..
            } => self.replicate(tx, sub, "VMImage", vm_image_name, body, now),
            ServerRequest::UnreplicateOSImage { image_name, .. } => {
                self.unreplicate(tx, sub, "OSImage", image_name, now)
            }
            ServerRequest::UnreplicateVMImage { vm_image_name, .. } => {
                self.unreplicate(tx, sub, "VMImage", vm_image_name, now)
            }
            ServerRequest::ShareOSImage {
                image_name,
                permission,
                ..
            } => self.share(tx, sub, "OSImage", image_name, permission, now),
            ServerRequest::ShareVMImage {
                vm_image_name,
                permission,
                ..
            } => self.share(tx, sub, "VMImage", vm_image_name, permission, now),
            ServerRequest::UpdateVMImage {
                image_name, body, ..
            } => {
                let mut table = tx.open_table(RESOURCES)?;
                let (key, mut rec) = self.live_record(&table, "VMImage", sub, image_name, now)?;
                if !is_user_image(&rec.state) {
                    return Err(not_supported(&rec.name));
                }
                let mut current: VMImage = typed("VMImage", &rec.state)?;
                current.label = Some(body.label.clone());
                macro_rules! take {
                    ($($f:ident),*) => {$(
                        if body.$f.is_some() {
                            current.$f = body.$f.clone();
                        }
                    )*};
                }
                take!(
                    description,
                    language,
                    image_family,
                    recommended_vm_size,
                    eula,
                    icon_uri,
                    small_icon_uri,
                    privacy_uri,
                    published_date,
                    show_in_gui
                );
                if let (Some(update), Some(os)) = (
                    &body.os_disk_configuration,
                    current.os_disk_configuration.as_mut(),
                ) {
                    if update.host_caching.is_some() {
                        os.host_caching = update.host_caching.clone();
                    }
                }
                for update in &body.data_disk_configurations {
                    let disk = current.data_disk_configurations.iter_mut().find(|d| {
                        (update.name.is_some() && d.name == update.name)
                            || (update.name.is_none()
                                && update.lun.is_some()
                                && d.lun == update.lun)
                    });
                    let Some(disk) = disk else {
                        return Err(ApiError::bad_request(format!(
                            "The image {image_name} has no data disk {}.",
                            update
                                .name
                                .clone()
                                .or_else(
                                    || (update.lun.map(|l| format!("at LUN {l}"))).map(Into::into)
                                )
                                .unwrap_or_default()
                        )));
                    };
                    if update.host_caching.is_some() {
                        disk.host_caching = update.host_caching.clone();
                    }
                }
                current.modified_time = Some(crate::api::datetime(now));
                let mut state = elem_of("VMImage", &current);
                // Keep what the typed view does not carry (replication, sharing).
                for c in &rec.state.children {
                    if state.child(&c.name).is_none() {
                        state.children.push(c.clone());
                    }
                }
                rec.state = state;
                rec.modified_ms = now;
                put(&mut table, &key, &rec)?;
                Ok(Reply::empty(200).into())
            }
            ServerRequest::RegisterExtensionImage { body, .. } => {
                self.put_extension_image(tx, sub, body, true, now)
            }
            ServerRequest::UpdateExtensionImage { body, .. } => {
                self.put_extension_image(tx, sub, body, false, now)
            }
            ServerRequest::UnregisterExtensionImage {
                provider_namespace,
                resource_type,
                version,
                ..
            } => {
                let key = ext_image_key(sub, provider_namespace, resource_type, version);
                let mut meta = tx.open_table(META)?;
                if get::<String>(&meta, &key)?.is_none() {
                    return Err(ApiError::not_found(format!(
                        "The extension image {provider_namespace}.{resource_type} version {version} is not registered."
                    )));
                }
                // Refused while a cloud service uses it.
                let table = tx.open_table(RESOURCES)?;
                let used = scan::<ResourceRec>(&table, "HostedServiceExtension/")?
                    .into_iter()
                    .any(|(_, r)| {
                        r.subscription == sub
                            && exists(&r.pending, now)
                            && r.state
                                .child_text("ProviderNameSpace")
                                .is_some_and(|n| n.eq_ignore_ascii_case(provider_namespace))
                            && r.state
                                .child_text("Type")
                                .is_some_and(|t| t.eq_ignore_ascii_case(resource_type))
                            && r.state.child_text("Version") == Some(version.as_str())
                    });
                if used {
                    return Err(ApiError::conflict(format!(
                        "The extension image {provider_namespace}.{resource_type} version {version} is in use by a cloud service."
                    )));
                }
                meta.remove(key.as_str())?;
                Ok(self.accepted(now))
            }
            ServerRequest::AssociateReservedIP {
                reserved_ip_name,
                body,
                ..
            } => {
                let mut table = tx.open_table(RESOURCES)?;
                let (key, mut rec) =
                    self.live_record(&table, "ReservedIP", sub, reserved_ip_name, now)?;
                self.hosted_service(&table, sub, &body.service_name, now)?;
                if body.deployment_name.trim().is_empty() {
                    return Err(ApiError::bad_request("The DeploymentName is required."));
                }
                if rec.state.child_text("InUse") == Some("true") {
                    return Err(ApiError::conflict(format!(
                        "The reserved IP {} is already associated with deployment {} of cloud service {}.",
                        rec.name,
                        rec.state.child_text("DeploymentName").unwrap_or_default(),
                        rec.state.child_text("ServiceName").unwrap_or_default()
                    )));
                }
                let vip = body.virtual_ip_name.clone().unwrap_or_default();
                let taken = self
                    .live_records(&table, "ReservedIP", sub, now)?
                    .into_iter()
                    .any(|o| {
                        o.state.child_text("InUse") == Some("true")
                            && o.state
                                .child_text("ServiceName")
                                .is_some_and(|s| s.eq_ignore_ascii_case(&body.service_name))
                            && o.state
                                .child_text("DeploymentName")
                                .is_some_and(|d| d.eq_ignore_ascii_case(&body.deployment_name))
                            && o.state.child_text("VirtualIPName").unwrap_or_default() == vip
                    });
                if taken {
                    return Err(ApiError::conflict(format!(
                        "The deployment {} of cloud service {} already has a reserved IP on that virtual IP.",
                        body.deployment_name, body.service_name
                    )));
                }
                rec.state.set(Elem::text("InUse", "true"));
                rec.state
                    .set(Elem::text("ServiceName", body.service_name.clone()));
                rec.state
                    .set(Elem::text("DeploymentName", body.deployment_name.clone()));
                rec.state.children.retain(|c| c.name != "VirtualIPName");
                if !vip.is_empty() {
                    rec.state.set(Elem::text("VirtualIPName", vip));
                }
                rec.modified_ms = now;
                put(&mut table, &key, &rec)?;
                Ok(self.accepted(now))
            }
            ServerRequest::DisassociateReservedIP {
                reserved_ip_name,
                body,
                ..
            } => {
                let mut table = tx.open_table(RESOURCES)?;
                let (key, mut rec) =
                    self.live_record(&table, "ReservedIP", sub, reserved_ip_name, now)?;
                let same = |el: &str, v: &str| {
                    rec.state
                        .child_text(el)
                        .is_some_and(|x| x.eq_ignore_ascii_case(v))
                };
                if rec.state.child_text("InUse") != Some("true")
                    || !same("ServiceName", &body.service_name)
                    || !same("DeploymentName", &body.deployment_name)
                {
                    return Err(ApiError::bad_request(format!(
                        "The reserved IP {} is not associated with deployment {} of cloud service {}.",
                        rec.name, body.deployment_name, body.service_name
                    )));
                }
                rec.state.set(Elem::text("InUse", "false"));
                rec.state.children.retain(|c| {
                    !matches!(
                        c.name.as_str(),
                        "ServiceName" | "DeploymentName" | "VirtualIPName"
                    )
                });
                rec.modified_ms = now;
                put(&mut table, &key, &rec)?;
                Ok(self.accepted(now))
            }
            ServerRequest::ValidateReservedIPMigration { ip_name, .. } => {
                self.validate_migration(tx, sub, req, Migrating::ReservedIP, ip_name, now)
            }
            ServerRequest::PrepareReservedIPMigration { ip_name, .. } => self
                .migrate_ip_or_storage(tx, sub, Migrating::ReservedIP, ip_name, Step::Prepare, now),
            ServerRequest::CommitReservedIPMigration { ip_name, .. } => self.migrate_ip_or_storage(
                tx,
                sub,
                Migrating::ReservedIP,
                ip_name,
                Step::Commit,
                now,
            ),
            ServerRequest::AbortReservedIPMigration { ip_name, .. } => self.migrate_ip_or_storage(
                tx,
                sub,
                Migrating::ReservedIP,
                ip_name,
                Step::Abort,
                now,
            ),
            ServerRequest::ValidateStorageAccountMigration {
                storage_account_name,
                ..
            } => self.validate_migration(
                tx,
                sub,
                req,
                Migrating::StorageAccount,
                storage_account_name,
                now,
            ),
            ServerRequest::PrepareStorageAccountMigration {
                storage_account_name,
                ..
            } => self.migrate_ip_or_storage(
                tx,
                sub,
                Migrating::StorageAccount,
                storage_account_name,
                Step::Prepare,
                now,
            ),
            ServerRequest::CommitStorageAccountMigration {
                storage_account_name,
                ..
            } => self.migrate_ip_or_storage(
                tx,
                sub,
                Migrating::StorageAccount,
                storage_account_name,
                Step::Commit,
                now,
            ),
            ServerRequest::AbortStorageAccountMigration {
                storage_account_name,
                ..
            } => self.migrate_ip_or_storage(
                tx,
                sub,
                Migrating::StorageAccount,
                storage_account_name,
                Step::Abort,
                now,
            ),
            ServerRequest::RegisterResourceProvider { resource_name, .. } => {
                self.register_provider(tx, sub, resource_name, true)
            }
            ServerRequest::UnregisterResourceProvider { resource_name, .. } => {
                self.register_provider(tx, sub, resource_name, false)
            }
            _ => self.write_platform(tx, sub, req, now),
        }
    }

    /// 202 for an asynchronous operation that completes after the delay.
    #[allow(clippy::too_many_arguments)]
    fn replicate(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        resource: &str,
        name: &str,
        body: &ReplicationInput,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let mut table = tx.open_table(RESOURCES)?;
        let (key, mut rec) = self.live_record(&table, resource, sub, name, now)?;
        if !is_user_image(&rec.state) {
            return Err(not_supported(&rec.name));
        }
        let attrs = &body.compute_image_attributes;
        if attrs.offer.trim().is_empty()
            || attrs.sku.trim().is_empty()
            || attrs.version.trim().is_empty()
        {
            return Err(ApiError::bad_request(
                "ComputeImageAttributes needs an Offer, a Sku and a Version.",
            ));
        }
        if body.target_locations.is_empty() {
            return Err(ApiError::bad_request(
                "At least one target location is required.",
            ));
        }
        let mut regions = Vec::new();
        for l in &body.target_locations {
            let c = locations::canonical(l)
                .map(str::to_owned)
                .ok_or_else(|| ApiError::bad_request(format!("The location {l} is not valid.")))?;
            if !regions.contains(&c) {
                regions.push(c);
            }
        }
        rec.state.set(Elem {
            name: "ReplicationProgress".into(),
            children: regions
                .iter()
                .map(|r| Elem {
                    name: "ReplicationProgressElement".into(),
                    children: vec![
                        Elem::text("Location", r.clone()),
                        Elem::text("Progress", "100"),
                    ],
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        });
        rec.state.set(elem_of(
            "ComputeImageAttributes",
            &body.compute_image_attributes,
        ));
        match &body.marketplace_image_attributes {
            Some(m) => rec.state.set(elem_of("MarketplaceImageAttributes", m)),
            None => rec
                .state
                .children
                .retain(|c| c.name != "MarketplaceImageAttributes"),
        }
        rec.state.set(Elem::text("PublishedName", rec.name.clone()));
        rec.modified_ms = now;
        put(&mut table, &key, &rec)?;
        Ok(Reply::body(
            200,
            XML_CONTENT,
            xml::scalar_to_document("string", SERIALIZATION, &rec.name),
        )
        .into())
    }

    fn unreplicate(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        resource: &str,
        name: &str,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let mut table = tx.open_table(RESOURCES)?;
        let (key, mut rec) = self.live_record(&table, resource, sub, name, now)?;
        if !is_user_image(&rec.state) {
            return Err(not_supported(&rec.name));
        }
        if rec.state.child("ReplicationProgress").is_none() {
            return Err(ApiError::bad_request(format!(
                "The image {} is not replicated.",
                rec.name
            )));
        }
        for el in [
            "ReplicationProgress",
            "ComputeImageAttributes",
            "MarketplaceImageAttributes",
            "PublishedName",
            "SharingStatus",
        ] {
            rec.state.children.retain(|c| c.name != el);
        }
        rec.modified_ms = now;
        put(&mut table, &key, &rec)?;
        Ok(self.accepted(now))
    }

    fn share(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        resource: &str,
        name: &str,
        permission: &ImageSharingPermission,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let mut table = tx.open_table(RESOURCES)?;
        let (key, mut rec) = self.live_record(&table, resource, sub, name, now)?;
        if !is_user_image(&rec.state) {
            return Err(not_supported(&rec.name));
        }
        if matches!(permission, ImageSharingPermission::Unknown(_)) {
            return Err(ApiError::bad_request(format!(
                "The permission {} is not valid; use Public, Private or Preview.",
                permission.to_text()
            )));
        }
        if rec.state.child("ReplicationProgress").is_none() {
            return Err(ApiError::bad_request(format!(
                "The image {} must be replicated before it can be shared.",
                rec.name
            )));
        }
        rec.state.set(Elem::text(
            "SharingStatus",
            permission.to_text().into_owned(),
        ));
        rec.modified_ms = now;
        put(&mut table, &key, &rec)?;
        Ok(self.accepted(now))
    }

    fn put_extension_image(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        body: &ExtensionImageInput,
        register: bool,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let (ns, ty, version) = (&body.provider_name_space, &body.type_, &body.version);
        if ns.trim().is_empty() || ty.trim().is_empty() || version.trim().is_empty() {
            return Err(ApiError::bad_request(
                "ProviderNameSpace, Type and Version are required.",
            ));
        }
        if version_key(version).iter().all(|&p| p == 0)
            || version.split('.').any(|p| p.parse::<u64>().is_err())
        {
            return Err(ApiError::bad_request(format!(
                "The version {version} is not valid: use numbers separated by dots (1.0)."
            )));
        }
        let builtin = builtin_extension_images().iter().any(|i| {
            i.provider_name_space.eq_ignore_ascii_case(ns) && i.type_.eq_ignore_ascii_case(ty)
        });
        if builtin {
            return Err(ApiError::new(
                403,
                "ForbiddenError",
                format!("The extension namespace {ns} belongs to another publisher."),
            ));
        }
        let key = ext_image_key(sub, ns, ty, version);
        let mut meta = tx.open_table(META)?;
        let exists = get::<String>(&meta, &key)?.is_some();
        if register && exists {
            return Err(ApiError::conflict(format!(
                "The extension image {ns}.{ty} version {version} is already registered."
            )));
        }
        if !register && !exists {
            return Err(ApiError::not_found(format!(
                "The extension image {ns}.{ty} version {version} is not registered."
            )));
        }
        let mut image: ExtensionImage = xml::from_document(
            "ExtensionImage",
            xml::to_document("ExtensionImage", body).as_bytes(),
        )
        .map_err(|_| ApiError::bad_request("The request body is invalid."))?;
        if image.published_date.is_none() {
            image.published_date = Some(crate::api::datetime(now));
        }
        image.replication_completed = Some(true);
        put(&mut meta, &key, &xml::to_document("ExtensionImage", &image))?;
        Ok(self.accepted(now))
    }

    fn validation_messages(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        what: Migrating,
        name: &str,
        now: Millis,
    ) -> Result<Option<Vec<ValidationMessage>>, ApiError> {
        let table = tx.open_table(RESOURCES)?;
        let Ok((_, rec)) = self.live_record(&table, what.resource(), sub, name, now) else {
            return Ok(None);
        };
        let mut out = Vec::new();
        if let Migrating::ReservedIP = what {
            if rec.state.child_text("InUse") == Some("true") {
                out.push(ValidationMessage {
                    resource_type: Some(what.kind().into()),
                    resource_name: Some(rec.name.as_str().into()),
                    category: Some("Error".into()),
                    message: Some(format!(
                        "The reserved IP {} is associated with a deployment: migrate the deployment instead.",
                        rec.name
                    ).into()),
                    virtual_machine: None,
                });
            }
        }
        Ok(Some(out))
    }

    fn validate_migration(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        req: &ServerRequest,
        what: Migrating,
        name: &str,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let messages = match self.validation_messages(tx, sub, what, name, now)? {
            Some(m) => m,
            None => vec![ValidationMessage {
                resource_type: Some(what.kind().into()),
                resource_name: Some(name.into()),
                category: Some("Error".into()),
                message: Some(what.missing(name).into()),
                virtual_machine: None,
            }],
        };
        Ok(Reply::xml(
            req,
            &ValidationMessages {
                validation_message: messages,
            },
        )
        .into())
    }

    fn migrate_ip_or_storage(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        what: Migrating,
        name: &str,
        step: Step,
        now: Millis,
    ) -> Result<Outcome, ApiError> {
        let Some(messages) = self.validation_messages(tx, sub, what, name, now)? else {
            return Err(ApiError::not_found(what.missing(name)));
        };
        let key = migration_key(sub, what, name);
        let mut meta = tx.open_table(META)?;
        let prepared = get::<String>(&meta, &key)?.is_some();
        match step {
            Step::Prepare => {
                if prepared {
                    return Err(ApiError::conflict(format!(
                        "The {} {name} is already prepared for migration.",
                        what.display()
                    )));
                }
                if let Some(m) = messages.first() {
                    return Err(ApiError::bad_request(m.message.clone().unwrap_or_default()));
                }
                put(&mut meta, &key, &"Prepared".to_owned())?;
            }
            Step::Commit | Step::Abort => {
                if !prepared {
                    return Err(ApiError::bad_request(format!(
                        "The {} {name} is not prepared for migration.",
                        what.display()
                    )));
                }
                meta.remove(key.as_str())?;
                if let Step::Commit = step {
                    // Migrated: Resource Manager owns it now.
                    let mut table = tx.open_table(RESOURCES)?;
                    let (rkey, _) = self.live_record(&table, what.resource(), sub, name, now)?;
                    table.remove(rkey.as_str())?;
                }
            }
        }
        Ok(self.accepted(now))
    }

    fn register_provider(
        &self,
        tx: &WriteTransaction,
        sub: &str,
        name: &str,
        register: bool,
    ) -> Result<Outcome, ApiError> {
        let known = PROVIDERS
            .iter()
            .find(|p| p.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| ApiError::not_found("The service name is unknown."))?;
        let key = provider_key(sub, known);
        let mut meta = tx.open_table(META)?;
        let registered = get::<String>(&meta, &key)?.is_some();
        match (register, registered) {
            (true, true) => Err(ApiError::conflict(format!(
                "The resource type {known} is already registered for this subscription."
            ))),
            (false, false) => Err(ApiError::conflict(format!(
                "The resource type {known} is not registered for this subscription."
            ))),
            (true, false) => {
                put(&mut meta, &key, &known.to_string())?;
                Ok(Reply::empty(200).into())
            }
            (false, true) => {
                meta.remove(key.as_str())?;
                Ok(Reply::empty(200).into())
            }
        }
    }
}

/// A free address of the region's pool (198.18.0.0/15, the benchmarking
/// range: never a real public address), shared by every subscription.
fn allocate_address(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    location: &str,
    now: Millis,
) -> Result<String, ApiError> {
    let index = locations::all()
        .location
        .iter()
        .position(|l| l.name.eq_ignore_ascii_case(location))
        .unwrap_or(0) as u32;
    let base = u32::from(Ipv4Addr::new(198, 18, 0, 0)) + (index % 512) * 256;
    let used: Vec<String> = scan::<ResourceRec>(table, "ReservedIP/")?
        .into_iter()
        .filter(|(_, r)| r.resource == "ReservedIP" && exists(&r.pending, now))
        .filter_map(|(_, r)| r.state.child_text("Address").map(str::to_owned))
        .collect();
    (4..255)
        .map(|n| Ipv4Addr::from(base + n).to_string())
        .find(|a| !used.contains(a))
        .ok_or_else(|| {
            ApiError::new(
                409,
                "ConflictError",
                format!("No public IP address is left in {location}."),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_numerically() {
        assert!(version_key("1.10") > version_key("1.9"));
        let items = vec![("a", "1.9"), ("a", "1.10"), ("b", "2.0")];
        let l = latest(&items, |i| i.0.to_owned(), |i| i.1);
        assert_eq!(l, vec![("a", "1.10"), ("b", "2.0")]);
    }

    #[test]
    fn resource_display_names_keep_acronyms() {
        use crate::engine::display;
        assert_eq!(display("OSImage"), "OS image");
        assert_eq!(display("VMImage"), "VM image");
        assert_eq!(display("ReservedIP"), "reserved IP");
        assert_eq!(display("HostedService"), "hosted service");
        assert_eq!(display("NetworkSecurityGroup"), "network security group");
    }

    #[test]
    fn captured_images_read_as_their_types() {
        let db = redb::Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .unwrap();
        let tx = db.begin_write().unwrap();
        {
            let mut t = tx.open_table(RESOURCES).unwrap();
            let image = CapturedImage {
                name: "cap1",
                label: "Captured",
                os: "Linux",
                os_state: "Generalized",
                location: "West US",
                media_link: "https://a.blob.core.windows.net/vhds/cap1.vhd",
                service_name: "svc",
                deployment_name: "dep",
                role_name: "vm1",
                role_size: Some("Small"),
            };
            store_captured_image(&mut t, "sub", false, &image, 0).unwrap();
            store_captured_image(&mut t, "sub", true, &image, 0).unwrap();
            assert!(store_captured_image(&mut t, "sub", true, &image, 0).is_err());
            let os: ResourceRec = get(&t, "OSImage/sub/cap1").unwrap().unwrap();
            let os: OSImage = typed("OSImage", &os.state).unwrap();
            assert_eq!(os.category, Some(ImageCategory::User));
            assert_eq!(os.os, Some(OSType::Linux));
            let vm: ResourceRec = get(&t, "VMImage/sub/cap1").unwrap().unwrap();
            let vm: VMImageDetails = typed("VMImageDetails", &vm.state).unwrap();
            assert_eq!(vm.role_name.as_deref(), Some("vm1"));
            assert_eq!(
                vm.os_disk_configuration.unwrap().os_state,
                Some(OSState::Generalized)
            );
        }
    }

    #[test]
    fn cidr() {
        let (net, mask) = parse_cidr("10.4.0.0/24").unwrap();
        assert_eq!(Ipv4Addr::from(net).to_string(), "10.4.0.0");
        assert_eq!(mask, 0xFFFF_FF00);
        assert!(parse_cidr("10.0.0.0/33").is_none());
        assert!(parse_cidr("nonsense").is_none());
    }
}

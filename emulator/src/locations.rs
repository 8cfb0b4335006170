//! The fixed set of data center locations the emulator offers.

use azure_asm::{
    ComputeCapabilities, Location, Locations, StorageAccountType, StorageCapabilities,
};

/// (name, paired region for geo-redundant storage, premium storage available)
const LOCATIONS: &[(&str, &str, bool)] = &[
    ("West US", "East US", true),
    ("East US", "West US", true),
    ("East US 2", "Central US", true),
    ("Central US", "East US 2", false),
    ("North Central US", "South Central US", false),
    ("South Central US", "North Central US", true),
    ("North Europe", "West Europe", true),
    ("West Europe", "North Europe", true),
    ("East Asia", "Southeast Asia", false),
    ("Southeast Asia", "East Asia", true),
    ("Japan East", "Japan West", true),
    ("Japan West", "Japan East", false),
    ("Brazil South", "South Central US", false),
    ("Australia East", "Australia Southeast", true),
    ("Australia Southeast", "Australia East", false),
];

/// The canonical name of a location (names match case-insensitively).
pub(crate) fn canonical(name: &str) -> Option<&'static str> {
    let name = name.trim();
    LOCATIONS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, _, _)| *n)
}

/// The secondary region of geo-redundant storage in `region`.
pub(crate) fn paired_region(region: &str) -> &'static str {
    LOCATIONS
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(region))
        .map(|(_, p, _)| *p)
        .unwrap_or("East US")
}

/// Whether storage accounts of `account_type` can be created in `region`.
pub(crate) fn supports_account_type(region: &str, account_type: &str) -> bool {
    account_type != "Premium_LRS"
        || LOCATIONS
            .iter()
            .any(|(n, _, premium)| *premium && n.eq_ignore_ascii_case(region))
}

/// Role sizes offered everywhere.
pub(crate) fn compute_capabilities() -> ComputeCapabilities {
    let sizes = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    ComputeCapabilities {
        web_worker_role_sizes: (sizes(&[
            "A5",
            "A6",
            "A7",
            "ExtraLarge",
            "ExtraSmall",
            "Large",
            "Medium",
            "Small",
        ]))
        .into_iter()
        .map(Into::into)
        .collect::<Vec<_>>(),
        virtual_machines_role_sizes: (sizes(&[
            "Basic_A0",
            "Basic_A1",
            "Basic_A2",
            "A5",
            "A6",
            "A7",
            "ExtraLarge",
            "ExtraSmall",
            "Large",
            "Medium",
            "Small",
        ]))
        .into_iter()
        .map(Into::into)
        .collect::<Vec<_>>(),
    }
}

/// The answer of List Locations.
pub(crate) fn all() -> Locations {
    Locations {
        location: LOCATIONS
            .iter()
            .map(|(name, _, premium)| {
                let mut types = vec![
                    StorageAccountType::StandardLrs,
                    StorageAccountType::StandardZrs,
                    StorageAccountType::StandardGrs,
                    StorageAccountType::StandardRagrs,
                ];
                let mut services = vec![
                    "Compute".to_owned(),
                    "Storage".to_owned(),
                    "PersistentVMRole".to_owned(),
                    "HighMemory".to_owned(),
                ];
                if *premium {
                    types.push(StorageAccountType::PremiumLrs);
                    services.push("PremiumStorage".to_owned());
                }
                Location {
                    name: (*name).into(),
                    display_name: Some((*name).into()),
                    available_services: services.into_iter().map(Into::into).collect::<Vec<_>>(),
                    compute_capabilities: Some(compute_capabilities()),
                    storage_capabilities: Some(StorageCapabilities {
                        storage_account_types: types,
                    }),
                }
            })
            .collect(),
    }
}

//! The generator end to end: the committed code is current, stale code is
//! caught by name, `spec operations` matches the reference inventory, and a
//! new operation needs spec edits only.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let p = e.path();
        let dest = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &dest);
        } else {
            std::fs::copy(&p, &dest).unwrap();
        }
    }
}

#[test]
fn committed_generated_code_is_current() {
    let spec = asm_codegen::load(&root().join("spec")).unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let files = asm_codegen::generate(&spec).unwrap();
    let problems = asm_codegen::check(&root().join("generated"), &files);
    assert!(
        problems.is_empty(),
        "run `cargo xtask codegen`:\n{}",
        problems.join("\n")
    );
}

#[test]
fn check_names_deleted_edited_and_extra_files() {
    let spec = asm_codegen::load(&root().join("spec")).unwrap();
    let files = asm_codegen::generate(&spec).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("generated");
    asm_codegen::write(&out, &files).unwrap();
    assert!(asm_codegen::check(&out, &files).is_empty());

    std::fs::remove_file(out.join("src/locations.rs")).unwrap();
    let mut edited = std::fs::read_to_string(out.join("src/subscription.rs")).unwrap();
    edited.push_str("\n// hand edit\n");
    std::fs::write(out.join("src/subscription.rs"), edited).unwrap();
    std::fs::write(out.join("src/stray.rs"), "").unwrap();

    let problems = asm_codegen::check(&out, &files).join("\n");
    assert!(
        problems.contains("missing:") && problems.contains("locations.rs"),
        "{problems}"
    );
    assert!(
        problems.contains("stale:") && problems.contains("subscription.rs"),
        "{problems}"
    );
    assert!(
        problems.contains("extra:") && problems.contains("stray.rs"),
        "{problems}"
    );
    // `write` repairs all three.
    asm_codegen::write(&out, &files).unwrap();
    assert!(asm_codegen::check(&out, &files).is_empty());
}

#[test]
fn generation_is_deterministic() {
    let spec = asm_codegen::load(&root().join("spec")).unwrap();
    let a = asm_codegen::generate(&spec).unwrap();
    let b = asm_codegen::generate(&asm_codegen::load(&root().join("spec")).unwrap()).unwrap();
    assert_eq!(a, b);
}

/// Every one of the 440 operations of
/// `../shared/reference/operations.tsv` is in the spec, with the same
/// method and URI template, and the spec has no operation the inventory
/// lacks.
#[test]
fn spec_operations_match_the_reference_inventory() {
    let spec = asm_codegen::load(&root().join("spec")).unwrap();
    let table = asm_codegen::operations_table(&spec);
    let tsv_path = root().join("../shared/reference/operations.tsv");
    let tsv = std::fs::read_to_string(&tsv_path)
        .unwrap_or_else(|e| panic!("{}: {e}", tsv_path.display()));
    let reference: std::collections::BTreeMap<&str, (&str, &str)> = tsv
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            Some((*c.get(1)?, (*c.get(2)?, *c.get(3)?)))
        })
        .collect();
    let listed: Vec<Vec<&str>> = table.lines().map(|l| l.split('\t').collect()).collect();
    assert!(
        listed.iter().all(|c| c.len() == 3),
        "format is Name<TAB>METHOD<TAB>URI"
    );
    assert_eq!(reference.len(), 440, "the inventory has 440 operations");
    for (name, (method, uri)) in &reference {
        let row = listed
            .iter()
            .find(|c| c[0] == *name)
            .unwrap_or_else(|| panic!("{name} is not in the spec"));
        assert_eq!((row[1], row[2]), (*method, *uri), "{name}");
    }
    // Every listed operation is in the reference inventory.
    for row in &listed {
        let (method, uri) = reference
            .get(row[0])
            .unwrap_or_else(|| panic!("{} is not in operations.tsv", row[0]));
        assert_eq!((row[1], row[2]), (*method, *uri), "{}", row[0]);
    }
}

/// A new operation needs spec edits only: add one to a copy of the spec and
/// the generator emits a client method, a route and its types.
#[test]
fn a_new_operation_needs_spec_edits_only() {
    let tmp = tempfile::tempdir().unwrap();
    let spec_dir = tmp.path().join("spec");
    copy_dir(&root().join("spec"), &spec_dir);
    std::fs::write(
        spec_dir.join("role_sizes.spec"),
        r#"
/// Lists the role sizes available to the subscription.
operation ListRoleSizes {
    method   GET
    uri      /{subscriptionId}/rolesizes
    version  2014-10-01
    response RoleSizes
    status   200
}

/// Role sizes.
struct RoleSizes {
    RoleSize: RoleSize*
}

/// A role size.
struct RoleSize {
    Name: string
    Label: label
    Cores: i32
    MemoryInMb: i32
    SupportedByWebWorkerRoles: bool?
}
"#,
    )
    .unwrap();
    let spec = asm_codegen::load(&spec_dir).unwrap_or_else(|e| {
        panic!(
            "{}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    assert!(asm_codegen::operations_table(&spec)
        .contains("ListRoleSizes\tGET\t/{subscriptionId}/rolesizes\n"));
    let files = asm_codegen::generate(&spec).unwrap();
    let module = &files
        .iter()
        .find(|(p, _)| p == "src/role_sizes.rs")
        .expect("a module for the new area")
        .1;
    assert!(
        module.contains("pub async fn list_role_sizes(&self) -> Result<RoleSizes, Error>"),
        "{module}"
    );
    assert!(module.contains("pub struct RoleSize {"));
    assert!(module.contains("pub static LIST_ROLE_SIZES: OperationSpec"));
    let server = &files.iter().find(|(p, _)| p == "src/server.rs").unwrap().1;
    assert!(server.contains("ListRoleSizes {"));
    let lib = &files.iter().find(|(p, _)| p == "src/lib.rs").unwrap().1;
    assert!(lib.contains("pub mod role_sizes;"));
    // ... and a command of the generated CLI (`asm role-sizes list-role-sizes`).
    let cli = &files.iter().find(|(p, _)| p == "src/cli.rs").unwrap().1;
    assert!(cli.contains("area: \"role-sizes\""), "{cli}");
    assert!(cli.contains("name: \"list-role-sizes\""));
    assert!(cli.contains("fn run_list_role_sizes<'a>("));
    // Every generated file is valid Rust.
    for (path, text) in &files {
        if path.ends_with(".rs") {
            syn::parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

#[test]
fn spec_errors_name_file_line_and_item() {
    let tmp = tempfile::tempdir().unwrap();
    let spec_dir = tmp.path().join("spec");
    std::fs::create_dir_all(&spec_dir).unwrap();
    std::fs::write(
        spec_dir.join("broken.spec"),
        "struct A {\n    Name: string\n    Child: Missing?\n}\n\noperation GetA {\n    method GET\n    uri /{subscriptionId}/a/{name}/{name}\n    version 2014-10-01\n    response A\n    status 200\n}\n",
    )
    .unwrap();
    let errors = asm_codegen::load(&spec_dir).unwrap_err();
    let text = errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        text.contains("spec/broken.spec:3: unknown type (`Missing`)"),
        "{text}"
    );
    assert!(
        text.contains("spec/broken.spec:6: placeholder used twice in the URI (`name`)"),
        "{text}"
    );
}

/// Spec v2 language: operations the router cannot tell apart are an error
/// unless declared `same-wire-as`; aliases get a client method and no route;
/// response headers become a typed output; splices, attributes, namespaces,
/// mixed segments and trailing slashes reach the generated code.
#[test]
fn spec_v2_forms_generate_and_validate() {
    let tmp = tempfile::tempdir().unwrap();
    let spec_dir = tmp.path().join("spec");
    std::fs::create_dir_all(&spec_dir).unwrap();
    let base = "struct Common {\n    Name: string\n}\n\nstruct Gadget ns=\"urn:gadgets\" {\n    @kind: string?\n    ..Common\n    Size: i32?\n}\n\n\
operation PutGadget {\n    method PUT\n    uri /{subscriptionId}/gadgets/{a}-{b}/\n    version 2014-10-01\n    request Gadget\n    response-header ETag: string\n    status 200-299\n}\n\n";
    let alias_missing = "operation UpdateGadget {\n    method PUT\n    uri /{subscriptionId}/gadgets/{x}-{y}/\n    version 2014-10-01\n    request Gadget\n    status 200\n}\n";
    std::fs::write(
        spec_dir.join("gadgets.spec"),
        format!("{base}{alias_missing}"),
    )
    .unwrap();
    let errors = asm_codegen::load(&spec_dir).unwrap_err();
    let text = errors
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("same-wire-as PutGadget"), "{text}");

    let alias = alias_missing.replace(
        "    status 200\n",
        "    status 200\n    same-wire-as PutGadget\n",
    );
    std::fs::write(spec_dir.join("gadgets.spec"), format!("{base}{alias}")).unwrap();
    let spec = asm_codegen::load(&spec_dir).unwrap_or_else(|e| panic!("{e:?}"));
    let gadget = spec.find_struct("Gadget").unwrap();
    let fields: Vec<_> = gadget.fields.iter().map(|f| f.element.as_str()).collect();
    assert_eq!(
        fields,
        ["kind", "Name", "Size"],
        "the splice lands in place"
    );
    let files = asm_codegen::generate(&spec).unwrap();
    let module = &files.iter().find(|(p, _)| p == "src/gadgets.rs").unwrap().1;
    let server = &files.iter().find(|(p, _)| p == "src/server.rs").unwrap().1;
    assert!(
        module.contains("pub struct PutGadgetOutput"),
        "typed response headers"
    );
    assert!(module.contains("pub e_tag: Option<String>"));
    assert!(
        module.contains("pub async fn update_gadget("),
        "the alias has a method"
    );
    assert!(
        module.contains("w.attr_opt(\"kind\""),
        "attributes are written"
    );
    assert!(module.contains("\"urn:gadgets\""), "the type's namespace");
    assert!(
        module.contains("success: &[(200u16, 299u16)]"),
        "status ranges"
    );
    assert!(
        module.contains("req.path.push('-')") && module.contains("req.path.push('/')"),
        "literal text and a trailing slash (one char is a char: clippy's single_char_add_str)"
    );
    assert!(server.contains("Seg::Mixed(&[Part::Param, Part::Lit(\"-\"), Part::Param])"));
    assert!(
        server.contains("PutGadget {") && !server.contains("UpdateGadget {"),
        "aliases are not routed"
    );
}

/// A poller's status operation may name a path parameter differently from
/// the started operation (`{siteName}` vs `{webSiteName}`): the started
/// operation maps it (`async Poller siteName=webSiteName`). One-character
/// literals between placeholders (`(`, `/`) are written with `push`.
#[test]
fn poller_parameters_are_mapped_and_one_char_literals_pushed() {
    let tmp = tempfile::tempdir().unwrap();
    let spec_dir = tmp.path().join("spec");
    std::fs::create_dir_all(&spec_dir).unwrap();
    let base = r#"
operation GetSiteOperation {
    method   GET
    uri      /{subscriptionId}/spaces/{spaceName}/sites/{siteName}/operations/{operationId}
    version  2014-04-01
    response Operation: SiteOperation
    status   200
}

struct SiteOperation {
    ID: string? rust=id
    Status: SiteOperationStatus?
    Names: [string: string]? ns="urn:arrays" prefix=a
}

enum SiteOperationStatus {
    InProgress pending
    Succeeded success
    Failed failure
}

poller Site {
    operation GetSiteOperation
    id        body ID
    status    Status
}

operation SwapSlots {
    method   POST
    uri      /{subscriptionId}/spaces/{spaceName}/sites/{webSiteName}({sourceSlot})/slots/{a}/{b}
    version  2014-04-01
    response Operation: SiteOperation
    status   200 202
    ASYNC
}
"#;
    let load = |async_line: &str| {
        std::fs::write(
            spec_dir.join("sites.spec"),
            base.replace("ASYNC", async_line),
        )
        .unwrap();
        asm_codegen::load(&spec_dir).map_err(|errors| {
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        })
    };
    // Unmapped: the started operation has no {siteName}.
    let text = load("async Site").unwrap_err();
    assert!(
        text.contains("the poller Site needs the path parameter siteName"),
        "{text}"
    );
    // A mapping to a parameter that does not exist, or from one the status
    // operation does not take.
    let text = load("async Site siteName=nope").unwrap_err();
    assert!(text.contains("no such path parameter (`nope`)"), "{text}");
    let text = load("async Site siteName=webSiteName other=webSiteName").unwrap_err();
    assert!(
        text.contains("has no context path parameter other"),
        "{text}"
    );
    let text = load("async Site siteName").unwrap_err();
    assert!(text.contains("statusParam=ownParam"), "{text}");

    let spec = load("async Site siteName=webSiteName").unwrap();
    let files = asm_codegen::generate(&spec).unwrap();
    let module = &files.iter().find(|(p, _)| p == "src/sites.rs").unwrap().1;
    assert!(
        module.contains("site_name: web_site_name.to_owned()"),
        "the poller takes siteName from webSiteName:\n{module}"
    );
    assert!(
        module.contains("req.path.push('(')") && module.contains("req.path.push('/')"),
        "one-character literals are pushed as chars:\n{module}"
    );
    assert!(!module.contains("push_str(\"(\")") && !module.contains("push_str(\"/\")"));
    // ns= on a wrapped text list puts the items in that namespace.
    assert!(
        module.contains("w.text_ns(\"a\", \"urn:arrays\", \"string\", v)"),
        "list items in their namespace:\n{module}"
    );
    for (path, text) in &files {
        if path.ends_with(".rs") {
            syn::parse_file(text).unwrap_or_else(|e| panic!("{path}: {e}"));
        }
    }
}

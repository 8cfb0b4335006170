//! The emulator's generic engine: a plain CRUD resource added to a copy of
//! the spec is served — create, get, list, update, delete, 404 and 409,
//! limits, fields the service fills — with no emulator code at all.

use std::path::Path;
use std::time::Duration;

use asm_emulator::{Config, Emulator};
use asm_runtime::{Core, Credentials, OperationSpec, Request, RetryPolicy};

const WIDGETS: &str = r#"
/// Creates a widget.
operation CreateWidget {
    method  POST
    uri     /{subscriptionId}/widgets
    version 2014-10-01
    request CreateWidget
    status  201
}

/// Returns a widget.
operation GetWidget {
    method   GET
    uri      /{subscriptionId}/widgets/{widgetName}
    version  2014-10-01
    response Widget
    status   200
}

/// Lists the widgets.
operation ListWidgets {
    method   GET
    uri      /{subscriptionId}/widgets
    version  2014-10-01
    response Widgets
    status   200
}

/// Updates a widget.
operation UpdateWidget {
    method  PUT
    uri     /{subscriptionId}/widgets/{widgetName}
    version 2014-10-01
    request UpdateWidget
    status  200
}

/// Deletes a widget.
operation DeleteWidget {
    method  DELETE
    uri     /{subscriptionId}/widgets/{widgetName}
    version 2014-10-01
    status  200
}

/// Creates a gear of a widget.
operation CreateGear {
    method  PUT
    uri     /{subscriptionId}/widgets/{widgetName}/gears/{gearName}
    version 2014-10-01
    request Gear
    status  201
}

/// Lists a widget's gears.
operation ListGears {
    method   GET
    uri      /{subscriptionId}/widgets/{widgetName}/gears
    version  2014-10-01
    response Gears
    status   200
}

struct CreateWidget {
    Name: string max=20
    Label: label max=100
    Size: i32?
}

struct UpdateWidget {
    Label: label?
    Size: i32?
}

struct WidgetProperties {
    Label: label
    Size: i32?
    CreatedTime: datetime?
}

struct Widget {
    Url: string?
    Name: string
    WidgetProperties: WidgetProperties?
}

struct Widgets {
    Widget: Widget*
}

struct Gear {
    Name: string?
    Teeth: i32?
}

struct Gears {
    Gear: Gear*
}

resource Widget {
    path    /{subscriptionId}/widgets/{widgetName}
    name    Name
    create  CreateWidget
    get     GetWidget
    list    ListWidgets
    update  UpdateWidget
    delete  DeleteWidget
    set     Url = {endpoint}{path}
    set     CreatedTime = {now}
}

resource Gear {
    path    /{subscriptionId}/widgets/{widgetName}/gears/{gearName}
    name    Name
    parent  Widget
    create  CreateGear
    list    ListGears
}
"#;

fn spec(method: &'static str, name: &'static str) -> &'static OperationSpec {
    Box::leak(Box::new(OperationSpec {
        name,
        method,
        uri: "",
        version: "2014-10-01",
        success: &[(100, 599)],
        is_async: false,
        request_root: None,
        response_root: None,
        request_format: None,
        response_format: None,
        response_namespace: None,
    }))
}

async fn call(core: &Core, method: &'static str, path: &str, body: Option<&str>) -> (u16, String) {
    let mut req = Request::new(spec(method, "Test"));
    req.path = core.subscription_path().unwrap();
    req.path.push_str(path);
    if let Some(b) = body {
        req.set_body("application/xml", b.to_owned());
    }
    let resp = core.send(&req).await.unwrap();
    (
        resp.status,
        String::from_utf8_lossy(&resp.body).into_owned(),
    )
}

fn copy_spec(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec");
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        if e.path().extension().is_some_and(|x| x == "spec") {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

const NS: &str = "xmlns=\"http://schemas.microsoft.com/windowsazure\"";

#[tokio::test]
async fn a_new_crud_resource_needs_spec_edits_only() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("spec");
    copy_spec(&dir);
    std::fs::write(dir.join("widgets.spec"), WIDGETS).unwrap();
    let mut config = Config::ephemeral().unwrap();
    config.spec_dir = Some(dir);
    config.async_delay = Duration::from_millis(50);
    let emu = Emulator::start(config).await.unwrap();
    let core: Core = asm_runtime::ClientBuilder::<Core>::new()
        .subscription_id(emu.subscription_id())
        .credentials(Credentials::from_pem(&emu.client_pem()).unwrap())
        .endpoint(emu.endpoint())
        .add_root_certificate_pem(&emu.ca_pem())
        .unwrap()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let sub = emu.subscription_id().to_owned();

    // Create (the name from the body, the label base64 as on the wire).
    let create = format!(
        "<CreateWidget {NS}><Name>w1</Name><Label>bGFiZWw=</Label><Size>3</Size></CreateWidget>"
    );
    assert_eq!(call(&core, "POST", "/widgets", Some(&create)).await.0, 201);
    let (status, dup) = call(&core, "POST", "/widgets", Some(&create)).await;
    assert_eq!(status, 409, "{dup}");
    assert!(dup.contains("<Code>ConflictError</Code>"));
    // Names compare case-insensitively.
    let upper = create.replace("<Name>w1<", "<Name>W1<");
    assert_eq!(call(&core, "POST", "/widgets", Some(&upper)).await.0, 409);

    // Limits and required elements of the spec.
    let long = create.replace("<Name>w1<", &format!("<Name>{}<", "x".repeat(21)));
    let (status, text) = call(&core, "POST", "/widgets", Some(&long)).await;
    assert_eq!(status, 400, "{text}");
    let missing = format!("<CreateWidget {NS}><Name>w2</Name></CreateWidget>");
    let (status, text) = call(&core, "POST", "/widgets", Some(&missing)).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("Label is required"), "{text}");

    // Get: the flat create body fills the nested WidgetProperties; Url and
    // CreatedTime filled by the service.
    let (status, got) = call(&core, "GET", "/widgets/W1", None).await;
    assert_eq!(status, 200, "{got}");
    assert!(got.contains(&format!("<Url>{}/{sub}/widgets/w1</Url><Name>w1</Name><WidgetProperties><Label>bGFiZWw=</Label><Size>3</Size><CreatedTime>", emu.endpoint())), "{got}");

    // Update merges by element: Size changes, Label stays.
    let update = format!("<UpdateWidget {NS}><Size>7</Size></UpdateWidget>");
    assert_eq!(
        call(&core, "PUT", "/widgets/w1", Some(&update)).await.0,
        200
    );
    let (_, got) = call(&core, "GET", "/widgets/w1", None).await;
    assert!(
        got.contains("<Label>bGFiZWw=</Label><Size>7</Size>"),
        "{got}"
    );
    assert_eq!(
        call(&core, "PUT", "/widgets/nope", Some(&update)).await.0,
        404
    );

    // A child resource: its parent must exist; listed under it.
    let gear = format!("<Gear {NS}><Teeth>12</Teeth></Gear>");
    assert_eq!(
        call(&core, "PUT", "/widgets/nope/gears/g1", Some(&gear))
            .await
            .0,
        404
    );
    assert_eq!(
        call(&core, "PUT", "/widgets/w1/gears/g1", Some(&gear))
            .await
            .0,
        201
    );
    let (_, gears) = call(&core, "GET", "/widgets/w1/gears", None).await;
    assert!(
        gears.contains("<Gear><Name>g1</Name><Teeth>12</Teeth></Gear>"),
        "{gears}"
    );

    // List.
    let second = create.replace("<Name>w1<", "<Name>w2<");
    assert_eq!(call(&core, "POST", "/widgets", Some(&second)).await.0, 201);
    let (status, list) = call(&core, "GET", "/widgets", None).await;
    assert_eq!(status, 200);
    assert_eq!(list.matches("<Widget>").count(), 2, "{list}");

    // Delete (the gears go with their widget), then 404.
    assert_eq!(call(&core, "DELETE", "/widgets/w1", None).await.0, 200);
    assert_eq!(call(&core, "GET", "/widgets/w1", None).await.0, 404);
    assert_eq!(call(&core, "DELETE", "/widgets/w1", None).await.0, 404);
    assert_eq!(
        call(&core, "PUT", "/widgets/w1/gears/g2", Some(&gear))
            .await
            .0,
        404
    );
    let (_, list) = call(&core, "GET", "/widgets", None).await;
    assert_eq!(list.matches("<Widget>").count(), 1, "{list}");

    // The operations are in the subscription's history under their names.
    let start = "2000-01-01T00:00:00Z";
    let end = "2100-01-01T00:00:00Z";
    let mut req = Request::new(spec("GET", "ListSubscriptionOperations"));
    req.path = format!("{}/operations", core.subscription_path().unwrap());
    req.query.push(("StartTime", start.into()));
    req.query.push(("EndTime", end.into()));
    let history = core.send(&req).await.unwrap();
    let text = String::from_utf8_lossy(&history.body);
    assert!(
        text.contains("<OperationName>CreateWidget</OperationName>"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "<OperationObjectId>/{sub}/widgets/w1</OperationObjectId>"
        )),
        "{text}"
    );
}

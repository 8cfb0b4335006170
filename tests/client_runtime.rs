//! The runtime behind the generated client, against a scripted local server:
//! errors, retries, polling, paging, validation, encoding, proxies, limits.

use std::time::Duration;

use asm_runtime::xml;
use asm_tests::mock::{MockServer, Reply};
use azure_asm::{
    Client, CreateAffinityGroup, CreateStorageServiceInput, DateTime, Error, KeyType,
    ListSubscriptionOperationsOptions, Operation, OperationStatus, PollOptions, RegenerateKeys,
    RetryPolicy, StorageService,
};
use futures_util::StreamExt as _;

const SUB: &str = "00000000-0000-0000-0000-000000000001";
const NS: &str = "http://schemas.microsoft.com/windowsazure";

fn client(mock: &MockServer) -> Client {
    Client::builder()
        .subscription_id(SUB)
        .endpoint(&mock.endpoint)
        .no_proxy()
        .retry_policy(RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(20),
        })
        .poll_options(fast_poll())
        .build()
        .unwrap()
}

fn fast_poll() -> PollOptions {
    PollOptions {
        initial_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(5),
        timeout: Duration::from_secs(5),
    }
}

fn error_body(code: &str, message: &str) -> String {
    format!("<Error xmlns=\"{NS}\" xmlns:i=\"http://www.w3.org/2001/XMLSchema-instance\"><Code>{code}</Code><Message>{message}</Message></Error>")
}

#[tokio::test]
async fn service_errors_carry_status_code_message_and_request_id() {
    let mock = MockServer::start().await;
    mock.push(
        Reply::new(
            404,
            error_body("ResourceNotFound", "The affinity group does not exist."),
        )
        .header("x-ms-request-id", "a1b2c3"),
    );
    let err = client(&mock)
        .get_affinity_group_properties("nope")
        .await
        .unwrap_err();
    let se = err.service_error().expect("a service error");
    assert_eq!(se.status, 404);
    assert_eq!(se.code.as_deref(), Some("ResourceNotFound"));
    assert_eq!(se.message, "The affinity group does not exist.");
    assert_eq!(err.request_id(), Some("a1b2c3"));
    assert!(err.is_not_found());
    let shown = err.to_string();
    assert!(
        shown.contains("404") && shown.contains("ResourceNotFound") && shown.contains("a1b2c3"),
        "{shown}"
    );

    // A non-XML error body is kept as the message.
    mock.push(Reply::new(
        400,
        "<html><body>Bad gateway page</body></html>",
    ));
    let err = client(&mock).list_locations().await.unwrap_err();
    let se = err.service_error().unwrap();
    assert_eq!((se.status, se.code.as_deref()), (400, None));
    assert!(se.message.contains("Bad gateway page"));
}

#[tokio::test]
async fn idempotent_requests_are_retried_and_posts_are_not() {
    let mock = MockServer::start().await;
    let locations =
        format!("<Locations xmlns=\"{NS}\"><Location><Name>West US</Name></Location></Locations>");
    mock.push(Reply::new(503, "").header("Retry-After", "0"));
    mock.push(Reply::new(500, error_body("InternalError", "try again")));
    mock.push(Reply::new(200, locations));
    let got = client(&mock).list_locations().await.unwrap();
    assert_eq!(got.location[0].name, "West US");
    assert_eq!(mock.captured().len(), 3);

    mock.reset();
    mock.push(Reply::new(503, ""));
    let body = CreateAffinityGroup {
        name: "g".into(),
        label: "l".into(),
        location: "West US".into(),
        ..Default::default()
    };
    let err = client(&mock)
        .create_affinity_group(&body)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(mock.captured().len(), 1, "a POST is never retried blindly");

    // Retries give up after max_retries.
    mock.reset();
    mock.set_fallback(Reply::new(503, ""));
    let err = client(&mock).list_locations().await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(mock.captured().len(), 4);
}

#[tokio::test]
async fn transport_errors_are_typed() {
    // A port nothing listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let client: Client = Client::builder()
        .subscription_id(SUB)
        .endpoint(format!("http://127.0.0.1:{port}"))
        .no_proxy()
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.list_locations().await.unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn async_operations_are_polled_to_completion() {
    let mock = MockServer::start().await;
    let c = client(&mock);
    let input = CreateStorageServiceInput {
        service_name: "mystorage01".into(),
        label: "my storage".into(),
        location: Some("West US".into()),
        ..Default::default()
    };
    mock.push(Reply::new(202, "").header("x-ms-request-id", "0123456789abcdef0123456789abcdef"));
    let in_progress = format!("<Operation xmlns=\"{NS}\"><ID>6f1c5f8e-1f3c-4d8a-9a4b-2f0f7c3b8a11</ID><Status>InProgress</Status></Operation>");
    let succeeded = format!("<Operation xmlns=\"{NS}\"><ID>6f1c5f8e-1f3c-4d8a-9a4b-2f0f7c3b8a11</ID><Status>Succeeded</Status><HttpStatusCode>200</HttpStatusCode></Operation>");
    mock.push(Reply::new(200, in_progress.clone()));
    mock.push(Reply::new(200, in_progress));
    mock.push(Reply::new(200, succeeded));
    let op = c.create_storage_account(&input).await.unwrap();
    assert_eq!(op.request_id(), "0123456789abcdef0123456789abcdef");
    let mut seen = Vec::new();
    op.wait_with(fast_poll(), |p| seen.push(format!("{:?}", p.state)))
        .await
        .unwrap();
    assert_eq!(
        seen,
        [
            "InProgress",
            "InProgress",
            "Succeeded { http_status: Some(200) }"
        ]
    );
    let reqs = mock.captured();
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].path, format!("/{SUB}/services/storageservices"));
    assert_eq!(
        reqs[1].path,
        format!("/{SUB}/operations/0123456789abcdef0123456789abcdef")
    );

    // Failed: the operation's error comes back typed.
    mock.reset();
    mock.push(Reply::new(202, "").header("x-ms-request-id", "ffff"));
    mock.push(Reply::new(200, format!("<Operation xmlns=\"{NS}\"><ID>x</ID><Status>Failed</Status><HttpStatusCode>409</HttpStatusCode><Error><Code>ConflictError</Code><Message>The storage account name is already taken.</Message></Error></Operation>")));
    let err = c
        .create_storage_account(&input)
        .await
        .unwrap()
        .wait()
        .await
        .unwrap_err();
    match &err {
        Error::OperationFailed { request_id, error } => {
            assert_eq!(request_id, "ffff");
            assert_eq!(error.status, 409);
            assert_eq!(error.code.as_deref(), Some("ConflictError"));
        }
        other => panic!("{other:?}"),
    }

    // A 202 without a request id cannot be tracked: typed error.
    mock.reset();
    mock.push(Reply::new(202, ""));
    let err = c.create_storage_account(&input).await.unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");

    // Timeout.
    mock.reset();
    mock.push(Reply::new(202, "").header("x-ms-request-id", "slow"));
    mock.set_fallback(Reply::new(
        200,
        format!("<Operation xmlns=\"{NS}\"><ID>x</ID><Status>InProgress</Status></Operation>"),
    ));
    let op = c.create_storage_account(&input).await.unwrap();
    let err = op
        .wait_with(
            PollOptions {
                timeout: Duration::from_millis(30),
                ..fast_poll()
            },
            |_| {},
        )
        .await
        .unwrap_err();
    assert!(matches!(err, Error::OperationTimeout { .. }), "{err:?}");
}

#[tokio::test]
async fn subscription_operations_stream_follows_continuation_tokens() {
    let mock = MockServer::start().await;
    let op = |id: &str| {
        format!("<SubscriptionOperation><OperationId>{id}</OperationId><OperationName>CreateHostedService</OperationName></SubscriptionOperation>")
    };
    mock.push(Reply::new(200, format!("<SubscriptionOperationCollection xmlns=\"{NS}\"><SubscriptionOperations>{}{}</SubscriptionOperations><ContinuationToken>page 2/&amp;</ContinuationToken></SubscriptionOperationCollection>", op("a"), op("b"))));
    mock.push(Reply::new(200, format!("<SubscriptionOperationCollection xmlns=\"{NS}\"><SubscriptionOperations>{}</SubscriptionOperations><ContinuationToken>t3</ContinuationToken></SubscriptionOperationCollection>", op("c"))));
    mock.push(Reply::new(200, format!("<SubscriptionOperationCollection xmlns=\"{NS}\"><SubscriptionOperations/></SubscriptionOperationCollection>")));
    let start = DateTime::parse("2026-01-01T00:00:00Z").unwrap();
    let end = DateTime::parse("2026-01-02T00:00:00Z").unwrap();
    let options = ListSubscriptionOperationsOptions {
        operation_result_filter: Some(OperationStatus::Succeeded),
        ..Default::default()
    };
    let ids: Vec<String> = client(&mock)
        .list_subscription_operations_stream(start, end, options)
        .map(|r| r.unwrap().operation_id.to_string())
        .collect()
        .await;
    assert_eq!(ids, ["a", "b", "c"]);
    let reqs = mock.captured();
    assert_eq!(reqs.len(), 3);
    assert!(!reqs[0].query.contains("ContinuationToken"));
    assert!(
        reqs[0].query.contains("StartTime=2026-01-01T00%3A00%3A00Z")
            || reqs[0].query.contains("StartTime=2026-01-01T00:00:00Z"),
        "{}",
        reqs[0].query
    );
    assert!(reqs[0].query.contains("OperationResultFilter=Succeeded"));
    assert!(
        reqs[1].query.contains("ContinuationToken=page%202%2F%26"),
        "{}",
        reqs[1].query
    );
    assert!(reqs[2].query.contains("ContinuationToken=t3"));
}

#[tokio::test]
async fn versions_labels_and_bodies_on_the_wire() {
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(201, ""));
    let c = client(&mock);
    let body = CreateAffinityGroup {
        name: "grp".into(),
        label: "Ünïcode label ✓".into(),
        description: Some("a <b> & c".into()),
        location: "West US".into(),
    };
    c.create_affinity_group(&body).await.unwrap();
    c.with_version("2015-04-01")
        .create_affinity_group(&body)
        .await
        .unwrap();
    let reqs = mock.captured();
    assert_eq!(reqs[0].header("x-ms-version"), Some("2014-10-01"));
    assert_eq!(reqs[1].header("x-ms-version"), Some("2015-04-01"));
    assert_eq!(reqs[0].header("content-type"), Some("application/xml"));
    let sent = String::from_utf8(reqs[0].body.clone()).unwrap();
    assert!(
        sent.contains("<Label>w5xuw69jb2RlIGxhYmVsIOKckw==</Label>"),
        "{sent}"
    );
    assert!(
        sent.contains("<Description>a &lt;b&gt; &amp; c</Description>"),
        "{sent}"
    );
    let order: Vec<usize> = ["<Name>", "<Label>", "<Description>", "<Location>"]
        .iter()
        .map(|t| sent.find(t).unwrap())
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "wire order: {sent}");
    // The emulator-side decoder reads it back to the same value.
    let back: CreateAffinityGroup =
        xml::from_document("CreateAffinityGroup", &reqs[0].body).unwrap();
    assert_eq!(back, body);
}

#[tokio::test]
async fn invalid_input_is_refused_before_sending() {
    let mock = MockServer::start().await;
    let c = client(&mock);
    let long_label = CreateAffinityGroup {
        name: "g".into(),
        label: "x".repeat(101).into(),
        location: "West US".into(),
        ..Default::default()
    };
    let err = c.create_affinity_group(&long_label).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(v) if v.field == "Label"),
        "{err:?}"
    );
    let bad_name = CreateStorageServiceInput {
        service_name: "Not_Valid".into(),
        label: "l".into(),
        location: Some("West US".into()),
        ..Default::default()
    };
    let err = c.create_storage_account(&bad_name).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput(v) if v.field == "ServiceName"),
        "{err:?}"
    );
    for empty_or_dots in ["", ".", ".."] {
        let err = c
            .get_affinity_group_properties(empty_or_dots)
            .await
            .unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)), "{empty_or_dots:?}");
    }
    assert!(mock.captured().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn path_segments_never_change_the_uri_shape() {
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(200, format!("<AffinityGroup xmlns=\"{NS}\"><Name>x</Name><Label></Label><Location>West US</Location></AffinityGroup>")));
    let c = client(&mock);
    for name in [
        "a/b",
        "a?b=1",
        "a#b",
        "100%",
        "with space",
        "ünïcödé",
        "../up",
        "a\\b",
    ] {
        mock.reset();
        c.get_affinity_group_properties(name).await.unwrap();
        let req = &mock.captured()[0];
        let segs: Vec<&str> = req.path.split('/').collect();
        assert_eq!(segs.len(), 4, "{name}: {}", req.path);
        assert_eq!(segs[2], "affinitygroups");
        assert_eq!(
            asm_runtime::path::decode_segment(segs[3]).as_deref(),
            Some(name)
        );
        assert_eq!(req.query, "", "{name}");
    }
}

/// The subscription id is a path segment like any other (encoded once, when
/// the client is built); one that cannot be a segment fails each call with
/// a validation error and sends nothing.
#[tokio::test]
async fn the_subscription_id_is_one_encoded_segment() {
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(200, format!("<Locations xmlns=\"{NS}\"/>")));
    let with = |id: &str| {
        Client::builder()
            .subscription_id(id)
            .endpoint(&mock.endpoint)
            .no_proxy()
            .build()
            .unwrap()
    };
    for id in [SUB, "a/b", "sub scription", "ünï"] {
        mock.reset();
        with(id).list_locations().await.unwrap();
        let req = &mock.captured()[0];
        let segs: Vec<&str> = req.path.split('/').collect();
        assert_eq!(segs.len(), 3, "{id}: {}", req.path);
        assert_eq!(
            asm_runtime::path::decode_segment(segs[1]).as_deref(),
            Some(id)
        );
        assert_eq!(segs[2], "locations");
    }
    mock.reset();
    for id in ["", ".", ".."] {
        let c = with(id);
        for _ in 0..2 {
            let err = c.list_locations().await.unwrap_err();
            assert!(matches!(err, Error::InvalidInput(_)), "{id:?}: {err}");
        }
    }
    assert!(mock.captured().is_empty(), "nothing was sent");
}

/// The endpoint is parsed once; each call sets the path (after the
/// endpoint's own, if it has one) and the query.
#[tokio::test]
async fn endpoint_paths_and_queries_compose() {
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(200, format!("<Locations xmlns=\"{NS}\"/>")));
    for (endpoint, prefix) in [
        (mock.endpoint.clone(), ""),
        (format!("{}/", mock.endpoint), ""),
        (format!("{}/asm/v1", mock.endpoint), "/asm/v1"),
        (format!("{}/asm/v1/", mock.endpoint), "/asm/v1"),
    ] {
        let c = Client::builder()
            .subscription_id(SUB)
            .endpoint(&endpoint)
            .no_proxy()
            .build()
            .unwrap();
        mock.reset();
        c.list_locations().await.unwrap();
        let start = DateTime::parse("2026-01-01T00:00:00Z").unwrap();
        let end = DateTime::parse("2026-01-02T00:00:00Z").unwrap();
        mock.set_fallback(Reply::new(
            200,
            format!("<SubscriptionOperationCollection xmlns=\"{NS}\"><SubscriptionOperations/></SubscriptionOperationCollection>"),
        ));
        c.list_subscription_operations(start, end, &Default::default())
            .await
            .unwrap();
        mock.set_fallback(Reply::new(200, format!("<Locations xmlns=\"{NS}\"/>")));
        let reqs = mock.captured();
        assert_eq!(
            reqs[0].path,
            format!("{prefix}/{SUB}/locations"),
            "{endpoint}"
        );
        assert_eq!(reqs[0].query, "", "{endpoint}");
        assert_eq!(
            reqs[1].path,
            format!("{prefix}/{SUB}/operations"),
            "{endpoint}"
        );
        assert!(
            reqs[1].query.starts_with("StartTime=2026-01-01T00"),
            "{}",
            reqs[1].query
        );
        assert!(
            reqs[1].query.contains("&EndTime=2026-01-02T00"),
            "{}",
            reqs[1].query
        );
    }
    // A hand-built request whose path carries a query is sent as written.
    let c = client(&mock);
    mock.reset();
    let mut req = asm_runtime::Request::new(&azure_asm::LIST_LOCATIONS);
    req.path = format!("/{SUB}/locations?x=1");
    req.query.push(("y", "2".to_owned()));
    c.core().send(&req).await.unwrap();
    let sent = &mock.captured()[0];
    assert_eq!(
        (sent.path.as_str(), sent.query.as_str()),
        (format!("/{SUB}/locations").as_str(), "x=1?y=2")
    );
    for bad in ["http://h/x?a=1", "http://h/#f", "http://[::1"] {
        let built = Client::builder().subscription_id(SUB).endpoint(bad).build();
        assert!(matches!(built, Err(Error::Config(_))), "{bad}");
    }
}

#[tokio::test]
async fn explicit_proxy_is_used() {
    let proxy = MockServer::start().await;
    proxy.set_fallback(Reply::new(200, format!("<Locations xmlns=\"{NS}\"/>")));
    let c: Client = Client::builder()
        .subscription_id(SUB)
        .endpoint("http://management.example.invalid")
        .proxy(&proxy.endpoint)
        .build()
        .unwrap();
    c.list_locations().await.unwrap();
    let req = &proxy.captured()[0];
    assert_eq!(
        req.target,
        format!("http://management.example.invalid/{SUB}/locations")
    );
}

#[tokio::test]
async fn a_plain_proxy_gets_its_credentials() {
    let proxy = MockServer::start().await;
    proxy.set_fallback(Reply::new(200, format!("<Locations xmlns=\"{NS}\"/>")));
    let with_user = proxy
        .endpoint
        .replace("http://", "http://someone:s%40cret@");
    let c: Client = Client::builder()
        .subscription_id(SUB)
        .endpoint("http://management.example.invalid")
        .proxy(with_user)
        .build()
        .unwrap();
    c.list_locations().await.unwrap();
    let req = &proxy.captured()[0];
    // base64("someone:s@cret")
    assert_eq!(
        req.header("proxy-authorization"),
        Some("Basic c29tZW9uZTpzQGNyZXQ=")
    );
}

/// A `CONNECT` proxy on loopback that records each request head it is sent
/// and then relays bytes both ways.
async fn connect_proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = heads.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut conn, _)) = listener.accept().await else {
                return;
            };
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if conn.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
                seen.lock().unwrap().push(head);
                let Ok(mut upstream) = tokio::net::TcpStream::connect(target).await else {
                    let _ = conn.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                    return;
                };
                if conn
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_ok()
                {
                    let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
                }
            });
        }
    });
    (format!("http://{addr}"), heads)
}

#[tokio::test]
async fn https_goes_through_a_connect_tunnel_with_tls_end_to_end() {
    let (proxy, heads) = connect_proxy().await;
    let proxy_url = proxy.replace("http://", "http://someone:secret@");
    let (emu, c) = asm_tests::emulated::start_with(|_| {}, |b| b.proxy(proxy_url)).await;
    let locations = c.list_locations().await.unwrap();
    assert!(!locations.location.is_empty());
    let heads = heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1, "one connection, reused: {heads:?}");
    let authority = emu.endpoint().trim_start_matches("https://").to_owned();
    assert!(
        heads[0].starts_with(&format!("CONNECT {authority} HTTP/1.1\r\n")),
        "{heads:?}"
    );
    // base64("someone:secret")
    assert!(
        heads[0]
            .to_ascii_lowercase()
            .contains("proxy-authorization: basic c29tzw9uztpzzwnyzxq="),
        "{heads:?}"
    );
    // The proxy saw the CONNECT and nothing else in clear: the management
    // certificate's handshake and the request are inside the tunnel.
    assert!(!heads[0].contains("locations"), "{heads:?}");
}

#[tokio::test]
async fn proxies_other_than_http_are_refused_when_the_client_is_built() {
    for bad in [
        "socks5://127.0.0.1:1080",
        "https://proxy.example:443",
        "http://",
        "http://a b",
    ] {
        let built = Client::builder().subscription_id(SUB).proxy(bad).build();
        assert!(matches!(built, Err(Error::Config(_))), "{bad}: {built:?}");
    }
}

#[tokio::test]
async fn a_server_that_never_answers_is_a_timeout() {
    // Accepts connections and reads, but never writes.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((conn, _)) = listener.accept().await {
            open.push(conn);
        }
    });
    let client: Client = Client::builder()
        .subscription_id(SUB)
        .endpoint(format!("http://127.0.0.1:{port}"))
        .no_proxy()
        .timeout(Duration::from_millis(200))
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = client.list_locations().await.unwrap_err();
    assert!(
        matches!(err, Error::Transport { timeout: true, .. }),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    held.abort();
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(
        200,
        format!(
            "<Locations xmlns=\"{NS}\">{}</Locations>",
            "<Location><Name>x</Name></Location>".repeat(40_000)
        ),
    ));
    let c: Client = Client::builder()
        .subscription_id(SUB)
        .endpoint(&mock.endpoint)
        .no_proxy()
        .max_response_bytes(64 * 1024)
        .build()
        .unwrap();
    let err = c.list_locations().await.unwrap_err();
    assert!(err.to_string().contains("larger than the limit"), "{err}");
}

#[test]
fn unknown_enum_values_are_kept_and_secrets_are_redacted() {
    let doc = format!("<Operation xmlns=\"{NS}\"><ID>1</ID><Status>Paused</Status></Operation>");
    let op: Operation = xml::from_document("Operation", doc.as_bytes()).unwrap();
    assert_eq!(op.status, OperationStatus::Unknown("Paused".into()));
    assert!(xml::to_document("Operation", &op).contains("<Status>Paused</Status>"));

    let key = "c2VjcmV0LWtleS1ieXRlcy1zZWNyZXQta2V5LWJ5dGVz";
    let doc = format!("<StorageService xmlns=\"{NS}\"><Url>u</Url><StorageServiceKeys><Primary>{key}</Primary><Secondary>{key}</Secondary></StorageServiceKeys></StorageService>");
    let svc: StorageService = xml::from_document("StorageService", doc.as_bytes()).unwrap();
    assert_eq!(
        svc.storage_service_keys
            .as_ref()
            .unwrap()
            .primary
            .as_deref(),
        Some(key)
    );
    let debug = format!("{svc:?}");
    assert!(!debug.contains(key), "{debug}");
    assert!(debug.contains("<redacted>"));

    let k = RegenerateKeys {
        key_type: KeyType::Secondary,
    };
    assert!(xml::to_document("RegenerateKeys", &k).contains("<KeyType>Secondary</KeyType>"));
}

#[test]
fn elements_in_another_namespace_keep_their_prefix() {
    use azure_asm::{OperationParameter, SubscriptionOperation};
    let op = SubscriptionOperation {
        operation_id: "1".into(),
        operation_parameters: vec![OperationParameter {
            name: Some("serviceName".into()),
            value: Some("a<b".into()),
        }],
        ..Default::default()
    };
    let doc = xml::to_document("SubscriptionOperation", &op);
    assert!(
        doc.contains("<a:Name xmlns:a=\"http://schemas.datacontract.org/2004/07/Microsoft.WindowsAzure.ServiceManagement\">serviceName</a:Name>"),
        "{doc}"
    );
    assert!(doc.contains(">a&lt;b</a:Value>"), "{doc}");
    let back: SubscriptionOperation =
        xml::from_document("SubscriptionOperation", doc.as_bytes()).unwrap();
    assert_eq!(back, op);
}

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct LogBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// Every request gets a span with the operation, status, request id and
/// elapsed time; secrets in the response never reach the log.
///
/// It runs in a process of its own: this test binary again, with only this
/// test. `tracing` keeps each callsite's interest process-wide, and a
/// callsite that another test's thread reaches for the first time while this
/// test installs its subscriber can keep "never" (tracing-core works the
/// interest out against the subscribers of the moment it began registering
/// the callsite). That left the `asm.request` span out of the log once, in a
/// run of the suite on a loaded machine.
#[test]
fn requests_are_traced_without_secrets() {
    const ALONE: &str = "ASM_TESTS_TRACING_ALONE";
    if std::env::var_os(ALONE).is_some() {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(traced_requests());
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "client_runtime::requests_are_traced_without_secrets",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ALONE, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // It ran (a name that matches no test would pass with nothing run).
    assert!(stdout.contains("1 passed"), "{stdout}\n{stderr}");
}

async fn traced_requests() {
    let logs = LogBuffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mock = MockServer::start().await;
    let key = "c2VjcmV0LWtleS1ieXRlcy1zZWNyZXQta2V5LWJ5dGVzLXNlY3JldA==";
    mock.push(
        Reply::new(
            200,
            format!("<StorageService xmlns=\"{NS}\"><Url>u</Url><StorageServiceKeys><Primary>{key}</Primary><Secondary>{key}</Secondary></StorageServiceKeys></StorageService>"),
        )
        .header("x-ms-request-id", "feedface"),
    );
    let keys = client(&mock)
        .get_storage_account_keys("acct")
        .await
        .unwrap();
    assert_eq!(
        keys.storage_service_keys.unwrap().primary.as_deref(),
        Some(key)
    );
    mock.push(
        Reply::new(409, error_body("ConflictError", "taken")).header("x-ms-request-id", "beef"),
    );
    let _ = client(&mock).delete_storage_account("acct").await;

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("asm.request"), "{text}");
    assert!(
        text.contains("operation=\"GetStorageAccountKeys\""),
        "{text}"
    );
    assert!(text.contains("request_id=\"feedface\""), "{text}");
    assert!(text.contains("status=200"), "{text}");
    assert!(text.contains("elapsed_ms="), "{text}");
    assert!(
        text.contains("operation=\"DeleteStorageAccount\"") && text.contains("status=409"),
        "{text}"
    );
    assert!(
        !text.contains(key) && !text.contains(&key[..16]),
        "a key reached the log: {text}"
    );
}

/// Calls can be spawned on a multi-threaded runtime: every future is `Send`,
/// and the client is `Send + Sync + Clone`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn futures_are_send_and_clients_are_shareable() {
    fn assert_send<T: Send>(_: &T) {}
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<Client>();
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(
        200,
        format!("<Locations xmlns=\"{NS}\"><Location><Name>West US</Name></Location></Locations>"),
    ));
    let c = client(&mock);
    let body = CreateAffinityGroup::default();
    assert_send(&c.create_affinity_group(&body));
    // A call's future is held on its caller's stack or inside the caller's
    // own future: the exchange's state (hyper's request, the timer) is
    // boxed, so that it stays small (1.8 KB without the box; a replay of
    // many operations in one debug-built function overflowed its stack).
    let call = c.list_locations();
    assert!(
        std::mem::size_of_val(&call) <= 1024,
        "{} bytes",
        std::mem::size_of_val(&call)
    );
    drop(call);
    assert_send(&c.list_subscription_operations_stream(
        DateTime::now(),
        DateTime::now(),
        ListSubscriptionOperationsOptions::default(),
    ));
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = c.clone();
            tokio::spawn(async move { c.list_locations().await.map(|l| l.location.len()) })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap(), 1);
    }
    assert_eq!(mock.captured().len(), 8);
}

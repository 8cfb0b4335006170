//! Conformance replay of real traffic recorded against the live service.
//!
//! For every recorded interaction whose operation is in the spec:
//! - a success response body decodes into the operation's type, and
//!   decode → encode → decode gives an equal value;
//! - an error response yields a service error with its code;
//! - an asynchronous operation's 202 carries `x-ms-request-id`;
//! - where the request is known (a body was recorded, or the operation has
//!   none), the same call made through the client, against a local mock that
//!   captures it, has the same method, path, query, `x-ms-version` and an
//!   XML-equivalent body with the same element order.
//!
//! The corpus is read from `ASM_CONFORMANCE_DIR` (default
//! `../shared/conformance` from the workspace root). Prints
//! `replayed N interactions: M in spec, K passed` and fails when K < M.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use asm_runtime::routing;
use asm_tests::mock::{MockServer, Reply};
use azure_asm::server::{self, ROUTES};
use azure_asm::{Client, RetryPolicy};
use serde::Deserialize;

#[derive(Deserialize)]
struct Recording {
    interactions: Vec<Interaction>,
}

#[derive(Deserialize, Clone)]
struct Interaction {
    method: String,
    path: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    request_headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    request_body: Option<String>,
    status: u16,
    #[serde(default)]
    response_headers: BTreeMap<String, String>,
    #[serde(default)]
    response_body: Option<String>,
}

fn corpus_dir() -> PathBuf {
    match std::env::var_os("ASM_CONFORMANCE_DIR") {
        Some(d) => PathBuf::from(d),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance"),
    }
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "json") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// An element tree for XML equivalence: local name, trimmed text, children.
#[derive(Debug, PartialEq)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

fn tree(xml: &[u8]) -> Result<Node, String> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut stack: Vec<Node> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(s) => stack.push(Node {
                name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
                text: String::new(),
                children: Vec::new(),
            }),
            Event::Empty(s) => {
                let n = Node {
                    name: String::from_utf8_lossy(s.local_name().as_ref()).into_owned(),
                    text: String::new(),
                    children: Vec::new(),
                };
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return Ok(n),
                }
            }
            Event::Text(t) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&t.unescape().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(c) => {
                if let Some(top) = stack.last_mut() {
                    top.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::End(_) => {
                let mut n = stack.pop().ok_or("unbalanced")?;
                n.text = n.text.trim().to_owned();
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => return Ok(n),
                }
            }
            Event::Eof => return Err("no root element".into()),
            _ => {}
        }
    }
}

/// The path's decoded segments, for comparison: one trailing slash is not
/// a segment, and literal segments compare case-insensitively (the service
/// routes so, and the recordings come from clients that spell
/// `/services/webspaces/` and `/services/ServiceBus/Namespaces` differently
/// from the spec). Parameter values keep their case.
fn decoded_segments(path: &str, template: &str) -> Vec<String> {
    let trim = |p: &str| p.strip_suffix('/').unwrap_or(p).to_owned();
    let (path, template) = (trim(path), trim(template));
    let tpl: Vec<&str> = template.split('/').collect();
    // Empty segments (`webspaces//name`, sent by the Python peer) are
    // skipped, as the service's router (and ours) skip them.
    path.split('/')
        .enumerate()
        .filter(|&(i, s)| i == 0 || !s.is_empty())
        .map(|(_, s)| s)
        .enumerate()
        .map(|(i, s)| {
            let s = asm_runtime::path::decode_segment(s).unwrap_or_else(|| s.to_owned());
            match tpl.get(i) {
                Some(t) if !t.contains('{') => s.to_ascii_lowercase(),
                _ => s,
            }
        })
        .collect()
}

fn query_pairs(q: &str) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            let d = |s: &str| {
                asm_runtime::path::decode_segment(&s.replace('+', " ")).unwrap_or_else(|| s.into())
            };
            (d(k).to_ascii_lowercase(), d(v))
        })
        .collect();
    v.sort();
    v
}

/// The operation of the spec whose route matches the recorded request.
fn operation_of(i: &Interaction) -> Option<&'static asm_runtime::OperationSpec> {
    let (route, _, _) = routing::find(
        ROUTES,
        &i.method,
        &i.path,
        &i.query,
        i.request_body.as_deref().map(str::as_bytes),
    )
    .ok()?;
    Some(ROUTES[route].spec)
}

fn check_response(op: &asm_runtime::OperationSpec, i: &Interaction) -> Result<(), String> {
    let body = i.response_body.as_deref().unwrap_or("");
    if op.is_success(i.status) {
        if op.is_async && i.status == 202 && !i.response_headers.contains_key("x-ms-request-id") {
            return Err("202 without x-ms-request-id".into());
        }
        if op.response_format.is_some() && !body.trim().is_empty() {
            match azure_asm::server::roundtrip_response(op.name, body.as_bytes()) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(format!("response round trip: {e}")),
                None => return Err("no round trip for an operation with a response".into()),
            }
        }
        Ok(())
    } else {
        let err = asm_runtime::ServiceError::from_response(
            i.status,
            i.response_headers.get("x-ms-request-id").cloned(),
            body.as_bytes(),
        );
        if body.contains("<Code>") && err.code.is_none() {
            return Err(format!("error body not parsed: {body}"));
        }
        if body.contains("<Message>") && err.message.is_empty() {
            return Err(format!("error message not parsed: {body}"));
        }
        Ok(())
    }
}

/// The x-ms-version values operations.tsv records for `operation` (every
/// peer's), e.g. `node=2014-04-01;py=2014-10-01`.
fn peer_versions(operation: &str) -> Vec<String> {
    static TSV: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let tsv = TSV.get_or_init(|| {
        let path = corpus_dir().join("../reference/operations.tsv");
        std::fs::read_to_string(path).unwrap_or_default()
    });
    tsv.lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f.get(1) == Some(&operation))
        .filter_map(|f| f.get(9).map(|v| v.to_string()))
        .flat_map(|v| {
            v.split(';')
                .flat_map(|p| p.rsplit('=').next().unwrap_or(p).split(','))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn check_request(
    i: &Interaction,
    op: &asm_runtime::OperationSpec,
    mock: &MockServer,
) -> Result<bool, String> {
    // Only where the request is fully known: its body was recorded, or the
    // operation has none.
    let body = match (&i.request_body, op.request_format) {
        (Some(b), _) => b.clone(),
        (None, None) => String::new(),
        _ => return Ok(false),
    };
    let decoded = server::route(&i.method, &i.path, &i.query, body.as_bytes())
        .map_err(|e| format!("recorded request does not decode: {e}"))?;
    let sub = decoded
        .subscription_id()
        .unwrap_or("00000000-0000-0000-0000-000000000000");
    let client: Client = Client::builder()
        .subscription_id(sub)
        .endpoint(mock.endpoint.clone())
        .retry_policy(RetryPolicy::none())
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())?;
    mock.reset();
    let mut reply = Reply::new(i.status, i.response_body.clone().unwrap_or_default());
    if let Some(id) = i.response_headers.get("x-ms-request-id") {
        reply = reply.header("x-ms-request-id", id);
    }
    mock.set_fallback(reply);
    let _ = decoded.invoke(&client).await;
    let captured = mock.captured();
    let [c] = captured.as_slice() else {
        return Err(format!(
            "expected one request, the mock saw {}",
            captured.len()
        ));
    };
    let version = c.header("x-ms-version");
    if c.method != i.method {
        return Err(format!("method {} != recorded {}", c.method, i.method));
    }
    if decoded_segments(&c.path, op.uri) != decoded_segments(&i.path, op.uri) {
        return Err(format!("path {} != recorded {}", c.path, i.path));
    }
    if query_pairs(&c.query) != query_pairs(&i.query) {
        return Err(format!("query {:?} != recorded {:?}", c.query, i.query));
    }
    if let Some(v) = i
        .request_headers
        .as_ref()
        .and_then(|h| h.get("x-ms-version"))
    {
        // Another version is accepted only where operations.tsv says a peer
        // sent it for this operation (the service answered both: the web
        // sites calls of the Python peer use 2014-10-01, the spec Node's
        // 2014-04-01).
        if version != Some(v.as_str()) && !peer_versions(op.name).contains(v) {
            return Err(format!("x-ms-version {version:?} != recorded {v}"));
        }
    }
    if !body.is_empty() {
        let ours = tree(&c.body).map_err(|e| format!("our body: {e}"))?;
        let theirs = tree(body.as_bytes()).map_err(|e| format!("recorded body: {e}"))?;
        if ours != theirs {
            return Err(format!(
                "request body differs:\n ours:     {}\n recorded: {body}",
                String::from_utf8_lossy(&c.body)
            ));
        }
    }
    Ok(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_replay() {
    let dir = corpus_dir();
    let files = json_files(&dir);
    assert!(!files.is_empty(), "no recordings under {}", dir.display());
    let mock = MockServer::start().await;
    let (mut n, mut m, mut k, mut requests) = (0usize, 0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut per_op: BTreeMap<&'static str, usize> = BTreeMap::new();
    // Interactions no operation of the spec matches (printed: what is left).
    let mut unrouted = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let rec: Recording =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (idx, i) in rec.interactions.iter().enumerate() {
            n += 1;
            let Some(op) = operation_of(i) else {
                unrouted.push(format!(
                    "{} {} {}{}",
                    i.status,
                    i.method,
                    i.path,
                    if i.query.is_empty() {
                        String::new()
                    } else {
                        format!("?{}", i.query)
                    }
                ));
                continue;
            };
            m += 1;
            *per_op.entry(op.name).or_default() += 1;
            let mut result = check_response(op, i);
            if result.is_ok() {
                match check_request(i, op, &mock).await {
                    Ok(true) => requests += 1,
                    Ok(false) => {}
                    Err(e) => result = Err(e),
                }
            }
            match result {
                Ok(()) => k += 1,
                Err(e) => failures.push(format!(
                    "{}#{idx} {} {} {} ({}): {e}",
                    file.strip_prefix(&dir).unwrap_or(file).display(),
                    i.method,
                    i.path,
                    i.query,
                    op.name
                )),
            }
        }
    }
    for (op, count) in &per_op {
        eprintln!("  {op}: {count}");
    }
    eprintln!("  requests replayed through the client: {requests}");
    for u in &unrouted {
        eprintln!("  not an operation of the spec: {u}");
    }
    for f in failures.iter().take(40) {
        eprintln!("FAIL {f}");
    }
    asm_tests::report_line(&format!(
        "replayed {n} interactions: {m} in spec, {k} passed"
    ));
    assert!(m > 0, "no interaction matched an operation of the spec");
    assert_eq!(k, m, "{} interaction(s) failed", failures.len());
}

/// The replay is not lenient: a recorded body with two elements swapped, a
/// changed value, or a response that does not decode, all fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_detects_differences() {
    let mock = MockServer::start().await;
    let base = Interaction {
        method: "POST".into(),
        path: "/00000000-0000-0000-0000-000000000000/affinitygroups".into(),
        query: String::new(),
        request_headers: Some(BTreeMap::from([("x-ms-version".to_owned(), "2014-10-01".to_owned())])),
        request_body: Some("<CreateAffinityGroup xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name>g</Name><Label>bGFiZWw=</Label><Description>d</Description><Location>West US</Location></CreateAffinityGroup>".into()),
        status: 201,
        response_headers: BTreeMap::new(),
        response_body: None,
    };
    let op = operation_of(&base).unwrap();
    assert_eq!(check_request(&base, op, &mock).await, Ok(true));

    // The decoder is order-tolerant, so a swapped recording decodes; the
    // client writes spec order, which then differs from the recording.
    let mut swapped = base.clone();
    swapped.request_body = Some(base.request_body.as_ref().unwrap().replace(
        "<Label>bGFiZWw=</Label><Description>d</Description>",
        "<Description>d</Description><Label>bGFiZWw=</Label>",
    ));
    let err = check_request(&swapped, op, &mock).await.unwrap_err();
    assert!(err.contains("request body differs"), "{err}");

    let mut other_version = base.clone();
    other_version.request_headers = Some(BTreeMap::from([(
        "x-ms-version".to_owned(),
        "2012-03-01".to_owned(),
    )]));
    assert!(check_request(&other_version, op, &mock)
        .await
        .unwrap_err()
        .contains("x-ms-version"));

    let get = Interaction {
        method: "GET".into(),
        path: "/00000000-0000-0000-0000-000000000000/affinitygroups/g".into(),
        request_body: None,
        status: 200,
        response_body: Some("<AffinityGroup xmlns=\"http://schemas.microsoft.com/windowsazure\"><Name>g</Name><Label>not base64!</Label><Location>West US</Location></AffinityGroup>".into()),
        ..base.clone()
    };
    let err = check_response(operation_of(&get).unwrap(), &get).unwrap_err();
    assert!(err.contains("/AffinityGroup/Label"), "{err}");
}

/// `body` with an empty comment at the start of every element's text
/// (`<A>x</A>` becomes `<A><!---->x</A>`): the same document for a reader,
/// but no value can take the reader's in-place paths (text lists, leaf
/// values), so every one goes through the general one.
fn with_comments_before_text(body: &str) -> String {
    let b = body.as_bytes();
    let mut out = String::with_capacity(body.len() * 2);
    let mut i = 0;
    while i < b.len() {
        // Markup whose content is not tags: copied whole.
        for (open, close) in [("<![CDATA[", "]]>"), ("<!--", "-->"), ("<?", "?>")] {
            if body[i..].starts_with(open) {
                let end = body[i..]
                    .find(close)
                    .map_or(body.len(), |e| i + e + close.len());
                out.push_str(&body[i..end]);
                i = end;
            }
        }
        if i >= b.len() {
            break;
        }
        if b[i] == b'<' {
            // A tag, up to its `>` (quoted attribute values may hold `>`).
            let mut j = i + 1;
            let mut quote = None;
            while j < b.len() {
                match (quote, b[j]) {
                    (None, b'"' | b'\'') => quote = Some(b[j]),
                    (Some(q), c) if c == q => quote = None,
                    (None, b'>') => break,
                    _ => {}
                }
                j += 1;
            }
            let end = (j + 1).min(b.len());
            out.push_str(&body[i..end]);
            let start_tag = b[i + 1] != b'/' && b[end - 2] != b'/';
            if start_tag && end < b.len() && b[end] != b'<' {
                out.push_str("<!---->");
            }
            i = end;
        } else {
            let next = body[i..].find('<').map_or(body.len(), |e| i + e);
            out.push_str(&body[i..next]);
            i = next;
        }
    }
    out
}

/// The reader's in-place paths and its general one agree: every recorded
/// XML response of a covered operation decodes to the same value (compared
/// through its encoding) when every text is preceded by a comment.
#[test]
fn in_place_and_general_reading_agree_on_the_recordings() {
    let dir = corpus_dir();
    let (mut compared, mut failures) = (0usize, Vec::new());
    for file in json_files(&dir) {
        let text = std::fs::read_to_string(&file).unwrap();
        let rec: Recording = serde_json::from_str(&text).unwrap();
        for i in &rec.interactions {
            let body = i.response_body.as_deref().unwrap_or("");
            let Some(op) = operation_of(i) else {
                continue;
            };
            if !op.is_success(i.status) || !body.trim_start().starts_with('<') {
                continue;
            }
            let Some(Ok(plain)) = server::normalize_response(op.name, body.as_bytes()) else {
                continue;
            };
            let commented = with_comments_before_text(body);
            if commented == body {
                continue; // no text at all
            }
            match server::normalize_response(op.name, commented.as_bytes()) {
                Some(Ok(general)) if general == plain => compared += 1,
                other => failures.push(format!("{} ({}): {other:?}", op.name, file.display())),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(compared > 500, "only {compared} responses compared");
    eprintln!("{compared} recorded responses read alike both ways");
}

#[test]
fn comments_go_before_text_only() {
    assert_eq!(
        with_comments_before_text("<?xml v?><A x=\"1>2\"><B>t</B><C/><D><![CDATA[<x>]]></D>\n</A>"),
        "<?xml v?><A x=\"1>2\"><B><!---->t</B><C/><D><![CDATA[<x>]]></D>\n</A>"
    );
}

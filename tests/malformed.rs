//! Malformed responses, table-driven: every row is an input and the outcome
//! it must have — a decoded value (checked through its `Debug` text) or a
//! typed error kind (with its element path where it matters) — and never a
//! panic. No error text may repeat a secret of the input: rows near the
//! storage keys name the key text, and every row's error `Display` and
//! `Debug` are checked against it.
//!
//! Most rows decode with `asm_runtime::xml::from_document` directly; the
//! body-size, 503, HTML and error-body rows go through the whole client
//! path (`Core::send`: status, retries, error parsing, body cap) against a
//! local plain-HTTP server.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use asm_runtime::xml::from_document;
use asm_runtime::{DecodeError, DecodeErrorKind, ServiceError};
use asm_tests::mock::{MockServer, Reply};
use azure_asm::{Client, Error, RetryPolicy};

const NS: &str = r#"xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance""#;
const SUB: &str = "00000000-0000-0000-0000-0000000000aa";
/// Storage keys as the service returns them (base64 of 64 random bytes).
const KEY1: &str = "Zm9vYmFyU0VDUkVUa2V5MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6MDE=";
const KEY2: &str = "c2Vjb25kYXJ5U0VDUkVUa2V5OTg3NjU0MzIxMHp5eHd2dXRzcnFwb25tbGtqaWhnZmVkY2I=";

/// Which generated type a row decodes (and its root element).
#[derive(Clone, Copy, Debug)]
enum Ty {
    HostedService,
    HostedServices,
    StorageService,
    Operation,
    Subscription,
    Certificate,
    Availability,
    Locations,
    Operations,
}

impl Ty {
    /// Decodes `input`; `Ok` carries the value's `Debug` text.
    fn decode(self, input: &[u8]) -> Result<String, DecodeError> {
        fn d<T: asm_runtime::xml::FromXml + std::fmt::Debug>(
            root: &'static str,
            input: &[u8],
        ) -> Result<String, DecodeError> {
            from_document::<T>(root, input).map(|v| format!("{v:?}"))
        }
        match self {
            Ty::HostedService => d::<azure_asm::HostedService>("HostedService", input),
            Ty::HostedServices => d::<azure_asm::HostedServices>("HostedServices", input),
            Ty::StorageService => d::<azure_asm::StorageService>("StorageService", input),
            Ty::Operation => d::<azure_asm::Operation>("Operation", input),
            Ty::Subscription => d::<azure_asm::Subscription>("Subscription", input),
            Ty::Certificate => {
                d::<azure_asm::SubscriptionCertificate>("SubscriptionCertificate", input)
            }
            Ty::Availability => d::<azure_asm::AvailabilityResponse>("AvailabilityResponse", input),
            Ty::Locations => d::<azure_asm::Locations>("Locations", input),
            Ty::Operations => d::<azure_asm::SubscriptionOperationCollection>(
                "SubscriptionOperationCollection",
                input,
            ),
        }
    }
}

/// The error kinds a row can expect.
#[derive(Clone, Copy, Debug)]
enum K {
    Syntax,
    Truncated,
    Empty,
    NotXml,
    DocType,
    Root,
    Namespace,
    Missing(&'static str),
    Invalid(&'static str),
    UnexpectedElement,
    Utf8,
}

impl K {
    fn matches(self, kind: &DecodeErrorKind) -> bool {
        match (self, kind) {
            (K::Syntax, DecodeErrorKind::Syntax(_))
            | (K::Truncated, DecodeErrorKind::Truncated)
            | (K::Empty, DecodeErrorKind::Empty)
            | (K::NotXml, DecodeErrorKind::NotXml)
            | (K::DocType, DecodeErrorKind::DocType)
            | (K::Root, DecodeErrorKind::UnexpectedRoot { .. })
            | (K::Namespace, DecodeErrorKind::Namespace(_))
            | (K::UnexpectedElement, DecodeErrorKind::UnexpectedElement)
            | (K::Utf8, DecodeErrorKind::InvalidUtf8) => true,
            (K::Missing(want), DecodeErrorKind::Missing(got)) => want == *got,
            (K::Invalid(want), DecodeErrorKind::Invalid(got)) => want == *got,
            _ => false,
        }
    }
}

/// What a row must produce.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Decodes; the value's `Debug` text contains each string.
    Ok(&'static [&'static str]),
    /// Fails with this kind, at this element path (`None`: any path).
    Err(K, Option<&'static str>),
}

struct Row {
    name: &'static str,
    ty: Ty,
    input: Vec<u8>,
    expect: Expect,
    /// Text that must not appear in the error's Display or Debug.
    secrets: &'static [&'static str],
}

fn row(name: &'static str, ty: Ty, input: impl Into<Vec<u8>>, expect: Expect) -> Row {
    Row {
        name,
        ty,
        input: input.into(),
        expect,
        secrets: &[],
    }
}

fn secret_row(name: &'static str, input: String, expect: Expect) -> Row {
    Row {
        name,
        ty: Ty::StorageService,
        input: input.into_bytes(),
        expect,
        secrets: &[KEY1, KEY2, "SECRET"],
    }
}

fn hs(inner: &str) -> String {
    format!(r#"<?xml version="1.0" encoding="utf-8"?><HostedService {NS}>{inner}</HostedService>"#)
}

const HS_OK: &str = "<Url>https://management.core.windows.net/s/services/hostedservices/svc</Url><ServiceName>svc</ServiceName>";

fn props(inner: &str) -> String {
    hs(&format!(
        "{HS_OK}<HostedServiceProperties><Label>bGFiZWw=</Label>{inner}</HostedServiceProperties>"
    ))
}

fn keys(inner: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><StorageService {NS}><Url>https://management.core.windows.net/s/services/storageservices/acct</Url><ServiceName>acct</ServiceName>{inner}</StorageService>"#
    )
}

fn op(inner: &str) -> String {
    format!("<Operation {NS}>{inner}</Operation>")
}

fn rows() -> Vec<Row> {
    use Expect::{Err as E, Ok as O};
    let billion_laughs = format!(
        r#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;"><!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">]><HostedService {NS}><Url>&lol2;</Url><ServiceName>s</ServiceName></HostedService>"#
    );
    let mut invalid_utf8_text = hs("<Url>https://x/").into_bytes();
    let at = invalid_utf8_text.len() - "</HostedService>".len();
    invalid_utf8_text.splice(
        at..at,
        b"\xff\xfe</Url><ServiceName>s</ServiceName>"
            .iter()
            .copied(),
    );
    let mut invalid_utf8_name = hs(HS_OK).into_bytes();
    let at = invalid_utf8_name.len() - "</HostedService>".len();
    invalid_utf8_name.splice(at..at, b"<Extra\xc3\x28>x</Extra\xc3\x28>".iter().copied());
    let mut bom = vec![0xEF, 0xBB, 0xBF];
    bom.extend_from_slice(hs(HS_OK).as_bytes());
    let crlf = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<HostedService {NS}>\r\n  <Url>u</Url>\r\n  <ServiceName>svc</ServiceName>\r\n  <HostedServiceProperties>\r\n    <Description>line one&#xD;\nline two</Description>\r\n    <Label>bGFiZWw=</Label>\r\n  </HostedServiceProperties>\r\n</HostedService>\r\n"
    );

    vec![
        // ----- truncated documents -----
        row("truncated inside text", Ty::HostedService, hs("<Url>u</Url><ServiceName>sv").replace("</HostedService>", ""), E(K::Truncated, None)),
        row("truncated after a child", Ty::HostedService, hs(HS_OK).replace("</HostedService>", ""), E(K::Truncated, None)),
        row("truncated inside a start tag", Ty::HostedService, format!("<HostedService {NS}><Url>u</Url><ServiceNa"), E(K::Syntax, None)),
        row("truncated inside a nested list", Ty::HostedServices, format!("<HostedServices {NS}><HostedService><Url>u</Url><ServiceName>a</ServiceName></HostedService><HostedService><Url>"), E(K::Truncated, None)),
        row("empty body", Ty::HostedService, "", E(K::Empty, None)),
        row("white space only", Ty::HostedService, " \r\n\t ", E(K::Empty, None)),
        row("declaration only", Ty::Operation, r#"<?xml version="1.0" encoding="utf-8"?>"#, E(K::Empty, None)),
        // ----- namespace and root -----
        row("wrong namespace", Ty::HostedService, format!(r#"<HostedService xmlns="http://schemas.microsoft.com/sqlazure/2010/12/">{HS_OK}</HostedService>"#), E(K::Namespace, None)),
        row("no namespace is accepted", Ty::HostedService, format!("<HostedService>{HS_OK}</HostedService>"), O(&["service_name: \"svc\""])),
        row("prefixed root in the service namespace", Ty::HostedService, r#"<a:HostedService xmlns:a="http://schemas.microsoft.com/windowsazure"><a:Url>u</a:Url><a:ServiceName>svc</a:ServiceName></a:HostedService>"#, O(&["service_name: \"svc\""])),
        row("wrong root element", Ty::HostedService, format!("<StorageService {NS}><Url>u</Url></StorageService>"), E(K::Root, None)),
        row("HTML error page", Ty::Locations, "<!-- proxy --><html><head><title>502</title></head><body>Bad Gateway</body></html>", E(K::Root, None)),
        row("plain text body", Ty::Locations, "Service Unavailable", E(K::NotXml, None)),
        row("JSON body", Ty::Operation, r#"{"error":{"code":"x"}}"#, E(K::NotXml, None)),
        row("content after the root", Ty::Operation, op("<ID>1</ID><Status>Succeeded</Status>") + "<Operation/>", E(K::Syntax, None)),
        row("mismatched end tag", Ty::Operation, format!("<Operation {NS}><ID>1</Id><Status>Succeeded</Status></Operation>"), E(K::Syntax, None)),
        // ----- required elements -----
        row("missing required Url", Ty::HostedService, hs("<ServiceName>svc</ServiceName>"), E(K::Missing("Url"), Some("/HostedService"))),
        row("missing required Status", Ty::Operation, op("<ID>1</ID><HttpStatusCode>200</HttpStatusCode>"), E(K::Missing("Status"), Some("/Operation"))),
        row("missing required Label, nested", Ty::HostedService, hs(&format!("{HS_OK}<HostedServiceProperties><Description>d</Description></HostedServiceProperties>")), E(K::Missing("Label"), Some("/HostedService/HostedServiceProperties"))),
        row("missing required element in a list item", Ty::HostedServices, format!("<HostedServices {NS}><HostedService>{HS_OK}</HostedService><HostedService><Url>u</Url></HostedService></HostedServices>"), E(K::Missing("ServiceName"), Some("/HostedServices/HostedService[1]"))),
        row("i:nil on a required element", Ty::HostedService, hs(r#"<Url>u</Url><ServiceName i:nil="true"/>"#), E(K::Missing("ServiceName"), Some("/HostedService"))),
        row("i:nil on optional elements", Ty::HostedService, props(r#"<Description i:nil="true"/><Status i:nil="true"></Status><DateCreated i:nil="true"/>"#), O(&["description: None", "status: None", "date_created: None"])),
        row("empty required string is the empty string", Ty::HostedService, hs("<Url/><ServiceName>svc</ServiceName>"), O(&["url: \"\""])),
        // ----- unknown elements and values -----
        row("unknown elements at every level", Ty::HostedService, hs(&format!("<Future>1</Future>{HS_OK}<HostedServiceProperties><Label>bGFiZWw=</Label><NewThing><Deep a=\"1\"><Deeper/></Deep></NewThing></HostedServiceProperties><Extra/>")), O(&["label: \"label\""])),
        row("unknown enum value", Ty::HostedService, props("<Status>Exploding</Status>"), O(&["Unknown(\"Exploding\")"])),
        row("unknown value of a required enum", Ty::Operation, op("<ID>1</ID><Status>Paused</Status>"), O(&["Unknown(\"Paused\")"])),
        row("mixed content between elements is ignored", Ty::Operation, op("stray text<ID>1</ID><!-- c --><?pi x?>more<Status>Succeeded</Status>"), O(&["status: Succeeded"])),
        row("element where text is expected", Ty::HostedService, hs("<Url><a>b</a></Url><ServiceName>s</ServiceName>"), E(K::UnexpectedElement, Some("/HostedService/Url"))),
        row("CDATA and character references", Ty::HostedService, props("<Description><![CDATA[<b>&</b>]]> &#x41;&#66;&amp;</Description>"), O(&["description: Some(\"<b>&</b> AB&\")"])),
        row("undefined entity", Ty::HostedService, props("<Description>&nbsp;</Description>"), E(K::Syntax, Some("/HostedService/HostedServiceProperties/Description"))),
        row("invalid character reference", Ty::HostedService, props("<Description>&#xFFFFFFFF;</Description>"), E(K::Syntax, None)),
        // ----- bad scalars -----
        row("i32 overflow", Ty::Operation, op("<ID>1</ID><Status>Failed</Status><HttpStatusCode>99999999999</HttpStatusCode>"), E(K::Invalid("a 32-bit integer"), Some("/Operation/HttpStatusCode"))),
        row("i32 just past the maximum", Ty::Subscription, format!("<Subscription {NS}><SubscriptionID>s</SubscriptionID><MaxCoreCount>2147483648</MaxCoreCount></Subscription>"), E(K::Invalid("a 32-bit integer"), Some("/Subscription/MaxCoreCount"))),
        row("integer with a decimal point", Ty::Subscription, format!("<Subscription {NS}><SubscriptionID>s</SubscriptionID><MaxCoreCount>20.0</MaxCoreCount></Subscription>"), E(K::Invalid("a 32-bit integer"), None)),
        row("integer with surrounding white space", Ty::Subscription, format!("<Subscription {NS}><SubscriptionID>s</SubscriptionID><MaxCoreCount>\r\n 20 </MaxCoreCount></Subscription>"), O(&["max_core_count: Some(20)"])),
        row("bad bool", Ty::Availability, format!("<AvailabilityResponse {NS}><Result>yes</Result></AvailabilityResponse>"), E(K::Invalid("a boolean"), Some("/AvailabilityResponse/Result"))),
        row("bool spelled True and 1", Ty::Availability, format!("<AvailabilityResponse {NS}><Result>True</Result><Reason>1</Reason></AvailabilityResponse>"), O(&["result: true"])),
        row("bad datetime (month 13)", Ty::HostedService, props("<DateCreated>2014-13-45T99:00:00Z</DateCreated>"), E(K::Invalid("an ISO 8601 date and time"), Some("/HostedService/HostedServiceProperties/DateCreated"))),
        row("bad datetime (words)", Ty::Operations, format!("<SubscriptionOperationCollection {NS}><SubscriptionOperations><SubscriptionOperation><OperationId>o</OperationId><OperationStartedTime>yesterday</OperationStartedTime></SubscriptionOperation></SubscriptionOperations></SubscriptionOperationCollection>"), E(K::Invalid("an ISO 8601 date and time"), Some("/SubscriptionOperationCollection/SubscriptionOperations/SubscriptionOperation[0]/OperationStartedTime"))),
        row("datetime without offset, 7 digits", Ty::HostedService, props("<DateCreated>2015-07-08T04:01:33.1234567</DateCreated>"), O(&["2015-07-08T04:01:33.1234567Z"])),
        row("bad base64 label", Ty::HostedService, props("").replace("bGFiZWw=", "!!not base64!!"), E(K::Invalid("base64"), Some("/HostedService/HostedServiceProperties/Label"))),
        row("label that is not UTF-8", Ty::HostedService, props("").replace("bGFiZWw=", "//79"), E(K::Invalid("base64 of UTF-8 text"), None)),
        row("bad base64 bytes", Ty::Certificate, format!("<SubscriptionCertificate {NS}><SubscriptionCertificatePublicKey>AAEC</SubscriptionCertificatePublicKey><SubscriptionCertificateThumbprint>T</SubscriptionCertificateThumbprint><SubscriptionCertificateData>AAE=C</SubscriptionCertificateData></SubscriptionCertificate>"), E(K::Invalid("base64"), Some("/SubscriptionCertificate/SubscriptionCertificateData"))),
        row("base64 wrapped over lines", Ty::Certificate, format!("<SubscriptionCertificate {NS}><SubscriptionCertificatePublicKey>AA\r\n  EC</SubscriptionCertificatePublicKey><SubscriptionCertificateThumbprint>T</SubscriptionCertificateThumbprint><SubscriptionCertificateData>AwQF</SubscriptionCertificateData></SubscriptionCertificate>"), O(&["subscription_certificate_public_key: [0, 1, 2]"])),
        // ----- DOCTYPE -----
        row("DOCTYPE with entity expansion", Ty::HostedService, billion_laughs, E(K::DocType, None)),
        row("DOCTYPE with an external entity", Ty::HostedService, format!(r#"<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><HostedService {NS}><Url>&xxe;</Url></HostedService>"#), E(K::DocType, None)),
        row("DOCTYPE after the root started", Ty::HostedService, hs(&format!("<!DOCTYPE x>{HS_OK}")), E(K::DocType, None)),
        // ----- encodings and line ends -----
        row("invalid UTF-8 in text", Ty::HostedService, invalid_utf8_text, E(K::Utf8, Some("/HostedService/Url"))),
        row("invalid UTF-8 in an element name", Ty::HostedService, invalid_utf8_name, E(K::Utf8, None)),
        row("byte-order mark", Ty::HostedService, bom, O(&["service_name: \"svc\""])),
        row("CRLF line ends and indentation", Ty::HostedService, crlf, O(&["description: Some(\"line one\\r\\nline two\")", "label: \"label\""])),
        // ----- secrets: malformed input next to the storage keys -----
        secret_row("keys: mismatched end tag after a key", keys(&format!("<StorageServiceKeys><Primary>{KEY1}</Primary><Secondary>{KEY2}</Secondry></StorageServiceKeys>")), E(K::Syntax, None)),
        secret_row("keys: undefined entity inside a key", keys(&format!("<StorageServiceKeys><Primary>{KEY1}&SECRET{KEY2};</Primary></StorageServiceKeys>")), E(K::Syntax, None)),
        secret_row("keys: bad character reference inside a key", keys(&format!("<StorageServiceKeys><Primary>{KEY1}&#SECRET;</Primary></StorageServiceKeys>")), E(K::Syntax, None)),
        secret_row("keys: element inside a key", keys(&format!("<StorageServiceKeys><Primary>{KEY1}<b/></Primary></StorageServiceKeys>")), E(K::UnexpectedElement, None)),
        secret_row("keys: truncated in the middle of a key", keys(&format!("<StorageServiceKeys><Primary>{KEY1}")).replace("</StorageService>", ""), E(K::Truncated, None)),
        secret_row("keys: bad value right after the keys", keys(&format!("<StorageServiceKeys><Primary>{KEY1}</Primary><Secondary>{KEY2}</Secondary></StorageServiceKeys><StorageServiceProperties><Label>bA==</Label><GeoReplicationEnabled>{KEY1}</GeoReplicationEnabled></StorageServiceProperties>")), E(K::Invalid("a boolean"), Some("/StorageService/StorageServiceProperties/GeoReplicationEnabled"))),
        secret_row("keys: well formed, Debug redacts them", keys(&format!("<StorageServiceKeys><Primary>{KEY1}</Primary><Secondary>{KEY2}</Secondary></StorageServiceKeys>")), O(&["primary: <redacted>", "secondary: <redacted>"])),
    ]
}

#[test]
fn malformed_documents_table() {
    let rows = rows();
    assert!(rows.len() >= 30, "{} rows", rows.len());
    let mut failures = Vec::new();
    for r in &rows {
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| r.ty.decode(&r.input)));
        let outcome = match outcome {
            Ok(o) => o,
            Err(_) => {
                failures.push(format!("{}: PANICKED", r.name));
                continue;
            }
        };
        match (&r.expect, &outcome) {
            (Expect::Ok(needles), Ok(debug)) => {
                for n in *needles {
                    if !debug.contains(n) {
                        failures.push(format!("{}: value lacks {n:?}: {debug}", r.name));
                    }
                }
                for s in r.secrets {
                    if debug.contains(s) {
                        failures.push(format!("{}: Debug of the value shows a secret", r.name));
                    }
                }
            }
            (Expect::Err(kind, path), Err(e)) => {
                if !kind.matches(e.kind()) {
                    failures.push(format!(
                        "{}: expected {kind:?}, got {:?} ({e})",
                        r.name,
                        e.kind()
                    ));
                }
                if let Some(p) = path {
                    if e.path() != *p {
                        failures.push(format!(
                            "{}: expected path {p}, got {} ({e})",
                            r.name,
                            e.path()
                        ));
                    }
                }
                let shown = format!("{e} {e:?}");
                for s in r.secrets {
                    if shown.contains(s) {
                        failures.push(format!("{}: the error shows secret text: {shown}", r.name));
                    }
                }
            }
            (Expect::Ok(_), Err(e)) => failures.push(format!("{}: expected Ok, got {e}", r.name)),
            (Expect::Err(kind, _), Ok(v)) => {
                failures.push(format!("{}: expected {kind:?}, decoded {v}", r.name))
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

// ----- error bodies (ServiceError::from_response) -----

#[test]
fn error_bodies_table() {
    struct ErrRow {
        name: &'static str,
        status: u16,
        body: &'static str,
        code: Option<&'static str>,
        message: &'static str,
    }
    let rows = [
        ErrRow {
            name: "service <Error>",
            status: 409,
            body: r#"<Error xmlns="http://schemas.microsoft.com/windowsazure" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><Code>ConflictError</Code><Message>The specified DNS name is already taken.</Message></Error>"#,
            code: Some("ConflictError"),
            message: "The specified DNS name is already taken.",
        },
        ErrRow {
            name: "SQL namespace <Error>",
            status: 400,
            body: r#"<Error xmlns="http://schemas.microsoft.com/sqlazure/2010/12/"><Code>40647</Code><Message>Subscription does not have the server.</Message><Severity>16</Severity><State>1</State></Error>"#,
            code: Some("40647"),
            message: "Subscription does not have the server.",
        },
        ErrRow {
            name: "<Error> without Code",
            status: 500,
            body: "<Error><Message>Internal error.</Message></Error>",
            code: None,
            message: "Internal error.",
        },
        ErrRow {
            name: "<Error> with an empty Code",
            status: 400,
            body: "<Error><Code/><Message>m</Message></Error>",
            code: None,
            message: "m",
        },
        ErrRow {
            name: "truncated <Error>",
            status: 503,
            body: "<Error><Code>ServerBusy</Code><Message>The server is bus",
            code: Some("ServerBusy"),
            message: "",
        },
        ErrRow {
            name: "HTML error page",
            status: 502,
            body: "<html><body>Bad Gateway</body></html>",
            code: None,
            message: "<html><body>Bad Gateway</body></html>",
        },
        ErrRow {
            name: "empty body",
            status: 503,
            body: "",
            code: None,
            message: "",
        },
    ];
    for r in rows {
        let e = std::panic::catch_unwind(|| {
            ServiceError::from_response(r.status, Some("rid".into()), r.body.as_bytes())
        })
        .unwrap_or_else(|_| panic!("{}: panicked", r.name));
        assert_eq!(e.status, r.status, "{}", r.name);
        assert_eq!(e.code.as_deref(), r.code, "{}", r.name);
        assert_eq!(e.message, r.message, "{}", r.name);
    }
}

// ----- through the client: status, retries, error parsing, body cap -----

fn client(endpoint: &str, max_body: usize) -> Client {
    Client::builder()
        .subscription_id(SUB)
        .endpoint(endpoint)
        .no_proxy()
        .max_response_bytes(max_body)
        .retry_policy(RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(5),
        })
        .build()
        .expect("client")
}

#[tokio::test]
async fn over_large_body_with_content_length_is_refused() {
    let mock = MockServer::start().await;
    let big = format!(
        "<Locations {NS}>{}</Locations>",
        "<Location><Name>West US</Name></Location>".repeat(50_000)
    );
    assert!(big.len() > 1 << 20);
    mock.push(Reply::new(200, big).header("x-ms-request-id", "big1"));
    let err = client(&mock.endpoint, 64 << 10)
        .list_locations()
        .await
        .unwrap_err();
    match &err {
        Error::Decode {
            source,
            status,
            request_id,
            ..
        } => {
            assert!(
                matches!(source.kind(), DecodeErrorKind::TooLarge { limit } if *limit == 64 << 10),
                "{err}"
            );
            assert_eq!(*status, 200);
            assert_eq!(request_id.as_deref(), Some("big1"));
        }
        other => panic!("expected a TooLarge decode error, got {other:?}"),
    }
}

/// A one-shot HTTP/1.1 server that streams `chunks` × `chunk` bytes with
/// chunked transfer encoding (no Content-Length), so the client can only
/// stop it by counting.
async fn chunked_server(chunks: usize, chunk: usize) -> (String, tokio::task::JoinHandle<usize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return 0;
        };
        let mut buf = [0u8; 4096];
        let mut req = Vec::new();
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return 0,
                Ok(n) => req.extend_from_slice(&buf[..n]),
            }
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/xml\r\ntransfer-encoding: chunked\r\n\r\n";
        if stream.write_all(head.as_bytes()).await.is_err() {
            return 0;
        }
        let open = format!("<Locations {NS}>");
        let _ = stream
            .write_all(format!("{:x}\r\n{open}\r\n", open.len()).as_bytes())
            .await;
        let piece = "<Location><Name>West US</Name></Location>".repeat(chunk / 40 + 1);
        let piece = &piece[..chunk];
        let mut sent = 0;
        for _ in 0..chunks {
            let frame = format!("{:x}\r\n{piece}\r\n", piece.len());
            if stream.write_all(frame.as_bytes()).await.is_err() {
                break; // the client hung up: good
            }
            sent += piece.len();
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
        sent
    });
    (format!("http://{addr}"), task)
}

#[tokio::test]
async fn over_large_chunked_body_is_cut_off() {
    let (endpoint, server) = chunked_server(4096, 16 << 10).await; // 64 MiB offered
    let started = std::time::Instant::now();
    let err = client(&endpoint, 256 << 10)
        .list_locations()
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { source, .. } if matches!(source.kind(), DecodeErrorKind::TooLarge { limit } if *limit == 256 << 10)),
        "{err:?}"
    );
    let sent = server.await.unwrap_or(0);
    assert!(
        sent < 64 << 20,
        "the client read the whole body ({sent} bytes)"
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[tokio::test]
async fn service_unavailable_with_empty_body_is_retried_then_reported() {
    let mock = MockServer::start().await;
    mock.set_fallback(Reply::new(503, "").header("x-ms-request-id", "busy"));
    let err = client(&mock.endpoint, 1 << 20)
        .list_locations()
        .await
        .unwrap_err();
    let se = err
        .service_error()
        .unwrap_or_else(|| panic!("expected a service error, got {err:?}"));
    assert_eq!(se.status, 503);
    assert_eq!(se.code, None);
    assert_eq!(se.message, "");
    assert_eq!(err.request_id(), Some("busy"));
    // One attempt and two retries (GET is idempotent).
    assert_eq!(mock.captured().len(), 3);
}

#[tokio::test]
async fn success_status_with_an_html_body_is_a_decode_error() {
    let mock = MockServer::start().await;
    mock.push(Reply::new(
        200,
        "<!DOCTYPE html><html><body>Sign in to continue</body></html>",
    ));
    mock.push(Reply::new(
        200,
        "<html><body>Sign in to continue</body></html>",
    ));
    mock.push(Reply::new(200, ""));
    let c = client(&mock.endpoint, 1 << 20);
    for want in [K::DocType, K::Root, K::Empty] {
        let err = c.list_locations().await.unwrap_err();
        match &err {
            Error::Decode { source, status, .. } => {
                assert!(want.matches(source.kind()), "expected {want:?}, got {err}");
                assert_eq!(*status, 200);
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }
    // A 200 is not retried.
    assert_eq!(mock.captured().len(), 3);
}

#[tokio::test]
async fn error_bodies_through_the_client() {
    let mock = MockServer::start().await;
    mock.push(Reply::new(
        404,
        format!("<Error {NS}><Code>ResourceNotFound</Code><Message>No deployments were found.</Message></Error>"),
    ));
    mock.push(Reply::new(
        400,
        r#"<Error xmlns="http://schemas.microsoft.com/sqlazure/2010/12/"><Code>40640</Code><Message>The server encountered an unexpected exception.</Message><Severity>16</Severity><State>1</State></Error>"#,
    ));
    mock.push(Reply::new(
        409,
        "<Error><Message>no code here</Message></Error>",
    ));
    let c = client(&mock.endpoint, 1 << 20);
    let expected = [
        (404, Some("ResourceNotFound"), "No deployments were found."),
        (
            400,
            Some("40640"),
            "The server encountered an unexpected exception.",
        ),
        (409, None, "no code here"),
    ];
    for (status, code, message) in expected {
        let err = c.list_hosted_services().await.unwrap_err();
        let se = err.service_error().unwrap_or_else(|| panic!("{err:?}"));
        assert_eq!(
            (se.status, se.code.as_deref(), se.message.as_str()),
            (status, code, message)
        );
    }
}

#[tokio::test]
async fn malformed_keys_response_through_the_client_does_not_leak_keys() {
    let mock = MockServer::start().await;
    mock.push(Reply::new(
        200,
        keys(&format!(
            "<StorageServiceKeys><Primary>{KEY1}&SECRET;</Primary><Secondary>{KEY2}</Secondary></StorageServiceKeys>"
        )),
    ));
    let err = client(&mock.endpoint, 1 << 20)
        .get_storage_account_keys("acct")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
    let shown = format!("{err} {err:?}");
    for s in [KEY1, KEY2, "SECRET"] {
        assert!(!shown.contains(s), "the error shows secret text: {shown}");
    }
}

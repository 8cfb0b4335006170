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
//!
//! The spec v2 body formats have a table of their own
//! (`malformed_body_formats_table`): Atom entries and feeds, JSON, raw text
//! with a schema (the network configuration) and scalar roots (`<string>`,
//! `ArrayOfstring`), each row decoded with the client's decoder and through
//! `azure_asm::server::roundtrip_response` (what the `responses` fuzz target
//! runs), plus client-path tests for each format. The fuzz seeds are
//! checked here too (selector byte, round trip, routing).

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

/// Two subscription operations, `a` and `b`, with other elements before,
/// between (and `between`) them; `in_second` is added to `b`.
fn two_ops_among_others(between: &str, in_second: &str) -> String {
    format!(
        "<SubscriptionOperationCollection {NS}><SubscriptionOperations><Other><X/>t</Other>\
         <SubscriptionOperation><OperationId>a</OperationId></SubscriptionOperation><Noise a=\"1\"/>{between}\
         <SubscriptionOperation><OperationId>b</OperationId>{in_second}</SubscriptionOperation>\
         </SubscriptionOperations></SubscriptionOperationCollection>"
    )
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
        row("unknown children between list items are skipped", Ty::Operations, two_ops_among_others("<Noise>n</Noise>", ""), O(&["operation_id: \"a\"", "operation_id: \"b\""])),
        row("an item's index counts items only, not the children skipped", Ty::Operations, two_ops_among_others("", "<OperationStartedTime>yesterday</OperationStartedTime>"), E(K::Invalid("an ISO 8601 date and time"), Some("/SubscriptionOperationCollection/SubscriptionOperations/SubscriptionOperation[1]/OperationStartedTime"))),
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
        check_outcome(r.name, &r.expect, r.secrets, &outcome, &mut failures);
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

// ----- spec v2 body formats: Atom, JSON, raw text, scalar roots -----

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const SB_NS: &str = "http://schemas.microsoft.com/netservices/2010/10/servicebus/connect";
const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
const SER_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/";
const ARRAYS_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";
const NETCFG_NS: &str = "http://schemas.microsoft.com/ServiceHosting/2011/07/NetworkConfiguration";
/// A Service Bus shared secret (fake), as DefaultKey and in ConnectionString.
const SB_KEY: &str = "U0VDUkVUc2VydmljZWJ1c2tleTAxMjM0NTY3ODlhYmNkZWY=";

/// An operation whose response is one of the spec v2 body formats; each
/// decodes with the decoder the client uses.
#[derive(Clone, Copy, Debug)]
enum Op {
    /// `response atom NamespaceDescription`.
    GetNamespace,
    /// `response atom-feed NamespaceDescription`.
    ListNamespaces,
    /// `response atom NamespaceAvailability`.
    CheckNamespaceAvailability,
    /// `response json AlertRuleList`.
    ListAlertRules,
    /// `response text NetworkConfiguration` (the text, then its parse).
    GetNetworkConfiguration,
    /// `response string: string ns=...` (a scalar root).
    GetDnsSuffix,
    /// `response ArrayOfstring`.
    GetWebSiteInstanceIds,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::GetNamespace => "GetNamespace",
            Op::ListNamespaces => "ListNamespaces",
            Op::CheckNamespaceAvailability => "CheckNamespaceAvailability",
            Op::ListAlertRules => "ListAlertRules",
            Op::GetNetworkConfiguration => "GetNetworkConfiguration",
            Op::GetDnsSuffix => "GetDnsSuffix",
            Op::GetWebSiteInstanceIds => "GetWebSiteInstanceIds",
        }
    }

    /// Decodes `input`; `Ok` carries the value's `Debug` text.
    fn decode(self, input: &[u8]) -> Result<String, DecodeError> {
        use asm_runtime::{atom, document, json, xml};
        fn show<T: std::fmt::Debug>(v: Result<T, DecodeError>) -> Result<String, DecodeError> {
            v.map(|v| format!("{v:?}"))
        }
        match self {
            Op::GetNamespace => show(
                atom::entry_from_document::<azure_asm::NamespaceDescription>(
                    "NamespaceDescription",
                    input,
                ),
            ),
            Op::ListNamespaces => {
                show(atom::feed_from_document::<azure_asm::NamespaceDescription>(
                    "NamespaceDescription",
                    input,
                ))
            }
            Op::CheckNamespaceAvailability => show(atom::entry_from_document::<
                azure_asm::NamespaceAvailability,
            >("NamespaceAvailability", input)),
            Op::ListAlertRules => show(json::from_json::<azure_asm::AlertRuleList>(input)),
            // The client keeps the raw text; parsing it is the caller's step.
            Op::GetNetworkConfiguration => show(document::text_from_bytes(input).and_then(|t| {
                azure_asm::TextDocument::<azure_asm::NetworkConfiguration>::from_text(t).parse()
            })),
            Op::GetDnsSuffix => show(xml::scalar_from_document::<String>("string", SER_NS, input)),
            Op::GetWebSiteInstanceIds => show(xml::from_document_ns::<azure_asm::ArrayOfstring>(
                "ArrayOfstring",
                ARRAYS_NS,
                input,
            )),
        }
    }
}

struct FormatRow {
    name: &'static str,
    op: Op,
    input: Vec<u8>,
    expect: Expect,
    /// Text that must not appear in the error's Display or Debug, nor in
    /// the value's Debug.
    secrets: &'static [&'static str],
    /// A known, reported bug: the row's failures are printed, not fatal,
    /// and the row must start failing the test once it passes (so the
    /// marker goes when the bug is fixed).
    known_bug: Option<&'static str>,
}

fn frow(name: &'static str, op: Op, input: impl Into<Vec<u8>>, expect: Expect) -> FormatRow {
    FormatRow {
        name,
        op,
        input: input.into(),
        expect,
        secrets: &[],
        known_bug: None,
    }
}

fn fsecret(name: &'static str, op: Op, input: impl Into<Vec<u8>>, expect: Expect) -> FormatRow {
    FormatRow {
        secrets: &[SB_KEY, "SECRET"],
        ..frow(name, op, input, expect)
    }
}

/// A Service Bus namespace description (the content of an entry).
fn sb_desc(inner: &str) -> String {
    format!(
        r#"<NamespaceDescription xmlns="{SB_NS}" xmlns:i="{XSI}">{inner}</NamespaceDescription>"#
    )
}

/// A description with both secrets of a namespace in it.
fn sb_full() -> String {
    sb_desc(&format!(
        "<Name>sbns</Name><Region>West US</Region><DefaultKey>{SB_KEY}</DefaultKey><Status>Active</Status><CreatedAt>2013-03-19T20:15:24.61Z</CreatedAt><ConnectionString>Endpoint=sb://sbns.servicebus.windows.net/;SharedSecretIssuer=owner;SharedSecretValue={SB_KEY}</ConnectionString><Enabled>true</Enabled>"
    ))
}

/// An Atom entry document around `content` (the inside of `<content>`).
fn entry(content: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?><entry xmlns="{ATOM_NS}"><id>uuid:2771d0f8;id=2950815</id><title type="text">sbns</title><updated>2013-03-19T20:15:24Z</updated><content type="application/xml">{content}</content></entry>"#
    )
}

/// An Atom feed document of `entries` (each the inside of an `<entry>`).
fn feed(entries: &[String]) -> String {
    let mut doc = format!(
        r#"<feed xmlns="{ATOM_NS}"><title type="text">ServiceBus Namespaces</title><id>uuid:e4a71af7;id=2954974</id><updated>2013-03-19T20:14:45Z</updated>"#
    );
    for e in entries {
        doc.push_str("<entry>");
        doc.push_str(e);
        doc.push_str("</entry>");
    }
    doc.push_str("</feed>");
    doc
}

fn feed_entry(content: &str) -> String {
    format!(
        r#"<id>uuid:e4a71af7;id=1</id><title type="text">sbns</title><content type="application/xml">{content}</content>"#
    )
}

fn availability(inner: &str) -> String {
    entry(&format!(
        r#"<NamespaceAvailability xmlns="{SB_NS}" xmlns:i="{XSI}">{inner}</NamespaceAvailability>"#
    ))
}

/// A network configuration document as the service sends it: byte-order
/// mark, declaration, CRLF line ends, indentation.
fn netcfg(sites: &str) -> String {
    format!(
        "\u{FEFF}<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<NetworkConfiguration xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"{NETCFG_NS}\">\r\n  <VirtualNetworkConfiguration>\r\n    <Dns />\r\n    <VirtualNetworkSites>{sites}\r\n    </VirtualNetworkSites>\r\n  </VirtualNetworkConfiguration>\r\n</NetworkConfiguration>"
    )
}

const VNET: &str = "\r\n      <VirtualNetworkSite name=\"test\" AffinityGroup=\"test-ag\">\r\n        <AddressSpace>\r\n          <AddressPrefix>10.0.0.0/20</AddressPrefix>\r\n        </AddressSpace>\r\n        <Subnets>\r\n          <Subnet name=\"sub1\">\r\n            <AddressPrefix>10.0.0.0/23</AddressPrefix>\r\n          </Subnet>\r\n        </Subnets>\r\n      </VirtualNetworkSite>";

fn alert_rules(rule: &str) -> String {
    format!(r#"{{"Value":[{rule}]}}"#)
}

const RULE_OK: &str = r#"{"Id":"7f8c0a2e","Name":"cpu-high","IsEnabled":true,"Condition":{"odata.type":"Microsoft.WindowsAzure.Management.Monitoring.Alerts.Models.ThresholdRuleCondition","Operator":"GreaterThan","Threshold":80.5,"WindowSize":"PT5M"},"Actions":[{"SendToServiceOwners":true,"CustomEmails":["ops@example.com"]}],"LastUpdatedTime":"2014-05-12T18:23:41.427Z"}"#;

fn format_rows() -> Vec<FormatRow> {
    use Expect::{Err as E, Ok as O};
    let full = sb_full();
    let truncated_entry = entry(&full);
    let truncated_entry =
        truncated_entry[..truncated_entry.find("SharedSecretValue=").unwrap_or(0) + 30].to_owned();
    let mut netcfg_latin1 = netcfg(VNET).into_bytes();
    let at = netcfg_latin1
        .windows(4)
        .position(|w| w == b"test")
        .unwrap_or(0);
    netcfg_latin1.splice(at..at, *b"caf\xe9-");
    let mut json_not_utf8 = alert_rules(r#"{"Name":"x"}"#).into_bytes();
    json_not_utf8.splice(11..11, *b"\xff\xfe");
    let mut json_bom = vec![0xEF, 0xBB, 0xBF];
    json_bom.extend_from_slice(alert_rules(RULE_OK).as_bytes());
    let deep_json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));

    vec![
        // ----- Atom entry -----
        fsecret("atom: recorded entry; Debug redacts the keys", Op::GetNamespace, entry(&full), O(&["title: Some(\"sbns\")", "region: \"West US\"", "default_key: <redacted>", "connection_string: <redacted>"])),
        fsecret("atom: truncated inside the connection string", Op::GetNamespace, truncated_entry, E(K::Truncated, None)),
        frow("atom: truncated after </content>", Op::GetNamespace, entry(&sb_full()).replace("</entry>", ""), E(K::Truncated, None)),
        frow("atom: entry without <content>", Op::GetNamespace, format!(r#"<entry xmlns="{ATOM_NS}"><id>uuid:1</id><title type="text">sbns</title></entry>"#), E(K::Missing("NamespaceDescription"), Some("/entry"))),
        frow("atom: empty <content/>", Op::GetNamespace, format!(r#"<entry xmlns="{ATOM_NS}"><content type="application/xml"/></entry>"#), E(K::Missing("NamespaceDescription"), Some("/entry"))),
        frow("atom: content of another type", Op::GetNamespace, entry(&format!(r#"<NamespaceAvailability xmlns="{SB_NS}"><Result>true</Result></NamespaceAvailability>"#)), E(K::Missing("NamespaceDescription"), Some("/entry"))),
        frow("atom: wrong Atom namespace (Atom 0.3)", Op::GetNamespace, entry(&sb_full()).replace(ATOM_NS, "http://purl.org/atom/ns#"), E(K::Namespace, None)),
        frow("atom: the description without its entry", Op::GetNamespace, sb_full(), E(K::Root, None)),
        frow("atom: a feed where an entry is expected", Op::GetNamespace, feed(&[feed_entry(&sb_full())]), E(K::Root, None)),
        frow("atom: required Region missing in the content", Op::GetNamespace, entry(&sb_desc("<Name>sbns</Name>")), E(K::Missing("Region"), Some("/entry/content/NamespaceDescription"))),
        fsecret("atom: bad boolean next to the keys", Op::GetNamespace, entry(&sb_full().replace("<Enabled>true</Enabled>", "<Enabled>SECRET</Enabled>")), E(K::Invalid("a boolean"), Some("/entry/content/NamespaceDescription/Enabled"))),
        fsecret("atom: undefined entity inside a key", Op::GetNamespace, entry(&sb_full().replacen(SB_KEY, &format!("{SB_KEY}&SECRET;"), 1)), E(K::Syntax, None)),
        frow("atom: bad <updated>", Op::GetNamespace, entry(&sb_full()).replace("2013-03-19T20:15:24Z", "yesterday"), E(K::Invalid("an ISO 8601 date and time"), Some("/entry/updated"))),
        frow("atom: DOCTYPE", Op::GetNamespace, format!("<!DOCTYPE entry [<!ENTITY x \"y\">]>{}", entry(&sb_full()).replace(r#"<?xml version="1.0" encoding="utf-8"?>"#, "")), E(K::DocType, None)),
        frow("atom: empty body", Op::GetNamespace, "", E(K::Empty, None)),
        frow("atom: unknown Atom and extension elements are skipped", Op::GetNamespace, entry(&sb_full()).replace("<content", r#"<author><name>sb</name></author><link rel="self" href="https://x/sbns"/><m:ext xmlns:m="urn:x"><m:y/></m:ext><content"#), O(&["href: Some(\"https://x/sbns\")", "region: \"West US\""])),
        frow("atom: availability, reason i:nil", Op::CheckNamespaceAvailability, availability(r#"<Result>false</Result><ReasonDetail i:nil="true"/>"#), O(&["result: false", "reason_detail: None"])),
        frow("atom: availability without Result", Op::CheckNamespaceAvailability, availability("<ReasonDetail>taken</ReasonDetail>"), E(K::Missing("Result"), Some("/entry/content/NamespaceAvailability"))),
        // ----- Atom feed -----
        fsecret("atom feed: two entries", Op::ListNamespaces, feed(&[feed_entry(&sb_full()), feed_entry(&sb_desc("<Name>b</Name><Region>West Europe</Region>"))]), O(&["title: Some(\"ServiceBus Namespaces\")", "region: \"West Europe\""])),
        frow("atom feed: no entries", Op::ListNamespaces, format!(r#"<feed xmlns="{ATOM_NS}"/>"#), O(&["entries: []"])),
        fsecret("atom feed: second entry with a bad description", Op::ListNamespaces, feed(&[feed_entry(&sb_full()), feed_entry(&sb_desc(&format!("<Name>b</Name><DefaultKey>{SB_KEY}</DefaultKey>")))]), E(K::Missing("Region"), Some("/feed/entry[1]/content/NamespaceDescription"))),
        frow("atom feed: second entry without content", Op::ListNamespaces, feed(&[feed_entry(&sb_full()), "<title>b</title>".to_owned()]), E(K::Missing("NamespaceDescription"), Some("/feed/entry[1]"))),
        frow("atom feed: bad <updated> of the feed", Op::ListNamespaces, feed(&[]).replace("2013-03-19T20:14:45Z", "2013-02-30T00:00:00Z"), E(K::Invalid("an ISO 8601 date and time"), Some("/feed/updated"))),
        frow("atom feed: truncated inside the second entry", Op::ListNamespaces, { let f = feed(&[feed_entry(&sb_full()), feed_entry(&sb_full())]); f[..f.rfind("<Region>").unwrap_or(0)].to_owned() }, E(K::Truncated, None)),
        frow("atom feed: wrong Atom namespace", Op::ListNamespaces, feed(&[]).replace(ATOM_NS, "http://www.w3.org/2005/atom"), E(K::Namespace, None)),
        frow("atom feed: an entry where a feed is expected", Op::ListNamespaces, entry(&sb_full()), E(K::Root, None)),
        // ----- JSON -----
        frow("json: alert rules", Op::ListAlertRules, alert_rules(RULE_OK), O(&["name: Some(\"cpu-high\")", "threshold: Some(80.5)", "operator: Some(GreaterThan)", "window_size: Some(\"PT5M\")"])),
        frow("json: byte-order mark, null list, unknown keys", Op::ListAlertRules, json_bom, O(&["custom_emails: [\"ops@example.com\"]"])),
        frow("json: null and absent lists", Op::ListAlertRules, r#"{"Value":[{"Name":"a","Actions":null,"Future":{"x":[1,2]}}]}"#, O(&["actions: []"])),
        frow("json: unknown enum value is kept", Op::ListAlertRules, alert_rules(r#"{"Condition":{"Operator":"Between"}}"#), O(&["Unknown(\"Between\")"])),
        fsecret("json: syntax error after a secret", Op::ListAlertRules, alert_rules(r#"{"Name":"SECRET-rule-name" "IsEnabled":true}"#), E(K::Syntax, None)),
        fsecret("json: string where a boolean is expected", Op::ListAlertRules, alert_rules(r#"{"Name":"n","IsEnabled":"SECRET-yes"}"#), E(K::Syntax, None)),
        FormatRow { secrets: &["31415926535"], ..frow("json: number where a string is expected", Op::ListAlertRules, alert_rules(r#"{"Description":31415926535897932384}"#), E(K::Syntax, None)) },
        frow("json: object where the list is expected", Op::ListAlertRules, r#"{"Value":{"Name":"x"}}"#, E(K::Syntax, None)),
        frow("json: a bare string", Op::ListAlertRules, r#""SECRET""#, E(K::Syntax, None)),
        fsecret("json: bad datetime", Op::ListAlertRules, alert_rules(r#"{"LastUpdatedTime":"SECRET-2014-13-45"}"#), E(K::Syntax, None)),
        fsecret("json: truncated inside a string", Op::ListAlertRules, r#"{"Value":[{"Name":"SECRET-trunc"#, E(K::Truncated, None)),
        frow("json: truncated after a value", Op::ListAlertRules, r#"{"Value":[{"Name":"a"}"#, E(K::Truncated, None)),
        frow("json: empty body", Op::ListAlertRules, "", E(K::Empty, None)),
        frow("json: white space only", Op::ListAlertRules, " \r\n\t", E(K::Empty, None)),
        frow("json: XML where JSON is expected", Op::ListAlertRules, format!("<Error {NS}><Code>x</Code></Error>"), E(K::Syntax, None)),
        frow("json: content after the document", Op::ListAlertRules, r#"{"Value":[]} {}"#, E(K::Syntax, None)),
        frow("json: NaN is not JSON", Op::ListAlertRules, alert_rules(r#"{"Condition":{"Threshold":NaN}}"#), E(K::Syntax, None)),
        frow("json: number out of range", Op::ListAlertRules, alert_rules(r#"{"Condition":{"Threshold":1e999}}"#), E(K::Syntax, None)),
        frow("json: not UTF-8 inside a string", Op::ListAlertRules, json_not_utf8, E(K::Syntax, None)),
        frow("json: nested 10,000 deep", Op::ListAlertRules, deep_json, E(K::Syntax, None)),
        // A double written with 17 significant digits (as .NET's "R" does)
        // must decode to the same double again after re-encoding: serde_json
        // parses floats exactly only with its `float_roundtrip` feature (on,
        // in runtime/Cargo.toml; found by fuzzing, docs/FUZZING.md).
        frow("json: 17-digit threshold survives the round trip", Op::ListAlertRules, alert_rules(r#"{"Condition":{"Threshold":9.7063165375601314e5}}"#), O(&["threshold: Some(970631.65375601"])),
        // ----- raw text with a schema -----
        frow("text: network configuration as recorded", Op::GetNetworkConfiguration, netcfg(VNET), O(&["name: \"test\"", "affinity_group: Some(\"test-ag\")", "address_prefix: \"10.0.0.0/23\""])),
        // Found by the `responses` fuzz target (the minimised input: selector, two marks).
        frow("text: byte-order marks only", Op::GetNetworkConfiguration, *b"\xEF\xBB\xBF\xEF\xBB\xBF", E(K::Empty, None)),
        frow("text: two byte-order marks", Op::GetNetworkConfiguration, format!("\u{FEFF}{}", netcfg(VNET)), O(&["name: \"test\""])),
        frow("text: not UTF-8", Op::GetNetworkConfiguration, netcfg_latin1, E(K::Utf8, None)),
        frow("text: DOCTYPE", Op::GetNetworkConfiguration, netcfg(VNET).replace("\r\n<Network", "\r\n<!DOCTYPE NetworkConfiguration [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>\r\n<Network"), E(K::DocType, None)),
        frow("text: empty body", Op::GetNetworkConfiguration, "", E(K::Empty, None)),
        frow("text: plain text", Op::GetNetworkConfiguration, "Service Unavailable", E(K::NotXml, None)),
        frow("text: wrong root", Op::GetNetworkConfiguration, netcfg(VNET).replace("NetworkConfiguration ", "NetworkConfig ").replace("</NetworkConfiguration>", "</NetworkConfig>"), E(K::Root, None)),
        frow("text: service namespace instead of netcfg", Op::GetNetworkConfiguration, netcfg(VNET).replace(NETCFG_NS, "http://schemas.microsoft.com/windowsazure"), E(K::Namespace, None)),
        frow("text: truncated", Op::GetNetworkConfiguration, netcfg(VNET).replace("</NetworkConfiguration>", ""), E(K::Truncated, None)),
        frow("text: required name attribute missing", Op::GetNetworkConfiguration, netcfg(&VNET.replace("name=\"test\" ", "")), E(K::Missing("name"), None)),
        frow("text: required VirtualNetworkConfiguration missing", Op::GetNetworkConfiguration, netcfg(VNET).replace("VirtualNetworkConfiguration>", "VNetConfiguration>"), E(K::Missing("VirtualNetworkConfiguration"), Some("/NetworkConfiguration"))),
        // ----- scalar root <string> -----
        frow("string: DNS suffix as recorded", Op::GetDnsSuffix, format!(r#"<string xmlns="{SER_NS}">azurewebsites.net</string>"#), O(&["\"azurewebsites.net\""])),
        // The path reads /string/string (`xml::scalar_from_document` adds the root twice).
        frow("string: nested element", Op::GetDnsSuffix, format!(r#"<string xmlns="{SER_NS}">azure<b>websites</b>.net</string>"#), E(K::UnexpectedElement, Some("/string"))),
        frow("string: wrong root", Op::GetDnsSuffix, format!(r#"<String xmlns="{SER_NS}">azurewebsites.net</String>"#), E(K::Root, None)),
        frow("string: wrong namespace", Op::GetDnsSuffix, format!(r#"<string xmlns="{ARRAYS_NS}">azurewebsites.net</string>"#), E(K::Namespace, None)),
        frow("string: i:nil", Op::GetDnsSuffix, format!(r#"<string xmlns="{SER_NS}" xmlns:i="{XSI}" i:nil="true"/>"#), E(K::Missing("string"), None)),
        frow("string: truncated", Op::GetDnsSuffix, format!(r#"<string xmlns="{SER_NS}">azurewebsites.n"#), E(K::Truncated, None)),
        frow("string: a second root", Op::GetDnsSuffix, format!(r#"<string xmlns="{SER_NS}">a</string><string>b</string>"#), E(K::Syntax, None)),
        // ----- ArrayOfstring -----
        frow("ArrayOfstring: instance ids as recorded", Op::GetWebSiteInstanceIds, format!(r#"<ArrayOfstring xmlns="{ARRAYS_NS}" xmlns:i="{XSI}"><string>2b6036b7</string><string>9a1f</string></ArrayOfstring>"#), O(&["ids: [\"2b6036b7\", \"9a1f\"]"])),
        frow("ArrayOfstring: empty", Op::GetWebSiteInstanceIds, format!(r#"<ArrayOfstring xmlns="{ARRAYS_NS}"/>"#), O(&["ids: []"])),
        frow("ArrayOfstring: wrong root", Op::GetWebSiteInstanceIds, format!(r#"<ArrayOfint xmlns="{ARRAYS_NS}"><int>1</int></ArrayOfint>"#), E(K::Root, None)),
        frow("ArrayOfstring: the <string> root instead", Op::GetWebSiteInstanceIds, format!(r#"<string xmlns="{SER_NS}">2b6036b7</string>"#), E(K::Root, None)),
        frow("ArrayOfstring: wrong namespace", Op::GetWebSiteInstanceIds, format!(r#"<ArrayOfstring xmlns="{SER_NS}"><string>a</string></ArrayOfstring>"#), E(K::Namespace, None)),
        frow("ArrayOfstring: element inside an item", Op::GetWebSiteInstanceIds, format!(r#"<ArrayOfstring xmlns="{ARRAYS_NS}"><string>a</string><string><b/></string></ArrayOfstring>"#), E(K::UnexpectedElement, Some("/ArrayOfstring/string[1]"))),
    ]
}

/// Checks one outcome against a row's expectation (shared by the tables).
fn check_outcome(
    name: &str,
    expect: &Expect,
    secrets: &[&str],
    outcome: &Result<String, DecodeError>,
    failures: &mut Vec<String>,
) {
    match (expect, outcome) {
        (Expect::Ok(needles), Ok(debug)) => {
            for n in *needles {
                if !debug.contains(n) {
                    failures.push(format!("{name}: value lacks {n:?}: {debug}"));
                }
            }
            for s in secrets {
                if debug.contains(s) {
                    failures.push(format!("{name}: Debug of the value shows a secret"));
                }
            }
        }
        (Expect::Err(kind, path), Err(e)) => {
            if !kind.matches(e.kind()) {
                failures.push(format!(
                    "{name}: expected {kind:?}, got {:?} ({e})",
                    e.kind()
                ));
            }
            if let Some(p) = path {
                if e.path() != *p {
                    failures.push(format!("{name}: expected path {p}, got {} ({e})", e.path()));
                }
            }
            let shown = format!("{e} {e:?}");
            for s in secrets {
                if shown.contains(s) {
                    failures.push(format!("{name}: the error shows secret text: {shown}"));
                }
            }
        }
        (Expect::Ok(_), Err(e)) => failures.push(format!("{name}: expected Ok, got {e}")),
        (Expect::Err(kind, _), Ok(v)) => {
            failures.push(format!("{name}: expected {kind:?}, decoded {v}"))
        }
    }
}

/// Every row decodes with the client's decoder and through
/// `azure_asm::server::roundtrip_response` (what the `responses` fuzz
/// target runs): both must agree, a decoded value must survive the round
/// trip, and nothing may panic.
#[test]
fn malformed_body_formats_table() {
    use asm_runtime::xml::RoundTripError;
    let rows = format_rows();
    let mut all_failures = Vec::new();
    for r in &rows {
        let mut failures = Vec::new();
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| r.op.decode(&r.input)));
        let Ok(outcome) = outcome else {
            all_failures.push(format!("{}: PANICKED", r.name));
            continue;
        };
        check_outcome(r.name, &r.expect, r.secrets, &outcome, &mut failures);
        let rt = std::panic::catch_unwind(AssertUnwindSafe(|| {
            azure_asm::server::roundtrip_response(r.op.name(), &r.input)
        }));
        match (rt, &outcome) {
            (Err(_), _) => failures.push(format!("{}: roundtrip_response PANICKED", r.name)),
            (Ok(None), _) => failures.push(format!("{}: no decoder for {}", r.name, r.op.name())),
            (Ok(Some(Ok(()))), Ok(_)) => {}
            (Ok(Some(Err(RoundTripError::Decode(e)))), Err(direct)) if e == *direct => {}
            (Ok(Some(other)), _) => failures.push(format!(
                "{}: roundtrip_response gave {other:?}, the decoder {outcome:?}",
                r.name
            )),
        }
        match (r.known_bug, failures.is_empty()) {
            (None, _) => all_failures.append(&mut failures),
            (Some(bug), false) => {
                asm_tests::report_line(&format!("known bug, not fatal: {} ({bug})", r.name))
            }
            (Some(_), true) => all_failures.push(format!(
                "{}: passes now; remove its known_bug marker",
                r.name
            )),
        }
    }
    let mut failures = all_failures;
    // Every body format of the spec has rows (XML through the first table too).
    for op in azure_asm::OPERATIONS {
        let Some(format) = op.response_format.filter(|f| *f != "bytes") else {
            continue;
        };
        let covered = rows.iter().any(|r| {
            azure_asm::OPERATIONS
                .iter()
                .any(|o| o.name == r.op.name() && o.response_format == Some(format))
        });
        if !covered {
            failures.push(format!("no row for the {format} body of {}", op.name));
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

/// The seeds of the fuzz targets stay valid: each response seed names the
/// operation its file is named after (`Operation\n` then the body, as
/// `azure_asm::server::select_response_input` reads it for
/// `fuzz/fuzz_targets/responses.rs`) and its body survives the round trip;
/// each route seed routes.
#[test]
fn fuzz_seeds_select_their_operation_and_decode() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/seeds");
    let mut failures = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("responses"))
        .expect("fuzz/seeds/responses")
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    for path in &files {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        // hand-<Operation>[-variant].<ext> or gen-<Operation>.<ext>
        let stem = file.split('.').next().unwrap_or_default();
        let named = stem.split('-').nth(1).unwrap_or_default();
        let data = std::fs::read(path).expect("seed");
        let Some((picked, body)) = azure_asm::server::select_response_input(&data) else {
            failures.push(format!("{file}: empty"));
            continue;
        };
        if picked != named || !data.starts_with(format!("{named}\n").as_bytes()) {
            failures.push(format!("{file}: picks {picked}, not {named} by name"));
            continue;
        }
        seen.insert(picked);
        match azure_asm::server::roundtrip_response(picked, body) {
            Some(Ok(())) => {}
            other => failures.push(format!("{file}: {other:?}")),
        }
    }
    for format in ["json", "atom", "atom-feed", "text"] {
        let has = azure_asm::OPERATIONS
            .iter()
            .any(|op| op.response_format == Some(format) && seen.contains(op.name));
        if !has {
            failures.push(format!("no response seed in the {format} format"));
        }
    }
    for scalar in ["GetDnsSuffix", "GetWebSiteInstanceIds"] {
        if !seen.contains(scalar) {
            failures.push(format!("no response seed for {scalar}"));
        }
    }

    const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];
    let mut routed = std::collections::BTreeSet::new();
    let mut files: Vec<_> = std::fs::read_dir(root.join("route"))
        .expect("fuzz/seeds/route")
        .map(|e| e.expect("dir entry").path())
        .collect();
    files.sort();
    for path in &files {
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let data = std::fs::read(path).expect("seed");
        let Some((&selector, rest)) = data.split_first() else {
            continue;
        };
        let Some(method) = METHODS.get(usize::from(selector)) else {
            continue;
        };
        let mut parts = rest.splitn(3, |&b| b == b'\n');
        let path_part = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let query = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
        let body = parts.next().unwrap_or_default();
        match azure_asm::server::route(method, &path_part, &query, body) {
            Ok(request) => {
                routed.insert(request.spec().name);
            }
            Err(e) => failures.push(format!("{file}: {method} {path_part} does not route: {e}")),
        }
    }
    for name in [
        "StartRole",
        "ShutdownRole",
        "RestartRole",
        "CreateNamespace",
        "SetNetworkConfiguration",
    ] {
        if !routed.contains(name) {
            failures.push(format!("no route seed for {name}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
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

/// A decode error of a 200 answer, of kind `want` (at `path`), whose text
/// shows none of `secrets`.
fn assert_decode_error(err: &Error, want: K, path: Option<&str>, secrets: &[&str]) {
    match err {
        Error::Decode { source, status, .. } => {
            assert!(want.matches(source.kind()), "expected {want:?}, got {err}");
            if let Some(p) = path {
                assert_eq!(source.path(), p, "{err}");
            }
            assert_eq!(*status, 200);
        }
        other => panic!("expected a {want:?} decode error, got {other:?}"),
    }
    let shown = format!("{err} {err:?}");
    for s in secrets {
        assert!(!shown.contains(s), "the error shows {s:?}: {shown}");
    }
}

#[tokio::test]
async fn malformed_body_formats_through_the_client() {
    let mock = MockServer::start().await;
    let atom = |body: String| {
        Reply::new(200, body).header("content-type", "application/atom+xml; charset=utf-8")
    };
    let json = |body: &str| Reply::new(200, body).header("content-type", "application/json");
    let truncated = entry(&sb_full());
    let truncated = truncated[..truncated.find("SharedSecretValue=").unwrap_or(0) + 30].to_owned();
    mock.push(atom(truncated));
    mock.push(atom(feed(&[
        feed_entry(&sb_full()),
        feed_entry(&sb_desc(&format!(
            "<Name>b</Name><DefaultKey>{SB_KEY}</DefaultKey>"
        ))),
    ])));
    mock.push(atom(
        availability("<Result>true</Result>").replace(ATOM_NS, "http://purl.org/atom/ns#"),
    ));
    mock.push(json(&alert_rules(
        r#"{"Name":"n","IsEnabled":"SECRET-yes"}"#,
    )));
    mock.push(json(r#"{"Value":[{"Name":"SECRET-trunc"#));
    mock.push(json(""));
    mock.push(Reply::new(
        200,
        format!(r#"<string xmlns="{SER_NS}">azure<b>websites</b>.net</string>"#),
    ));
    mock.push(Reply::new(
        200,
        format!(r#"<ArrayOfint xmlns="{ARRAYS_NS}"><int>1</int></ArrayOfint>"#),
    ));
    let doctype = netcfg(VNET).replace(
        "\r\n<Network",
        "\r\n<!DOCTYPE NetworkConfiguration [<!ENTITY x \"y\">]>\r\n<Network",
    );
    mock.push(Reply::new(200, doctype.clone()).header("content-type", "text/plain"));
    let c = client(&mock.endpoint, 1 << 20);
    let secrets = [SB_KEY, "SECRET"];

    let err = c.get_namespace("sbns").await.unwrap_err();
    assert_decode_error(&err, K::Truncated, None, &secrets);
    let err = c.list_namespaces().await.unwrap_err();
    assert_decode_error(
        &err,
        K::Missing("Region"),
        Some("/feed/entry[1]/content/NamespaceDescription"),
        &secrets,
    );
    let err = c.check_namespace_availability("sbns").await.unwrap_err();
    assert_decode_error(&err, K::Namespace, None, &secrets);
    let err = c.list_alert_rules().await.unwrap_err();
    assert_decode_error(&err, K::Syntax, None, &secrets);
    let err = c.list_alert_rules().await.unwrap_err();
    assert_decode_error(&err, K::Truncated, None, &secrets);
    let err = c.list_alert_rules().await.unwrap_err();
    assert_decode_error(&err, K::Empty, None, &secrets);
    let err = c.get_dns_suffix().await.unwrap_err();
    assert_decode_error(&err, K::UnexpectedElement, None, &secrets);
    let err = c.get_web_site_instance_ids("ws", "site").await.unwrap_err();
    assert_decode_error(&err, K::Root, None, &secrets);
    // A text body is kept as sent: the DOCTYPE shows when it is parsed.
    let doc = c.get_network_configuration().await.expect("the raw text");
    assert_eq!(doc.text(), doctype.trim_start_matches('\u{FEFF}'));
    let err = doc.parse().unwrap_err();
    assert!(K::DocType.matches(err.kind()), "{err}");
    assert_eq!(mock.captured().len(), 9);
}

/// A one-shot HTTP/1.1 server answering 200 with `body` (any bytes).
async fn raw_body_server(content_type: &'static str, body: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        let mut buf = [0u8; 4096];
        let mut req = Vec::new();
        while !req.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => req.extend_from_slice(&buf[..n]),
            }
        }
        let head = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        let _ = stream.write_all(head.as_bytes()).await;
        let _ = stream.write_all(&body).await;
        let _ = stream.shutdown().await;
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn network_configuration_that_is_not_utf8_through_the_client() {
    let mut body = netcfg(VNET).into_bytes();
    let at = body
        .windows(4)
        .position(|w| w == b"test")
        .expect("site name");
    body.splice(at..at, *b"caf\xe9-");
    let endpoint = raw_body_server("text/plain", body).await;
    let err = client(&endpoint, 1 << 20)
        .get_network_configuration()
        .await
        .unwrap_err();
    assert_decode_error(&err, K::Utf8, None, &[]);
}

/// Found by fuzzing the new tokenizer: `<?>` (a processing instruction
/// whose `?>` is its own opening `?`) panicked on a slice; it is an
/// unclosed processing instruction, in a response and in a request body.
#[test]
fn fuzz_regressions_of_the_tokenizer() {
    for body in [
        &b"<?>"[..],
        b"<?>\r\n<Locations/>",
        b"<Locations xmlns=\"http://schemas.microsoft.com/windowsazure\"><?></Locations>",
        b"<Locations><Location><Name>a<?></Name></Location></Locations>",
    ] {
        let r = azure_asm::server::roundtrip_response("ListLocations", body)
            .expect("ListLocations has a decoder");
        assert!(
            matches!(r, Err(asm_runtime::xml::RoundTripError::Decode(_))),
            "{r:?}"
        );
    }
    let request = b"<CreateStorageServiceInput xmlns=\"http://schemas.microsoft.com/windowsazure\">\r\n <?>\r\n</CreateStorageServiceInput>";
    let err = azure_asm::server::route(
        "POST",
        "/00000000-0000-0000-0000-000000000000/services/storageservices",
        "",
        request,
    )
    .unwrap_err();
    assert!(
        matches!(err, asm_runtime::routing::RouteError::BadRequest(_)),
        "{err:?}"
    );
    // A well-formed processing instruction is still skipped.
    let ok = azure_asm::server::roundtrip_response(
        "ListLocations",
        b"<?xml version=\"1.0\"?><?pi x?><Locations xmlns=\"http://schemas.microsoft.com/windowsazure\"/>",
    );
    assert!(matches!(ok, Some(Ok(()))), "{ok:?}");
}

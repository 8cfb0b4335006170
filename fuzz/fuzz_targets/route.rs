//! The emulator's request decoding: `azure_asm::server::route` on an
//! arbitrary method, path, query and body. It must answer `Ok` or a
//! `RouteError`, never panic.
//!
//! Input layout: byte 0 picks the method (one of the six the spec uses, or,
//! for values past them, the bytes up to the first `\n` as the method);
//! then `path \n query \n body`, the body running to the end of the input
//! (it may hold newlines: a network configuration text body is CRLF text).
//! Seeds in `fuzz/seeds/route` follow it.
#![no_main]

use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let custom;
    let (method, rest) = match METHODS.get(usize::from(selector)) {
        Some(m) => (*m, rest),
        None => {
            let mut split = rest.splitn(2, |&b| b == b'\n');
            custom = String::from_utf8_lossy(split.next().unwrap_or_default()).into_owned();
            (custom.as_str(), split.next().unwrap_or_default())
        }
    };
    let mut parts = rest.splitn(3, |&b| b == b'\n');
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();
    if let Ok(request) = azure_asm::server::route(method, &path, &query, body) {
        // Whatever was decoded must be printable (Debug redacts secrets).
        let _ = format!("{request:?}");
    }
});

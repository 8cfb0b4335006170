//! The emulator's request decoding: `azure_asm::server::route` on an
//! arbitrary method, path, query and body. It must answer `Ok` or a
//! `RouteError`, never panic.
//!
//! Input layout: byte 0 picks the method (one of the six the spec uses, or,
//! for values past them, the bytes up to the first `\n` as the method);
//! then `path \n query \n body`. Seeds in `fuzz/seeds/route` follow it.
#![no_main]

use libfuzzer_sys::fuzz_target;

const METHODS: [&str; 6] = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let mut parts = rest.splitn(4, |&b| b == b'\n');
    let custom;
    let method = match METHODS.get(usize::from(selector)) {
        Some(m) => *m,
        None => {
            custom = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
            custom.as_str()
        }
    };
    let path = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let query = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let body = parts.next().unwrap_or_default();
    if let Ok(request) = azure_asm::server::route(method, &path, &query, body) {
        // Whatever was decoded must be printable (Debug redacts secrets).
        let _ = format!("{request:?}");
    }
});

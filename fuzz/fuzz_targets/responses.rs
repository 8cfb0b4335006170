//! Every response decoder of the spec on arbitrary bytes.
//!
//! The input names the operation (`OperationName\n` then the body; the
//! seeds in `fuzz/seeds/responses` are written so, which stays valid when
//! the spec grows) or, for any other input, its first byte picks one of the
//! operations with a decodable response body
//! (`azure_asm::server::select_response_input`).
//! That covers every body format: XML documents (scalar roots such as
//! `<string>` and `ArrayOfstring` included), Atom entries and feeds, JSON,
//! and raw text with a schema. Decoding may fail, but must never panic;
//! and when the first decode succeeds, encoding the value and decoding it
//! again must give the same value
//! (`azure_asm::server::roundtrip_response`) — a failure there is a bug in
//! the generator or the runtime, reported as a crash.
#![no_main]

use asm_runtime::xml::RoundTripError;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((name, body)) = azure_asm::server::select_response_input(data) else {
        return;
    };
    match azure_asm::server::roundtrip_response(name, body) {
        None => panic!("{name} has a response body but no decoder"),
        Some(Ok(())) | Some(Err(RoundTripError::Decode(_))) => {}
        Some(Err(e @ RoundTripError::Reencode(_))) => {
            panic!("{name}: a decoded value does not survive encoding: {e}")
        }
        Some(Err(RoundTripError::Mismatch { first, second })) => {
            panic!("{name}: decode(encode(v)) != v\nfirst: {first}\nsecond: {second}")
        }
    }
});

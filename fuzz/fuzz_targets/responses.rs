//! Every response decoder of the spec on arbitrary bytes.
//!
//! The first byte picks one of the operations that have a response body
//! (`azure_asm::OPERATIONS` filtered on `response_format`, raw `bytes`
//! bodies left out as there is nothing to decode, in that order: the index
//! shifts when the spec gains operations, so the seeds in
//! `fuzz/seeds/responses` are named after theirs); the rest is the body.
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
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let ops: Vec<&'static str> = azure_asm::OPERATIONS
        .iter()
        .filter(|op| matches!(op.response_format, Some(f) if f != "bytes"))
        .map(|op| op.name)
        .collect();
    let name = ops[usize::from(selector) % ops.len()];
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

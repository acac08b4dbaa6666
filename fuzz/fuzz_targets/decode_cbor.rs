//! Smithy RPC v2 CBOR request bodies, decoded as several operations' inputs and validated.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((selector, body)) = data.split_first() {
        kiln_fuzz::decode_any(kiln_wire::Protocol::RpcV2Cbor, *selector, body);
    }
});

//! AWS JSON 1.1 request bodies, decoded as several operations' inputs and validated.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Some((selector, body)) = data.split_first() {
        kiln_fuzz::decode_any(kiln_wire::Protocol::AwsJson11, *selector, body);
    }
});

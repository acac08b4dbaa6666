//! EventBridge patterns: parsing, and matching a parsed pattern against an event.
//! Input: the pattern, a NUL byte, then the event (both JSON text).
#![no_main]

use kiln_triggers::pattern::Pattern;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (pattern, event) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let Ok(pattern) = std::str::from_utf8(pattern) else { return };
    let Ok(pattern) = Pattern::parse(pattern) else { return };
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(event) {
        let _ = pattern.matches(&event);
    }
});

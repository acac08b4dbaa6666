//! The buildspec parser on arbitrary text (YAML syntax, structure and every key's checks).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(spec) = kiln_buildspec::parse(text)
    {
        let _ = kiln_buildspec::format_warnings(&spec.warnings);
    }
});

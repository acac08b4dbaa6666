//! Shared helpers for the fuzz targets: decoding one request body into several operations'
//! input types, so the JSON and CBOR targets cover the same shapes.

use kiln_model::codebuild::{BatchGetBuildsInput, CreateProjectInput, CreateWebhookInput, StartBuildInput};
use kiln_model::logs::GetLogEventsRequest;
use kiln_wire::{Protocol, decode};

/// Decodes `body` as the input of the operation `selector` picks, then validates it as the
/// server would; only panics matter, so results are dropped.
pub fn decode_any(protocol: Protocol, selector: u8, body: &[u8]) {
    match selector % 5 {
        0 => validate(decode::<StartBuildInput>(protocol, body)),
        1 => validate(decode::<CreateProjectInput>(protocol, body)),
        2 => validate(decode::<BatchGetBuildsInput>(protocol, body)),
        3 => validate(decode::<CreateWebhookInput>(protocol, body)),
        _ => validate(decode::<GetLogEventsRequest>(protocol, body)),
    }
}

fn validate<T: kiln_model::Validate>(decoded: Result<T, kiln_wire::WireError>) {
    if let Ok(input) = decoded {
        let _ = kiln_model::validate(&input);
    }
}

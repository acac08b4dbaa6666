//! The wire layer: what an AWS request looks like on HTTP, and nothing about builds.
//!
//! It recognises the two protocols CodeBuild's model lists — AWS JSON 1.1 (`POST /` with
//! `X-Amz-Target: CodeBuild_20161006.<Op>`) and Smithy RPC v2 CBOR
//! (`POST /service/CodeBuild_20161006/operation/<Op>`) — decodes request bodies into the typed
//! inputs of `kiln-model`, encodes outputs and errors, and verifies SigV4 signatures (`sigv4`).

pub mod protocol;
pub mod sigv4;
pub mod transcode;

pub use protocol::{Call, Protocol, WireError, decode, encode, encode_error, route};
pub use sigv4::{civil_from_days, days_from_civil};

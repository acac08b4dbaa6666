//! S3's flexible checksums (`x-amz-checksum-<algorithm>`, base64 of the big-endian digest)
//! and Content-MD5. CRC32, CRC32C and SHA-256 are verified; SHA-1 and CRC64NVME are accepted
//! unverified (no client Kiln knows of sends them by default).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::Md5;
use sha2::{Digest, Sha256};

use crate::error::S3Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Crc32,
    Crc32c,
    Sha1,
    Sha256,
    Crc64Nvme,
}

impl Algorithm {
    pub const ALL: [Algorithm; 5] =
        [Algorithm::Crc32, Algorithm::Crc32c, Algorithm::Sha1, Algorithm::Sha256, Algorithm::Crc64Nvme];

    /// The header (and trailer) that carries it.
    pub fn header(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "x-amz-checksum-crc32",
            Algorithm::Crc32c => "x-amz-checksum-crc32c",
            Algorithm::Sha1 => "x-amz-checksum-sha1",
            Algorithm::Sha256 => "x-amz-checksum-sha256",
            Algorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Crc32 => "CRC32",
            Algorithm::Crc32c => "CRC32C",
            Algorithm::Sha1 => "SHA1",
            Algorithm::Sha256 => "SHA256",
            Algorithm::Crc64Nvme => "CRC64NVME",
        }
    }

    pub fn from_header(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.header().eq_ignore_ascii_case(name))
    }
}

/// A running digest for one algorithm (`None` for those not verified).
pub enum Hasher {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Sha256(Box<Sha256>),
    Unverified,
}

impl Hasher {
    pub fn new(algorithm: Algorithm) -> Hasher {
        match algorithm {
            Algorithm::Crc32 => Hasher::Crc32(crc32fast::Hasher::new()),
            Algorithm::Crc32c => Hasher::Crc32c(!0),
            Algorithm::Sha256 => Hasher::Sha256(Box::default()),
            Algorithm::Sha1 | Algorithm::Crc64Nvme => Hasher::Unverified,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Crc32(h) => h.update(data),
            Hasher::Crc32c(state) => *state = crc32c_update(*state, data),
            Hasher::Sha256(h) => h.update(data),
            Hasher::Unverified => {}
        }
    }

    /// The base64 digest, or `None` when this algorithm is not verified.
    pub fn finish(self) -> Option<String> {
        let bytes = match self {
            Hasher::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            Hasher::Crc32c(state) => (!state).to_be_bytes().to_vec(),
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Unverified => return None,
        };
        Some(STANDARD.encode(bytes))
    }
}

/// The Castagnoli polynomial, reflected.
const CRC32C_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u32;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x82F6_3B78 } else { crc >> 1 };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

fn crc32c_update(mut state: u32, data: &[u8]) -> u32 {
    for &byte in data {
        state = CRC32C_TABLE[usize::from((state as u8) ^ byte)] ^ (state >> 8);
    }
    state
}

/// A Content-MD5 header: base64 of 16 bytes, else S3's InvalidDigest.
pub fn parse_content_md5(value: &str) -> Result<[u8; 16], S3Error> {
    STANDARD
        .decode(value.trim())
        .ok()
        .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
        .ok_or_else(|| S3Error::new(400, "InvalidDigest", "The Content-MD5 you specified was invalid."))
}

pub fn md5() -> Md5 {
    Md5::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(algorithm: Algorithm, data: &[u8]) -> Option<String> {
        let mut h = Hasher::new(algorithm);
        h.update(&data[..data.len() / 2]);
        h.update(&data[data.len() / 2..]);
        h.finish()
    }

    #[test]
    fn digests_match_what_botocore_sends() {
        // botocore 1.43 sent x-amz-checksum-crc32: DUoRhQ== for b"hello world".
        assert_eq!(digest(Algorithm::Crc32, b"hello world").as_deref(), Some("DUoRhQ=="));
        // CRC32C check value of "123456789" is 0xE3069283.
        assert_eq!(digest(Algorithm::Crc32c, b"123456789").as_deref(), Some("4waSgw=="));
        assert_eq!(digest(Algorithm::Sha256, b"").as_deref(), Some("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="));
        assert_eq!(digest(Algorithm::Sha1, b"x"), None);
    }

    #[test]
    fn content_md5_must_be_16_bytes_of_base64() {
        assert_eq!(
            parse_content_md5("XrY7u+Ae7tCTyyK7j1rNww==").map(hex::encode).as_deref(),
            Ok("5eb63bbbe01eeed093cb22bb8f5acdc3")
        );
        assert_eq!(parse_content_md5("not base64").map_err(|e| e.code), Err("InvalidDigest"));
        assert_eq!(parse_content_md5("AAAA").map_err(|e| e.code), Err("InvalidDigest"));
    }

    #[test]
    fn algorithms_are_found_by_header() {
        assert_eq!(Algorithm::from_header("X-Amz-Checksum-CRC32"), Some(Algorithm::Crc32));
        assert_eq!(Algorithm::from_header("x-amz-checksum-crc32c"), Some(Algorithm::Crc32c));
        assert_eq!(Algorithm::from_header("x-amz-checksum-md5"), None);
    }
}

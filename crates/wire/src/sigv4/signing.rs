//! Steps 2–4 of SigV4: string to sign, signing key, signature; and the constant-time check.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// The only algorithm SigV4 (as opposed to SigV4a) defines.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// The credential scope's last element.
pub const TERMINATOR: &str = "aws4_request";

/// The payload hash a signer sends when it does not sign the body.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// Lower-case hex SHA-256, the form of payload hashes.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// `ALGORITHM \n amz_date \n scope \n hex(sha256(canonical_request))`.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", sha256_hex(canonical_request))
}

fn mac(key: &[u8]) -> HmacSha256 {
    // HMAC (RFC 2104) hashes or pads keys of any length; `InvalidLength` cannot occur.
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = mac(key);
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// `kSigning = HMAC(HMAC(HMAC(HMAC("AWS4" + secret, date), region), service), "aws4_request")`.
pub fn signing_key(secret_access_key: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k_secret = format!("AWS4{secret_access_key}");
    let k_date = hmac(k_secret.as_bytes(), date.as_bytes());
    let k_region = hmac(&k_date, region.as_bytes());
    let k_service = hmac(&k_region, service.as_bytes());
    hmac(&k_service, TERMINATOR.as_bytes())
}

/// Lower-case hex `HMAC(signing_key, string_to_sign)`.
pub fn signature(signing_key: &[u8; 32], string_to_sign: &str) -> String {
    hex::encode(hmac(signing_key, string_to_sign.as_bytes()))
}

/// Whether `provided` (hex, either case) is the signature of `string_to_sign`, compared in
/// constant time by `Mac::verify_slice`.
pub(crate) fn signature_matches(signing_key: &[u8; 32], string_to_sign: &str, provided: &str) -> bool {
    let Ok(provided) = hex::decode(provided) else {
        return false;
    };
    let mut mac = mac(signing_key);
    mac.update(string_to_sign.as_bytes());
    mac.verify_slice(&provided).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn signing_keys_match_the_aws_documentation_examples() {
        // "Examples of how to derive a signing key for Signature Version 4" (AWS General Reference).
        assert_eq!(
            hex::encode(signing_key(SECRET, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
        // "Calculate the signature for AWS Signature Version 4" (20150830/us-east-1/iam).
        assert_eq!(
            hex::encode(signing_key(SECRET, "20150830", "us-east-1", "iam")),
            "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
        );
    }

    #[test]
    fn verification_accepts_either_hex_case_and_rejects_anything_else() {
        let key = signing_key(SECRET, "20150830", "us-east-1", "service");
        let sts = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63";
        let good = signature(&key, sts);
        assert_eq!(good, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
        assert!(signature_matches(&key, sts, &good));
        assert!(signature_matches(&key, sts, &good.to_uppercase()));
        assert!(!signature_matches(&key, sts, &good[..62]));
        assert!(!signature_matches(&key, sts, "zz"));
        assert!(!signature_matches(&key, sts, ""));
        let mut flipped = good.into_bytes();
        flipped[0] = if flipped[0] == b'5' { b'6' } else { b'5' };
        let flipped = String::from_utf8(flipped).expect("hex is ascii");
        assert!(!signature_matches(&key, sts, &flipped));
    }

    #[test]
    fn empty_body_hash_is_the_well_known_constant() {
        assert_eq!(sha256_hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    }
}

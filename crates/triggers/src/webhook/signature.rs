//! Is a delivery from the provider? GitHub and Bitbucket sign the body with HMAC-SHA256 of
//! the webhook secret; GitLab sends the secret itself. Every comparison takes the same time
//! whatever the input, so a caller cannot learn the secret byte by byte.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::Headers;
use super::event::Provider;

/// Why a delivery was not trusted. The message names the header, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("the {0} header is missing: the delivery is not signed with the webhook's secret")]
    Missing(&'static str),
    #[error("the {0} header is not of the form sha256=<hex digest>")]
    Malformed(&'static str),
    #[error("the {0} header does not match the webhook's secret")]
    Mismatch(&'static str),
}

/// Checks a delivery against the webhook's secret. Without a secret (Bitbucket, whose
/// CodeBuild webhooks have none) only the payload URL's token vouches for it.
pub fn verify(provider: Provider, secret: Option<&[u8]>, headers: &Headers, body: &[u8]) -> Result<(), SignatureError> {
    let Some(secret) = secret else {
        return Ok(());
    };
    match provider {
        Provider::GitHub | Provider::GitHubEnterprise => verify_hmac("X-Hub-Signature-256", secret, headers, body),
        Provider::Bitbucket => verify_hmac("X-Hub-Signature", secret, headers, body),
        Provider::GitLab | Provider::GitLabSelfManaged => {
            let header = "X-Gitlab-Token";
            let token = headers.get(header).ok_or(SignatureError::Missing(header))?;
            if constant_time_eq(token.as_bytes(), secret) { Ok(()) } else { Err(SignatureError::Mismatch(header)) }
        }
    }
}

/// `sha256=<hex HMAC-SHA256 of the body>`, as GitHub and Bitbucket send it.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    digest(secret, body).map(|d| format!("sha256={}", hex::encode(d))).unwrap_or_default()
}

fn verify_hmac(header: &'static str, secret: &[u8], headers: &Headers, body: &[u8]) -> Result<(), SignatureError> {
    let value = headers.get(header).ok_or(SignatureError::Missing(header))?;
    let sent =
        value.strip_prefix("sha256=").and_then(|h| hex::decode(h).ok()).ok_or(SignatureError::Malformed(header))?;
    match digest(secret, body) {
        Some(expected) if constant_time_eq(&sent, &expected) => Ok(()),
        _ => Err(SignatureError::Mismatch(header)),
    }
}

/// HMAC-SHA256; `None` only if the HMAC refused the key, which it never does for any length.
fn digest(secret: &[u8], body: &[u8]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).ok()?;
    mac.update(body);
    Some(mac.finalize().into_bytes().to_vec())
}

/// Equality whose time depends only on the lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"It's a Secret to Everybody";
    const BODY: &[u8] = b"Hello, World!";

    #[test]
    fn github_documents_this_signature() {
        // The example of GitHub's "Validating webhook deliveries" page.
        assert_eq!(sign(SECRET, BODY), "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    }

    fn github(headers: &[(&str, &str)]) -> Result<(), SignatureError> {
        verify(Provider::GitHub, Some(SECRET), &Headers::new(headers.iter().copied()), BODY)
    }

    #[test]
    fn github_signatures_are_checked() {
        let good = sign(SECRET, BODY);
        assert_eq!(github(&[("X-Hub-Signature-256", &good)]), Ok(()));
        assert_eq!(github(&[]), Err(SignatureError::Missing("X-Hub-Signature-256")));
        assert_eq!(github(&[("X-Hub-Signature-256", "md5=00")]), Err(SignatureError::Malformed("X-Hub-Signature-256")));
        assert_eq!(
            github(&[("X-Hub-Signature-256", "sha256=zz")]),
            Err(SignatureError::Malformed("X-Hub-Signature-256"))
        );
        let other = sign(b"another secret", BODY);
        assert_eq!(github(&[("X-Hub-Signature-256", &other)]), Err(SignatureError::Mismatch("X-Hub-Signature-256")));
        // The legacy SHA-1 header alone is not enough.
        assert_eq!(github(&[("X-Hub-Signature", &good)]), Err(SignatureError::Missing("X-Hub-Signature-256")));
    }

    #[test]
    fn a_changed_body_fails() {
        let good = sign(SECRET, BODY);
        let headers = Headers::new([("X-Hub-Signature-256", good.as_str())]);
        assert_eq!(
            verify(Provider::GitHubEnterprise, Some(SECRET), &headers, b"Hello, World?"),
            Err(SignatureError::Mismatch("X-Hub-Signature-256"))
        );
    }

    #[test]
    fn gitlab_sends_the_token_itself() {
        let check = |token: Option<&str>| {
            let headers = Headers::new(token.map(|t| ("X-Gitlab-Token", t)));
            verify(Provider::GitLab, Some(SECRET), &headers, BODY)
        };
        assert_eq!(check(Some("It's a Secret to Everybody")), Ok(()));
        assert_eq!(check(Some("It's a Secret to Everybod")), Err(SignatureError::Mismatch("X-Gitlab-Token")));
        assert_eq!(check(None), Err(SignatureError::Missing("X-Gitlab-Token")));
    }

    #[test]
    fn bitbucket_signs_when_a_secret_is_set_and_is_trusted_by_token_otherwise() {
        let good = sign(SECRET, BODY);
        let signed = Headers::new([("X-Hub-Signature", good.as_str())]);
        assert_eq!(verify(Provider::Bitbucket, Some(SECRET), &signed, BODY), Ok(()));
        assert_eq!(
            verify(Provider::Bitbucket, Some(SECRET), &Headers::default(), BODY),
            Err(SignatureError::Missing("X-Hub-Signature"))
        );
        assert_eq!(verify(Provider::Bitbucket, None, &Headers::default(), BODY), Ok(()));
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}

//! Why a request failed authentication, in the codes and words AWS JSON services use.

/// `message` for a signature that does not match (AWS's wording, e.g. CloudWatch Logs in
/// vectordotdev/vector#16629 and DynamoDB as recorded by dynalite).
pub const SIGNATURE_MISMATCH: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// An authentication failure. `Display` is the `message` AWS would send.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization` header (or one that is not `AWS4-…`) and no presigned query.
    /// DynamoDB's wording (dynalite's recorded responses; aws-dynamodb-session-tomcat#42);
    /// "Missing Authentication Token" alone is API Gateway's.
    #[error("Request is missing Authentication Token")]
    MissingAuthenticationToken,
    /// The signature parameters are malformed or incomplete.
    #[error("{0}")]
    IncompleteSignature(String),
    /// The access key id is not one of the configured keys.
    #[error("The security token included in the request is invalid.")]
    UnrecognizedClient,
    /// The signature does not match, has expired, or its scope or signed headers are wrong.
    #[error("{0}")]
    InvalidSignature(String),
}

impl AuthError {
    /// A signature that does not match what the server computed.
    pub fn signature_mismatch() -> AuthError {
        AuthError::InvalidSignature(SIGNATURE_MISMATCH.to_owned())
    }

    /// The `__type` of the JSON error body.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            AuthError::IncompleteSignature(_) => "IncompleteSignatureException",
            AuthError::UnrecognizedClient => "UnrecognizedClientException",
            AuthError::InvalidSignature(_) => "InvalidSignatureException",
        }
    }

    /// The HTTP status. AWS JSON (Coral) services answer every one of these with 400, not 403:
    /// MissingAuthenticationTokenException "Status Code: 400" (aws-dynamodb-session-tomcat#42,
    /// dynalite#105), InvalidSignatureException `status: 400` with
    /// `application/x-amz-json-1.1` from CloudWatch Logs (vectordotdev/vector#16629),
    /// UnrecognizedClientException "400 Bad Request" (aws-sdk-php#1114, ECR), and dynalite
    /// answers IncompleteSignatureException with 400. REST services (S3, Lambda) use 403.
    pub fn status(&self) -> u16 {
        400
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_messages_are_aws_s() {
        let missing = AuthError::MissingAuthenticationToken;
        assert_eq!(missing.code(), "MissingAuthenticationTokenException");
        assert_eq!(missing.to_string(), "Request is missing Authentication Token");
        let unknown = AuthError::UnrecognizedClient;
        assert_eq!(unknown.code(), "UnrecognizedClientException");
        assert_eq!(unknown.to_string(), "The security token included in the request is invalid.");
        let mismatch = AuthError::signature_mismatch();
        assert_eq!(mismatch.code(), "InvalidSignatureException");
        assert!(mismatch.to_string().starts_with("The request signature we calculated"));
        let incomplete = AuthError::IncompleteSignature("x".into());
        assert_eq!(incomplete.code(), "IncompleteSignatureException");
        assert_eq!(incomplete.to_string(), "x");
        for e in [missing, unknown, mismatch, incomplete] {
            assert_eq!(e.status(), 400);
        }
    }
}

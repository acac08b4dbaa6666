//! The CodeBuild client: the AWS SDK's standard settings (region, credentials, and the endpoint,
//! including AWS_ENDPOINT_URL_CODEBUILD), with Kiln's own keys when the function is given them.

use aws_config::SdkConfig;
use aws_sdk_codebuild::config::Credentials;

use crate::config::ConfigError;

/// Keys for a Kiln that checks signatures. Lambda reserves AWS_ACCESS_KEY_ID and
/// AWS_SECRET_ACCESS_KEY for the function role's keys, which Kiln does not know.
pub const ACCESS_KEY_ID: &str = "KILN_ACCESS_KEY_ID";
pub const SECRET_ACCESS_KEY: &str = "KILN_SECRET_ACCESS_KEY";

/// The client's configuration from the SDK's, with Kiln's keys if `get` has both.
pub fn codebuild_config(
    sdk: &SdkConfig,
    get: impl Fn(&str) -> Option<String>,
) -> Result<aws_sdk_codebuild::Config, ConfigError> {
    let mut config = aws_sdk_codebuild::config::Builder::from(sdk);
    let non_empty = |name| get(name).filter(|v| !v.trim().is_empty());
    match (non_empty(ACCESS_KEY_ID), non_empty(SECRET_ACCESS_KEY)) {
        (Some(id), Some(secret)) => {
            config = config.credentials_provider(Credentials::new(id, secret, None, None, "kiln-keys"));
        }
        (None, None) => {}
        (Some(_), None) => return Err(missing(SECRET_ACCESS_KEY)),
        (None, Some(_)) => return Err(missing(ACCESS_KEY_ID)),
    }
    Ok(config.build())
}

fn missing(variable: &'static str) -> ConfigError {
    ConfigError { variable, message: format!("set both {ACCESS_KEY_ID} and {SECRET_ACCESS_KEY}, or neither") }
}

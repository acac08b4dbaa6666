//! Who the CLI signs as: the AWS credential chain (environment, then the shared config and
//! credentials files with their profiles, role assumption and web identity), then Kiln's own
//! KILN_ACCESS_KEY_ID / KILN_SECRET_ACCESS_KEY. The instance-metadata and container providers
//! are left out on purpose: Kiln is self-hosted, and probing 169.254.169.254 would add seconds to
//! every command on a machine that has no credentials (an unsecured local server).

use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
use aws_config::meta::credentials::CredentialsProviderChain;
use aws_config::meta::region::ProvideRegion as _;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials as _;
use aws_credential_types::provider::error::CredentialsError;

/// The region requests are signed for when none is configured anywhere.
pub const DEFAULT_REGION: &str = "us-east-1";

#[derive(Debug, Clone)]
pub struct Identity {
    pub region: String,
    /// None: requests go unsigned (a server without credentials accepts them).
    pub credentials: Option<Credentials>,
}

/// Resolves the region (`--region`, then AWS_REGION / AWS_DEFAULT_REGION, then the profile)
/// and the credentials.
pub fn resolve(region_flag: Option<&str>) -> anyhow::Result<Identity> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    Ok(runtime.block_on(async {
        let region = match region_flag {
            Some(r) => r.to_string(),
            None => region_from_chain().await.unwrap_or_else(|| DEFAULT_REGION.to_string()),
        };
        Identity { region, credentials: credentials_from_chain().await.or_else(kiln_keys) }
    }))
}

async fn region_from_chain() -> Option<String> {
    if let Some(r) = EnvironmentVariableRegionProvider::new().region().await {
        return Some(r.to_string());
    }
    ProfileFileRegionProvider::builder().build().region().await.map(|r| r.to_string())
}

async fn credentials_from_chain() -> Option<Credentials> {
    let chain = CredentialsProviderChain::first_try("Environment", EnvironmentVariableCredentialsProvider::new())
        .or_else("Profile", ProfileFileCredentialsProvider::builder().build());
    match chain.provide_credentials().await {
        Ok(credentials) => Some(credentials),
        // No credentials anywhere is normal: an unsecured server takes unsigned requests.
        Err(CredentialsError::CredentialsNotLoaded(_)) => None,
        Err(e) => {
            eprintln!("kiln: warning: no AWS credentials, the request goes unsigned: {}", chain_of(&e));
            None
        }
    }
}

/// The keys a Kiln server itself is configured with, for commands run next to it.
fn kiln_keys() -> Option<Credentials> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let (id, secret) = (var("KILN_ACCESS_KEY_ID")?, var("KILN_SECRET_ACCESS_KEY")?);
    Some(Credentials::new(id, secret, None, None, "kiln-environment"))
}

/// An error and its sources, as `a: b: c` (the provider errors' own text is terse).
fn chain_of(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(&format!(": {e}"));
        source = e.source();
    }
    text
}

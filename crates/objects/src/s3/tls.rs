//! TLS for https endpoints: rustls with the aws-lc-rs provider, trusting the system's root
//! certificates (`SSL_CERT_FILE` / `SSL_CERT_DIR` point elsewhere, e.g. at a private CA).

use ureq::config::ConfigBuilder;
use ureq::typestate::AgentScope;

use super::endpoint::Endpoint;
use crate::{ObjectError, Result};

#[cfg(feature = "https")]
pub fn configure(builder: ConfigBuilder<AgentScope>, endpoint: &Endpoint) -> Result<ConfigBuilder<AgentScope>> {
    use std::sync::Arc;
    use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};

    let found = rustls_native_certs::load_native_certs();
    let roots: Vec<Certificate<'static>> =
        found.certs.iter().map(|cert| Certificate::from_der(cert.as_ref()).to_owned()).collect();
    if roots.is_empty() {
        let errors: Vec<String> = found.errors.iter().map(ToString::to_string).collect();
        return Err(ObjectError::Io(format!(
            "no trusted root certificates to check {} with (set SSL_CERT_FILE to a PEM bundle){}",
            endpoint.url(),
            if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) }
        )));
    }
    let tls = TlsConfig::builder()
        .provider(TlsProvider::Rustls)
        .root_certs(RootCerts::Specific(Arc::new(roots)))
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .build();
    Ok(builder.tls_config(tls))
}

#[cfg(not(feature = "https"))]
pub fn configure(_builder: ConfigBuilder<AgentScope>, endpoint: &Endpoint) -> Result<ConfigBuilder<AgentScope>> {
    Err(ObjectError::InvalidArgument(format!(
        "{} is an https endpoint, and this build of kiln-objects has no TLS (its `https` feature is off)",
        endpoint.url()
    )))
}

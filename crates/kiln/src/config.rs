//! Settings that come from the environment and files rather than flags.

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use kiln_wire::sigv4::Credentials;

pub fn default_data_dir() -> PathBuf {
    if let Some(xdg) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(xdg).join("kiln");
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => PathBuf::from(home).join(".local/share/kiln"),
        None => PathBuf::from("kiln-data"),
    }
}

/// The keys requests must be signed with: from KILN_ACCESS_KEY_ID / KILN_SECRET_ACCESS_KEY,
/// and from a credentials file. Empty means "accept any signer".
pub fn load_credentials(file: Option<&Path>) -> anyhow::Result<Vec<Credentials>> {
    let mut keys = Vec::new();
    let id = std::env::var("KILN_ACCESS_KEY_ID").ok().filter(|v| !v.is_empty());
    let secret = std::env::var("KILN_SECRET_ACCESS_KEY").ok().filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(access_key_id), Some(secret_access_key)) => keys.push(Credentials { access_key_id, secret_access_key }),
        (None, None) => {}
        _ => anyhow::bail!("set both KILN_ACCESS_KEY_ID and KILN_SECRET_ACCESS_KEY, or neither"),
    }
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        keys.extend(parse_credentials_file(&text).with_context(|| format!("in {}", file.display()))?);
    }
    Ok(keys)
}

/// Parses an AWS shared-credentials style file: every section with both keys counts.
fn parse_credentials_file(text: &str) -> anyhow::Result<Vec<Credentials>> {
    let mut keys = Vec::new();
    let mut section = String::new();
    let (mut id, mut secret) = (None::<String>, None::<String>);
    let mut close = |section: &str, id: &mut Option<String>, secret: &mut Option<String>| -> anyhow::Result<()> {
        match (id.take(), secret.take()) {
            (Some(access_key_id), Some(secret_access_key)) => {
                keys.push(Credentials { access_key_id, secret_access_key });
                Ok(())
            }
            (None, None) => Ok(()),
            _ => anyhow::bail!("section [{section}] needs both aws_access_key_id and aws_secret_access_key"),
        }
    };
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            close(&section, &mut id, &mut secret)?;
            section = name.trim().to_string();
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            anyhow::bail!("line {}: expected `key = value`", n + 1);
        };
        match key.trim() {
            "aws_access_key_id" => id = Some(value.trim().to_string()),
            "aws_secret_access_key" => secret = Some(value.trim().to_string()),
            _ => {}
        }
    }
    close(&section, &mut id, &mut secret)?;
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_file() {
        let keys =
            parse_credentials_file("[default]\naws_access_key_id = AK\naws_secret_access_key = SK\n\n[b]\n").unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].access_key_id, "AK");
        assert_eq!(keys[0].secret_access_key, "SK");
        assert!(parse_credentials_file("[a]\naws_access_key_id = AK\n").is_err());
        assert!(parse_credentials_file("garbage").is_err());
    }
}

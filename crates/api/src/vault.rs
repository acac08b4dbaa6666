//! Encryption at rest for SecureString parameters and secret values: XChaCha20-Poly1305 under
//! one 256-bit key kept in `<data_dir>/secrets.key` (hex, mode 0600, created on first start).
//!
//! A sealed value is `FORMAT || 24-byte random nonce || ciphertext and tag`. Random 24-byte
//! nonces never repeat in practice, so no counter has to survive restarts. The associated data
//! names what the value belongs to (`parameter:<name>`, `secret:<arn>:<version id>`), so a
//! sealed value copied onto another parameter or secret does not open.

use std::fmt;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::Path;

use chacha20poly1305::aead::{Aead as _, Generate as _, Payload};
use chacha20poly1305::{KeyInit as _, XChaCha20Poly1305, XNonce};

/// The first byte of every sealed value, so the format can change later.
const FORMAT: u8 = 1;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VaultError {
    /// The key file cannot be read, written or trusted.
    #[error("secrets key {path}: {why}")]
    Key { path: String, why: String },
    /// The value was sealed with another key, or changed since.
    #[error("a stored secret does not decrypt with this data dir's secrets.key (wrong key or damaged data)")]
    Open,
    #[error("cannot encrypt a secret: {0}")]
    Seal(String),
}

/// The key and the cipher; cheap to share behind an `Arc`.
pub struct Vault {
    cipher: XChaCha20Poly1305,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the key.
        f.write_str("Vault(..)")
    }
}

impl Vault {
    pub fn from_key(key: &[u8; KEY_LEN]) -> Self {
        Vault { cipher: XChaCha20Poly1305::new(key.into()) }
    }

    /// A vault with a fresh random key that lives only in memory (tests).
    pub fn ephemeral() -> Result<Self, VaultError> {
        let key = <[u8; KEY_LEN]>::try_generate().map_err(|e| VaultError::Seal(e.to_string()))?;
        Ok(Vault::from_key(&key))
    }

    /// Reads the key at `path`, creating it (mode 0600) when there is none. Refuses a key file
    /// that other users can read, or that is not a key.
    pub fn load_or_create(path: &Path) -> Result<Self, VaultError> {
        let fail = |why: String| VaultError::Key { path: path.display().to_string(), why };
        match std::fs::metadata(path) {
            Ok(meta) => {
                if meta.permissions().mode() & 0o077 != 0 {
                    return Err(fail(format!(
                        "is readable by other users (mode {:o}); run chmod 600 on it",
                        meta.permissions().mode() & 0o777
                    )));
                }
                let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
                let key = decode_key(text.trim()).ok_or_else(|| fail(format!("is not {} hex digits", KEY_LEN * 2)))?;
                Ok(Vault::from_key(&key))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_key(path).map_err(fail),
            Err(e) => Err(fail(e.to_string())),
        }
    }

    /// Encrypts `plaintext` for the owner named by `aad`.
    pub fn seal(&self, aad: &str, plaintext: &[u8]) -> Result<Vec<u8>, VaultError> {
        let nonce = <[u8; NONCE_LEN]>::try_generate().map_err(|e| VaultError::Seal(e.to_string()))?;
        let sealed = self
            .cipher
            .encrypt(&XNonce::from(nonce), Payload { msg: plaintext, aad: aad.as_bytes() })
            .map_err(|e| VaultError::Seal(e.to_string()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(FORMAT);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Decrypts what [`Vault::seal`] made for the same `aad`.
    pub fn open(&self, aad: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        let (&format, rest) = sealed.split_first().ok_or(VaultError::Open)?;
        if format != FORMAT || rest.len() < NONCE_LEN {
            return Err(VaultError::Open);
        }
        let (nonce, ciphertext) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| VaultError::Open)?;
        self.cipher
            .decrypt(&XNonce::from(nonce), Payload { msg: ciphertext, aad: aad.as_bytes() })
            .map_err(|_| VaultError::Open)
    }
}

fn decode_key(text: &str) -> Option<[u8; KEY_LEN]> {
    hex::decode(text).ok()?.try_into().ok()
}

/// Writes a new random key to a private temporary file, then links it into place: the key file
/// appears whole or not at all, and a key another process created first is never replaced.
fn create_key(path: &Path) -> Result<Vault, String> {
    let key = <[u8; KEY_LEN]>::try_generate().map_err(|e| format!("cannot generate a key: {e}"))?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let written =
        std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp).and_then(|mut file| {
            file.write_all(format!("{}\n", hex::encode(key)).as_bytes())?;
            file.sync_all()
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("cannot write {}: {e}", tmp.display()));
    }
    let linked = std::fs::hard_link(&tmp, path);
    let _ = std::fs::remove_file(&tmp);
    match linked {
        Ok(()) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // The new directory entry must survive a crash as well as the key.
                std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|e| e.to_string())?;
            }
            Ok(Vault::from_key(&key))
        }
        // Another process created the key first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Vault::load_or_create(path).map_err(|e| e.to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_ciphertext_hides_the_plaintext() {
        let vault = Vault::ephemeral().expect("vault");
        let plain = b"hunter2 is my password";
        let sealed = vault.seal("parameter:/db", plain).expect("seal");
        assert!(!sealed.windows(plain.len()).any(|w| w == plain), "plaintext visible in the sealed value");
        assert_eq!(vault.open("parameter:/db", &sealed).expect("open"), plain);
        // Same plaintext, fresh nonce: different ciphertext.
        assert_ne!(vault.seal("parameter:/db", plain).expect("seal"), sealed);
        assert_eq!(vault.open("parameter:/db", &vault.seal("parameter:/db", b"").expect("seal")).expect("open"), b"");
    }

    #[test]
    fn wrong_key_owner_or_damage_do_not_open() {
        let vault = Vault::ephemeral().expect("vault");
        let other = Vault::ephemeral().expect("other");
        let sealed = vault.seal("secret:a:v1", b"value").expect("seal");
        assert_eq!(other.open("secret:a:v1", &sealed), Err(VaultError::Open));
        assert_eq!(vault.open("secret:b:v1", &sealed), Err(VaultError::Open), "owner is bound");
        let mut flipped = sealed.clone();
        if let Some(last) = flipped.last_mut() {
            *last ^= 1;
        }
        assert_eq!(vault.open("secret:a:v1", &flipped), Err(VaultError::Open));
        assert_eq!(vault.open("secret:a:v1", &[]), Err(VaultError::Open));
        assert_eq!(vault.open("secret:a:v1", &[FORMAT, 1, 2]), Err(VaultError::Open));
        assert_eq!(vault.open("secret:a:v1", &sealed[..sealed.len() - 1]), Err(VaultError::Open));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.key");
        let first = Vault::load_or_create(&path).expect("create");
        let mode = std::fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let sealed = first.seal("x", b"kept across restarts").expect("seal");
        let second = Vault::load_or_create(&path).expect("reload");
        assert_eq!(second.open("x", &sealed).expect("open"), b"kept across restarts");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path()).expect("ls").collect();
        assert_eq!(leftovers.len(), 1, "temporary key file left behind");
    }

    #[test]
    fn bad_key_files_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secrets.key");
        std::fs::write(&path, "not a key\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let err = Vault::load_or_create(&path).expect_err("garbage key");
        assert!(err.to_string().contains("hex digits"), "{err}");

        std::fs::write(&path, format!("{}\n", "ab".repeat(KEY_LEN))).expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = Vault::load_or_create(&path).expect_err("world-readable key");
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }
}

//! The repository an event is about: its CodeCommit name, ARN and id.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    name: String,
    region: String,
    account_id: String,
}

impl Repository {
    /// A repository named as CodeCommit allows: 1 to 100 of `[A-Za-z0-9._-]`.
    pub fn new(name: &str, region: &str, account_id: &str) -> Result<Self, Error> {
        let valid = (1..=100).contains(&name.len())
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
            && name != "."
            && name != "..";
        if !valid {
            return Err(Error::RepositoryName(name.to_string()));
        }
        Ok(Repository { name: name.to_string(), region: region.to_string(), account_id: account_id.to_string() })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn region(&self) -> &str {
        &self.region
    }

    pub fn account_id(&self) -> &str {
        &self.account_id
    }

    /// `arn:aws:codecommit:<region>:<account>:<name>`.
    pub fn arn(&self) -> String {
        format!("arn:aws:codecommit:{}:{}:{}", self.region, self.account_id, self.name)
    }

    /// A UUID-shaped id that stays the same for the same ARN, so events about one repository
    /// always carry one `repositoryId` without anything being stored.
    pub fn id(&self) -> String {
        let digest = Sha256::digest(self.arn().as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        // RFC 9562 version 8 (custom) and variant bits.
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        let hex = hex::encode(bytes);
        format!("{}-{}-{}-{}-{}", &hex[..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..])
    }
}

/// The repository name a git directory stands for: `/srv/git/MyRepo.git` is `MyRepo`, and a
/// working tree's `/src/MyRepo/.git` is `MyRepo`. Pass a canonical path (no trailing `..`).
pub fn name_from_git_dir(git_dir: &Path) -> Option<String> {
    let last = git_dir.file_name()?.to_str()?;
    let name = if last == ".git" { git_dir.parent()?.file_name()?.to_str()? } else { last };
    let name = name.strip_suffix(".git").unwrap_or(name);
    (!name.is_empty()).then(|| name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_and_stable_id() {
        let repo = Repository::new("MyDemoRepo", "us-east-2", "123456789012").unwrap();
        assert_eq!(repo.arn(), "arn:aws:codecommit:us-east-2:123456789012:MyDemoRepo");
        let id = repo.id();
        assert_eq!(id, Repository::new("MyDemoRepo", "us-east-2", "123456789012").unwrap().id());
        assert_ne!(id, Repository::new("Other", "us-east-2", "123456789012").unwrap().id());
        let groups: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12]);
        assert_eq!(&id[14..15], "8", "version nibble");
    }

    #[test]
    fn names_follow_codecommit_rules() {
        assert!(Repository::new("a.b_c-D9", "r", "1").is_ok());
        for bad in ["", "a b", "a/b", "..", "é", &"x".repeat(101)] {
            assert_eq!(Repository::new(bad, "r", "1"), Err(Error::RepositoryName(bad.to_string())), "{bad}");
        }
    }

    #[test]
    fn names_from_git_dirs() {
        assert_eq!(name_from_git_dir(Path::new("/srv/git/MyRepo.git")).as_deref(), Some("MyRepo"));
        assert_eq!(name_from_git_dir(Path::new("/srv/git/MyRepo")).as_deref(), Some("MyRepo"));
        assert_eq!(name_from_git_dir(Path::new("/src/MyRepo/.git")).as_deref(), Some("MyRepo"));
        assert_eq!(name_from_git_dir(Path::new("/srv/.git.git")).as_deref(), Some(".git"));
        assert_eq!(name_from_git_dir(Path::new("/")), None);
    }
}

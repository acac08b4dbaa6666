//! `run-as`: the buildspec's Linux user for all commands (global) or one phase's commands.
//!
//! Commands of a `run-as` phase run in a nested user namespace (bubblewrap, inside the build's
//! sandbox) whose only user is the named one: `id`, `whoami` and file ownership show that
//! user, and the process has no capabilities, so it cannot do what only root can. Files it
//! writes still belong to the server's user on the host, so the build directory stays usable
//! for the later phases, as the build user's files stay usable in CodeBuild.

use crate::sandbox::BWRAP;

/// A user of the build environment's `/etc/passwd`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Finds `name` (or a numeric uid) in a passwd file's text.
pub fn find_user(passwd: &str, name: &str) -> Option<User> {
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        let (user, uid, gid) = (*fields.first()?, fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?);
        (user == name || name.parse::<u32>().ok() == Some(uid)).then(|| User { name: user.to_string(), uid, gid })
    })
}

/// The wrapper that runs commands as `name`: empty when that is already the current user.
/// Errors name the problem: an unknown user, or no sandbox to switch users in.
pub fn wrapper(name: &str, sandboxed: bool) -> Result<Vec<String>, String> {
    let passwd = std::fs::read_to_string("/etc/passwd").map_err(|e| format!("cannot read /etc/passwd: {e}"))?;
    let user = find_user(&passwd, name)
        .ok_or_else(|| format!("run-as user {name} does not exist in the build environment"))?;
    if user.uid == current_uid() {
        return Ok(Vec::new());
    }
    if !sandboxed {
        return Err(format!("run-as {name} needs bubblewrap (the build is not sandboxed on this machine)"));
    }
    Ok(vec![
        BWRAP.to_string(),
        "--unshare-user".to_string(),
        "--uid".to_string(),
        user.uid.to_string(),
        "--gid".to_string(),
        user.gid.to_string(),
        "--bind".to_string(),
        "/".to_string(),
        "/".to_string(),
        // A plain bind is `nodev`: /dev/null and friends need their own.
        "--dev-bind".to_string(),
        "/dev".to_string(),
        "/dev".to_string(),
        "--die-with-parent".to_string(),
    ])
}

/// The current user id, from `/proc/self/status` (the crate forbids unsafe libc calls).
fn current_uid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:").and_then(|rest| rest.split_whitespace().next()?.parse().ok()))
        })
        .unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\nbroken line\ncodebuild-user:x:1001:1002::/home/cb:/bin/sh\n";

    #[test]
    fn users_are_found_by_name_or_uid() {
        assert_eq!(
            find_user(PASSWD, "codebuild-user"),
            Some(User { name: "codebuild-user".into(), uid: 1001, gid: 1002 })
        );
        assert_eq!(find_user(PASSWD, "0").map(|u| u.name), Some("root".to_string()));
        assert_eq!(find_user(PASSWD, "nobody"), None);
        assert_eq!(find_user(PASSWD, "broken line"), None);
    }

    #[test]
    fn unknown_users_are_an_error_naming_them() {
        let e = wrapper("no-such-user-kiln", true).unwrap_err();
        assert!(e.contains("run-as user no-such-user-kiln does not exist"), "{e}");
    }
}

//! The inner stage's part: evaluating `cache.paths`, `cache.key` and `cache.fallback-keys` in
//! the build's shell (inside the sandbox, with the build's variables and commands), and
//! waiting for the outer stage to restore the cache before INSTALL.

use std::io::BufRead;

use kiln_buildspec::{Buildspec, Cache};

use super::keys;
use super::target::{CacheAction, CacheRequest};
use crate::emit::Emitter;
use crate::protocol::{Event, Job};
use crate::shell::ShellSession;

/// Before INSTALL: provides `codebuild-hash-files`, then, when the project has a cache, asks the
/// outer stage to restore it ([`Event::CacheRestore`]) and waits until it has.
pub fn before_install(job: &Job, spec: &Buildspec, session: &mut ShellSession, emit: &Emitter) {
    super::hash_files::install(job, session, emit);
    if job.cache.is_none() {
        return;
    }
    let request = match &spec.cache {
        None => {
            emit.agent("Cache is not defined in the buildspec");
            None
        }
        Some(cache) => match evaluate(cache, session) {
            Ok(request) => Some(request),
            Err(why) => {
                emit.agent(&format!("Skip cache due to: {why}"));
                None
            }
        },
    };
    emit.emit(&Event::CacheRestore { request });
    wait_for_outer(&mut std::io::stdin().lock(), emit);
}

/// After the phases of a succeeding build: what UPLOAD_ARTIFACTS saves ([`Event::CacheSave`]),
/// evaluated now, so a key may depend on what the build did.
pub fn after_phases(job: &Job, spec: &Buildspec, session: &mut ShellSession, emit: &Emitter, succeeding: bool) {
    let (Some(_), Some(cache)) = (&job.cache, &spec.cache) else { return };
    if !succeeding || cache.action.map(CacheAction::from) == Some(CacheAction::Restore) {
        return;
    }
    match evaluate(cache, session) {
        Ok(request) => emit.emit(&Event::CacheSave { request }),
        Err(why) => emit.agent(&format!("Skip cache upload due to: {why}")),
    }
}

/// The outer stage answers one line once the cache is restored. No answer (a direct run of the
/// inner stage, or an outer stage that is gone) means going on without.
fn wait_for_outer(input: &mut dyn BufRead, emit: &Emitter) {
    let mut line = String::new();
    if let Err(e) = input.read_line(&mut line) {
        emit.agent(&format!("Cannot read the cache restore answer: {e}; going on"));
    }
}

/// The section with every value expanded as the shell expands `"$VAR"` and `$(command)`.
fn evaluate(cache: &Cache, session: &mut ShellSession) -> Result<CacheRequest, String> {
    let mut paths = Vec::with_capacity(cache.paths.len());
    for path in &cache.paths {
        let expanded = expand(session, path, "cache path")?;
        if expanded.is_empty() {
            return Err(format!("cache path {path:?} expands to nothing"));
        }
        paths.push(home_relative(&expanded, session));
    }
    let key = match &cache.key {
        Some(key) => {
            let expanded = expand(session, key, "cache key")?;
            keys::check(&expanded).map_err(|why| format!("{why} (key {key:?})"))?;
            Some(expanded)
        }
        None => None,
    };
    let mut fallback_keys = Vec::new();
    for fallback in &cache.fallback_keys {
        let expanded = expand(session, fallback, "fallback key")?;
        // An empty prefix would match every key: a fallback key that expands to nothing is none.
        if !expanded.is_empty() {
            keys::check(&expanded).map_err(|why| format!("{why} (fallback key {fallback:?})"))?;
            fallback_keys.push(expanded);
        }
    }
    Ok(CacheRequest { paths, key, fallback_keys, action: cache.action.map(CacheAction::from) })
}

fn expand(session: &mut ShellSession, text: &str, what: &str) -> Result<String, String> {
    if text.contains('\n') {
        return Err(format!("the {what} {text:?} spans several lines"));
    }
    match session.expand(text) {
        Ok(Some(expanded)) => Ok(expanded.trim().to_string()),
        Ok(None) => Err(format!("the {what} {text:?} cannot be evaluated")),
        Err(e) => Err(format!("the {what} {text:?} cannot be evaluated: {e}")),
    }
}

/// `~` and `~/…` mean the build's HOME, as in a shell (a here-document does not expand them).
fn home_relative(path: &str, session: &ShellSession) -> String {
    let home = session.var("HOME").unwrap_or_default();
    match path.strip_prefix('~') {
        Some(rest) if rest.is_empty() || rest.starts_with('/') => format!("{home}{rest}"),
        _ => path.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::shell::ShellKind;

    fn session(dir: &std::path::Path) -> ShellSession {
        let env = BTreeMap::from([
            ("PATH".to_string(), std::env::var("PATH").unwrap_or_default()),
            ("HOME".to_string(), "/build/home".to_string()),
            ("CODEBUILD_RESOLVED_SOURCE_VERSION".to_string(), "046e8b67".to_string()),
        ]);
        ShellSession::new(ShellKind::Sh, env, dir.to_path_buf(), dir.join("state"), true)
    }

    fn cache(paths: &[&str], key: Option<&str>, fallback: &[&str]) -> Cache {
        Cache {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            key: key.map(str::to_string),
            fallback_keys: fallback.iter().map(|p| p.to_string()).collect(),
            action: Some(kiln_buildspec::CacheAction::Save),
        }
    }

    #[test]
    fn keys_and_paths_are_evaluated_by_the_shell() {
        let dir = tempfile::TempDir::new().expect("tempdir");
        let mut session = session(dir.path());
        let spec = cache(
            &["$HOME/.m2/**/*", "~/.npm/**/*", "node_modules/**/*", "'quoted'/x"],
            Some("npm-key-$CODEBUILD_RESOLVED_SOURCE_VERSION-$(echo hi)"),
            &["npm-key-", "$UNSET_VARIABLE"],
        );
        let request = evaluate(&spec, &mut session).expect("evaluated");
        assert_eq!(request.paths, ["/build/home/.m2/**/*", "/build/home/.npm/**/*", "node_modules/**/*", "'quoted'/x"]);
        assert_eq!(request.key.as_deref(), Some("npm-key-046e8b67-hi"));
        assert_eq!(request.fallback_keys, ["npm-key-"], "a fallback key that expands to nothing is dropped");
        assert_eq!(request.action, Some(CacheAction::Save));
    }

    #[test]
    fn unusable_keys_are_refused() {
        let dir = tempfile::TempDir::new().expect("tempdir");
        let mut session = session(dir.path());
        let empty = evaluate(&cache(&["x"], Some("$UNSET_VARIABLE"), &[]), &mut session).unwrap_err();
        assert!(empty.contains("the cache key is empty"), "{empty}");
        let long = format!("$(printf '%0{}d' 0)", keys::MAX_KEY_BYTES + 1);
        assert!(evaluate(&cache(&["x"], Some(&long), &[]), &mut session).unwrap_err().contains("bytes long"));
        assert!(evaluate(&cache(&["x"], Some("a\nb"), &[]), &mut session).unwrap_err().contains("several lines"));
        assert!(evaluate(&cache(&["$UNSET_VARIABLE"], None, &[]), &mut session).unwrap_err().contains("nothing"));
    }

    #[test]
    fn the_inner_stage_waits_for_one_answer_line() {
        let (emit, _) = crate::emit::capture();
        let mut input = std::io::Cursor::new(b"{}\nnext\n".to_vec());
        wait_for_outer(&mut input, &emit);
        let mut rest = String::new();
        input.read_line(&mut rest).expect("read");
        assert_eq!(rest, "next\n", "exactly one line is consumed");
    }
}

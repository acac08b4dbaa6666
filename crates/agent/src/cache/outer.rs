//! The outer stage's part: restoring before INSTALL and saving in UPLOAD_ARTIFACTS, with what
//! was done (or skipped, and why) in the build log. Nothing here fails a build.

use super::archive;
use super::keys;
use super::paths;
use super::store::{Hit, Store};
use super::target::{CacheAction, CacheRequest, CacheTarget, LOCAL_DOCKER_LAYER_CACHE};
use crate::emit::Emitter;
use crate::protocol::Job;
use crate::secrets::InnerInput;

/// Answers the inner stage's [`crate::protocol::Event::CacheRestore`]: restores the cache (the
/// inner stage waits), then lets the inner stage go on to INSTALL.
pub fn restore(job: &Job, request: Option<&CacheRequest>, input: &InnerInput, emit: &Emitter) {
    if let Some(target) = &job.cache {
        if target.has_mode(LOCAL_DOCKER_LAYER_CACHE) {
            emit.agent("LOCAL_DOCKER_LAYER_CACHE is not applicable: this executor runs no Docker daemon");
        }
        if let Some(request) = request {
            restore_cache(job, target, request, emit);
        }
    }
    input.send_line("{}");
}

/// The store, version and paths of a cache, once the paths are mapped onto the build.
struct Plan {
    store: Store,
    version: String,
    patterns: Vec<String>,
}

fn plan(job: &Job, target: &CacheTarget, request: &CacheRequest, emit: &Emitter) -> Option<Plan> {
    if !target.keeps_paths() {
        emit.agent("cache.paths are not cached: the project's LOCAL cache has no LOCAL_CUSTOM_CACHE mode");
        return None;
    }
    let mut patterns = Vec::new();
    for path in &request.paths {
        match paths::map(path, &job.build_dir, job.sandbox) {
            Ok(pattern) => patterns.push(pattern),
            Err(why) => emit.agent(&format!("Skipping cache path {path}: {why}")),
        }
    }
    if patterns.is_empty() {
        emit.agent("Skip cache due to: no paths specified to be cached");
        return None;
    }
    match Store::open(job, target) {
        Ok(store) => Some(Plan { store, version: keys::version(&patterns), patterns }),
        Err(e) => {
            emit.agent(&format!("Skip cache due to: {e}"));
            None
        }
    }
}

fn restore_cache(job: &Job, target: &CacheTarget, request: &CacheRequest, emit: &Emitter) {
    if request.action == Some(CacheAction::Save) {
        emit.agent("Cache action is save: the cache is not restored");
        return;
    }
    let Some(plan) = plan(job, target, request, emit) else { return };
    emit.agent(match target {
        CacheTarget::S3 { .. } => "Downloading S3 cache...",
        CacheTarget::Local { .. } => "Restoring local cache...",
    });
    let hit = match find(&plan, request) {
        Ok(Some(hit)) => hit,
        Ok(None) => {
            emit.agent(&match &request.key {
                Some(key) => format!("No cache found for key {key}{}", fallbacks(request)),
                None if request.fallback_keys.is_empty() => {
                    "No cache found: the first build of these paths".to_string()
                }
                None => format!("No cache found{}", fallbacks(request)),
            });
            return;
        }
        Err(e) => {
            emit.agent(&format!("Unable to restore cache: {e}"));
            return;
        }
    };
    let what = keys::key_of(&hit.name).map(|key| format!(" (key {key})")).unwrap_or_default();
    emit.agent(&format!("Restoring cache{what} from {}, {} bytes", plan.store.describe(&hit.name), hit.size));
    let mut first_error = None;
    let restored = plan.store.read(&hit).and_then(|reader| {
        archive::extract(reader, &job.build_dir, &mut first_error).map_err(|e| format!("unreadable archive: {e}"))
    });
    match restored {
        Ok(summary) => {
            emit.agent(&format!("Restored {} files ({} bytes) from the cache", summary.files, summary.bytes));
            if summary.skipped > 0 {
                let why = first_error.map(|e| format!(": first, {e}")).unwrap_or_default();
                emit.agent(&format!("{} archive entries were not restored{why}", summary.skipped));
            }
        }
        Err(e) => emit.agent(&format!("Unable to restore cache: {e}")),
    }
}

/// The exact key (or the project's one cache without a key), else the newest cache of each
/// fallback key taken as a prefix, in order.
fn find(plan: &Plan, request: &CacheRequest) -> Result<Option<Hit>, String> {
    if let Some(hit) = plan.store.exact(&keys::archive_name(&plan.version, request.key.as_deref()))? {
        return Ok(Some(hit));
    }
    for fallback in &request.fallback_keys {
        if let Some(hit) = plan.store.newest_with_prefix(&keys::prefix_name(&plan.version, fallback))? {
            return Ok(Some(hit));
        }
    }
    Ok(None)
}

fn fallbacks(request: &CacheRequest) -> String {
    if request.fallback_keys.is_empty() {
        String::new()
    } else {
        format!(" or fallback keys {}", request.fallback_keys.join(", "))
    }
}

/// UPLOAD_ARTIFACTS of a succeeding build: saves what the inner stage's
/// [`crate::protocol::Event::CacheSave`] asked for. A key that already has a cache keeps it:
/// keys are immutable.
pub fn save(job: &Job, request: Option<&CacheRequest>, emit: &Emitter) {
    let (Some(target), Some(request)) = (&job.cache, request) else { return };
    if request.action == Some(CacheAction::Restore) {
        return;
    }
    let Some(plan) = plan(job, target, request, emit) else { return };
    let name = keys::archive_name(&plan.version, request.key.as_deref());
    if let Some(key) = &request.key {
        match plan.store.exact(&name) {
            Ok(Some(_)) => {
                emit.agent(&format!("A cache with key {key} exists already and is never updated: not saving"));
                return;
            }
            Ok(None) => {}
            Err(e) => {
                emit.agent(&format!("Unable to save cache: {e}"));
                return;
            }
        }
    }
    let files = match paths::select(&job.build_dir, &plan.patterns) {
        Ok(files) if files.is_empty() => {
            emit.agent("No files match the cache paths: nothing to cache");
            return;
        }
        Ok(files) => files,
        Err(e) => {
            emit.agent(&format!("Unable to save cache: {e}"));
            return;
        }
    };
    let spool = job.build_dir.join("tmp").join("cache-save.tar");
    let summary = match archive::write(&job.build_dir, &files, &spool) {
        Ok(summary) => summary,
        Err(e) => {
            emit.agent(&format!("Unable to save cache: archiving the cache paths: {e}"));
            let _ = std::fs::remove_file(&spool);
            return;
        }
    };
    emit.agent(match target {
        CacheTarget::S3 { .. } => "Uploading S3 cache...",
        CacheTarget::Local { .. } => "Saving local cache...",
    });
    match plan.store.put(&name, &spool) {
        Ok(()) => emit.agent(&format!(
            "Saved {} files ({} bytes) to {}{}",
            summary.files,
            summary.bytes,
            plan.store.describe(&name),
            request.key.as_ref().map(|k| format!(" (key {k})")).unwrap_or_default()
        )),
        Err(e) => emit.agent(&format!("Unable to save cache: {e}")),
    }
    let _ = std::fs::remove_file(&spool);
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;
    use crate::cache::target::{LOCAL_CUSTOM_CACHE, LOCAL_SOURCE_CACHE};

    fn build(root: &Path, cache: CacheTarget) -> Job {
        let build_dir = root.join("builds").join("b1");
        for dir in ["src", "tmp", "home"] {
            std::fs::create_dir_all(build_dir.join(dir)).expect("mkdir");
        }
        Job { build_dir, sandbox: true, objects_dir: root.join("objects"), cache: Some(cache), ..Default::default() }
    }

    fn local(root: &Path) -> CacheTarget {
        CacheTarget::Local { dir: root.join("cache").join("proj"), modes: vec![LOCAL_CUSTOM_CACHE.into()] }
    }

    fn request(paths: &[&str], key: Option<&str>, fallback: &[&str]) -> CacheRequest {
        CacheRequest {
            paths: paths.iter().map(|p| p.to_string()).collect(),
            key: key.map(str::to_string),
            fallback_keys: fallback.iter().map(|p| p.to_string()).collect(),
            action: None,
        }
    }

    fn log_of(buf: &Arc<Mutex<Vec<u8>>>) -> String {
        String::from_utf8_lossy(&buf.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }

    /// Runs a restore and returns the log and what the inner stage was told.
    fn run_restore(job: &Job, request: Option<&CacheRequest>) -> (String, String) {
        let (emit, buf) = crate::emit::capture();
        let answer = Arc::new(Mutex::new(Vec::new()));
        let input = InnerInput::new(Some(Shared(answer.clone())));
        restore(job, request, &input, &emit);
        let told = String::from_utf8_lossy(&answer.lock().unwrap_or_else(PoisonError::into_inner)).into_owned();
        (log_of(&buf), told)
    }

    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Shared {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn run_save(job: &Job, request: &CacheRequest) -> String {
        let (emit, buf) = crate::emit::capture();
        save(job, Some(request), &emit);
        log_of(&buf)
    }

    #[test]
    fn a_second_build_gets_what_the_first_saved() {
        let root = tempfile::TempDir::new().expect("tempdir");
        let first = build(root.path(), local(root.path()));
        std::fs::create_dir_all(first.build_dir.join("src/deps")).expect("mkdir");
        std::fs::write(first.build_dir.join("src/deps/lib.txt"), "lib").expect("write");
        let home = first.build_dir.join("home").display().to_string();
        let wanted = request(&["deps/**/*", &format!("{home}/.m2/**/*"), "/root/.m2/**/*"], None, &[]);
        let log = run_save(&first, &wanted);
        assert!(log.contains("Skipping cache path /root/.m2/**/*: it is outside"), "{log}");
        assert!(log.contains("Saved 1 files (3 bytes) to the local cache"), "{log}");

        std::fs::remove_dir_all(&first.build_dir).expect("rm");
        let second = build(root.path(), local(root.path()));
        let (log, told) = run_restore(&second, Some(&wanted));
        assert_eq!(told, "{}\n", "the inner stage is always answered");
        assert!(log.contains("Restored 1 files (3 bytes) from the cache"), "{log}");
        assert_eq!(std::fs::read_to_string(second.build_dir.join("src/deps/lib.txt")).expect("read"), "lib");
    }

    #[test]
    fn keys_are_immutable_and_fallback_keys_match_by_prefix() {
        let root = tempfile::TempDir::new().expect("tempdir");
        let job = build(root.path(), local(root.path()));
        let file = job.build_dir.join("src/deps/v.txt");
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, "one").expect("write");
        assert!(run_save(&job, &request(&["deps"], Some("npm-1"), &[])).contains("(key npm-1)"));
        std::fs::write(&file, "two").expect("write");
        let again = run_save(&job, &request(&["deps"], Some("npm-1"), &[]));
        assert!(again.contains("exists already and is never updated"), "{again}");

        std::fs::remove_file(&file).expect("rm");
        let (log, _) = run_restore(&job, Some(&request(&["deps"], Some("npm-2"), &["npm-"])));
        assert!(log.contains("Restoring cache (key npm-1)"), "{log}");
        assert_eq!(std::fs::read_to_string(&file).expect("read"), "one", "the first save was kept");

        let (log, _) = run_restore(&job, Some(&request(&["deps"], Some("npm-2"), &["yarn-"])));
        assert!(log.contains("No cache found for key npm-2 or fallback keys yarn-"), "{log}");
        let (log, _) = run_restore(&job, Some(&request(&["other"], Some("npm-1"), &[])));
        assert!(log.contains("No cache found"), "other paths are another cache version: {log}");
    }

    #[test]
    fn actions_and_modes_decide_what_happens() {
        let root = tempfile::TempDir::new().expect("tempdir");
        let job = build(root.path(), local(root.path()));
        std::fs::write(job.build_dir.join("src/a.txt"), "a").expect("write");
        let mut only_restore = request(&["a.txt"], None, &[]);
        only_restore.action = Some(CacheAction::Restore);
        assert_eq!(run_save(&job, &only_restore), "", "action restore never saves");
        let mut only_save = request(&["a.txt"], None, &[]);
        only_save.action = Some(CacheAction::Save);
        assert!(run_save(&job, &only_save).contains("Saved 1 files"));
        let (log, told) = run_restore(&job, Some(&only_save));
        assert!(log.contains("Cache action is save: the cache is not restored"), "{log}");
        assert_eq!(told, "{}\n");

        let modes = vec![LOCAL_SOURCE_CACHE.to_string(), LOCAL_DOCKER_LAYER_CACHE.to_string()];
        let job = build(root.path(), CacheTarget::Local { dir: root.path().join("cache/x"), modes });
        let (log, _) = run_restore(&job, Some(&request(&["a.txt"], None, &[])));
        assert!(log.contains("LOCAL_DOCKER_LAYER_CACHE is not applicable: this executor runs no Docker daemon"));
        assert!(log.contains("no LOCAL_CUSTOM_CACHE mode"), "{log}");
        let (log, told) = run_restore(&Job { cache: None, ..job }, None);
        assert_eq!((log.as_str(), told.as_str()), ("", "{}\n"), "no cache: nothing logged, still answered");
    }

    #[test]
    fn an_s3_cache_without_its_bucket_is_logged_not_fatal() {
        let root = tempfile::TempDir::new().expect("tempdir");
        let job = build(root.path(), CacheTarget::S3 { bucket: "missing-bucket".into(), prefix: "proj".into() });
        std::fs::write(job.build_dir.join("src/a.txt"), "a").expect("write");
        let log = run_save(&job, &request(&["a.txt"], None, &[]));
        assert!(log.contains("Unable to save cache: the cache bucket missing-bucket does not exist"), "{log}");
        let (log, _) = run_restore(&job, Some(&request(&["a.txt"], None, &[])));
        assert!(log.contains("Unable to restore cache: the cache bucket missing-bucket does not exist"), "{log}");
    }
}

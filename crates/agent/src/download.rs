//! DOWNLOAD_SOURCE: the primary source and the secondary sources, each at its exact version
//! (git) or object version (S3), then the buildspec, its warnings and its secret variables.

use std::path::{Path, PathBuf};

use kiln_artifacts::unpack_zip;
use kiln_objects::{ListQuery, ObjectError, ObjectStore};
use kiln_source::{FetchRequest, GitProvider, SourceError};

use crate::emit::Emitter;
use crate::protocol::{Context, Event, Job, Prepared, SourceSpec};

fn client_error(message: impl Into<String>) -> Context {
    Context { status_code: "CLIENT_ERROR".to_string(), message: message.into() }
}

/// Fetches the primary and secondary sources and reads the buildspec.
pub fn download_source(job: &Job, emit: &Emitter) -> Result<Prepared, Context> {
    let src_dir = job.build_dir.join("src");
    let resolved = fetch_one(job, &job.source, &src_dir, "primary", emit)?;
    if let Some(commit) = &resolved {
        emit.emit(&Event::SourceResolved { commit: commit.clone() });
    }
    emit.agent(&format!("CODEBUILD_SRC_DIR={}", src_dir.display()));
    let mut secondary_resolved = Vec::new();
    for secondary in &job.secondary_sources {
        let id = &secondary.identifier;
        let dir = secondary_dir(job, id);
        let commit = fetch_one(job, &secondary.source, &dir, &format!("secondary source {id}"), emit)?;
        if let Some(commit) = &commit {
            emit.emit(&Event::SecondarySourceResolved { identifier: id.clone(), commit: commit.clone() });
        }
        emit.agent(&format!("CODEBUILD_SRC_DIR_{id}={}", dir.display()));
        secondary_resolved.push((id.clone(), commit));
    }
    let buildspec_text = read_buildspec(job.buildspec.as_deref(), &src_dir, emit)?;
    let secret_env;
    match kiln_buildspec::parse(&buildspec_text) {
        Ok(spec) => {
            if let Some(warnings) = kiln_buildspec::format_warnings(&spec.warnings) {
                for line in warnings.lines() {
                    emit.agent(line);
                }
            }
            emit.agent("Processing environment variables");
            if spec.env.git_credential_helper {
                crate::git_credentials::configure(job, emit);
            }
            let lookups = crate::secrets::lookups(job, &spec.env);
            secret_env = crate::secrets::resolve(lookups, emit, &mut std::io::stdin().lock())?;
            let count = [&spec.phases.install, &spec.phases.pre_build, &spec.phases.build, &spec.phases.post_build]
                .iter()
                .filter(|p| p.is_some())
                .count();
            emit.agent(&format!("Phases found in YAML: {count}"));
        }
        Err(e) => {
            return Err(Context { status_code: "YAML_FILE_ERROR".to_string(), message: e.to_string() });
        }
    }
    Ok(Prepared { buildspec_text, resolved_source_version: resolved, secondary_resolved, secret_env })
}

/// Where a secondary source is checked out (`CODEBUILD_SRC_DIR_<identifier>`).
pub fn secondary_dir(job: &Job, identifier: &str) -> PathBuf {
    job.build_dir.join("sources").join(identifier)
}

/// Fetches one source into `dest`; returns the commit for git sources.
fn fetch_one(
    job: &Job,
    source: &SourceSpec,
    dest: &Path,
    what: &str,
    emit: &Emitter,
) -> Result<Option<String>, Context> {
    let kind = source.kind.as_str();
    match kind {
        "NO_SOURCE" => Ok(None),
        crate::local_source::KIND => crate::local_source::fetch(source, dest, emit),
        "S3" => {
            std::fs::create_dir_all(dest)
                .map_err(|e| client_error(format!("cannot create {}: {e}", dest.display())))?;
            download_s3_source(job, source, dest, what, emit)?;
            Ok(None)
        }
        _ => {
            let provider = GitProvider::from_source_type(kind)
                .ok_or_else(|| client_error(format!("unsupported source type {kind} for the {what}")))?;
            let request = FetchRequest {
                location: source.location.clone().unwrap_or_default(),
                provider,
                version: source.version.clone(),
                depth: source.depth.filter(|d| *d > 0),
                submodules: source.submodules,
                dest: dest.to_path_buf(),
                git_env: Vec::new(),
                reference: crate::cache::source_mirror(job, source, emit),
            };
            let mut log = |line: &str| emit.agent(line);
            let fetched = kiln_source::fetch(&request, &mut log).map_err(|e| source_error_context(what, &e))?;
            Ok(Some(fetched.commit))
        }
    }
}

/// An S3 source: `bucket/key.zip` at `sourceVersion` (an object version id; none = the latest),
/// unpacked into the source directory, or `bucket/folder/` whose objects are copied into it.
/// CodeBuild records no resolved version for S3.
fn download_s3_source(job: &Job, source: &SourceSpec, dest: &Path, what: &str, emit: &Emitter) -> Result<(), Context> {
    let location = source.location.clone().unwrap_or_default();
    let Some((bucket, key)) =
        location.trim_start_matches("s3://").split_once('/').filter(|(b, k)| !b.is_empty() && !k.is_empty())
    else {
        return Err(client_error(format!("S3 source location {location:?} must be bucket/key or bucket/folder/")));
    };
    let store = crate::objects::open(job)?;
    if key.ends_with('/') {
        return download_s3_folder(store.as_ref(), bucket, key, dest, what, emit);
    }
    let version = source.version.as_deref().filter(|v| !v.is_empty());
    emit.agent(&format!(
        "Downloading s3://{bucket}/{key}{}",
        version.map(|v| format!(" version {v}")).unwrap_or_default()
    ));
    let (_, mut reader) = store
        .get(bucket, key, version)
        .map_err(|e| client_error(format!("failed to download the {what} s3://{bucket}/{key}: {e}")))?;
    // The ZIP reader needs to seek: spool the object to the build's tmp directory first.
    let archive = job.build_dir.join("tmp").join("source.zip");
    let mut file = std::fs::File::create(&archive).map_err(|e| client_error(format!("spooling the source: {e}")))?;
    std::io::copy(&mut reader, &mut file).map_err(|e| client_error(format!("downloading the source: {e}")))?;
    let file = std::fs::File::open(&archive).map_err(|e| client_error(format!("reading the source: {e}")))?;
    let files = unpack_zip(file, dest)
        .map_err(|e| client_error(format!("s3://{bucket}/{key} is not a usable ZIP archive: {e}")))?;
    let _ = std::fs::remove_file(&archive);
    emit.agent(&format!("Unpacked {files} files"));
    Ok(())
}

/// A folder source: every object under the prefix, at its path below the prefix.
fn download_s3_folder(
    store: &dyn ObjectStore,
    bucket: &str,
    prefix: &str,
    dest: &Path,
    what: &str,
    emit: &Emitter,
) -> Result<(), Context> {
    emit.agent(&format!("Downloading the folder s3://{bucket}/{prefix}"));
    let failed = |e: ObjectError| client_error(format!("failed to download the {what} s3://{bucket}/{prefix}: {e}"));
    let mut query = ListQuery { prefix: prefix.to_string(), max_keys: 1000, ..Default::default() };
    let mut files = 0;
    loop {
        let listing = store.list(bucket, &query).map_err(failed)?;
        for object in &listing.objects {
            let relative = &object.key[prefix.len()..];
            // Folder markers (`dir/`) carry no file.
            if relative.is_empty() || relative.ends_with('/') {
                continue;
            }
            let target = safe_join(dest, relative).ok_or_else(|| {
                client_error(format!("s3://{bucket}/{} would be written outside the source directory", object.key))
            })?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| client_error(format!("cannot create {}: {e}", parent.display())))?;
            }
            let (_, mut reader) = store.get(bucket, &object.key, None).map_err(failed)?;
            let mut file = std::fs::File::create(&target)
                .map_err(|e| client_error(format!("cannot write {}: {e}", target.display())))?;
            std::io::copy(&mut reader, &mut file)
                .map_err(|e| client_error(format!("downloading s3://{bucket}/{}: {e}", object.key)))?;
            files += 1;
        }
        match listing.next_continuation {
            Some(token) => query.continuation = Some(token),
            None => break,
        }
    }
    if files == 0 {
        return Err(client_error(format!("failed to download the {what}: s3://{bucket}/{prefix} holds no objects")));
    }
    emit.agent(&format!("Downloaded {files} files"));
    Ok(())
}

/// `dir/relative`, or `None` when `relative` is absolute or climbs out with `..`.
fn safe_join(dir: &Path, relative: &str) -> Option<PathBuf> {
    let mut path = dir.to_path_buf();
    for part in relative.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => path.push(part),
        }
    }
    (!relative.starts_with('/')).then_some(path)
}

fn source_error_context(what: &str, e: &SourceError) -> Context {
    if what == "primary" { client_error(e.to_string()) } else { client_error(format!("{what}: {e}")) }
}

/// The buildspec: inline YAML, or a file relative to the source directory (`buildspec.yml`
/// by default).
fn read_buildspec(setting: Option<&str>, src_dir: &Path, emit: &Emitter) -> Result<String, Context> {
    let yaml_error = |message: String| Context { status_code: "YAML_FILE_ERROR".to_string(), message };
    let setting = setting.map(str::trim).filter(|s| !s.is_empty());
    if let Some(text) = setting
        && is_inline(text)
    {
        emit.agent("YAML location is the buildspec given in the build project or StartBuild request");
        return Ok(text.to_string());
    }
    let relative = setting.unwrap_or("buildspec.yml");
    if relative.starts_with("arn:") {
        return Err(yaml_error(format!("buildspec from S3 ({relative}) is not supported by this Kiln version yet")));
    }
    let path = src_dir.join(relative);
    // A buildspec path must stay inside the source directory.
    if relative.split('/').any(|part| part == "..") {
        return Err(yaml_error(format!("buildspec path {relative} leaves the source directory")));
    }
    emit.agent(&format!("YAML location is {}", path.display()));
    read_buildspec_file(&path, src_dir).map_err(yaml_error)
}

/// Reads a buildspec file of the source. This runs outside the sandbox, so a symlink may not
/// lead out of the source directory (to the data dir, say), and the size is checked before
/// reading: a huge file is refused, never loaded.
fn read_buildspec_file(path: &Path, src_dir: &Path) -> Result<String, String> {
    use std::io::Read;
    let io_error = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            format!("stat {}: no such file or directory", path.display())
        } else {
            format!("cannot read {}: {e}", path.display())
        }
    };
    let real = path.canonicalize().map_err(io_error)?;
    let root = src_dir.canonicalize().map_err(io_error)?;
    if !real.starts_with(&root) {
        return Err(format!("buildspec path {} leads out of the source directory", path.display()));
    }
    let meta = std::fs::metadata(&real).map_err(io_error)?;
    if !meta.is_file() {
        return Err(format!("buildspec path {} is not a regular file", path.display()));
    }
    let limit = kiln_buildspec::MAX_BUILDSPEC_BYTES;
    if meta.len() > limit as u64 {
        return Err(format!("buildspec is too large: {} bytes, the limit is {limit} bytes (256 KiB)", meta.len()));
    }
    let mut text = String::new();
    // Bounded even if the file grows after the size check.
    std::fs::File::open(&real).and_then(|f| f.take(limit as u64 + 1).read_to_string(&mut text)).map_err(io_error)?;
    Ok(text)
}

/// Whether a `buildspec` setting is the YAML itself rather than a path.
fn is_inline(text: &str) -> bool {
    text.contains('\n') || text.starts_with("version:")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{is_inline, read_buildspec_file, safe_join};

    #[test]
    fn folder_objects_stay_inside_the_source_directory() {
        let dir = Path::new("/b/src");
        assert_eq!(safe_join(dir, "a/b.txt"), Some(dir.join("a").join("b.txt")));
        assert_eq!(safe_join(dir, "./a//b"), Some(dir.join("a").join("b")));
        assert_eq!(safe_join(dir, "../x"), None);
        assert_eq!(safe_join(dir, "a/../../x"), None);
        assert_eq!(safe_join(dir, "/etc/passwd"), None);
    }

    #[test]
    fn inline_buildspecs_are_told_from_paths() {
        assert!(is_inline("version: 0.2\nphases:\n  build:\n    commands: [true]\n"));
        assert!(is_inline("version: 0.2"));
        assert!(!is_inline("buildspec.yml"));
        assert!(!is_inline("ci/buildspec-release.yml"));
        assert!(!is_inline("versions/buildspec.yml"));
    }

    #[test]
    fn a_buildspec_file_stays_inside_the_source_and_under_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        std::fs::write(dir.path().join("secret"), "version: 0.2\n").unwrap();
        std::fs::write(src.join("buildspec.yml"), "version: 0.2\n").unwrap();
        assert_eq!(read_buildspec_file(&src.join("buildspec.yml"), &src).unwrap(), "version: 0.2\n");

        std::os::unix::fs::symlink(dir.path().join("secret"), src.join("out.yml")).unwrap();
        let err = read_buildspec_file(&src.join("out.yml"), &src).unwrap_err();
        assert!(err.contains("leads out of the source directory"), "{err}");

        let big = src.join("big.yml");
        std::fs::write(&big, vec![b'#'; kiln_buildspec::MAX_BUILDSPEC_BYTES + 1]).unwrap();
        let err = read_buildspec_file(&big, &src).unwrap_err();
        assert!(err.contains("too large: 262145 bytes, the limit is 262144 bytes"), "{err}");

        std::os::unix::fs::symlink("/dev/zero", src.join("zero.yml")).unwrap();
        assert!(read_buildspec_file(&src.join("zero.yml"), &src).is_err());
        let err = read_buildspec_file(&src.join("missing.yml"), &src).unwrap_err();
        assert!(err.contains("no such file or directory"), "{err}");
    }
}

//! The outer stage, run by the executor outside any sandbox: PROVISIONING (the build's
//! directories), DOWNLOAD_SOURCE (git, with the server user's git configuration, so
//! `url.<base>.insteadOf` works), then the inner stage inside the sandbox, then
//! UPLOAD_ARTIFACTS and FINALIZING.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use kiln_artifacts::{ArtifactError, collect, unpack_zip, write_zip};
use kiln_objects::{FsObjectStore, ObjectError, ObjectStore, PutOptions};
use kiln_source::{FetchRequest, GitProvider, SourceError};

use crate::clock::now_ms;
use crate::emit::Emitter;
use crate::protocol::{Context, Event, Job, Prepared};
use crate::sandbox;

/// Runs a whole build; the last event is [`Event::Finished`]. Returns the process exit code.
pub fn run(mut job: Job, emit: &Emitter) -> i32 {
    let status = match run_stages(&mut job, emit) {
        Ok(true) => "SUCCEEDED",
        Ok(false) | Err(()) => "FAILED",
    };
    emit.emit(&Event::Finished { status: status.to_string(), at_ms: now_ms() });
    0
}

/// `Ok(succeeded)`; `Err(())` when a phase failed in a way that skips straight to FINALIZING
/// (FINALIZING has then been run).
fn run_stages(job: &mut Job, emit: &Emitter) -> Result<bool, ()> {
    emit.phase_start("PROVISIONING");
    emit.agent(&format!("Running on Kiln {} ({})", env!("CARGO_PKG_VERSION"), sandbox::describe(job.sandbox)));
    if let Err(context) = provision(job) {
        emit.phase_end("PROVISIONING", "FAILED", Some(context));
        finalize(emit);
        return Err(());
    }
    emit.phase_end("PROVISIONING", "SUCCEEDED", None);

    emit.phase_start("DOWNLOAD_SOURCE");
    emit.agent("Phase is DOWNLOAD_SOURCE");
    match download_source(job, emit) {
        Ok(prepared) => {
            emit.phase_end("DOWNLOAD_SOURCE", "SUCCEEDED", None);
            job.prepared = Some(prepared);
        }
        Err(context) => {
            emit.phase_end("DOWNLOAD_SOURCE", "FAILED", Some(context));
            finalize(emit);
            return Err(());
        }
    }

    let (failed, aborted) = run_inner(job, emit);
    let mut succeeded = !failed;
    if !aborted {
        emit.phase_start("UPLOAD_ARTIFACTS");
        emit.agent("Entering phase UPLOAD_ARTIFACTS");
        match upload_artifacts(job, emit) {
            Ok(()) => emit.phase_end("UPLOAD_ARTIFACTS", "SUCCEEDED", None),
            Err(context) => {
                succeeded = false;
                emit.phase_end("UPLOAD_ARTIFACTS", "FAILED", Some(context));
            }
        }
    }
    finalize(emit);
    Ok(succeeded)
}

fn client_error(message: impl Into<String>) -> Context {
    Context { status_code: "CLIENT_ERROR".to_string(), message: message.into() }
}

fn provision(job: &Job) -> Result<(), Context> {
    for dir in ["src", "tmp", "home"] {
        let path = job.build_dir.join(dir);
        std::fs::create_dir_all(&path)
            .map_err(|e| client_error(format!("cannot create build directory {}: {e}", path.display())))?;
    }
    Ok(())
}

/// Fetches the source and reads the buildspec.
fn download_source(job: &Job, emit: &Emitter) -> Result<Prepared, Context> {
    let src_dir = job.build_dir.join("src");
    let kind = job.source.kind.as_str();
    let resolved = match kind {
        "NO_SOURCE" => None,
        "S3" => {
            download_s3_source(job, &src_dir, emit)?;
            None
        }
        _ => {
            let provider = GitProvider::from_source_type(kind)
                .ok_or_else(|| client_error(format!("unsupported source type {kind}")))?;
            let location = job.source.location.clone().unwrap_or_default();
            let request = FetchRequest {
                location,
                provider,
                version: job.source.version.clone(),
                depth: job.source.depth.filter(|d| *d > 0),
                submodules: job.source.submodules,
                dest: src_dir.clone(),
                git_env: Vec::new(),
            };
            let mut log = |line: &str| emit.agent(line);
            let fetched = kiln_source::fetch(&request, &mut log).map_err(|e| source_error_context(&e))?;
            emit.emit(&Event::SourceResolved { commit: fetched.commit.clone() });
            Some(fetched.commit)
        }
    };
    emit.agent(&format!("CODEBUILD_SRC_DIR={}", src_dir.display()));
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
    Ok(Prepared { buildspec_text, resolved_source_version: resolved, secret_env })
}

/// An S3 source: `bucket/key.zip` at `sourceVersion` (an object version id; none = the latest),
/// unpacked into the source directory. CodeBuild records no resolved version for S3.
fn download_s3_source(job: &Job, src_dir: &Path, emit: &Emitter) -> Result<(), Context> {
    let location = job.source.location.clone().unwrap_or_default();
    let Some((bucket, key)) =
        location.trim_start_matches("s3://").split_once('/').filter(|(b, k)| !b.is_empty() && !k.is_empty())
    else {
        return Err(client_error(format!("S3 source location {location:?} must be bucket/key")));
    };
    let version = job.source.version.as_deref().filter(|v| !v.is_empty());
    emit.agent(&format!(
        "Downloading s3://{bucket}/{key}{}",
        version.map(|v| format!(" version {v}")).unwrap_or_default()
    ));
    let store = FsObjectStore::open(&job.objects_dir).map_err(|e| client_error(e.to_string()))?;
    let (_, mut reader) = store
        .get(bucket, key, version)
        .map_err(|e| client_error(format!("failed to download the primary source s3://{bucket}/{key}: {e}")))?;
    // The ZIP reader needs to seek: spool the object to the build's tmp directory first.
    let archive = job.build_dir.join("tmp").join("source.zip");
    let mut file = std::fs::File::create(&archive).map_err(|e| client_error(format!("spooling the source: {e}")))?;
    std::io::copy(&mut reader, &mut file).map_err(|e| client_error(format!("downloading the source: {e}")))?;
    let file = std::fs::File::open(&archive).map_err(|e| client_error(format!("reading the source: {e}")))?;
    let files = unpack_zip(file, src_dir)
        .map_err(|e| client_error(format!("s3://{bucket}/{key} is not a usable ZIP archive: {e}")))?;
    let _ = std::fs::remove_file(&archive);
    emit.agent(&format!("Unpacked {files} files"));
    Ok(())
}

fn source_error_context(e: &SourceError) -> Context {
    client_error(e.to_string())
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
    std::fs::read_to_string(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            yaml_error(format!("stat {}: no such file or directory", path.display()))
        } else {
            yaml_error(format!("cannot read {}: {e}", path.display()))
        }
    })
}

/// Whether a `buildspec` setting is the YAML itself rather than a path.
fn is_inline(text: &str) -> bool {
    text.contains('\n') || text.starts_with("version:")
}

/// Starts the inner stage (sandboxed when asked) and relays its events. Returns
/// `(failed, aborted)`.
fn run_inner(job: &Job, emit: &Emitter) -> (bool, bool) {
    let job_file = job.build_dir.join("tmp").join("inner-job.json");
    let written = serde_json::to_vec(job).map_err(|e| e.to_string()).and_then(|bytes| {
        std::fs::write(&job_file, bytes).map_err(|e| format!("cannot write {}: {e}", job_file.display()))
    });
    if let Err(e) = written {
        emit.agent(&format!("Cannot start the build phases: {e}"));
        return (true, true);
    }
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => {
            emit.agent(&format!("Cannot start the build phases: cannot find the kiln binary: {e}"));
            return (true, true);
        }
    };
    let mut command: Command = sandbox::command(job, &exe, &job_file);
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::inherit());
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => {
            emit.agent(&format!("Cannot start the build phases: {e}"));
            return (true, true);
        }
    };
    // Resolved secrets go over the pipe, never into the inner job file.
    if let Some(stdin) = child.stdin.take() {
        let secret_env = job.prepared.as_ref().map(|p| p.secret_env.as_slice()).unwrap_or_default();
        crate::secrets::send_to_inner(stdin, secret_env);
    }
    let mut outcome = None;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            match Event::from_line(&line) {
                Some(Event::PhasesOutcome { failed, aborted }) => outcome = Some((failed, aborted)),
                Some(_) => emit.raw(&format!("{line}\n")),
                // Not an event: the inner stage printed something else; keep it as a log line.
                None => emit.log(line),
            }
        }
    }
    let status = child.wait();
    match outcome {
        Some(outcome) => outcome,
        None => {
            let how = match status {
                Ok(s) => s.to_string(),
                Err(e) => e.to_string(),
            };
            emit.agent(&format!("The build phases ended without reporting an outcome ({how})"));
            (true, true)
        }
    }
}

/// UPLOAD_ARTIFACTS: the files the buildspec's `artifacts` select, as one ZIP or as separate
/// objects, into the object store.
fn upload_artifacts(job: &Job, emit: &Emitter) -> Result<(), Context> {
    if job.secondary_artifacts > 0 {
        return Err(client_error("secondary artifacts are not supported by this Kiln version yet"));
    }
    let Some(target) = &job.artifacts else {
        return Ok(());
    };
    let text = job.prepared.as_ref().map(|p| p.buildspec_text.as_str()).unwrap_or_default();
    let spec = kiln_buildspec::parse(text).map_err(|e| client_error(e.to_string()))?;
    let Some(artifacts) = spec.artifacts else {
        return Err(client_error(ArtifactError::NoMatches.to_string()));
    };
    let src_dir = job.build_dir.join("src");
    let entries = collect(&src_dir, &artifacts).map_err(|e| client_error(e.to_string()))?;
    let key = match (&artifacts.name, target.override_name) {
        (Some(name), true) => replace_last(&target.key, name),
        _ => target.key.clone(),
    };
    let store = FsObjectStore::open(&job.objects_dir).map_err(|e| client_error(e.to_string()))?;
    let options = PutOptions {
        content_type: None,
        metadata: [("codebuild-buildarn".to_string(), job.build_arn.clone())].into_iter().collect(),
    };
    let location = format!("arn:aws:s3:::{}/{key}", target.bucket);
    if target.zip {
        let zip_path = job.build_dir.join("tmp").join("artifact.zip");
        let digests = write_zip(&entries, &zip_path).map_err(|e| client_error(e.to_string()))?;
        let mut file =
            std::fs::File::open(&zip_path).map_err(|e| client_error(format!("reading the artifact: {e}")))?;
        store.put(&target.bucket, &key, &mut file, &options).map_err(|e| upload_error(&target.bucket, &e))?;
        emit.agent(&format!("Uploaded {} files as {location} ({} bytes)", entries.len(), digests.size));
        emit.emit(&Event::Artifacts { location, sha256: Some(digests.sha256), md5: Some(digests.md5) });
    } else {
        for entry in &entries {
            let mut file = std::fs::File::open(&entry.source)
                .map_err(|e| client_error(format!("reading {}: {e}", entry.source.display())))?;
            let object = format!("{key}/{}", entry.name);
            store.put(&target.bucket, &object, &mut file, &options).map_err(|e| upload_error(&target.bucket, &e))?;
        }
        emit.agent(&format!("Uploaded {} files to {location}", entries.len()));
        emit.emit(&Event::Artifacts { location, sha256: None, md5: None });
    }
    Ok(())
}

fn upload_error(bucket: &str, e: &ObjectError) -> Context {
    match e {
        ObjectError::NoSuchBucket(_) => {
            client_error(format!("Error uploading artifacts: bucket {bucket} does not exist"))
        }
        other => client_error(format!("Error uploading artifacts: {other}")),
    }
}

/// `a/b/c` with its last part replaced by `name`.
fn replace_last(key: &str, name: &str) -> String {
    match key.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => name.to_string(),
    }
}

fn finalize(emit: &Emitter) {
    emit.phase_start("FINALIZING");
    emit.agent("Phase is FINALIZING");
    emit.phase_end("FINALIZING", "SUCCEEDED", None);
}

#[cfg(test)]
mod tests {
    use super::{is_inline, replace_last};

    #[test]
    fn inline_buildspecs_are_told_from_paths() {
        assert!(is_inline("version: 0.2\nphases:\n  build:\n    commands: [true]\n"));
        assert!(is_inline("version: 0.2"));
        assert!(!is_inline("buildspec.yml"));
        assert!(!is_inline("ci/buildspec-release.yml"));
        assert!(!is_inline("versions/buildspec.yml"));
    }

    #[test]
    fn override_names_replace_the_last_key_part() {
        assert_eq!(replace_last("path/1234/name.zip", "app-1.2.zip"), "path/1234/app-1.2.zip");
        assert_eq!(replace_last("name.zip", "app.zip"), "app.zip");
    }
}

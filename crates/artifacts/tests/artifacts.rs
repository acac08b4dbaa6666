#![allow(clippy::unwrap_used)]

use std::io::Read;
use std::path::Path;

use kiln_artifacts::{ArtifactError, collect, write_zip};
use kiln_buildspec::Artifacts;

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in [
        ("README.md", "readme"),
        ("target/app", "binary"),
        ("target/lib/libx.so", "lib"),
        ("target/debug/log.txt", "log"),
        ("docs/a.md", "a"),
        ("docs/sub/b.md", "b"),
    ] {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

fn spec(files: &[&str]) -> Artifacts {
    Artifacts { files: files.iter().map(|s| s.to_string()).collect(), ..Default::default() }
}

fn names(src: &Path, spec: &Artifacts) -> Vec<String> {
    collect(src, spec).unwrap().into_iter().map(|e| e.name).collect()
}

#[test]
fn globs_select_files_like_codebuild() {
    let dir = tree();
    assert_eq!(
        names(dir.path(), &spec(&["**/*"])),
        ["README.md", "docs/a.md", "docs/sub/b.md", "target/app", "target/debug/log.txt", "target/lib/libx.so"]
    );
    // `*` stays within one directory.
    assert_eq!(names(dir.path(), &spec(&["*"])), ["README.md"]);
    assert_eq!(names(dir.path(), &spec(&["docs/*"])), ["docs/a.md"]);
    assert_eq!(names(dir.path(), &spec(&["./docs/**/*.md"])), ["docs/a.md", "docs/sub/b.md"]);
}

#[test]
fn base_directory_discard_paths_and_exclusions() {
    let dir = tree();
    let mut s = spec(&["**/*"]);
    s.base_directory = Some("target".into());
    s.exclude_paths = vec!["debug/**/*".into()];
    assert_eq!(names(dir.path(), &s), ["app", "lib/libx.so"]);
    s.discard_paths = true;
    assert_eq!(names(dir.path(), &s), ["app", "libx.so"]);
    // A glob base directory picks the matching directory.
    let mut s = spec(&["*"]);
    s.base_directory = Some("tar*".into());
    assert_eq!(names(dir.path(), &s), ["app"]);
}

#[test]
fn bad_specs_name_the_problem() {
    let dir = tree();
    assert!(matches!(collect(dir.path(), &spec(&["nothing/*"])), Err(ArtifactError::NoMatches)));
    assert_eq!(ArtifactError::NoMatches.to_string(), "no matching artifact paths found");
    let mut s = spec(&["*"]);
    s.base_directory = Some("../etc".into());
    assert!(matches!(collect(dir.path(), &s), Err(ArtifactError::OutsideSource(_))));
    s.base_directory = Some("missing".into());
    assert!(matches!(collect(dir.path(), &s), Err(ArtifactError::NoBaseDirectory(_))));
    assert!(matches!(collect(dir.path(), &spec(&["a[b"])), Err(ArtifactError::BadPattern { .. })));
}

#[test]
fn zip_holds_the_entries_and_digests_match() {
    let dir = tree();
    let out = tempfile::tempdir().unwrap();
    let zip_path = out.path().join("artifact.zip");
    let entries = collect(dir.path(), &spec(&["target/**/*"])).unwrap();
    let digests = write_zip(&entries, &zip_path).unwrap();
    let bytes = std::fs::read(&zip_path).unwrap();
    assert_eq!(digests.size, bytes.len() as u64);
    assert_eq!(digests.sha256.len(), 64);
    assert_eq!(digests.md5.len(), 32);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut names: Vec<String> = archive.file_names().map(|n| n.unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names, ["target/app", "target/debug/log.txt", "target/lib/libx.so"]);
    let mut content = String::new();
    archive.by_name("target/app").unwrap().read_to_string(&mut content).unwrap();
    assert_eq!(content, "binary");
}

#[test]
fn a_zip_unpacks_and_zip_slip_is_refused() {
    let dir = tree();
    let out = tempfile::tempdir().unwrap();
    let zip_path = out.path().join("src.zip");
    write_zip(&collect(dir.path(), &spec(&["**/*"])).unwrap(), &zip_path).unwrap();
    let dest = out.path().join("src");
    let files = kiln_artifacts::unpack_zip(std::fs::File::open(&zip_path).unwrap(), &dest).unwrap();
    assert_eq!(files, 6);
    assert_eq!(std::fs::read_to_string(dest.join("target/lib/libx.so")).unwrap(), "lib");

    let evil = out.path().join("evil.zip");
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&evil).unwrap());
    writer.start_file("../escaped.txt", zip::write::SimpleFileOptions::default()).unwrap();
    std::io::Write::write_all(&mut writer, b"x").unwrap();
    writer.finish().unwrap();
    let result = kiln_artifacts::unpack_zip(std::fs::File::open(&evil).unwrap(), &out.path().join("evil"));
    assert!(matches!(result, Err(ArtifactError::OutsideSource(_))), "{result:?}");
    assert!(!out.path().join("escaped.txt").exists());
}

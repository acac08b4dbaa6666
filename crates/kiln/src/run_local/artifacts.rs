//! Copies what UPLOAD_ARTIFACTS put in the scratch object store into --artifacts-dir: a ZIP as
//! `<dir>/<its name>`, the primary artifact's files straight into `<dir>`, a secondary
//! artifact's files into `<dir>/<identifier>`.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};
use kiln_objects::{FsObjectStore, ListQuery, ObjectStore};

use super::job::BUCKET;
use super::render::Uploaded;

/// Returns the paths written: each ZIP, or each loose artifact's directory.
pub fn copy_out(objects_dir: &Path, uploaded: &[Uploaded], dest: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if uploaded.is_empty() {
        return Ok(Vec::new());
    }
    let store = FsObjectStore::open(objects_dir).context("opening the scratch object store")?;
    let mut written = Vec::new();
    for artifact in uploaded {
        if artifact.zip {
            let name = artifact.key.rsplit('/').next().unwrap_or(&artifact.key);
            let target = dest.join(name);
            copy_object(&store, &artifact.key, &target)?;
            written.push(target);
        } else {
            let target = match &artifact.identifier {
                Some(id) => dest.join(id),
                None => dest.to_path_buf(),
            };
            copy_prefix(&store, &format!("{}/", artifact.key), &target)?;
            written.push(target);
        }
    }
    Ok(written)
}

fn copy_prefix(store: &dyn ObjectStore, prefix: &str, dest: &Path) -> anyhow::Result<()> {
    let mut query = ListQuery { prefix: prefix.to_string(), ..Default::default() };
    loop {
        let listing = store.list(BUCKET, &query).context("listing the artifacts")?;
        for object in &listing.objects {
            let relative = object.key.strip_prefix(prefix).unwrap_or(&object.key);
            let Some(target) = inside(dest, relative) else {
                bail!("artifact file {relative} would be written outside {}", dest.display());
            };
            copy_object(store, &object.key, &target)?;
        }
        match listing.next_continuation {
            Some(token) => query.continuation = Some(token),
            None => return Ok(()),
        }
    }
}

fn copy_object(store: &dyn ObjectStore, key: &str, target: &Path) -> anyhow::Result<()> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    }
    let (_, mut reader) = store.get(BUCKET, key, None).with_context(|| format!("reading the artifact {key}"))?;
    let mut file = std::fs::File::create(target).with_context(|| format!("creating {}", target.display()))?;
    std::io::copy(&mut reader, &mut file).with_context(|| format!("writing {}", target.display()))?;
    Ok(())
}

/// `dir/relative`, or `None` when `relative` is absolute or climbs out with `..`.
fn inside(dir: &Path, relative: &str) -> Option<PathBuf> {
    if relative.starts_with('/') || relative.split('/').any(|p| p == "..") {
        return None;
    }
    Some(relative.split('/').filter(|p| !p.is_empty() && *p != ".").fold(dir.to_path_buf(), |d, p| d.join(p)))
}

#[cfg(test)]
mod tests {
    use kiln_objects::PutOptions;

    use super::*;

    #[test]
    fn zips_and_loose_files_land_where_documented() {
        let scratch = tempfile::tempdir().expect("tempdir");
        let store = FsObjectStore::open(scratch.path()).expect("store");
        store.create_bucket(BUCKET).expect("bucket");
        let put = |key: &str, body: &str| {
            store.put(BUCKET, key, &mut body.as_bytes(), &PutOptions::default()).expect("put");
        };
        put("app/bin/tool", "tool");
        put("app/README", "readme");
        put("docs.zip", "PK");
        let dest = tempfile::tempdir().expect("tempdir");
        let uploaded = [
            Uploaded { identifier: None, key: "app".into(), zip: false },
            Uploaded { identifier: Some("docs".into()), key: "docs.zip".into(), zip: true },
        ];
        let written = copy_out(scratch.path(), &uploaded, dest.path()).expect("copy");
        assert_eq!(written, [dest.path().to_path_buf(), dest.path().join("docs.zip")]);
        assert_eq!(std::fs::read_to_string(dest.path().join("bin/tool")).expect("read"), "tool");
        assert_eq!(std::fs::read_to_string(dest.path().join("README")).expect("read"), "readme");
        assert_eq!(std::fs::read_to_string(dest.path().join("docs.zip")).expect("read"), "PK");
    }

    #[test]
    fn keys_cannot_climb_out() {
        let dir = Path::new("/out");
        assert_eq!(inside(dir, "a/b"), Some(dir.join("a").join("b")));
        assert_eq!(inside(dir, "../x"), None);
        assert_eq!(inside(dir, "/etc/x"), None);
    }
}

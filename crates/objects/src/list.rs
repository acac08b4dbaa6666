//! One page of a listing over a sorted set of keys: prefix, delimiter (common prefixes),
//! start-after and continuation, as ListObjectsV2 defines them.

use crate::{ListQuery, Listing, ObjectError, ObjectMeta, Result};

/// Where the previous page stopped: after a key, or after every key under a common prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Resume {
    After(String),
    AfterPrefix(String),
}

impl Resume {
    /// Opaque to clients: hex of a kind byte and the key, so it survives XML and URLs as is.
    fn token(&self) -> String {
        let (kind, text) = match self {
            Resume::After(key) => (b'k', key),
            Resume::AfterPrefix(prefix) => (b'p', prefix),
        };
        let mut bytes = vec![kind];
        bytes.extend_from_slice(text.as_bytes());
        hex::encode(bytes)
    }

    fn parse(token: &str) -> Result<Resume> {
        let bad = || ObjectError::InvalidArgument("The continuation token provided is incorrect".to_owned());
        let bytes = hex::decode(token).map_err(|_| bad())?;
        let (kind, text) = bytes.split_first().ok_or_else(bad)?;
        let text = String::from_utf8(text.to_vec()).map_err(|_| bad())?;
        match kind {
            b'k' => Ok(Resume::After(text)),
            b'p' => Ok(Resume::AfterPrefix(text)),
            _ => Err(bad()),
        }
    }

    fn passed(&self, key: &str) -> bool {
        match self {
            Resume::After(after) => key <= after.as_str(),
            Resume::AfterPrefix(prefix) => key <= prefix.as_str() || key.starts_with(prefix.as_str()),
        }
    }
}

/// Pages through `keys` (sorted, unique). `load` gives a key's latest version, or `None` when
/// the key has none (a delete or a put in flight); such keys are skipped. `max_keys == 0`
/// means no limit.
pub fn page(
    keys: &[String],
    query: &ListQuery,
    mut load: impl FnMut(&str) -> Result<Option<ObjectMeta>>,
) -> Result<Listing> {
    let resume = match (&query.continuation, &query.start_after) {
        (Some(token), _) => Some(Resume::parse(token)?),
        (None, Some(after)) => Some(Resume::After(after.clone())),
        (None, None) => None,
    };
    let max = if query.max_keys == 0 { usize::MAX } else { query.max_keys };
    let delimiter = query.delimiter.as_deref().filter(|d| !d.is_empty());
    let start = keys.partition_point(|k| k.as_str() < query.prefix.as_str());

    let mut out = Listing::default();
    let mut count = 0usize;
    let mut last: Option<Resume> = None;
    for key in &keys[start..] {
        if !key.starts_with(query.prefix.as_str()) {
            break;
        }
        if resume.as_ref().is_some_and(|r| r.passed(key)) {
            continue;
        }
        let common = delimiter.and_then(|d| {
            let rest = &key[query.prefix.len()..];
            rest.find(d).map(|at| key[..query.prefix.len() + at + d.len()].to_owned())
        });
        if let Some(common) = common {
            if matches!(&last, Some(Resume::AfterPrefix(p)) if *p == common) {
                continue;
            }
            // A prefix shows only while some key under it has a version.
            if load(key)?.is_none() {
                continue;
            }
            if count == max {
                out.next_continuation = last.map(|r| r.token());
                return Ok(out);
            }
            out.common_prefixes.push(common.clone());
            last = Some(Resume::AfterPrefix(common));
        } else {
            let Some(meta) = load(key)? else { continue };
            if count == max {
                out.next_continuation = last.map(|r| r.token());
                return Ok(out);
            }
            out.objects.push(meta);
            last = Some(Resume::After(key.clone()));
        }
        count += 1;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(key: &str) -> ObjectMeta {
        ObjectMeta {
            bucket: "b".into(),
            key: key.into(),
            size: 0,
            etag: String::new(),
            last_modified_ms: 0,
            version_id: None,
            content_type: None,
            metadata: Default::default(),
        }
    }

    fn keys(list: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    fn run(keys: &[String], query: &ListQuery) -> Listing {
        page(keys, query, |k| Ok(if k.contains("ghost") { None } else { Some(meta(k)) })).expect("page")
    }

    fn names(l: &Listing) -> Vec<&str> {
        l.objects.iter().map(|o| o.key.as_str()).collect()
    }

    #[test]
    fn paging_with_common_prefixes_never_repeats_or_skips() {
        let all = keys(&["a", "b/1", "b/2", "b/3", "c", "d/x/y", "e", "ghost/1", "ghost"]);
        let mut query = ListQuery { delimiter: Some("/".into()), max_keys: 2, ..Default::default() };
        let mut seen = Vec::new();
        loop {
            let page = run(&all, &query);
            seen.extend(names(&page).iter().map(|s| s.to_string()));
            seen.extend(page.common_prefixes.iter().cloned());
            match page.next_continuation {
                Some(token) => query.continuation = Some(token),
                None => break,
            }
        }
        assert_eq!(seen, ["a", "b/", "c", "d/", "e"]);
    }

    #[test]
    fn prefix_start_after_and_limits() {
        let all = keys(&["p/a", "p/b", "p/c/d", "q"]);
        let page = run(&all, &ListQuery { prefix: "p/".into(), start_after: Some("p/a".into()), ..Default::default() });
        assert_eq!(names(&page), ["p/b", "p/c/d"]);
        assert!(page.next_continuation.is_none());
        let page = run(&all, &ListQuery { prefix: "p/".into(), delimiter: Some("/".into()), ..Default::default() });
        assert_eq!(names(&page), ["p/a", "p/b"]);
        assert_eq!(page.common_prefixes, ["p/c/"]);
        // Exactly max_keys entries and nothing after: not truncated.
        let page = run(&all, &ListQuery { max_keys: 4, ..Default::default() });
        assert_eq!(page.objects.len(), 4);
        assert!(page.next_continuation.is_none());
        let page = run(&all, &ListQuery { max_keys: 3, ..Default::default() });
        assert!(page.next_continuation.is_some());
    }

    #[test]
    fn tokens_are_checked() {
        let all = keys(&["a"]);
        for token in ["zz", "", "78", "6bff"] {
            let query = ListQuery { continuation: Some(token.into()), ..Default::default() };
            assert!(matches!(page(&all, &query, |_| Ok(None)), Err(ObjectError::InvalidArgument(_))), "{token}");
        }
    }
}

//! The CBOR of build documents, kept while a document stays the same. BatchGetBuilds is the
//! call clients poll, and most polls answer documents that have not changed since the last
//! one (a running build's document changes at its phase changes, a finished build's never):
//! those answers splice the kept bytes as AWS JSON 1.1 splices the stored JSON, instead of
//! transcoding every document again.

use std::collections::HashMap;
use std::sync::Mutex;

use kiln_wire::transcode::{self, TranscodeError};

/// Documents kept at most; about 6 KiB each (the JSON to compare and its CBOR). When full the
/// cache starts again empty: simple, bounded, and a poller's builds are back after one call.
const MAX_ENTRIES: usize = 1024;

/// Build id → (the JSON document encoded, its CBOR).
type Entries = HashMap<String, (String, Vec<u8>)>;

#[derive(Default)]
pub(crate) struct EncodedBuilds {
    entries: Mutex<Entries>,
}

impl EncodedBuilds {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Appends to `out` the CBOR of `doc`, build `id`'s stored JSON, with `timestamps` the
    /// members that become epoch times: the kept bytes when `doc` is what was encoded last.
    pub(crate) fn write(
        &self,
        id: &str,
        doc: &str,
        timestamps: &[&str],
        out: &mut Vec<u8>,
    ) -> Result<(), TranscodeError> {
        if let Some((json, cbor)) = self.entries().get(id)
            && json == doc
        {
            out.extend_from_slice(cbor);
            return Ok(());
        }
        // Transcoded outside the lock: other calls' hits need not wait for it.
        let start = out.len();
        transcode::json_to_cbor(doc, timestamps, out)?;
        let cbor = out.get(start..).unwrap_or_default().to_vec();
        let mut entries = self.entries();
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(id) {
            entries.clear();
        }
        entries.insert(id.to_string(), (doc.to_string(), cbor));
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fresh(doc: &str) -> Vec<u8> {
        let mut out = Vec::new();
        transcode::json_to_cbor(doc, &["startTime"], &mut out).expect("transcode");
        out
    }

    fn through(cache: &EncodedBuilds, id: &str, doc: &str) -> Vec<u8> {
        let mut out = vec![0xff];
        cache.write(id, doc, &["startTime"], &mut out).expect("write");
        assert_eq!(out.first(), Some(&0xff), "what was in the buffer stays");
        out.split_off(1)
    }

    #[test]
    fn kept_bytes_are_the_fresh_encoding_and_follow_a_changed_document() {
        let cache = EncodedBuilds::default();
        let first = r#"{"id":"p:1","startTime":1.5,"buildStatus":"IN_PROGRESS"}"#;
        assert_eq!(through(&cache, "p:1", first), fresh(first));
        assert_eq!(through(&cache, "p:1", first), fresh(first), "a hit");
        let changed = r#"{"id":"p:1","startTime":1.5,"buildStatus":"SUCCEEDED"}"#;
        assert_eq!(through(&cache, "p:1", changed), fresh(changed), "not the old bytes");
        assert_eq!(through(&cache, "p:1", changed), fresh(changed));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let cache = EncodedBuilds::default();
        for n in 0..MAX_ENTRIES * 2 + 3 {
            let id = format!("p:{n}");
            let doc = format!(r#"{{"id":"{id}"}}"#);
            assert_eq!(through(&cache, &id, &doc), fresh(&doc));
            assert!(cache.len() <= MAX_ENTRIES);
        }
    }

    #[test]
    fn an_invalid_document_is_an_error_and_not_kept() {
        let cache = EncodedBuilds::default();
        let mut out = Vec::new();
        assert!(cache.write("p:1", "{not json", &[], &mut out).is_err());
        assert_eq!(cache.len(), 0);
    }
}

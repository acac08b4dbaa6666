//! Stores a build's log lines on a thread of their own, so that reading the agent's output
//! goes on while the store commits (and syncs) earlier lines. Batches that queue up while a
//! commit runs go into the next one together: one commit per burst, not per batch.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;

use kiln_store::{LogLines, Store};

/// Batches waiting for the writer; beyond this, sending waits (the agent's pipe fills and
/// the build slows down rather than the server's memory growing).
const QUEUE: usize = 8;

enum Message {
    Lines(Vec<LogLines>),
    /// Answered once everything sent before it is stored (or failed).
    Sync(SyncSender<()>),
}

pub struct LogWriter {
    queue: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<()>>,
    /// Why the log could not be stored; later lines are dropped, not retried.
    error: Arc<Mutex<Option<String>>>,
}

impl LogWriter {
    pub fn start(store: Arc<dyn Store>, build_id: String) -> LogWriter {
        let (queue, inbox) = sync_channel(QUEUE);
        let error = Arc::new(Mutex::new(None));
        let thread_error = Arc::clone(&error);
        let thread = std::thread::Builder::new()
            .name("kiln-log-writer".into())
            .spawn(move || write_loop(store.as_ref(), &build_id, &inbox, &thread_error));
        match thread {
            Ok(thread) => LogWriter { queue: Some(queue), thread: Some(thread), error },
            Err(e) => {
                let error = Arc::new(Mutex::new(Some(format!("cannot start the log writer: {e}"))));
                LogWriter { queue: None, thread: None, error }
            }
        }
    }

    /// Queues lines for the store.
    pub fn write(&self, lines: Vec<LogLines>) {
        if let Some(queue) = &self.queue {
            let _ = queue.send(Message::Lines(lines));
        }
    }

    /// Waits until everything written so far is stored (or has failed).
    pub fn sync(&self) {
        let Some(queue) = &self.queue else { return };
        let (done, wait) = sync_channel(1);
        if queue.send(Message::Sync(done)).is_ok() {
            let _ = wait.recv();
        }
    }

    /// Records that the log is broken elsewhere (the agent could not write it); like a failed
    /// store write, later lines are dropped. The first failure is kept.
    pub fn fail(&self, error: &str) {
        self.error.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert_with(|| error.to_string());
    }

    pub fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(PoisonError::into_inner).clone()
    }
}

impl Drop for LogWriter {
    /// Stores what is queued before the writer goes.
    fn drop(&mut self) {
        drop(self.queue.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn write_loop(store: &dyn Store, build_id: &str, inbox: &Receiver<Message>, error: &Mutex<Option<String>>) {
    while let Ok(first) = inbox.recv() {
        let mut batch = Vec::new();
        let mut syncs = Vec::new();
        let mut next = Some(first);
        while let Some(message) = next {
            match message {
                Message::Lines(lines) => batch.extend(lines),
                Message::Sync(done) => syncs.push(done),
            }
            next = inbox.try_recv().ok();
        }
        let failed = error.lock().unwrap_or_else(PoisonError::into_inner).is_some();
        if !batch.is_empty()
            && !failed
            && let Err(e) = store.append_log_lines(build_id, &batch)
        {
            let bytes: u64 = batch.iter().map(LogLines::bytes).sum();
            tracing::error!(build = %build_id, "cannot store {bytes} bytes of log: {e}");
            *error.lock().unwrap_or_else(PoisonError::into_inner) = Some(e.to_string());
        }
        for done in syncs {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kiln_store::SqliteStore;

    fn lines(text: &str) -> Vec<LogLines> {
        vec![LogLines::inline(1, 1, text)]
    }

    #[test]
    fn a_failed_write_is_reported_after_sync_and_later_lines_are_dropped() {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open_in_memory().expect("store"));
        let writer = LogWriter::start(store, "p:missing".into());
        assert_eq!(writer.error(), None);
        writer.write(lines("a\n"));
        writer.sync();
        let error = writer.error().expect("the write failed");
        assert!(error.contains("p:missing"), "{error}");
        writer.write(lines("b\n"));
        writer.sync();
        assert_eq!(writer.error(), Some(error), "the first failure is kept");
    }
}

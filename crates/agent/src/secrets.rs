//! The build's Parameter Store and Secrets Manager variables.
//!
//! The store and the key that decrypts it are the server's; the agent has neither. And the
//! buildspec's `env.parameter-store` / `env.secrets-manager` entries are only known once the
//! outer stage has read the buildspec. So in DOWNLOAD_SOURCE, where CodeBuild resolves them
//! too, the outer stage asks the executor for every value the build needs in one request: an
//! [`Event::ResolveSecrets`] line on its stdout, answered by one [`Resolution`] line on its
//! stdin (the executor started it with that pipe). Project and StartBuild variables travel in
//! the job as references, so no secret is ever written into a job file; the resolved values
//! reach the inner stage through its stdin pipe, and the emitter masks them from then on.
//!
//! Precedence, as CodeBuild's: StartBuild override > project > buildspec; within the buildspec,
//! `secrets-manager` > `parameter-store` > `variables`.

use std::collections::HashSet;
use std::io::{BufRead, Write};
use std::sync::{Arc, Mutex, PoisonError};

use kiln_buildspec::Env;
use serde::{Deserialize, Serialize};

use crate::emit::Emitter;
use crate::protocol::{Context, Event, Job, Resolution, SecretRef, SecretSource};

fn client_error(message: impl Into<String>) -> Context {
    Context { status_code: "CLIENT_ERROR".to_string(), message: message.into() }
}

/// The variables to look up, in the order they apply (later wins). Buildspec entries that a
/// project or StartBuild variable overrides are not looked up at all.
pub fn lookups(job: &Job, env: &Env) -> Vec<(String, SecretRef)> {
    let from_job: HashSet<&str> =
        job.env.iter().map(|(name, _)| name.as_str()).chain(job.secret_env.iter().map(|v| v.name.as_str())).collect();
    let managed: HashSet<&str> = env.secrets_manager.iter().map(|(name, _)| name.as_str()).collect();
    let mut out = Vec::new();
    let buildspec = env
        .parameter_store
        .iter()
        .filter(|(name, _)| !managed.contains(name.as_str()))
        .map(|(name, reference)| (name, SecretSource::ParameterStore, reference))
        .chain(env.secrets_manager.iter().map(|(name, reference)| (name, SecretSource::SecretsManager, reference)));
    for (name, source, reference) in buildspec {
        if !from_job.contains(name.as_str()) {
            out.push((name.clone(), SecretRef { source, reference: reference.clone() }));
        }
    }
    out.extend(job.secret_env.iter().map(|v| (v.name.clone(), v.value.clone())));
    out
}

/// Asks the executor for the values (see the module docs), then hides them in the build log.
/// A value that cannot be resolved fails with the context the executor gave.
pub fn resolve(
    lookups: Vec<(String, SecretRef)>,
    emit: &Emitter,
    answers: &mut dyn BufRead,
) -> Result<Vec<(String, String)>, Context> {
    if lookups.is_empty() {
        return Ok(Vec::new());
    }
    if lookups.iter().any(|(_, r)| r.source == SecretSource::ParameterStore) {
        emit.agent("Decrypting parameter store environment variables");
    }
    let (names, refs): (Vec<String>, Vec<SecretRef>) = lookups.into_iter().unzip();
    emit.emit(&Event::ResolveSecrets { lookups: refs });
    let mut line = String::new();
    match answers.read_line(&mut line) {
        Ok(n) if n > 0 => {}
        Ok(_) => return Err(client_error("the executor did not answer the request for secret values")),
        Err(e) => return Err(client_error(format!("cannot read secret values: {e}"))),
    }
    let answer: Resolution = serde_json::from_str(&line)
        .map_err(|e| client_error(format!("unreadable answer to the request for secret values: {e}")))?;
    if let Some(error) = answer.error {
        return Err(error);
    }
    if answer.values.len() != names.len() {
        return Err(client_error("the executor answered a different number of secret values than asked"));
    }
    emit.hide(answer.values.iter().cloned());
    Ok(names.into_iter().zip(answer.values).collect())
}

/// The inner stage's stdin, open while it runs: one line per message from the outer stage, the
/// secret variables first ([`send_to_inner`]), then the answer to its cache request
/// (`crate::cache`).
#[derive(Clone)]
pub struct InnerInput(Arc<Mutex<Option<Box<dyn Write + Send>>>>);

impl InnerInput {
    pub fn new(pipe: Option<impl Write + Send + 'static>) -> Self {
        InnerInput(Arc::new(Mutex::new(pipe.map(|p| Box::new(p) as Box<dyn Write + Send>))))
    }

    /// Writes `line` and a newline.
    pub fn send_line(&self, line: &str) {
        let mut pipe = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(pipe) = pipe.as_mut() {
            // If the inner stage is already gone there is no one to tell.
            let _ = pipe.write_all(format!("{line}\n").as_bytes()).and_then(|()| pipe.flush());
        }
    }
}

/// What the inner stage gets on the first line of its stdin.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct InnerSecrets {
    /// The resolved secret variables.
    pub env: Vec<(String, String)>,
    /// Every value the outer stage hides in the log (these values, git credentials): the
    /// inner stage hides them too in the output it writes to the spool file itself.
    pub hide: Vec<String>,
}

/// Hands `secrets` to the inner stage as the first line of its stdin, from a thread (a large
/// value must not block the outer stage, which is about to read the inner stage's output).
pub fn send_to_inner(input: &InnerInput, secrets: &InnerSecrets) {
    // JSON has no raw line breaks: one value, one line.
    let payload = serde_json::to_string(secrets).unwrap_or_else(|_| "{}".to_string());
    let input = input.clone();
    std::thread::spawn(move || input.send_line(&payload));
}

/// What [`send_to_inner`] sent; nothing when stdin is empty (a direct run).
pub fn receive_in_inner(stdin: &mut dyn BufRead) -> Result<InnerSecrets, String> {
    let mut line = String::new();
    stdin.read_line(&mut line).map_err(|e| format!("cannot read the secret variables: {e}"))?;
    if line.trim().is_empty() {
        return Ok(InnerSecrets::default());
    }
    serde_json::from_str(&line).map_err(|e| format!("unreadable secret variables: {e}"))
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;
    use std::sync::PoisonError;

    use super::*;
    use crate::emit::capture;
    use crate::protocol::SecretVar;

    fn env(parameters: &[(&str, &str)], secrets: &[(&str, &str)]) -> Env {
        let pairs = |items: &[(&str, &str)]| items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        Env { parameter_store: pairs(parameters), secrets_manager: pairs(secrets), ..Default::default() }
    }

    fn reference(source: SecretSource, r: &str) -> SecretRef {
        SecretRef { source, reference: r.to_string() }
    }

    #[test]
    fn project_and_override_variables_win_over_the_buildspec() {
        let job = Job {
            env: vec![("PLAIN".into(), "x".into())],
            secret_env: vec![SecretVar {
                name: "TOKEN".into(),
                value: reference(SecretSource::ParameterStore, "/project/token"),
            }],
            ..Default::default()
        };
        let spec = env(
            &[("PLAIN", "/spec/plain"), ("TOKEN", "/spec/token"), ("DB", "/spec/db"), ("BOTH", "/spec/both")],
            &[("BOTH", "s:key")],
        );
        let got = lookups(&job, &spec);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["DB", "BOTH", "TOKEN"]);
        assert_eq!(got[1].1, reference(SecretSource::SecretsManager, "s:key"));
        assert_eq!(got[2].1, reference(SecretSource::ParameterStore, "/project/token"));
    }

    #[test]
    fn resolve_asks_once_and_masks_the_answers() {
        let (emit, buf) = capture();
        let answer = Resolution { values: vec!["v1".into(), "v2".into()], error: None };
        let mut answers = Cursor::new(format!("{}\n", serde_json::to_string(&answer).expect("json")));
        let asked = vec![
            ("A".to_string(), reference(SecretSource::ParameterStore, "/a")),
            ("B".to_string(), reference(SecretSource::SecretsManager, "b:k")),
        ];
        let got = resolve(asked, &emit, &mut answers).expect("resolved");
        assert_eq!(got, [("A".to_string(), "v1".to_string()), ("B".to_string(), "v2".to_string())]);
        emit.log("v1 and v2");
        let out = String::from_utf8(buf.lock().unwrap_or_else(PoisonError::into_inner).clone()).expect("utf-8");
        let asked_once = out.lines().filter_map(Event::from_line).filter(|e| matches!(e, Event::ResolveSecrets { .. }));
        assert_eq!(asked_once.count(), 1, "{out}");
        assert!(out.contains("*** and ***"), "{out}");
    }

    #[test]
    fn resolve_fails_with_the_executors_context_or_a_missing_answer() {
        let (emit, _) = capture();
        let context =
            Context { status_code: "Decrypted Variables Error".into(), message: "parameter does not exist: /a".into() };
        let answer = Resolution { values: Vec::new(), error: Some(context.clone()) };
        let mut answers = Cursor::new(serde_json::to_string(&answer).expect("json"));
        let asked = vec![("A".to_string(), reference(SecretSource::ParameterStore, "/a"))];
        assert_eq!(resolve(asked.clone(), &emit, &mut answers), Err(context));
        let err = resolve(asked, &emit, &mut Cursor::new(Vec::new())).expect_err("no answer");
        assert_eq!(err.status_code, "CLIENT_ERROR");
        assert_eq!(resolve(Vec::new(), &emit, &mut Cursor::new(Vec::new())), Ok(Vec::new()));
    }

    #[test]
    fn inner_handoff_round_trips_and_leaves_the_pipe_open() {
        struct Pipe(std::sync::mpsc::Sender<Vec<u8>>);
        impl Write for Pipe {
            fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
                let _ = self.0.send(buf.to_vec());
                Ok(buf.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let (sender, written) = std::sync::mpsc::channel();
        let input = InnerInput::new(Some(Pipe(sender)));
        let sent = InnerSecrets { env: vec![("A".to_string(), "x y\nz".to_string())], hide: vec!["pw".to_string()] };
        send_to_inner(&input, &sent);
        let first = written.recv().expect("the secrets line");
        input.send_line("{}");
        let mut bytes = first;
        bytes.extend(written.recv().expect("a later line"));
        let mut stdin = Cursor::new(bytes);
        assert_eq!(receive_in_inner(&mut stdin), Ok(sent));
        let mut next = String::new();
        stdin.read_line(&mut next).expect("read");
        assert_eq!(next, "{}\n", "later messages follow on the same pipe");

        assert_eq!(receive_in_inner(&mut Cursor::new(Vec::new())), Ok(InnerSecrets::default()));
        assert!(receive_in_inner(&mut Cursor::new(b"garbage\n".to_vec())).is_err());
    }
}

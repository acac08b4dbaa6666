//! Buildspec shell semantics against the real /bin/sh and bash.
#![allow(clippy::unwrap_used)] // a panic is a test failure

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kiln_agent::shell::{MAX_LINE_BYTES, OutputSink, ShellKind, ShellSession};

const BOTH: [ShellKind; 2] = [ShellKind::Sh, ShellKind::Bash];

/// Bounds waits for events that should happen almost at once; never used to sequence anything.
const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

struct Fixture {
    root: PathBuf,
    work: PathBuf,
    session: ShellSession,
    lines: Arc<Mutex<Vec<String>>>,
    events: Receiver<String>,
    sink: OutputSink,
}

impl Fixture {
    fn new(name: &str, kind: ShellKind, carry_state: bool) -> Self {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("kiln-agent-shell").join(format!("{name}-{kind:?}"));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("work")).unwrap();
        let root = root.canonicalize().unwrap();
        let work = root.join("work");
        let env = BTreeMap::from([
            ("PATH".to_string(), std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into())),
            ("HOME".to_string(), root.display().to_string()),
        ]);
        let session = ShellSession::new(kind, env, work.clone(), root.join("state"), carry_state);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, events) = mpsc::channel();
        let sink_lines = Arc::clone(&lines);
        let tx = Mutex::new(tx);
        let sink: OutputSink = Arc::new(move |block: &str| {
            assert!(block.ends_with('\n'), "a block of whole lines: {block:?}");
            for line in block.split_terminator('\n') {
                sink_lines.lock().unwrap().push(line.to_string());
                let _ = tx.lock().unwrap().send(line.to_string());
            }
        });
        Fixture { root, work, session, lines, events, sink }
    }

    /// Runs a command; returns its status and the lines delivered by the time `run` returned.
    fn run_with(&mut self, command: &str, extra: &[(&str, &str)]) -> (i32, Vec<String>) {
        self.lines.lock().unwrap().clear();
        while self.events.try_recv().is_ok() {}
        let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let status = self.session.run(command, &extra, &self.sink).unwrap();
        (status, self.lines.lock().unwrap().clone())
    }

    fn run(&mut self, command: &str) -> (i32, Vec<String>) {
        self.run_with(command, &[])
    }

    /// Runs a command that must succeed and returns its output.
    fn ok(&mut self, command: &str) -> Vec<String> {
        let (status, lines) = self.run(command);
        assert_eq!(status, 0, "{command:?} failed: {lines:?}");
        lines
    }

    fn path(&self, rel: &str) -> String {
        self.work.join(rel).display().to_string()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "'\\''"))
}

#[test]
fn cd_carries_over_commands_and_phases() {
    for kind in BOTH {
        let mut f = Fixture::new("cd", kind, true);
        f.ok("mkdir -p sub/deeper && cd sub");
        assert_eq!(f.ok("pwd"), [f.path("sub")]);
        assert_eq!(f.session.cwd(), f.work.join("sub"));
        // A later phase is just a later `run` on the same session.
        f.ok("cd deeper");
        assert_eq!(f.ok("pwd; echo \"$PWD\""), [f.path("sub/deeper"), f.path("sub/deeper")]);
        assert_eq!(f.session.var("PWD"), Some(f.path("sub/deeper").as_str()));
        // OLDPWD is an ordinary variable, so `cd -` works across commands.
        assert_eq!(f.ok("cd - >/dev/null; pwd"), [f.path("sub")]);
    }
}

#[test]
fn logical_working_directory_is_kept() {
    for kind in BOTH {
        let mut f = Fixture::new("logical", kind, true);
        f.ok("mkdir real && ln -s real link && cd link");
        assert_eq!(f.ok("pwd"), [f.path("link")]);
        assert_eq!(f.ok("pwd -P"), [f.path("real")]);
    }
}

#[test]
fn variables_carry_over_with_awkward_values() {
    let values = [
        "a b  c",
        "it's",
        "say \"hi\"",
        "$HOME and ${X} and $(date)",
        "back\\slash\\n",
        "line1\nline2",
        "trailing newline\n",
        "",
        "tab\there",
        "*",
        "=eq=",
        "`date`",
        "ünïcödé",
        "x\nFAKE=1\n",
    ];
    for kind in BOTH {
        let mut f = Fixture::new("values", kind, true);
        let mut assign = String::new();
        for (i, v) in values.iter().enumerate() {
            assign.push_str(&format!("L{i}={}\nexport E{i}={}\n", quote(v), quote(v)));
        }
        f.ok(&assign);
        for round in 0..2 {
            let mut dump = String::new();
            for i in 0..values.len() {
                dump.push_str(&format!("printf '%s\\0%s\\0' \"$L{i}\" \"$E{i}\"\n"));
            }
            f.ok(&format!("{{\n{dump}}} > values.bin"));
            let bytes = std::fs::read(f.work.join("values.bin")).unwrap();
            let got: Vec<&[u8]> = bytes.split(|&b| b == 0).collect();
            for (i, v) in values.iter().enumerate() {
                assert_eq!(got[2 * i], v.as_bytes(), "{kind:?} round {round} L{i}");
                assert_eq!(got[2 * i + 1], v.as_bytes(), "{kind:?} round {round} E{i}");
                assert_eq!(f.session.var(&format!("L{i}")), Some(*v));
                assert_eq!(f.session.var(&format!("E{i}")), Some(*v));
            }
        }
        assert_eq!(f.session.var("FAKE"), None);
        assert!(f.session.exported().contains_key("E0"));
        assert!(!f.session.exported().contains_key("L0"));
        assert!(f.session.locals().contains_key("L0"));
    }
}

#[test]
fn big_values_carry_over() {
    for kind in BOTH {
        let mut f = Fixture::new("big", kind, true);
        f.ok("BIG=$(head -c 1000000 /dev/zero | tr '\\0' x)");
        assert_eq!(f.session.var("BIG").map(str::len), Some(1_000_000));
        assert_eq!(f.ok("echo ${#BIG}"), ["1000000"]);
    }
}

#[test]
fn command_substitution_result_carries_over() {
    for kind in BOTH {
        let mut f = Fixture::new("subst", kind, true);
        f.ok("TAG=$(echo build-42)");
        assert_eq!(f.ok("echo \"image:$TAG\""), ["image:build-42"]);
    }
}

#[test]
fn unexported_variables_stay_unexported() {
    for kind in BOTH {
        let mut f = Fixture::new("unexported", kind, true);
        f.ok("L=local; export E=exported");
        let out = f.ok("sh -c 'echo \"L=${L-unset} E=${E-unset}\"'; echo \"$L\"");
        assert_eq!(out, ["L=unset E=exported", "local"]);
        // Exporting later changes that; so does un-exporting in bash.
        f.ok("export L");
        assert_eq!(f.ok("sh -c 'echo ${L-unset}'"), ["local"]);
        if kind == ShellKind::Bash {
            f.ok("export -n E");
            assert_eq!(f.ok("sh -c 'echo ${E-unset}'; echo $E"), ["unset", "exported"]);
        }
    }
}

#[test]
fn unset_removes_variables() {
    for kind in BOTH {
        let mut f = Fixture::new("unset", kind, true);
        f.ok("export A=1; B=2");
        assert_eq!(f.session.var("A"), Some("1"));
        f.ok("unset A B");
        assert_eq!(f.ok("echo \"${A-none} ${B-none}\""), ["none none"]);
        assert_eq!(f.session.var("A"), None);
        assert_eq!(f.session.var("B"), None);
    }
}

#[test]
fn exit_sets_status_and_keeps_state_up_to_it() {
    for kind in BOTH {
        let mut f = Fixture::new("exit", kind, true);
        let (status, _) = f.run("X=kept\nmkdir sub && cd sub\nexit 3\nX=not-reached");
        assert_eq!(status, 3);
        assert_eq!(f.ok("echo \"$X\"; pwd"), ["kept", f.path("sub").as_str()]);
    }
}

#[test]
fn failing_commands_report_their_status() {
    for kind in BOTH {
        let mut f = Fixture::new("status", kind, true);
        assert_eq!(f.run("false").0, 1);
        assert_eq!(f.run("sh -c 'exit 42'").0, 42);
        assert_eq!(f.run("no-such-command-kiln").0, 127);
        // A multi-line block without `set -e` fails only if its last line fails.
        assert_eq!(f.run("false\ntrue").0, 0);
        assert_eq!(f.run("true\nfalse").0, 1);
        // `set -e` stops the block at the first failure, and keeps the state up to it.
        let (status, out) = f.run("set -e\nY=1\nfalse\necho unreachable");
        assert_eq!((status, out), (1, vec![]));
        assert_eq!(f.session.var("Y"), Some("1"));
    }
}

#[test]
fn syntax_error_fails_and_keeps_earlier_state() {
    for kind in BOTH {
        let mut f = Fixture::new("syntax", kind, true);
        f.ok("KEEP=yes");
        let (status, out) = f.run("if then fi");
        assert_eq!(status, 2, "{out:?}");
        assert_eq!(f.session.var("KEEP"), Some("yes"));
    }
}

#[test]
fn error_line_numbers_match_the_command() {
    let mut f = Fixture::new("lineno", ShellKind::Sh, true);
    let (_, out) = f.run("true\nno-such-command-kiln");
    assert!(out.iter().any(|l| l.contains(": 2: ")), "{out:?}");
}

#[test]
fn killed_shell_reports_128_plus_signal() {
    for kind in BOTH {
        let mut f = Fixture::new("signal", kind, true);
        let (status, out) = f.run("echo started; kill -TERM $$; echo not-reached");
        assert_eq!(status, 143);
        assert_eq!(out.first().map(String::as_str), Some("started"));
        assert!(!out.iter().any(|l| l == "not-reached"), "{out:?}");
        // (Bash runs EXIT traps on SIGTERM, dash does not: whether the state was saved differs,
        // and does not matter because a killed build ends.) The session stays usable.
        assert_eq!(f.ok("echo next"), ["next"]);
    }
}

#[test]
fn shell_options_are_not_carried() {
    for kind in BOTH {
        let mut f = Fixture::new("options", kind, true);
        f.ok("set -e");
        assert_eq!(f.ok("false; echo after"), ["after"]);
        f.ok("set -x");
        // No `+ echo` trace, neither from the command nor from the epilogue.
        assert_eq!(f.ok("echo plain"), ["plain"]);
        // `set -x` inside a command traces that command only, never the state saving.
        assert_eq!(f.ok("set -x; V=1"), ["+ V=1"]);
        assert_eq!(f.run("set -x; exit 4"), (4, vec!["+ exit 4".to_string()]));
        f.ok("set -u");
        assert_eq!(f.ok("echo \"[$UNSET_VAR]\""), ["[]"]);
    }
}

#[test]
fn functions_are_not_carried() {
    for kind in BOTH {
        let mut f = Fixture::new("functions", kind, true);
        assert_eq!(f.ok("greet() { echo hi; }; greet"), ["hi"]);
        assert_eq!(f.run("greet").0, 127);
    }
}

#[test]
fn bash_arrays_are_not_carried() {
    let mut f = Fixture::new("arrays", ShellKind::Bash, true);
    f.ok("arr=(one two); declare -A map=([k]=v)");
    assert_eq!(f.ok("echo \"${arr[1]-none} ${map[k]-none}\""), ["none none"]);
    assert_eq!(f.session.var("arr"), None);
    assert_eq!(f.session.var("map"), None);
}

#[test]
fn version_0_1_carries_nothing() {
    for kind in BOTH {
        let mut f = Fixture::new("v01", kind, false);
        f.ok("mkdir sub; cd sub; X=1; export Y=2");
        let work = f.work.display().to_string();
        assert_eq!(f.ok("pwd; echo \"${X-u}${Y-u}\""), [work.as_str(), "uu"]);
        assert_eq!(f.session.cwd(), f.work);
        assert_eq!(f.session.var("X"), None);
        // Variables the agent sets still reach later commands.
        f.session.set_exported("CODEBUILD_BUILD_SUCCEEDING", "0");
        assert_eq!(f.ok("echo $CODEBUILD_BUILD_SUCCEEDING"), ["0"]);
    }
}

#[test]
fn stdout_and_stderr_keep_their_order() {
    for kind in BOTH {
        let mut f = Fixture::new("order", kind, true);
        assert_eq!(f.ok("echo a; echo b >&2; echo c"), ["a", "b", "c"]);
        assert_eq!(f.ok("printf 'x\\ny'"), ["x", "y"]);
        assert_eq!(f.ok("echo; echo"), ["", ""]);
    }
}

#[test]
fn commands_do_not_read_the_agents_stdin() {
    let mut f = Fixture::new("stdin", ShellKind::Sh, true);
    assert_eq!(f.ok("cat; echo done"), ["done"]);
}

#[test]
fn long_lines_are_split() {
    let mut f = Fixture::new("long", ShellKind::Sh, true);
    let out = f.ok("head -c 307200 /dev/zero | tr '\\0' x; echo; echo next");
    let lens: Vec<usize> = out.iter().map(String::len).collect();
    assert_eq!(lens, [MAX_LINE_BYTES, 307200 - MAX_LINE_BYTES, 4]);
    assert!(out[0].bytes().all(|b| b == b'x'));
}

fn process_alive(pid: &str) -> bool {
    // A zombie has exited; anything else in /proc is still running.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| !stat.rsplit(')').next().unwrap_or("").trim_start().starts_with('Z'))
        .unwrap_or(false)
}

#[test]
fn background_process_does_not_block_the_command() {
    for kind in BOTH {
        let mut f = Fixture::new("background", kind, true);
        let (status, out) = f.run("sleep 5 & echo $! > bg.pid; echo started");
        assert_eq!((status, out), (0, vec!["started".to_string()]));
        let pid = std::fs::read_to_string(f.work.join("bg.pid")).unwrap();
        let pid = pid.trim();
        // `run` returned while the background process still holds the output pipe.
        assert!(process_alive(pid), "sleep {pid} already gone");
        std::process::Command::new("kill").arg(pid).status().unwrap();
        // The session still works afterwards.
        assert_eq!(f.ok("echo again"), ["again"]);
    }
}

#[test]
fn background_output_keeps_flowing_after_run_returns() {
    let mut f = Fixture::new("late", ShellKind::Sh, true);
    f.ok("mkfifo go");
    let out = f.ok("(read x < go; echo \"late $x\") & printf 'partial'");
    // The shell's unterminated last line is delivered before `run` returns.
    assert_eq!(out, ["partial"]);
    // Opening the FIFO for writing waits for the background reader.
    std::fs::write(f.work.join("go"), "signal\n").unwrap();
    let deadline = Instant::now() + EVENT_TIMEOUT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match f.events.recv_timeout(left) {
            Ok(line) if line == "late signal" => break,
            Ok(_) => continue,
            Err(e) => panic!("background output never arrived: {e}"),
        }
    }
}

#[test]
fn bash_mode_runs_bash() {
    let mut f = Fixture::new("bash", ShellKind::Bash, true);
    assert_eq!(f.ok("[[ abc == a* ]] && echo yes"), ["yes"]);
    assert_eq!(f.ok("echo ${BASH_VERSION:+bash}"), ["bash"]);
}

#[test]
fn extra_env_is_visible_but_not_persisted() {
    for kind in BOTH {
        let mut f = Fixture::new("extra", kind, true);
        f.session.set_exported("CODEBUILD_BUILD_SUCCEEDING", "1");
        let extra = [("CODEBUILD_BUILD_SUCCEEDING", "0"), ("ONLY_NOW", "x")];
        let (status, out) = f.run_with("echo $CODEBUILD_BUILD_SUCCEEDING$ONLY_NOW", &extra);
        assert_eq!((status, out), (0, vec!["0x".to_string()]));
        assert_eq!(f.session.var("CODEBUILD_BUILD_SUCCEEDING"), Some("1"));
        assert_eq!(f.session.var("ONLY_NOW"), None);
        assert_eq!(f.ok("echo \"$CODEBUILD_BUILD_SUCCEEDING${ONLY_NOW-unset}\""), ["1unset"]);
        // An override also hides a local of the same name, for that command only.
        f.ok("LOCAL_ONE=old");
        assert_eq!(f.run_with("echo $LOCAL_ONE", &[("LOCAL_ONE", "new")]).1, ["new"]);
        assert_eq!(f.session.locals().get("LOCAL_ONE").map(String::as_str), Some("old"));
        assert!(!f.session.exported().contains_key("LOCAL_ONE"));
        // A command that deliberately changes such a variable keeps its change.
        f.run_with("ONLY_NOW=mine", &extra);
        assert_eq!(f.session.var("ONLY_NOW"), Some("mine"));
    }
}

#[test]
fn path_changes_persist() {
    for kind in BOTH {
        let mut f = Fixture::new("path", kind, true);
        f.ok("mkdir tools && printf '#!/bin/sh\\necho tool ran\\n' > tools/kiln-tool && chmod +x tools/kiln-tool");
        f.ok("export PATH=$PATH:$PWD/tools");
        assert!(f.session.exported()["PATH"].ends_with(&format!(":{}", f.path("tools"))));
        assert_eq!(f.ok("kiln-tool"), ["tool ran"]);
    }
}

#[test]
fn set_exported_reaches_child_processes() {
    let mut f = Fixture::new("setexported", ShellKind::Sh, true);
    f.ok("CODEBUILD_X=local");
    f.session.set_exported("CODEBUILD_X", "from-agent");
    assert_eq!(f.ok("sh -c 'echo $CODEBUILD_X'"), ["from-agent"]);
    assert!(f.session.locals().get("CODEBUILD_X").is_none());
}

#[test]
fn removed_working_directory_falls_back_to_initial() {
    for kind in BOTH {
        let mut f = Fixture::new("gone", kind, true);
        f.ok("mkdir gone && cd gone && rmdir \"$PWD\"");
        let out = f.ok("pwd");
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[0].contains("no longer exists"), "{out:?}");
        assert_eq!(out[1], f.work.display().to_string());
    }
}

#[test]
fn user_exit_trap_still_runs_and_state_is_saved() {
    for kind in BOTH {
        let mut f = Fixture::new("usertrap", kind, true);
        let out = f.ok("trap 'echo cleanup' EXIT\nSAVED=yes\necho body");
        assert_eq!(out, ["body", "cleanup"]);
        assert_eq!(f.session.var("SAVED"), Some("yes"));
        // The trap itself is not carried over.
        assert_eq!(f.ok("echo next"), ["next"]);
        // A user trap that exits with its own status wins, as in a plain shell.
        assert_eq!(f.run("trap 'exit 9' EXIT; true").0, 9);
    }
}

#[test]
fn exec_ends_the_command_without_saving_state() {
    for kind in BOTH {
        let mut f = Fixture::new("exec", kind, true);
        f.ok("E=before");
        assert_eq!(f.ok("E=after; exec echo replaced"), ["replaced"]);
        assert_eq!(f.session.var("E"), Some("before"));
    }
}

#[test]
fn initial_environment_is_the_only_environment() {
    let mut f = Fixture::new("envclear", ShellKind::Sh, true);
    // The test process's own variables (e.g. CARGO_*) do not leak in.
    assert_eq!(f.ok("echo ${CARGO_PKG_NAME-clean}"), ["clean"]);
    let home = f.root.display().to_string();
    assert_eq!(f.ok("echo $HOME"), [home]);
}

/// Prints the per-command cost of state carrying compared with a bare shell.
#[test]
#[ignore]
fn measure_overhead() {
    const N: u32 = 100;
    for kind in BOTH {
        let bare_start = Instant::now();
        for _ in 0..N {
            let status = std::process::Command::new(kind.program()).args(["-c", "true"]).status().unwrap();
            assert!(status.success());
        }
        let bare = bare_start.elapsed() / N;
        let mut timings = Vec::new();
        let big = "BIG=$(head -c 1000000 /dev/zero | tr '\\0' x)";
        for (carry, setup) in [(false, "true"), (true, "A=1; export B=2"), (true, big)] {
            let mut f = Fixture::new(&format!("overhead-{}", timings.len()), kind, carry);
            f.ok(setup);
            let start = Instant::now();
            for _ in 0..N {
                f.ok("true");
            }
            timings.push(start.elapsed() / N);
        }
        println!(
            "{kind:?}: sh -c true {bare:?}; per command: 0.1 {:?}, 0.2 {:?}, 0.2 with a 1 MB \
             variable {:?}",
            timings[0], timings[1], timings[2]
        );
    }
}

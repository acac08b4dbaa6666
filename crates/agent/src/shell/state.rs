//! Reading the epilogue's dump and merging it into the carried-over shell state.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use super::script::{
    CWD_FILE, DONE_FILE, ENVIRON_FILE, ENVIRON_OK_FILE, NAMES_FILE, SET_FILE, VARS_FILE, is_identifier,
};

/// Variables the shells manage themselves (dynamic, read-only, or describing the shell process):
/// never recorded from a dump, so their previous value (usually from the initial environment) is
/// kept. `PWD` is carried as the session's working directory instead.
const UNTRACKED: &[&str] = &[
    "_",
    "BASH",
    "BASHOPTS",
    "BASHPID",
    "COLUMNS",
    "COMP_WORDBREAKS",
    "DIRSTACK",
    "EPOCHREALTIME",
    "EPOCHSECONDS",
    "EUID",
    "FUNCNAME",
    "GROUPS",
    "HISTCMD",
    "HOSTTYPE",
    "LINENO",
    "LINES",
    "MACHTYPE",
    "OPTARG",
    "OPTERR",
    "OPTIND",
    "OSTYPE",
    "PIPESTATUS",
    "PPID",
    "PS0",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "PWD",
    "RANDOM",
    "SECONDS",
    "SHELLOPTS",
    "SHLVL",
    "SRANDOM",
    "UID",
];

const DEFAULT_IFS: &str = " \t\n";

/// Whether a dump decides this variable's value (otherwise its previous value is kept).
pub(crate) fn is_tracked(name: &str) -> bool {
    is_identifier(name)
        && !name.starts_with("__kiln")
        && !UNTRACKED.contains(&name)
        // BASH_ENV is a user setting (sourced by non-interactive bash); the rest is bash's own.
        && (name == "BASH_ENV" || !name.starts_with("BASH_"))
}

/// What the epilogue recorded after one command.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Dump {
    /// Logical working directory (`pwd`), if the shell could report one.
    pub cwd: Option<PathBuf>,
    /// Names exported to child processes; `None` if /proc/self/environ could not be read.
    pub exported_names: Option<BTreeSet<String>>,
    /// Every shell variable with a value, exported or not.
    pub vars: Vec<(String, String)>,
}

/// Reads the dump from `dir`; `Ok(None)` when the epilogue did not complete (the command used
/// `exec`, replaced the `EXIT` trap, or was killed), in which case the state stays as it was.
pub(crate) fn read_dump(dir: &Path) -> io::Result<Option<Dump>> {
    if !dir.join(DONE_FILE).exists() {
        return Ok(None);
    }
    let cwd = std::fs::read(dir.join(CWD_FILE))?;
    let cwd = String::from_utf8_lossy(&cwd);
    let cwd = cwd.strip_suffix('\n').unwrap_or(&cwd);
    let cwd = Path::new(cwd);
    let exported_names = if dir.join(ENVIRON_OK_FILE).exists() {
        let environ = std::fs::read(dir.join(ENVIRON_FILE))?;
        Some(parse_environ_names(&environ))
    } else {
        None
    };
    let vars = parse_vars(&std::fs::read(dir.join(VARS_FILE))?);
    Ok(Some(Dump { cwd: cwd.is_absolute().then(|| cwd.to_path_buf()), exported_names, vars }))
}

/// Resets the markers before a run so a stale dump is never mistaken for a fresh one.
pub(crate) fn clear_markers(dir: &Path) -> io::Result<()> {
    for name in [DONE_FILE, ENVIRON_OK_FILE] {
        match std::fs::remove_file(dir.join(name)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Removes the dumped values (they may hold secrets) once they have been read.
pub(crate) fn remove_dump(dir: &Path) {
    for name in [CWD_FILE, ENVIRON_FILE, NAMES_FILE, SET_FILE, VARS_FILE] {
        let _ = std::fs::remove_file(dir.join(name));
    }
}

fn parse_environ_names(environ: &[u8]) -> BTreeSet<String> {
    environ
        .split(|&b| b == 0)
        .filter_map(|entry| {
            let eq = entry.iter().position(|&b| b == b'=')?;
            Some(String::from_utf8_lossy(&entry[..eq]).into_owned())
        })
        .collect()
}

fn parse_vars(data: &[u8]) -> Vec<(String, String)> {
    // Every field is NUL-terminated; anything after the last NUL is incomplete.
    let Some(end) = data.iter().rposition(|&b| b == 0) else {
        return Vec::new();
    };
    let mut fields = data[..end].split(|&b| b == 0);
    let mut vars = Vec::new();
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        vars.push((String::from_utf8_lossy(name).into_owned(), String::from_utf8_lossy(value).into_owned()));
    }
    vars
}

/// The carried-over variables: exported ones go into the next command's process environment,
/// local ones are re-assigned by the prologue. The two maps never share a name.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Vars {
    pub exported: BTreeMap<String, String>,
    pub locals: BTreeMap<String, String>,
}

impl Vars {
    /// The state after a command, given the state before it and the per-command `extra_env`
    /// (which must not leak into later commands unless the command itself changed it).
    pub(crate) fn merge(&self, dump: &Dump, extra_env: &[(String, String)]) -> Vars {
        let mut next = Vars::default();
        for (name, value) in &self.exported {
            if !is_tracked(name) {
                next.exported.insert(name.clone(), value.clone());
            }
        }
        for (name, value) in &dump.vars {
            if !is_tracked(name) || (name == "IFS" && value == DEFAULT_IFS) {
                continue;
            }
            let exported = match &dump.exported_names {
                Some(names) => names.contains(name),
                // Without /proc, assume export flags did not change.
                None => self.exported.contains_key(name) || extra_env.iter().any(|(n, _)| n == name),
            };
            if exported {
                next.locals.remove(name);
                next.exported.insert(name.clone(), value.clone());
            } else {
                next.exported.remove(name);
                next.locals.insert(name.clone(), value.clone());
            }
        }
        for (name, value) in extra_env {
            if is_tracked(name) && next.exported.get(name) == Some(value) {
                next.exported.remove(name);
                if let Some(old) = self.exported.get(name) {
                    next.exported.insert(name.clone(), old.clone());
                } else if let Some(old) = self.locals.get(name) {
                    next.locals.insert(name.clone(), old.clone());
                }
            }
        }
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    fn dump(vars: &[(&str, &str)], exported: Option<&[&str]>) -> Dump {
        Dump {
            cwd: None,
            exported_names: exported.map(|n| n.iter().map(|x| s(x)).collect()),
            vars: vars.iter().map(|(n, v)| (s(n), s(v))).collect(),
        }
    }

    #[test]
    fn parses_nul_separated_pairs() {
        let vars = parse_vars(b"A\0x\ny\0B\0\0C\0");
        assert_eq!(vars, vec![(s("A"), s("x\ny")), (s("B"), s(""))]);
        let names = parse_environ_names(b"A=1\0B==\0junk\0");
        assert_eq!(names, BTreeSet::from([s("A"), s("B")]));
    }

    #[test]
    fn tracked_names() {
        assert!(is_tracked("PATH"));
        assert!(is_tracked("BASH_ENV"));
        assert!(is_tracked("OLDPWD"));
        assert!(!is_tracked("BASH_VERSION"));
        assert!(!is_tracked("SHLVL"));
        assert!(!is_tracked("__kiln_st"));
        assert!(!is_tracked("my-var"));
    }

    #[test]
    fn merge_splits_exported_and_local_and_drops_unset() {
        let before = Vars {
            exported: BTreeMap::from([(s("GONE"), s("1")), (s("SHLVL"), s("1"))]),
            locals: BTreeMap::from([(s("L_GONE"), s("1"))]),
        };
        let d = dump(&[("E", "e"), ("L", "l"), ("SHLVL", "2"), ("IFS", " \t\n")], Some(&["E", "SHLVL"]));
        let after = before.merge(&d, &[]);
        assert_eq!(after.exported, BTreeMap::from([(s("E"), s("e")), (s("SHLVL"), s("1"))]));
        assert_eq!(after.locals, BTreeMap::from([(s("L"), s("l"))]));
    }

    #[test]
    fn merge_keeps_invalid_names_from_before() {
        let before = Vars { exported: BTreeMap::from([(s("a-b"), s("1"))]), locals: BTreeMap::new() };
        let after = before.merge(&dump(&[], Some(&[])), &[]);
        assert_eq!(after.exported.get("a-b").map(String::as_str), Some("1"));
    }

    #[test]
    fn merge_without_environ_keeps_export_flags() {
        let before = Vars { exported: BTreeMap::from([(s("E"), s("old"))]), locals: BTreeMap::new() };
        let after = before.merge(&dump(&[("E", "new"), ("L", "l")], None), &[]);
        assert_eq!(after.exported.get("E").map(String::as_str), Some("new"));
        assert_eq!(after.locals.get("L").map(String::as_str), Some("l"));
    }

    #[test]
    fn merge_does_not_persist_untouched_extra_env() {
        let before = Vars { exported: BTreeMap::from([(s("X"), s("0"))]), locals: BTreeMap::new() };
        let extra = [(s("X"), s("1")), (s("Y"), s("1")), (s("Z"), s("1"))];
        // X and Y kept the extra value; Z was changed by the command.
        let d = dump(&[("X", "1"), ("Y", "1"), ("Z", "2")], Some(&["X", "Y", "Z"]));
        let after = before.merge(&d, &extra);
        assert_eq!(after.exported, BTreeMap::from([(s("X"), s("0")), (s("Z"), s("2"))]));
    }
}

//! Text of the shell scripts that wrap one buildspec command: a prologue that restores the
//! saved shell variables and installs an `EXIT` trap, and an epilogue (run by that trap) that
//! dumps the shell state into the session's state directory.

use std::path::Path;

/// Files the epilogue writes, relative to the state directory.
pub(crate) const CWD_FILE: &str = "kiln-cwd";
pub(crate) const ENVIRON_FILE: &str = "kiln-environ";
pub(crate) const ENVIRON_OK_FILE: &str = "kiln-environ.ok";
pub(crate) const SET_FILE: &str = "kiln-set";
pub(crate) const NAMES_FILE: &str = "kiln-names";
pub(crate) const VARS_FILE: &str = "kiln-vars";
pub(crate) const DONE_FILE: &str = "kiln-done";

/// Quotes `value` as one single-quoted shell word (`'` becomes `'\''`).
pub(crate) fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
    out
}

/// True for names a shell accepts in an assignment (`[A-Za-z_][A-Za-z0-9_]*`).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut bytes = name.bytes();
    matches!(bytes.next(), Some(b) if b == b'_' || b.is_ascii_alphabetic())
        && bytes.all(|b| b == b'_' || b.is_ascii_alphanumeric())
}

/// The script actually executed. Sourcing the prologue on the same line as the command keeps the
/// shell's line numbers in error messages equal to the command's own. The epilogue also runs
/// after the command (not only from the `EXIT` trap) so that a command which replaces the trap
/// with its own still saves its state when it completes normally; the blank line ends a trailing
/// backslash continuation.
pub(crate) fn command_script(command: &str, files: Option<(&Path, &Path)>) -> String {
    match files {
        Some((prologue, epilogue)) => {
            format!(". {}; {command}\n\n{}\n", quote(&prologue.to_string_lossy()), save_state(epilogue))
        }
        None => format!("{command}\n"),
    }
}

/// Captures `$?` and runs the epilogue. The brace group with stderr to /dev/null hides its own
/// `set -x` trace; options that would break the epilogue are switched off.
fn save_state(epilogue: &Path) -> String {
    format!("{{ __kiln_st=$?; set +euvxfC; }} 2>/dev/null; . {}", quote(&epilogue.to_string_lossy()))
}

/// Installs the state-saving `EXIT` trap (for `exit`, `set -e` and syntax errors), then restores
/// the unexported variables.
pub(crate) fn prologue<'a>(epilogue: &Path, locals: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let trap = format!("{}; exit \"$__kiln_st\"", save_state(epilogue));
    let mut out = format!("trap {} EXIT\n", quote(&trap));
    for (name, value) in locals {
        if is_identifier(name) {
            out.push_str(name);
            out.push('=');
            out.push_str(&quote(value));
            out.push('\n');
        }
    }
    out
}

/// The epilogue, sourced after the command and by the `EXIT` trap: the first time, writes the
/// logical working directory, the exported environment (as seen by a child process,
/// NUL-separated) and every shell variable (name and value NUL-separated); then returns the
/// command's status. Works in dash and bash.
pub(crate) fn epilogue(state_dir: &Path) -> String {
    let dir = quote(&state_dir.to_string_lossy());
    format!(
        r#"# Kiln: saves the shell state for the next buildspec command.
if [ -z "${{__kiln_saved-}}" ]; then
__kiln_saved=1
__kiln_d={dir}
command pwd > "$__kiln_d/{CWD_FILE}" 2>/dev/null
# A child's /proc/self/environ is exactly the set of exported variables.
if /bin/cat /proc/self/environ > "$__kiln_d/{ENVIRON_FILE}" 2>/dev/null ||
   command cat /proc/self/environ > "$__kiln_d/{ENVIRON_FILE}" 2>/dev/null; then
  : > "$__kiln_d/{ENVIRON_OK_FILE}"
fi
# Candidate names come from `set`; lines of multi-line values may add bogus candidates, which the
# `${{name+x}}` test filters out. Bash arrays (`name=(...)`) are not carried, as in CodeBuild.
set > "$__kiln_d/{SET_FILE}"
__kiln_f="$__kiln_d/{SET_FILE}"
# dash's `read` makes one system call per byte, which is slow for big values: when cut is there,
# it shortens every line (names are far shorter than the limit).
if command -v cut >/dev/null 2>&1 &&
   LC_ALL=C cut -b -1024 "$__kiln_f" > "$__kiln_d/{NAMES_FILE}" 2>/dev/null; then
  __kiln_f="$__kiln_d/{NAMES_FILE}"
fi
while IFS= command read -r __kiln_l; do
  case $__kiln_l in [A-Za-z_]*=*) ;; *) continue ;; esac
  __kiln_n=${{__kiln_l%%=*}}
  case $__kiln_n in *[!A-Za-z0-9_]*|__kiln_*) continue ;; esac
  case ${{__kiln_l#*=}} in \(*) continue ;; esac
  eval "__kiln_s=\${{$__kiln_n+x}} __kiln_v=\${{$__kiln_n}}"
  [ "$__kiln_s" = x ] && command printf '%s\0%s\0' "$__kiln_n" "$__kiln_v"
done < "$__kiln_f" > "$__kiln_d/{VARS_FILE}"
: > "$__kiln_d/{DONE_FILE}"
fi
return "$__kiln_st"
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn quote_escapes_single_quotes() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), "'it'\\''s'");
        assert_eq!(quote("$x\\\n"), "'$x\\\n'");
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("A"));
        assert!(is_identifier("_a1"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("a-b"));
        assert!(!is_identifier("BASH_FUNC_f%%"));
    }

    #[test]
    fn prologue_skips_invalid_names_and_quotes_values() {
        let locals = BTreeMap::from([("A".to_string(), "x'y".to_string()), ("bad-name".to_string(), "z".to_string())]);
        let text = prologue(Path::new("/s/epilogue.sh"), &locals);
        assert!(text.starts_with("trap '{ __kiln_st=$?;"));
        assert!(text.contains("A='x'\\''y'\n"));
        assert!(!text.contains("bad-name"));
    }

    #[test]
    fn command_shares_first_line_with_prologue() {
        let text = command_script("echo hi", Some((Path::new("/s/p.sh"), Path::new("/s/e.sh"))));
        assert!(text.starts_with(". '/s/p.sh'; echo hi\n\n{ __kiln_st=$?;"));
        assert!(text.ends_with(". '/s/e.sh'\n"));
        assert_eq!(command_script("echo hi", None), "echo hi\n");
    }
}

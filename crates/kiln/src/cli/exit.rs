//! Exit codes of the client commands. A followed build exits with its result, so scripts can
//! tell a failing build (1) from a broken command (2) and from an infrastructure problem.

use std::process::ExitCode;

/// The build SUCCEEDED, or the command did what it was asked.
pub const SUCCEEDED: u8 = 0;
/// The build FAILED (a command of the buildspec failed).
pub const FAILED: u8 = 1;
/// Usage errors (clap's own code), API errors, an unreachable server.
pub const ERROR: u8 = 2;
/// The build ended in FAULT (Kiln could not run it).
pub const FAULT: u8 = 3;
/// The build TIMED_OUT.
pub const TIMED_OUT: u8 = 4;
/// The build was STOPPED.
pub const STOPPED: u8 = 5;

/// The exit code for a build's final `buildStatus`.
pub fn for_build_status(status: &str) -> u8 {
    match status {
        "SUCCEEDED" => SUCCEEDED,
        "FAILED" => FAILED,
        "FAULT" => FAULT,
        "TIMED_OUT" => TIMED_OUT,
        "STOPPED" => STOPPED,
        _ => ERROR,
    }
}

pub fn code(c: u8) -> ExitCode {
    ExitCode::from(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_final_status_has_its_own_code() {
        let codes: Vec<u8> =
            ["SUCCEEDED", "FAILED", "FAULT", "TIMED_OUT", "STOPPED"].iter().map(|s| for_build_status(s)).collect();
        assert_eq!(codes, [0, 1, 3, 4, 5]);
        assert_eq!(for_build_status("IN_PROGRESS"), ERROR);
    }
}

//! Time as the agent reports it: epoch milliseconds for events, and CodeBuild's agent-line
//! timestamp (`2024/07/12 01:21:51.170731`, UTC) for the log.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0)
}

fn now_micros() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_micros() as i64).unwrap_or(0)
}

/// `YYYY/MM/DD hh:mm:ss.uuuuuu` in UTC.
pub fn agent_timestamp(micros: i64) -> String {
    let secs = micros.div_euclid(1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = kiln_wire::civil_from_days(days);
    format!("{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}.{frac:06}", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// A CodeBuild agent line: `[Container] <timestamp> <message>`.
pub fn container_line(message: &str) -> String {
    format!("[Container] {} {message}", agent_timestamp(now_micros()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_codebuild() {
        // 2024-07-12T01:21:51.170731Z
        assert_eq!(agent_timestamp(1_720_747_311_170_731), "2024/07/12 01:21:51.170731");
        assert_eq!(agent_timestamp(0), "1970/01/01 00:00:00.000000");
        // A leap day.
        assert_eq!(agent_timestamp(951_782_400_000_000), "2000/02/29 00:00:00.000000");
    }
}

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
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}/{m:02}/{d:02} {:02}:{:02}:{:02}.{frac:06}", rem / 3600, (rem / 60) % 60, rem % 60)
}

/// A CodeBuild agent line: `[Container] <timestamp> <message>`.
pub fn container_line(message: &str) -> String {
    format!("[Container] {} {message}", agent_timestamp(now_micros()))
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
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

//! The two timestamp formats CodeCommit events use.

use kiln_wire::civil_from_days;

/// EventBridge's `time`: `2019-06-12T10:23:43Z`.
pub fn event_time(unix_ms: i64) -> String {
    let (date, clock, _) = parts(unix_ms);
    format!("{date}T{clock}Z")
}

/// A trigger record's `eventTime`: `2017-09-08T17:44:27.615+0000`.
pub fn trigger_time(unix_ms: i64) -> String {
    let (date, clock, millis) = parts(unix_ms);
    format!("{date}T{clock}.{millis:03}+0000")
}

fn parts(unix_ms: i64) -> (String, String, i64) {
    let secs = unix_ms.div_euclid(1000);
    let (days, in_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let clock = format!("{:02}:{:02}:{:02}", in_day / 3600, in_day % 3600 / 60, in_day % 60);
    (format!("{y:04}-{m:02}-{d:02}"), clock, unix_ms.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        // 2017-09-08T17:44:27.615Z
        let ms = 1_504_892_667_615;
        assert_eq!(event_time(ms), "2017-09-08T17:44:27Z");
        assert_eq!(trigger_time(ms), "2017-09-08T17:44:27.615+0000");
        assert_eq!(event_time(0), "1970-01-01T00:00:00Z");
        assert_eq!(trigger_time(-1), "1969-12-31T23:59:59.999+0000");
    }
}

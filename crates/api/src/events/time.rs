//! Event times as EventBridge writes them: ISO 8601 in UTC, to the second (`2019-06-12T10:23:43Z`).

use kiln_wire::civil_from_days;

/// Formats milliseconds since the epoch.
pub(crate) fn iso8601(epoch_ms: i64) -> String {
    let secs = epoch_ms.div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rest / 3600, rest % 3600 / 60, rest % 60)
}

#[cfg(test)]
mod tests {
    use super::iso8601;

    #[test]
    fn formats_known_instants() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_560_335_023_999), "2019-06-12T10:23:43Z", "milliseconds are dropped");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00Z", "a leap day");
        assert_eq!(iso8601(-1000), "1969-12-31T23:59:59Z");
    }
}

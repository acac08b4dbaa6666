//! Times, durations and statuses as the pages show them.

use kiln_model::Timestamp;

/// `2026-11-25 15:23:01 UTC`.
pub fn time(ts: Option<Timestamp>) -> String {
    let Some(ts) = ts else { return String::new() };
    let secs = ts.to_millis().div_euclid(1000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = kiln_wire::civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC", rest / 3600, (rest / 60) % 60, rest % 60)
}

/// `1h 02m`, `3m 04s`, `12s`, `0.4s`.
pub fn duration_ms(ms: i64) -> String {
    let ms = ms.max(0);
    if ms < 1000 {
        return format!("{:.1}s", ms as f64 / 1000.0);
    }
    let s = ms / 1000;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s / 60) % 60),
    }
}

/// From start to end (or to now, while running).
pub fn span(start: Option<Timestamp>, end: Option<Timestamp>, now_ms: i64) -> String {
    match start {
        Some(start) => duration_ms(end.map_or(now_ms, |e| e.to_millis()) - start.to_millis()),
        None => String::new(),
    }
}

/// The CSS class for a status (`SUCCEEDED` → `st-succeeded`).
pub fn status_class(status: &str) -> String {
    format!("st-{}", status.to_ascii_lowercase().replace('_', "-"))
}

/// A commit id shortened as git shows it.
pub fn short_commit(commit: &str) -> &str {
    if commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()) { &commit[..10] } else { commit }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(time(Some(Timestamp::from_millis(1_764_084_181_000))), "2025-11-25 15:23:01 UTC");
        assert_eq!(time(None), "");
        assert_eq!(duration_ms(400), "0.4s");
        assert_eq!(duration_ms(12_300), "12s");
        assert_eq!(duration_ms(184_000), "3m 04s");
        assert_eq!(duration_ms(3_720_000), "1h 02m");
        assert_eq!(duration_ms(-5), "0.0s");
        assert_eq!(status_class("IN_PROGRESS"), "st-in-progress");
        assert_eq!(short_commit("0123456789abcdef0123456789abcdef01234567"), "0123456789");
        assert_eq!(short_commit("main"), "main");
    }
}

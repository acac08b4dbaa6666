//! Duration texts of the formats, to nanoseconds. Anything unreadable,
//! negative or not finite is 0, as a missing duration is.

const NANOS_PER_SECOND: f64 = 1e9;
const NANOS_PER_MILLI: f64 = 1e6;

/// `"1.25"` seconds (JUnit, NUnit). Tolerates a decimal comma (`"1,25"`)
/// and thousands separators (`"1,234.5"`), which some locales write.
pub(crate) fn seconds(text: &str) -> i64 {
    scaled(locale_number(text), NANOS_PER_SECOND)
}

/// `"1250"` milliseconds (TestNG's `duration-ms`).
pub(crate) fn millis(text: &str) -> i64 {
    scaled(locale_number(text), NANOS_PER_MILLI)
}

/// Nanoseconds as a JSON number (Cucumber), rounded.
pub(crate) fn nanos(value: f64) -> i64 {
    scaled(Some(value), 1.0)
}

/// A .NET `TimeSpan` (`[-][d.]hh:mm:ss[.fffffff]`, TRX's `duration`).
pub(crate) fn timespan(text: &str) -> i64 {
    timespan_nanos(text.trim()).unwrap_or(0)
}

fn locale_number(text: &str) -> Option<f64> {
    let text = text.trim();
    if let Ok(value) = text.parse::<f64>() {
        return Some(value);
    }
    let fixed = if text.contains('.') { text.replace(',', "") } else { text.replacen(',', ".", 1) };
    fixed.parse::<f64>().ok()
}

/// `value * scale`, rounded; 0 for bad input. The cast saturates at i64::MAX.
fn scaled(value: Option<f64>, scale: f64) -> i64 {
    match value {
        Some(v) if v.is_finite() && v > 0.0 => (v * scale).round() as i64,
        _ => 0,
    }
}

fn timespan_nanos(text: &str) -> Option<i64> {
    let mut parts = text.split(':');
    let (days_hours, minutes, seconds) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let (days, hours) = match days_hours.split_once('.') {
        Some((days, hours)) => (digits(days)?, digits(hours)?),
        None => (0, digits(days_hours)?),
    };
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let (minutes, whole) = (digits(minutes)?, digits(whole)?);
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Nanoseconds from the first nine fraction digits, zero-padded.
    let fraction_nanos = fraction
        .bytes()
        .chain(std::iter::repeat(b'0'))
        .take(9)
        .fold(0i64, |acc, digit| acc * 10 + i64::from(digit - b'0'));
    let total_seconds = ((days.checked_mul(24)?.checked_add(hours)?).checked_mul(60)?.checked_add(minutes)?)
        .checked_mul(60)?
        .checked_add(whole)?;
    total_seconds.checked_mul(1_000_000_000)?.checked_add(fraction_nanos)
}

/// A non-empty run of ASCII digits (no sign: a negative TimeSpan is 0).
fn digits(text: &str) -> Option<i64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_to_nanos() {
        assert_eq!(seconds("1.5"), 1_500_000_000);
        assert_eq!(seconds(" 0.001 "), 1_000_000);
        assert_eq!(seconds("0.1"), 100_000_000);
        assert_eq!(seconds("2"), 2_000_000_000);
        assert_eq!(seconds("1,5"), 1_500_000_000);
        assert_eq!(seconds("1,234.5"), 1_234_500_000_000);
        assert_eq!(seconds("1e-3"), 1_000_000);
    }

    #[test]
    fn bad_seconds_are_zero() {
        for text in ["", "abc", "-1.0", "NaN", "inf", "1..2", "1,2,3"] {
            assert_eq!(seconds(text), 0, "{text:?}");
        }
        assert_eq!(seconds("1e300"), i64::MAX);
    }

    #[test]
    fn millis_and_nanos() {
        assert_eq!(millis("1250"), 1_250_000_000);
        assert_eq!(millis("0"), 0);
        assert_eq!(millis("x"), 0);
        assert_eq!(nanos(1234.4), 1234);
        assert_eq!(nanos(-5.0), 0);
        assert_eq!(nanos(f64::NAN), 0);
    }

    #[test]
    fn timespans() {
        assert_eq!(timespan("00:00:00.0012345"), 1_234_500);
        assert_eq!(timespan("00:00:01"), 1_000_000_000);
        assert_eq!(timespan("01:02:03.5"), (3723 * 1_000_000_000) + 500_000_000);
        assert_eq!(timespan("1.00:00:00"), 86_400 * 1_000_000_000);
        assert_eq!(timespan("00:00:00.1234567891"), 123_456_789);
    }

    #[test]
    fn bad_timespans_are_zero() {
        for text in ["", "1.5", "00:00", "00:00:00:00", "-00:00:01", "aa:00:00", "00:00:0x", "00:00:01.-5", "1.:00:00"]
        {
            assert_eq!(timespan(text), 0, "{text:?}");
        }
        assert_eq!(timespan("99999999999999:00:00"), 0, "overflow is unreadable, not a panic");
    }
}

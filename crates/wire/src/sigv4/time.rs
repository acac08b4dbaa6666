//! The two clocks formats SigV4 reads (`x-amz-date`'s ISO 8601 basic format and the HTTP
//! `Date` header's IMF-fixdate), on whole UTC seconds, without a date-time dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Whole seconds since the Unix epoch, UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Timestamp(i64);

const SECONDS_PER_DAY: i64 = 86_400;

impl Timestamp {
    /// Truncates to whole seconds: SigV4 dates carry no fraction.
    pub(crate) fn from_system_time(time: SystemTime) -> Timestamp {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Timestamp(i64::try_from(after.as_secs()).unwrap_or(i64::MAX)),
            Err(before) => {
                let before = before.duration();
                let whole = i64::try_from(before.as_secs()).unwrap_or(i64::MAX);
                // Floor, so 0.5 s before the epoch is second -1, not 0.
                let carry = i64::from(before.subsec_nanos() > 0);
                Timestamp(whole.saturating_neg().saturating_sub(carry))
            }
        }
    }

    pub(crate) fn plus(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(seconds))
    }

    pub(crate) fn minus(self, seconds: i64) -> Timestamp {
        Timestamp(self.0.saturating_sub(seconds))
    }

    /// Parses `YYYYMMDD'T'HHMMSS'Z'`, e.g. `20150830T123600Z`.
    pub(crate) fn parse_amz(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[4..6])?;
        let day = digits(&b[6..8])?;
        let hour = digits(&b[9..11])?;
        let minute = digits(&b[11..13])?;
        let second = digits(&b[13..15])?;
        from_fields(year, month, day, hour, minute, second)
    }

    /// Parses the HTTP `Date` header's IMF-fixdate, e.g. `Mon, 09 Sep 2011 23:36:00 GMT`.
    pub(crate) fn parse_http_date(text: &str) -> Option<Timestamp> {
        let b = text.as_bytes();
        if b.len() != 29
            || &b[3..5] != b", "
            || b[7] != b' '
            || b[11] != b' '
            || b[16] != b' '
            || b[19] != b':'
            || b[22] != b':'
            || &b[25..] != b" GMT"
        {
            return None;
        }
        const MONTHS: [&[u8]; 12] =
            [b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec"];
        let month = MONTHS.iter().position(|m| *m == &b[8..11])?;
        let month = i64::try_from(month).ok()? + 1;
        // The weekday is ignored: AWS's own old test suite dates "Mon, 09 Sep 2011", a Friday.
        from_fields(
            digits(&b[12..16])?,
            month,
            digits(&b[5..7])?,
            digits(&b[17..19])?,
            digits(&b[20..22])?,
            digits(&b[23..25])?,
        )
    }

    /// `YYYYMMDD'T'HHMMSS'Z'`, the form used in the string to sign and in error messages.
    pub(crate) fn amz(self) -> String {
        let (year, month, day) = civil_from_days(self.0.div_euclid(SECONDS_PER_DAY));
        let secs = self.0.rem_euclid(SECONDS_PER_DAY);
        format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", secs / 3600, secs / 60 % 60, secs % 60)
    }

    /// `YYYYMMDD`, the date element of a credential scope.
    pub(crate) fn date(self) -> String {
        let (year, month, day) = civil_from_days(self.0.div_euclid(SECONDS_PER_DAY));
        format!("{year:04}{month:02}{day:02}")
    }
}

fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |acc, &b| b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0')))
}

fn from_fields(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64) -> Option<Timestamp> {
    let valid = (1..=12).contains(&month)
        && (1..=days_in_month(year, month)).contains(&day)
        && hour < 24
        && minute < 60
        && second < 60;
    valid.then(|| Timestamp(days_from_civil(year, month, day) * SECONDS_PER_DAY + hour * 3600 + minute * 60 + second))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). Shared by
/// everything in Kiln that reads dates.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`]: the proleptic Gregorian `(year, month, day)` of a count of
/// days since 1970-01-01 (H. Hinnant's algorithm). Shared by everything in Kiln that prints dates.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn amz_dates_round_trip_through_the_epoch_seconds() {
        let t = Timestamp::parse_amz("20150830T123600Z").expect("valid date");
        assert_eq!(t, Timestamp(1_440_938_160));
        assert_eq!(t.amz(), "20150830T123600Z");
        assert_eq!(t.date(), "20150830");
        let leap = Timestamp::parse_amz("20240229T235959Z").expect("leap day");
        assert_eq!(leap.plus(1).amz(), "20240301T000000Z");
        assert_eq!(Timestamp(0).amz(), "19700101T000000Z");
        assert_eq!(Timestamp(-1).amz(), "19691231T235959Z");
    }

    #[test]
    fn malformed_amz_dates_are_rejected() {
        for bad in [
            "",
            "20150830T123600",
            "2015-08-30T12:36:00Z",
            "20150230T123600Z",
            "20230229T000000Z",
            "20151330T123600Z",
            "20150830T243600Z",
            "20150830T126000Z",
            "2015083OT123600Z",
            "+0150830T123600Z",
        ] {
            assert_eq!(Timestamp::parse_amz(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn http_dates_are_imf_fixdates() {
        let t = Timestamp::parse_http_date("Mon, 09 Sep 2011 23:36:00 GMT").expect("valid");
        assert_eq!(t.amz(), "20110909T233600Z");
        assert_eq!(Timestamp::parse_http_date("Mon, 09 Sep 2011 23:36:00 UTC"), None);
        assert_eq!(Timestamp::parse_http_date("Mon, 09 Foo 2011 23:36:00 GMT"), None);
        assert_eq!(Timestamp::parse_http_date("Mon, 31 Sep 2011 23:36:00 GMT"), None);
        assert_eq!(Timestamp::parse_http_date("Monday, 09-Sep-11 23:36:00 GMT"), None);
    }

    #[test]
    fn system_time_is_floored_to_whole_seconds() {
        let t = UNIX_EPOCH + Duration::from_millis(1_440_938_160_999);
        assert_eq!(Timestamp::from_system_time(t), Timestamp(1_440_938_160));
        let before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(Timestamp::from_system_time(before), Timestamp(-1));
    }
}

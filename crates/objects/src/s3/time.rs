//! The dates S3 speaks: SigV4's `20130524T000000Z`, HTTP's `Wed, 12 Oct 2009 17:50:00 GMT`
//! (Last-Modified) and ISO 8601's `2009-10-12T17:50:30.000Z` (listings).

use std::time::{SystemTime, UNIX_EPOCH};

use kiln_wire::{civil_from_days, days_from_civil};

const DAY_MS: i64 = 86_400_000;

/// `YYYYMMDDTHHMMSSZ` of `now`.
pub fn amz_date(now: SystemTime) -> String {
    let secs = now.duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    format!("{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z", of_day / 3600, of_day / 60 % 60, of_day % 60)
}

/// Milliseconds since the epoch of an HTTP date (`Wed, 12 Oct 2009 17:50:00 GMT`).
pub fn parse_http_date(text: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let (_, rest) = text.split_once(", ")?;
    let mut parts = rest.split_ascii_whitespace();
    let day = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = MONTHS.iter().position(|m| *m == month_name)? as i64 + 1;
    let year = parts.next()?.parse().ok()?;
    let (hour, minute, second) = clock(parts.next()?)?;
    (parts.next()? == "GMT").then_some(())?;
    instant(year, month, day, hour, minute, second, 0)
}

/// Milliseconds since the epoch of `2009-10-12T17:50:30[.123]Z`.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let text = text.trim().strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut ymd = date.splitn(3, '-');
    let year = ymd.next()?.parse().ok()?;
    let month = ymd.next()?.parse().ok()?;
    let day = ymd.next()?.parse().ok()?;
    let (time, fraction) = time.split_once('.').unwrap_or((time, ""));
    let (hour, minute, second) = clock(time)?;
    let millis = if fraction.is_empty() {
        0
    } else {
        let digits: String = fraction.chars().chain("000".chars()).take(3).collect();
        fraction.bytes().all(|b| b.is_ascii_digit()).then_some(())?;
        digits.parse().ok()?
    };
    instant(year, month, day, hour, minute, second, millis)
}

fn clock(text: &str) -> Option<(i64, i64, i64)> {
    let mut hms = text.splitn(3, ':');
    Some((hms.next()?.parse().ok()?, hms.next()?.parse().ok()?, hms.next()?.parse().ok()?))
}

fn instant(year: i64, month: i64, day: i64, hour: i64, minute: i64, second: i64, millis: i64) -> Option<i64> {
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&hour)
        && (0..60).contains(&minute)
        && (0..=60).contains(&second);
    valid.then(|| days_from_civil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000 + millis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_match_known_instants() {
        // 2009-10-12T17:50:30.123Z.
        let ms = 1_255_369_830_123;
        assert_eq!(parse_iso8601("2009-10-12T17:50:30.123Z"), Some(ms));
        assert_eq!(parse_iso8601("2009-10-12T17:50:30Z"), Some(ms - 123));
        assert_eq!(parse_iso8601("2009-10-12T17:50:30.1Z"), Some(ms - 23));
        assert_eq!(parse_http_date("Mon, 12 Oct 2009 17:50:30 GMT"), Some(ms - 123));
        assert_eq!(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT"), Some(1_709_164_800_000));
        let at = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).expect("positive"));
        assert_eq!(amz_date(at), "20091012T175030Z");
        assert_eq!(amz_date(UNIX_EPOCH), "19700101T000000Z");
    }

    #[test]
    fn malformed_dates_are_none() {
        for bad in ["", "2009-10-12", "2009-13-12T00:00:00Z", "2009-10-12T25:00:00Z", "2009-10-12T17:50:30.x1Z"] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
        for bad in ["", "12 Oct 2009 17:50:30 GMT", "Mon, 12 Foo 2009 17:50:30 GMT", "Mon, 12 Oct 2009 17:50 GMT"] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
    }
}

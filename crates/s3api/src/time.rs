//! The two date forms S3 writes: ISO 8601 with milliseconds in XML, RFC 1123 in headers.

struct Civil {
    year: i64,
    month: usize,
    day: i64,
    weekday: usize,
    hour: i64,
    minute: i64,
    second: i64,
    millis: i64,
}

/// The calendar fields of an epoch-milliseconds time (UTC).
fn civil(epoch_ms: i64) -> Civil {
    let days = epoch_ms.div_euclid(86_400_000);
    let in_day = epoch_ms.rem_euclid(86_400_000);
    let (year, month, day) = kiln_wire::civil_from_days(days);
    Civil {
        year,
        month: usize::try_from(month).unwrap_or(1),
        day,
        // 1970-01-01 was a Thursday.
        weekday: usize::try_from((days + 4).rem_euclid(7)).unwrap_or(0),
        hour: in_day / 3_600_000,
        minute: in_day / 60_000 % 60,
        second: in_day / 1000 % 60,
        millis: in_day % 1000,
    }
}

/// `2009-10-12T17:50:30.000Z`.
pub fn iso8601(epoch_ms: i64) -> String {
    let c = civil(epoch_ms);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", c.year, c.month, c.day, c.hour, c.minute, c.second, c.millis)
}

/// `Mon, 12 Oct 2009 17:50:30 GMT`.
pub fn http_date(epoch_ms: i64) -> String {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let c = civil(epoch_ms);
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[c.weekday % 7],
        c.day,
        MONTHS[(c.month + 11) % 12],
        c.year,
        c.hour,
        c.minute,
        c.second
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_match_known_instants() {
        // 2009-10-12T17:50:30.123Z, a Monday.
        let ms = 1_255_369_830_123;
        assert_eq!(iso8601(ms), "2009-10-12T17:50:30.123Z");
        assert_eq!(http_date(ms), "Mon, 12 Oct 2009 17:50:30 GMT");
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        // A leap day.
        assert_eq!(iso8601(1_709_208_000_000), "2024-02-29T12:00:00.000Z");
        assert_eq!(http_date(1_709_208_000_000), "Thu, 29 Feb 2024 12:00:00 GMT");
    }
}

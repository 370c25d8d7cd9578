//! CSV dates to epoch milliseconds, fast for the one shape S3 writes.
//!
//! S3 writes every CSV date as `2016-11-06T21:32:00.000Z`. Parsing that shape
//! by hand is several times faster than a general RFC 3339 parser, and a
//! report has up to three dates per row; anything else (an offset, no
//! fraction digits, a leap second, an invalid date) goes to chrono's parser,
//! which decides.

use chrono::DateTime;

/// Epoch milliseconds of an RFC 3339 timestamp, or `None` when invalid.
pub(super) fn parse_millis(raw: &str) -> Option<i64> {
    fast(raw.as_bytes()).or_else(|| {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| t.timestamp_millis())
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` or `YYYY-MM-DDTHH:MM:SSZ`, with a valid date
/// and time; `None` for anything else (left to the general parser).
fn fast(b: &[u8]) -> Option<i64> {
    let millis = match b.len() {
        24 if b[19] == b'.' && b[23] == b'Z' => digits(&b[20..23])?,
        20 if b[19] == b'Z' => 0,
        _ => return None,
    };
    if b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(year, month, day);
    Some(((days * 24 + hour) * 60 + minute) * 60_000 + second * 1000 + millis)
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |n, &d| {
        d.is_ascii_digit().then(|| n * 10 + i64::from(d - b'0'))
    })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono_millis(raw: &str) -> Option<i64> {
        DateTime::parse_from_rfc3339(raw)
            .ok()
            .map(|t| t.timestamp_millis())
    }

    #[test]
    fn fast_path_agrees_with_chrono() {
        // A walk over 400+ years in uneven steps hits every month, leap days
        // and century rules.
        let mut millis: i64 = -2_208_988_800_000; // 1900-01-01
        while millis < 16_725_225_600_000 {
            let Some(t) = DateTime::from_timestamp_millis(millis) else {
                break;
            };
            for text in [
                t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
                t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            ] {
                assert_eq!(fast(text.as_bytes()), chrono_millis(&text), "{text}");
            }
            millis += 3_601_234_567;
        }
    }

    #[test]
    fn odd_shapes_fall_back_and_invalid_dates_fail() {
        for text in [
            "2016-11-06T21:32:00.000+02:00",
            "2016-11-06t21:32:00.000z",
            "2016-11-06T21:32:00.5Z",
            "2016-12-31T23:59:60.000Z",
        ] {
            assert_eq!(fast(text.as_bytes()), None, "{text}");
            assert_eq!(parse_millis(text), chrono_millis(text), "{text}");
        }
        assert!(parse_millis("2016-11-06T21:32:00.000+02:00").is_some());
        for text in [
            "2023-02-29T00:00:00.000Z",
            "2016-13-01T00:00:00.000Z",
            "2016-11-31T00:00:00.000Z",
            "2016-11-06T24:00:00.000Z",
            "2016-11-06T21:60:00.000Z",
            "06/11/2016",
            "+016-11-06T21:32:00.000Z",
            "",
        ] {
            assert_eq!(parse_millis(text), None, "{text}");
        }
        assert_eq!(
            parse_millis("2024-02-29T12:00:00.123Z"),
            chrono_millis("2024-02-29T12:00:00.123Z")
        );
    }
}

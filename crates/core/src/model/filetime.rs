//! Windows FILETIME values (100 ns ticks since 1601-01-01 UTC), as AD stores `pwdLastSet` and
//! `lastLogonTimestamp`, and their conversion to calendar time. The one place that knows the epoch.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Seconds between 1601-01-01 and 1970-01-01.
const EPOCH_DIFFERENCE_SECS: i64 = 11_644_473_600;
const TICKS_PER_SEC: i64 = 10_000_000;
const TICKS_PER_DAY: i64 = 86_400 * TICKS_PER_SEC;

/// A FILETIME as stored in AD. Zero means "never" (e.g. `pwdLastSet = 0`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileTime(pub i64);

impl FileTime {
    /// A GeneralizedTime as AD writes it (`whenChanged`: `20261122091016.0Z`).
    pub fn from_generalized(text: &str) -> Option<FileTime> {
        let digits = text.get(..14)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let number = |range: std::ops::Range<usize>| digits[range].parse::<u8>().ok();
        let year: i32 = digits[..4].parse().ok()?;
        let date = time::Date::from_calendar_date(
            year,
            time::Month::try_from(number(4..6)?).ok()?,
            number(6..8)?,
        )
        .ok()?;
        let clock = time::Time::from_hms(number(8..10)?, number(10..12)?, number(12..14)?).ok()?;
        Some(FileTime::from_datetime(date.with_time(clock).assume_utc()))
    }

    /// Seconds since 1970 (`None` before it).
    pub fn unix_seconds(self) -> Option<u64> {
        u64::try_from(self.0 / TICKS_PER_SEC - EPOCH_DIFFERENCE_SECS).ok()
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn from_datetime(at: OffsetDateTime) -> FileTime {
        // Years 1601..=9999 (all `time` can hold here) are well within i64 ticks.
        let ticks = i64::try_from(at.unix_timestamp_nanos() / 100).unwrap_or(i64::MAX);
        FileTime(ticks + EPOCH_DIFFERENCE_SECS * TICKS_PER_SEC)
    }

    /// RFC 3339 UTC string (whole seconds, `Z`), as in every JSON document; `None` for zero
    /// and for times outside the years 1601 to 9999.
    pub fn to_rfc3339(self) -> Option<String> {
        let bytes = self.rfc3339_bytes()?;
        String::from_utf8(bytes.to_vec()).ok()
    }

    /// The RFC 3339 form as ASCII bytes, formatted by hand: reports write millions of these.
    pub fn rfc3339_bytes(self) -> Option<[u8; 20]> {
        if self.0 <= 0 {
            return None;
        }
        let secs = self.0 / TICKS_PER_SEC - EPOCH_DIFFERENCE_SECS;
        let (days, second_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
        // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        if !(1601..=9999).contains(&year) {
            return None;
        }
        let mut out = *b"0000-00-00T00:00:00Z";
        let mut put = |at: usize, width: usize, mut value: i64| {
            for position in (at..at + width).rev() {
                out[position] = b'0' + (value % 10) as u8;
                value /= 10;
            }
        };
        put(0, 4, year);
        put(5, 2, month);
        put(8, 2, day);
        put(11, 2, second_of_day / 3600);
        put(14, 2, second_of_day / 60 % 60);
        put(17, 2, second_of_day % 60);
        Some(out)
    }

    /// Whole days from `self` to `later` (negative when `later` is earlier), rounded down.
    pub fn days_until(self, later: FileTime) -> i64 {
        (later.0 - self.0).div_euclid(TICKS_PER_DAY)
    }
}

/// RFC 3339 with a `Z` suffix and whole seconds, the form used in every report.
pub fn rfc3339(at: OffsetDateTime) -> String {
    at.replace_nanosecond(0)
        .unwrap_or(at)
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| at.unix_timestamp().to_string())
}

/// A FILETIME that reports write as an RFC 3339 string (null where it has none), formatted
/// only when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub FileTime);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0.rfc3339_bytes() {
            Some(bytes) => serializer.serialize_str(std::str::from_utf8(&bytes).unwrap_or("")),
            None => serializer.serialize_none(),
        }
    }
}

impl std::fmt::Display for Timestamp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0.rfc3339_bytes() {
            Some(bytes) => f.write_str(std::str::from_utf8(&bytes).map_err(|_| std::fmt::Error)?),
            None => f.write_str("-"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn unix_epoch_round_trips() {
        let created = FileTime::from_generalized("20261207060248.0Z").unwrap();
        assert_eq!(created.unix_seconds(), Some(1_796_623_368));
        assert_eq!(FileTime(0).unix_seconds(), None);
        let epoch = FileTime(EPOCH_DIFFERENCE_SECS * TICKS_PER_SEC);
        assert_eq!(epoch.to_rfc3339().as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            FileTime::from_datetime(datetime!(1970-01-01 0:00 UTC)),
            epoch
        );
    }

    #[test]
    fn known_ad_value_decodes() {
        // 133000000000000000 is 2022-06-18T04:26:40Z.
        assert_eq!(
            FileTime(133_000_000_000_000_000).to_rfc3339().as_deref(),
            Some("2022-06-18T04:26:40Z")
        );
    }

    #[test]
    fn the_fast_formatter_agrees_with_the_calendar() {
        for at in [
            datetime!(1601-01-01 0:00:01 UTC),
            datetime!(1969-12-31 23:59:59 UTC),
            datetime!(2000-02-29 12:34:56 UTC),
            datetime!(2026-11-21 5:00 UTC),
            datetime!(2100-03-01 0:00 UTC),
            datetime!(9999-12-31 23:59:59 UTC),
        ] {
            assert_eq!(
                FileTime::from_datetime(at).to_rfc3339(),
                Some(rfc3339(at)),
                "{at}"
            );
        }
        assert_eq!(FileTime(i64::MAX).to_rfc3339(), None, "AD's never");
        let json = serde_json::to_string(&[
            Timestamp(FileTime(0)),
            Timestamp(FileTime(133_000_000_000_000_000)),
        ]);
        assert_eq!(json.unwrap(), "[null,\"2022-06-18T04:26:40Z\"]");
    }

    #[test]
    fn zero_and_never_have_no_date() {
        assert_eq!(FileTime(0).to_rfc3339(), None);
        assert_eq!(FileTime(i64::MAX).to_rfc3339(), None);
        assert!(FileTime(0).is_zero());
    }

    #[test]
    fn days_round_down_and_keep_sign() {
        let start = FileTime::from_datetime(datetime!(2026-01-01 0:00 UTC));
        let almost = FileTime::from_datetime(datetime!(2026-01-02 23:59 UTC));
        assert_eq!(start.days_until(almost), 1);
        assert_eq!(almost.days_until(start), -2);
    }
}

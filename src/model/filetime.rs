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
    pub fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub fn from_datetime(at: OffsetDateTime) -> FileTime {
        let ticks = (at.unix_timestamp_nanos() / 100) as i64;
        FileTime(ticks + EPOCH_DIFFERENCE_SECS * TICKS_PER_SEC)
    }

    /// Calendar time, or `None` for zero and for values no calendar can hold (e.g. `i64::MAX`,
    /// AD's "never expires").
    pub fn to_datetime(self) -> Option<OffsetDateTime> {
        if self.0 <= 0 {
            return None;
        }
        let nanos = (self.0 as i128 - (EPOCH_DIFFERENCE_SECS * TICKS_PER_SEC) as i128) * 100;
        OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()
    }

    /// RFC 3339 UTC string, as in every JSON document; `None` where `to_datetime` is `None`.
    pub fn to_rfc3339(self) -> Option<String> {
        self.to_datetime().map(rfc3339)
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn unix_epoch_round_trips() {
        let epoch = FileTime(EPOCH_DIFFERENCE_SECS * TICKS_PER_SEC);
        assert_eq!(epoch.to_datetime(), Some(datetime!(1970-01-01 0:00 UTC)));
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
    fn zero_and_never_have_no_date() {
        assert_eq!(FileTime(0).to_datetime(), None);
        assert_eq!(FileTime(i64::MAX).to_datetime(), None);
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

//! One scan split into parts read at once over several connections. Each part is a range of
//! an attribute every object has exactly one value of, set when it is created and never
//! changed, so each object lies in exactly one part whatever happens to it meanwhile; objects
//! created while the parts are read fall into the last part, which has no upper bound. On one
//! DC the key is `uSNCreated` (its own numbering, indexed); parts spread over several DCs need
//! a key every DC holds alike: `whenCreated`, replicated with the object.

use time::OffsetDateTime;

/// What the parts are ranges of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKey {
    /// The update number of the object's creation on the DC read: one DC only.
    UsnCreated,
    /// The object's creation time, in seconds since 1970: the same on every DC.
    WhenCreated,
}

impl PartKey {
    /// The attribute a filter compares.
    pub fn attribute(self) -> &'static str {
        match self {
            PartKey::UsnCreated => "uSNCreated",
            PartKey::WhenCreated => "whenCreated",
        }
    }

    /// A position as a filter's assertion value: a USN, or a time as AD writes generalized time
    /// (`20261207060248.0Z`; Samba misorders a value without the fraction).
    pub fn value(self, position: u64) -> String {
        match self {
            PartKey::UsnCreated => position.to_string(),
            PartKey::WhenCreated => {
                let at = i64::try_from(position)
                    .ok()
                    .and_then(|secs| OffsetDateTime::from_unix_timestamp(secs).ok())
                    .filter(|at| at.year() <= 9999)
                    .unwrap_or_else(|| time::macros::datetime!(9999-12-31 23:59:59).assume_utc());
                format!(
                    "{:04}{:02}{:02}{:02}{:02}{:02}.0Z",
                    at.year(),
                    u8::from(at.month()),
                    at.day(),
                    at.hour(),
                    at.minute(),
                    at.second()
                )
            }
        }
    }
}

/// The objects whose key is at least `from` (none: any) and below `below` (none: no bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    pub key: PartKey,
    pub from: Option<u64>,
    pub below: Option<u64>,
}

impl Part {
    /// Every object: a scan in one part.
    pub const ALL: Part = Part {
        key: PartKey::UsnCreated,
        from: None,
        below: None,
    };

    /// Whether this part is the whole scan.
    pub fn is_all(self) -> bool {
        self.from.is_none() && self.below.is_none()
    }

    pub fn contains(self, position: u64) -> bool {
        self.from.is_none_or(|from| position >= from)
            && self.below.is_none_or(|below| position < below)
    }
}

/// `parts` ranges of `key` (at least one) that split `lowest..=highest` (about the lowest
/// value among the objects to read, and the highest there can be now) into equal widths; the
/// first has no lower bound, the last no upper one.
pub fn ranges(key: PartKey, lowest: u64, highest: u64, parts: usize) -> Vec<Part> {
    let span = highest.saturating_sub(lowest) + 1;
    let parts = u64::try_from(parts.max(1)).unwrap_or(1).min(span);
    let width = span.div_ceil(parts);
    (0..parts)
        .map(|part| Part {
            key,
            from: (part > 0).then(|| lowest + part * width),
            below: (part + 1 < parts).then(|| lowest + (part + 1) * width),
        })
        .collect()
}

/// The parts of `key` split at `boundaries` (in any order; repeated ones count once): the
/// first has no lower bound, the last no upper one.
pub fn between(key: PartKey, mut boundaries: Vec<u64>) -> Vec<Part> {
    boundaries.sort_unstable();
    boundaries.dedup();
    let starts = std::iter::once(None).chain(boundaries.iter().copied().map(Some));
    let ends = boundaries
        .iter()
        .copied()
        .map(Some)
        .chain(std::iter::once(None));
    starts
        .zip(ends)
        .map(|(from, below)| Part { key, from, below })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_position_lies_in_exactly_one_range() {
        for (lowest, highest, parts) in [
            (0, 0, 4),
            (0, 1, 4),
            (0, 3, 4),
            (2, 4, 4),
            (0, 1_000, 1),
            (10, 1_000, 3),
            (5_000, 99_999, 8),
            (7, 3, 2),
        ] {
            let ranges = ranges(PartKey::UsnCreated, lowest, highest, parts);
            assert!(!ranges.is_empty() && ranges.len() <= parts.max(1));
            assert!(ranges[0].from.is_none() && ranges.last().unwrap().below.is_none());
            // Past the highest too: objects created during the scan.
            for usn in (0..=highest + 10).chain([u64::MAX]) {
                let holding = ranges.iter().filter(|r| r.contains(usn)).count();
                assert_eq!(
                    holding, 1,
                    "usn {usn} of {highest} in {parts} parts: {ranges:?}"
                );
            }
        }
    }

    #[test]
    fn ranges_are_even() {
        let ranges = ranges(PartKey::WhenCreated, 1_000, 1_999, 4);
        assert_eq!(
            ranges.iter().map(|r| (r.from, r.below)).collect::<Vec<_>>(),
            [
                (None, Some(1_250)),
                (Some(1_250), Some(1_500)),
                (Some(1_500), Some(1_750)),
                (Some(1_750), None)
            ]
        );
    }

    #[test]
    fn parts_between_boundaries_hold_each_position_once() {
        for boundaries in [vec![], vec![5], vec![9, 3, 3, 7], vec![0, u64::MAX]] {
            let parts = between(PartKey::WhenCreated, boundaries.clone());
            let mut distinct = boundaries.clone();
            distinct.sort_unstable();
            distinct.dedup();
            assert_eq!(parts.len(), distinct.len() + 1, "{boundaries:?}");
            for position in (0..12).chain([u64::MAX - 1, u64::MAX]) {
                let holding = parts.iter().filter(|p| p.contains(position)).count();
                assert_eq!(holding, 1, "{position} in {parts:?}");
            }
        }
    }

    #[test]
    fn creation_times_are_written_as_ad_compares_them() {
        let key = PartKey::WhenCreated;
        // 2026-12-07 06:02:48 UTC.
        assert_eq!(key.value(1_796_623_368), "20261207060248.0Z");
        assert_eq!(key.value(0), "19700101000000.0Z");
        assert_eq!(key.value(u64::MAX), "99991231235959.0Z");
        assert_eq!(PartKey::UsnCreated.value(4_711), "4711");
        assert_eq!(
            (key.attribute(), PartKey::UsnCreated.attribute()),
            ("whenCreated", "uSNCreated")
        );
    }
}

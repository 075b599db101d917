//! One scan split into parts read at once over several connections, by `uSNCreated`: every
//! object has exactly one, set when it is created and never changed, so each object lies in
//! exactly one part whatever happens to it meanwhile; objects created while the parts are read
//! fall into the last part, which has no upper bound.

/// The objects whose `uSNCreated` is at least `from` (none: any) and below `below` (none: no
/// bound).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsnRange {
    pub from: Option<u64>,
    pub below: Option<u64>,
}

impl UsnRange {
    /// Every object: a scan in one part.
    pub const ALL: UsnRange = UsnRange {
        from: None,
        below: None,
    };

    pub fn contains(self, usn: u64) -> bool {
        self.from.is_none_or(|from| usn >= from) && self.below.is_none_or(|below| usn < below)
    }
}

/// `parts` ranges (at least one) that split `lowest..=highest` (the lowest `uSNCreated` of
/// the objects to read, the DC's `highestCommittedUSN`) into equal widths; the first has no
/// lower bound, the last no upper one.
pub fn usn_ranges(lowest: u64, highest: u64, parts: usize) -> Vec<UsnRange> {
    let span = highest.saturating_sub(lowest) + 1;
    let parts = u64::try_from(parts.max(1)).unwrap_or(1).min(span);
    let width = span.div_ceil(parts);
    (0..parts)
        .map(|part| UsnRange {
            from: (part > 0).then(|| lowest + part * width),
            below: (part + 1 < parts).then(|| lowest + (part + 1) * width),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_usn_lies_in_exactly_one_range() {
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
            let ranges = usn_ranges(lowest, highest, parts);
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
        let ranges = usn_ranges(1_000, 1_999, 4);
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
}

//! Duplicate SPN detection (SPEC §5): every SPN of every object goes into one index keyed by
//! its case-folded, alias-resolved form; keys with more than one holder are duplicates. Built for
//! millions of SPNs: texts live in one arena, and the index is a vector of (key hash, SPN,
//! holder) that is only appended to while accounts stream by, then sorted once (`prepare`), so
//! that duplicates are runs of equal hashes (checked against the keys themselves). The indexes
//! of the parts of a scope are sorted in parallel and walked together, never copied.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;

use super::{Finding, Holder};
use crate::account::Account;
use crate::spn::SpnAliases;

/// A slice of the text arena.
#[derive(Debug, Clone, Copy)]
struct TextRange {
    start: usize,
    len: u32,
}

#[derive(Debug, Clone, Copy)]
struct HolderRecord {
    account: TextRange,
    dn: TextRange,
}

#[derive(Debug, Clone, Copy)]
struct IndexEntry {
    /// Hash of the SPN's key (the same for every index: a fixed seed).
    hash: u64,
    spn: TextRange,
    holder: u32,
}

/// Every SPN seen, with who holds it.
pub struct SpnIndex {
    aliases: SpnAliases,
    text: String,
    holders: Vec<HolderRecord>,
    entries: Vec<IndexEntry>,
    /// Whether `entries` is sorted by hash (queries need it: `prepare`).
    sorted: bool,
    key: String,
}

fn hash_key(key: &str) -> u64 {
    FixedState::default().hash_one(key)
}

impl SpnIndex {
    pub fn new(aliases: SpnAliases) -> SpnIndex {
        SpnIndex::with_size_hint(aliases, 0)
    }

    /// An index sized for an export of `source_bytes` bytes, so that it does not grow (and
    /// copy) while millions of SPNs arrive. The estimate errs high: capacity that is never
    /// written is never resident.
    pub fn with_size_hint(aliases: SpnAliases, source_bytes: u64) -> SpnIndex {
        // An ldifde/ldapsearch export spends at least ~120 bytes per SPN it holds, and holders'
        // names and SPN texts take less than a third of it.
        let spns = usize::try_from(source_bytes / 120).unwrap_or(0);
        let text = usize::try_from(source_bytes / 3).unwrap_or(0);
        SpnIndex {
            aliases,
            text: String::with_capacity(text),
            holders: Vec::with_capacity(spns / 4),
            entries: Vec::with_capacity(spns),
            sorted: true,
            key: String::new(),
        }
    }

    fn store(&mut self, text: &str) -> TextRange {
        let start = self.text.len();
        self.text.push_str(text);
        TextRange {
            start,
            len: text.len() as u32,
        }
    }

    fn text_of(text: &str, range: TextRange) -> &str {
        &text[range.start..range.start + range.len as usize]
    }

    fn spn(&self, entry: &IndexEntry) -> &str {
        Self::text_of(&self.text, entry.spn)
    }

    /// Adds every SPN of `account`.
    pub fn add(&mut self, account: &Account) {
        if account.spns.is_empty() {
            return;
        }
        let holder = self.holders.len() as u32;
        let record = HolderRecord {
            account: self.store(&account.sam_account_name),
            dn: self.store(&account.dn),
        };
        self.holders.push(record);
        for spn in &account.spns {
            let range = self.store(spn);
            self.aliases.key_into(spn, &mut self.key);
            let hash = hash_key(&self.key);
            self.entries.push(IndexEntry {
                hash,
                spn: range,
                holder,
            });
        }
        self.sorted = false;
    }

    /// Sorts the index for queries; cheap when nothing was added since.
    pub fn prepare(&mut self) {
        if !self.sorted {
            self.entries.sort_unstable_by_key(|entry| entry.hash);
            self.sorted = true;
        }
    }

    /// Switches to other aliases (e.g. `sPNMappings` found late in an LDIF), re-keying what
    /// is already indexed.
    pub fn set_aliases(&mut self, aliases: SpnAliases) {
        if aliases == self.aliases {
            return;
        }
        self.aliases = aliases;
        let mut key = String::new();
        for entry in &mut self.entries {
            self.aliases
                .key_into(Self::text_of(&self.text, entry.spn), &mut key);
            entry.hash = hash_key(&key);
        }
        self.sorted = self.entries.is_empty();
    }

    /// The entries whose hash is `hash` (the index must be prepared).
    fn run(&self, hash: u64) -> &[IndexEntry] {
        assert!(self.sorted, "SpnIndex::prepare must run before queries");
        let start = self.entries.partition_point(|entry| entry.hash < hash);
        let len = self.entries[start..].partition_point(|entry| entry.hash == hash);
        &self.entries[start..start + len]
    }

    fn holder(&self, entry: &IndexEntry) -> Holder {
        let record = self.holders[entry.holder as usize];
        Holder {
            account: Self::text_of(&self.text, record.account).to_string(),
            dn: Self::text_of(&self.text, record.dn).to_string(),
            spn: self.spn(entry).to_string(),
        }
    }

    /// Every holder of `spn`'s key (case-insensitive, through aliases).
    pub fn holders_of(&self, spn: &str) -> Vec<Holder> {
        let key = self.aliases.key(spn);
        self.run(hash_key(&key))
            .iter()
            .filter(|entry| self.aliases.key(self.spn(entry)) == key)
            .map(|entry| self.holder(entry))
            .collect()
    }

    /// One `duplicate_spn` finding per key held by more than one object.
    pub fn duplicates(&self) -> Vec<Finding> {
        duplicates_in(std::slice::from_ref(self))
    }

    /// The aliases this index keys by.
    pub fn aliases(&self) -> &SpnAliases {
        &self.aliases
    }
}

/// Duplicates across the indexes of several parts of one scope (each prepared, all with the
/// same aliases): their sorted entries are walked together, so runs of equal hashes span parts
/// and nothing is copied.
pub fn duplicates_in(parts: &[SpnIndex]) -> Vec<Finding> {
    assert!(
        parts.iter().all(|part| part.sorted),
        "SpnIndex::prepare must run before queries"
    );
    let mut cursors = vec![0usize; parts.len()];
    let mut findings = Vec::new();
    let mut members: Vec<(usize, IndexEntry)> = Vec::new();
    loop {
        let next_hash = parts
            .iter()
            .zip(&cursors)
            .filter_map(|(part, &cursor)| part.entries.get(cursor).map(|entry| entry.hash))
            .min();
        let Some(hash) = next_hash else {
            break;
        };
        members.clear();
        for (index, part) in parts.iter().enumerate() {
            while let Some(entry) = part.entries.get(cursors[index])
                && entry.hash == hash
            {
                members.push((index, *entry));
                cursors[index] += 1;
            }
        }
        if members.len() >= 2 {
            report_run(parts, &members, &mut findings);
        }
    }
    findings
}

/// The findings of one run of entries with equal hashes: grouped by their actual key (equal
/// hashes almost always mean equal keys), one finding per key held by several objects.
fn report_run(parts: &[SpnIndex], run: &[(usize, IndexEntry)], findings: &mut Vec<Finding>) {
    let holder_id = |(part, entry): &(usize, IndexEntry)| (*part, entry.holder);
    if run
        .iter()
        .all(|member| holder_id(member) == holder_id(&run[0]))
    {
        return;
    }
    let spn = |(part, entry): &(usize, IndexEntry)| parts[*part].spn(entry).to_string();
    let aliases = parts[0].aliases();
    let mut keyed: Vec<(String, &(usize, IndexEntry))> = run
        .iter()
        .map(|member| (aliases.key(&spn(member)), member))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    for group in keyed.chunk_by(|a, b| a.0 == b.0) {
        let first = group[0].1;
        if group
            .iter()
            .all(|(_, member)| holder_id(member) == holder_id(first))
        {
            continue;
        }
        let first_spn = spn(first);
        let via_alias = group
            .iter()
            .any(|(_, member)| !spn(member).eq_ignore_ascii_case(&first_spn));
        let key = if via_alias {
            group[0].0.clone()
        } else {
            first_spn.to_lowercase()
        };
        let mut holders: Vec<Holder> = group
            .iter()
            .map(|(_, (part, entry))| parts[*part].holder(entry))
            .collect();
        holders.sort();
        findings.push(Finding::DuplicateSpn {
            key,
            via_alias,
            holders,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::account::AccountKind;

    fn holder(sam: &str, kind: AccountKind, spns: &[&str]) -> Account {
        Account {
            kind,
            spns: spns.iter().map(|s| s.to_string()).collect(),
            ..Account::test(sam)
        }
    }

    fn keys(findings: &[Finding]) -> Vec<(String, bool, usize)> {
        let mut keys: Vec<_> = findings
            .iter()
            .map(|finding| match finding {
                Finding::DuplicateSpn {
                    key,
                    via_alias,
                    holders,
                } => (key.clone(), *via_alias, holders.len()),
                other => panic!("{other:?}"),
            })
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn finds_case_variant_user_and_alias_duplicates() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(&holder(
            "PC-DUPA$",
            AccountKind::Computer,
            &["HOST/pc-dupa.x.test", "HOST/PC-DUPA"],
        ));
        index.add(&holder(
            "PC-DUPB$",
            AccountKind::Computer,
            &["host/PC-DUPA.X.TEST"],
        ));
        index.add(&holder(
            "SQL01$",
            AccountKind::Computer,
            &["MSSQLSvc/sql01.x.test:1433"],
        ));
        index.add(&holder(
            "svc-sql",
            AccountKind::User,
            &["MSSQLSvc/sql01.x.test:1433"],
        ));
        index.add(&holder(
            "FILES$",
            AccountKind::Computer,
            &["HOST/files.x.test"],
        ));
        index.add(&holder(
            "svc-files",
            AccountKind::User,
            &["cifs/files.x.test"],
        ));
        index.add(&holder(
            "WEB$",
            AccountKind::Computer,
            &["HTTP/intranet.x.test"],
        ));
        index.prepare();
        assert_eq!(
            keys(&index.duplicates()),
            [
                ("host/files.x.test".to_string(), true, 2),
                ("host/pc-dupa.x.test".to_string(), false, 2),
                ("mssqlsvc/sql01.x.test:1433".to_string(), false, 2),
            ]
        );
    }

    #[test]
    fn holders_are_found_through_aliases() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(&holder("FILES$", AccountKind::Computer, &["HOST/files.x"]));
        index.add(&holder("svc", AccountKind::User, &["cifs/FILES.x"]));
        index.prepare();
        let holders = index.holders_of("http/files.X");
        let mut accounts: Vec<&str> = holders.iter().map(|h| h.account.as_str()).collect();
        accounts.sort();
        assert_eq!(accounts, ["FILES$", "svc"]);
        assert!(index.holders_of("HOST/other.x").is_empty());
    }

    #[test]
    fn duplicates_span_the_indexes_of_several_parts() {
        let mut first = SpnIndex::new(SpnAliases::default());
        first.add(&holder("A$", AccountKind::Computer, &["HOST/x", "HOST/a"]));
        let mut second = SpnIndex::new(SpnAliases::default());
        second.add(&holder("B$", AccountKind::Computer, &["host/X"]));
        second.add(&holder("C$", AccountKind::Computer, &["HOST/a", "HOST/c"]));
        first.prepare();
        second.prepare();
        assert_eq!(
            keys(&duplicates_in(&[first, second])),
            [
                ("host/a".to_string(), false, 2),
                ("host/x".to_string(), false, 2)
            ]
        );
    }

    #[test]
    fn an_alias_pair_on_one_object_is_not_a_duplicate() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(&holder(
            "PC$",
            AccountKind::Computer,
            &["HOST/pc.x", "cifs/pc.x"],
        ));
        index.prepare();
        assert!(index.duplicates().is_empty());
    }

    #[test]
    fn holders_are_reported_with_their_own_spelling() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(&holder("B$", AccountKind::Computer, &["host/PC.X"]));
        index.add(&holder("A$", AccountKind::Computer, &["HOST/pc.x"]));
        index.prepare();
        let Finding::DuplicateSpn { holders, .. } = &index.duplicates()[0] else {
            panic!()
        };
        assert_eq!(holders[0].account, "A$");
        assert_eq!(holders[0].spn, "HOST/pc.x");
        assert_eq!(holders[1].spn, "host/PC.X");
    }

    #[test]
    fn late_mappings_regroup_the_index() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(&holder("A$", AccountKind::Computer, &["HOST/x"]));
        index.add(&holder("B$", AccountKind::User, &["cifs/x"]));
        index.add(&holder("C$", AccountKind::User, &["custom/x"]));
        index.prepare();
        assert_eq!(keys(&index.duplicates()).len(), 1);
        index.set_aliases(SpnAliases::from_mappings(["host=custom"]));
        index.prepare();
        assert_eq!(keys(&index.duplicates()), [("host/x".to_string(), true, 2)]);
    }
}

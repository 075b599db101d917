//! Duplicate SPN detection (SPEC §5): every SPN of every object goes into one index keyed by
//! its case-folded, alias-resolved form; keys with more than one holder are duplicates. Built for
//! millions of SPNs: texts live in one arena, holders of a key form a linked list, and the hash
//! table holds only the first entry of each key (4 bytes), sized up front from the export's size
//! so that it rarely grows (growing recomputes keys from their texts).

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::{Finding, Holder};
use crate::account::Account;
use crate::spn::SpnAliases;

const NO_ENTRY: u32 = u32::MAX;

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
    spn: TextRange,
    holder: u32,
    /// Next entry with the same key, or `NO_ENTRY`.
    next: u32,
}

/// Every SPN seen, grouped by duplicate key.
pub struct SpnIndex {
    aliases: SpnAliases,
    hasher: DefaultHashBuilder,
    text: String,
    holders: Vec<HolderRecord>,
    entries: Vec<IndexEntry>,
    /// The first entry of each key's list.
    groups: HashTable<u32>,
    key: String,
    other_key: String,
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
            hasher: DefaultHashBuilder::default(),
            text: String::with_capacity(text),
            holders: Vec::with_capacity(spns / 4),
            entries: Vec::with_capacity(spns),
            groups: HashTable::with_capacity(spns),
            key: String::new(),
            other_key: String::new(),
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
            self.insert(range, holder);
        }
    }

    fn insert(&mut self, spn: TextRange, holder: u32) {
        let Self {
            aliases,
            hasher,
            text,
            entries,
            groups,
            key,
            other_key,
            ..
        } = self;
        aliases.key_into(Self::text_of(text, spn), key);
        let hash = hasher.hash_one(key.as_str());
        let index = entries.len() as u32;
        let same_key = |&head: &u32| {
            aliases.key_into(Self::text_of(text, entries[head as usize].spn), other_key);
            other_key == key
        };
        let next = match groups.find_mut(hash, same_key) {
            Some(head) => std::mem::replace(head, index),
            None => {
                let rehash = |&head: &u32| {
                    let mut key = String::new();
                    aliases.key_into(Self::text_of(text, entries[head as usize].spn), &mut key);
                    hasher.hash_one(key.as_str())
                };
                groups.insert_unique(hash, index, rehash);
                NO_ENTRY
            }
        };
        entries.push(IndexEntry { spn, holder, next });
    }

    /// Switches to other aliases (e.g. `sPNMappings` found late in an LDIF), regrouping what
    /// is already indexed.
    pub fn set_aliases(&mut self, aliases: SpnAliases) {
        if aliases == self.aliases {
            return;
        }
        self.aliases = aliases;
        self.groups.clear();
        let entries = std::mem::take(&mut self.entries);
        for entry in entries {
            self.insert(entry.spn, entry.holder);
        }
    }

    /// Every holder of `spn`'s key (case-insensitive, through aliases).
    pub fn holders_of(&self, spn: &str) -> Vec<Holder> {
        let key = self.aliases.key(spn);
        let hash = self.hasher.hash_one(key.as_str());
        let Some(&head) = self.groups.find(hash, |&head| {
            self.aliases
                .key(Self::text_of(&self.text, self.entries[head as usize].spn))
                == key
        }) else {
            return Vec::new();
        };
        let mut holders = Vec::new();
        let mut cursor = head;
        while cursor != NO_ENTRY {
            let entry = self.entries[cursor as usize];
            let record = self.holders[entry.holder as usize];
            holders.push(Holder {
                account: Self::text_of(&self.text, record.account).to_string(),
                dn: Self::text_of(&self.text, record.dn).to_string(),
                spn: Self::text_of(&self.text, entry.spn).to_string(),
            });
            cursor = entry.next;
        }
        holders
    }

    /// One `duplicate_spn` finding per key held by more than one object.
    pub fn duplicates(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        for &head in self.groups.iter() {
            let first = self.entries[head as usize];
            if first.next == NO_ENTRY {
                continue;
            }
            let mut members = Vec::new();
            let mut cursor = head;
            while cursor != NO_ENTRY {
                let entry = self.entries[cursor as usize];
                members.push(entry);
                cursor = entry.next;
            }
            if members.iter().all(|entry| entry.holder == first.holder) {
                continue;
            }
            let spn_of = |entry: &IndexEntry| Self::text_of(&self.text, entry.spn);
            let first_spn = spn_of(&first);
            let via_alias = members
                .iter()
                .any(|entry| !spn_of(entry).eq_ignore_ascii_case(first_spn));
            let key = if via_alias {
                self.aliases.key(first_spn)
            } else {
                first_spn.to_lowercase()
            };
            let mut holders: Vec<Holder> = members
                .iter()
                .map(|entry| {
                    let record = self.holders[entry.holder as usize];
                    Holder {
                        account: Self::text_of(&self.text, record.account).to_string(),
                        dn: Self::text_of(&self.text, record.dn).to_string(),
                        spn: spn_of(entry).to_string(),
                    }
                })
                .collect();
            holders.sort();
            findings.push(Finding::DuplicateSpn {
                key,
                via_alias,
                holders,
            });
        }
        findings
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
        let holders = index.holders_of("http/files.X");
        let mut accounts: Vec<&str> = holders.iter().map(|h| h.account.as_str()).collect();
        accounts.sort();
        assert_eq!(accounts, ["FILES$", "svc"]);
        assert!(index.holders_of("HOST/other.x").is_empty());
    }

    #[test]
    fn an_alias_pair_on_one_object_is_not_a_duplicate() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(&holder(
            "PC$",
            AccountKind::Computer,
            &["HOST/pc.x", "cifs/pc.x"],
        ));
        assert!(index.duplicates().is_empty());
    }

    #[test]
    fn holders_are_reported_with_their_own_spelling() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(&holder("B$", AccountKind::Computer, &["host/PC.X"]));
        index.add(&holder("A$", AccountKind::Computer, &["HOST/pc.x"]));
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
        assert_eq!(keys(&index.duplicates()).len(), 1);
        index.set_aliases(SpnAliases::from_mappings(["host=custom"]));
        assert_eq!(keys(&index.duplicates()), [("host/x".to_string(), true, 2)]);
    }
}

//! Duplicate SPN detection (docs/reference.md, "SPN rules"). Two SPNs on two objects collide
//! when the DC would refuse the second one: the same value under the directory's equality
//! (case folded beyond ASCII, spaces folded), or a service class and an `sPNMappings` alias of
//! it (`HOST/x` and `cifs/x`); two aliases (`cifs/x`, `http/x`) never collide. A group
//! collides through an alias (`via_alias`) only when a target and an alias sit on different
//! objects. Findings are reported when one holder is in the reported scope (`-b`), while the
//! index holds every SPN of the domain.
//!
//! Built for millions of SPNs: the index is a vector of (group-key hash, holder, the SPN's
//! number on its holder) that is only appended to while accounts stream by, then sorted once
//! (`prepare`), so that groups are runs of equal hashes (checked against the keys themselves).
//! A holder's names and SPNs are kept in one text arena — or, for an export in memory, not at
//! all: the index keeps where the export holds the holder's record, and `recall` reads again
//! only the holders of runs that may be duplicates (a few, against millions kept otherwise).
//! The indexes of the parts of a scope are sorted in parallel and walked together, never copied.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;

use super::{Finding, Holder};
use crate::model::account::{Account, AccountKind};
use crate::model::spn::{ClassRole, SpnAliases};
use crate::model::text;

/// A slice of the text arena.
#[derive(Debug, Clone, Copy)]
struct TextRange {
    start: usize,
    len: u32,
}

/// Where an account's SPNs and names are, as it is added to the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpnTexts {
    /// Copied into the index.
    Kept,
    /// In the source at this offset, where `recall`'s reader finds the account again.
    At(u64),
}

/// A holder kept in the arena: its sAMAccountName, DN and SPNs (`first_spn..` of `spn_ranges`).
#[derive(Debug, Clone, Copy)]
struct KeptHolder {
    account: Option<TextRange>,
    dn: TextRange,
    first_spn: usize,
    spns: u32,
}

/// Where a holder's texts are: `kept[n]`, or the source (until `recall`).
#[derive(Debug, Clone, Copy)]
enum HolderTexts {
    Kept(u32),
    At(u64),
}

#[derive(Debug, Clone, Copy)]
struct HolderRecord {
    texts: HolderTexts,
    kind: Option<AccountKind>,
    /// Whether the holder is in the reported scope.
    in_scope: bool,
}

/// The class role, kept in the top bits of an entry's holder number.
const ROLE_SHIFT: u32 = 30;
const HOLDER_MASK: u32 = (1 << ROLE_SHIFT) - 1;

#[derive(Debug, Clone, Copy)]
struct IndexEntry {
    /// Hash of the SPN's group key (the same for every index: a fixed seed).
    hash: u64,
    /// The holder's number, and the SPN's class role above `ROLE_SHIFT`.
    holder_role: u32,
    /// Which of the holder's SPNs (its position among them).
    spn: u32,
}

impl IndexEntry {
    fn holder(self) -> usize {
        (self.holder_role & HOLDER_MASK) as usize
    }

    fn role(self) -> ClassRole {
        match self.holder_role >> ROLE_SHIFT {
            1 => ClassRole::Target,
            2 => ClassRole::Alias,
            _ => ClassRole::Plain,
        }
    }
}

fn role_bits(role: ClassRole) -> u32 {
    match role {
        ClassRole::Plain => 0,
        ClassRole::Target => 1,
        ClassRole::Alias => 2,
    }
}

/// An SPN that is not plain ASCII: its normalized form, its holder and its text.
struct Unusual {
    form: String,
    holder: u32,
    number: u32,
    spn: String,
}

/// Every SPN seen, with who holds it.
pub struct SpnIndex {
    aliases: SpnAliases,
    text: String,
    kept: Vec<KeptHolder>,
    spn_ranges: Vec<TextRange>,
    holders: Vec<HolderRecord>,
    entries: Vec<IndexEntry>,
    /// Whether `entries` is sorted by hash (queries need it: `prepare`).
    sorted: bool,
    /// The holders in the source numbered below this lost their entries to new aliases:
    /// `recall` keys them again.
    unkeyed: usize,
    key: String,
    /// Only these can look like another SPN the DC holds as different (`confusable_spn`).
    unusual: Vec<Unusual>,
}

fn hash_key(key: &str) -> u64 {
    FixedState::default().hash_one(key)
}

/// Reads an account again where the source holds it (`SpnTexts::At`); why it cannot.
pub type Reread<'a> = dyn Fn(u64) -> Result<Account, String> + 'a;

impl SpnIndex {
    pub fn new(aliases: SpnAliases) -> SpnIndex {
        SpnIndex::with_size_hint(aliases, 0)
    }

    /// An index of every SPN of `accounts` (each with whether it is in scope), prepared.
    pub fn of(accounts: &[(Account, bool)], aliases: SpnAliases) -> SpnIndex {
        let mut index = SpnIndex::new(aliases);
        accounts
            .iter()
            .for_each(|(account, _)| index.add(account, true, SpnTexts::Kept));
        index.prepare();
        index
    }

    /// An index sized for an export of `source_bytes` bytes, so that it does not grow (and
    /// copy) while millions of SPNs arrive. The estimate errs high: capacity that is never
    /// written is never resident.
    pub fn with_size_hint(aliases: SpnAliases, source_bytes: u64) -> SpnIndex {
        // An ldifde/ldapsearch export spends at least ~120 bytes per SPN it holds.
        let spns = usize::try_from(source_bytes / 120).unwrap_or(0);
        SpnIndex {
            aliases,
            text: String::new(),
            kept: Vec::new(),
            spn_ranges: Vec::new(),
            holders: Vec::with_capacity(spns / 4),
            entries: Vec::with_capacity(spns),
            sorted: true,
            unkeyed: 0,
            key: String::new(),
            unusual: Vec::new(),
        }
    }

    fn store(&mut self, text: &str) -> TextRange {
        let start = self.text.len();
        self.text.push_str(text);
        TextRange {
            start,
            len: u32::try_from(text.len()).unwrap_or(u32::MAX),
        }
    }

    fn text_of(text: &str, range: TextRange) -> &str {
        &text[range.start..range.start + range.len as usize]
    }

    /// The texts of a holder, which must be kept (or recalled).
    fn kept(&self, holder: usize) -> &KeptHolder {
        match self.holders[holder].texts {
            HolderTexts::Kept(kept) => &self.kept[kept as usize],
            HolderTexts::At(_) => panic!("SpnIndex::recall must run before a holder is read"),
        }
    }

    fn spn(&self, entry: &IndexEntry) -> &str {
        let kept = self.kept(entry.holder());
        Self::text_of(
            &self.text,
            self.spn_ranges[kept.first_spn + entry.spn as usize],
        )
    }

    /// Adds every SPN of `account`; `in_scope` says whether its duplicates are reported,
    /// `texts` whether the index keeps its texts or reads them again from the source.
    pub fn add(&mut self, account: &Account, in_scope: bool, texts: SpnTexts) {
        if account.spns.is_empty() {
            return;
        }
        let holder = u32::try_from(self.holders.len())
            .ok()
            .filter(|holder| *holder <= HOLDER_MASK)
            .expect("fewer than 2^30 SPN holders in one index");
        let texts = match texts {
            SpnTexts::Kept => HolderTexts::Kept(self.keep(account)),
            SpnTexts::At(at) => HolderTexts::At(at),
        };
        self.holders.push(HolderRecord {
            texts,
            kind: account.kind,
            in_scope,
        });
        for (number, spn) in account.spns.iter().enumerate() {
            self.push_entries(spn, holder, number as u32);
            if !spn.is_ascii() {
                self.unusual.push(Unusual {
                    form: normalized(spn),
                    holder,
                    number: number as u32,
                    spn: spn.clone(),
                });
            }
        }
        self.sorted = false;
    }

    /// Copies the texts of `account` into the arena; their number in `kept`.
    fn keep(&mut self, account: &Account) -> u32 {
        let account_name = account
            .sam_account_name
            .as_deref()
            .map(|sam| self.store(sam));
        let dn = self.store(&account.dn);
        let first_spn = self.spn_ranges.len();
        for spn in &account.spns {
            let range = self.store(spn);
            self.spn_ranges.push(range);
        }
        self.kept.push(KeptHolder {
            account: account_name,
            dn,
            first_spn,
            spns: account.spns.len() as u32,
        });
        u32::try_from(self.kept.len() - 1).expect("fewer than 2^32 kept holders")
    }

    /// Indexes `spn`, the holder's SPN number `number`, under each of its group keys.
    fn push_entries(&mut self, spn: &str, holder: u32, number: u32) {
        let SpnIndex {
            aliases,
            entries,
            key,
            ..
        } = self;
        aliases.group_keys(spn, key, |group, role| {
            entries.push(IndexEntry {
                hash: hash_key(group),
                holder_role: holder | (role_bits(role) << ROLE_SHIFT),
                spn: number,
            });
        });
    }

    /// Sorts the index for queries; cheap when nothing was added since.
    pub fn prepare(&mut self) {
        if !self.sorted {
            self.entries.sort_unstable_by_key(|entry| entry.hash);
            self.sorted = true;
        }
    }

    /// Switches to other aliases (e.g. `sPNMappings` found late in an LDIF), re-keying what
    /// is already indexed: kept holders now, holders in the source when `recall` reads them.
    pub fn set_aliases(&mut self, aliases: SpnAliases) {
        if aliases == self.aliases {
            return;
        }
        self.aliases = aliases;
        let mut indexed = std::mem::take(&mut self.entries);
        indexed.sort_unstable_by_key(|entry| (entry.holder(), entry.spn));
        indexed.dedup_by_key(|entry| (entry.holder(), entry.spn));
        for entry in indexed {
            match self.holders[entry.holder()].texts {
                HolderTexts::Kept(_) => {
                    let spn = self.spn(&entry).to_string();
                    self.push_entries(&spn, entry.holder() as u32, entry.spn);
                }
                // Keyed again when `recall` reads it.
                HolderTexts::At(_) => self.unkeyed = self.holders.len(),
            }
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
        let kept = self.kept(entry.holder());
        Holder {
            account: kept
                .account
                .map(|range| Self::text_of(&self.text, range).to_string()),
            dn: Self::text_of(&self.text, kept.dn).to_string(),
            spn: self.spn(entry).to_string(),
            kind: self.holders[entry.holder()].kind,
        }
    }

    /// Every holder of an SPN that stands in the way of `spn` (the same SPN, or a target and an
    /// alias of it), as the DC decides.
    pub fn holders_of(&self, spn: &str) -> Vec<Holder> {
        let mut found: Vec<&IndexEntry> = self
            .hashes_of(spn)
            .into_iter()
            .flat_map(|hash| self.run(hash))
            .filter(|entry| self.aliases.collide(spn, self.spn(entry)))
            .collect();
        found.sort_by_key(|entry| (entry.holder(), entry.spn));
        found.dedup_by_key(|entry| (entry.holder(), entry.spn));
        found.into_iter().map(|entry| self.holder(entry)).collect()
    }

    /// The hashes of the group keys of `spn`.
    fn hashes_of(&self, spn: &str) -> Vec<u64> {
        let mut hashes = Vec::new();
        self.aliases
            .group_keys(spn, &mut String::new(), |group, _| {
                hashes.push(hash_key(group))
            });
        hashes
    }

    /// One `duplicate_spn` finding per colliding group with a holder in scope.
    pub fn duplicates(&self) -> Vec<Finding> {
        duplicates_in(std::slice::from_ref(self), None)
    }

    /// The aliases this index keys by.
    pub fn aliases(&self) -> &SpnAliases {
        &self.aliases
    }

    /// Reads again, with `reread`, every holder in the source whose entries were dropped for
    /// new aliases, and indexes its SPNs anew.
    fn key_again(&mut self, reread: &Reread) -> Result<(), String> {
        for holder in 0..std::mem::take(&mut self.unkeyed) {
            if let HolderTexts::At(at) = self.holders[holder].texts {
                for (number, spn) in reread(at)?.spns.iter().enumerate() {
                    self.push_entries(spn, holder as u32, number as u32);
                }
                self.sorted = false;
            }
        }
        Ok(())
    }

    /// Reads holder `holder` again and keeps its texts.
    fn recall_holder(&mut self, holder: usize, reread: &Reread) -> Result<(), String> {
        let HolderTexts::At(at) = self.holders[holder].texts else {
            return Ok(());
        };
        let account = reread(at)?;
        let kept = self.keep(&account);
        self.holders[holder].texts = HolderTexts::Kept(kept);
        Ok(())
    }
}

/// Gets the indexes of the parts of one scope ready for `duplicates_in` and `confusables_in`:
/// keyed and sorted, with the texts of every holder those can name read again from the source
/// (the holders of runs of equal hashes on several objects, of non-ASCII SPNs, and of what
/// those look like), each checked to still hold the SPNs indexed for it.
///
/// Returns the hashes of the runs held by more than one holder, in order, when it walked the
/// index for them: `duplicates_in` needs only those while the index stays as it is.
pub fn recall(parts: &mut [SpnIndex], reread: &Reread) -> Result<Option<Vec<u64>>, String> {
    for part in parts.iter_mut() {
        part.key_again(reread)?;
        part.prepare();
    }
    let in_source = |part: &SpnIndex| {
        (part.holders.iter()).any(|holder| matches!(holder.texts, HolderTexts::At(_)))
    };
    if !parts.iter().any(in_source) {
        return Ok(None); // Every text kept (a DC, standard input): nothing to read again.
    }
    let mut wanted: Vec<(usize, IndexEntry)> = Vec::new();
    let mut shared = Vec::new();
    for_each_run(parts, |members| {
        if !single_holder(members) {
            shared.push(members[0].entry.hash);
            wanted.extend(members.iter().map(|member| (member.part, member.entry)));
        }
    });
    for (index, part) in parts.iter().enumerate() {
        for unusual in &part.unusual {
            // What it looks like, wherever it is held; and the look-alike itself.
            for (other_index, other) in parts.iter().enumerate() {
                let hashes = part.hashes_of(&unusual.form);
                let runs = hashes.into_iter().flat_map(|hash| other.run(hash));
                wanted.extend(runs.map(|entry| (other_index, *entry)));
            }
            let own = part.hashes_of(&unusual.spn);
            let own = own.into_iter().flat_map(|hash| part.run(hash));
            wanted.extend(
                own.filter(|entry| {
                    entry.holder() == unusual.holder as usize && entry.spn == unusual.number
                })
                .map(|entry| (index, *entry)),
            );
        }
    }
    wanted.sort_unstable_by_key(|(part, entry)| (*part, entry.holder(), entry.spn));
    wanted.dedup_by_key(|(part, entry)| (*part, entry.holder(), entry.spn));
    for (part, entry) in wanted {
        let index = &mut parts[part];
        index.recall_holder(entry.holder(), reread)?;
        let kept = index.kept(entry.holder());
        let still_held =
            entry.spn < kept.spns && index.hashes_of(index.spn(&entry)).contains(&entry.hash);
        if !still_held {
            return Err("the export changed while it was read: read it again".into());
        }
    }
    Ok(Some(shared))
}

/// An SPN as a person reads it: Unicode NFKC (fullwidth and other compatibility forms become
/// plain), without invisible or bidirectional characters, lower-cased.
pub fn normalized(spn: &str) -> String {
    let nfkc = icu_normalizer::ComposingNormalizerBorrowed::new_nfkc().normalize(spn);
    nfkc.chars()
        .filter(|c| !invisible(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Characters that show nothing, or only change the direction of what follows: default
/// ignorable code points and the bidirectional controls.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}' | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// Look-alike SPNs across the parts of one scope: each SPN that is not plain ASCII, against
/// every SPN equal to its normalized form and every other such SPN with the same form — the
/// DC holding them as different (an SPN the DC takes as the same is a duplicate, not this).
/// One finding per normalized form with an unusual holder in scope. Costs nothing when every
/// SPN is ASCII.
pub fn confusables_in(parts: &[SpnIndex]) -> Vec<Finding> {
    let mut groups: std::collections::BTreeMap<&str, Vec<Holder>> = Default::default();
    let unusual = parts
        .iter()
        .flat_map(|part| part.unusual.iter().map(move |u| (part, u)));
    for (part, unusual) in unusual {
        if !part.holders[unusual.holder as usize].in_scope {
            continue;
        }
        let (form, spn) = (&unusual.form, unusual.spn.as_str());
        let mut holders: Vec<Holder> = parts.iter().flat_map(|p| p.holders_of(form)).collect();
        for (other_part, other) in parts
            .iter()
            .flat_map(|p| p.unusual.iter().map(move |u| (p, u)))
        {
            if &other.form == form {
                let entry = IndexEntry {
                    hash: 0,
                    holder_role: other.holder,
                    spn: other.number,
                };
                holders.push(other_part.holder(&entry));
            }
        }
        // Those the DC takes as this very SPN are duplicates (or itself), not look-alikes.
        let looks_alike = holders.iter().any(|h| !part.aliases.collide(spn, &h.spn));
        if looks_alike {
            groups.entry(form.as_str()).or_default().extend(holders);
        }
    }
    groups
        .into_iter()
        .map(|(form, mut holders)| {
            holders.sort();
            holders.dedup();
            Finding::ConfusableSpn {
                key: form.to_string(),
                holders,
            }
        })
        .collect()
}

/// Duplicates across the indexes of several parts of one scope (each prepared, all with the
/// same aliases, holders in the source recalled): their sorted entries are walked together, so
/// runs of equal hashes span parts and nothing is copied. `shared`: what `recall` returned, if
/// the index has not changed since (then only those runs are looked at).
pub fn duplicates_in(parts: &[SpnIndex], shared: Option<&[u64]>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut report = |members: &[Member]| {
        if !single_holder(members) {
            report_run(parts, members, &mut findings);
        }
    };
    match shared {
        // The runs `recall` found held by several holders: looked up, not walked to.
        Some(hashes) => {
            let mut members = Vec::new();
            for &hash in hashes {
                members.clear();
                for (index, part) in parts.iter().enumerate() {
                    let run = part.run(hash).iter();
                    members.extend(run.map(|entry| Member {
                        part: index,
                        entry: *entry,
                    }));
                }
                report(&members);
            }
        }
        None => for_each_run(parts, report),
    }
    findings
}

/// Hands each run of two or more entries with equal hashes, across the parts, to `each`
/// (what both duplicates and the holders to read again are made of); an SPN indexed once is
/// passed over without being gathered. A large index is walked in two halves of the hash
/// space at once, on two cores (the runs handed over in order all the same).
fn for_each_run(parts: &[SpnIndex], mut each: impl FnMut(&[Member])) {
    assert!(
        parts.iter().all(|part| part.sorted && part.unkeyed == 0),
        "SpnIndex::prepare (and recall, after new aliases) must run before queries"
    );
    let entries: Vec<&[IndexEntry]> = parts.iter().map(|part| &part.entries[..]).collect();
    let total: usize = entries.iter().map(|entries| entries.len()).sum();
    for runs in &walk(&entries, total >= WALKED_IN_HALVES) {
        let mut start = 0;
        for &end in &runs.ends {
            each(&runs.members[start..end]);
            start = end;
        }
    }
}

/// Entries at least this many are walked in two halves (`for_each_run`).
const WALKED_IN_HALVES: usize = 1 << 20;

/// The runs of the parts' entries, in order: in one walk, or `in_halves`, the hash space's
/// two halves each walked on a core of its own.
fn walk(entries: &[&[IndexEntry]], in_halves: bool) -> Vec<Runs> {
    if !in_halves {
        return vec![runs_in(entries)];
    }
    let middle = 1 << 63;
    let (low, high): (Vec<_>, Vec<_>) = (entries.iter())
        .map(|entries| entries.split_at(entries.partition_point(|entry| entry.hash < middle)))
        .unzip();
    std::thread::scope(|scope| {
        let high = scope.spawn(|| runs_in(&high));
        let low = runs_in(&low);
        let high = (high.join()).unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        vec![low, high]
    })
}

/// The runs of one stretch of each part: their members, one run after another, and where
/// each run ends among them.
#[derive(Default)]
struct Runs {
    members: Vec<Member>,
    ends: Vec<usize>,
}

/// The runs of two or more entries with equal hashes across `parts` (each sorted), the
/// entries of part `i` numbered as part `i`'s.
fn runs_in(parts: &[&[IndexEntry]]) -> Runs {
    let mut runs = Runs::default();
    let mut cursors = vec![0usize; parts.len()];
    let mut starts = cursors.clone();
    loop {
        let next_hash = (parts.iter().zip(&cursors))
            .filter_map(|(entries, &cursor)| entries.get(cursor).map(|entry| entry.hash))
            .min();
        let Some(hash) = next_hash else {
            return runs;
        };
        starts.copy_from_slice(&cursors);
        let mut count = 0;
        for (entries, cursor) in parts.iter().zip(&mut cursors) {
            let run = (entries[*cursor..].iter())
                .take_while(|entry| entry.hash == hash)
                .count();
            *cursor += run;
            count += run;
        }
        if count < 2 {
            continue;
        }
        for (index, entries) in parts.iter().enumerate() {
            let run = &entries[starts[index]..cursors[index]];
            runs.members.extend(run.iter().map(|entry| Member {
                part: index,
                entry: *entry,
            }));
        }
        runs.ends.push(runs.members.len());
    }
}

/// One SPN of a run, and where it is indexed.
#[derive(Clone, Copy)]
struct Member {
    part: usize,
    entry: IndexEntry,
}

impl Member {
    fn holder_id(self) -> (usize, usize) {
        (self.part, self.entry.holder())
    }
}

fn single_holder(members: &[Member]) -> bool {
    members
        .iter()
        .all(|member| member.holder_id() == members[0].holder_id())
}

/// The findings of one run of entries with equal hashes: grouped by their actual group key
/// (equal hashes almost always mean equal keys), then judged by the collision rule.
fn report_run(parts: &[SpnIndex], run: &[Member], findings: &mut Vec<Finding>) {
    let spn = |member: &Member| parts[member.part].spn(&member.entry);
    let aliases = parts[0].aliases();
    let mut scratch = String::new();
    // Each member's key in this run: the one of its group keys with the run's hash.
    let mut keyed: Vec<(String, &Member)> = run
        .iter()
        .map(|member| {
            let mut found = String::new();
            aliases.group_keys(spn(member), &mut scratch, |group, _| {
                if found.is_empty() && hash_key(group) == member.entry.hash {
                    found = group.to_string();
                }
            });
            (found, member)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    for group in keyed.chunk_by(|a, b| a.0 == b.0) {
        let members: Vec<Member> = group.iter().map(|(_, member)| **member).collect();
        if single_holder(&members) {
            continue;
        }
        let alias_collision = members.iter().any(|target| {
            target.entry.role() == ClassRole::Target
                && members.iter().any(|alias| {
                    alias.entry.role() == ClassRole::Alias
                        && alias.holder_id() != target.holder_id()
                })
        });
        if alias_collision {
            push_finding(parts, text::display(&group[0].0), true, &members, findings);
            continue;
        }
        // No alias collision: the same SPN on several objects, compared exactly (folded).
        let mut exact: Vec<(String, Member)> = members
            .iter()
            .map(|member| (text::fold(spn(member)), *member))
            .collect();
        exact.sort_by(|a, b| a.0.cmp(&b.0));
        for same in exact.chunk_by(|a, b| a.0 == b.0) {
            let same_members: Vec<Member> = same.iter().map(|(_, member)| *member).collect();
            if !single_holder(&same_members) {
                push_finding(
                    parts,
                    text::display(&same[0].0),
                    false,
                    &same_members,
                    findings,
                );
            }
        }
    }
}

fn push_finding(
    parts: &[SpnIndex],
    key: String,
    via_alias: bool,
    members: &[Member],
    findings: &mut Vec<Finding>,
) {
    let in_scope = members
        .iter()
        .any(|member| parts[member.part].holders[member.entry.holder()].in_scope);
    if !in_scope {
        return;
    }
    let mut holders: Vec<Holder> = members
        .iter()
        .map(|member| parts[member.part].holder(&member.entry))
        .collect();
    holders.sort();
    findings.push(Finding::DuplicateSpn {
        key,
        via_alias,
        holders,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder(sam: &str, kind: AccountKind, spns: &[&str]) -> Account {
        Account {
            kind: Some(kind),
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

    fn index_of(accounts: &[Account]) -> SpnIndex {
        let mut index = SpnIndex::new(SpnAliases::default());
        for account in accounts {
            index.add(account, true, SpnTexts::Kept);
        }
        index.prepare();
        index
    }

    #[test]
    fn look_alikes_are_found_and_the_dcs_own_equality_is_left_to_duplicates() {
        let real = holder("PC$", AccountKind::Computer, &["HOST/pc.x.test", "HOST/PC"]);
        let fullwidth = holder(
            "EVIL$",
            AccountKind::Computer,
            &["HOST/\u{ff50}\u{ff43}.x.test"],
        );
        let hidden = holder("SNEAK$", AccountKind::User, &["HOST/p\u{200b}c.x.test"]);
        let bidi = holder("BIDI$", AccountKind::User, &["HOST/\u{202e}pc.x.test"]);
        let index = index_of(&[real, fullwidth, hidden, bidi]);
        let found = confusables_in(std::slice::from_ref(&index));
        assert_eq!(found.len(), 1, "{found:?}");
        let Finding::ConfusableSpn { key, holders } = &found[0] else {
            panic!("{found:?}");
        };
        assert_eq!(key, "host/pc.x.test");
        let names: Vec<&str> = holders
            .iter()
            .map(|h| h.account.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["BIDI$", "EVIL$", "PC$", "SNEAK$"]);
        // A case variant is the DC's duplicate, not a look-alike; plain ASCII costs nothing.
        let case = index_of(&[
            holder("A$", AccountKind::Computer, &["HOST/pc.x.test"]),
            holder("B$", AccountKind::Computer, &["host/PC.X.TEST"]),
        ]);
        assert!(confusables_in(std::slice::from_ref(&case)).is_empty());
        assert!(case.unusual.is_empty());
        // One non-ASCII SPN with nothing like it: no finding.
        let alone = index_of(&[holder(
            "B\u{dc}RO$",
            AccountKind::Computer,
            &["HOST/b\u{fc}ro"],
        )]);
        assert!(confusables_in(std::slice::from_ref(&alone)).is_empty());
        assert_eq!(normalized("HOST/\u{ff30}C\u{200d}01"), "host/pc01");
    }

    #[test]
    fn finds_case_variant_user_and_alias_duplicates() {
        let index = index_of(&[
            holder(
                "PC-DUPA$",
                AccountKind::Computer,
                &["HOST/pc-dupa.x.test", "HOST/PC-DUPA"],
            ),
            holder("PC-DUPB$", AccountKind::Computer, &["host/PC-DUPA.X.TEST"]),
            holder(
                "SQL01$",
                AccountKind::Computer,
                &["MSSQLSvc/sql01.x.test:1433"],
            ),
            holder(
                "svc-sql",
                AccountKind::User,
                &["MSSQLSvc/sql01.x.test:1433"],
            ),
            holder("FILES$", AccountKind::Computer, &["HOST/files.x.test"]),
            holder("svc-files", AccountKind::User, &["cifs/files.x.test"]),
            holder("WEB$", AccountKind::Computer, &["HTTP/intranet.x.test"]),
        ]);
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
    fn the_directory_equality_decides() {
        let index = index_of(&[
            holder(
                "A$",
                AccountKind::Computer,
                &["HOST/x ", "HOST/BÜRO", "HOST/y."],
            ),
            holder(
                "B$",
                AccountKind::Computer,
                &["host/x", "host/büro", "HOST/y"],
            ),
        ]);
        assert_eq!(
            keys(&index.duplicates()),
            [
                ("host/büro".to_string(), false, 2),
                ("host/x".to_string(), false, 2)
            ]
        );
    }

    #[test]
    fn two_aliases_are_no_duplicate_but_the_same_alias_is() {
        let index = index_of(&[
            holder("A$", AccountKind::Computer, &["cifs/web.x", "http/app.x"]),
            holder("B$", AccountKind::Computer, &["http/web.x", "HTTP/app.x"]),
        ]);
        assert_eq!(
            keys(&index.duplicates()),
            [("http/app.x".to_string(), false, 2)]
        );
    }

    #[test]
    fn a_class_mapped_twice_collides_as_the_dc_checks_it() {
        // cifs resolves to host (first mapping), but http's mapping lists cifs: the DC checks
        // cifs/y before it adds http/y, and refuses it.
        let mut index = SpnIndex::new(SpnAliases::from_mappings(["host=cifs", "http=cifs"]));
        index.add(
            &holder("A$", AccountKind::Computer, &["host/x"]),
            true,
            SpnTexts::Kept,
        );
        index.add(
            &holder("B$", AccountKind::Computer, &["cifs/x"]),
            true,
            SpnTexts::Kept,
        );
        index.add(
            &holder("C$", AccountKind::Computer, &["http/y", "http/z"]),
            true,
            SpnTexts::Kept,
        );
        index.add(
            &holder("D$", AccountKind::Computer, &["cifs/y", "host/z"]),
            true,
            SpnTexts::Kept,
        );
        index.prepare();
        let mut found = keys(&index.duplicates());
        found.dedup();
        assert_eq!(
            found,
            [
                ("host/x".to_string(), true, 2),
                ("http/y".to_string(), true, 2)
            ],
            "http/z and host/z: two targets, no alias between them"
        );
    }

    #[test]
    fn holders_are_found_through_aliases_but_not_between_aliases() {
        let index = index_of(&[
            holder("FILES$", AccountKind::Computer, &["HOST/files.x"]),
            holder("svc", AccountKind::User, &["cifs/FILES.x"]),
        ]);
        let mut accounts: Vec<String> = index
            .holders_of("host/files.X")
            .into_iter()
            .filter_map(|h| h.account)
            .collect();
        accounts.sort();
        assert_eq!(accounts, ["FILES$", "svc"]);
        let via_http: Vec<_> = index
            .holders_of("http/files.x")
            .into_iter()
            .map(|h| h.dn)
            .collect();
        assert_eq!(via_http, ["CN=FILES,DC=x"], "http/ meets HOST/, not cifs/");
        assert!(index.holders_of("HOST/other.x").is_empty());
    }

    #[test]
    fn duplicates_span_the_indexes_of_several_parts() {
        let mut first = SpnIndex::new(SpnAliases::default());
        first.add(
            &holder("A$", AccountKind::Computer, &["HOST/x", "HOST/a"]),
            true,
            SpnTexts::Kept,
        );
        let mut second = SpnIndex::new(SpnAliases::default());
        second.add(
            &holder("B$", AccountKind::Computer, &["host/X"]),
            true,
            SpnTexts::Kept,
        );
        second.add(
            &holder("C$", AccountKind::Computer, &["HOST/a", "HOST/c"]),
            true,
            SpnTexts::Kept,
        );
        first.prepare();
        second.prepare();
        assert_eq!(
            keys(&duplicates_in(&[first, second], None)),
            [
                ("host/a".to_string(), false, 2),
                ("host/x".to_string(), false, 2)
            ]
        );
    }

    #[test]
    fn the_index_walked_in_halves_gives_the_runs_of_one_walk() {
        // Hundreds of SPNs, hashed across the whole space; every fifth held by five accounts
        // of both parts (twice by one of them).
        let mut parts = [SpnAliases::default(), SpnAliases::default()].map(SpnIndex::new);
        for n in 0..600 {
            let spns = [format!("HOST/pc{n}"), format!("HOST/pc{}", n / 5 * 5)];
            let spns: Vec<&str> = spns.iter().map(String::as_str).collect();
            let account = holder(&format!("PC{n}$"), AccountKind::Computer, &spns);
            parts[n % 2].add(&account, true, SpnTexts::Kept);
        }
        parts.iter_mut().for_each(SpnIndex::prepare);
        let entries: Vec<&[IndexEntry]> = parts.iter().map(|part| &part.entries[..]).collect();
        let flat = |walked: Vec<Runs>| -> Vec<Vec<(usize, u64, usize, u32)>> {
            let mut runs = Vec::new();
            for half in walked {
                let mut start = 0;
                for end in half.ends {
                    let members = half.members[start..end].iter();
                    runs.push(
                        members
                            .map(|m| (m.part, m.entry.hash, m.entry.holder(), m.entry.spn))
                            .collect(),
                    );
                    start = end;
                }
            }
            runs
        };
        let whole = flat(walk(&entries, false));
        assert!(whole.len() >= 100, "{} runs", whole.len());
        let high = whole.iter().filter(|run| run[0].1 >= 1 << 63).count();
        assert!(high > 20 && whole.len() - high > 20, "runs in both halves");
        assert_eq!(flat(walk(&entries, true)), whole);
    }

    #[test]
    fn only_groups_with_a_holder_in_scope_are_reported() {
        let mut index = SpnIndex::new(SpnAliases::default());
        index.add(
            &holder("IN$", AccountKind::Computer, &["HOST/a"]),
            true,
            SpnTexts::Kept,
        );
        index.add(
            &holder("OUT1$", AccountKind::Computer, &["HOST/a", "HOST/b"]),
            false,
            SpnTexts::Kept,
        );
        index.add(
            &holder("OUT2$", AccountKind::Computer, &["HOST/b"]),
            false,
            SpnTexts::Kept,
        );
        index.prepare();
        assert_eq!(
            keys(&index.duplicates()),
            [("host/a".to_string(), false, 2)]
        );
    }

    #[test]
    fn holders_without_a_name_are_named_by_their_dn() {
        let nameless = Account {
            sam_account_name: None,
            kind: None,
            ..holder("X$", AccountKind::Computer, &["HOST/a"])
        };
        let index = index_of(&[nameless, holder("Y$", AccountKind::Computer, &["HOST/a"])]);
        let Finding::DuplicateSpn { holders, .. } = &index.duplicates()[0] else {
            panic!()
        };
        assert_eq!(holders[0].account, None);
        assert_eq!(holders[0].dn, "CN=X,DC=x");
    }

    #[test]
    fn an_alias_pair_on_one_object_is_not_a_duplicate() {
        let index = index_of(&[holder(
            "PC$",
            AccountKind::Computer,
            &["HOST/pc.x", "cifs/pc.x"],
        )]);
        assert!(index.duplicates().is_empty());
    }

    #[test]
    fn holders_are_reported_with_their_own_spelling() {
        let index = index_of(&[
            holder("B$", AccountKind::Computer, &["host/PC.X"]),
            holder("A$", AccountKind::Computer, &["HOST/pc.x"]),
        ]);
        let Finding::DuplicateSpn { holders, .. } = &index.duplicates()[0] else {
            panic!()
        };
        assert_eq!(holders[0].account.as_deref(), Some("A$"));
        assert_eq!(holders[0].spn, "HOST/pc.x");
        assert_eq!(holders[1].spn, "host/PC.X");
    }

    #[test]
    fn late_mappings_regroup_the_index() {
        let mut index = index_of(&[
            holder("A$", AccountKind::Computer, &["HOST/x"]),
            holder("B$", AccountKind::User, &["cifs/x"]),
            holder("C$", AccountKind::User, &["custom/x"]),
        ]);
        assert_eq!(keys(&index.duplicates()).len(), 1);
        index.set_aliases(SpnAliases::from_mappings(["host=custom"]));
        index.prepare();
        assert_eq!(keys(&index.duplicates()), [("host/x".to_string(), true, 2)]);
    }

    /// Each account `n` added as held in the source at offset `n`, and a reader of them that
    /// counts what it reads.
    fn in_source(accounts: &[Account], index: &mut SpnIndex, from: usize) {
        for (n, account) in accounts.iter().enumerate() {
            index.add(account, true, SpnTexts::At((from + n) as u64));
        }
    }

    fn keyed(findings: Vec<Finding>) -> Vec<String> {
        let mut keys: Vec<String> = findings.iter().map(|f| format!("{f:?}")).collect();
        keys.sort();
        keys
    }

    #[test]
    fn holders_in_the_source_are_read_again_only_where_a_finding_may_name_them() {
        let accounts = [
            holder("A$", AccountKind::Computer, &["HOST/x", "HOST/a"]),
            holder("B$", AccountKind::Computer, &["host/X"]),
            holder("C$", AccountKind::Computer, &["HOST/c.x"]),
            holder("D$", AccountKind::User, &["HOST/\u{ff43}.x"]),
            holder("E$", AccountKind::Computer, &["HOST/e", "cifs/e2"]),
            holder("F$", AccountKind::User, &["HTTP/e2"]),
            holder(
                "G$",
                AccountKind::Computer,
                &["HOST/g", "RestrictedKrbHost/g"],
            ),
        ];
        let kept = index_of(&accounts);
        let mut held = SpnIndex::new(SpnAliases::default());
        in_source(&accounts, &mut held, 0);
        let read = std::cell::RefCell::new(Vec::new());
        let reread = |at: u64| {
            read.borrow_mut().push(at);
            Ok(accounts[at as usize].clone())
        };
        let mut parts = [held];
        let shared = recall(&mut parts, &reread).unwrap();
        let mut read = read.take();
        read.sort();
        // E and F share a group key (two aliases, no duplicate), so they are read to see.
        assert_eq!(
            read,
            [0, 1, 2, 3, 4, 5],
            "every holder of a key held twice, and of a look-alike, once each; G never"
        );
        assert_eq!(keyed(duplicates_in(&parts, None)), keyed(kept.duplicates()));
        assert_eq!(
            duplicates_in(&parts, shared.as_deref()),
            duplicates_in(&parts, None),
            "the runs recall found are the ones a walk finds"
        );
        assert_eq!(
            keyed(confusables_in(&parts)),
            keyed(confusables_in(std::slice::from_ref(&kept)))
        );
        assert_eq!(keyed(duplicates_in(&parts, None)).len(), 1);
        assert_eq!(keyed(confusables_in(&parts)).len(), 1);
    }

    #[test]
    fn late_aliases_key_the_holders_in_the_source_again_in_every_part() {
        let first_accounts = [
            holder("A$", AccountKind::Computer, &["HOST/x"]),
            holder("B$", AccountKind::User, &["custom/y"]),
        ];
        let second_accounts = [
            holder("C$", AccountKind::User, &["custom/x"]),
            holder("D$", AccountKind::Computer, &["HOST/y"]),
        ];
        let all: Vec<Account> = first_accounts
            .iter()
            .chain(&second_accounts)
            .cloned()
            .collect();
        let mut first = SpnIndex::new(SpnAliases::default());
        in_source(&first_accounts, &mut first, 0);
        let mut second = SpnIndex::new(SpnAliases::default());
        in_source(&second_accounts[..1], &mut second, 2);
        // The mappings arrive in the middle of the second part, then reach the first.
        let mappings = SpnAliases::from_mappings(["host=custom"]);
        second.set_aliases(mappings.clone());
        in_source(&second_accounts[1..], &mut second, 3);
        first.set_aliases(mappings.clone());
        let reread = |at: u64| Ok(all[at as usize].clone());
        let mut parts = [first, second];
        let shared = recall(&mut parts, &reread).unwrap();
        let mut kept = SpnIndex::new(mappings);
        all.iter().for_each(|a| kept.add(a, true, SpnTexts::Kept));
        kept.prepare();
        let found = keyed(duplicates_in(&parts, None));
        assert_eq!(found, keyed(kept.duplicates()));
        assert_eq!(keyed(duplicates_in(&parts, shared.as_deref())), found);
        assert_eq!(
            found.len(),
            2,
            "host/x and host/y, each through the alias: {found:?}"
        );
    }

    #[test]
    fn a_record_that_no_longer_holds_its_spns_is_an_error_not_a_finding() {
        let accounts = [
            holder("A$", AccountKind::Computer, &["HOST/x"]),
            holder("B$", AccountKind::Computer, &["HOST/x"]),
        ];
        let mut held = SpnIndex::new(SpnAliases::default());
        in_source(&accounts, &mut held, 0);
        let changed = |at: u64| {
            let mut account = accounts[at as usize].clone();
            account.spns = vec!["HOST/elsewhere".into()];
            Ok(account)
        };
        let err = recall(std::slice::from_mut(&mut held), &changed).unwrap_err();
        assert!(err.contains("changed while it was read"), "{err}");
        let gone = |_: u64| Err("cannot be read again".to_string());
        let mut held = SpnIndex::new(SpnAliases::default());
        in_source(&accounts, &mut held, 0);
        assert!(recall(std::slice::from_mut(&mut held), &gone).is_err());
    }
}

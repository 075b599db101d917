//! `show`'s names: each name given resolved among the candidates (an account shown once
//! however many names find it; a name that finds none or several is a finding), and which of
//! the audit's findings concern the shown accounts.

use super::Finding;
use crate::model::account::Account;
use crate::model::deleted::Tombstone;
use crate::model::names::{NameQuery, Resolution};

/// The accounts the names found, and what became of each name.
pub struct Shown<'a> {
    /// Each account once, in the order of the first name that found it.
    pub accounts: Vec<&'a Account>,
    /// Each name as given, and the index of its account (or why none).
    pub names: Vec<(String, Result<usize, &'static str>)>,
    /// `not_found` and `ambiguous` findings, in the order the names were given.
    pub unresolved: Vec<Finding>,
    pub not_found: usize,
    pub ambiguous: usize,
}

impl<'a> Shown<'a> {
    pub fn resolve(names: &[NameQuery], candidates: &'a [Account]) -> Shown<'a> {
        let mut shown = Shown {
            accounts: Vec::new(),
            names: Vec::new(),
            unresolved: Vec::new(),
            not_found: 0,
            ambiguous: 0,
        };
        for name in names {
            let resolution = name.resolve(candidates);
            shown
                .unresolved
                .extend(Finding::unresolved(name.as_str(), &resolution));
            let index = match resolution {
                Resolution::Found(account) => Ok(shown.index_of(account)),
                Resolution::NotFound => {
                    shown.not_found += 1;
                    Err("not_found")
                }
                Resolution::Ambiguous(_) => {
                    shown.ambiguous += 1;
                    Err("ambiguous")
                }
            };
            shown.names.push((name.as_str().to_string(), index));
        }
        shown
    }

    /// Names not found that name a deleted computer (by its sAMAccountName, with or without
    /// `$`, or its former CN): `deleted_computer` instead of `not_found`, since `restore`
    /// brings it back.
    pub fn deleted(&mut self, deleted: &[Tombstone]) {
        let mut unresolved = Vec::new();
        for finding in std::mem::take(&mut self.unresolved) {
            let Finding::NotFound { name } = &finding else {
                unresolved.push(finding);
                continue;
            };
            let matching: Vec<&Tombstone> = match NameQuery::parse(name) {
                Ok(query) => deleted
                    .iter()
                    .filter(|computer| {
                        let as_account = Account {
                            sam_account_name: computer.sam_account_name.clone(),
                            cn: Some(computer.name.clone()),
                            ..crate::model::account::blank_account()
                        };
                        query.matches(&as_account)
                    })
                    .collect(),
                Err(_) => Vec::new(),
            };
            if matching.is_empty() {
                unresolved.push(finding);
                continue;
            }
            for (given, index) in &mut self.names {
                if given == name && *index == Err("not_found") {
                    *index = Err("deleted");
                }
            }
            self.not_found -= 1;
            // Each computer the name had (a name may have been deleted more than once).
            unresolved.extend(
                matching
                    .into_iter()
                    .map(|computer| Finding::DeletedComputer {
                        account: computer.sam_account_name.clone(),
                        dn: computer.dn.clone(),
                        last_known_parent: computer.last_known_parent.clone(),
                        deleted_at: computer.deleted_at.map(crate::model::filetime::Timestamp),
                    }),
            );
        }
        self.unresolved = unresolved;
    }

    /// The names that found an account.
    pub fn found(&self) -> usize {
        self.names.iter().filter(|(_, index)| index.is_ok()).count()
    }

    fn index_of(&mut self, account: &'a Account) -> usize {
        match self.accounts.iter().position(|a| a.dn == account.dn) {
            Some(index) => index,
            None => {
                self.accounts.push(account);
                self.accounts.len() - 1
            }
        }
    }

    /// The report's findings: the names that did not resolve first, in the order given, then
    /// those of `findings` about a shown account (a duplicate: one it holds).
    pub fn findings(&mut self, findings: Vec<Finding>) -> Vec<Finding> {
        let mine = |finding: &Finding| {
            self.accounts
                .iter()
                .any(|account| finding.concerns(&account.dn))
        };
        let kept: Vec<Finding> = findings.into_iter().filter(|f| mine(f)).collect();
        let mut all = std::mem::take(&mut self.unresolved);
        all.extend(kept);
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_account_is_shown_once_and_other_names_are_findings() {
        let accounts = [Account::test("PC01$"), Account::test("PC02$")];
        let names: Vec<NameQuery> = ["pc01", "PC01$", "nope", "pc02"]
            .iter()
            .map(|raw| NameQuery::parse(raw).unwrap())
            .collect();
        let mut shown = Shown::resolve(&names, &accounts);
        assert_eq!(shown.accounts.len(), 2);
        assert_eq!(shown.names[1].1, Ok(0), "the same account, once");
        assert_eq!(shown.names[2].1, Err("not_found"));
        assert_eq!((shown.found(), shown.not_found, shown.ambiguous), (3, 1, 0));
        let other = Finding::DefaultPassword {
            account: None,
            dn: "CN=ELSEWHERE,DC=x".into(),
        };
        let mine = Finding::DefaultPassword {
            account: None,
            dn: accounts[1].dn.clone(),
        };
        let kinds: Vec<&str> = shown
            .findings(vec![other, mine])
            .iter()
            .map(Finding::kind)
            .collect();
        assert_eq!(kinds, ["not_found", "default_password"]);
    }

    #[test]
    fn a_name_not_found_may_be_a_deleted_computer() {
        let accounts = [Account::test("PC01$")];
        let names: Vec<NameQuery> = ["gone", "nope"]
            .iter()
            .map(|raw| NameQuery::parse(raw).unwrap())
            .collect();
        let mut shown = Shown::resolve(&names, &accounts);
        let gone = Tombstone {
            dn: "CN=GONE\\0ADEL:1,CN=Deleted Objects,DC=x".into(),
            sam_account_name: Some("GONE$".into()),
            uac: None,
            name: "GONE".into(),
            last_known_parent: Some("OU=W,DC=x".into()),
            dns_host_name: None,
            deleted_at: None,
        };
        shown.deleted(&[gone]);
        let kinds: Vec<&str> = shown
            .findings(Vec::new())
            .iter()
            .map(Finding::kind)
            .collect();
        assert_eq!(kinds, ["deleted_computer", "not_found"]);
        assert_eq!(shown.not_found, 1);
        assert_eq!(shown.names[0].1, Err("deleted"));
    }
}

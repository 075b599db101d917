//! The undo decision (docs/reference.md, "undo"), pure: given what a journal says a change did
//! (the SPNs before, what it added and removed) and the object's SPNs now, what reverses it.
//! The decision depends on the object as it is, not on what the journal says happened, so an
//! undo run twice, or resumed after an interruption, or of a change whose outcome was never
//! heard, does the right thing: what is back stays back, what someone else changed is left.

use super::spn_plan::{contains, refusal};
use crate::model::account::Account;
use crate::model::dn::NormalDn;
use crate::model::spn::invalid_spn;
use crate::model::text;

/// What to do about one recorded change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoStep {
    /// The object holds its old SPNs (never changed, or already reverted): nothing to do.
    Reverted,
    /// Someone else changed its SPNs since: left as they are.
    ChangedSince,
    /// Delete what the change added and is still there, then add back what it removed.
    Reverse {
        delete: Vec<String>,
        add: Vec<String>,
    },
}

/// Why a journal's change to the object `account` (as read now, under `base`) is not one
/// `spn fix` could have made, or `None` when it is: the same objects (computers, never a DC's,
/// RODC's or trust account's, inside `-b`) and only valid SPNs, added or removed. A journal
/// that asks more was written by hand: `undo` refuses it whole.
pub fn undo_refusal(
    account: &Account,
    base: &NormalDn,
    add: &[String],
    remove: &[String],
) -> Option<String> {
    if !NormalDn::parse(&account.dn).is_some_and(|dn| dn.is_under(base)) {
        return Some("it is outside the search base (-b)".into());
    }
    if let Some(why) = refusal(account) {
        return Some(why.into());
    }
    add.iter()
        .chain(remove)
        .find_map(|spn| invalid_spn(spn).map(|why| format!("{spn:?} is not a valid SPN: {why}")))
}

/// The SPNs of `list` that are not in `touched`, folded and sorted (for comparison).
fn untouched(list: &[String], touched: &[String]) -> Vec<String> {
    let mut rest: Vec<String> = list
        .iter()
        .filter(|spn| !contains(touched, spn))
        .map(|spn| text::fold(spn))
        .collect();
    rest.sort();
    rest.dedup();
    rest
}

/// The step that undoes a change of `before` by `add` and `remove`, the object holding `now`.
pub fn undo_step(before: &[String], add: &[String], remove: &[String], now: &[String]) -> UndoStep {
    let touched: Vec<String> = add.iter().chain(remove).cloned().collect();
    if untouched(now, &touched) != untouched(before, &touched) {
        return UndoStep::ChangedSince;
    }
    let delete: Vec<String> = add
        .iter()
        .filter(|spn| contains(now, spn))
        .cloned()
        .collect();
    let add_back: Vec<String> = remove
        .iter()
        .filter(|spn| !contains(now, spn))
        .cloned()
        .collect();
    if delete.is_empty() && add_back.is_empty() {
        UndoStep::Reverted
    } else {
        UndoStep::Reverse {
            delete,
            add: add_back,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    const BEFORE: [&str; 2] = ["HOST/pc", "HOST/pc.old"];
    const ADD: [&str; 1] = ["HOST/pc.new"];
    const REMOVE: [&str; 1] = ["HOST/pc.old"];

    fn step(now: &[&str]) -> UndoStep {
        undo_step(&v(&BEFORE), &v(&ADD), &v(&REMOVE), &v(now))
    }

    #[test]
    fn an_applied_change_is_reversed() {
        assert_eq!(
            step(&["HOST/pc", "HOST/pc.new"]),
            UndoStep::Reverse {
                delete: v(&ADD),
                add: v(&REMOVE)
            }
        );
    }

    #[test]
    fn an_object_already_back_is_reverted_whatever_the_case() {
        assert_eq!(step(&["host/PC", "HOST/pc.old"]), UndoStep::Reverted);
    }

    #[test]
    fn a_half_reverted_object_gets_the_rest() {
        assert_eq!(
            step(&["HOST/pc"]),
            UndoStep::Reverse {
                delete: v(&[]),
                add: v(&REMOVE)
            },
            "the re-add failed last time (a duplicate the DC refuses): try it again"
        );
    }

    #[test]
    fn only_what_spn_fix_could_have_done_is_undone() {
        use crate::model::account::AccountKind;
        use crate::model::uac::Uac;
        let base = NormalDn::parse("DC=adc,DC=test").unwrap();
        let pc = Account {
            dn: "CN=PC,CN=Computers,DC=adc,DC=test".into(),
            ..Account::test("PC$")
        };
        assert_eq!(undo_refusal(&pc, &base, &v(&ADD), &v(&REMOVE)), None);
        let admin = Account {
            dn: "CN=Administrator,CN=Users,DC=adc,DC=test".into(),
            kind: Some(AccountKind::User),
            ..Account::test("Administrator")
        };
        let dc = Account {
            uac: Some(Uac(Uac::SERVER_TRUST_ACCOUNT)),
            ..pc.clone()
        };
        let outside = Account {
            dn: "CN=PC,CN=Computers,DC=other,DC=test".into(),
            ..pc.clone()
        };
        for (account, why) in [
            (&admin, "not a computer"),
            (&dc, "domain controller"),
            (&outside, "outside the search base"),
        ] {
            let refused = undo_refusal(account, &base, &[], &v(&["MSSQLSvc/roast:1433"]));
            assert!(
                refused.as_deref().is_some_and(|r| r.contains(why)),
                "{refused:?}"
            );
        }
        let hostile = undo_refusal(&pc, &base, &[], &v(&["HTTP/\u{1b}[31mx"]));
        assert!(hostile.is_some_and(|why| why.contains("not a valid SPN")));
    }

    #[test]
    fn someone_elses_change_is_left_alone() {
        assert_eq!(
            step(&["HOST/pc", "HOST/pc.new", "HTTP/portal"]),
            UndoStep::ChangedSince
        );
        assert_eq!(
            step(&["HOST/pc.new"]),
            UndoStep::ChangedSince,
            "HOST/pc went"
        );
    }
}

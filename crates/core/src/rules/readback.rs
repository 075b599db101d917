//! Settling a lost answer (docs/reference.md, "Writes"), pure: when the DC's answer to a write
//! never came, the object read back says whether the write was made. A change is `Some(true)`
//! made, `Some(false)` not made, `None` when what is there fits neither (someone else wrote
//! meanwhile, or only part is visible): then it stays unknown.

use super::spn_plan::contains;
use crate::model::filetime::FileTime;

/// Whether the SPN change `add`/`remove` was made, the object holding `now`.
pub fn spn_change_made(add: &[String], remove: &[String], now: &[String]) -> Option<bool> {
    let added = add.iter().filter(|spn| contains(now, spn)).count();
    let removed = remove.iter().filter(|spn| !contains(now, spn)).count();
    if added == add.len() && removed == remove.len() {
        Some(true)
    } else if added == 0 && removed == 0 {
        Some(false)
    } else {
        None
    }
}

/// A password's traces on an account: `msDS-KeyVersionNumber` and `pwdLastSet`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordState {
    pub key_version: Option<u32>,
    pub pwd_last_set: Option<FileTime>,
}

/// Whether a password reset was made: every password change raises the key version and sets
/// `pwdLastSet` anew (to now, or to 0 when the writer may not unexpire passwords).
pub fn reset_made(before: PasswordState, now: PasswordState) -> Option<bool> {
    match (before.key_version, now.key_version) {
        (Some(old), Some(new)) if new > old => Some(true),
        (Some(old), Some(new)) if new == old && before.pwd_last_set == now.pwd_last_set => {
            Some(false)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn an_spn_change_is_made_not_made_or_unclear() {
        let (add, remove) = (v(&["HOST/pc.new"]), v(&["HOST/pc.old"]));
        assert_eq!(
            spn_change_made(&add, &remove, &v(&["HOST/pc", "host/PC.NEW"])),
            Some(true)
        );
        assert_eq!(
            spn_change_made(&add, &remove, &v(&["HOST/pc", "HOST/pc.old"])),
            Some(false)
        );
        assert_eq!(spn_change_made(&add, &remove, &v(&["HOST/pc"])), None);
        assert_eq!(spn_change_made(&[], &remove, &v(&[])), Some(true));
    }

    #[test]
    fn a_reset_shows_in_the_key_version() {
        let state = |kvno, set| PasswordState {
            key_version: Some(kvno),
            pwd_last_set: Some(FileTime(set)),
        };
        assert_eq!(reset_made(state(3, 10), state(4, 20)), Some(true));
        assert_eq!(
            reset_made(state(3, 10), state(4, 0)),
            Some(true),
            "pwdLastSet 0"
        );
        assert_eq!(reset_made(state(3, 10), state(3, 10)), Some(false));
        assert_eq!(reset_made(state(3, 10), state(3, 20)), None);
        let unknown = PasswordState {
            key_version: None,
            pwd_last_set: None,
        };
        assert_eq!(reset_made(state(3, 10), unknown), None);
    }
}

//! Appliers: what changes the directory or proves a change — SPN changes under the journal,
//! the default password with its read-back, the change journal, and the
//! Kerberos client that logs on as a computer or asks the KDC which keys an account has. (The LDAP writes themselves are `ldap/`'s.)

pub(crate) mod journal;
pub(crate) mod kerberos;
pub(crate) mod keys;
pub(crate) mod password;
pub(crate) mod reanimate;
pub(crate) mod spn_writer;
pub(crate) mod spns;
pub(crate) mod verify;

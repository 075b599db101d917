//! Appliers: what changes the directory or proves a change — the change journal and the
//! Kerberos client that logs on as a computer. (The LDAP writes themselves are `ldap/`'s.)

pub(crate) mod journal;
pub(crate) mod kerberos;
pub(crate) mod spns;

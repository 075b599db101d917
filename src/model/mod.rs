//! The accounts model: directory objects as the rules see them, and the directory's own
//! notions they need — names and DNs, SPNs and their aliases, `userAccountControl` flags,
//! FILETIME values, SIDs and security descriptors. Pure: no I/O.

pub(crate) mod account;
pub(crate) mod dc_case;
pub(crate) mod deleted;
pub(crate) mod dn;
pub(crate) mod entry;
pub(crate) mod filetime;
pub(crate) mod kdc;
pub(crate) mod names;
pub(crate) mod replication;
pub(crate) mod rights;
pub(crate) mod sanitize;
pub(crate) mod security;
pub(crate) mod spn;
pub(crate) mod text;
pub(crate) mod uac;

//! The accounts model: directory objects as the rules see them, and the directory's own
//! notions they need — names and DNs, SPNs and their aliases, `userAccountControl` flags,
//! FILETIME values, SIDs and security descriptors. Pure: no I/O.

pub mod account;
pub mod dc_case;
pub mod deleted;
pub mod dn;
pub mod enctypes;
pub mod entry;
pub mod filetime;
pub mod gpo;
pub mod kdc;
pub mod names;
pub mod partition;
pub mod replication;
pub mod rights;
pub mod roles;
pub mod sanitize;
pub mod security;
pub mod snapshot;
pub mod spn;
pub mod text;
pub mod uac;

//! The LDAP connection layer shared by every live command: TLS (LDAPS or StartTLS, verified by
//! default), the bind, the rootDSE, paged streaming searches that skip referrals, and the few
//! minimal writes. `queries` holds the named directory operations and `filter` the filter
//! text: no LDAP filter is written anywhere else. Failures are `ConnectError`s and
//! `OperationError`s whose one-line messages name their cause.

mod connection;
mod discovery;
mod error;
mod filter;
pub(crate) mod queries;
mod search;
mod tls;
mod write;

pub(crate) use connection::{Bind, DcAddress, Directory, LdapSettings, url_hosts};
pub(crate) use discovery::resolve_dc;
pub(crate) use error::{ConnectError, OperationError};
pub(crate) use tls::TlsSettings;

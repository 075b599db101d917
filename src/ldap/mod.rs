//! The LDAP connection layer shared by every live command: TLS (LDAPS or StartTLS, verified by
//! default), the bind, the rootDSE, and paged streaming searches that skip referrals. Failures
//! are `ConnectError`s and `OperationError`s whose one-line messages name their cause.

mod connection;
mod error;
mod search;
mod tls;

pub use connection::{Directory, LdapSettings, RootDse};
pub use error::{ConnectError, OperationError};
pub use tls::TlsSettings;

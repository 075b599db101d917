//! Writes. Each is one minimal LDAP modify of exactly what was asked, and none of them ever
//! logs or returns the values it sends.

use std::collections::HashSet;

use ldap3::Mod;

use super::connection::Directory;
use super::error::OperationError;

impl Directory {
    /// Sets an account's password: a replace of `unicodePwd` alone (the value is the quoted
    /// password in UTF-16LE). The connection is TLS-protected, as AD requires for this write.
    pub async fn set_password(
        &mut self,
        dn: &str,
        unicode_pwd: Vec<u8>,
    ) -> Result<(), OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("password reset", secs, err);
        let change = Mod::Replace(b"unicodePwd".to_vec(), HashSet::from([unicode_pwd]));
        self.ldap
            .with_timeout(self.timeout)
            .modify(dn, vec![change])
            .await
            .map_err(failed)?
            .success()
            .map_err(failed)?;
        Ok(())
    }
}

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
        // The attribute's name only: its value is the password.
        tracing::info!(dn, "modify: replace unicodePwd");
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

impl Directory {
    /// Changes an object's SPNs value by value, in one modify: `add` of exactly `add` and
    /// `delete` of exactly `remove`, never a replace, so SPNs others add meanwhile survive.
    ///
    /// Additions go first. Samba (4.17) checks SPN uniqueness on the first
    /// `servicePrincipalName` change of a modify even when it is a delete, so deleting a value
    /// another object also holds (a duplicate) alone is refused; when there is nothing to add,
    /// the modify starts by adding and deleting a unique throwaway value, which no reader ever
    /// sees (one atomic modify) and which Windows DCs accept as well.
    pub async fn modify_spns(
        &mut self,
        dn: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("SPN change", secs, err);
        let values = |spns: &[String]| -> HashSet<Vec<u8>> {
            spns.iter().map(|spn| spn.as_bytes().to_vec()).collect()
        };
        tracing::info!(dn, ?add, ?remove, "modify: servicePrincipalName");
        let attribute = b"servicePrincipalName".to_vec();
        let mut changes = Vec::new();
        if !add.is_empty() {
            changes.push(Mod::Add(attribute.clone(), values(add)));
        } else if !remove.is_empty() {
            let throwaway = [format!("adcomputer-delete/{:08x}", crate::random::u32())];
            changes.push(Mod::Add(attribute.clone(), values(&throwaway)));
            changes.push(Mod::Delete(attribute.clone(), values(&throwaway)));
        }
        if !remove.is_empty() {
            changes.push(Mod::Delete(attribute, values(remove)));
        }
        self.ldap
            .with_timeout(self.timeout)
            .modify(dn, changes)
            .await
            .map_err(failed)?
            .success()
            .map_err(failed)?;
        Ok(())
    }
}

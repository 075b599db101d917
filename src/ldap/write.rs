//! Writes. Each is one minimal LDAP modify of exactly what was asked, and none of them ever
//! logs or returns the values it sends.

use std::collections::HashSet;

use ldap3::Mod;

use super::connection::Directory;
use super::error::OperationError;

impl Directory {
    /// Sets an account's password: a replace of `unicodePwd` alone (the value is the quoted
    /// password in UTF-16LE). The connection is TLS-protected, as AD requires for this write.
    pub(crate) async fn set_password(
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
    /// Brings a deleted object back (tombstone reanimation, MS-ADTS 3.1.1.5.3.7.3): one modify,
    /// under the Show Deleted control, that removes `isDeleted`, moves it to `new_dn`, and sets
    /// its password (a tombstone keeps none).
    pub(crate) async fn reanimate(
        &mut self,
        deleted_dn: &str,
        new_dn: &str,
        unicode_pwd: Vec<u8>,
    ) -> Result<(), OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("restore", secs, err);
        tracing::info!(
            deleted_dn,
            new_dn,
            "modify: reanimate (isDeleted, distinguishedName, unicodePwd)"
        );
        let changes = vec![
            Mod::Delete(b"isDeleted".to_vec(), HashSet::new()),
            Mod::Replace(
                b"distinguishedName".to_vec(),
                HashSet::from([new_dn.as_bytes().to_vec()]),
            ),
            Mod::Replace(b"unicodePwd".to_vec(), HashSet::from([unicode_pwd])),
        ];
        self.ldap
            .with_timeout(self.timeout)
            .with_controls(super::search::show_deleted())
            .modify(deleted_dn, changes)
            .await
            .map_err(failed)?
            .success()
            .map_err(failed)?;
        Ok(())
    }

    /// Sets an object's `dNSHostName` (a replace of that one value).
    pub(crate) async fn set_dns_host_name(
        &mut self,
        dn: &str,
        host: &str,
    ) -> Result<(), OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("setting dNSHostName", secs, err);
        tracing::info!(dn, host, "modify: replace dNSHostName");
        let change = Mod::Replace(
            b"dNSHostName".to_vec(),
            HashSet::from([host.as_bytes().to_vec()]),
        );
        self.ldap
            .with_timeout(self.timeout)
            .modify(dn, vec![change])
            .await
            .map_err(failed)?
            .success()
            .map_err(failed)?;
        Ok(())
    }

    /// Changes an object's SPNs value by value, in one modify: `add` of exactly `add` and
    /// `delete` of exactly `remove`, never a replace, so SPNs others add meanwhile survive.
    /// Additions go first. `bracket`, when given, is a value added and deleted again at the
    /// start of the same atomic modify (see `apply::spns`): no reader ever sees it.
    pub(crate) async fn modify_spns(
        &mut self,
        dn: &str,
        add: &[String],
        remove: &[String],
        bracket: Option<&str>,
    ) -> Result<(), OperationError> {
        let secs = self.timeout.as_secs();
        let failed = |err| OperationError::from_ldap("SPN change", secs, err);
        fn values<S: AsRef<str>>(spns: &[S]) -> HashSet<Vec<u8>> {
            spns.iter()
                .map(|spn| spn.as_ref().as_bytes().to_vec())
                .collect()
        }
        tracing::info!(
            dn,
            ?add,
            ?remove,
            bracketed = bracket.is_some(),
            "modify: servicePrincipalName"
        );
        let attribute = b"servicePrincipalName".to_vec();
        let mut changes = Vec::new();
        if let Some(value) = bracket {
            changes.push(Mod::Add(attribute.clone(), values(&[value])));
            changes.push(Mod::Delete(attribute.clone(), values(&[value])));
        }
        if !add.is_empty() {
            changes.push(Mod::Add(attribute.clone(), values(add)));
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

//! The integration tests, one binary: each module is what was a test file of its own. Tests
//! that talk to the Samba test DC (`#[ignore]`d: `samba-testenv/test` runs them) start with
//! `common::pristine_domain()`: a module's tests run against the seeded domain, reset when the
//! previous module that used it is done, and never beside another module's.

mod advice_live;
mod audit_ldif;
mod audit_live;
mod bounded_input;
mod common;
mod docs_reference;
mod encryption_live;
mod exports_ldif;
mod exports_live;
mod hostile_live;
mod html_report_live;
mod hygiene_live;
mod kerberos_live;
mod krbtgt_live;
mod layers;
mod least_privilege_live;
mod openldap_habits_live;
mod refusals;
mod reset_dc_outage;
mod reset_live;
mod rotation_policy_live;
mod safety_live;
mod safety_offline;
mod schedule_live;
mod schedule_offline;
mod show_ldif;
mod show_live;
mod spn_fix_live;
mod spn_oracle_live;
mod state_live;
mod terminal;
mod two_dcs_live;
mod write_faults_live;

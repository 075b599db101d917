//! Presenters: what each command's report says (its findings, changes, resets, diagnoses),
//! independent of the format it is written in.

pub(crate) mod changes;
pub(crate) mod diagnosis;
pub(crate) mod findings;
pub(crate) mod reset_report;

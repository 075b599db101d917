//! Formats: how a report is written — tables for people; CSV, HTML, Prometheus and Nagios for
//! machines and dashboards; findings' JSON (`json`); the man page; and where it goes
//! (`output`: standard output, or a file replaced atomically).

pub(crate) mod csv;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod man;
pub(crate) mod nagios;
pub(crate) mod prometheus;
pub(crate) mod table;

//! adcomputer's pure part: what the directory's data means and what to do about it, with no
//! I/O. `model/` turns objects into accounts (names, SPNs, flags, times, security descriptors)
//! and knows the directory's rules of equality; `rules/` holds the checks and planners (what
//! is wrong, what to change). The binary's crate reads sources, talks to DCs, applies changes
//! and reports; it depends on this crate, never the other way round.

pub mod model;
pub mod rules;

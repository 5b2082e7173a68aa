//! Profile `buildings` (seed 002): user groups holding permission sets, with ordered tiers
//! (customer ⊂ partner ⊂ gooee), object-level grants on customers and buildings, implied view of
//! parent objects, and the delegation rule.
//!
//! Everything seed-specific is data here (the permission sets, the tiers, the object types and
//! which permission sets name which objects); the rules are the policy mechanism's. The HTTP
//! interface of the seed is the `http` op. State, ops, changes, status codes, reason codes and
//! every decision taken on the seed's gaps are documented in `core/PROFILES.md`.
//!
//! The files, each using only those listed before it: `text` (message and JSON helpers),
//! `policy` (the seed's tables), `state` (the rows and their reading),
//! `objects` (partners, customers and buildings as the mechanism's objects), `engine` (the held
//! facts and the rules on them), `change` (changes and `apply`), `answer` (HTTP answers and field
//! errors), the ops (`list`, `write`, `http`, `query`, `what_if`) and `handle` (the
//! [`ProfileEngine`](crate::profiles::ProfileEngine) impl).

mod answer;
mod change;
mod engine;
mod handle;
mod http;
mod list;
mod objects;
mod policy;
mod query;
mod state;
mod text;
mod what_if;
mod write;

#[cfg(test)]
mod testing;

pub use engine::BuildingsEngine;

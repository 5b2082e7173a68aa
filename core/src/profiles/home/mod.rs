//! Profile `home` (seed 001): the users of a smart home managed over MQTT, with three roles
//! (administrator, family member, guest) and two classes of devices (security, utility).
//!
//! The seed's role matrix is data on the policy mechanism: three permissions in a
//! [`Catalog`](crate::policy::Catalog) and three [`Roles`](crate::policy::Roles). Every rule asks
//! "does this role hold that permission", never "is this the administrator". State, ops, changes
//! and reason codes are documented in `core/PROFILES.md`.
//!
//! The files, each using only those listed before it: `policy` (the seed's matrix), `id`, `state`
//! (the facts and their reading), `change` (changes and `apply`), `engine` (the held facts), the ops with their fields (`report`, `command`,
//! `query`, `what_if`) and `handle` (the [`ProfileEngine`](crate::profiles::ProfileEngine) impl).

mod change;
mod command;
mod engine;
mod handle;
mod id;
mod policy;
mod query;
mod report;
mod state;
mod what_if;

#[cfg(test)]
mod testing;

pub use engine::HomeEngine;

//! Profile `emoncms`: emoncms's group module. The facts as the host reads them (`model`), indexed
//! once (`snapshot`, its users rows in `users`), the roles as data on the policy mechanism (`policy`), one decision with its
//! reason (`decide`), the questions asked of many decisions (`query`), every route of the module
//! (`routes`), and the engine that answers the wire's ops (`engine`).

pub(crate) mod decide;
pub(crate) mod engine;
pub(crate) mod model;
pub(crate) mod policy;
pub(crate) mod query;
pub(crate) mod routes;
pub(crate) mod snapshot;
pub(crate) mod users;

//! Shared SQL access for bbb-migrate plugins (resolvers and sinks): one
//! connection-URL type, one pooled database handle over MariaDB/MySQL
//! (`mysql_async`) and PostgreSQL (`tokio-postgres` + `deadpool-postgres`),
//! and the per-origin-server database map of `[resolvers.databases]` /
//! `[sinks.databases]`.
//!
//! # How to use it
//!
//! ```toml
//! [dependencies]
//! bbb-migrate-db = { path = "../db" }
//! ```
//!
//! ```no_run
//! use bbb_migrate_db::{Db, DbUrl, DbMap, Param, Row, TxMode};
//! # fn main() -> Result<(), plugin_api::PluginError> {
//! // A single database (`database = "postgres://pod@db4/pod"`):
//! let url: DbUrl = "postgres://pod@127.0.0.1/pod".parse().map_err(|e: String| plugin_api::PluginError::config("database", e))?;
//! let db = Db::new(&url)?;           // lazy: no connection yet
//! db.ping()?;                         // connects; error = one line naming host and database
//! // Read-only transaction, `?` placeholders on both engines (translated to `$n` for PostgreSQL):
//! let rows: Vec<Row> = db.transaction(TxMode::ReadOnly, |tx| {
//!     Box::pin(async move {
//!         tx.query("SELECT username FROM auth_user WHERE id IN (?, ?)", vec![Param::Int(1), Param::Int(2)]).await
//!     })
//! })?;
//! for r in &rows { let _name: Option<String> = r.str("username"); }
//!
//! // Several Moodle sites keyed by `bbb-origin-server-name`, plus "default":
//! let map = DbMap::from_config("databases", &std::collections::BTreeMap::from([
//!     ("default".to_string(), "mysql://moodle:pw@db1/moodle".to_string()),
//! ]))?;
//! let _db_for_recording: Option<(&str, &Db)> = map.for_server(Some("moodle.univ.fr"));
//! # Ok(()) }
//! ```
//!
//! Every method is synchronous: it runs on the plugin's own runtime through
//! [`plugin_api::sdk::runtime::block_on`]. Never call them from inside a
//! future running on that runtime (use the `async` [`Tx`] methods there).
//!
//! SQL text is written with `?` placeholders; for PostgreSQL they are
//! rewritten to `$1, $2…` (outside of quotes). Use [`placeholders`] to build
//! `IN (?, ?, ?)` lists. Values are always bound as parameters, never
//! formatted into the SQL. On PostgreSQL a parameter adapts to the type the
//! server infers for its placeholder (`Param::Int` binds to int2/int4/int8,
//! `Param::Str` to text/varchar/uuid); where nothing can be inferred, cast
//! (`?::text`).
//! Result columns are read by name with [`Row::int`], [`Row::str`], [`Row::bool`]:
//! they accept any integer width, text, and (PostgreSQL) uuid/bool values.
//!
//! Errors are [`PluginError`]s of one line that name the culprit as
//! `mysql://user:***@host:port/db`: the password is never shown.
//!
//! # Modules
//!
//! SQL: [`url`] (connection URLs), [`value`] (parameters, rows), [`placeholders`]
//! (`?` lists, `$n`, padded `IN` lists), [`db`] (the pooled handle, transactions),
//! [`tx`] (statements), `mysql` and `postgres` (the two drivers), [`error`] (one-line
//! errors), `tls`, [`server_map`] (which database serves which origin server),
//! [`stats`], [`testing`].
//!
//! Not SQL, shared by the resolvers and sinks that use it: [`routing`] (reading a
//! recording's metadata and internal ids), [`owners`] (picking owners from people
//! found), [`answers`] (a batched resolver's answers).

pub mod answers;
pub mod db;
pub mod error;
mod mysql;
pub mod owners;
pub mod placeholders;
mod postgres;
pub mod routing;
pub mod server_map;
pub mod stats;
pub mod testing;
mod tls;
pub mod tx;
pub mod url;
pub mod value;

pub use answers::Answers;
pub use db::{Db, TxFuture, TxMode, CONNECT_TIMEOUT, POOL_MAX};
pub use error::{connect_error, is_connect_error};
pub use placeholders::{pad_in_lists, placeholders, to_dollar_placeholders};
pub use plugin_api::sdk::Secret;
pub use server_map::{normalize_server, DbMap, DEFAULT_KEY};
pub use tls::{Tls, TlsMode};
pub use tx::Tx;
pub use url::{DbUrl, Engine};
pub use value::{Param, Row, Value};

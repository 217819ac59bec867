//! Finding, loading and instantiating plugins. The only place (with
//! `plugin-api`) that knows about abi_stable.

mod discover;
pub mod handle;
mod load;
mod registry;

pub use discover::search_dirs;
pub use handle::{Answer, Listed, Status, Written};
pub use load::{load_file, LoadedPlugin};
pub use registry::{Instances, Registry};

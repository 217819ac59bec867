//! Resolver `prefix-table`: owners from a table of meetingID prefixes.
//!
//! ```toml
//! [[resolvers]]
//! name = "table"
//! type = "prefix-table"
//! [resolvers.prefixes]
//! "f01411a1" = { username = "alice", email = "alice@univ.fr" }
//! ```
//! The longest matching prefix wins; no match = "unknown" (next resolver).

use plugin_api::sdk::{Component, Ctx, PluginDecl, ResolverComponent, ResolverPlugin};
use plugin_api::{export_plugin, Owner, PluginError, Recording, Resolution};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The component is its own settings: the SDK decodes the TOML table into it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PrefixTable {
    prefixes: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    username: String,
    #[serde(default)]
    email: String,
}

impl ResolverComponent for PrefixTable {
    const TYPE: &'static str = "prefix-table";
    const ABOUT: &'static str = "Owners by meetingID prefix";
    type Config = Self;
    fn build(config: Self, _ctx: Ctx) -> Result<Self, PluginError> {
        Ok(config)
    }
}

impl ResolverPlugin for PrefixTable {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>, PluginError> {
        let answer = |r: &Recording| {
            let best =
                self.prefixes.iter().filter(|(p, _)| r.meeting_id.starts_with(p.as_str())).max_by_key(|(p, _)| p.len());
            match best {
                Some((p, e)) => Resolution::resolved(vec![
                    Owner::new(&e.username, &e.email, "", "").because(format!("meetingID prefix {p}"))
                ]),
                None => Resolution::unknown("no prefix matches"),
            }
        };
        Ok(batch.iter().map(answer).collect())
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "prefix-table";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Example: owners from a table of meetingID prefixes";
    const COMPONENTS: &'static [Component] = &[Component::resolver::<PrefixTable>()];
}

export_plugin!(Plugin);

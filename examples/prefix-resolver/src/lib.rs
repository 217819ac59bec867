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

use plugin_api::sdk::{decode, Component, Ctx, PluginDecl, ResolverPlugin};
use plugin_api::{export_plugin, Owner, PluginError, Recording, Resolution};
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Config {
    prefixes: BTreeMap<String, Entry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    username: String,
    #[serde(default)]
    email: String,
}

struct PrefixTable(Config, String);

impl ResolverPlugin for PrefixTable {
    fn resolve(&self, batch: &[Recording]) -> Result<Vec<Resolution>, PluginError> {
        Ok(batch
            .iter()
            .map(|r| {
                let best = self
                    .0
                    .prefixes
                    .iter()
                    .filter(|(p, _)| r.meeting_id.starts_with(p.as_str()))
                    .max_by_key(|(p, _)| p.len());
                match best {
                    Some((prefix, e)) => Resolution::resolved(vec![Owner::new(&e.username, &e.email, "", "")
                        .found_by(&self.1, format!("meetingID prefix {prefix}"))]),
                    None => Resolution::unknown("no prefix matches"),
                }
            })
            .collect())
    }
}

pub struct Plugin;

impl PluginDecl for Plugin {
    const NAME: &'static str = "prefix-table";
    const VERSION: &'static str = env!("CARGO_PKG_VERSION");
    const DESCRIPTION: &'static str = "Example: owners from a table of meetingID prefixes";
    const COMPONENTS: &'static [Component] = &[Component::resolver("prefix-table", "Owners by meetingID prefix")];

    fn new_resolver(_type: &str, config: &str, ctx: Ctx) -> Result<Box<dyn ResolverPlugin>, PluginError> {
        Ok(Box::new(PrefixTable(decode(config)?, ctx.component().to_string())))
    }
}

export_plugin!(Plugin);

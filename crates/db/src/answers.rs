//! The answers of a batched resolver (not SQL: one answer slot per recording).
use plugin_api::PluginError;

/// The answers of a batched resolver: set per recording, scatter a database
/// group's answers, or fail the whole group (retried next run).
pub struct Answers {
    out: Vec<Option<plugin_api::Resolution>>,
}

impl Answers {
    pub fn new(n: usize) -> Self {
        Answers { out: vec![None; n] }
    }
    pub fn set(&mut self, i: usize, r: plugin_api::Resolution) {
        self.out[i] = Some(r);
    }
    /// `res` answers the recordings `idx` in order; on error every one of them
    /// FAILS with `<label>: <one-line error>` and the host log says so once.
    pub fn apply(
        &mut self,
        idx: &[usize],
        res: Result<Vec<plugin_api::Resolution>, PluginError>,
        label: &str,
        ctx: &plugin_api::sdk::Ctx,
    ) {
        match res {
            Ok(answers) => {
                for (&i, a) in idx.iter().zip(answers) {
                    self.out[i] = Some(a);
                }
            }
            Err(e) => {
                ctx.warn(&format!("{label}: {} recordings not resolved this run: {}", idx.len(), e.message));
                for &i in idx {
                    self.out[i] = Some(plugin_api::Resolution::failed(format!("{label}: {}", e.message)));
                }
            }
        }
    }
    /// One answer per recording; those never set are UNKNOWN without a note.
    pub fn finish(self) -> Vec<plugin_api::Resolution> {
        self.out.into_iter().map(|o| o.unwrap_or_else(|| plugin_api::Resolution::unknown(""))).collect()
    }
}

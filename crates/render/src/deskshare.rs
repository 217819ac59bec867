//! `deskshare.xml`: the intervals during which the screen share is shown.

use crate::error::RenderError;
use crate::xml::{self, Ms};

const FILE: &str = "deskshare.xml";

/// `[start, stop)` intervals in ms, sorted.
pub(crate) fn parse(text: &str) -> Result<Vec<(Ms, Ms)>, RenderError> {
    let doc = xml::parse(FILE, text)?;
    let mut out = Vec::new();
    for ev in doc.descendants().filter(|n| n.has_tag_name("event")) {
        let a = xml::seconds(FILE, ev, xml::attr(FILE, ev, "start_timestamp")?)?;
        let b = xml::seconds(FILE, ev, xml::attr(FILE, ev, "stop_timestamp")?)?;
        if b > a {
            out.push((a, b));
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixture_intervals() {
        let text = include_str!("../../../testdata/presentation/bbb22-featuredemo/deskshare.xml");
        assert_eq!(super::parse(text).unwrap(), vec![(10_000, 20_000), (30_000, 40_000)]);
    }
}

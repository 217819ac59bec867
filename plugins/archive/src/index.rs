//! `index.json` and `index.csv` at the archive's root: one entry per archived recording,
//! rebuilt from the manifests (so a crash before it is written only delays it).
use crate::manifest::{Manifest, FILE};
use crate::target::Target;
use plugin_api::sdk::cells::spreadsheet_safe;

const HEADER: &[&str] = &[
    "record_id",
    "name",
    "start_time",
    "end_time",
    "state",
    "formats",
    "files",
    "bytes",
    "missing",
    "skipped",
    "owners",
    "archived_at",
];

fn row(m: &Manifest) -> Vec<String> {
    vec![
        m.record_id.clone(),
        m.name.clone(),
        m.start_time.clone(),
        m.end_time.clone(),
        m.state.clone(),
        m.formats.iter().map(|f| f.format.as_str()).collect::<Vec<_>>().join(";"),
        m.files.len().to_string(),
        m.total_bytes.to_string(),
        m.missing.len().to_string(),
        m.skipped.len().to_string(),
        m.owners.iter().map(|o| o.username.as_str()).collect::<Vec<_>>().join(";"),
        m.archived_at.clone(),
    ]
}

fn csv_cell(c: &str) -> String {
    let c = spreadsheet_safe(c);
    if c.contains([',', '"']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

/// Rewrites both index files; returns how many recordings they list.
pub async fn rebuild(target: &Target) -> Result<usize, String> {
    let mut manifests = Vec::new();
    for id in target.manifests().await? {
        if let Some(bytes) = target.read(&format!("{id}/{FILE}")).await? {
            if let Ok(m) = Manifest::parse(&bytes) {
                manifests.push(m);
            }
        }
    }
    let mut csv = HEADER.join(",");
    csv.push_str("\r\n");
    let mut json = Vec::new();
    for m in &manifests {
        let cells = row(m);
        csv.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
        json.push(serde_json::Value::Object(
            HEADER.iter().zip(cells).map(|(k, v)| (k.to_string(), serde_json::Value::String(v))).collect(),
        ));
    }
    let mut json = serde_json::to_vec_pretty(&json).expect("always serialises");
    json.push(b'\n');
    target.put("index.json", json).await?;
    target.put("index.csv", csv.into_bytes()).await?;
    Ok(manifests.len())
}

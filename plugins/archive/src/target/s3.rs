//! An S3-compatible bucket (object_store): files streamed as multipart uploads (an object
//! exists only once its upload is completed), files smaller than a part in one PUT.
//!
//! Multipart uploads are resumable across runs: after each part is stored, its ETag and the
//! SHA-256 state at its end are journaled (synced) in `<work_dir>/uploads/<key hash>.json`.
//! A re-run lists the upload's parts (ListParts), keeps the journaled parts the server still
//! has with the same ETag and size, and goes on from the last of them (the download resumes
//! with `Range`); an upload the server no longer knows, or of which no part can be kept, is
//! aborted and the file starts again from 0.
use super::{check_reread, hex, StoreResult};
use crate::config::Settings;
use crate::hash::Hasher;
use bbb_migrate_http::Validator;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder, AwsAuthorizer, AwsCredential};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;

/// Part size of multipart uploads: what a file in flight holds in memory (twice, at most).
/// A multiple of 64 bytes, so the SHA-256 state at a part's end can be journaled.
const PART: usize = 8 << 20;

/// Characters kept as they are in a key within a URL path (RFC 3986 unreserved, and `/`).
const KEY_CHARS: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

pub struct S3 {
    store: Arc<AmazonS3>,
    bucket: String,
    prefix: String,
    /// Where multipart uploads are journaled (`<work_dir>/uploads`; empty: not journaled,
    /// an interrupted upload is aborted).
    pub journal_dir: PathBuf,
    /// For ListParts, which object_store does not offer: a SigV4-signed GET.
    lister: Option<Lister>,
}

struct Lister {
    client: reqwest::Client,
    /// `<endpoint>/<bucket>` (path-style).
    base: String,
    region: String,
    credential: AwsCredential,
}

/// One upload's journal: the parts stored so far, each with its ETag and the SHA-256 state
/// of the file up to its end.
#[derive(Serialize, Deserialize, Default)]
struct Journal {
    key: String,
    upload_id: String,
    part_size: usize,
    parts: Vec<JournaledPart>,
    /// The file's version on the server the parts came from (none: not resumable).
    #[serde(default)]
    validator: Option<Validator>,
}

#[derive(Serialize, Deserialize, Clone)]
struct JournaledPart {
    etag: String,
    sha256_state: String,
}

fn err(e: object_store::Error) -> String {
    // object_store errors name the path and the HTTP status; keep them on one line.
    e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")
}

impl S3 {
    /// `rest` is what follows `s3://`: `bucket[/prefix]`.
    pub fn new(rest: &str, s: &Settings) -> StoreResult<S3> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let prefix = prefix.trim_matches('/').to_string();
        if bucket.is_empty() {
            return Err("target: s3://bucket[/prefix] has no bucket".into());
        }
        let (Some(key), Some(secret)) = (&s.access_key_id, &s.secret_access_key) else {
            return Err("an s3:// target needs access_key_id and secret_access_key (use ${ENV})".into());
        };
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region(&s.region)
            .with_access_key_id(key.expose())
            .with_secret_access_key(secret.expose());
        if !s.endpoint.is_empty() {
            b = b.with_endpoint(&s.endpoint).with_allow_http(s.endpoint.starts_with("http://"));
        }
        let store = b.build().map_err(err)?;
        let endpoint = if s.endpoint.is_empty() {
            format!("https://s3.{}.amazonaws.com", s.region)
        } else {
            s.endpoint.trim_end_matches('/').to_string()
        };
        let lister = reqwest::Client::builder().build().ok().map(|client| Lister {
            client,
            base: format!("{endpoint}/{bucket}"),
            region: s.region.clone(),
            credential: AwsCredential {
                key_id: key.expose().to_string(),
                secret_key: secret.expose().to_string(),
                token: None,
            },
        });
        Ok(S3 { store: Arc::new(store), bucket: bucket.into(), prefix, journal_dir: PathBuf::new(), lister })
    }

    pub fn describe(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }

    fn key(&self, rel: &str) -> ObjPath {
        if self.prefix.is_empty() {
            ObjPath::from(rel)
        } else {
            ObjPath::from(format!("{}/{rel}", self.prefix))
        }
    }

    pub async fn prepare(&self) -> StoreResult<()> {
        // One listing call: a wrong endpoint, bucket or key fails here, before any download.
        let prefix = (!self.prefix.is_empty()).then(|| ObjPath::from(self.prefix.as_str()));
        self.store.list_with_delimiter(prefix.as_ref()).await.map(drop).map_err(err)
    }

    pub async fn size(&self, rel: &str) -> StoreResult<Option<u64>> {
        match self.store.head(&self.key(rel)).await {
            Ok(m) => Ok(Some(m.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    pub async fn read(&self, rel: &str) -> StoreResult<Option<Vec<u8>>> {
        match self.store.get(&self.key(rel)).await {
            Ok(r) => Ok(Some(r.bytes().await.map_err(err)?.to_vec())),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(err(e)),
        }
    }

    pub async fn hash(&self, rel: &str) -> StoreResult<Option<(u64, String)>> {
        let r = match self.store.get(&self.key(rel)).await {
            Ok(r) => r,
            Err(object_store::Error::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(err(e)),
        };
        let mut h = Hasher::new();
        let mut n = 0u64;
        let mut stream = r.into_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(err)?;
            n += chunk.len() as u64;
            h.update(&chunk);
        }
        Ok(Some((n, hex(&h.finalize()))))
    }

    pub async fn put(&self, rel: &str, data: Vec<u8>) -> StoreResult<()> {
        self.store.put(&self.key(rel), PutPayload::from(data)).await.map(drop).map_err(err)
    }

    pub async fn delete(&self, rel: &str) -> StoreResult<()> {
        match self.store.delete(&self.key(rel)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(err(e)),
        }
    }

    pub async fn manifests(&self) -> StoreResult<Vec<String>> {
        let prefix = (!self.prefix.is_empty()).then(|| ObjPath::from(self.prefix.as_str()));
        let listing = self.store.list_with_delimiter(prefix.as_ref()).await.map_err(err)?;
        let mut out = Vec::new();
        for dir in listing.common_prefixes {
            let Some(name) = dir.filename().map(String::from) else { continue };
            if self.size(&format!("{name}/manifest.json")).await?.is_some() {
                out.push(name);
            }
        }
        out.sort();
        Ok(out)
    }

    /// A writer for `rel`: takes up the journaled upload of an earlier run if the server
    /// still has its parts; otherwise nothing is created before the first part is full.
    pub async fn writer(&self, rel: &str) -> StoreResult<S3Writer> {
        let key = self.key(rel);
        let journal = (!self.journal_dir.as_os_str().is_empty()).then(|| {
            self.journal_dir.join(format!(
                "{}.json",
                hex(&{
                    let mut h = Hasher::new();
                    h.update(key.as_ref().as_bytes());
                    h.finalize()
                })
            ))
        });
        let mut w = S3Writer::empty(self.store.clone(), key, rel.into(), journal);
        if let Some(j) = w.read_journal() {
            self.take_up(&mut w, j).await?;
        }
        Ok(w)
    }

    /// Continues the journaled upload from its last part the server still has.
    async fn take_up(&self, w: &mut S3Writer, j: Journal) -> StoreResult<()> {
        let id = j.upload_id.clone();
        let listed = match &self.lister {
            Some(l) => l.list_parts(w.key.as_ref(), &id).await?,
            None => None,
        };
        let Some(listed) = listed else {
            // The server does not know the upload any more (aborted, expired).
            w.remove_journal();
            return Ok(());
        };
        let kept = j
            .parts
            .iter()
            .enumerate()
            .take_while(|(i, p)| {
                listed.iter().any(|(n, etag, size)| {
                    *n == i + 1 && etag.trim_matches('"') == p.etag.trim_matches('"') && *size == PART as u64
                })
            })
            .count();
        let restored =
            kept.checked_sub(1).and_then(|last| Hasher::restore(&j.parts[last].sha256_state, (kept * PART) as u64));
        match restored {
            Some(hash) => {
                w.upload = Some(id);
                w.parts = j.parts[..kept].to_vec();
                w.validator = j.validator;
                w.len = hash.len();
                w.hash = hash;
                w.write_journal()?;
            }
            None => {
                let _ = self.store.abort_multipart(&w.key, &id).await;
                w.remove_journal();
            }
        }
        Ok(())
    }
}

impl Lister {
    /// The parts of an upload as (part number, ETag, size); `None` when the server does not
    /// know the upload (404 NoSuchUpload).
    async fn list_parts(&self, key: &str, upload_id: &str) -> StoreResult<Option<Vec<(usize, String, u64)>>> {
        let mut out = Vec::new();
        let mut marker = 0usize;
        loop {
            let url = format!(
                "{}/{}?max-parts=1000&part-number-marker={marker}&uploadId={}",
                self.base,
                utf8_percent_encode(key, KEY_CHARS),
                utf8_percent_encode(upload_id, NON_ALPHANUMERIC)
            );
            let mut req = http::Request::builder()
                .method("GET")
                .uri(&url)
                .body(object_store::client::HttpRequestBody::empty())
                .map_err(|e| format!("ListParts {key}: {e}"))?;
            AwsAuthorizer::new(&self.credential, "s3", &self.region).authorize(&mut req, None);
            let mut r = self.client.get(&url);
            for (k, v) in req.headers() {
                r = r.header(k.as_str(), v.as_bytes());
            }
            let resp = r.send().await.map_err(|e| format!("ListParts {key}: {e}"))?;
            let status = resp.status();
            let text = resp.text().await.map_err(|e| format!("ListParts {key}: {e}"))?;
            if status.as_u16() == 404 {
                return Ok(None);
            }
            if !status.is_success() {
                let code = text.split("<Code>").nth(1).and_then(|c| c.split('<').next()).unwrap_or("");
                return Err(format!("ListParts {key}: HTTP {status} {code}"));
            }
            let doc = roxmltree::Document::parse(&text).map_err(|e| format!("ListParts {key}: {e}"))?;
            let child = |n: roxmltree::Node<'_, '_>, name: &str| {
                n.children().find(|c| c.has_tag_name(name)).and_then(|c| c.text()).unwrap_or("").to_string()
            };
            for p in doc.root_element().children().filter(|c| c.has_tag_name("Part")) {
                let (Ok(n), Ok(size)) = (child(p, "PartNumber").parse(), child(p, "Size").parse()) else { continue };
                out.push((n, child(p, "ETag"), size));
            }
            let root = doc.root_element();
            if child(root, "IsTruncated") != "true" {
                return Ok(Some(out));
            }
            match child(root, "NextPartNumberMarker").parse::<usize>() {
                Ok(next) if next > marker => marker = next,
                _ => return Ok(Some(out)),
            }
        }
    }
}

/// A part being uploaded: its task, and its journal entry once it is stored.
struct Inflight {
    task: tokio::task::JoinHandle<Result<PartId, String>>,
    sha256_state: String,
}

pub struct S3Writer {
    store: Arc<AmazonS3>,
    key: ObjPath,
    rel: String,
    journal: Option<PathBuf>,
    upload: Option<String>,
    /// Parts stored (and journaled).
    parts: Vec<JournaledPart>,
    pub validator: Option<Validator>,
    inflight: Option<Inflight>,
    /// The part being filled.
    buf: Vec<Bytes>,
    buf_len: usize,
    /// Of every byte accepted (stored, in flight, in `buf`).
    hash: Hasher,
    pub len: u64,
}

impl S3Writer {
    /// A writer that has accepted nothing yet (no upload started, no part).
    fn empty(store: Arc<AmazonS3>, key: ObjPath, rel: String, journal: Option<PathBuf>) -> S3Writer {
        S3Writer {
            store,
            key,
            rel,
            journal,
            upload: None,
            parts: Vec::new(),
            validator: None,
            inflight: None,
            buf: Vec::new(),
            buf_len: 0,
            hash: Hasher::new(),
            len: 0,
        }
    }

    fn read_journal(&self) -> Option<Journal> {
        let text = std::fs::read(self.journal.as_ref()?).ok()?;
        let j: Journal = serde_json::from_slice(&text).ok()?;
        (j.key == self.key.as_ref() && j.part_size == PART && !j.upload_id.is_empty()).then_some(j)
    }

    fn write_journal(&self) -> StoreResult<()> {
        let (Some(path), Some(id)) = (&self.journal, &self.upload) else { return Ok(()) };
        let j = Journal {
            key: self.key.to_string(),
            upload_id: id.clone(),
            part_size: PART,
            parts: self.parts.clone(),
            validator: self.validator.clone(),
        };
        let io = |e: std::io::Error| format!("{}: {e}", path.display());
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("tmp");
        let mut f = std::fs::File::create(&tmp).map_err(io)?;
        std::io::Write::write_all(&mut f, &serde_json::to_vec(&j).expect("a journal always serialises")).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Records the file's validator (journaled with the next part, or now if parts are).
    pub fn set_validator(&mut self, v: Option<Validator>) -> StoreResult<()> {
        self.validator = v;
        if self.parts.is_empty() {
            Ok(())
        } else {
            self.write_journal()
        }
    }

    fn remove_journal(&self) {
        if let Some(p) = &self.journal {
            let _ = std::fs::remove_file(p);
        }
    }

    pub async fn write(&mut self, mut chunk: Bytes) -> StoreResult<()> {
        while !chunk.is_empty() {
            let room = PART - self.buf_len;
            let piece = if chunk.len() > room { chunk.split_to(room) } else { std::mem::take(&mut chunk) };
            self.hash.update(&piece);
            self.len += piece.len() as u64;
            self.buf_len += piece.len();
            self.buf.push(piece);
            if self.buf_len == PART {
                self.send_part().await?;
            }
        }
        Ok(())
    }

    /// Waits for the part in flight and journals it. On failure, what was accepted since
    /// the last stored part is dropped (`len` goes back there: the download resumes from it).
    async fn settle(&mut self) -> StoreResult<()> {
        let Some(f) = self.inflight.take() else { return Ok(()) };
        let got = f.task.await.unwrap_or_else(|e| Err(format!("upload task: {e}")));
        match got {
            Ok(part) => {
                self.parts.push(JournaledPart { etag: part.content_id, sha256_state: f.sha256_state });
                self.write_journal()
            }
            Err(e) => {
                self.buf.clear();
                self.buf_len = 0;
                let stored = (self.parts.len() * PART) as u64;
                self.hash = match self.parts.last() {
                    Some(p) => Hasher::restore(&p.sha256_state, stored).unwrap_or_default(),
                    None => Hasher::new(),
                };
                self.len = if self.parts.is_empty() || self.hash.len() == stored { stored } else { 0 };
                Err(e)
            }
        }
    }

    /// Sends `buf` as the next part (one part in flight at most besides the one filling).
    async fn send_part(&mut self) -> StoreResult<()> {
        self.settle().await?;
        let id = match &self.upload {
            Some(id) => id.clone(),
            None => {
                let id = self.store.create_multipart(&self.key).await.map_err(err)?;
                self.upload = Some(id.clone());
                id
            }
        };
        let payload: PutPayload = std::mem::take(&mut self.buf).into_iter().collect();
        self.buf_len = 0;
        let (store, key, idx) = (self.store.clone(), self.key.clone(), self.parts.len());
        let sha256_state = self.hash.save().unwrap_or_default();
        let task = tokio::spawn(async move { store.put_part(&key, &id, idx, payload).await.map_err(err) });
        self.inflight = Some(Inflight { task, sha256_state });
        Ok(())
    }

    pub async fn restart(&mut self) -> StoreResult<()> {
        if let Some(f) = self.inflight.take() {
            f.task.abort();
        }
        if let Some(id) = self.upload.take() {
            let _ = self.store.abort_multipart(&self.key, &id).await;
        }
        self.remove_journal();
        *self =
            S3Writer::empty(self.store.clone(), self.key.clone(), std::mem::take(&mut self.rel), self.journal.take());
        Ok(())
    }

    pub async fn commit(mut self, size: u64, reread: bool) -> StoreResult<String> {
        if self.len != size {
            return Err(format!("{}: {} bytes stored, {size} expected; not kept", self.rel, self.len));
        }
        let sha256 = hex(&self.hash.clone().finalize());
        match self.upload.clone() {
            // Smaller than a part: one PUT.
            None => {
                let payload: PutPayload = std::mem::take(&mut self.buf).into_iter().collect();
                self.store.put(&self.key, payload).await.map_err(err)?;
            }
            Some(id) => {
                if self.buf_len > 0 {
                    self.send_part().await?;
                }
                self.settle().await?;
                let parts = self.parts.iter().map(|p| PartId { content_id: p.etag.clone() }).collect();
                if let Err(e) = self.store.complete_multipart(&self.key, &id, parts).await {
                    // Not completable (parts lost behind our back): the next run starts again.
                    let _ = self.store.abort_multipart(&self.key, &id).await;
                    self.remove_journal();
                    return Err(err(e));
                }
                self.remove_journal();
            }
        }
        if reread {
            let s3 = S3 {
                store: self.store.clone(),
                bucket: String::new(),
                prefix: String::new(),
                journal_dir: PathBuf::new(),
                lister: None,
            };
            let got = s3.hash(self.key.as_ref()).await?;
            if let Err(e) = check_reread(&self.rel, got, size, &sha256) {
                let _ = self.store.delete(&self.key).await;
                return Err(e);
            }
        }
        Ok(sha256)
    }

    /// Keeps the parts stored (journaled) for the next run; without a journal, aborts.
    pub async fn suspend(mut self) {
        let _ = self.settle().await;
        if self.journal.is_none() {
            if let Some(id) = self.upload.take() {
                let _ = self.store.abort_multipart(&self.key, &id).await;
            }
        }
    }
}

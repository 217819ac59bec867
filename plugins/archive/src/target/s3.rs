//! An S3-compatible bucket (object_store): files streamed as multipart uploads (an object
//! exists only once its upload is completed), small files in one PUT.
use super::{check_reread, hex, StoreResult};
use crate::config::Settings;
use bytes::Bytes;
use futures_util::StreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as ObjPath;
use object_store::{ObjectStore, PutPayload, WriteMultipart};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// Part size of multipart uploads: what a file in flight holds in memory (twice, at most).
const PART: usize = 8 << 20;

pub struct S3 {
    store: Arc<AmazonS3>,
    bucket: String,
    prefix: String,
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
        Ok(S3 { store: Arc::new(store), bucket: bucket.into(), prefix })
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
        let mut h = Sha256::new();
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

    pub async fn writer(&self, rel: &str) -> StoreResult<S3Writer> {
        let key = self.key(rel);
        let upload = self.store.put_multipart(&key).await.map_err(err)?;
        Ok(S3Writer {
            store: self.store.clone(),
            key,
            rel: rel.into(),
            upload: Some(WriteMultipart::new_with_chunk_size(upload, PART)),
            len: 0,
        })
    }
}

pub struct S3Writer {
    store: Arc<AmazonS3>,
    key: ObjPath,
    rel: String,
    upload: Option<WriteMultipart>,
    pub len: u64,
}

impl S3Writer {
    pub async fn write(&mut self, chunk: Bytes) -> StoreResult<()> {
        let up = self.upload.as_mut().expect("upload used after commit");
        // At most one part in flight besides the one being filled: memory stays flat.
        up.wait_for_capacity(1).await.map_err(err)?;
        up.put(chunk);
        Ok(())
    }

    pub async fn restart(&mut self) -> StoreResult<()> {
        if let Some(up) = self.upload.take() {
            let _ = up.abort().await;
        }
        let upload = self.store.put_multipart(&self.key).await.map_err(err)?;
        self.upload = Some(WriteMultipart::new_with_chunk_size(upload, PART));
        self.len = 0;
        Ok(())
    }

    pub async fn commit(mut self, size: u64, sha256: &str, reread: bool) -> StoreResult<()> {
        let up = self.upload.take().expect("upload committed twice");
        up.finish().await.map_err(err)?;
        if reread {
            let s3 = S3 { store: self.store.clone(), bucket: String::new(), prefix: String::new() };
            let got = s3.hash(self.key.as_ref()).await?;
            if let Err(e) = check_reread(&self.rel, got, size, sha256) {
                let _ = self.store.delete(&self.key).await;
                return Err(e);
            }
        }
        Ok(())
    }

    pub async fn abort(mut self) {
        if let Some(up) = self.upload.take() {
            let _ = up.abort().await;
        }
    }
}

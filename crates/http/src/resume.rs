//! The one decision of a resumed download (`archive`, `claim-dir`): what to do with the bytes
//! kept of a file from an earlier attempt, given the server's answer to
//! `Range: bytes=<have>-` + `If-Range: <validator>`.
//!
//! * 206 for the range asked (`Content-Range` starting at the bytes held) with the same
//!   validators (a server that does not know `If-Range` answers 206 whatever the version:
//!   its answer's own validators tell) → [`Resume::Append`].
//! * 200 (the `If-Range` did not match, or the server ignores ranges) → [`Resume::Whole`]:
//!   the body is the whole file, written from byte 0.
//! * 206 with other validators, or a 416 naming another version → [`Resume::StartOver`]: the
//!   bytes kept are dropped and the file is asked for again from 0 at once.
//! * 206 for a range not asked, a 416 whose size is not the bytes held → [`Resume::Fail`]: the
//!   bytes kept are dropped and the attempt counts as failed.
//! * 416 for exactly the bytes held, of the same size as recorded → [`Resume::Complete`].
//! * No validator recorded with bytes held: nothing proves they are of the file the server
//!   has now; [`Held::unverifiable`] says so before anything is asked.
//!
//! Every reason names the URL and ends with what happens ("fetched again from byte 0" for a
//! start over, said once in the plugins' reports).
use crate::{content_range, header_map_text as text, Validator};
use reqwest::header::{HeaderMap, CONTENT_LENGTH, CONTENT_RANGE, IF_RANGE, RANGE};
use reqwest::StatusCode;

/// What a download holds of a file before it asks for the rest.
#[derive(Debug, Clone, Copy)]
pub struct Held<'a> {
    /// The file's URL (named in every reason).
    pub url: &'a str,
    /// Bytes kept of the file (0: nothing, the file is asked for whole).
    pub have: u64,
    /// The validator recorded with those bytes.
    pub kept: Option<&'a Validator>,
}

/// What to do with an answer to the request [`Held::request`] built.
#[derive(Debug, Clone, PartialEq)]
pub enum Resume {
    /// The range asked for, of the same version: the body goes after the bytes held.
    /// `total`: the file's size per `Content-Range`.
    Append { total: Option<u64> },
    /// The whole file (200): the bytes held are dropped and the body is written from byte 0.
    /// `validator`: this version's, to record with the new bytes; `started_over`: why bytes
    /// held were dropped (`None` when there were none).
    Whole { total: Option<u64>, validator: Option<Validator>, started_over: Option<String> },
    /// The bytes held are of another version of the file: drop them and ask again from byte 0
    /// at once (not a failed attempt; the body of this answer is not used).
    StartOver { reason: String },
    /// The bytes held already are the whole file (416 for exactly their end).
    Complete { total: u64 },
    /// An answer that cannot be used (a range not asked for; a 416 that does not fit the bytes
    /// held): drop the bytes held, and count a failed attempt.
    Fail { reason: String },
    /// Any other status (404, 5xx, redirects…): the caller's to handle.
    Status(StatusCode),
}

impl Held<'_> {
    /// Why the bytes held cannot be resumed at all (bytes without a validator recorded): the
    /// caller drops them and asks for the file from 0. `None` when they can be (or none are held).
    pub fn unverifiable(&self) -> Option<String> {
        (self.have > 0 && self.kept.is_none()).then(|| {
            format!(
                "{}: no ETag or Last-Modified was recorded with the {} bytes kept (the server's file may have \
                 changed); fetched again from byte 0",
                self.url, self.have
            )
        })
    }

    /// `req` with `Range: bytes=<have>-` and `If-Range: <validator>` when bytes are held with a
    /// validator; unchanged otherwise (the whole file is asked for).
    pub fn request(&self, req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
        match self.kept {
            Some(v) if self.have > 0 => {
                req.header(RANGE, format!("bytes={}-", self.have)).header(IF_RANGE, v.if_range())
            }
            _ => req,
        }
    }

    /// The decision for `resp` (see [`Held::decide`]).
    pub fn answer(&self, resp: &reqwest::Response) -> Resume {
        self.decide(resp.status(), resp.headers())
    }

    /// The decision for an answer of `status` with `headers` (see the module doc).
    pub fn decide(&self, status: StatusCode, headers: &HeaderMap) -> Resume {
        let range = text(headers, CONTENT_RANGE).and_then(content_range);
        match status {
            StatusCode::PARTIAL_CONTENT => match range {
                Some((Some(start), total)) if start == self.have && self.have > 0 => {
                    let now = Validator::from_headers(headers, total);
                    if self.same(now.as_ref()) {
                        Resume::Append { total }
                    } else {
                        Resume::StartOver { reason: self.changed(now.as_ref()) }
                    }
                }
                _ => Resume::Fail {
                    reason: format!(
                        "{}: an answer for a range that was not asked for (bytes={}-, Content-Range: {}); \
                         restarting from byte 0",
                        self.url,
                        self.have,
                        text(headers, CONTENT_RANGE).unwrap_or("none")
                    ),
                },
            },
            StatusCode::OK => {
                let total = text(headers, CONTENT_LENGTH).and_then(|v| v.trim().parse().ok());
                let validator = Validator::from_headers(headers, total);
                let started_over = (self.have > 0).then(|| {
                    // The validator did not match (If-Range), or the server ignores ranges.
                    if self.same(validator.as_ref()) {
                        format!("{}: the server ignored the range asked for; fetched again from byte 0", self.url)
                    } else {
                        self.changed(validator.as_ref())
                    }
                });
                Resume::Whole { total, validator, started_over }
            }
            StatusCode::RANGE_NOT_SATISFIABLE if self.have > 0 => {
                let total = range.and_then(|r| r.1);
                let now = Validator::from_headers(headers, total);
                if now.is_some() && !self.same(now.as_ref()) {
                    return Resume::StartOver { reason: self.changed(now.as_ref()) };
                }
                if total == Some(self.have) && self.kept.is_some_and(|k| k.length == self.have) {
                    return Resume::Complete { total: self.have };
                }
                Resume::Fail {
                    reason: format!(
                        "{}: the {} bytes kept do not fit the file ({} bytes per the server, {} recorded); \
                         restarting from byte 0",
                        self.url,
                        self.have,
                        total.map_or("?".into(), |t| t.to_string()),
                        self.kept.map_or("none".into(), |k| k.length.to_string())
                    ),
                }
            }
            s => Resume::Status(s),
        }
    }

    /// Do the bytes held and `now` (an answer's validator) name the same version of the file?
    fn same(&self, now: Option<&Validator>) -> bool {
        self.kept.is_some_and(|v| v.same(now))
    }

    fn changed(&self, now: Option<&Validator>) -> String {
        format!(
            "{}: changed on the server since the {} bytes kept were fetched ({} → {}); fetched again from byte 0",
            self.url,
            self.have,
            self.kept.map_or("?", Validator::if_range),
            now.map_or("no validator", Validator::if_range)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderName, HeaderValue};

    const URL: &str = "https://bbb.example/presentation/r1/video/webcams.webm";
    const DATE: &str = "Tue, 14 Nov 2023 22:13:20 GMT";

    fn headers(list: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in list {
            h.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn etag(tag: &str, length: u64) -> Validator {
        Validator { etag: Some(tag.into()), last_modified: Some(DATE.into()), length }
    }

    fn held(have: u64, kept: Option<&Validator>) -> Held<'_> {
        Held { url: URL, have, kept }
    }

    fn reason(r: Resume) -> String {
        match r {
            Resume::StartOver { reason } | Resume::Fail { reason } => reason,
            Resume::Whole { started_over: Some(reason), .. } => reason,
            other => panic!("no reason: {other:?}"),
        }
    }

    #[test]
    fn a_206_for_the_range_asked_of_the_same_version_appends() {
        let v = etag("\"65-10\"", 200);
        let h = headers(&[("content-range", "bytes 100-199/200"), ("etag", "\"65-10\"")]);
        assert_eq!(held(100, Some(&v)).decide(StatusCode::PARTIAL_CONTENT, &h), Resume::Append { total: Some(200) });
    }

    #[test]
    fn a_200_is_the_whole_file_from_byte_0() {
        let v = etag("\"65-10\"", 200);
        // Same validators: the server ignores ranges.
        let h = headers(&[("content-length", "200"), ("etag", "\"65-10\"")]);
        let r = held(100, Some(&v)).decide(StatusCode::OK, &h);
        let same = Validator { etag: Some("\"65-10\"".into()), last_modified: None, length: 200 };
        assert!(matches!(&r, Resume::Whole { total: Some(200), validator: Some(now), .. } if *now == same), "{r:?}");
        let why = reason(r);
        assert!(
            why.starts_with(URL) && why.contains("ignored the range") && why.ends_with("fetched again from byte 0"),
            "{why}"
        );
        // Another version (If-Range did not match).
        let h = headers(&[("content-length", "210"), ("etag", "\"66-10\"")]);
        let why = reason(held(100, Some(&v)).decide(StatusCode::OK, &h));
        assert!(
            why.contains("changed on the server since the 100 bytes kept") && why.contains("\"65-10\" → \"66-10\""),
            "{why}"
        );
        // Nothing held: nothing started over.
        let r = held(0, None).decide(StatusCode::OK, &h);
        assert!(matches!(r, Resume::Whole { total: Some(210), validator: Some(_), started_over: None }), "{r:?}");
        // No validator in the answer: nothing to resume with later, still the whole file.
        let r = held(0, None).decide(StatusCode::OK, &headers(&[]));
        assert_eq!(r, Resume::Whole { total: None, validator: None, started_over: None });
    }

    #[test]
    fn a_206_for_a_range_not_asked_fails_the_attempt() {
        let v = etag("\"65-10\"", 200);
        for cr in [Some("bytes 0-199/200"), Some("bytes 150-199/200"), Some("bytes */200"), None] {
            let mut list = vec![("etag", "\"65-10\"")];
            list.extend(cr.map(|c| ("content-range", c)));
            let why = reason(held(100, Some(&v)).decide(StatusCode::PARTIAL_CONTENT, &headers(&list)));
            assert!(why.contains("not asked for") && why.contains(cr.unwrap_or("none")), "{why}");
        }
        // A 206 when no range was asked for.
        let h = headers(&[("content-range", "bytes 0-199/200"), ("etag", "\"65-10\"")]);
        assert!(matches!(held(0, None).decide(StatusCode::PARTIAL_CONTENT, &h), Resume::Fail { .. }));
    }

    #[test]
    fn a_206_of_another_version_starts_over() {
        let v = etag("\"65-10\"", 200);
        for list in [
            vec![("content-range", "bytes 100-199/200"), ("etag", "\"66-10\"")],
            // Same ETag, another size.
            vec![("content-range", "bytes 100-209/210"), ("etag", "\"65-10\"")],
            // No validator any more, or no size.
            vec![("content-range", "bytes 100-199/200")],
            vec![("content-range", "bytes 100-199/*"), ("etag", "\"65-10\"")],
        ] {
            let why = reason(held(100, Some(&v)).decide(StatusCode::PARTIAL_CONTENT, &headers(&list)));
            assert!(why.contains("changed on the server") && why.ends_with("fetched again from byte 0"), "{why}");
        }
    }

    #[test]
    fn bytes_without_a_validator_start_over_from_0() {
        let why = held(100, None).unverifiable().unwrap();
        assert!(why.contains("no ETag or Last-Modified was recorded with the 100 bytes kept"), "{why}");
        assert_eq!(held(0, None).unverifiable(), None);
        assert_eq!(held(100, Some(&etag("\"65-10\"", 200))).unverifiable(), None);
        // Even if asked anyway, their 206 is never appended to.
        let h = headers(&[("content-range", "bytes 100-199/200"), ("etag", "\"65-10\"")]);
        assert!(matches!(held(100, None).decide(StatusCode::PARTIAL_CONTENT, &h), Resume::StartOver { .. }));
    }

    #[test]
    fn a_weak_etag_leaves_the_date_to_decide() {
        // The first answer had a weak ETag: the date was recorded, and sent as If-Range.
        let v = Validator { etag: None, last_modified: Some(DATE.into()), length: 200 };
        assert_eq!(v.if_range(), DATE);
        let weak = |date: &str| {
            headers(&[("content-range", "bytes 100-199/200"), ("etag", "W/\"65-10\""), ("last-modified", date)])
        };
        let h = held(100, Some(&v));
        assert_eq!(h.decide(StatusCode::PARTIAL_CONTENT, &weak(DATE)), Resume::Append { total: Some(200) });
        let r = h.decide(StatusCode::PARTIAL_CONTENT, &weak("Wed, 15 Nov 2023 22:13:20 GMT"));
        assert!(matches!(r, Resume::StartOver { .. }), "{r:?}");
        // A weak ETag alone is no validator.
        let r = h.decide(
            StatusCode::PARTIAL_CONTENT,
            &headers(&[("content-range", "bytes 100-199/200"), ("etag", "W/\"1\"")]),
        );
        assert!(matches!(&r, Resume::StartOver { reason } if reason.contains("→ no validator")), "{r:?}");
    }

    #[test]
    fn a_416_is_complete_only_for_exactly_the_bytes_held() {
        let v = etag("\"65-10\"", 200);
        let h = held(200, Some(&v));
        let at = |cr: &str, etag: Option<&str>| {
            let mut list = vec![("content-range", cr)];
            list.extend(etag.map(|e| ("etag", e)));
            h.decide(StatusCode::RANGE_NOT_SATISFIABLE, &headers(&list))
        };
        assert_eq!(at("bytes */200", None), Resume::Complete { total: 200 });
        assert_eq!(at("bytes */200", Some("\"65-10\"")), Resume::Complete { total: 200 });
        assert!(matches!(at("bytes */200", Some("\"66-10\"")), Resume::StartOver { .. }));
        assert!(matches!(at("bytes */150", None), Resume::Fail { .. }));
        // The size recorded is not the bytes held.
        let short = etag("\"65-10\"", 300);
        let r = held(200, Some(&short))
            .decide(StatusCode::RANGE_NOT_SATISFIABLE, &headers(&[("content-range", "bytes */200")]));
        assert!(matches!(&r, Resume::Fail { reason } if reason.contains("300 recorded")), "{r:?}");
        // Not asked for a range: the caller's.
        let r = held(0, None).decide(StatusCode::RANGE_NOT_SATISFIABLE, &headers(&[]));
        assert_eq!(r, Resume::Status(StatusCode::RANGE_NOT_SATISFIABLE));
    }

    #[test]
    fn other_statuses_are_the_callers() {
        let v = etag("\"65-10\"", 200);
        for s in [StatusCode::NOT_FOUND, StatusCode::SERVICE_UNAVAILABLE, StatusCode::TEMPORARY_REDIRECT] {
            assert_eq!(held(100, Some(&v)).decide(s, &headers(&[])), Resume::Status(s));
        }
    }

    #[test]
    fn the_request_carries_range_and_if_range_only_with_a_validator() {
        let client = reqwest::Client::new();
        let v = etag("\"65-10\"", 200);
        let built = |h: Held<'_>| h.request(client.get(URL)).build().unwrap();
        let r = built(held(100, Some(&v)));
        assert_eq!(r.headers().get(RANGE).unwrap(), "bytes=100-");
        assert_eq!(r.headers().get(IF_RANGE).unwrap(), "\"65-10\"");
        for h in [held(0, Some(&v)), held(100, None), held(0, None)] {
            let r = built(h);
            assert!(r.headers().get(RANGE).is_none() && r.headers().get(IF_RANGE).is_none());
        }
    }
}

//! `VideoFiles::resolve` against the real local BBB / Scalelite server: one
//! page request per recording that needs its file, none for the others, at
//! most `concurrency` at once; the file is resolved against the page's final
//! URL (after Scalelite's 307).
use bbb_migrate_video_page::VideoFiles;
use bbb_testserver::{dataset, Flavour, Options, TestServer};
use plugin_api::sdk::runtime::block_on;
use plugin_api::{Playback, Recording};
use std::sync::Arc;
use std::time::Duration;

fn recordings(s: &TestServer, n: usize) -> Vec<Recording> {
    dataset(n)
        .into_iter()
        .take(n)
        .map(|t| {
            let playback = t
                .formats
                .iter()
                .map(|f| Playback {
                    format: (*f).into(),
                    url: format!("http://127.0.0.1:{}/playback/{f}/{}/", s.port, t.record_id).into(),
                    ..Default::default()
                })
                .collect::<Vec<_>>();
            Recording {
                record_id: t.record_id.into(),
                published: t.published,
                playback: playback.into(),
                ..Default::default()
            }
        })
        .collect()
}

fn resolve(
    files: Arc<VideoFiles>,
    recs: Vec<Recording>,
) -> (Vec<Recording>, Vec<Option<bbb_migrate_video_page::PageError>>) {
    block_on(async move {
        let mut recs = recs;
        let errors = files.resolve(recs.iter_mut()).await;
        (recs, errors)
    })
}

#[test]
fn one_page_request_per_recording_that_needs_it_bounded() {
    let mut opts = Options::new(Flavour::Bbb22, "s");
    opts.page_delay = Duration::from_millis(20);
    let s = TestServer::start(opts, dataset(60));
    let mut recs = recordings(&s, 60);
    // One recording already knows its file: its page is not read.
    let known = recs.iter().position(|r| r.published && r.playback("video").is_some()).unwrap();
    recs[known].playback_mut("video").unwrap().set_download_url("http://elsewhere/v.mp4");
    let with_video = recs.iter().filter(|r| r.playback("video").is_some()).count();
    assert_eq!(with_video, 20);

    let files = Arc::new(VideoFiles::new(reqwest::Client::new(), 3));
    let (recs, errors) = resolve(files.clone(), recs);
    assert_eq!(s.playback_calls(), 19);
    assert_eq!(files.requests(), 19);
    assert!(s.peak_pages_in_flight() <= 3, "{}", s.peak_pages_in_flight());
    assert_eq!(s.file_calls(), 0);
    for (r, e) in recs.iter().zip(&errors) {
        let Some(v) = r.playback("video") else {
            assert!(e.is_none() && r.playback.iter().all(|p| p.download_url().is_none()));
            continue;
        };
        if r.record_id == recs[known].record_id {
            assert_eq!(v.download_url().as_deref(), Some("http://elsewhere/v.mp4"));
        } else if r.published {
            assert!(e.is_none(), "{e:?}");
            let want = format!("http://127.0.0.1:{}/playback/video/{}/video-0.m4v", s.port, r.record_id);
            assert_eq!(v.download_url(), Some(want));
        } else {
            // Unpublished: the server answers 404, which a re-run cannot fix.
            let e = e.as_ref().unwrap();
            assert!(e.permanent && e.message.ends_with("HTTP 404 Not Found"), "{e:?}");
            assert_eq!(v.download_error().as_deref(), Some(e.message.as_str()));
        }
    }
}

#[test]
fn scalelite_files_are_resolved_against_the_redirected_page() {
    let s = TestServer::start(Options::new(Flavour::Scalelite, "s"), dataset(12));
    let recs: Vec<Recording> = recordings(&s, 12).into_iter().filter(|r| r.published).collect();
    let files = Arc::new(VideoFiles::new(reqwest::Client::new(), 4));
    let (recs, errors) = resolve(files.clone(), recs);
    assert!(errors.iter().all(Option::is_none), "{errors:?}");
    let r = recs.iter().find(|r| r.playback("video").is_some()).unwrap();
    assert_eq!(
        r.playback("video").unwrap().download_url(),
        Some(format!("http://127.0.0.1:{}/video/{}/video-0.m4v", s.port, r.record_id))
    );
    // One request per page; the test server counts the 307 and the page it leads to.
    let pages = recs.iter().filter(|r| r.playback("video").is_some()).count() as u64;
    assert_eq!(files.requests(), pages);
    assert_eq!(s.playback_calls(), 2 * pages);
}

//! The parser against real answers from `testdata/bbb/api/` and hostile variants.
use bbb_xml::{parse_all, RecordingsReader};
use plugin_api::sdk::testing::testdata;

fn fixture(name: &str) -> Vec<u8> {
    let p = testdata("bbb/api").join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn bbb20_demo_server_answer() {
    let (recs, bad, env) = parse_all(&fixture("getRecordings-bbb20-demo-server.xml")[..]).unwrap();
    assert!(env.is_success());
    assert!(bad.is_empty());
    assert!(recs.len() >= 2, "{}", recs.len());
    let r = &recs[0];
    assert_eq!(r.record_id.as_str(), "bc04628ab61776c9f65c695dc59f36abf8955bbc-1504087272607");
    assert_eq!(r.name.as_str(), "тест");
    assert_eq!(r.start_ms, 1504087272607);
    assert_eq!(r.meta("room-id"), Some("an-a02174f6"));
    let p = r.playback("presentation").unwrap();
    assert!(p.url.as_str().contains("2.0/playback.html?meetingId="));
    assert!(p.extra_json.as_str().contains("thumb-1.png"));
    assert!(!env.paginated);
}

#[test]
fn moodle_client_fixture_with_cdata() {
    let (recs, _, env) = parse_all(&fixture("getRecordings-moodle-php-client-fixture.xml")[..]).unwrap();
    assert!(env.is_success());
    assert!(!recs.is_empty());
    for r in &recs {
        assert!(!r.record_id.is_empty());
        assert!(!r.playback.is_empty());
    }
}

#[test]
fn no_recordings_is_an_empty_success() {
    let (recs, bad, env) = parse_all(&fixture("getRecordings-noRecordings-php-client-fixture.xml")[..]).unwrap();
    assert!(recs.is_empty() && bad.is_empty());
    assert_eq!(env.message_key, "noRecordings");
}

#[test]
fn failed_answer_keeps_its_message_key() {
    let (_, _, env) = parse_all(&fixture("error-notFound-littleredbutton-fixture.xml")[..]).unwrap();
    assert!(!env.is_success());
    assert_eq!(env.message_key, "notFound");
}

#[test]
fn hostile_record_id_is_rejected_and_the_rest_goes_on() {
    let xml = br#"<response><returncode>SUCCESS</returncode><recordings>
      <recording><recordID>../../etc/passwd</recordID><meetingID>x</meetingID><published>true</published></recording>
      <recording><recordID>abc-1</recordID><meetingID>m&amp;1 [0]</meetingID><name><![CDATA[A & B]]></name><published>true</published><startTime>1600000000000</startTime><state>available</state><metadata/><playback/></recording>
    </recordings><totalElements>2</totalElements></response>"#;
    let (recs, bad, env) = parse_all(&xml[..]).unwrap();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].message.contains("refused"), "{}", bad[0].message);
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].meeting_id.as_str(), "m&1 [0]");
    assert_eq!(recs[0].name.as_str(), "A & B");
    assert_eq!(recs[0].state.as_str(), "available");
    assert_eq!(env.total_elements, Some(2));
    assert!(env.paginated);
}

#[test]
fn truncated_or_foreign_answers_are_errors() {
    let e = parse_all(&b"<response><returncode>SUCCESS</returncode><recordings><recording>"[..]).unwrap_err();
    assert!(e.0.contains("ends inside"), "{e}");
    let e = parse_all(&b"<html><body>504 Gateway Time-out</body></html>"[..]).unwrap_err();
    assert!(e.0.contains("returncode"), "{e}");
    let mut r = RecordingsReader::new(&b"<response><returncode>SUCCESS</returncode></oops>"[..]);
    assert!(r.any(|i| i.is_err()));
}

#[test]
fn written_answers_read_back_identically() {
    use bbb_xml::AnswerWriter;
    for name in ["getRecordings-bbb20-demo-server.xml", "getRecordings-moodle-php-client-fixture.xml"] {
        let (mut recs, _, _) = parse_all(&fixture(name)[..]).unwrap();
        // A resolved download URL (the `bbb` source adds it) survives the round trip too.
        recs[0].playback[0].extra_json = r#"{"download_url":"http://h/v/a b&c.m4v"}"#.into();
        let mut w = AnswerWriter::new(Vec::new()).unwrap();
        for r in &recs {
            w.write(r).unwrap();
        }
        let bytes = w.finish().unwrap();
        let (again, bad, env) = parse_all(&bytes[..]).unwrap();
        assert!(env.is_success() && bad.is_empty());
        assert_eq!(again, recs, "{name}");
    }
}

#[test]
fn api_index_tells_bbb_from_scalelite() {
    let bbb = bbb_xml::parse_index("<response><returncode>SUCCESS</returncode><version>2.0</version><apiVersion>2.0</apiVersion><bbbVersion>2.7.3</bbbVersion></response>").unwrap();
    assert_eq!((bbb.bbb_version.as_str(), bbb.is_scalelite()), ("2.7.3", false));
    let sl = bbb_xml::parse_index(
        "<response><returncode>SUCCESS</returncode><version>2.0</version><build>v1.6</build></response>",
    )
    .unwrap();
    assert!(sl.is_scalelite());
    assert!(bbb_xml::parse_index("<html><body>404 Not Found</body></html>").is_err());
}

//! Hostile answers: a bad byte spoils only its recording, control
//! characters never leave the parser, undated recordings are reported, and
//! every bound ends an endless answer with one line.
use bbb_xml::{parse_all, Exceeded, Item, Limits, RecordingsReader};
use std::io::{BufReader, Read};

fn rec(id: &str, name: &[u8]) -> Vec<u8> {
    let mut v = format!("<recording><recordID>{id}</recordID><meetingID>m-{id}</meetingID><name>").into_bytes();
    v.extend_from_slice(name);
    v.extend_from_slice(b"</name><published>true</published><startTime>1600000000000</startTime><endTime>1600003600000</endTime><metadata><bbb-context>c</bbb-context></metadata></recording>\n");
    v
}

fn answer(recs: &[Vec<u8>]) -> Vec<u8> {
    let mut v = b"<response><returncode>SUCCESS</returncode><recordings>".to_vec();
    recs.iter().for_each(|r| v.extend_from_slice(r));
    v.extend_from_slice(b"</recordings></response>");
    v
}

#[test]
fn an_undecodable_byte_or_character_spoils_only_its_recording() {
    let xml = answer(&[
        rec("a-1", b"fine"),
        rec("a-2", b"bad \xff\xfe byte"),
        rec("a-3", b"nul &#0; reference"),
        rec("a-4", b"also fine"),
        rec("a-5", b"<![CDATA[cdata \xc3\x28]]>"),
    ]);
    let (ok, bad, env) = parse_all(&xml[..]).unwrap();
    assert!(env.is_success());
    let ids: Vec<&str> = ok.iter().map(|r| r.record_id.as_str()).collect();
    assert_eq!(ids, ["a-1", "a-4"]);
    let bad: Vec<(&str, &str)> = bad.iter().map(|r| (r.record_id.as_str(), r.message.as_str())).collect();
    assert_eq!(bad.len(), 3, "{bad:?}");
    assert_eq!(bad[0].0, "a-2");
    assert!(bad[0].1.contains("undecodable content in <name>"), "{}", bad[0].1);
    assert_eq!(bad[1].0, "a-3");
    assert!(bad[1].1.contains("undecodable content in <name>"), "{}", bad[1].1);
    assert_eq!(bad[2].0, "a-5");
    assert!(bad.iter().all(|(_, m)| !m.contains('\n')));
}

#[test]
fn control_characters_are_removed_before_any_sink_sees_them() {
    let xml = answer(&[rec("a-1", b"Cours\x00 \x1b[2Jde\x07 maths\nL1")]);
    let (ok, bad, _) = parse_all(&xml[..]).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    assert_eq!(ok[0].name.as_str(), "Cours [2Jde maths L1");
    // Metadata keeps its line breaks (free text), not its controls.
    let xml = b"<response><returncode>SUCCESS</returncode><recordings><recording><recordID>a-1</recordID><startTime>1</startTime><metadata><bbb-context>a\x00b\nc\x1b</bbb-context></metadata></recording></recordings></response>";
    let (ok, _, _) = parse_all(&xml[..]).unwrap();
    assert_eq!(ok[0].metadata[0].1.as_str(), "ab\nc");
}

#[test]
fn a_recording_without_a_valid_start_time_is_reported_never_dated_1970() {
    let xml = b"<response><returncode>SUCCESS</returncode><recordings>\
        <recording><recordID>a-1</recordID><published>true</published></recording>\
        <recording><recordID>a-2</recordID><startTime>yesterday</startTime></recording>\
        <recording><recordID>a-3</recordID><startTime>0</startTime></recording>\
        <recording><recordID>a-4</recordID><startTime>1600000000000</startTime></recording>\
        </recordings></response>";
    let (ok, bad, _) = parse_all(&xml[..]).unwrap();
    assert_eq!(ok.len(), 1);
    assert_eq!((ok[0].record_id.as_str(), ok[0].start_ms, ok[0].end_ms), ("a-4", 1_600_000_000_000, 1_600_000_000_000));
    let msgs: Vec<String> = bad.iter().map(|r| format!("{}: {}", r.record_id, r.message)).collect();
    assert_eq!(msgs.len(), 3);
    assert!(msgs[0].starts_with("a-1: no startTime"), "{msgs:?}");
    assert!(msgs[1].starts_with("a-2: startTime `yesterday` is not a time"), "{msgs:?}");
    assert!(msgs[2].starts_with("a-3: startTime `0`"), "{msgs:?}");
}

/// A head, then `unit` forever.
struct Endless {
    head: Vec<u8>,
    unit: Vec<u8>,
    pos: usize,
    sent: u64,
}

impl Read for Endless {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let src = if self.pos < self.head.len() { &self.head } else { &self.unit };
            let i = if self.pos < self.head.len() { self.pos } else { (self.pos - self.head.len()) % self.unit.len() };
            let k = (src.len() - i).min(buf.len() - n);
            buf[n..n + k].copy_from_slice(&src[i..i + k]);
            n += k;
            self.pos += k;
        }
        self.sent += n as u64;
        Ok(n)
    }
}

fn endless(head: &[u8], unit: &[u8], limits: Limits) -> (bbb_xml::XmlError, u64) {
    let mut src = Endless { head: head.to_vec(), unit: unit.to_vec(), pos: 0, sent: 0 };
    let mut r = RecordingsReader::with_limits(BufReader::new(&mut src), limits);
    let mut err = None;
    for item in r.by_ref() {
        if let Err(e) = item {
            err = Some(e);
            break;
        }
    }
    drop(r);
    (err.expect("an endless answer must end in an error"), src.sent)
}

const HEAD: &[u8] = b"<response><returncode>SUCCESS</returncode><recordings>";

#[test]
fn endless_answers_end_in_one_line_within_the_bounds() {
    let limits = Limits { token: 64 << 10, recording: 256 << 10, answer: Some(8 << 20), depth: 32 };
    // Endless whitespace after <recordings>.
    let (e, sent) = endless(HEAD, b"   \n", limits);
    assert_eq!(e.1, Some(Exceeded::Token), "{e}");
    assert!(e.0.contains("longer than 65536 bytes inside <recordings>"), "{e}");
    assert!(sent < 1 << 20, "{sent}");
    // Endless <name> text.
    let (e, _) = endless(&[HEAD, b"<recording><recordID>a-1</recordID><name>"].concat(), b"la ", limits);
    assert_eq!(e.1, Some(Exceeded::Token), "{e}");
    assert!(e.0.contains("inside <name>"), "{e}");
    // Endless CDATA sections (each one below the bound) joined in one text node.
    let cdata = [&b"<![CDATA["[..], &[b'x'; 1000], b"]]>"].concat();
    let (e, _) = endless(&[HEAD, b"<recording><recordID>a-1</recordID><name>"].concat(), &cdata, limits);
    assert_eq!(e.1, Some(Exceeded::Token), "{e}");
    // Endless elements inside one recording.
    let (e, _) = endless(&[HEAD, b"<recording><recordID>a-1</recordID><metadata>"].concat(), b"<k>v</k>", limits);
    assert_eq!(e.1, Some(Exceeded::Recording), "{e}");
    // Endless recordings: the answer's bound.
    let one = rec("a-1", b"n");
    let (e, sent) = endless(HEAD, &one, limits);
    assert_eq!(e.1, Some(Exceeded::Answer), "{e}");
    assert!(sent < 9 << 20, "{sent}");
    // Endless nesting.
    let (e, _) = endless(HEAD, b"<a>", limits);
    assert_eq!(e.1, Some(Exceeded::Depth), "{e}");
    assert!(!e.0.contains('\n'));
}

#[test]
fn items_still_stream_one_by_one() {
    let xml = answer(&[rec("a-1", b"x"), rec("a-2", b"y")]);
    let items: Vec<Item> = RecordingsReader::new(&xml[..]).map(Result::unwrap).collect();
    assert_eq!(items.len(), 2);
}

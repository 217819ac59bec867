//! A 100 000-recording answer is parsed in bounded memory: the answer is
//! generated on the fly (never held whole) and the process's peak RSS must
//! stay far below the answer's size. Alone in its test binary, so the peak
//! measured is this test's.
use bbb_xml::{Item, RecordingsReader};
use std::io::{BufReader, Read};

/// Yields `<response>…<recording>×n…</response>` chunk by chunk.
struct Answer {
    n: usize,
    i: usize,
    pending: Vec<u8>,
    pos: usize,
    done: bool,
    bytes: u64,
}

impl Read for Answer {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.pending.len() {
            self.pending.clear();
            self.pos = 0;
            if self.i == 0 && !self.done && self.bytes == 0 {
                self.pending.extend_from_slice(b"<response><returncode>SUCCESS</returncode><recordings>");
            }
            if self.i < self.n {
                let i = self.i;
                self.pending.extend_from_slice(format!(
                    "<recording><recordID>{i:040x}-{:013}</recordID><meetingID>m{i}</meetingID><name><![CDATA[Cours n°{i} & co]]></name>\
                     <published>true</published><state>published</state><startTime>1600000000000</startTime><endTime>1600003600000</endTime>\
                     <metadata><bbb-origin>Moodle</bbb-origin><bbb-context>{}</bbb-context></metadata>\
                     <playback><format><type>presentation</type><url>https://h/playback/presentation/2.3/{i}</url><length>60</length>\
                     <preview><images><image width=\"176\" height=\"136\" alt=\"a\">https://h/thumb-{i}.png</image></images></preview></format></playback></recording>\n",
                    1_600_000_000_000u64 + i as u64,
                    "x".repeat(100)
                ).as_bytes());
                self.i += 1;
            } else if !self.done {
                self.pending.extend_from_slice(b"</recordings><totalElements>100000</totalElements></response>");
                self.done = true;
            } else {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.pending.len() - self.pos);
        buf[..n].copy_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        self.bytes += n as u64;
        Ok(n)
    }
}

fn vm_hwm_kb() -> u64 {
    let s = std::fs::read_to_string("/proc/self/status").unwrap();
    s.lines().find(|l| l.starts_with("VmHWM:")).unwrap().split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_100k_recording_answer_streams_in_bounded_memory() {
    let before = vm_hwm_kb();
    let mut answer = Answer { n: 100_000, i: 0, pending: Vec::new(), pos: 0, done: false, bytes: 0 };
    let mut reader = RecordingsReader::new(BufReader::new(&mut answer));
    let mut count = 0u64;
    let mut last = String::new();
    for item in reader.by_ref() {
        match item.unwrap() {
            Item::Recording(r) => {
                count += 1;
                last = r.record_id.to_string();
            }
            Item::Rejected(r) => panic!("{r:?}"),
        }
    }
    assert_eq!(count, 100_000);
    assert_eq!(last, format!("{:040x}-{:013}", 99_999, 1_600_000_099_999u64));
    assert_eq!(reader.envelope().total_elements, Some(100_000));
    let grown_kb = vm_hwm_kb().saturating_sub(before);
    drop(reader);
    assert!(answer.bytes > 45_000_000, "the answer was {} bytes", answer.bytes);
    // 45+ MB went through; the peak grew by less than 8 MB.
    assert!(grown_kb < 8 * 1024, "peak RSS grew by {grown_kb} kB while parsing {} bytes", answer.bytes);
}

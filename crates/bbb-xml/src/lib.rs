//! Streaming parser of `getRecordings` answers (BBB 0.9–3.0, Scalelite).
//!
//! [`RecordingsReader`] reads any `BufRead` and yields one [`Item`] per
//! `<recording>` without building a DOM, so memory stays bounded by the
//! largest single recording whatever the size of the answer. After the last
//! item, [`RecordingsReader::envelope`] tells the `returncode`, `messageKey`
//! and the pagination variant the server used.
//!
//! Tolerant of what real servers send: CDATA and entities, missing optional
//! elements, unknown elements and format types (kept), empty metadata,
//! breakout recordings, Scalelite's stripped fields. Every recordID is checked
//! ([`plugin_api::sdk::ids::validate_record_id`]) before it leaves the parser:
//! a hostile one becomes [`Item::Rejected`], the rest of the answer goes on.
//!
//! Hostile bytes are contained: every token, recording and answer is read
//! within [`Limits`] (one-line error past them, memory never grows with the
//! server); an undecodable byte or character (invalid UTF-8, `&#0;`) spoils
//! only the `<recording>` it is in, which is rejected with the reason;
//! control characters (NUL…) are removed from every field; a recording
//! without a valid `startTime` is rejected, never dated 1970.

mod limits;
use limits::Metered;
pub use limits::{Exceeded, Limits};

use plugin_api::abi::{Playback, PluginError, Recording, Rejected, SourceBatch};
use plugin_api::abi_stable::std_types::{RString, Tuple2};
use plugin_api::sdk::ids::validate_record_id;
use plugin_api::sdk::text::strip_controls;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};
use std::io::BufRead;

/// What the parser yields.
// Items stream one at a time and are mostly recordings: boxing them would
// cost an allocation each for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Recording(Recording),
    Rejected(Rejected),
}

/// The answer's envelope, known once the whole answer has been read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Envelope {
    pub returncode: String,
    pub message_key: String,
    pub message: String,
    /// `<totalElements>` (top level, BBB 2.7+) or inside `<pagination>` (2.6).
    pub total_elements: Option<u64>,
    /// The server answered with a `<pagination>` block or a top-level total.
    pub paginated: bool,
    /// Number of `<recording>` elements seen (accepted and rejected).
    pub recordings_seen: u64,
}

impl Envelope {
    pub fn is_success(&self) -> bool {
        self.returncode.eq_ignore_ascii_case("SUCCESS")
    }
}

/// A malformed answer: one line, with the byte position; `.1` tells which
/// bound it broke, if that was the cause.
#[derive(Debug, Clone, PartialEq)]
pub struct XmlError(pub String, pub Option<Exceeded>);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for XmlError {}

#[derive(Default)]
struct Building {
    rec: Recording,
    format: Option<Playback>,
    format_extra: Map<String, Value>,
    images: Vec<Value>,
    extra: Map<String, Value>,
    breakout_rooms: Vec<Value>,
    error: bool,
    /// The `startTime` text, when it was not a positive number of ms.
    bad_start: Option<String>,
    has_start: bool,
    /// Why this recording cannot be trusted (first undecodable byte or character).
    spoiled: Option<String>,
    /// Byte offset of its start tag.
    at: u64,
}

/// Streams the recordings of one `getRecordings` answer.
pub struct RecordingsReader<R: BufRead> {
    reader: Reader<Metered<R>>,
    buf: Vec<u8>,
    path: Vec<String>,
    text: String,
    current: Option<Building>,
    envelope: Envelope,
    done: bool,
}

impl<R: BufRead> RecordingsReader<R> {
    /// A reader with the default [`Limits`] (no bound on the answer's size).
    pub fn new(input: R) -> Self {
        Self::with_limits(input, Limits::default())
    }

    /// A reader within `limits`.
    pub fn with_limits(input: R, limits: Limits) -> Self {
        let mut reader = Reader::from_reader(Metered::new(input, limits));
        reader.config_mut().trim_text(false);
        Self {
            reader,
            buf: Vec::with_capacity(4096),
            path: Vec::new(),
            text: String::new(),
            current: None,
            envelope: Envelope::default(),
            done: false,
        }
    }

    /// The envelope; complete only after the iterator returned `None`.
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Bytes of the answer read so far.
    pub fn bytes_read(&self) -> u64 {
        self.reader.get_ref().pos
    }

    fn err(&self, what: impl std::fmt::Display) -> XmlError {
        XmlError(format!("malformed getRecordings XML at byte {}: {what}", self.reader.buffer_position()), None)
    }

    /// The error for a broken bound (one line, naming the bound).
    fn exceeded(&self, e: Exceeded) -> XmlError {
        let l = self.reader.get_ref().limits;
        let at = self.reader.get_ref().pos;
        let what = match e {
            Exceeded::Token => format!("a text node or tag longer than {} bytes", l.token),
            Exceeded::Recording => format!("a <recording> element longer than {} bytes", l.recording),
            Exceeded::Answer => format!("the answer is longer than {} bytes", l.answer.unwrap_or(0)),
            Exceeded::Depth => format!("elements nested deeper than {}", l.depth),
        };
        let inside = self.path.last().map(|p| format!(" inside <{p}>")).unwrap_or_default();
        XmlError(format!("getRecordings answer refused at byte {at}: {what}{inside}"), Some(e))
    }

    /// An undecodable byte or character: inside a recording it spoils only
    /// that recording (kept for the report); elsewhere the answer is broken.
    fn spoil(&mut self, what: impl std::fmt::Display) -> Result<(), XmlError> {
        let inside = self.path.last().cloned().unwrap_or_default();
        match self.current.as_mut() {
            Some(b) => {
                if b.spoiled.is_none() {
                    b.spoiled = Some(format!("undecodable content in <{inside}>: {what}"));
                }
                Ok(())
            }
            None => Err(self.err(what)),
        }
    }

    /// An element or attribute name as text; undecodable names spoil the recording.
    fn name(&mut self, raw: &[u8]) -> Result<String, XmlError> {
        match std::str::from_utf8(raw) {
            Ok(n) => Ok(strip_controls(n, false).into_owned()),
            Err(e) => {
                self.spoil(format!("element name: {e}"))?;
                Ok(String::from_utf8_lossy(raw).into_owned())
            }
        }
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), XmlError> {
        let name = self.name(e.local_name().as_ref())?;
        self.path.push(name);
        if self.path.len() > self.reader.get_ref().limits.depth {
            return Err(self.exceeded(Exceeded::Depth));
        }
        self.text.clear();
        let p: Vec<&str> = self.path.iter().map(String::as_str).collect();
        match p.as_slice() {
            [_, "recordings", "recording"] => {
                let at = self.reader.get_ref().mark;
                self.current = Some(Building { at, ..Building::default() })
            }
            [_, "pagination"] => self.envelope.paginated = true,
            [_, "recordings", "recording", "playback", "format"] => {
                if let Some(b) = self.current.as_mut() {
                    b.format = Some(Playback::default());
                    b.format_extra.clear();
                    b.images.clear();
                }
            }
            [_, "recordings", "recording", "playback", "format", "preview", "images", "image"] => {
                let mut img = Map::new();
                for a in e.attributes().flatten() {
                    let k = self.name(a.key.local_name().as_ref())?;
                    match a.unescape_value() {
                        Ok(v) => {
                            img.insert(k, Value::String(strip_controls(&v, false).into_owned()));
                        }
                        Err(x) => self.spoil(format!("attribute {k}: {x}"))?,
                    }
                }
                if let Some(b) = self.current.as_mut() {
                    b.images.push(Value::Object(img));
                }
            }
            [_, "recordings", "recording", "error", ..] => {
                if let Some(b) = self.current.as_mut() {
                    b.error = true;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Handles an end tag; returns a finished recording when one closes.
    fn end(&mut self) -> Option<Item> {
        let text = std::mem::take(&mut self.text);
        let t = text.trim();
        let p: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let mut finished = None;
        let clean = || strip_controls(t, false).into_owned();
        match p.as_slice() {
            [_, "returncode"] => self.envelope.returncode = clean(),
            [_, "messageKey"] => self.envelope.message_key = clean(),
            [_, "message"] => self.envelope.message = clean(),
            [_, "totalElements"] => {
                self.envelope.total_elements = t.parse().ok();
                self.envelope.paginated = true;
            }
            [_, "pagination", "totalElements"] => self.envelope.total_elements = t.parse().ok(),
            [_, "recordings", "recording"] => {
                self.envelope.recordings_seen += 1;
                finished = self.current.take().map(finish);
            }
            [_, "recordings", "recording", rest @ ..] => {
                if let Some(b) = self.current.as_mut() {
                    set_field(b, rest, t, &text);
                }
            }
            _ => {}
        }
        self.path.pop();
        finished
    }
}

fn num(t: &str) -> u64 {
    t.parse::<u64>().unwrap_or(0)
}

/// Assigns the text of a closing element below `<recording>`. Control
/// characters are removed from every field but the recordID (which is
/// checked, and refused, as it is).
fn set_field(b: &mut Building, rest: &[&str], t: &str, raw: &str) {
    let id = t;
    let t = &*strip_controls(t, false);
    let r = &mut b.rec;
    match rest {
        ["recordID"] => r.record_id = id.into(),
        ["meetingID"] => r.meeting_id = t.into(),
        ["internalMeetingID"] => r.internal_meeting_id = t.into(),
        ["name"] => r.name = t.into(),
        ["isBreakout"] => r.is_breakout = t.eq_ignore_ascii_case("true"),
        ["published"] => r.published = t.eq_ignore_ascii_case("true"),
        ["state"] => r.state = t.into(),
        ["startTime"] => {
            b.has_start = true;
            match t.parse::<i64>() {
                Ok(ms) if ms > 0 => r.start_ms = ms,
                _ => b.bad_start = Some(t.chars().take(40).collect()),
            }
        }
        ["endTime"] => r.end_ms = t.parse().unwrap_or(0),
        ["participants"] => r.participants = t.parse().unwrap_or(0),
        ["rawSize"] => r.raw_size = num(t),
        ["size"] => r.size = num(t),
        // Metadata values are kept verbatim (not trimmed): they may be JSON or text.
        ["metadata", key] => {
            r.metadata.push(Tuple2(RString::from(*key), RString::from(&*strip_controls(raw.trim(), true))))
        }
        ["breakout", key] => {
            b.extra.insert(format!("breakout_{key}"), Value::String(t.into()));
        }
        ["breakoutRooms", "breakoutRoom"] => b.breakout_rooms.push(Value::String(t.into())),
        ["playback", "format"] => {
            if let Some(mut f) = b.format.take() {
                if !b.images.is_empty() {
                    b.format_extra.insert("preview_images".into(), Value::Array(std::mem::take(&mut b.images)));
                }
                if !b.format_extra.is_empty() {
                    f.extra_json = Value::Object(std::mem::take(&mut b.format_extra)).to_string().into();
                }
                r.playback.push(f);
            }
        }
        ["playback", "format", field] => {
            if let Some(f) = b.format.as_mut() {
                match *field {
                    "type" => f.format = t.into(),
                    "url" => f.url = t.into(),
                    "length" => f.length_min = t.parse().unwrap_or(0),
                    "size" => f.size_bytes = num(t),
                    "processingTime" => f.processing_time_ms = num(t),
                    other if !t.is_empty() => {
                        b.format_extra.insert(other.to_string(), Value::String(t.into()));
                    }
                    _ => {}
                }
            }
        }
        ["playback", "format", "preview", "images", "image"] => {
            if let Some(Value::Object(img)) = b.images.last_mut() {
                img.insert("url".into(), Value::String(t.into()));
            }
        }
        ["protected"] => {
            b.extra.insert("protected".into(), Value::Bool(t.eq_ignore_ascii_case("true")));
        }
        ["error", "recordID"] => r.record_id = id.into(),
        _ => {}
    }
}

fn finish(mut b: Building) -> Item {
    let id = b.rec.record_id.to_string();
    if b.error {
        return Item::Rejected(Rejected {
            record_id: id.into(),
            message: "the server listed this recording as an error entry".into(),
        });
    }
    if let Err(e) = validate_record_id(&id) {
        return Item::Rejected(Rejected { record_id: id.into(), message: e.into() });
    }
    if let Some(why) = b.spoiled {
        return Item::Rejected(Rejected { record_id: id.into(), message: format!("{why}; recording skipped").into() });
    }
    let start_problem = match (&b.bad_start, b.has_start) {
        (Some(t), _) => Some(format!("startTime `{}` is not a time", t.escape_default())),
        (None, false) => Some("no startTime".to_string()),
        _ => None,
    };
    if let Some(p) = start_problem {
        return Item::Rejected(Rejected {
            record_id: id.into(),
            message: format!("{p}: the recording cannot be dated; skipped").into(),
        });
    }
    if b.rec.end_ms < b.rec.start_ms {
        // Missing or broken endTime: unknown length, never a negative one.
        b.rec.end_ms = b.rec.start_ms;
    }
    if b.rec.internal_meeting_id.is_empty() {
        b.rec.internal_meeting_id = b.rec.record_id.clone();
    }
    if b.rec.state.is_empty() {
        b.rec.state = if b.rec.published { "published" } else { "unpublished" }.into();
    }
    if !b.breakout_rooms.is_empty() {
        b.extra.insert("breakout_rooms".into(), Value::Array(b.breakout_rooms));
    }
    if !b.extra.is_empty() {
        b.rec.extra_json = Value::Object(b.extra).to_string().into();
    }
    // A listing of 100 000 recordings stays in the host's memory until selection:
    // no spare capacity (grown vectors hold up to twice what they use).
    b.rec.metadata.shrink_to_fit();
    b.rec.playback.shrink_to_fit();
    Item::Recording(b.rec)
}

impl<R: BufRead> Iterator for RecordingsReader<R> {
    type Item = Result<Item, XmlError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        loop {
            self.buf.clear();
            let m = self.reader.get_mut();
            m.mark = m.pos;
            if let Some(b) = &self.current {
                if self.reader.get_ref().pos - b.at > self.reader.get_ref().limits.recording {
                    self.done = true;
                    return Some(Err(self.exceeded(Exceeded::Recording)));
                }
            }
            let ev = match self.reader.read_event_into(&mut self.buf) {
                Ok(ev) => ev.into_owned(),
                Err(e) => {
                    self.done = true;
                    if let Some(x) = self.reader.get_ref().exceeded {
                        return Some(Err(self.exceeded(x)));
                    }
                    return Some(Err(self.err(e)));
                }
            };
            if self.text.len() as u64 > self.reader.get_ref().limits.token {
                self.done = true;
                return Some(Err(self.exceeded(Exceeded::Token)));
            }
            match ev {
                Event::Start(e) => {
                    if let Err(e) = self.start(&e) {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
                Event::Empty(e) => {
                    if let Err(e) = self.start(&e) {
                        self.done = true;
                        return Some(Err(e));
                    }
                    if let Some(item) = self.end() {
                        return Some(Ok(item));
                    }
                }
                Event::End(_) => {
                    if self.path.is_empty() {
                        self.done = true;
                        return Some(Err(self.err("unexpected closing tag")));
                    }
                    if let Some(item) = self.end() {
                        return Some(Ok(item));
                    }
                }
                Event::Text(t) => match t.unescape() {
                    Ok(s) => self.text.push_str(&s),
                    Err(e) => {
                        if let Err(e) = self.spoil(e) {
                            self.done = true;
                            return Some(Err(e));
                        }
                    }
                },
                Event::CData(c) => match std::str::from_utf8(&c) {
                    Ok(s) => self.text.push_str(s),
                    Err(e) => {
                        if let Err(e) = self.spoil(format!("CDATA: {e}")) {
                            self.done = true;
                            return Some(Err(e));
                        }
                    }
                },
                Event::Eof => {
                    self.done = true;
                    if !self.path.is_empty() {
                        return Some(Err(self.err(format!("the answer ends inside <{}>", self.path.join("><")))));
                    }
                    if self.envelope.returncode.is_empty() {
                        return Some(Err(self.err("no <returncode> (not a BigBlueButton API answer)")));
                    }
                    return None;
                }
                _ => {}
            }
        }
    }
}

impl<R: BufRead> RecordingsReader<R> {
    /// Moves items into `batch` until it holds `max` entries or the answer
    /// ends; `Ok(true)` when the answer is over (and was a SUCCESS). Errors
    /// are one line starting with `origin` (the file or server read).
    pub fn fill(&mut self, batch: &mut SourceBatch, max: usize, origin: &str) -> Result<bool, PluginError> {
        while batch.recordings.len() + batch.rejected.len() < max {
            match self.next() {
                Some(Ok(Item::Recording(r))) => batch.recordings.push(r),
                Some(Ok(Item::Rejected(r))) => batch.rejected.push(r),
                Some(Err(e)) => return Err(PluginError::data(format!("{origin}: {e}"))),
                None => {
                    let env = &self.envelope;
                    if !env.is_success() {
                        return Err(PluginError::data(format!(
                            "{origin}: the answer is FAILED ({}: {})",
                            env.message_key, env.message
                        )));
                    }
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

/// Convenience: parse a whole answer into (recordings, rejected, envelope).
pub fn parse_all<R: BufRead>(input: R) -> Result<(Vec<Recording>, Vec<Rejected>, Envelope), XmlError> {
    let mut reader = RecordingsReader::new(input);
    let (mut ok, mut bad) = (Vec::new(), Vec::new());
    for item in reader.by_ref() {
        match item? {
            Item::Recording(r) => ok.push(r),
            Item::Rejected(r) => bad.push(r),
        }
    }
    Ok((ok, bad, reader.envelope().clone()))
}

/// The `breakout` parent id, if the recording is a breakout room.
pub fn breakout_parent(r: &Recording) -> Option<String> {
    r.breakout_parent()
}

// ---------------------------------------------------------------------------
// Writing: a saved listing (the `bbb` source's `cache`) is a valid getRecordings
// answer that this parser (and so the `bbb-cache` source) reads back unchanged.

/// Writes a getRecordings answer, one recording at a time (bounded memory).
pub struct AnswerWriter<W: std::io::Write> {
    out: W,
}

fn esc(s: &str) -> std::borrow::Cow<'_, str> {
    quick_xml::escape::escape(s)
}

/// An element name for a metadata key: keys read from XML are valid names
/// already; anything else (from another source) is made one.
fn xml_name(key: &str) -> String {
    let mut n: String =
        key.chars().map(|c| if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' }).collect();
    if n.is_empty() || !n.starts_with(|c: char| c.is_alphabetic() || c == '_') {
        n.insert(0, '_');
    }
    n
}

impl<W: std::io::Write> AnswerWriter<W> {
    /// Starts the answer (`<response><returncode>SUCCESS</returncode><recordings>`).
    pub fn new(mut out: W) -> std::io::Result<Self> {
        out.write_all(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<response><returncode>SUCCESS</returncode><recordings>\n",
        )?;
        Ok(Self { out })
    }

    /// Appends one recording (every field the parser reads, extras included).
    pub fn write(&mut self, r: &Recording) -> std::io::Result<()> {
        let mut s = String::with_capacity(1024);
        let tag = |s: &mut String, name: &str, v: &str| {
            s.push_str(&format!("<{name}>{}</{name}>", esc(v)));
        };
        s.push_str("<recording>");
        tag(&mut s, "recordID", &r.record_id);
        tag(&mut s, "meetingID", &r.meeting_id);
        tag(&mut s, "internalMeetingID", &r.internal_meeting_id);
        tag(&mut s, "name", &r.name);
        tag(&mut s, "isBreakout", if r.is_breakout { "true" } else { "false" });
        tag(&mut s, "published", if r.published { "true" } else { "false" });
        tag(&mut s, "state", &r.state);
        tag(&mut s, "startTime", &r.start_ms.to_string());
        tag(&mut s, "endTime", &r.end_ms.to_string());
        tag(&mut s, "participants", &r.participants.to_string());
        tag(&mut s, "rawSize", &r.raw_size.to_string());
        s.push_str("<metadata>");
        for kv in r.metadata.iter() {
            tag(&mut s, &xml_name(&kv.0), &kv.1);
        }
        s.push_str("</metadata>");
        let extra: Map<String, Value> = serde_json::from_str(&r.extra_json).unwrap_or_default();
        let breakout: Vec<(&str, &str)> =
            extra.iter().filter_map(|(k, v)| Some((k.strip_prefix("breakout_")?, v.as_str()?))).collect();
        if !breakout.is_empty() {
            s.push_str("<breakout>");
            for (k, v) in breakout {
                tag(&mut s, &xml_name(k), v);
            }
            s.push_str("</breakout>");
        }
        if let Some(Value::Array(rooms)) = extra.get("breakout_rooms") {
            s.push_str("<breakoutRooms>");
            for room in rooms.iter().filter_map(Value::as_str) {
                tag(&mut s, "breakoutRoom", room);
            }
            s.push_str("</breakoutRooms>");
        }
        tag(&mut s, "size", &r.size.to_string());
        s.push_str("<playback>");
        for f in r.playback.iter() {
            s.push_str("<format>");
            tag(&mut s, "type", &f.format);
            tag(&mut s, "url", &f.url);
            tag(&mut s, "processingTime", &f.processing_time_ms.to_string());
            tag(&mut s, "length", &f.length_min.to_string());
            tag(&mut s, "size", &f.size_bytes.to_string());
            let fx: Map<String, Value> = serde_json::from_str(&f.extra_json).unwrap_or_default();
            for (k, v) in &fx {
                match (k.as_str(), v) {
                    ("preview_images", Value::Array(images)) => {
                        s.push_str("<preview><images>");
                        for img in images.iter().filter_map(Value::as_object) {
                            s.push_str("<image");
                            for (ak, av) in img.iter().filter(|(k, _)| k.as_str() != "url") {
                                let av = av.as_str().map(str::to_string).unwrap_or_else(|| av.to_string());
                                s.push_str(&format!(" {}=\"{}\"", xml_name(ak), esc(&av)));
                            }
                            s.push('>');
                            s.push_str(&esc(img.get("url").and_then(Value::as_str).unwrap_or("")));
                            s.push_str("</image>");
                        }
                        s.push_str("</images></preview>");
                    }
                    (_, Value::String(v)) if !v.is_empty() => tag(&mut s, &xml_name(k), v),
                    _ => {}
                }
            }
            s.push_str("</format>");
        }
        s.push_str("</playback>");
        if let Some(Value::Bool(p)) = extra.get("protected") {
            tag(&mut s, "protected", if *p { "true" } else { "false" });
        }
        s.push_str("</recording>\n");
        self.out.write_all(s.as_bytes())
    }

    /// Closes the answer and returns the writer (flush/sync it yourself).
    pub fn finish(mut self) -> std::io::Result<W> {
        self.out.write_all(b"</recordings></response>\n")?;
        Ok(self.out)
    }
}

/// What `GET …/bigbluebutton/api` (the API index, no checksum) reveals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerInfo {
    pub returncode: String,
    /// `<version>` (the API version, `2.0` everywhere).
    pub version: String,
    /// `<apiVersion>` (BBB ≥ 2.5).
    pub api_version: String,
    /// `<bbbVersion>` (BBB ≥ 2.5, empty unless the admin reveals it).
    pub bbb_version: String,
    /// `<build>`: only Scalelite sends it.
    pub build: String,
}

impl ServerInfo {
    pub fn is_scalelite(&self) -> bool {
        !self.build.is_empty()
    }
}

/// Parses the API index answer (small: read whole).
pub fn parse_index(xml: &str) -> Result<ServerInfo, XmlError> {
    let mut reader = Reader::from_str(xml);
    let mut info = ServerInfo::default();
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                path.push(String::from_utf8_lossy(e.local_name().as_ref()).into_owned());
                text.clear();
            }
            Ok(Event::Text(t)) => text.push_str(&t.unescape().map_err(|e| XmlError(format!("API index: {e}"), None))?),
            Ok(Event::CData(c)) => text.push_str(&String::from_utf8_lossy(&c.into_inner())),
            Ok(Event::End(_)) => {
                let t = text.trim().to_string();
                text.clear();
                if path.len() == 2 {
                    match path[1].as_str() {
                        "returncode" => info.returncode = t,
                        "version" => info.version = t,
                        "apiVersion" => info.api_version = t,
                        "bbbVersion" => info.bbb_version = t,
                        "build" => info.build = t,
                        _ => {}
                    }
                }
                path.pop();
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(XmlError(format!("API index is not XML at byte {}: {e}", reader.buffer_position()), None))
            }
        }
    }
    if info.returncode.is_empty() {
        return Err(XmlError("API index has no <returncode> (not a BigBlueButton API)".into(), None));
    }
    Ok(info)
}

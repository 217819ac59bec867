//! Bounds on what one answer may cost, whatever the server sends: bytes per
//! XML token (a text node, a tag, a run of whitespace), per `<recording>`
//! element, per answer, and the element depth. [`Metered`] enforces the
//! token and answer bounds below the XML parser, so the parser's buffer can
//! never grow past them.
use std::io::BufRead;

/// The bounds of one answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of one token: a text node (its CDATA sections and text joined),
    /// a tag with its attributes, a whitespace run.
    pub token: u64,
    /// Bytes of one `<recording>` element, from its start tag to its end tag.
    pub recording: u64,
    /// Bytes of the whole answer (`None`: a local file, no bound).
    pub answer: Option<u64>,
    /// Nested elements.
    pub depth: usize,
}

impl Default for Limits {
    /// 1 MiB per token, 4 MiB per recording (real ones are 1–10 KiB), depth 32.
    fn default() -> Self {
        Limits { token: 1 << 20, recording: 4 << 20, answer: None, depth: 32 }
    }
}

/// Which bound an answer broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exceeded {
    Token,
    Recording,
    Answer,
    Depth,
}

/// A `BufRead` that counts what the parser consumed and refuses to give it
/// more once the current token or the whole answer is over its bound.
pub(crate) struct Metered<R> {
    inner: R,
    /// Bytes consumed so far.
    pub pos: u64,
    /// Where the current token started.
    pub mark: u64,
    pub limits: Limits,
    /// Set when a bound refused more bytes.
    pub exceeded: Option<Exceeded>,
}

impl<R> Metered<R> {
    pub fn new(inner: R, limits: Limits) -> Self {
        Metered { inner, pos: 0, mark: 0, limits, exceeded: None }
    }
}

impl<R: std::io::Read> std::io::Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Metered<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        let over = if self.pos - self.mark > self.limits.token {
            Some(Exceeded::Token)
        } else if self.limits.answer.is_some_and(|a| self.pos > a) {
            Some(Exceeded::Answer)
        } else {
            None
        };
        if let Some(e) = over {
            self.exceeded = Some(e);
            return Err(std::io::Error::other("a bound of the answer was exceeded"));
        }
        self.inner.fill_buf()
    }

    fn consume(&mut self, n: usize) {
        self.pos += n as u64;
        self.inner.consume(n);
    }
}

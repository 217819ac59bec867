//! The two coordinate spaces of slide annotations, shared by `panzooms.xml`
//! ([`crate::panzoom`]) and `tldraw.json` ([`crate::tldraw`]): a view box in
//! slide-image pixels, and the tldraw player's page space of a BBB version.

/// A rectangle in slide-image pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ViewBox {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl ViewBox {
    pub(crate) fn full(w: f64, h: f64) -> Self {
        ViewBox { x: 0.0, y: 0.0, w, h }
    }

    /// Bit pattern, for use as a hash key.
    pub(crate) fn key(&self) -> [u64; 4] {
        [self.x.to_bits(), self.y.to_bits(), self.w.to_bits(), self.h.to_bits()]
    }
}

/// The player's page space for one BBB version.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Space {
    max_w: f64,
    max_h: f64,
}

/// Splits a version string into its numbers (`"3.0.4-rc1"` → [3, 0, 4]).
pub(crate) fn version_numbers(version: Option<&str>) -> Vec<u32> {
    version.unwrap_or("").split(|c: char| !c.is_ascii_digit()).filter_map(|p| p.parse().ok()).take(3).collect()
}

impl Space {
    pub(crate) fn for_version(version: Option<&str>) -> Space {
        let parsed = version_numbers(version);
        if !parsed.is_empty() && parsed < vec![2, 6, 1] {
            Space { max_w: 2048.0, max_h: 1536.0 }
        } else {
            Space { max_w: 1440.0, max_h: 1080.0 }
        }
    }

    pub(crate) fn scale(&self, slide_w: f64, slide_h: f64) -> f64 {
        (self.max_w / slide_w).min(self.max_h / slide_h)
    }

    /// A tldraw panzoom event as a view box in slide pixels.
    pub(crate) fn view(&self, raw: ViewBox, slide_w: f64, slide_h: f64) -> ViewBox {
        let s = self.scale(slide_w, slide_h);
        ViewBox { x: -raw.x / s, y: -raw.y / s, w: raw.w, h: raw.h }
    }

    /// A point in page units as slide pixels.
    pub(crate) fn point(&self, x: f64, y: f64, slide_w: f64, slide_h: f64) -> (f64, f64) {
        let s = self.scale(slide_w, slide_h);
        (x / s, y / s)
    }
}

//! Colours, stroke widths and fonts of tldraw shapes, as BBB's players show them.
//!
//! Two generations: tldraw v1 (BBB 2.6/2.7) names colours like `red`, `indigo`, `cyan`
//! and sizes `small|medium|large`; tldraw v2 (BBB 3.0) has its own palette of twelve
//! colours, each with a solid, a light ("semi") and a pattern shade, and sizes
//! `s|m|l|xl`. Values are the ones tldraw's own stylesheets use (the web player draws
//! with tldraw itself); an unknown name falls back to black and is reported.

/// An `#RRGGBB` colour.
pub(crate) type Hex = &'static str;

/// v1 stroke colours by name. `white` strokes are drawn dark (tldraw v1 keeps strokes
/// readable on a light canvas).
const V1_STROKES: &[(&str, Hex)] = &[
    ("black", "#1D1D1D"),
    ("white", "#1D1D1D"),
    ("lightGray", "#C6CBD1"),
    ("gray", "#788492"),
    ("grey", "#9EA6B0"),
    ("indigo", "#4263EB"),
    ("green", "#36B24D"),
    ("light-green", "#38B845"),
    ("cyan", "#0E98AD"),
    ("blue", "#1C7ED6"),
    ("light-blue", "#4099F5"),
    ("yellow", "#FFC936"),
    ("violet", "#7746F1"),
    ("light-violet", "#9C1FBE"),
    ("red", "#FF2133"),
    ("light-red", "#FC7075"),
    ("orange", "#FF9433"),
    ("semi", "#F5F9F7"),
];

/// v2 colours: (name, solid, semi, pattern, highlight).
const V2_COLOURS: &[(&str, Hex, Hex, Hex, Hex)] = &[
    ("black", "#1D1D1D", "#E8E8E8", "#494949", "#FDDD00"),
    ("blue", "#4263EB", "#DCE1F8", "#6681EE", "#10ACFF"),
    ("green", "#099268", "#D3E9E3", "#39A785", "#00FFC8"),
    ("grey", "#ADB5BD", "#ECEEF0", "#BCC3C9", "#CBE7F1"),
    ("light-blue", "#4DABF7", "#DDEDFA", "#6FBBF8", "#00F4FF"),
    ("light-green", "#40C057", "#DBF0E0", "#65CB78", "#65F641"),
    ("light-red", "#FF8787", "#F4DADB", "#FE9E9E", "#FF7FA3"),
    ("light-violet", "#E599F7", "#F5EAFA", "#E9ACF8", "#FF88FF"),
    ("orange", "#F76707", "#F8E2D4", "#F78438", "#FFA500"),
    ("red", "#E03131", "#F4DADB", "#E55959", "#FF636E"),
    ("violet", "#AE3EC9", "#ECDCF2", "#BD63D3", "#C77CFF"),
    ("yellow", "#FFC078", "#F9F0E6", "#FECB92", "#FDDD00"),
];

/// The canvas colour tldraw v1 blends fills with.
const V1_CANVAS: (u8, u8, u8) = (0xFA, 0xFA, 0xFA);
/// The light background v2 draws text halos and pattern tiles with.
pub(crate) const V2_BACKGROUND: Hex = "#F9FAFB";
/// v2's "semi" fill: an almost white, slightly green-tinted paper colour.
pub(crate) const V2_SEMI_FILL: Hex = "#FCFFFE";

/// Which shade of a v2 colour.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Shade {
    Solid,
    Semi,
    Pattern,
    Highlight,
}

/// Looks styles up and remembers the names it did not know.
#[derive(Debug, Default)]
pub(crate) struct Styles {
    pub unknown: Vec<String>,
}

impl Styles {
    fn unknown(&mut self, what: &str, value: &str) {
        let entry = format!("{what} {value:?}");
        if !self.unknown.contains(&entry) {
            self.unknown.push(entry);
        }
    }

    /// A v1 stroke colour.
    pub(crate) fn v1(&mut self, name: &str) -> Hex {
        match V1_STROKES.iter().find(|(n, _)| *n == name) {
            Some((_, hex)) => hex,
            None => {
                self.unknown("colour", name);
                "#1D1D1D"
            }
        }
    }

    /// A v1 fill: the stroke colour 82 % of the way to the canvas colour (white: near white).
    pub(crate) fn v1_fill(&mut self, name: &str) -> String {
        if name == "white" {
            return "#FEFEFE".into();
        }
        blend(self.v1(name), V1_CANVAS, 0.82)
    }

    /// A v1 sticky note: the colour 45 % of the way to the canvas (black notes are yellow).
    pub(crate) fn v1_sticky(&mut self, name: &str) -> String {
        match name {
            "white" => "#FFFFFF".into(),
            "black" => blend(self.v1("yellow"), V1_CANVAS, 0.45),
            _ => blend(self.v1(name), V1_CANVAS, 0.45),
        }
    }

    /// A v2 colour in one shade.
    pub(crate) fn v2(&mut self, name: &str, shade: Shade) -> Hex {
        let row = V2_COLOURS.iter().find(|c| c.0 == name).unwrap_or_else(|| {
            self.unknown("colour", name);
            &V2_COLOURS[0]
        });
        match shade {
            Shade::Solid => row.1,
            Shade::Semi => row.2,
            Shade::Pattern => row.3,
            Shade::Highlight => row.4,
        }
    }

    /// A v2 note's paper: the solid colour lightened by a quarter (BBB's player showed
    /// `#FCD09C` for a yellow note, whose solid colour is `#FFC078`). Black notes are yellow.
    pub(crate) fn v2_note(&mut self, name: &str) -> String {
        let name = if name == "black" { "yellow" } else { name };
        blend(self.v2(name, Shade::Solid), (255, 255, 255), 0.25)
    }

    /// Stroke width of a size name (both generations); tldraw v2 geo shapes use
    /// 2/3.5/5/10, the v1 names 2/3.5/5.
    pub(crate) fn stroke(&mut self, size: &str) -> f64 {
        match size {
            "small" | "s" => 2.0,
            "medium" | "m" => 3.5,
            "large" | "l" => 5.0,
            "xl" => 10.0,
            other => {
                self.unknown("size", other);
                3.5
            }
        }
    }

    /// v1 font size of text and labels (tldraw v1: 28/48/96).
    pub(crate) fn v1_font(&mut self, size: &str) -> f64 {
        match size {
            "small" | "s" => 28.0,
            "medium" | "m" => 48.0,
            "large" | "l" => 96.0,
            "xl" => 64.0,
            other => {
                self.unknown("size", other);
                48.0
            }
        }
    }

    /// v1 sticky note font size.
    pub(crate) fn v1_sticky_font(&mut self, size: &str) -> f64 {
        match size {
            "small" | "s" => 24.0,
            "large" | "l" => 48.0,
            "xl" => 60.0,
            _ => 36.0,
        }
    }

    /// v2 font size: `Text` for text shapes, `Label` for geo labels and notes, `Arrow`
    /// for arrow labels.
    pub(crate) fn v2_font(&mut self, size: &str, kind: FontUse) -> f64 {
        let i = match size {
            "s" => 0,
            "m" => 1,
            "l" => 2,
            "xl" => 3,
            other => {
                self.unknown("size", other);
                1
            }
        };
        let table = match kind {
            FontUse::Text => [18.0, 24.0, 36.0, 44.0],
            FontUse::Label => [18.0, 22.0, 26.0, 32.0],
            FontUse::Arrow => [18.0, 20.0, 24.0, 28.0],
        };
        table[i]
    }
}

/// Where a v2 font size is used.
#[derive(Debug, Clone, Copy)]
pub(crate) enum FontUse {
    Text,
    Label,
    Arrow,
}

/// Font stack for a tldraw font name: the player's web font first, then what a Debian
/// machine has (DejaVu), so text is drawn whichever is installed.
pub(crate) fn font_family(name: &str) -> &'static str {
    match name {
        "sans" => "'Source Sans Pro', 'IBM Plex Sans', 'DejaVu Sans', sans-serif",
        "serif" | "erif" => "'Crimson Pro', 'IBM Plex Serif', 'DejaVu Serif', serif",
        "mono" => "'Source Code Pro', 'IBM Plex Mono', 'DejaVu Sans Mono', monospace",
        "arial" => "Arial, 'Liberation Sans', 'DejaVu Sans', sans-serif",
        // `script` (v1) and `draw` (v2) are handwriting fonts.
        _ => "'Caveat Brush', 'Shantell Sans', 'DejaVu Sans', sans-serif",
    }
}

/// `a` moved a fraction `t` of the way towards `b`.
pub(crate) fn blend(a: &str, b: (u8, u8, u8), t: f64) -> String {
    let (r, g, bl) = rgb(a);
    let mix = |x: u8, y: u8| (x as f64 * (1.0 - t) + y as f64 * t).round() as u8;
    format!("#{:02X}{:02X}{:02X}", mix(r, b.0), mix(g, b.1), mix(bl, b.2))
}

/// The components of an `#RRGGBB` colour.
pub(crate) fn rgb(hex: &str) -> (u8, u8, u8) {
    let v = u32::from_str_radix(hex.trim_start_matches('#'), 16).unwrap_or(0);
    ((v >> 16) as u8, (v >> 8) as u8, v as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_blend_towards_the_canvas() {
        let mut s = Styles::default();
        // black 82 % towards #FAFAFA.
        assert_eq!(s.v1_fill("black"), "#D2D2D2");
        assert_eq!(s.v1_fill("white"), "#FEFEFE");
        assert_eq!(s.v2_note("yellow"), "#FFD09A");
        assert!(s.unknown.is_empty());
        assert_eq!(s.v1("mauve"), "#1D1D1D");
        assert_eq!(s.v2("mauve", Shade::Solid), "#1D1D1D");
        assert_eq!(s.unknown, vec!["colour \"mauve\"".to_string()]);
    }
}

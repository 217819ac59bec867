//! Where things go in the output frame.

use crate::panzoom::ViewBox;

/// A rectangle in output pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

/// The largest rectangle with the aspect ratio of `view`, centred in a `width`×`height` frame
/// (the slide area is the whole frame; the webcam is a picture-in-picture over it).
pub(crate) fn slide_rect(view: &ViewBox, width: u32, height: u32) -> Rect {
    let (fw, fh) = (width as f64, height as f64);
    let scale = (fw / view.w).min(fh / view.h);
    let (w, h) = (view.w * scale, view.h * scale);
    Rect { x: (fw - w) / 2.0, y: (fh - h) / 2.0, w, h }
}

/// Webcam picture-in-picture size: a quarter of the frame width, even numbers for yuv420p.
pub(crate) fn webcam_size(width: u32, height: u32) -> (u32, u32) {
    let w = (width / 4) & !1;
    let h = ((w as f64 * 3.0 / 4.0).round() as u32).min(height / 2) & !1;
    (w.max(2), h.max(2))
}

/// Pixel position of a cursor given as fractions of the view box.
pub(crate) fn cursor_px(view: &ViewBox, fx: f64, fy: f64, width: u32, height: u32) -> (i64, i64) {
    let r = slide_rect(view, width, height);
    ((r.x + fx * r.w).round() as i64, (r.y + fy * r.h).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letterbox_4_3_in_16_9() {
        let r = slide_rect(&ViewBox::full(800.0, 600.0), 1280, 720);
        assert_eq!(r, Rect { x: 160.0, y: 0.0, w: 960.0, h: 720.0 });
        assert_eq!(cursor_px(&ViewBox::full(800.0, 600.0), 0.5, 0.5, 1280, 720), (640, 360));
        assert_eq!(webcam_size(1280, 720), (320, 240));
    }
}

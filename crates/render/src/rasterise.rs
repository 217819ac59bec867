//! Rasterising each distinct state of the slide area once, with resvg.
//!
//! The slide image (cropped/zoomed by the view box) is rendered once per distinct
//! (slide, view box) pair and reused as the background of every state on it; only the
//! annotations are rendered per state. Frames are written as fast-compressed RGB PNGs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use resvg::tiny_skia::{Color, Pixmap, Transform};
use resvg::usvg;

use crate::error::RenderError;
use crate::layout::slide_rect;
use crate::paths::safe_join;
use crate::shapes::{Whiteboard, FILE as SHAPES};
use crate::text::escape;
use crate::timeline::{State, Timeline};

/// Renders SVG documents built from the recording; images resolve inside `dir` only.
pub(crate) struct Rasteriser {
    options: usvg::Options<'static>,
    width: u32,
    height: u32,
}

impl Rasteriser {
    pub(crate) fn new(dir: &Path, width: u32, height: u32) -> Self {
        let mut fontdb = usvg::fontdb::Database::new();
        fontdb.load_system_fonts();
        fontdb.set_sans_serif_family("DejaVu Sans");
        let root = dir.to_path_buf();
        let default_string = usvg::ImageHrefResolver::default_string_resolver();
        let resolve_string: usvg::ImageHrefStringResolverFn<'static> = Box::new(move |href, opts| {
            // Paths were validated when shapes.svg was parsed; check again, never follow escapes.
            let path = safe_join(&root, href, SHAPES).ok()?;
            default_string(path.to_str()?, opts)
        });
        let options = usvg::Options {
            resources_dir: None,
            font_family: "DejaVu Sans".into(),
            fontdb: Arc::new(fontdb),
            image_href_resolver: usvg::ImageHrefResolver {
                resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
                resolve_string,
            },
            ..Default::default()
        };
        Rasteriser { options, width, height }
    }

    /// A standalone SVG document (not of the recording, e.g. the chat column) as a
    /// `w`×`h` picture.
    pub(crate) fn picture(&self, svg: &str, (w, h): (u32, u32)) -> Result<Pixmap, RenderError> {
        let mut pixmap =
            Pixmap::new(w, h).ok_or_else(|| RenderError::invalid("options", "output size must be non-zero"))?;
        pixmap.fill(Color::WHITE);
        let tree = usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| RenderError::invalid("chat panel", format!("cannot render: {e}")))?;
        resvg::render(&tree, Transform::identity(), &mut pixmap.as_mut());
        Ok(pixmap)
    }

    /// Whether any font was found (without one, text annotations cannot be drawn).
    pub(crate) fn has_fonts(&self) -> bool {
        !self.options.fontdb.is_empty()
    }

    /// An SVG document of the output size whose inner viewport shows `state`'s view box.
    fn document(&self, state: &State, content: &str) -> String {
        let (w, h) = (self.width, self.height);
        let r = slide_rect(&state.view, w, h);
        let v = &state.view;
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="{w}" height="{h}" viewBox="0 0 {w} {h}"><svg x="{}" y="{}" width="{}" height="{}" viewBox="{} {} {} {}" preserveAspectRatio="xMidYMid meet" overflow="hidden">{content}</svg></svg>"#,
            r.x, r.y, r.w, r.h, v.x, v.y, v.w, v.h
        )
    }

    fn draw(&self, svg: &str, onto: &mut Pixmap) -> Result<(), RenderError> {
        let tree = usvg::Tree::from_str(svg, &self.options)
            .map_err(|e| RenderError::invalid(SHAPES, format!("cannot render a frame: {e}")))?;
        resvg::render(&tree, Transform::identity(), &mut onto.as_mut());
        Ok(())
    }

    /// White frame with the slide image of `state` (no annotations).
    fn background(&self, wb: &Whiteboard, state: &State) -> Result<Pixmap, RenderError> {
        let mut pixmap = Pixmap::new(self.width, self.height)
            .ok_or_else(|| RenderError::invalid("options", "output size must be non-zero"))?;
        pixmap.fill(Color::WHITE);
        if let Some(slide) = state.slide.map(|i| &wb.slides[i]) {
            let image = format!(
                r#"<image xlink:href="{}" x="0" y="0" width="{}" height="{}" preserveAspectRatio="none"/>"#,
                escape(&slide.href),
                slide.width,
                slide.height
            );
            self.draw(&self.document(state, &image), &mut pixmap)?;
        }
        Ok(pixmap)
    }

    /// Background plus the annotations of `state`.
    fn frame(&self, wb: &Whiteboard, state: &State, background: &Pixmap) -> Result<Pixmap, RenderError> {
        let mut pixmap = background.clone();
        self.annotate(wb, state, &mut pixmap)?;
        Ok(pixmap)
    }

    /// Draws the annotations of `state` over `pixmap` (its background).
    fn annotate(&self, wb: &Whiteboard, state: &State, pixmap: &mut Pixmap) -> Result<(), RenderError> {
        if !state.shapes.is_empty() {
            let shapes: String = state.shapes.iter().map(|&i| wb.shapes[i].svg.as_str()).collect();
            self.draw(&self.document(state, &shapes), pixmap)?;
        }
        Ok(())
    }
}

impl Rasteriser {
    /// One state, rendered from scratch.
    pub(crate) fn state(&self, wb: &Whiteboard, state: &State) -> Result<Pixmap, RenderError> {
        self.frame(wb, state, &self.background(wb, state)?)
    }
}

/// RGB bytes of an opaque pixmap.
pub(crate) fn rgb(pixmap: &Pixmap) -> Vec<u8> {
    pixmap.data().chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect()
}

/// How state frames are handed to ffmpeg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameFormat {
    /// Raw yuv420p (`.yuv`): nothing to encode or decode, ~30% less CPU in the ffmpeg
    /// pass, but 1.5 bytes per pixel on disk.
    Yuv420,
    /// Fast-compressed RGB PNG (~10× smaller): for recordings with very many states.
    Png,
}

/// Temporary disk the raw frames may take before PNG is used instead; the environment
/// variable `BBB_RENDER_RAW_BUDGET_MB` overrides it (0 = always PNG).
const RAW_BUDGET: u64 = 768 << 20;

impl FrameFormat {
    pub(crate) fn choose(states: usize, width: u32, height: u32) -> FrameFormat {
        let budget = std::env::var("BBB_RENDER_RAW_BUDGET_MB")
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map_or(RAW_BUDGET, |mb| mb << 20);
        let raw = states as u64 * width as u64 * height as u64 * 3 / 2;
        if raw <= budget {
            FrameFormat::Yuv420
        } else {
            FrameFormat::Png
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            FrameFormat::Yuv420 => "raw yuv420p",
            FrameFormat::Png => "PNG",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            FrameFormat::Yuv420 => "yuv",
            FrameFormat::Png => "png",
        }
    }

    pub(crate) fn write(self, pixmap: &Pixmap, path: &Path) -> Result<(), RenderError> {
        self.write_with(pixmap, path, &mut Vec::new())
    }

    /// Writes `pixmap` to `path`; `buf` is scratch memory, reused from frame to frame.
    pub(crate) fn write_with(self, pixmap: &Pixmap, path: &Path, buf: &mut Vec<u8>) -> Result<(), RenderError> {
        match self {
            FrameFormat::Yuv420 => write_yuv420(pixmap, path, buf),
            FrameFormat::Png => write_png(pixmap, path),
        }
    }
}

/// Writes an opaque pixmap (even width and height) as raw yuv420p, BT.601 limited range
/// like ffmpeg's default RGB conversion. `out` is scratch memory (every byte is written).
fn write_yuv420(pixmap: &Pixmap, path: &Path, out: &mut Vec<u8>) -> Result<(), RenderError> {
    let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
    let px = pixmap.data();
    out.resize(w * h * 3 / 2, 0);
    let (luma, chroma) = out.split_at_mut(w * h);
    let (us, vs) = chroma.split_at_mut(w * h / 4);
    // Two rows at a time: their luma, and the chroma of each 2×2 block (row by row over
    // slices, so the compiler drops the bounds checks).
    let rows = px.chunks_exact(8 * w).zip(luma.chunks_exact_mut(2 * w));
    for ((src, y_out), (u_row, v_row)) in rows.zip(us.chunks_exact_mut(w / 2).zip(vs.chunks_exact_mut(w / 2))) {
        let (top, bottom) = src.split_at(4 * w);
        for (p, y) in src.chunks_exact(4).zip(y_out.iter_mut()) {
            let (r, g, b) = (p[0] as i32, p[1] as i32, p[2] as i32);
            *y = (((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) as u8;
        }
        let quads = top.chunks_exact(8).zip(bottom.chunks_exact(8));
        for ((t, b2), (u, v)) in quads.zip(u_row.iter_mut().zip(v_row.iter_mut())) {
            let sum = |c: usize| t[c] as i32 + t[c + 4] as i32 + b2[c] as i32 + b2[c + 4] as i32;
            let (r, g, b) = ((sum(0) + 2) / 4, (sum(1) + 2) / 4, (sum(2) + 2) / 4);
            *u = (((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128) as u8;
            *v = (((112 * r - 94 * g - 18 * b + 128) >> 8) + 128) as u8;
        }
    }
    std::fs::write(path, &out[..]).map_err(|e| RenderError::io(path.display().to_string(), e))
}

/// Writes an opaque pixmap as an RGB PNG with fast compression.
fn write_png(pixmap: &Pixmap, path: &Path) -> Result<(), RenderError> {
    let name = path.display().to_string();
    let file = std::fs::File::create(path).map_err(|e| RenderError::io(&name, e))?;
    let mut enc = png::Encoder::new(std::io::BufWriter::new(file), pixmap.width(), pixmap.height());
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fastest);
    enc.write_header().and_then(|mut w| w.write_image_data(&rgb(pixmap))).map_err(|e| RenderError::io(&name, e))
}

/// Runs `f` over `items` on up to `threads` threads, keeping the order of results.
fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    f: impl Fn(&T) -> Result<R, RenderError> + Sync,
) -> Result<Vec<R>, RenderError> {
    let next = AtomicUsize::new(0);
    let chunks: Vec<Vec<(usize, Result<R, RenderError>)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads.clamp(1, items.len().max(1)))
            .map(|_| {
                s.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, f(item)));
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("rasteriser thread panicked")).collect()
    });
    let mut results: Vec<Option<Result<R, RenderError>>> = (0..items.len()).map(|_| None).collect();
    for (i, r) in chunks.into_iter().flatten() {
        results[i] = Some(r);
    }
    results.into_iter().map(|r| r.expect("every item processed")).collect()
}

/// Rasterises every state of `timeline` into `out_dir/state-N.{yuv,png}`; returns the
/// paths indexed like `timeline.states`.
///
/// States are grouped by background (slide and view box). Backgrounds are rendered
/// `threads` at a time, each once, then the states on them, in parallel: memory stays at
/// `threads` backgrounds however many zoom steps a recording has.
pub(crate) fn rasterise_states(
    rasteriser: &Rasteriser,
    wb: &Whiteboard,
    timeline: &Timeline,
    out_dir: &Path,
    (threads, format): (usize, FrameFormat),
) -> Result<Vec<PathBuf>, RenderError> {
    let mut bg_index: HashMap<(Option<usize>, [u64; 4]), usize> = HashMap::new();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, st) in timeline.states.iter().enumerate() {
        let next = bg_index.len();
        let g = *bg_index.entry((st.slide, st.view.key())).or_insert(next);
        if g == groups.len() {
            groups.push(Vec::new());
        }
        groups[g].push(i);
    }
    let mut paths = vec![PathBuf::new(); timeline.states.len()];
    // Frame and yuv buffers are reused: fresh multi-megabyte buffers cost page faults
    // and zeroing by the kernel (a third of the rasteriser's CPU time when allocated per
    // state, `perf`).
    let scratch: Mutex<Vec<(Pixmap, Vec<u8>)>> = Mutex::new(Vec::new());
    for batch in groups.chunks(threads.max(1)) {
        let backgrounds = parallel_map(batch, threads, |g| rasteriser.background(wb, &timeline.states[g[0]]))?;
        let jobs: Vec<(usize, usize)> =
            batch.iter().enumerate().flat_map(|(b, g)| g.iter().map(move |&i| (i, b))).collect();
        let done = parallel_map(&jobs, threads, |&(i, b)| {
            let reused = scratch.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let (mut pixmap, mut buf) = match reused {
                Some((mut pixmap, buf)) => {
                    pixmap.data_mut().copy_from_slice(backgrounds[b].data());
                    (pixmap, buf)
                }
                None => (backgrounds[b].clone(), Vec::new()),
            };
            rasteriser.annotate(wb, &timeline.states[i], &mut pixmap)?;
            let path = out_dir.join(format!("state-{i:05}.{}", format.extension()));
            format.write_with(&pixmap, &path, &mut buf)?;
            scratch.lock().unwrap_or_else(|e| e.into_inner()).push((pixmap, buf));
            Ok((i, path))
        })?;
        for (i, path) in done {
            paths[i] = path;
        }
    }
    Ok(paths)
}

/// The cursor sprite: a red dot with a thin white ring, sized to the frame.
pub(crate) fn cursor_sprite(height: u32, path: &Path) -> Result<u32, RenderError> {
    use resvg::tiny_skia::{FillRule, Paint, PathBuilder};
    let d = ((height as f32 / 60.0).round() as u32).max(6) | 1;
    let mut pixmap = Pixmap::new(d, d).expect("non-zero sprite");
    let r = d as f32 / 2.0;
    for (radius, color) in
        [(r - 0.5, Color::from_rgba8(255, 255, 255, 230)), (r - 1.5, Color::from_rgba8(230, 0, 0, 255))]
    {
        let circle = PathBuilder::from_circle(r, r, radius).expect("circle path");
        let mut paint = Paint { anti_alias: true, ..Default::default() };
        paint.set_color(color);
        pixmap.fill_path(&circle, &paint, FillRule::Winding, Transform::identity(), None);
    }
    pixmap.save_png(path).map_err(|e| RenderError::io(path.display().to_string(), e))?;
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_frames_unless_they_would_take_too_much_disk() {
        assert_eq!(FrameFormat::choose(80, 1280, 720), FrameFormat::Yuv420);
        assert_eq!(FrameFormat::choose(5000, 1280, 720), FrameFormat::Png);
    }

    /// The conversion written plainly, pixel by pixel.
    fn yuv420_reference(pixmap: &Pixmap) -> Vec<u8> {
        let (w, h) = (pixmap.width() as usize, pixmap.height() as usize);
        let px = pixmap.data();
        let rgb = |x: usize, y: usize| {
            let i = (y * w + x) * 4;
            (px[i] as i32, px[i + 1] as i32, px[i + 2] as i32)
        };
        let mut out = Vec::new();
        for y in 0..h {
            for x in 0..w {
                let (r, g, b) = rgb(x, y);
                out.push((((66 * r + 129 * g + 25 * b + 128) >> 8) + 16) as u8);
            }
        }
        let (mut us, mut vs) = (Vec::new(), Vec::new());
        for y in (0..h).step_by(2) {
            for x in (0..w).step_by(2) {
                let quad = [rgb(x, y), rgb(x + 1, y), rgb(x, y + 1), rgb(x + 1, y + 1)];
                let (r, g, b) = quad.iter().fold((0, 0, 0), |a, p| (a.0 + p.0, a.1 + p.1, a.2 + p.2));
                let (r, g, b) = ((r + 2) / 4, (g + 2) / 4, (b + 2) / 4);
                us.push((((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128) as u8);
                vs.push((((112 * r - 94 * g - 18 * b + 128) >> 8) + 128) as u8);
            }
        }
        out.extend(us);
        out.extend(vs);
        out
    }

    #[test]
    fn yuv420_equals_the_plain_conversion() {
        let dir = tempfile::tempdir().unwrap();
        let (w, h) = (38, 12);
        let mut pixmap = Pixmap::new(w, h).unwrap();
        let mut seed = 12345u32;
        for p in pixmap.pixels_mut() {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let [r, g, b, _] = seed.to_le_bytes();
            *p = resvg::tiny_skia::ColorU8::from_rgba(r, g, b, 255).premultiply();
        }
        let path = dir.path().join("f.yuv");
        FrameFormat::Yuv420.write(&pixmap, &path).unwrap();
        assert_eq!(std::fs::read(path).unwrap(), yuv420_reference(&pixmap));
    }

    #[test]
    fn yuv420_uses_bt601_limited_range() {
        let dir = tempfile::tempdir().unwrap();
        let mut pixmap = Pixmap::new(4, 2).unwrap();
        pixmap.fill(Color::WHITE);
        pixmap.pixels_mut()[2] = resvg::tiny_skia::ColorU8::from_rgba(255, 0, 0, 255).premultiply();
        pixmap.pixels_mut()[3] = pixmap.pixels()[2];
        pixmap.pixels_mut()[6] = pixmap.pixels()[2];
        pixmap.pixels_mut()[7] = pixmap.pixels()[2];
        let path = dir.path().join("f.yuv");
        FrameFormat::Yuv420.write(&pixmap, &path).unwrap();
        let yuv = std::fs::read(path).unwrap();
        assert_eq!(yuv.len(), 4 * 2 * 3 / 2);
        // Y plane: white 235, red 82; U and V: one sample per 2x2 block.
        assert_eq!(&yuv[..4], &[235, 235, 82, 82]);
        assert_eq!(&yuv[8..10], &[128, 90]);
        assert_eq!(&yuv[10..12], &[128, 240]);
    }
}

//! A published presentation folder, parsed: everything but the media.

use std::path::{Path, PathBuf};

use crate::cursor::{self, Cursor};
use crate::error::RenderError;
use crate::panzoom::{self, PanZooms};
use crate::shapes::{self, Whiteboard};
use crate::xml::{self, Ms};
use crate::{deskshare, metadata, tldraw};

pub(crate) struct Recording {
    /// Absolute path of the folder.
    pub dir: PathBuf,
    pub whiteboard: Whiteboard,
    pub panzooms: PanZooms,
    pub cursor: Cursor,
    pub deskshare: Vec<(Ms, Ms)>,
    pub metadata_duration: Option<Ms>,
    /// What became of `tldraw.json` (BBB ≥ 2.6), when the file exists; its shapes are in
    /// `whiteboard.shapes`.
    pub tldraw: Option<tldraw::Converted>,
    /// Why `tldraw.json` could not be read at all (its annotations are then not drawn).
    pub tldraw_error: Option<String>,
}

/// Reads and parses an optional file of the recording.
fn optional<T>(
    dir: &Path,
    name: &str,
    parse: impl FnOnce(&str) -> Result<T, RenderError>,
) -> Result<Option<T>, RenderError> {
    xml::read_optional_within(dir, name, xml::MAX_RECORDING_BYTES)?.map(|text| parse(&text)).transpose()
}

impl Recording {
    /// Parses the folder: `shapes.svg` is required, the rest optional.
    pub(crate) fn load(input: &Path) -> Result<Recording, RenderError> {
        let dir = std::path::absolute(input).map_err(|e| RenderError::io(input.display().to_string(), e))?;
        if !dir.is_dir() {
            return Err(RenderError::invalid(input.display().to_string(), "not a folder"));
        }
        let shapes_text = xml::read_optional_within(&dir, shapes::FILE, xml::MAX_RECORDING_BYTES)?
            .ok_or_else(|| RenderError::Missing { file: shapes::FILE.into() })?;
        // A tldraw.json that cannot be read costs the annotations, not the render.
        let (tldraw, tldraw_error) = match optional(&dir, tldraw::FILE, tldraw::parse) {
            Ok(t) => (t, None),
            Err(e) => (None, Some(e.to_string())),
        };
        let space = tldraw::Space::for_version(tldraw.as_ref().and_then(|t| t.bbb_version.as_deref()));
        let mut panzooms = optional(&dir, "panzooms.xml", panzoom::parse)?.unwrap_or_default();
        panzooms.space = panzooms.tldraw.then_some(space);
        let mut cursor = optional(&dir, "cursor.xml", cursor::parse)?.unwrap_or_default();
        cursor.space = cursor.tldraw.then_some(space);
        let mut whiteboard = shapes::parse(&shapes_text, &dir)?;
        let tldraw = tldraw.map(|file| {
            let mut converted = tldraw::convert(&file, &whiteboard.slides, space);
            whiteboard.shapes.append(&mut converted.shapes);
            converted
        });
        Ok(Recording {
            whiteboard,
            panzooms,
            cursor,
            deskshare: optional(&dir, "deskshare.xml", deskshare::parse)?.unwrap_or_default(),
            metadata_duration: optional(&dir, "metadata.xml", metadata::duration)?.flatten(),
            tldraw,
            tldraw_error,
            dir,
        })
    }

    /// End of the last slide interval.
    pub(crate) fn slides_end(&self) -> Option<Ms> {
        self.whiteboard.slides.iter().flat_map(|s| s.intervals.iter().map(|i| i.1)).max()
    }
}

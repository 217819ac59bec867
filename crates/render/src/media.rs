//! The recording's media files: which exist, what ffprobe finds in them, where the sound
//! comes from and how long the recording is.

use std::path::{Path, PathBuf};

use crate::error::RenderError;
use crate::ffmpeg::{self, Probe};
use crate::paths::first_existing;
use crate::recording::Recording;
use crate::shapes;
use crate::xml::Ms;

pub(crate) const WEBCAMS: &[&str] = &["video/webcams.webm", "video/webcams.mp4"];
pub(crate) const AUDIO: &[&str] =
    &["audio/audio.ogg", "audio/audio.webm", "audio/audio.opus", "audio/audio.m4a", "audio/audio.mp3"];
/// The same, the files whose codec MP4 may hold as it is first (BBB publishes the same
/// sound as Vorbis `audio.ogg` and Opus `audio.webm`).
pub(crate) const AUDIO_COPYABLE_FIRST: &[&str] =
    &["audio/audio.webm", "audio/audio.opus", "audio/audio.m4a", "audio/audio.mp3", "audio/audio.ogg"];
const DESKSHARE: &[&str] = &["deskshare/deskshare.webm", "deskshare/deskshare.mp4"];

/// A media file of the recording and what ffprobe found in it.
pub(crate) struct MediaFile {
    pub path: PathBuf,
    /// Path relative to the recording folder, for messages.
    pub name: String,
    pub probe: Probe,
}

pub(crate) struct Media {
    pub webcams: Option<MediaFile>,
    pub audio_only: Option<MediaFile>,
    pub deskshare: Option<MediaFile>,
}

fn find(dir: &Path, names: &[&str], ffprobe: &Path) -> Result<Option<MediaFile>, RenderError> {
    let Some((path, name)) = first_existing(dir, names) else {
        return Ok(None);
    };
    let probe = ffmpeg::probe(ffprobe, &path, &name)?;
    Ok(Some(MediaFile { path, name, probe }))
}

impl Media {
    /// Finds and probes the media; a file ffprobe cannot read is an error naming it. The
    /// screen share is only looked at when it will be drawn. `audio` is the order in
    /// which the sound-only files are looked for.
    pub(crate) fn find(dir: &Path, ffprobe: &Path, deskshare: bool, audio: &[&str]) -> Result<Media, RenderError> {
        // The probes run at once (each ffprobe spends most of its time starting up).
        let (webcams, audio_only, desk) = std::thread::scope(|s| {
            let webcams = s.spawn(|| find(dir, WEBCAMS, ffprobe));
            let audio_only = s.spawn(|| find(dir, audio, ffprobe));
            let desk = if deskshare { find(dir, DESKSHARE, ffprobe) } else { Ok(None) };
            let join = |h: std::thread::ScopedJoinHandle<'_, _>| h.join().expect("probe thread panicked");
            (join(webcams), join(audio_only), desk)
        });
        Ok(Media { webcams: webcams?, audio_only: audio_only?, deskshare: desk?.filter(|m| m.probe.video) })
    }

    /// A screen-share video that will not be shown because `deskshare.xml` gives no
    /// intervals for it.
    pub(crate) fn unused_deskshare(dir: &Path, rec: &Recording) -> Option<String> {
        let (_, name) = first_existing(dir, DESKSHARE)?;
        rec.deskshare.is_empty().then_some(name)
    }

    fn sound_sources(&self) -> impl Iterator<Item = &MediaFile> {
        [&self.webcams, &self.audio_only].into_iter().flatten()
    }

    /// The sound: the webcams file carries it; `audio/audio.*` when there was no webcam.
    pub(crate) fn sound(&self) -> Option<&MediaFile> {
        self.sound_sources().find(|m| m.probe.audio)
    }

    /// Webcam video for the picture-in-picture.
    pub(crate) fn webcam_video(&self) -> Option<&MediaFile> {
        self.webcams.as_ref().filter(|m| m.probe.video)
    }

    /// The recording's length and where it was taken from: the media, else metadata.xml,
    /// else the end of the last slide.
    pub(crate) fn length(&self, rec: &Recording) -> Result<(Ms, String), RenderError> {
        let media =
            self.sound_sources().find_map(|m| m.probe.duration.map(|d| ((d * 1000.0).round() as Ms, m.name.clone())));
        let (length, source) = match (media, rec.metadata_duration, rec.slides_end()) {
            (Some(found), _, _) => found,
            (None, Some(d), _) => (d, "metadata.xml".to_string()),
            (None, None, Some(d)) => (d, "shapes.svg (last slide end)".to_string()),
            _ => {
                let msg = "cannot tell the recording length: no media, no metadata.xml duration, no slides";
                return Err(RenderError::invalid(shapes::FILE, msg));
            }
        };
        if length <= 0 {
            return Err(RenderError::invalid(source, "recording length is zero"));
        }
        Ok((length, source))
    }
}

//! A frame source fed with images: for tests, the benchmark, the demo, and people without a
//! camera (`EA_CAMERA=file:PATH` in the desktop app). Frames come at a fixed rate, as from a
//! camera, and the sequence either ends or starts again.

use crate::frame::{Frame, FrameSource, Resolution, SourceError};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Reads a PNG or JPEG file into grayscale, with the limits of [`decode_gray`].
pub fn load_gray(path: &Path) -> Result<image::GrayImage, SourceError> {
    let bytes = std::fs::read(path).map_err(|e| SourceError::Image(e.to_string()))?;
    decode_gray(&bytes)
}

/// Largest image accepted from a file, in pixels per side and in all.
pub const MAX_IMAGE_SIDE: u32 = 4096;
pub const MAX_IMAGE_PIXELS: u64 = 16_000_000;
/// Images are scaled down to this many pixels on their long side before decoding: a photo of a
/// screen holds the code at many pixels per module, and decoding time grows with the area.
pub const DECODE_SIDE: u32 = 2048;

/// Decodes PNG or JPEG bytes (a dropped or opened file) into grayscale, refusing images larger
/// than [`MAX_IMAGE_SIDE`] or [`MAX_IMAGE_PIXELS`] before decoding their pixels, and scaling
/// them to at most [`DECODE_SIDE`].
pub fn decode_gray(bytes: &[u8]) -> Result<image::GrayImage, SourceError> {
    let format = image::guess_format(bytes).map_err(|e| SourceError::Image(e.to_string()))?;
    if !matches!(format, image::ImageFormat::Png | image::ImageFormat::Jpeg) {
        return Err(SourceError::Image("not a PNG or JPEG image".into()));
    }
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let (w, h) = reader
        .into_dimensions()
        .map_err(|e| SourceError::Image(e.to_string()))?;
    if w > MAX_IMAGE_SIDE || h > MAX_IMAGE_SIDE || u64::from(w) * u64::from(h) > MAX_IMAGE_PIXELS {
        return Err(SourceError::Image(format!("{w}x{h} is too large")));
    }
    reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    // A decompression bomb stops here rather than in an allocation.
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_IMAGE_SIDE);
    limits.max_image_height = Some(MAX_IMAGE_SIDE);
    limits.max_alloc = Some(128 * 1024 * 1024);
    reader.limits(limits);
    let img = reader
        .decode()
        .map_err(|e| SourceError::Image(e.to_string()))?
        .to_luma8();
    Ok(fit(img, DECODE_SIDE))
}

/// `img` scaled down (never up) so that its long side is at most `side`.
pub fn fit(img: image::GrayImage, side: u32) -> image::GrayImage {
    let long = img.width().max(img.height());
    if long <= side {
        return img;
    }
    let scale = f64::from(side) / f64::from(long);
    let (w, h) = (
        ((f64::from(img.width()) * scale) as u32).max(1),
        ((f64::from(img.height()) * scale) as u32).max(1),
    );
    image::imageops::resize(&img, w, h, image::imageops::FilterType::Triangle)
}

/// Images handed out as frames, `interval` apart.
#[derive(Debug)]
pub struct ImageSequence {
    name: String,
    frames: Vec<image::GrayImage>,
    next: usize,
    seq: u64,
    looping: bool,
    interval: Duration,
    last: Option<Instant>,
}

impl ImageSequence {
    pub fn new(name: &str, frames: Vec<image::GrayImage>, interval: Duration) -> ImageSequence {
        ImageSequence {
            name: name.to_owned(),
            frames,
            next: 0,
            seq: 0,
            looping: false,
            interval,
            last: None,
        }
    }

    /// Starts again from the first image after the last, like a camera that never stops.
    pub fn looping(mut self) -> ImageSequence {
        self.looping = true;
        self
    }

    /// The images in `paths`, in order (a folder gives its PNG and JPEG files sorted by name).
    pub fn from_paths(paths: &[PathBuf], interval: Duration) -> Result<ImageSequence, SourceError> {
        let mut files = Vec::new();
        for p in paths {
            if p.is_dir() {
                let mut inside: Vec<PathBuf> = std::fs::read_dir(p)
                    .map_err(|e| SourceError::Image(e.to_string()))?
                    .filter_map(|e| e.ok().map(|e| e.path()))
                    .filter(|f| {
                        f.extension()
                            .and_then(|x| x.to_str())
                            .is_some_and(|x| ["png", "jpg", "jpeg"].contains(&x))
                    })
                    .collect();
                inside.sort();
                files.extend(inside);
            } else {
                files.push(p.clone());
            }
        }
        if files.is_empty() {
            return Err(SourceError::Image("no PNG or JPEG files".into()));
        }
        let frames = files
            .iter()
            .map(|f| load_gray(f))
            .collect::<Result<Vec<_>, _>>()?;
        let name = files
            .first()
            .and_then(|f| f.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(ImageSequence::new(&name, frames, interval))
    }
}

impl FrameSource for ImageSequence {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn resolution(&self) -> Resolution {
        self.frames
            .first()
            .map(|f| Resolution {
                width: f.width(),
                height: f.height(),
            })
            .unwrap_or(Resolution {
                width: 0,
                height: 0,
            })
    }

    fn next_frame(&mut self) -> Result<Frame, SourceError> {
        if self.next >= self.frames.len() {
            if !self.looping || self.frames.is_empty() {
                return Err(SourceError::Ended);
            }
            self.next = 0;
        }
        if let Some(last) = self.last {
            let due = last + self.interval;
            let now = Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
        }
        self.last = Some(Instant::now());
        let frame = Frame::from_image(&self.frames[self.next], self.seq);
        self.next += 1;
        self.seq += 1;
        Ok(frame)
    }
}

//! Frames and where they come from. A [`FrameSource`] hands out grayscale frames one at a time:
//! frames are converted to 8-bit luma once, where they are captured, because both the decoder and
//! the preview use that and nothing else.

use ea_api::ErrorCode;
use std::time::Instant;

/// One captured frame, 8-bit grayscale, row by row.
#[derive(Debug, Clone)]
pub struct Frame {
    pub width: u32,
    pub height: u32,
    pub luma: Vec<u8>,
    /// Counts from 0 per started source.
    pub seq: u64,
    pub captured_at: Instant,
}

impl Frame {
    pub fn new(width: u32, height: u32, luma: Vec<u8>, seq: u64) -> Frame {
        Frame {
            width,
            height,
            luma,
            seq,
            captured_at: Instant::now(),
        }
    }

    pub fn from_image(img: &image::GrayImage, seq: u64) -> Frame {
        Frame::new(img.width(), img.height(), img.as_raw().clone(), seq)
    }

    /// A preview no wider than `max_width`: every n-th pixel of every n-th row, prefixed by
    /// width and height as two little-endian u32 (what the web view draws on a canvas).
    pub fn preview(&self, max_width: u32) -> Vec<u8> {
        let step = self.width.div_ceil(max_width.max(1)).max(1) as usize;
        let (w, h) = (
            (self.width as usize).div_ceil(step),
            (self.height as usize).div_ceil(step),
        );
        let mut out = Vec::with_capacity(8 + w * h);
        out.extend_from_slice(&(w as u32).to_le_bytes());
        out.extend_from_slice(&(h as u32).to_le_bytes());
        let stride = self.width as usize;
        for y in (0..self.height as usize).step_by(step) {
            let row = &self.luma[y * stride..(y + 1) * stride];
            out.extend(row.iter().step_by(step));
        }
        out
    }
}

/// A resolution a source delivers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
pub struct Resolution {
    pub width: u32,
    pub height: u32,
}

/// Why frames cannot be had. `code()` is stable and translated by the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    #[error("no camera is connected")]
    NoCamera,
    #[error("the camera is in use by another program")]
    CameraBusy,
    #[error("access to the camera was denied")]
    PermissionDenied,
    #[error("the camera does not offer {0}x{1}")]
    ResolutionUnavailable(u32, u32),
    #[error("the camera failed: {0}")]
    CameraFailed(String),
    #[error("camera support is not built into this program")]
    Unsupported,
    #[error("the image could not be read: {0}")]
    Image(String),
    #[error("there are no more frames")]
    Ended,
}

impl SourceError {
    /// The stable code the app translates.
    pub fn code(&self) -> ErrorCode {
        match self {
            SourceError::NoCamera => ErrorCode::CameraNone {},
            SourceError::CameraBusy => ErrorCode::CameraBusy {},
            SourceError::PermissionDenied => ErrorCode::CameraDenied {},
            SourceError::ResolutionUnavailable(..) => ErrorCode::CameraResolution {},
            SourceError::CameraFailed(_) | SourceError::Unsupported => ErrorCode::CameraFailed {},
            SourceError::Image(_) => ErrorCode::ImageUnreadable {},
            SourceError::Ended => ErrorCode::CameraEnded {},
        }
    }
}

/// Something that produces frames: a camera, or images for tests, the demo and machines without
/// a camera. `next_frame` blocks until the next frame is there. Dropping the source releases the
/// device. Sources need not be `Send` (nokhwa's camera is not): the pipeline creates each one on
/// the thread that reads it.
pub trait FrameSource {
    /// What is being captured, for logs and the UI.
    fn name(&self) -> String;
    fn resolution(&self) -> Resolution;
    fn next_frame(&mut self) -> Result<Frame, SourceError>;
}

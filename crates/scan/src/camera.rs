//! The camera frame source, on nokhwa (V4L2 on Linux, AVFoundation on macOS, Media Foundation on
//! Windows). nokhwa's `Camera` is not `Send`, so a [`CameraSource`] is opened on the thread that
//! reads it (the pipeline does that). The device is released when the source is dropped, also
//! after an error.

use crate::frame::{Frame, FrameSource, Resolution, SourceError};
use nokhwa::pixel_format::LumaFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};
use nokhwa::{Camera, NokhwaError};

/// A camera the system reports.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CameraInfo {
    /// Stable within one run: the backend's index.
    pub id: String,
    pub name: String,
}

/// Resolution asked for when the user did not choose one: enough for a QR code at arm's length,
/// and cheap to decode.
pub const DEFAULT_RESOLUTION: Resolution = Resolution {
    width: 640,
    height: 480,
};

fn map_error(e: NokhwaError) -> SourceError {
    let text = e.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("busy") || lower.contains("in use") {
        SourceError::CameraBusy
    } else if lower.contains("permission")
        || lower.contains("denied")
        || lower.contains("not authorized")
    {
        SourceError::PermissionDenied
    } else if lower.contains("no such device")
        || lower.contains("no such file")
        || lower.contains("not found")
    {
        SourceError::NoCamera
    } else {
        SourceError::CameraFailed(text)
    }
}

/// On macOS the user must grant camera access first; elsewhere this is a no-op that says yes.
fn ensure_permission() -> Result<(), SourceError> {
    #[cfg(target_os = "macos")]
    {
        if !nokhwa::nokhwa_check() {
            let (tx, rx) = std::sync::mpsc::channel();
            nokhwa::nokhwa_initialize(move |granted| {
                let _ = tx.send(granted);
            });
            let granted = rx
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap_or(false);
            if !granted {
                return Err(SourceError::PermissionDenied);
            }
        }
    }
    Ok(())
}

/// The cameras connected now; an empty list when there are none (never an error for that).
pub fn list_cameras() -> Result<Vec<CameraInfo>, SourceError> {
    ensure_permission()?;
    let found = nokhwa::query(ApiBackend::Auto).map_err(map_error)?;
    Ok(found
        .into_iter()
        .map(|c| CameraInfo {
            id: c.index().as_string(),
            name: c.human_name(),
        })
        .collect())
}

fn index_of(id: &str) -> CameraIndex {
    match id.parse::<u32>() {
        Ok(n) => CameraIndex::Index(n),
        Err(_) => CameraIndex::String(id.to_owned()),
    }
}

/// An open camera delivering frames.
pub struct CameraSource {
    camera: Camera,
    name: String,
    resolution: Resolution,
    seq: u64,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource")
            .field("name", &self.name)
            .field("resolution", &self.resolution)
            .finish()
    }
}

impl CameraSource {
    /// Opens camera `id` at `resolution` (or the default), and starts its stream.
    pub fn open(id: &str, resolution: Option<Resolution>) -> Result<CameraSource, SourceError> {
        ensure_permission()?;
        let idx = index_of(id);
        let any = RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut camera = Camera::new(idx.clone(), any).map_err(map_error)?;
        let offered = offered_resolutions(&mut camera)?;
        let want = match resolution {
            Some(r) if offered.contains(&r) => r,
            Some(r) => return Err(SourceError::ResolutionUnavailable(r.width, r.height)),
            None => pick_default(&offered).unwrap_or(DEFAULT_RESOLUTION),
        };
        let format = CameraFormat::new(
            nokhwa::utils::Resolution::new(want.width, want.height),
            FrameFormat::MJPEG,
            30,
        );
        camera
            .set_camera_requset(RequestedFormat::new::<LumaFormat>(
                RequestedFormatType::Closest(format),
            ))
            .map_err(map_error)?;
        camera.open_stream().map_err(map_error)?;
        let res = camera.resolution();
        Ok(CameraSource {
            name: camera.info().human_name(),
            camera,
            resolution: Resolution {
                width: res.width(),
                height: res.height(),
            },
            seq: 0,
        })
    }

    /// The resolutions camera `id` offers, smallest first.
    pub fn resolutions(id: &str) -> Result<Vec<Resolution>, SourceError> {
        ensure_permission()?;
        let any = RequestedFormat::new::<LumaFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut camera = Camera::new(index_of(id), any).map_err(map_error)?;
        offered_resolutions(&mut camera)
    }
}

fn offered_resolutions(camera: &mut Camera) -> Result<Vec<Resolution>, SourceError> {
    let mut all: Vec<Resolution> = camera
        .compatible_camera_formats()
        .map_err(map_error)?
        .into_iter()
        .map(|f| Resolution {
            width: f.width(),
            height: f.height(),
        })
        .collect();
    all.sort();
    all.dedup();
    Ok(all)
}

/// 640x480 when offered, else the smallest at least 640 wide, else the largest.
fn pick_default(offered: &[Resolution]) -> Option<Resolution> {
    if offered.contains(&DEFAULT_RESOLUTION) {
        return Some(DEFAULT_RESOLUTION);
    }
    offered
        .iter()
        .filter(|r| r.width >= DEFAULT_RESOLUTION.width)
        .min_by_key(|r| r.width * r.height)
        .or_else(|| offered.iter().max_by_key(|r| r.width * r.height))
        .copied()
}

impl FrameSource for CameraSource {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn resolution(&self) -> Resolution {
        self.resolution
    }

    fn next_frame(&mut self) -> Result<Frame, SourceError> {
        let buffer = self.camera.frame().map_err(map_error)?;
        let img = buffer.decode_image::<LumaFormat>().map_err(map_error)?;
        let frame = Frame::new(img.width(), img.height(), img.into_raw(), self.seq);
        self.seq += 1;
        Ok(frame)
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        if self.camera.is_stream_open() {
            let _ = self.camera.stop_stream();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_resolution_prefers_640x480_then_the_smallest_wide_enough() {
        let r = |width, height| Resolution { width, height };
        assert_eq!(
            pick_default(&[r(320, 240), r(640, 480), r(1280, 720)]),
            Some(r(640, 480))
        );
        assert_eq!(
            pick_default(&[r(320, 240), r(1920, 1080), r(800, 600)]),
            Some(r(800, 600))
        );
        assert_eq!(pick_default(&[r(160, 120), r(320, 240)]), Some(r(320, 240)));
        assert_eq!(pick_default(&[]), None);
    }

    #[test]
    fn errors_are_told_apart() {
        assert_eq!(
            map_error(NokhwaError::OpenDeviceError(
                "0".into(),
                "Device or resource busy".into()
            )),
            SourceError::CameraBusy
        );
        assert_eq!(
            map_error(NokhwaError::OpenDeviceError(
                "0".into(),
                "Permission denied".into()
            )),
            SourceError::PermissionDenied
        );
        assert!(matches!(
            map_error(NokhwaError::GeneralError("odd".into())),
            SourceError::CameraFailed(_)
        ));
    }
}

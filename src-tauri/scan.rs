//! The QR path's commands: cameras, the live scan (preview frames to the web view as binary
//! channel messages, never base64 in JSON), a pasted link, an opened or dropped image, and links
//! opened from outside (`vsec-ea://`, through the deep-link plugin). Every way ends in
//! `ea_scan::parse_card_url`; the UI only ever sees a checked card request or a coded refusal.

use crate::error::ErrorCode;
use crate::state::Desktop;
use ea_scan::files::{ImageSequence, decode_gray};
use ea_scan::{
    CardRequest, Found, Frame, FrameSource, QrDecoder, Resolution, ScanSink, Scanner, SourceError,
    UrlError, parse_card_url,
};
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tauri::State;
use tauri::ipc::{Channel, InvokeBody, InvokeResponseBody, Request};
use ts_rs::TS;

type Result<T> = std::result::Result<T, ErrorCode>;

/// Previews are at most this wide (the decoder still gets the full frame).
const PREVIEW_WIDTH: u32 = 640;
/// At most this often a preview is sent: 20 frames/s.
const PREVIEW_EVERY: Duration = Duration::from_millis(50);
/// Largest image file taken (a PNG or JPEG photo of a screen is far smaller).
const MAX_IMAGE_BYTES: usize = 16 * 1024 * 1024;
/// The rate of the image-file "camera": 30 frames/s, as a webcam.
const FILE_FRAME_INTERVAL: Duration = Duration::from_millis(33);

fn url_error(e: &UrlError) -> ErrorCode {
    e.code()
}

fn source_error(e: &SourceError) -> ErrorCode {
    e.code()
}

/// The scan in progress, and links that arrived from outside before the UI asked for them.
#[derive(Debug)]
pub struct ScanState {
    scanner: Mutex<Option<Scanner>>,
    /// Bumped by every stop: a start that finishes after a stop (the screen was left while the
    /// camera was opening) sees it changed and releases its camera at once.
    generation: std::sync::atomic::AtomicU64,
    links: Mutex<LinkInbox>,
    /// One image decode at a time: a dropped file is decoded off the UI thread, but never many.
    decoding: tokio::sync::Semaphore,
}

impl Default for ScanState {
    fn default() -> ScanState {
        ScanState {
            scanner: Mutex::default(),
            generation: Default::default(),
            links: Mutex::default(),
            decoding: tokio::sync::Semaphore::new(1),
        }
    }
}

#[derive(Default)]
struct LinkInbox {
    pending: Option<String>,
    /// An `emergency-access://enrol` link (an invitation's).
    enrol: Option<String>,
    watcher: Option<Channel<()>>,
}

impl std::fmt::Debug for LinkInbox {
    // The link itself carries a challenge: not for logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LinkInbox")
            .field("pending", &self.pending.is_some())
            .field("enrol", &self.enrol.is_some())
            .field("watched", &self.watcher.is_some())
            .finish()
    }
}

impl ScanState {
    /// Ends the current scan, if any, and bumps the stop generation so a start still in flight
    /// releases its camera too.
    fn take(&self) -> Option<Scanner> {
        self.generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.scanner.lock().ok().and_then(|mut s| s.take())
    }

    /// Stops the camera, if one runs. Blocks until it is released.
    pub fn stop(&self) {
        if let Some(s) = self.take() {
            release(s);
        }
    }

    /// A link opened from outside (at start or while running). Only the newest is kept; the UI
    /// is told there is one and asks for it with `scan_take_link`.
    pub fn link_arrived(&self, url: &str) {
        if let Ok(mut inbox) = self.links.lock() {
            let app_link = url
                .get(..ea_scan::url::APP_SCHEME.len() + 1)
                .is_some_and(|s| s.eq_ignore_ascii_case(&format!("{}:", ea_scan::url::APP_SCHEME)));
            if app_link {
                inbox.enrol = Some(url.to_owned());
            } else {
                inbox.pending = Some(url.to_owned());
            }
            if let Some(w) = &inbox.watcher {
                let _ = w.send(());
            }
        }
    }
}

/// The checked card request the UI shows, and whether its organisation is this app's.
fn checked(r: CardRequest, tenant: &str) -> Result<CardRequest> {
    if let Some(t) = &r.tenant
        && !t.eq_ignore_ascii_case(tenant)
    {
        return Err(ErrorCode::QrOtherTenant {
            tenant: t.clone(),
            configured: tenant.to_owned(),
        });
    }
    Ok(r)
}

async fn parse_for_this_app(d: &Desktop, text: &str) -> Result<CardRequest> {
    let r = parse_card_url(text).map_err(|e| {
        tracing::info!(error_code = e.code().as_str(), "card link refused");
        url_error(&e)
    })?;
    checked(r, &d.settings().await.tenant)
}

/// A link the user pasted.
#[tauri::command]
pub async fn scan_parse(d: State<'_, Desktop>, text: String) -> Result<CardRequest> {
    parse_for_this_app(&d, &text).await
}

/// A PNG or JPEG the user opened or dropped, sent as the raw request body.
#[tauri::command]
pub async fn scan_image(
    d: State<'_, Desktop>,
    s: State<'_, ScanState>,
    request: Request<'_>,
) -> Result<CardRequest> {
    let InvokeBody::Raw(bytes) = request.body() else {
        return Err(ErrorCode::ImageUnreadable {});
    };
    if bytes.len() > MAX_IMAGE_BYTES {
        return Err(ErrorCode::ImageUnreadable {});
    }
    let _one_at_a_time = s
        .decoding
        .acquire()
        .await
        .map_err(|_| ErrorCode::Internal {})?;
    let bytes = bytes.clone();
    let text = tokio::task::spawn_blocking(move || {
        let img = decode_gray(&bytes).map_err(|e| source_error(&e))?;
        QrDecoder.decode_image(&img).ok_or(ErrorCode::QrNone {})
    })
    .await
    .map_err(|_| ErrorCode::Internal {})??;
    parse_for_this_app(&d, &text).await
}

/// Registers the UI for "a link arrived" notices; tells it at once when one is waiting.
#[tauri::command]
pub fn scan_watch_links(s: State<'_, ScanState>, on_link: Channel<()>) -> Result<()> {
    let mut inbox = s.links.lock().map_err(|_| ErrorCode::Internal {})?;
    if inbox.pending.is_some() || inbox.enrol.is_some() {
        let _ = on_link.send(());
    }
    inbox.watcher = Some(on_link);
    Ok(())
}

/// The link that arrived from outside, checked; `None` when there is none.
#[tauri::command]
pub async fn scan_take_link(
    d: State<'_, Desktop>,
    s: State<'_, ScanState>,
) -> Result<Option<CardRequest>> {
    let link = s.links.lock().ok().and_then(|mut i| i.pending.take());
    match link {
        None => Ok(None),
        Some(l) => parse_for_this_app(&d, &l).await.map(Some),
    }
}

/// The invitation link that arrived from outside, checked (this app's organisation); `None`
/// when there is none.
#[tauri::command]
pub async fn enrol_take_link(
    d: State<'_, Desktop>,
    s: State<'_, ScanState>,
) -> Result<Option<ea_scan::url::EnrolLink>> {
    let link = s.links.lock().ok().and_then(|mut i| i.enrol.take());
    let Some(l) = link else {
        return Ok(None);
    };
    let parsed = ea_scan::url::parse_enrol_url(&l).map_err(|e| {
        tracing::info!(error_code = e.code().as_str(), "enrolment link refused");
        url_error(&e)
    })?;
    let configured = d.settings().await.tenant;
    if !parsed.tenant.eq_ignore_ascii_case(&configured) {
        return Err(ErrorCode::QrOtherTenant {
            tenant: parsed.tenant,
            configured,
        });
    }
    Ok(Some(parsed))
}

#[derive(Debug, Serialize, TS)]
pub struct CameraView {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Serialize, TS)]
pub struct CamerasView {
    pub cameras: Vec<CameraView>,
    /// Why the system's cameras could not be listed (a code the UI translates).
    pub reason: Option<ErrorCode>,
}

/// `EA_CAMERA=file:PATH`: images (a file or a folder) offered as a camera.
fn file_camera() -> Option<PathBuf> {
    std::env::var("EA_CAMERA")
        .ok()
        .and_then(|v| v.strip_prefix("file:").map(PathBuf::from))
}

#[tauri::command]
pub async fn scan_cameras() -> Result<CamerasView> {
    let mut cameras = Vec::new();
    if let Some(p) = file_camera() {
        let name = p
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        cameras.push(CameraView {
            id: format!("file:{}", p.display()),
            name: format!("Image: {name}"),
        });
    }
    let listed = tokio::task::spawn_blocking(list_system_cameras)
        .await
        .map_err(|_| ErrorCode::Internal {})?;
    let reason = match listed {
        Ok(found) => {
            cameras.extend(found);
            None
        }
        Err(e) => {
            tracing::warn!(error_code = e.code().as_str(), error = %e, "cameras could not be listed");
            Some(e.code())
        }
    };
    Ok(CamerasView { cameras, reason })
}

#[cfg(feature = "camera")]
fn list_system_cameras() -> std::result::Result<Vec<CameraView>, SourceError> {
    Ok(ea_scan::camera::list_cameras()?
        .into_iter()
        .map(|c| CameraView {
            id: c.id,
            name: c.name,
        })
        .collect())
}

#[cfg(not(feature = "camera"))]
fn list_system_cameras() -> std::result::Result<Vec<CameraView>, SourceError> {
    Ok(Vec::new())
}

/// What the scan tells the UI (frames go through their own binary channel).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScanEvent {
    /// The camera is delivering frames.
    Started { name: String },
    /// A card request was read; the scan has stopped.
    Found { card: CardRequest, millis: u64 },
    /// A QR code was read but is not a card request for this app; scanning goes on.
    Refused { error: ErrorCode },
    /// The camera stopped by itself: unplugged, busy, denied.
    Failed { error: ErrorCode },
}

struct UiSink {
    frames: Channel<InvokeResponseBody>,
    events: Channel<ScanEvent>,
    tenant: String,
    last_preview: Mutex<Option<Instant>>,
}

impl ScanSink for UiSink {
    fn started(&self, name: &str, _resolution: Resolution) {
        let _ = self.events.send(ScanEvent::Started {
            name: name.to_owned(),
        });
    }

    fn frame(&self, frame: &Frame) {
        let Ok(mut last) = self.last_preview.lock() else {
            return;
        };
        if last.is_some_and(|t| t.elapsed() < PREVIEW_EVERY) {
            return;
        }
        *last = Some(Instant::now());
        let _ = self
            .frames
            .send(InvokeResponseBody::Raw(frame.preview(PREVIEW_WIDTH)));
    }

    fn decoded(&self, text: &str, found: &Found) -> bool {
        match parse_card_url(text)
            .map_err(|e| url_error(&e))
            .and_then(|r| checked(r, &self.tenant))
        {
            Ok(card) => {
                let millis = (found.decoded_at - found.captured_at).as_millis() as u64;
                tracing::info!(millis, "card link read from the camera");
                let _ = self.events.send(ScanEvent::Found { card, millis });
                true
            }
            Err(error) => {
                tracing::info!(
                    error_code = error.as_str(),
                    "a QR code that is not a card link"
                );
                let _ = self.events.send(ScanEvent::Refused { error });
                false
            }
        }
    }

    fn stopped(&self, why: Option<SourceError>) {
        if let Some(e) = why {
            let _ = self.events.send(ScanEvent::Failed {
                error: source_error(&e),
            });
        }
    }
}

fn opener(camera: &str) -> Result<ea_scan::pipeline::Opener> {
    if let Some(path) = camera.strip_prefix("file:") {
        // Only the image source the environment named, never a path the web view makes up.
        if file_camera().as_deref() != Some(std::path::Path::new(path)) {
            return Err(ErrorCode::CameraNone {});
        }
        let path = PathBuf::from(path);
        return Ok(Box::new(move || {
            let seq = ImageSequence::from_paths(&[path], FILE_FRAME_INTERVAL)?.looping();
            Ok(Box::new(seq) as Box<dyn FrameSource>)
        }));
    }
    camera_opener(camera)
}

#[cfg(feature = "camera")]
fn camera_opener(camera: &str) -> Result<ea_scan::pipeline::Opener> {
    let id = camera.to_owned();
    Ok(Box::new(move || {
        let cam = ea_scan::camera::CameraSource::open(&id, None)?;
        Ok(Box::new(cam) as Box<dyn FrameSource>)
    }))
}

#[cfg(not(feature = "camera"))]
fn camera_opener(_camera: &str) -> Result<ea_scan::pipeline::Opener> {
    Err(ErrorCode::CameraFailed {})
}

/// Starts scanning with `camera`; stops any scan already running first.
#[tauri::command]
pub async fn scan_start(
    d: State<'_, Desktop>,
    s: State<'_, ScanState>,
    camera: String,
    on_frame: Channel<InvokeResponseBody>,
    on_event: Channel<ScanEvent>,
) -> Result<()> {
    let open = opener(&camera)?;
    let tenant = d.settings().await.tenant;
    stop_blocking(&s).await;
    let generation = s.generation.load(std::sync::atomic::Ordering::SeqCst);
    let sink = std::sync::Arc::new(UiSink {
        frames: on_frame,
        events: on_event,
        tenant,
        last_preview: Mutex::new(None),
    });
    let scanner = Scanner::start(open, Box::new(QrDecoder), sink);
    // Decided under the lock, released after it: stopping a camera blocks.
    let (to_stop, started) = {
        let mut slot = s.scanner.lock().map_err(|_| ErrorCode::Internal {})?;
        if s.generation.load(std::sync::atomic::Ordering::SeqCst) != generation {
            // Stopped while starting: the screen is gone, so is the camera.
            (Some(scanner), false)
        } else {
            (slot.replace(scanner), true)
        }
    };
    if let Some(old) = to_stop {
        let _ = tokio::task::spawn_blocking(move || release(old)).await;
    }
    if started {
        tracing::info!("camera scan started");
    }
    Ok(())
}

/// Stops `scanner` and logs what it did; blocks until the camera is released.
fn release(scanner: Scanner) {
    let stats = scanner.stop();
    tracing::info!(
        captured = stats.captured,
        decoded = stats.decoded,
        dropped = stats.dropped,
        "camera released"
    );
}

async fn stop_blocking(s: &ScanState) {
    if let Some(scanner) = s.take() {
        let _ = tokio::task::spawn_blocking(move || release(scanner)).await;
    }
}

/// Stops the scan and releases the camera (the scan screen was left).
#[tauri::command]
pub async fn scan_stop(s: State<'_, ScanState>) -> Result<()> {
    stop_blocking(&s).await;
    Ok(())
}

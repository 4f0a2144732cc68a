//! The frame pipeline: one thread captures, one decodes, and between them a slot that holds only
//! the newest frame. A frame that arrives while the decoder is busy replaces the one waiting, so
//! a slow decoder drops frames instead of queueing them, and what it decodes is never stale.
//! Nothing here runs on the caller's (UI) thread.

use crate::decode::Decoder;
use crate::frame::{Frame, FrameSource, Resolution, SourceError};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

/// What the pipeline tells its owner. Called on the pipeline's threads: keep each call short.
pub trait ScanSink: Send + Sync + 'static {
    /// The source is open: what it is and the size of its frames.
    fn started(&self, _name: &str, _resolution: Resolution) {}
    /// Every captured frame, on the capture thread (for a preview).
    fn frame(&self, _frame: &Frame) {}
    /// A decoded text, once per distinct text in a row; `true` stops the scan.
    fn decoded(&self, text: &str, found: &Found) -> bool;
    /// The last call: the scan stopped, because it was asked to (`None`) or the source failed.
    fn stopped(&self, _why: Option<SourceError>) {}
}

/// Which frame held a decoded code, and when.
#[derive(Debug, Clone, Copy)]
pub struct Found {
    pub seq: u64,
    pub captured_at: Instant,
    pub decoded_at: Instant,
}

/// Counters, for tests and the benchmark.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ScanStats {
    pub captured: u64,
    pub decoded: u64,
    pub dropped: u64,
}

#[derive(Default)]
struct Slot {
    frame: Option<Frame>,
    closed: bool,
    why: Option<SourceError>,
}

#[derive(Default)]
struct Shared {
    slot: Mutex<Slot>,
    ready: Condvar,
    stop: AtomicBool,
    captured: AtomicU64,
    decoded: AtomicU64,
    dropped: AtomicU64,
}

impl Shared {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // A panic on one pipeline thread must not wedge the other: take the data as it is.
        self.slot.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Opens the frame source; runs on the capture thread, because camera handles are not `Send`.
pub type Opener = Box<dyn FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send>;

/// A running scan. Dropping it (or [`Scanner::stop`]) stops both threads and releases the
/// source.
pub struct Scanner {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("stats", &self.stats())
            .finish()
    }
}

impl Scanner {
    pub fn start(open: Opener, mut decoder: Box<dyn Decoder>, sink: Arc<dyn ScanSink>) -> Scanner {
        let shared = Arc::new(Shared::default());
        let (sh, sk) = (shared.clone(), sink.clone());
        let capture = std::thread::Builder::new()
            .name("scan-capture".into())
            .spawn(move || capture(open, &sh, sk.as_ref()));
        let sh = shared.clone();
        let decode = std::thread::Builder::new()
            .name("scan-decode".into())
            .spawn(move || {
                decode_loop(decoder.as_mut(), &sh, sink.as_ref());
            });
        let mut threads = Vec::new();
        for t in [capture, decode] {
            match t {
                Ok(h) => threads.push(h),
                Err(e) => {
                    // Without both threads there is no scan: close the slot so the other ends.
                    shared.stop.store(true, Ordering::SeqCst);
                    let mut slot = shared.slot();
                    slot.closed = true;
                    slot.why = Some(SourceError::CameraFailed(e.to_string()));
                    shared.ready.notify_all();
                }
            }
        }
        Scanner { shared, threads }
    }

    pub fn stats(&self) -> ScanStats {
        ScanStats {
            captured: self.shared.captured.load(Ordering::SeqCst),
            decoded: self.shared.decoded.load(Ordering::SeqCst),
            dropped: self.shared.dropped.load(Ordering::SeqCst),
        }
    }

    /// Whether the scan is still going.
    pub fn is_running(&self) -> bool {
        self.threads.iter().any(|t| !t.is_finished())
    }

    /// Waits until the scan ends by itself (a code was accepted, or the source ended).
    pub fn wait(mut self) -> ScanStats {
        self.join();
        self.stats()
    }

    /// Stops capturing and decoding, and releases the source.
    pub fn stop(mut self) -> ScanStats {
        self.halt();
        self.stats()
    }

    fn halt(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        self.shared.ready.notify_all();
        self.join();
    }

    fn join(&mut self) {
        let me = std::thread::current().id();
        for t in self.threads.drain(..) {
            // A sink that drops its scanner from a pipeline callback must not wait for itself.
            if t.thread().id() != me {
                let _ = t.join();
            }
        }
    }
}

impl Drop for Scanner {
    fn drop(&mut self) {
        self.halt();
    }
}

/// Closes the slot when the capture thread ends, also by a panic, so the decode thread (and a
/// `stop` waiting for it) never waits for frames that cannot come.
struct CloseOnExit<'a>(&'a Shared);

impl Drop for CloseOnExit<'_> {
    fn drop(&mut self) {
        let mut slot = self.0.slot();
        if !slot.closed {
            slot.closed = true;
            slot.why = Some(SourceError::CameraFailed("the capture stopped".into()));
        }
        self.0.ready.notify_all();
    }
}

fn capture(open: Opener, shared: &Shared, sink: &dyn ScanSink) {
    let _close = CloseOnExit(shared);
    let why = match open() {
        Err(e) => Some(e),
        Ok(mut source) => {
            sink.started(&source.name(), source.resolution());
            let mut why = None;
            while !shared.stop.load(Ordering::SeqCst) {
                match source.next_frame() {
                    Ok(frame) => {
                        shared.captured.fetch_add(1, Ordering::SeqCst);
                        sink.frame(&frame);
                        let mut slot = shared.slot();
                        if slot.frame.replace(frame).is_some() {
                            shared.dropped.fetch_add(1, Ordering::SeqCst);
                        }
                        shared.ready.notify_all();
                    }
                    Err(e) => {
                        why = Some(e);
                        break;
                    }
                }
            }
            // The source (and the device it holds) is released here, before the scan reports
            // that it stopped.
            drop(source);
            why
        }
    };
    let mut slot = shared.slot();
    slot.closed = true;
    slot.why = why;
    shared.ready.notify_all();
}

fn decode_loop(decoder: &mut dyn Decoder, shared: &Shared, sink: &dyn ScanSink) {
    let mut last: Option<String> = None;
    loop {
        let frame = {
            let mut slot = shared.slot();
            loop {
                if shared.stop.load(Ordering::SeqCst) {
                    break None;
                }
                if let Some(f) = slot.frame.take() {
                    break Some(f);
                }
                if slot.closed {
                    break None;
                }
                slot = shared.ready.wait(slot).unwrap_or_else(|p| p.into_inner());
            }
        };
        let Some(frame) = frame else {
            break;
        };
        // A decoder that panics on a crafted frame loses that frame, not the scan.
        let text =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decoder.decode(&frame)))
                .unwrap_or(None);
        shared.decoded.fetch_add(1, Ordering::SeqCst);
        if let Some(text) = text {
            if last.as_deref() == Some(text.as_str()) {
                continue;
            }
            let found = Found {
                seq: frame.seq,
                captured_at: frame.captured_at,
                decoded_at: Instant::now(),
            };
            if sink.decoded(&text, &found) {
                shared.stop.store(true, Ordering::SeqCst);
                break;
            }
            last = Some(text);
        }
    }
    // Wait for the capture thread to let go of the source, so "stopped" means released.
    let mut slot = shared.slot();
    while !slot.closed {
        slot = shared.ready.wait(slot).unwrap_or_else(|p| p.into_inner());
    }
    let why = slot.why.take();
    drop(slot);
    sink.stopped(why);
}

//! The frame pipeline: a code after empty frames is found, a slow decoder makes the pipeline
//! drop frames instead of queueing them, and the source is released when the scan stops.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::files::ImageSequence;
use ea_scan::testkit::{code_frame, empty_frame};
use ea_scan::{
    Decoder, Found, Frame, FrameSource, QrDecoder, Resolution, ScanSink, Scanner, SourceError,
};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LINK: &str = "vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF&alg=aes";

#[derive(Default)]
struct Record {
    frames: AtomicUsize,
    found: Mutex<Vec<(String, u64)>>,
    stopped: Mutex<Option<Option<SourceError>>>,
}

impl ScanSink for Record {
    fn frame(&self, _f: &Frame) {
        self.frames.fetch_add(1, Ordering::SeqCst);
    }
    fn decoded(&self, text: &str, found: &Found) -> bool {
        self.found
            .lock()
            .unwrap()
            .push((text.to_owned(), found.seq));
        ea_scan::parse_card_url(text).is_ok()
    }
    fn stopped(&self, why: Option<SourceError>) {
        *self.stopped.lock().unwrap() = Some(why);
    }
}

fn sequence(empty: usize, codes: usize, interval: Duration) -> ImageSequence {
    let mut frames: Vec<_> = (0..empty)
        .map(|i| empty_frame(640, 480, i as u64))
        .collect();
    frames.extend((0..codes).map(|i| code_frame(640, 480, LINK, 1000 + i as u64)));
    ImageSequence::new("test", frames, interval)
}

#[test]
fn a_code_after_empty_frames_is_decoded_and_stops_the_scan() {
    let rec = Arc::new(Record::default());
    let seq = sequence(12, 3, Duration::from_millis(5));
    let scanner = Scanner::start(
        Box::new(move || Ok(Box::new(seq) as Box<dyn FrameSource>)),
        Box::new(QrDecoder),
        rec.clone(),
    );
    let stats = scanner.wait();
    let found = rec.found.lock().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, LINK);
    assert!(
        found[0].1 >= 12,
        "decoded from a frame holding the code: {found:?}"
    );
    assert_eq!(
        *rec.stopped.lock().unwrap(),
        Some(None),
        "stopped because the code was accepted"
    );
    assert!(stats.captured >= 13, "{stats:?}");
}

/// Decodes nothing, slowly; counts what it was given.
struct Slow {
    seen: Arc<Mutex<Vec<u64>>>,
}

impl Decoder for Slow {
    fn decode(&mut self, frame: &Frame) -> Option<String> {
        self.seen.lock().unwrap().push(frame.seq);
        std::thread::sleep(Duration::from_millis(40));
        None
    }
}

#[test]
fn a_slow_decoder_gets_the_newest_frame_and_the_rest_are_dropped() {
    let rec = Arc::new(Record::default());
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seq = sequence(40, 0, Duration::from_millis(2));
    let scanner = Scanner::start(
        Box::new(move || Ok(Box::new(seq) as Box<dyn FrameSource>)),
        Box::new(Slow { seen: seen.clone() }),
        rec.clone(),
    );
    let stats = scanner.wait();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(stats.captured, 40);
    assert_eq!(
        rec.frames.load(Ordering::SeqCst),
        40,
        "every frame reached the preview"
    );
    assert!(
        seen.len() < 20,
        "frames were dropped, not queued: decoded {}",
        seen.len()
    );
    assert_eq!(stats.dropped + stats.decoded, 40, "{stats:?}");
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "always a newer frame: {seen:?}"
    );
    assert_eq!(
        *seen.last().unwrap(),
        39,
        "the last frame is decoded, not a stale one"
    );
    assert_eq!(*rec.stopped.lock().unwrap(), Some(Some(SourceError::Ended)));
}

/// A source that records whether it is still held.
struct Held {
    open: Arc<AtomicBool>,
    seq: u64,
}

impl FrameSource for Held {
    fn name(&self) -> String {
        "held".into()
    }
    fn resolution(&self) -> Resolution {
        Resolution {
            width: 64,
            height: 48,
        }
    }
    fn next_frame(&mut self) -> Result<Frame, SourceError> {
        std::thread::sleep(Duration::from_millis(5));
        self.seq += 1;
        Ok(Frame::new(64, 48, vec![128; 64 * 48], self.seq))
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.open.store(false, Ordering::SeqCst);
    }
}

#[test]
fn stopping_releases_the_source() {
    let open = Arc::new(AtomicBool::new(false));
    let o = open.clone();
    let rec = Arc::new(Record::default());
    let scanner = Scanner::start(
        Box::new(move || {
            o.store(true, Ordering::SeqCst);
            Ok(Box::new(Held { open: o, seq: 0 }) as Box<dyn FrameSource>)
        }),
        Box::new(QrDecoder),
        rec.clone(),
    );
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        open.load(Ordering::SeqCst),
        "the source is held while scanning"
    );
    assert!(scanner.is_running());
    let stats = scanner.stop();
    assert!(!open.load(Ordering::SeqCst), "released on stop");
    assert!(stats.captured > 3, "{stats:?}");
    assert_eq!(*rec.stopped.lock().unwrap(), Some(None));

    // Dropping the scanner releases it too.
    let open2 = Arc::new(AtomicBool::new(false));
    let o2 = open2.clone();
    let scanner = Scanner::start(
        Box::new(move || {
            o2.store(true, Ordering::SeqCst);
            Ok(Box::new(Held { open: o2, seq: 0 }) as Box<dyn FrameSource>)
        }),
        Box::new(QrDecoder),
        Arc::new(Record::default()),
    );
    std::thread::sleep(Duration::from_millis(50));
    drop(scanner);
    assert!(!open2.load(Ordering::SeqCst), "released on drop");
}

#[test]
fn a_source_that_cannot_open_reports_why() {
    let rec = Arc::new(Record::default());
    let scanner = Scanner::start(
        Box::new(|| Err(SourceError::CameraBusy)),
        Box::new(QrDecoder),
        rec.clone(),
    );
    scanner.wait();
    assert_eq!(
        *rec.stopped.lock().unwrap(),
        Some(Some(SourceError::CameraBusy))
    );
    assert_eq!(rec.frames.load(Ordering::SeqCst), 0);
}

/// Panics on every frame.
struct Panicking;

impl Decoder for Panicking {
    fn decode(&mut self, _frame: &Frame) -> Option<String> {
        panic!("a crafted frame");
    }
}

#[test]
fn a_panicking_decoder_loses_frames_not_the_scan() {
    let rec = Arc::new(Record::default());
    let seq = sequence(5, 0, Duration::from_millis(2));
    let scanner = Scanner::start(
        Box::new(move || Ok(Box::new(seq) as Box<dyn FrameSource>)),
        Box::new(Panicking),
        rec.clone(),
    );
    let stats = scanner.wait();
    assert_eq!(stats.captured, 5);
    assert_eq!(
        *rec.stopped.lock().unwrap(),
        Some(Some(SourceError::Ended)),
        "ended normally"
    );
}

/// Panics on its third frame.
struct Breaks(u64);

impl FrameSource for Breaks {
    fn name(&self) -> String {
        "breaks".into()
    }
    fn resolution(&self) -> Resolution {
        Resolution {
            width: 8,
            height: 8,
        }
    }
    fn next_frame(&mut self) -> Result<Frame, SourceError> {
        self.0 += 1;
        assert!(self.0 < 3, "the driver broke");
        Ok(Frame::new(8, 8, vec![0; 64], self.0))
    }
}

#[test]
fn a_capture_that_panics_ends_the_scan_instead_of_hanging_it() {
    let rec = Arc::new(Record::default());
    let scanner = Scanner::start(
        Box::new(|| Ok(Box::new(Breaks(0)) as Box<dyn FrameSource>)),
        Box::new(QrDecoder),
        rec.clone(),
    );
    let stats = scanner.wait();
    assert_eq!(stats.captured, 2);
    assert!(matches!(
        *rec.stopped.lock().unwrap(),
        Some(Some(SourceError::CameraFailed(_)))
    ));
}

/// Hands out frame 0, waits until the decoder is busy with it, then hands out frames 1 to 5 at
/// once, tells the decoder, and ends.
struct Burst {
    next: u64,
    decoder_busy: std::sync::mpsc::Receiver<()>,
    burst_done: std::sync::mpsc::Sender<()>,
}

impl FrameSource for Burst {
    fn name(&self) -> String {
        "burst".into()
    }
    fn resolution(&self) -> Resolution {
        Resolution {
            width: 8,
            height: 8,
        }
    }
    fn next_frame(&mut self) -> Result<Frame, SourceError> {
        if self.next == 1 {
            self.decoder_busy.recv().map_err(|_| SourceError::Ended)?;
        }
        if self.next == 6 {
            let _ = self.burst_done.send(());
            return Err(SourceError::Ended);
        }
        self.next += 1;
        Ok(Frame::new(8, 8, vec![0; 64], self.next - 1))
    }
}

/// Blocks on frame 0 until the burst is captured; records what it is given.
struct Blocking {
    seen: Arc<Mutex<Vec<u64>>>,
    busy: std::sync::mpsc::Sender<()>,
    burst_done: std::sync::mpsc::Receiver<()>,
}

impl Decoder for Blocking {
    fn decode(&mut self, frame: &Frame) -> Option<String> {
        self.seen.lock().unwrap().push(frame.seq);
        if frame.seq == 0 {
            let _ = self.busy.send(());
            let _ = self.burst_done.recv();
        }
        None
    }
}

#[test]
fn frames_that_arrive_while_the_decoder_is_busy_leave_only_the_newest() {
    let (busy_tx, busy_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let source = Burst {
        next: 0,
        decoder_busy: busy_rx,
        burst_done: done_tx,
    };
    let scanner = Scanner::start(
        Box::new(move || Ok(Box::new(source) as Box<dyn FrameSource>)),
        Box::new(Blocking {
            seen: seen.clone(),
            busy: busy_tx,
            burst_done: done_rx,
        }),
        Arc::new(Record::default()),
    );
    let stats = scanner.wait();
    assert_eq!(
        *seen.lock().unwrap(),
        vec![0, 5],
        "frames 1 to 4 were dropped, 5 decoded"
    );
    assert_eq!(stats.dropped, 4, "{stats:?}");
}

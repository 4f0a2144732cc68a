//! Benchmark of the QR path: decode time per frame (median and p95 over the generated corpus, at
//! 640x480 and 1280x720, with and without a code), and the time from the first frame that holds
//! a code to the decoded link through the running pipeline (a 30 frames/s sequence source).
//! `cargo run --release -p ea-scan --example scan_bench`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::files::ImageSequence;
use ea_scan::testkit::{code_frame, corpus, empty_frame};
use ea_scan::{Found, FrameSource, QrDecoder, ScanSink, Scanner};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn stats(v: &mut [f64]) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    let p95 = v[((v.len() as f64 * 0.95) as usize).min(v.len() - 1)];
    (v[v.len() / 2], p95)
}

struct FirstCode {
    code_from: u64,
    first_code_frame_at: Mutex<Option<Instant>>,
    latency: Mutex<Option<Duration>>,
}

impl ScanSink for FirstCode {
    fn frame(&self, f: &ea_scan::Frame) {
        if f.seq == self.code_from {
            *self.first_code_frame_at.lock().unwrap() = Some(f.captured_at);
        }
    }
    fn decoded(&self, _text: &str, found: &Found) -> bool {
        let start = self
            .first_code_frame_at
            .lock()
            .unwrap()
            .unwrap_or(found.captured_at);
        *self.latency.lock().unwrap() = Some(found.decoded_at - start);
        true
    }
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let mut rows = Vec::new();
    for (w, h) in [(640u32, 480u32), (1280, 720)] {
        let samples = corpus(w, h, 6, 30, u64::from(w) + 7);
        let dec = QrDecoder;
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for _round in 0..2 {
            for s in &samples {
                let t = Instant::now();
                let _ = dec.decode_image(&s.image);
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if s.text.is_some() {
                    with.push(ms)
                } else {
                    without.push(ms)
                }
            }
        }
        for (what, v) in [("code", &mut with), ("no code", &mut without)] {
            let (med, p95) = stats(v);
            rows.push((format!("QR decode {w}x{h}, {what}"), med, p95, "ms"));
        }
        let link = "vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF&alg=aes";
        let mut lat = Vec::new();
        for run in 0..15u64 {
            let mut frames: Vec<_> = (0..10).map(|i| empty_frame(w, h, run * 100 + i)).collect();
            frames.extend((0..10).map(|i| code_frame(w, h, link, run * 100 + 50 + i)));
            let seq = ImageSequence::new("bench", frames, Duration::from_millis(33));
            let sink = Arc::new(FirstCode {
                code_from: 10,
                first_code_frame_at: Mutex::new(None),
                latency: Mutex::new(None),
            });
            Scanner::start(
                Box::new(move || Ok(Box::new(seq) as Box<dyn FrameSource>)),
                Box::new(QrDecoder),
                sink.clone(),
            )
            .wait();
            if let Some(d) = *sink.latency.lock().unwrap() {
                lat.push(d.as_secs_f64() * 1000.0);
            }
            eprint!("\r  {w}x{h} first code to link: run {}/15", run + 1);
        }
        eprintln!();
        let (med, p95) = stats(&mut lat);
        rows.push((
            format!("QR first code frame to decoded link {w}x{h}"),
            med,
            p95,
            "ms",
        ));
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(n, m, p, u)| serde_json::json!({"figure": n, "median": m, "p95": p, "unit": u}))
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        println!("{:<52} {:>9} {:>9}", "figure", "median", "p95");
        for (n, m, p, u) in rows {
            println!("{n:<52} {m:>7.2}{u} {p:>7.2}{u}");
        }
    }
}

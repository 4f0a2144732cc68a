//! Compares QR decoders on the generated corpus: decode rate per fault and time per frame, at
//! 640x480 and 1280x720. The figures chose the decoder in `ea_scan::decode`. Also measured and
//! left: rqrr on the frame halved, and rqrr only where rxing located something it could not read
//! (both read fewer codes); rxing on the stretched frame at full size on 1280x720 (as many reads
//! as halved, twice the time on frames without a code).
//! `cargo run --release -p ea-scan --example decoders [PER_FAULT]`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::testkit::{FAULTS, Fault, corpus};
use std::time::Instant;

type Dec = fn(&image::GrayImage) -> Option<String>;

fn rxing_plain(img: &image::GrayImage) -> Option<String> {
    let mut hints = rxing::DecodeHints::default().with(rxing::DecodeHintValue::TryHarder(true));
    rxing::helpers::detect_in_luma_slice_with_hints(
        img.as_raw(),
        img.width(),
        img.height(),
        Some(rxing::BarcodeFormat::QR_CODE),
        &mut hints,
    )
    .ok()
    .map(|r| r.getText().to_owned())
}

fn rxing_filtered(img: &image::GrayImage) -> Option<String> {
    rxing::helpers::detect_in_luma_filtered(
        img.as_raw().clone(),
        img.width(),
        img.height(),
        Some(rxing::BarcodeFormat::QR_CODE),
    )
    .ok()
    .map(|r| r.getText().to_owned())
}

fn rqrr(img: &image::GrayImage) -> Option<String> {
    let mut prep = rqrr::PreparedImage::prepare_from_greyscale(
        img.width() as usize,
        img.height() as usize,
        |x, y| img.get_pixel(x as u32, y as u32)[0],
    );
    prep.detect_grids()
        .iter()
        .find_map(|g| g.decode().ok().map(|(_, t)| t))
}

/// What the app used before: rqrr on every frame rxing found nothing in.
fn rxing_then_rqrr(img: &image::GrayImage) -> Option<String> {
    rxing_plain(img).or_else(|| rqrr(img))
}

/// What the app uses (`ea_scan::QrDecoder`): rxing, rxing again on the frame stretched (halved
/// when wider than 960), then rqrr on frames up to 960 wide.
fn app(img: &image::GrayImage) -> Option<String> {
    ea_scan::QrDecoder.decode_image(img)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn p95(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 * 0.95) as usize).min(v.len() - 1)]
}

fn main() {
    let per_fault: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(8);
    let decoders: [(&str, Dec); 5] = [
        ("rxing", rxing_plain),
        ("rxing-filtered", rxing_filtered),
        ("rqrr", rqrr),
        ("rxing+rqrr", rxing_then_rqrr),
        ("app", app),
    ];
    for (w, h) in [(640u32, 480u32), (1280, 720)] {
        let samples = corpus(w, h, per_fault, per_fault * 3, u64::from(w));
        println!(
            "== {w}x{h}: {} frames with a code, {} without",
            per_fault * FAULTS.len(),
            per_fault * 3
        );
        println!(
            "{:<16} {:>8} {:>6} {:>10} {:>10} {:>10} {:>10}  misses",
            "decoder", "rate", "false", "code med", "code p95", "none med", "none p95"
        );
        for (name, dec) in decoders {
            let (mut ok, mut with, mut fp) = (0, 0, 0);
            let (mut t_code, mut t_none) = (Vec::new(), Vec::new());
            let mut misses: Vec<Fault> = Vec::new();
            for s in &samples {
                let start = Instant::now();
                let got = dec(&s.image);
                let ms = start.elapsed().as_secs_f64() * 1000.0;
                match &s.text {
                    Some(t) => {
                        with += 1;
                        t_code.push(ms);
                        if got.as_deref() == Some(t.as_str()) {
                            ok += 1;
                        } else {
                            misses.push(s.fault);
                        }
                    }
                    None => {
                        t_none.push(ms);
                        fp += usize::from(got.is_some());
                    }
                }
            }
            println!(
                "{name:<16} {:>7.1}% {fp:>6} {:>8.1}ms {:>8.1}ms {:>8.1}ms {:>8.1}ms  {misses:?}",
                100.0 * ok as f64 / with as f64,
                median(&mut t_code),
                p95(&mut t_code),
                median(&mut t_none),
                p95(&mut t_none)
            );
        }
    }
}

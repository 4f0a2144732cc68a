//! QR decoding per camera frame at 640x480 and 1280x720, with a vSEC:CMS code in the frame and
//! without one (most frames a camera delivers hold none). `cargo bench -p ea-scan`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use ea_scan::QrDecoder;
use ea_scan::testkit::{code_frame, empty_frame};
use std::hint::black_box;

const LINK: &str = "vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF&alg=aes";

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("QR decode per frame");
    g.sample_size(30);
    for (w, h) in [(640u32, 480u32), (1280, 720)] {
        let with = code_frame(w, h, LINK, 7);
        let without = empty_frame(w, h, 7);
        let dec = QrDecoder;
        assert!(dec.decode_image(&with).is_some(), "the code frame decodes");
        g.bench_with_input(
            BenchmarkId::new("code", format!("{w}x{h}")),
            &with,
            |b, f| b.iter(|| dec.decode_image(black_box(f))),
        );
        g.bench_with_input(
            BenchmarkId::new("no code", format!("{w}x{h}")),
            &without,
            |b, f| b.iter(|| dec.decode_image(black_box(f))),
        );
    }
    g.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);

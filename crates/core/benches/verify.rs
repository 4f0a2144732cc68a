//! The verification checks that cost CPU on every request: an answer against its Argon2id hash
//! at the shipped parameters, and an authenticator code (accepted, and refused after the whole
//! window and the drift search). `cargo bench -p ea-core`

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, criterion_group, criterion_main};
use ea_core::answers::{self, HashCost};
use ea_core::totp::{self, TotpCounters, TotpParams};
use std::hint::black_box;

fn argon2id(c: &mut Criterion) {
    let mut rng = rand::rng();
    let phc = answers::hash("correct horse battery", HashCost::RECOMMENDED, &mut rng).unwrap();
    let mut g = c.benchmark_group("argon2id (19 MiB, t=2, p=1)");
    g.sample_size(20);
    g.bench_function("answer check, right", |b| {
        b.iter(|| assert!(answers::verify(black_box("correct horse battery"), &phc)))
    });
    g.bench_function("answer check, wrong", |b| {
        b.iter(|| assert!(!answers::verify(black_box("a wrong answer"), &phc)))
    });
    g.finish();
}

fn authenticator(c: &mut Criterion) {
    let secret: Vec<u8> = (0u8..20).collect();
    let params = TotpParams::default();
    let now = 1_796_400_000i64;
    let right = totp::code_at(&secret, params, (now / 30) as u64);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let counters = TotpCounters::default();
    let mut g = c.benchmark_group("authenticator check (window 1)");
    g.bench_function("accepted", |b| {
        b.iter(|| {
            let r = totp::check(&secret, params, counters, 1, black_box(&right), now);
            assert!(matches!(r, totp::TotpCheck::Accepted { .. }));
        })
    });
    g.bench_function("refused", |b| {
        b.iter(|| {
            let r = totp::check(&secret, params, counters, 1, black_box(wrong), now);
            assert!(!matches!(r, totp::TotpCheck::Accepted { .. }));
        })
    });
    g.finish();
}

criterion_group!(benches, argon2id, authenticator);
criterion_main!(benches);

//! Benchmark of the PIN-unblock sequence: APDUs per unblock and time per unblock (median of
//! repeated runs), in process against the virtual card, and through a real pcscd when one can run.
//! Run via `scripts/bench.sh`.

use ea_card::session::unblock;
use ea_card::transport::Counting;
use ea_card::virtual_card::{VirtualCard, VirtualCardConfig};
use ea_card::{CardError, CardTransport, Pin, Profile};
use ea_core::cryptogram::{CardAlgorithm, compute};
use std::time::{Duration, Instant};

const RUNS: usize = 50;

fn cryptogram(challenge: &[u8]) -> Result<Vec<u8>, CardError> {
    let key: Vec<u8> = (0x40..0x50).collect();
    compute(CardAlgorithm::Aes128, &key, challenge)
        .map(|c| c.to_vec())
        .map_err(|e| CardError::Transport(e.to_string()))
}

/// One unblock on `transport`; returns the APDUs it took.
fn unblock_once<T: CardTransport>(transport: T) -> Result<usize, CardError> {
    let profile = Profile::iso7816();
    let pin = Pin::new("246810", &profile.pin)?;
    let mut counted = Counting {
        inner: transport,
        count: 0,
    };
    unblock(&mut counted, profile, &pin, |s| cryptogram(&s.challenge))?;
    Ok(counted.count)
}

fn measure(name: &str, mut once: impl FnMut() -> Result<usize, CardError>) {
    let mut times = Vec::with_capacity(RUNS);
    let mut apdus = 0;
    for i in 0..RUNS {
        if i % 10 == 0 {
            eprintln!("  {name}: run {i}/{RUNS}");
        }
        let start = Instant::now();
        match once() {
            Ok(n) => apdus = n,
            Err(e) => {
                println!("{name}: unblock failed: {e}");
                return;
            }
        }
        times.push(start.elapsed());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{name:<28} {apdus:>2} APDUs   median {:>8.3} ms   p90 {:>8.3} ms   min {:>8.3} ms   ({RUNS} runs)",
        ms(times[RUNS / 2]),
        ms(times[RUNS * 9 / 10]),
        ms(times[0]),
    );
}

fn main() {
    println!(
        "PIN unblock: select, CPLC serial, challenge, external authenticate, reset retry counter"
    );
    let mut card = VirtualCard::new(VirtualCardConfig::demo());
    measure("in process (virtual card)", || unblock_once(&mut card));

    match ea_card::testkit::ensure_pcscd() {
        Err(reason) => println!("through pcscd: skipped ({reason})"),
        Ok(_pcscd) => {
            let dir = std::env::temp_dir().join(format!("ea-bench-{}", std::process::id()));
            let _ = std::fs::create_dir_all(&dir);
            let binary = std::env::current_exe()
                .ok()
                .and_then(|p| Some(p.parent()?.parent()?.join("ea-virtual-card")))
                .unwrap_or_default();
            match ea_card::testkit::insert_virtual_card(
                &binary,
                35963,
                &dir.join("card.json"),
                &["--pin-tries", "0"],
            ) {
                Err(e) => println!("through pcscd: skipped ({e})"),
                Ok((_card, reader)) => {
                    // The app connects for every unblock, so that is measured too, then the
                    // sequence alone on an open connection (inside one transaction each).
                    measure("pcscd: connect + unblock", || {
                        let mut c = ea_card::pcsc::connect(&reader)?;
                        c.with_transaction(|tx| unblock_once(tx))
                    });
                    match ea_card::pcsc::connect(&reader) {
                        Ok(mut c) => measure("pcscd: unblock, connected", || {
                            c.with_transaction(|tx| unblock_once(tx))
                        }),
                        Err(e) => println!("pcscd: connect failed: {e}"),
                    }
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
}

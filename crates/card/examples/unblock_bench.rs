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

/// One measured row: what, APDUs per unblock, median and p95 in ms.
type Measured = (String, usize, f64, f64);

fn measure(
    name: &str,
    mut once: impl FnMut() -> Result<usize, CardError>,
) -> Result<Measured, String> {
    let mut times = Vec::with_capacity(RUNS);
    let mut apdus = 0;
    for i in 0..RUNS {
        if i % 10 == 0 {
            eprint!("\r  {name}: run {i}/{RUNS}   ");
        }
        let start = Instant::now();
        apdus = once().map_err(|e| format!("{name}: unblock failed: {e}"))?;
        times.push(start.elapsed());
    }
    eprintln!("\r  {name}: {RUNS} runs   ");
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    Ok((
        name.to_owned(),
        apdus,
        ms(times[RUNS / 2]),
        ms(times[(RUNS * 95).div_ceil(100) - 1]),
    ))
}

fn main() {
    let json = std::env::args().any(|a| a == "--json");
    let mut rows: Vec<Result<Measured, String>> = Vec::new();
    let mut card = VirtualCard::new(VirtualCardConfig::demo());
    rows.push(measure("in process (virtual card)", || {
        unblock_once(&mut card)
    }));

    match ea_card::testkit::ensure_pcscd() {
        Err(reason) => rows.push(Err(format!("through pcscd: not measured ({reason})"))),
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
                Err(e) => rows.push(Err(format!("through pcscd: not measured ({e})"))),
                Ok((_card, reader)) => {
                    // The app connects for every unblock, so that is measured too, then the
                    // sequence alone on an open connection (inside one transaction each).
                    rows.push(measure("through pcscd, connect + unblock", || {
                        let mut c = ea_card::pcsc::connect(&reader)?;
                        c.with_transaction(|tx| unblock_once(tx))
                    }));
                    rows.push(match ea_card::pcsc::connect(&reader) {
                        Ok(mut c) => {
                            measure("through pcscd, unblock on an open connection", || {
                                c.with_transaction(|tx| unblock_once(tx))
                            })
                        }
                        Err(e) => Err(format!("pcscd: connect failed: {e}")),
                    });
                }
            }
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|(n, a, m, p)| {
                serde_json::json!({"figure": format!("card unblock {n}"), "apdus": a, "median": m, "p95": p, "unit": "ms"})
            })
            .collect();
        println!("{}", serde_json::Value::Array(v));
    } else {
        println!(
            "PIN unblock: select, CPLC serial, challenge, external authenticate, reset retry counter"
        );
        for r in &rows {
            match r {
                Ok((n, a, m, p)) => println!(
                    "{n:<46} {a:>2} APDUs   median {m:>8.3} ms   p95 {p:>8.3} ms   ({RUNS} runs)"
                ),
                Err(e) => println!("{e}"),
            }
        }
    }
    let failed: Vec<_> = rows.iter().filter_map(|r| r.as_ref().err()).collect();
    if !failed.is_empty() {
        for f in &failed {
            eprintln!("{f}");
        }
        std::process::exit(1);
    }
}

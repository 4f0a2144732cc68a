//! The readers' watch through a real pcscd that stops and starts again (the card screen says the
//! service is gone and finds the readers when it is back). A test binary of its own: cargo runs
//! test binaries one after another, so stopping pcscd here disturbs no other test. Skipped, with
//! the reason printed, where pcscd cannot run (required when EA_CARD_E2E is set), and where a
//! pcscd this test did not start is running (it is not stopped).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_card::CardError;
use ea_card::pcsc::watch;
use ea_card::testkit::{ensure_pcscd, pcscd_or_skip};
use std::time::{Duration, Instant};

#[test]
fn the_watch_follows_the_service_going_and_coming_back() {
    let Some(started) = pcscd_or_skip() else {
        return;
    };
    let Some(ours) = started else {
        eprintln!("skipping: a pcscd this test did not start is running, and is not stopped");
        return;
    };
    let known = watch(&[], Duration::ZERO).expect("the service answers");
    assert!(!known.is_empty(), "vpcd's readers are listed: {known:?}");

    // A watch waits for a change; the service stops under it. It answers at once, not at the
    // end of its timeout: the screen says so without delay.
    let waiting = {
        let known = known.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            (watch(&known, Duration::from_secs(30)), started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    drop(ours);
    let (seen, took) = waiting.join().unwrap();
    assert!(
        matches!(seen, Err(CardError::NoService)) || seen.as_ref().is_ok_and(Vec::is_empty),
        "the stopped service is reported: {seen:?}"
    );
    assert!(took < Duration::from_secs(10), "answered in {took:?}");
    assert!(
        matches!(watch(&[], Duration::ZERO), Err(CardError::NoService)),
        "no service while pcscd is stopped"
    );

    // Started again: the same readers are back.
    let _again = ensure_pcscd().expect("pcscd starts again").expect("ours");
    let back = watch(&[], Duration::ZERO).expect("the service answers again");
    let names = |r: &[ea_card::pcsc::Reader]| r.iter().map(|r| r.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&back), names(&known), "the readers are listed again");
}

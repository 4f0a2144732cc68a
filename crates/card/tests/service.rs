//! The readers' watch through a real pcscd that stops and starts again (the card screen says the
//! service is gone and finds the readers when it is back). A test binary of its own: cargo runs
//! test binaries one after another, so stopping pcscd here disturbs no other test. Skipped, with
//! the reason printed, where pcscd cannot run or a pcscd this test did not start is running (it
//! is not stopped); where EA_CARD_E2E is set, both fail instead.

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
        assert!(
            std::env::var_os("EA_CARD_E2E").is_none(),
            "a pcscd this test did not start is running: stop it to run the service test"
        );
        eprintln!("skipping: a pcscd this test did not start is running, and is not stopped");
        return;
    };
    let known = watch(&[], Duration::ZERO).expect("the service answers");
    assert!(!known.is_empty(), "vpcd's readers are listed: {known:?}");

    // A watch waits for a change; the service stops under it. It answers at once, not at the
    // end of its timeout: the screen says so without delay.
    // A stopping pcscd may take its readers away one at a time first: each such change is an
    // answer of its own, and the watch is asked again, as the card screen does.
    let waiting = {
        let known = known.clone();
        std::thread::spawn(move || {
            let started = Instant::now();
            let mut last = known;
            let mut answers = Vec::new();
            loop {
                let seen = watch(&last, Duration::from_secs(30));
                let over = !matches!(&seen, Ok(r) if !r.is_empty());
                answers.push(format!("{seen:?}"));
                if over || started.elapsed() > Duration::from_secs(10) {
                    return (seen, started.elapsed(), answers);
                }
                last = seen.unwrap();
            }
        })
    };
    std::thread::sleep(Duration::from_millis(500));
    drop(ours);
    let (seen, took, answers) = waiting.join().unwrap();
    assert!(
        matches!(seen, Err(CardError::NoService)) || seen.as_ref().is_ok_and(Vec::is_empty),
        "the stopped service is reported: {answers:?}"
    );
    assert!(
        took < Duration::from_secs(10),
        "answered in {took:?}: {answers:?}"
    );
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

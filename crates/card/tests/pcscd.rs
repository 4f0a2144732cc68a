//! The unblock sequence against the virtual card through a real pcscd and the `pcsc` crate.
//! Skipped, with the reason printed, where pcscd cannot run (required when EA_CARD_E2E is set).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use ea_card::session::unblock;
use ea_card::testkit::pcscd_or_skip;
use ea_card::{CardError, CardSession, Pin, PinStatus, Profile};
use ea_core::cryptogram::{CardAlgorithm, compute};
use std::time::Duration;
use support::{card_state, insert_card};

const DEMO_KEY: &str = "404142434445464748494A4B4C4D4E4F";

fn cryptogram(challenge: &[u8]) -> Result<Vec<u8>, CardError> {
    let key = hex::decode(DEMO_KEY).unwrap();
    compute(CardAlgorithm::Aes128, &key, challenge)
        .map(|c| c.to_vec())
        .map_err(|e| CardError::Transport(e.to_string()))
}

#[test]
fn unblock_through_pcscd() {
    let Some(_pcscd) = pcscd_or_skip() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("card.json");
    let profile = Profile::iso7816();
    let new_pin = Pin::new("246810", &profile.pin).unwrap();

    // A wrong cryptogram is refused and leaves the PIN blocked.
    let (card_proc, reader) = insert_card(35963, &state, &["--pin-tries", "0"]);
    let mut card = ea_card::pcsc::connect(&reader).unwrap();
    let refused =
        card.with_transaction(|c| unblock(c, profile.clone(), &new_pin, |_| Ok(vec![0u8; 16])));
    assert_eq!(refused, Err(CardError::AuthFailed { tries_left: 4 }));
    assert_eq!(
        (
            card_state(&state).pin.as_str(),
            card_state(&state).pin_tries_left
        ),
        ("123456", 0)
    );

    // The real sequence, in one transaction: select, CPLC, challenge, authenticate, set PIN.
    let serial = card
        .with_transaction(|c| {
            unblock(c, profile.clone(), &new_pin, |start| {
                cryptogram(&start.challenge)
            })
        })
        .unwrap();
    assert_eq!(serial, "EA5EC0DE00000001");
    let s = card_state(&state);
    assert_eq!((s.pin.as_str(), s.pin_tries_left), ("246810", 3));
    // The new PIN works on the card.
    let mut session = CardSession::open(&mut card, profile.clone()).unwrap();
    assert_eq!(session.pin_status(), Ok(PinStatus::TriesLeft(3)));
    session.verify_pin(&new_pin).unwrap();
    assert_eq!(session.pin_status(), Ok(PinStatus::Verified));

    // The card is pulled after the challenge: the error says so and the PIN is unchanged.
    let other = Pin::new("135790", &profile.pin).unwrap();
    let mut holder = Some(card_proc);
    let pulled = card.with_transaction(|c| {
        unblock(c, profile.clone(), &other, |start| {
            drop(holder.take());
            std::thread::sleep(Duration::from_millis(500));
            cryptogram(&start.challenge)
        })
    });
    assert!(
        matches!(
            pulled,
            Err(CardError::CardRemoved | CardError::NoCard | CardError::Transport(_))
        ),
        "{pulled:?}"
    );
    assert_eq!(card_state(&state).pin, "246810", "nothing half-changed");

    // Insertion and removal are seen by watching the readers.
    let in_reader = |readers: &[ea_card::pcsc::Reader]| {
        readers
            .iter()
            .find(|r| r.name == reader)
            .map(|r| (r.card_present, r.events))
            .expect("the reader stays listed")
    };
    let pulled = ea_card::pcsc::readers().unwrap();
    assert!(!in_reader(&pulled).0, "no card after the pull");
    assert_eq!(
        ea_card::pcsc::watch(&pulled, Duration::from_millis(200)),
        Ok(pulled.clone()),
        "nothing changed: the same readers after the timeout"
    );
    let (card_proc, _) = insert_card(35963, &state, &[]);
    let back = ea_card::pcsc::watch(&pulled, Duration::from_millis(200)).unwrap();
    assert!(in_reader(&back).0, "the card is back");
    assert!(
        in_reader(&back).1 > in_reader(&pulled).1,
        "counted as an event"
    );
    let watcher = {
        let back = back.clone();
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            (
                ea_card::pcsc::watch(&back, Duration::from_secs(10)),
                started.elapsed(),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    drop(card_proc);
    let (seen, waited) = watcher.join().unwrap();
    assert!(
        !in_reader(&seen.unwrap()).0,
        "the removal is noticed while watching"
    );
    assert!(
        waited < Duration::from_secs(5),
        "noticed when it happened, not at the timeout ({waited:?})"
    );
    // A card swapped between two looks differs by its event count alone.
    let (swapped, _) = insert_card(35963, &state, &[]);
    let seen = ea_card::pcsc::readers().unwrap();
    let gone = || {
        ea_testkit::poll_until(Duration::from_secs(5), || {
            (!in_reader(&ea_card::pcsc::readers().unwrap()).0).then_some(())
        })
        .expect("pcscd sees the card go");
    };
    drop(swapped);
    gone();
    let (again, _) = insert_card(35963, &state, &[]);
    let now = ea_card::pcsc::watch(&seen, Duration::from_secs(5)).unwrap();
    assert!(
        in_reader(&now).0 && in_reader(&now).1 > in_reader(&seen).1,
        "{now:?}"
    );
    drop(again);
    gone();

    // A new watch cancels the one waiting before it (the card screen shown again): waits never
    // pile up.
    let still = ea_card::pcsc::readers().unwrap();
    let first = {
        let still = still.clone();
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            (
                ea_card::pcsc::watch(&still, Duration::from_secs(10)),
                started.elapsed(),
            )
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    let second = ea_card::pcsc::watch(&still, Duration::from_millis(500));
    let (cancelled, waited) = first.join().unwrap();
    assert_eq!(cancelled, Ok(still.clone()));
    assert!(
        waited < Duration::from_secs(3),
        "the first wait ended ({waited:?})"
    );
    assert_eq!(second, Ok(still));

    // A card that stops answering times out instead of hanging.
    let (_slow, reader) = insert_card(35963, &state, &["--delay-ms", "1500"]);
    let mut slow = ea_card::pcsc::connect(&reader)
        .unwrap()
        .with_timeout(Duration::from_millis(300));
    let r = CardSession::open(&mut slow, profile.clone()).map(|_| ());
    assert_eq!(r, Err(CardError::Timeout));

    assert_eq!(
        ea_card::pcsc::connect("No Such Reader 99")
            .map(|_| ())
            .err(),
        Some(CardError::NoReader)
    );
}

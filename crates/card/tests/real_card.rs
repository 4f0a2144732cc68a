//! Tests on a real card. They run only when `EA_REAL_CARD_READER` names a reader and the card in
//! it has a serial listed in `EA_REAL_CARD_ALLOW` (comma-separated): nothing touches a card that
//! was not put on the list on purpose. Reading is harmless; the unblock runs only when the
//! card's admin key is given too (`EA_REAL_CARD_KEY`, hex, with `EA_REAL_CARD_ALGORITHM` and
//! `EA_REAL_CARD_NEW_PIN`).

#![allow(clippy::expect_used, clippy::unwrap_used)]

use ea_card::session::unblock;
use ea_card::{CardError, CardSession, Pin, Profile};
use ea_core::cryptogram::{CardAlgorithm, compute};

#[test]
fn real_card_on_the_allow_list() {
    let (Ok(reader), Ok(allow)) = (
        std::env::var("EA_REAL_CARD_READER"),
        std::env::var("EA_REAL_CARD_ALLOW"),
    ) else {
        eprintln!("skipping the real-card test: set EA_REAL_CARD_READER and EA_REAL_CARD_ALLOW");
        return;
    };
    let profile =
        Profile::named(&std::env::var("EA_REAL_CARD_PROFILE").unwrap_or_else(|_| "iso7816".into()))
            .expect("known profile");
    let mut card = ea_card::pcsc::connect(&reader).expect("connect");
    let serial = card
        .with_transaction(|c| CardSession::open(c, profile.clone())?.serial())
        .expect("serial");
    let allowed: Vec<String> = allow.split(',').map(|s| s.trim().to_uppercase()).collect();
    assert!(
        allowed.contains(&serial),
        "card {serial} is not on the allow-list; refusing to touch it"
    );
    let status = card
        .with_transaction(|c| CardSession::open(c, profile.clone())?.pin_status())
        .expect("PIN status");
    eprintln!("card {serial}: PIN {status:?}");
    if let (Ok(key), Ok(alg), Ok(new_pin)) = (
        std::env::var("EA_REAL_CARD_KEY"),
        std::env::var("EA_REAL_CARD_ALGORITHM"),
        std::env::var("EA_REAL_CARD_NEW_PIN"),
    ) {
        let key = hex::decode(key).expect("hex key");
        let alg = CardAlgorithm::parse(&alg).expect("algorithm");
        let pin = Pin::new(&new_pin, &profile.pin).expect("PIN follows the profile");
        let done = card.with_transaction(|c| {
            unblock(c, profile.clone(), &pin, |s| {
                compute(alg, &key, &s.challenge)
                    .map(|x| x.to_vec())
                    .map_err(|e| CardError::Transport(e.to_string()))
            })
        });
        assert_eq!(done, Ok(serial));
    }
}

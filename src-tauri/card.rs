//! Smart-card commands: readers, the inserted card's state, the PIN unblock (card I/O here, the
//! cryptogram from the server), changing a known PIN, and the helpdesk form. The new PIN never
//! leaves this process; the server learns only its length.

use crate::error::ErrorCode;
use crate::state::Desktop;
use ea_api::endpoints;
use ea_api::{
    ActionDone, CardCryptogram, CardCryptogramRequest, CardDelivery, CardOutcome, CardResultRequest,
};
use ea_card::session::unblock;
use ea_card::{CardError, CardSession, Pin, PinStatus, Profile};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tauri::State;
use ts_rs::TS;

type Result<T> = std::result::Result<T, ErrorCode>;

fn card_error(e: CardError) -> ErrorCode {
    let code = e.code();
    tracing::info!(error_code = code.as_str(), "card operation failed");
    code
}

/// The profile of the cards this app unblocks (`EA_CARD_PROFILE`, default `iso7816`).
fn profile() -> Profile {
    std::env::var("EA_CARD_PROFILE")
        .ok()
        .and_then(|n| Profile::named(&n))
        .unwrap_or_else(Profile::iso7816)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> std::result::Result<T, CardError> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ErrorCode::Internal {})?
        .map_err(card_error)
}

/// A reader as the card screen lists it. `events` counts insertions and removals, so a card
/// swapped between two looks is still noticed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReaderView {
    pub name: String,
    pub card_present: bool,
    pub events: u32,
}

/// The readers, or why this machine cannot talk to cards now.
#[derive(Debug, Serialize, TS)]
pub struct CardReadersView {
    pub available: bool,
    /// A code the UI translates, e.g. `card_no_service`.
    pub reason: Option<ErrorCode>,
    pub readers: Vec<ReaderView>,
}

/// How long one watch may wait at most.
const WATCH_LIMIT: Duration = Duration::from_secs(30);
/// How often a missing smart-card service is looked for.
const SERVICE_POLL: Duration = Duration::from_millis(500);

fn watch_once(known: Option<&[ReaderView]>, timeout: Duration) -> CardReadersView {
    let deadline = Instant::now() + timeout;
    let answer = match known {
        Some(known) => {
            let known: Vec<ea_card::pcsc::Reader> = known
                .iter()
                .map(|r| ea_card::pcsc::Reader {
                    name: r.name.clone(),
                    card_present: r.card_present,
                    events: r.events,
                })
                .collect();
            ea_card::pcsc::watch(&known, timeout)
        }
        // The service was missing: look for it until it is back or the time is up.
        None => loop {
            match ea_card::pcsc::readers() {
                Err(CardError::NoService) if Instant::now() + SERVICE_POLL < deadline => {
                    std::thread::sleep(SERVICE_POLL);
                }
                other => break other,
            }
        },
    };
    match answer {
        Ok(readers) => CardReadersView {
            available: true,
            reason: None,
            readers: readers
                .into_iter()
                .map(|r| ReaderView {
                    name: r.name,
                    card_present: r.card_present,
                    events: r.events,
                })
                .collect(),
        },
        Err(e) => CardReadersView {
            available: false,
            reason: Some(card_error(e)),
            readers: Vec::new(),
        },
    }
}

/// The readers as soon as they differ from `known`: a card inserted, removed or swapped, a reader
/// plugged in or out, the smart-card service stopped. `known: null` stands for "no service": the
/// answer comes when it is back. Waits at most `timeout_ms` (capped at 30 s), then answers with
/// the readers as they are; `0` answers at once.
#[tauri::command]
pub async fn card_watch(
    known: Option<Vec<ReaderView>>,
    timeout_ms: u32,
) -> Result<CardReadersView> {
    let timeout = Duration::from_millis(u64::from(timeout_ms)).min(WATCH_LIMIT);
    tokio::task::spawn_blocking(move || watch_once(known.as_deref(), timeout))
        .await
        .map_err(|_| ErrorCode::Internal {})
}

/// The PIN rules of the card profile, for live checks on the PIN screen.
#[derive(Debug, Serialize, TS)]
pub struct PinRulesView {
    pub min_length: u8,
    pub max_length: u8,
    pub digits_only: bool,
}

/// The state of a card's PIN, as the card reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PinState {
    Blocked,
    TriesLeft,
    Verified,
}

#[derive(Debug, Serialize, TS)]
pub struct CardStatusView {
    pub serial: String,
    pub pin: PinState,
    pub tries_left: Option<u8>,
    pub rules: PinRulesView,
}

#[tauri::command]
pub async fn card_status(reader: String) -> Result<CardStatusView> {
    let p = profile();
    let rules = PinRulesView {
        min_length: p.pin.min_length,
        max_length: p.pin.max_length,
        digits_only: p.pin.digits_only,
    };
    let (serial, status) = blocking(move || {
        let mut card = ea_card::pcsc::connect(&reader)?;
        card.with_transaction(|c| {
            let mut s = CardSession::open(c, p)?;
            Ok((s.serial()?, s.pin_status()?))
        })
    })
    .await?;
    let (pin, tries_left) = match status {
        PinStatus::Blocked => (PinState::Blocked, None),
        PinStatus::TriesLeft(n) => (PinState::TriesLeft, Some(n)),
        PinStatus::Verified => (PinState::Verified, None),
    };
    Ok(CardStatusView {
        serial,
        pin,
        tries_left,
        rules,
    })
}

#[derive(Debug, Serialize, TS)]
pub struct CardUnblocked {
    pub serial: String,
}

/// Unblocks the card in `reader` with a new PIN: reads serial and a fresh challenge, gets the
/// cryptogram from the server, authenticates and sets the PIN — all in one card transaction —
/// and reports the card's answer to the server.
#[tauri::command]
pub async fn card_unblock(
    d: State<'_, Desktop>,
    reader: String,
    new_pin: String,
) -> Result<CardUnblocked> {
    let client = d.client().await?;
    let p = profile();
    let new_pin = zeroize::Zeroizing::new(new_pin);
    let pin = Pin::new(&new_pin, &p.pin).map_err(card_error)?;
    let pin_len = pin.len() as u32;
    let handle = tokio::runtime::Handle::current();
    let server_error: Arc<Mutex<Option<ErrorCode>>> = Arc::default();
    // The serial and challenge a cryptogram was issued for, to name in the report.
    let serial_seen: Arc<Mutex<Option<(String, String)>>> = Arc::default();
    let (c2, se, ss) = (client.clone(), server_error.clone(), serial_seen.clone());
    let outcome = tokio::task::spawn_blocking(move || {
        let mut card = ea_card::pcsc::connect(&reader)?;
        card.with_transaction(|tx| {
            unblock(tx, p, &pin, |start| {
                let req = CardCryptogramRequest {
                    serial: start.serial.clone(),
                    challenge: hex::encode_upper(&start.challenge),
                    new_pin_length: Some(pin_len),
                    delivery: Some(CardDelivery::Card),
                };
                match handle.block_on(c2.call::<endpoints::CardCryptogram>(&req)) {
                    Ok(c) => {
                        if let Ok(mut s) = ss.lock() {
                            *s = Some((start.serial.clone(), req.challenge.clone()));
                        }
                        hex::decode(&c.cryptogram).map_err(|_| CardError::MalformedResponse)
                    }
                    Err(e) => {
                        if let Ok(mut slot) = se.lock() {
                            *slot = Some(e);
                        }
                        Err(CardError::Transport(
                            "the server refused the cryptogram".into(),
                        ))
                    }
                }
            })
        })
    })
    .await
    .map_err(|_| ErrorCode::Internal {})?;
    if let Some(e) = server_error.lock().ok().and_then(|mut s| s.take()) {
        return Err(e);
    }
    // The cryptogram was issued: tell the server what the card answered, whatever it was.
    let issued = serial_seen.lock().ok().and_then(|s| s.clone());
    if let Some((serial, challenge)) = issued {
        let (result, tries_left) = match &outcome {
            Ok(_) => (CardOutcome::Unblocked, None),
            Err(CardError::AuthFailed { tries_left }) => {
                (CardOutcome::AuthFailed, Some(u32::from(*tries_left)))
            }
            Err(_) => (CardOutcome::CardError, None),
        };
        let report = CardResultRequest {
            serial,
            challenge,
            outcome: result,
            tries_left,
        };
        if let Err(e) = client.call::<endpoints::CardResult>(&report).await {
            tracing::warn!(
                error_code = e.as_str(),
                "the card's answer could not be reported"
            );
        }
    }
    let serial = outcome.map_err(card_error)?;
    tracing::info!("card PIN unblocked");
    Ok(CardUnblocked { serial })
}

/// Changes a PIN the user still knows (no server involved).
#[tauri::command]
pub async fn card_change_pin(reader: String, old_pin: String, new_pin: String) -> Result<()> {
    let p = profile();
    let (old_pin, new_pin) = (
        zeroize::Zeroizing::new(old_pin),
        zeroize::Zeroizing::new(new_pin),
    );
    let old = Pin::new(&old_pin, &p.pin).map_err(card_error)?;
    let new = Pin::new(&new_pin, &p.pin).map_err(card_error)?;
    blocking(move || {
        let mut card = ea_card::pcsc::connect(&reader)?;
        card.with_transaction(|c| CardSession::open(c, p)?.change_pin(&old, &new))
    })
    .await
}

/// A cryptogram that will be shown on screen, not written to a card by this app.
async fn for_screen(d: &Desktop, serial: String, challenge: String) -> Result<CardCryptogram> {
    let req = CardCryptogramRequest {
        serial,
        challenge,
        new_pin_length: None,
        delivery: Some(CardDelivery::Screen),
    };
    d.client()
        .await?
        .call::<endpoints::CardCryptogram>(&req)
        .await
}

/// Helpdesk: the cryptogram for a serial and challenge read out by the user.
#[tauri::command]
pub async fn card_helpdesk_cryptogram(
    d: State<'_, Desktop>,
    serial: String,
    challenge: String,
) -> Result<CardCryptogram> {
    for_screen(&d, serial, challenge).await
}

/// The cryptogram of the QR path, to be shown: the same value as a QR code (SVG) for a phone.
/// Both forms are wiped from memory when dropped, and never printed.
#[derive(Serialize, TS)]
pub struct ShownCryptogram {
    #[ts(type = "string")]
    pub cryptogram: zeroize::Zeroizing<String>,
    pub checksum: String,
    pub algorithm: ea_api::CardAlgorithm,
    #[ts(type = "string")]
    pub qr_svg: zeroize::Zeroizing<String>,
}

impl std::fmt::Debug for ShownCryptogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShownCryptogram")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

/// The QR path: the serial and challenge came from vSEC:CMS (camera, link or paste), so there is
/// no card here; the cryptogram is shown on screen to be typed on the other machine. Nothing of it
/// is kept in this process after it is returned.
#[tauri::command]
pub async fn card_qr_cryptogram(
    d: State<'_, Desktop>,
    serial: String,
    challenge: String,
) -> Result<ShownCryptogram> {
    let c = for_screen(&d, serial, challenge).await?;
    let cryptogram = zeroize::Zeroizing::new(c.cryptogram);
    let qr_svg =
        zeroize::Zeroizing::new(ea_scan::qr::svg(&cryptogram).map_err(|_| ErrorCode::Internal {})?);
    tracing::info!("card cryptogram shown on screen");
    Ok(ShownCryptogram {
        cryptogram,
        checksum: c.checksum,
        algorithm: c.algorithm,
        qr_svg,
    })
}

/// Records what the card answered (helpdesk: as the user reports it).
#[tauri::command]
pub async fn card_report(
    d: State<'_, Desktop>,
    serial: String,
    challenge: String,
    outcome: ea_api::CardOutcome,
    tries_left: Option<u32>,
) -> Result<ActionDone> {
    d.client()
        .await?
        .call::<endpoints::CardResult>(&CardResultRequest {
            serial,
            challenge,
            outcome,
            tries_left,
        })
        .await
}

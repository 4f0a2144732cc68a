//! The PC/SC transport (pcsc-lite on Linux and macOS' PCSC framework, WinSCard on Windows).
//!
//! A card is served by its own thread, which owns the PC/SC handle. Callers send APDUs to it and
//! wait at most the per-APDU timeout, so a card that stops answering cannot hang the app: the
//! caller gets [`CardError::Timeout`] and the thread is abandoned. Operations that must not
//! interleave with other programs run inside [`PcscCard::with_transaction`] (an exclusive
//! PC/SC transaction).

use crate::status::CardError;
use crate::transport::CardTransport;
use pcsc::{Context, Disposition, Protocols, ReaderState, Scope, ShareMode, State};
use std::ffi::CString;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Duration;

/// A reader, whether a card is in it, and how many times a card was inserted or removed there
/// (so a card swapped between two looks is still a change).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reader {
    pub name: String,
    pub card_present: bool,
    pub events: u32,
}

/// Default time a card has to answer one APDU.
pub const APDU_TIMEOUT: Duration = Duration::from_secs(10);

fn map(e: pcsc::Error) -> CardError {
    use pcsc::Error as E;
    match e {
        // pcsc-lite's "internal communications error" is its connection to the service broken:
        // the service stopped (under a waiting watch, say).
        E::NoService | E::ServiceStopped | E::CommError => CardError::NoService,
        E::NoReadersAvailable | E::UnknownReader | E::ReaderUnavailable => CardError::NoReader,
        E::RemovedCard | E::ResetCard => CardError::CardRemoved,
        E::NoSmartcard => CardError::NoCard,
        E::Timeout => CardError::Timeout,
        E::SharingViolation => CardError::Busy,
        other => CardError::Transport(other.to_string()),
    }
}

fn context() -> Result<Context, CardError> {
    Context::establish(Scope::User).map_err(|e| match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::NoReadersAvailable => {
            CardError::NoService
        }
        other => map(other),
    })
}

/// The states of the connected readers, as of now, and pcsc-lite's and WinSCard's reader-list
/// notification when the service has it.
fn snapshot(ctx: &Context) -> Result<Vec<ReaderState>, CardError> {
    let names = match ctx.list_readers_owned() {
        Ok(n) => n,
        Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
        Err(e) => return Err(map(e)),
    };
    let states = |pnp: bool| -> Vec<ReaderState> {
        let mut v: Vec<ReaderState> = names
            .iter()
            .map(|n| ReaderState::new(n.clone(), State::UNAWARE))
            .collect();
        if pnp {
            v.push(ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE));
        }
        v
    };
    let mut with_pnp = states(true);
    match ctx.get_status_change(Duration::ZERO, &mut with_pnp) {
        // Nothing to report at once: with no reader (the notification alone) pcsc-lite times out.
        Ok(()) | Err(pcsc::Error::Timeout) => Ok(with_pnp),
        // A service without the notification: the readers alone.
        Err(pcsc::Error::UnknownReader) => {
            let mut plain = states(false);
            if !plain.is_empty() {
                ctx.get_status_change(Duration::ZERO, &mut plain)
                    .map_err(map)?;
            }
            Ok(plain)
        }
        Err(e) => Err(map(e)),
    }
}

fn is_pnp(s: &ReaderState) -> bool {
    s.name() == pcsc::PNP_NOTIFICATION()
}

fn to_readers(states: &[ReaderState]) -> Vec<Reader> {
    states
        .iter()
        .filter(|s| !is_pnp(s))
        .map(|s| Reader {
            name: s.name().to_string_lossy().into_owned(),
            card_present: s.event_state().contains(State::PRESENT),
            events: s.event_count(),
        })
        .collect()
}

/// The connected readers (empty when there are none).
pub fn readers() -> Result<Vec<Reader>, CardError> {
    let ctx = context()?;
    Ok(to_readers(&snapshot(&ctx)?))
}

/// Returns the readers as soon as they differ from `known`: a card inserted, removed or swapped,
/// a reader plugged in or out. Waits at most `timeout` (then returns them unchanged). Fails with
/// [`CardError::NoService`] when the smart-card service is not running.
pub fn watch(known: &[Reader], timeout: Duration) -> Result<Vec<Reader>, CardError> {
    let ctx = context()?;
    let mut states = snapshot(&ctx)?;
    let now = to_readers(&states);
    if now != known {
        return Ok(now);
    }
    if states.is_empty() {
        // No reader and no notification to wait on: look again after the timeout.
        std::thread::sleep(timeout);
    } else {
        for s in &mut states {
            s.sync_current_state();
        }
        let _waiting = Waiting::register(&ctx);
        match ctx.get_status_change(timeout, &mut states) {
            Ok(()) | Err(pcsc::Error::Timeout | pcsc::Error::Cancelled) => {}
            Err(e) => return Err(map(e)),
        }
    }
    // Whatever woke us, the list is read again: a new reader has no state in `states`.
    Ok(to_readers(&snapshot(&ctx)?))
}

/// The watch waiting now (its number and context), cancelled when the next one starts (a screen
/// shown again), so waiting threads and service contexts never pile up.
static WATCHING: std::sync::Mutex<Option<(u64, Context)>> = std::sync::Mutex::new(None);
static WATCHES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A watch's place in [`WATCHING`], given up when it ends.
struct Waiting(u64);

impl Waiting {
    fn register(ctx: &Context) -> Waiting {
        let mine = WATCHES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if let Ok(mut current) = WATCHING.lock()
            && let Some((_, previous)) = current.replace((mine, ctx.clone()))
        {
            let _ = previous.cancel();
        }
        Waiting(mine)
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if let Ok(mut current) = WATCHING.lock()
            && current.as_ref().is_some_and(|(n, _)| *n == self.0)
        {
            *current = None;
        }
    }
}

enum Request {
    Apdu(Vec<u8>, Sender<Result<Vec<u8>, CardError>>),
    Begin(Sender<Result<(), CardError>>),
    End(Sender<Result<(), CardError>>),
}

/// A connected card.
#[derive(Debug)]
pub struct PcscCard {
    requests: Sender<Request>,
    timeout: Duration,
}

fn transmit(card: &pcsc::Card, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
    let mut buf = [0u8; pcsc::MAX_BUFFER_SIZE];
    card.transmit(apdu, &mut buf)
        .map(<[u8]>::to_vec)
        .map_err(map)
}

fn serve(card: pcsc::Card, requests: Receiver<Request>) {
    let mut card = card;
    while let Ok(req) = requests.recv() {
        match req {
            Request::Apdu(a, reply) => {
                let _ = reply.send(transmit(&card, &a));
            }
            Request::End(reply) => {
                let _ = reply.send(Ok(()));
            }
            Request::Begin(reply) => {
                let tx = match card.transaction() {
                    Ok(tx) => tx,
                    Err(e) => {
                        let _ = reply.send(Err(map(e)));
                        continue;
                    }
                };
                let _ = reply.send(Ok(()));
                while let Ok(inner) = requests.recv() {
                    match inner {
                        Request::Apdu(a, r) => {
                            let _ = r.send(transmit(&tx, &a));
                        }
                        Request::End(r) => {
                            let _ = r.send(tx.end(Disposition::LeaveCard).map_err(|(_, e)| map(e)));
                            break;
                        }
                        Request::Begin(r) => {
                            let _ = r
                                .send(Err(CardError::Transport("transaction already open".into())));
                        }
                    }
                }
            }
        }
    }
    let _ = card.disconnect(Disposition::LeaveCard);
}

/// Connects to the card in `reader` (shared mode; exclusivity comes from transactions).
pub fn connect(reader: &str) -> Result<PcscCard, CardError> {
    let ctx = context()?;
    let name = CString::new(reader).map_err(|_| CardError::NoReader)?;
    let card = ctx
        .connect(&name, ShareMode::Shared, Protocols::ANY)
        .map_err(map)?;
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name("pcsc-card".into())
        .spawn(move || {
            let _ctx = ctx;
            serve(card, rx);
        })
        .map_err(|e| CardError::Transport(e.to_string()))?;
    Ok(PcscCard {
        requests: tx,
        timeout: APDU_TIMEOUT,
    })
}

impl PcscCard {
    pub fn with_timeout(mut self, timeout: Duration) -> PcscCard {
        self.timeout = timeout;
        self
    }

    fn ask<T>(
        &self,
        make: impl FnOnce(Sender<Result<T, CardError>>) -> Request,
    ) -> Result<T, CardError> {
        let (reply, answer) = channel();
        self.requests
            .send(make(reply))
            .map_err(|_| CardError::CardRemoved)?;
        answer.recv_timeout(self.timeout).map_err(|e| match e {
            std::sync::mpsc::RecvTimeoutError::Timeout => CardError::Timeout,
            std::sync::mpsc::RecvTimeoutError::Disconnected => CardError::CardRemoved,
        })?
    }

    /// Runs `f` inside an exclusive transaction: no other program can talk to the card meanwhile.
    pub fn with_transaction<R>(
        &mut self,
        f: impl FnOnce(&mut PcscCard) -> Result<R, CardError>,
    ) -> Result<R, CardError> {
        self.ask(Request::Begin)?;
        let result = f(self);
        let ended = self.ask(Request::End);
        let r = result?;
        ended?;
        Ok(r)
    }
}

impl CardTransport for PcscCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        let owned = apdu.to_vec();
        self.ask(|r| Request::Apdu(owned, r))
    }
}

//! The typed card API. A session starts `Selected`; `authenticate` consumes it and, only on
//! success, returns a `CardSession<AdminAuthenticated>` — the one type with `set_pin`. So code that
//! would set a PIN without a successful admin authentication does not compile:
//!
//! ```compile_fail
//! use ea_card::{CardError, CardSession, CardTransport, Pin, Profile};
//! struct AnyCard;
//! impl CardTransport for AnyCard {
//!     fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, CardError> {
//!         Ok(vec![0x90, 0x00])
//!     }
//! }
//! let profile = Profile::iso7816();
//! let session = CardSession::open(AnyCard, profile.clone()).unwrap();
//! let pin = Pin::new("123456", &profile.pin).unwrap();
//! session.set_pin(&pin); // error: no method `set_pin` on CardSession<_, Selected>
//! ```

use crate::apdu::{self, Command};
use crate::profile::{PinRules, Profile};
use crate::status::{CardError, check};
use crate::transport::CardTransport;
use std::marker::PhantomData;
use zeroize::Zeroizing;

/// The application is selected; admin operations are not possible yet.
#[derive(Debug)]
pub struct Selected;

/// EXTERNAL AUTHENTICATE succeeded: the PIN may be set.
#[derive(Debug)]
pub struct AdminAuthenticated;

/// A PIN that follows a profile's rules, kept in zeroized memory.
#[derive(Clone)]
pub struct Pin(Zeroizing<Vec<u8>>);

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pin({} digits)", self.0.len())
    }
}

impl Pin {
    pub fn new(pin: &str, rules: &PinRules) -> Result<Pin, CardError> {
        let n = pin.chars().count();
        let ok = n >= usize::from(rules.min_length)
            && n <= usize::from(rules.max_length)
            && pin.is_ascii()
            && (!rules.digits_only || pin.bytes().all(|b| b.is_ascii_digit()));
        if ok {
            Ok(Pin(Zeroizing::new(pin.as_bytes().to_vec())))
        } else {
            Err(CardError::InvalidPin)
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// What the card says about its PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinStatus {
    Verified,
    TriesLeft(u8),
    Blocked,
}

/// A card with its application selected, in state `S`.
#[derive(Debug)]
pub struct CardSession<T: CardTransport, S> {
    transport: T,
    profile: Profile,
    _state: PhantomData<S>,
}

fn exchange<T: CardTransport>(
    t: &mut T,
    command: Command,
    apdu: &[u8],
) -> Result<Vec<u8>, CardError> {
    let resp = t.transmit(apdu)?;
    let (data, sw) = apdu::split_response(&resp).ok_or(CardError::MalformedResponse)?;
    check(command, sw)?;
    Ok(data.to_vec())
}

impl<T: CardTransport, S> CardSession<T, S> {
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    fn to<N>(self) -> CardSession<T, N> {
        CardSession {
            transport: self.transport,
            profile: self.profile,
            _state: PhantomData,
        }
    }

    /// Gives the transport back (e.g. to end a PC/SC transaction).
    pub fn into_transport(self) -> T {
        self.transport
    }
}

impl<T: CardTransport> CardSession<T, Selected> {
    /// Selects the profile's application.
    pub fn open(mut transport: T, profile: Profile) -> Result<Self, CardError> {
        exchange(&mut transport, Command::Select, &apdu::select(&profile))?;
        Ok(CardSession {
            transport,
            profile,
            _state: PhantomData,
        })
    }

    /// The card serial (from the CPLC data), upper-case hex.
    pub fn serial(&mut self) -> Result<String, CardError> {
        let data = exchange(&mut self.transport, Command::GetCplc, &apdu::get_cplc())?;
        apdu::serial_from_cplc(&data)
            .map(hex::encode_upper)
            .ok_or(CardError::MalformedResponse)
    }

    pub fn pin_status(&mut self) -> Result<PinStatus, CardError> {
        match exchange(
            &mut self.transport,
            Command::PinStatus,
            &apdu::pin_status(&self.profile),
        ) {
            Ok(_) => Ok(PinStatus::Verified),
            Err(CardError::WrongPin { tries_left }) => Ok(PinStatus::TriesLeft(tries_left)),
            Err(CardError::PinBlocked) => Ok(PinStatus::Blocked),
            Err(e) => Err(e),
        }
    }

    /// A fresh challenge of the profile's length.
    pub fn challenge(&mut self) -> Result<Vec<u8>, CardError> {
        let c = exchange(
            &mut self.transport,
            Command::GetChallenge,
            &apdu::get_challenge(&self.profile),
        )?;
        if c.len() == usize::from(self.profile.challenge_len) {
            Ok(c)
        } else {
            Err(CardError::MalformedResponse)
        }
    }

    /// Presents the cryptogram for the last challenge. On refusal the session comes back with the
    /// error, still only `Selected`.
    #[allow(clippy::result_large_err)]
    pub fn authenticate(
        mut self,
        cryptogram: &[u8],
    ) -> Result<CardSession<T, AdminAuthenticated>, (Self, CardError)> {
        let apdu = apdu::external_authenticate(&self.profile, cryptogram);
        match exchange(&mut self.transport, Command::ExternalAuthenticate, &apdu) {
            Ok(_) => Ok(self.to()),
            Err(e) => Err((self, e)),
        }
    }

    pub fn verify_pin(&mut self, pin: &Pin) -> Result<(), CardError> {
        let block = apdu::pin_block(&self.profile.pin, &pin.0);
        exchange(
            &mut self.transport,
            Command::Verify,
            &apdu::verify(&self.profile, &block),
        )
        .map(|_| ())
    }

    /// Changes a PIN the user still knows.
    pub fn change_pin(&mut self, old: &Pin, new: &Pin) -> Result<(), CardError> {
        let (o, n) = (
            apdu::pin_block(&self.profile.pin, &old.0),
            apdu::pin_block(&self.profile.pin, &new.0),
        );
        exchange(
            &mut self.transport,
            Command::ChangeReferenceData,
            &apdu::change_reference_data(&self.profile, &o, &n),
        )
        .map(|_| ())
    }
}

impl<T: CardTransport> CardSession<T, AdminAuthenticated> {
    /// Sets a new PIN and resets its retry counter. The admin authentication is used up.
    pub fn set_pin(mut self, new: &Pin) -> Result<CardSession<T, Selected>, CardError> {
        let block = apdu::pin_block(&self.profile.pin, &new.0);
        exchange(
            &mut self.transport,
            Command::ResetRetryCounter,
            &apdu::reset_retry_counter(&self.profile, &block),
        )?;
        Ok(self.to())
    }
}

/// What an unblock attempt read from the card before asking for a cryptogram.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnblockStart {
    pub serial: String,
    pub challenge: Vec<u8>,
}

/// The whole unblock sequence on one open transport: select, serial, challenge, then the
/// cryptogram from `cryptogram_for` (the server), authenticate, set the PIN. Returns the serial.
/// Run it inside one exclusive card transaction so nothing else interleaves.
pub fn unblock<T: CardTransport>(
    transport: T,
    profile: Profile,
    new_pin: &Pin,
    cryptogram_for: impl FnOnce(&UnblockStart) -> Result<Vec<u8>, CardError>,
) -> Result<String, CardError> {
    let mut s = CardSession::open(transport, profile)?;
    let serial = s.serial()?;
    let challenge = s.challenge()?;
    let start = UnblockStart {
        serial: serial.clone(),
        challenge,
    };
    let cryptogram = Zeroizing::new(cryptogram_for(&start)?);
    let admin = s.authenticate(&cryptogram).map_err(|(_, e)| e)?;
    admin.set_pin(new_pin)?;
    Ok(serial)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Counting;
    use crate::virtual_card::{VirtualCard, VirtualCardConfig};
    use ea_core::cryptogram::{CardAlgorithm, compute};

    fn demo() -> (VirtualCard, Profile, Vec<u8>) {
        let cfg = VirtualCardConfig::demo();
        let key = cfg.admin_key.clone();
        (VirtualCard::new(cfg), Profile::iso7816(), key)
    }

    #[test]
    fn unblock_sequence_sets_the_pin_and_resets_the_counter() {
        let (mut card, profile, key) = demo();
        let pin = Pin::new("246810", &profile.pin).expect("pin");
        let mut counted = Counting {
            inner: &mut card,
            count: 0,
        };
        let serial = unblock(&mut counted, profile.clone(), &pin, |start| {
            compute(CardAlgorithm::Aes128, &key, &start.challenge)
                .map(|c| c.to_vec())
                .map_err(|e| CardError::Transport(e.to_string()))
        })
        .expect("unblocked");
        assert_eq!(serial, "EA5EC0DE00000001");
        assert_eq!(
            counted.count, 5,
            "select, CPLC, challenge, authenticate, reset retry counter"
        );
        let mut s = CardSession::open(&mut card, profile.clone()).expect("open");
        assert_eq!(s.pin_status(), Ok(PinStatus::TriesLeft(3)));
        s.verify_pin(&pin).expect("new PIN works");
        assert_eq!(s.pin_status(), Ok(PinStatus::Verified));
    }

    #[test]
    fn a_wrong_cryptogram_leaves_the_pin_unchanged() {
        let (mut card, profile, _) = demo();
        let pin = Pin::new("246810", &profile.pin).expect("pin");
        let r = unblock(&mut card, profile.clone(), &pin, |_| Ok(vec![0u8; 16]));
        assert_eq!(r, Err(CardError::AuthFailed { tries_left: 4 }));
        let mut s = CardSession::open(&mut card, profile.clone()).expect("open");
        assert_eq!(
            s.pin_status(),
            Ok(PinStatus::Blocked),
            "still blocked: nothing half-changed"
        );
        assert_eq!(s.verify_pin(&pin), Err(CardError::PinBlocked));
    }

    #[test]
    fn change_pin_with_the_old_one() {
        let mut cfg = VirtualCardConfig::demo();
        cfg.pin = "123456".into();
        cfg.pin_tries_left = 3;
        let mut card = VirtualCard::new(cfg);
        let profile = Profile::iso7816();
        let rules = profile.pin;
        let mut s = CardSession::open(&mut card, profile).expect("open");
        let (old, new, wrong) = (
            Pin::new("123456", &rules).expect("pin"),
            Pin::new("987654", &rules).expect("pin"),
            Pin::new("000000", &rules).expect("pin"),
        );
        assert_eq!(
            s.change_pin(&wrong, &new),
            Err(CardError::WrongPin { tries_left: 2 })
        );
        s.change_pin(&old, &new).expect("changed");
        s.verify_pin(&new).expect("new PIN works");
    }

    #[test]
    fn pin_rules_are_enforced_before_the_card_is_touched() {
        let rules = Profile::iso7816().pin;
        for bad in ["12345", "123456789", "12a456", "１２３４５６"] {
            assert_eq!(
                Pin::new(bad, &rules).err(),
                Some(CardError::InvalidPin),
                "{bad}"
            );
        }
        assert_eq!(
            format!("{:?}", Pin::new("123456", &rules).expect("pin")),
            "Pin(6 digits)"
        );
    }
}

//! A virtual card implementing the `iso7816` profile: serial in CPLC, a PIN with a retry counter
//! that blocks, GET CHALLENGE, EXTERNAL AUTHENTICATE with the admin key, RESET RETRY COUNTER and
//! CHANGE REFERENCE DATA. Used in process by unit tests, and behind pcscd by `ea-virtual-card`.

use crate::apdu;
use crate::profile::Profile;
use crate::status::CardError;
use crate::transport::CardTransport;
use ea_core::cryptogram::{CardAlgorithm, compute};
use ea_core::ct::equal as ct_eq;
use rand::RngCore;
use serde::{Deserialize, Serialize};

/// The card's persistent state (what a real card keeps in EEPROM).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualCardConfig {
    /// 8 bytes, hex: IC fabricator ‖ IC type ‖ IC serial number.
    pub serial: String,
    pub profile: String,
    pub algorithm: CardAlgorithm,
    /// Hex in files; bytes here.
    #[serde(with = "hex_bytes")]
    pub admin_key: Vec<u8>,
    pub pin: String,
    pub pin_tries_left: u8,
    pub pin_max_tries: u8,
    pub admin_tries_left: u8,
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(v: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode_upper(v))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        hex::decode(s).map_err(serde::de::Error::custom)
    }
}

impl VirtualCardConfig {
    /// The demo tenant's card: alice's, AES-128, its PIN blocked.
    pub fn demo() -> VirtualCardConfig {
        VirtualCardConfig {
            serial: "EA5EC0DE00000001".into(),
            profile: "iso7816".into(),
            algorithm: CardAlgorithm::Aes128,
            admin_key: (0x40..0x50).collect(),
            pin: "123456".into(),
            pin_tries_left: 0,
            pin_max_tries: 3,
            admin_tries_left: 5,
        }
    }
}

/// The card, with its volatile state (selection, authentication, last challenge).
#[derive(Debug)]
pub struct VirtualCard {
    pub state: VirtualCardConfig,
    profile: Profile,
    selected: bool,
    pin_verified: bool,
    admin: bool,
    challenge: Option<Vec<u8>>,
}

const OK: u16 = 0x9000;

fn sw(sw: u16) -> Vec<u8> {
    sw.to_be_bytes().to_vec()
}

fn with_sw(mut data: Vec<u8>, status: u16) -> Vec<u8> {
    data.extend_from_slice(&status.to_be_bytes());
    data
}

impl VirtualCard {
    pub fn new(state: VirtualCardConfig) -> VirtualCard {
        let profile = Profile::named(&state.profile).unwrap_or_else(Profile::iso7816);
        VirtualCard {
            state,
            profile,
            selected: false,
            pin_verified: false,
            admin: false,
            challenge: None,
        }
    }

    /// Power off or reset: volatile state is lost.
    pub fn reset(&mut self) {
        self.selected = false;
        self.pin_verified = false;
        self.admin = false;
        self.challenge = None;
    }

    /// The ATR this card answers with.
    pub fn atr() -> Vec<u8> {
        vec![0x3B, 0x80, 0x80, 0x01, 0x01]
    }

    fn pin_block(&self, pin: &[u8]) -> Vec<u8> {
        apdu::pin_block(&self.profile.pin, pin).to_vec()
    }

    fn valid_new_pin(&self, block: &[u8]) -> Option<Vec<u8>> {
        let pin: Vec<u8> = block.iter().copied().take_while(|b| *b != 0xFF).collect();
        let r = self.profile.pin;
        let ok = block.len() == usize::from(r.block_len)
            && pin.len() >= usize::from(r.min_length)
            && pin.len() <= usize::from(r.max_length)
            && (!r.digits_only || pin.iter().all(u8::is_ascii_digit));
        ok.then_some(pin)
    }

    fn wrong_pin(&mut self) -> Vec<u8> {
        self.state.pin_tries_left = self.state.pin_tries_left.saturating_sub(1);
        self.pin_verified = false;
        if self.state.pin_tries_left == 0 {
            sw(0x6983)
        } else {
            sw(0x63C0 | u16::from(self.state.pin_tries_left))
        }
    }

    /// Answers one command APDU.
    pub fn process(&mut self, cmd: &[u8]) -> Vec<u8> {
        if cmd.len() < 4 {
            return sw(0x6700);
        }
        let (cla, ins, p1, p2) = (cmd[0], cmd[1], cmd[2], cmd[3]);
        let (lc_data, le) = match cmd.len() {
            4 => (&[][..], None),
            5 => (&[][..], Some(cmd[4])),
            n => {
                let lc = usize::from(cmd[4]);
                if n < 5 + lc {
                    return sw(0x6700);
                }
                (&cmd[5..5 + lc], cmd.get(5 + lc).copied())
            }
        };
        match (cla, ins) {
            (0x00, 0xA4) if p1 == 0x04 => {
                self.reset();
                if lc_data == self.profile.aid_bytes().as_slice() {
                    self.selected = true;
                    sw(OK)
                } else {
                    sw(0x6A82)
                }
            }
            (0x80, 0xCA) if p1 == 0x9F && p2 == 0x7F => {
                let mut serial = [0u8; 8];
                match hex::decode(&self.state.serial) {
                    Ok(b) if b.len() == 8 => serial.copy_from_slice(&b),
                    _ => return sw(0x6F00),
                }
                let mut data = vec![0x9F, 0x7F, 0x2A];
                data.extend_from_slice(&apdu::cplc_for_serial(&serial));
                with_sw(data, OK)
            }
            _ if !self.selected => sw(0x6985),
            (0x00, 0x20) if p2 == self.profile.pin_ref => {
                if self.state.pin_tries_left == 0 {
                    return sw(0x6983);
                }
                if lc_data.is_empty() {
                    return if self.pin_verified {
                        sw(OK)
                    } else {
                        sw(0x63C0 | u16::from(self.state.pin_tries_left))
                    };
                }
                if ct_eq(lc_data, &self.pin_block(self.state.pin.as_bytes())) {
                    self.state.pin_tries_left = self.state.pin_max_tries;
                    self.pin_verified = true;
                    sw(OK)
                } else {
                    self.wrong_pin()
                }
            }
            (0x00, 0x84) => {
                let want = usize::from(self.profile.challenge_len);
                if le.map(usize::from) != Some(want) {
                    return sw(0x6700);
                }
                let mut c = vec![0u8; want];
                rand::rng().fill_bytes(&mut c);
                self.challenge = Some(c.clone());
                with_sw(c, OK)
            }
            (0x00, 0x82) if p2 == self.profile.admin_key_ref => {
                if self.state.admin_tries_left == 0 {
                    return sw(0x6983);
                }
                let Some(challenge) = self.challenge.take() else {
                    return sw(0x6985);
                };
                let expected = compute(self.state.algorithm, &self.state.admin_key, &challenge);
                if expected.is_ok_and(|e| ct_eq(&e, lc_data)) {
                    self.state.admin_tries_left = 5;
                    self.admin = true;
                    sw(OK)
                } else {
                    self.state.admin_tries_left -= 1;
                    if self.state.admin_tries_left == 0 {
                        sw(0x6983)
                    } else {
                        sw(0x63C0 | u16::from(self.state.admin_tries_left))
                    }
                }
            }
            (0x00, 0x2C) if p1 == 0x02 && p2 == self.profile.pin_ref => {
                if !self.admin {
                    return sw(0x6982);
                }
                let Some(pin) = self.valid_new_pin(lc_data) else {
                    return sw(0x6A80);
                };
                self.state.pin = String::from_utf8_lossy(&pin).into_owned();
                self.state.pin_tries_left = self.state.pin_max_tries;
                self.admin = false;
                sw(OK)
            }
            (0x00, 0x24) if p1 == 0x00 && p2 == self.profile.pin_ref => {
                if self.state.pin_tries_left == 0 {
                    return sw(0x6983);
                }
                let half = usize::from(self.profile.pin.block_len);
                if lc_data.len() != 2 * half {
                    return sw(0x6700);
                }
                let (old, new) = lc_data.split_at(half);
                if !ct_eq(old, &self.pin_block(self.state.pin.as_bytes())) {
                    return self.wrong_pin();
                }
                let Some(pin) = self.valid_new_pin(new) else {
                    return sw(0x6A80);
                };
                self.state.pin = String::from_utf8_lossy(&pin).into_owned();
                self.state.pin_tries_left = self.state.pin_max_tries;
                sw(OK)
            }
            (0x00 | 0x80, _) => sw(0x6D00),
            _ => sw(0x6E00),
        }
    }
}

impl CardTransport for VirtualCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        Ok(self.process(apdu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(card: &mut VirtualCard, hex_apdu: &str) -> String {
        hex::encode_upper(card.process(&hex::decode(hex_apdu.replace(' ', "")).expect("hex")))
    }

    #[test]
    fn command_table() {
        let mut c = VirtualCard::new(VirtualCardConfig {
            pin_tries_left: 3,
            ..VirtualCardConfig::demo()
        });
        assert_eq!(run(&mut c, "00200080"), "6985", "nothing before SELECT");
        assert_eq!(run(&mut c, "00A4040006F04541000002"), "6A82");
        assert_eq!(run(&mut c, "00A4040006F04541000001"), "9000");
        assert!(run(&mut c, "80CA9F7F00").starts_with("9F7F2AEA5EC0DE"));
        assert_eq!(run(&mut c, "00200080"), "63C3");
        assert_eq!(run(&mut c, "0020008008 303030303030FFFF"), "63C2");
        assert_eq!(run(&mut c, "0020008008 313233343536FFFF"), "9000");
        assert_eq!(run(&mut c, "00200080"), "9000");
        assert_eq!(run(&mut c, "0084000008"), "6700", "wrong challenge length");
        assert_eq!(
            run(&mut c, "0082000110 00000000000000000000000000000000"),
            "6985",
            "no challenge yet"
        );
        assert_eq!(
            run(&mut c, "002C028008 363534333231FFFF"),
            "6982",
            "no admin authentication"
        );
        assert_eq!(run(&mut c, "00FF0000"), "6D00");
        assert_eq!(run(&mut c, "A0A4000000"), "6E00");
        for left in [2, 1] {
            run(&mut c, "0020008008 303030303030FFFF");
            assert_eq!(c.state.pin_tries_left, left);
        }
        assert_eq!(
            run(&mut c, "0020008008 303030303030FFFF"),
            "6983",
            "blocked"
        );
        assert_eq!(
            run(&mut c, "0020008008 313233343536FFFF"),
            "6983",
            "even the right PIN"
        );
    }

    #[test]
    fn admin_tries_are_counted() {
        let mut c = VirtualCard::new(VirtualCardConfig::demo());
        run(&mut c, "00A4040006F04541000001");
        for left in [4u16, 3, 2, 1] {
            assert!(run(&mut c, "0084000010").ends_with("9000"));
            assert_eq!(
                run(&mut c, "0082000110 00000000000000000000000000000000"),
                format!("63C{left}")
            );
        }
        run(&mut c, "0084000010");
        assert_eq!(
            run(&mut c, "0082000110 00000000000000000000000000000000"),
            "6983"
        );
    }

    #[test]
    fn state_round_trips_as_json() {
        let s = VirtualCardConfig::demo();
        let json = serde_json::to_string(&s).expect("json");
        assert!(json.contains("\"admin_key\":\"404142434445464748494A4B4C4D4E4F\""));
        assert_eq!(
            serde_json::from_str::<VirtualCardConfig>(&json).expect("back"),
            s
        );
    }
}

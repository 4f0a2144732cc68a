//! Command APDUs of the card profile (ISO/IEC 7816-4, GlobalPlatform CPLC), built from a
//! [`Profile`]. Pure functions; the table test below is the profile's reference.

use crate::profile::{PinRules, Profile};
use zeroize::Zeroizing;

/// The kind of a command, which decides how its status word is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Select,
    GetCplc,
    PinStatus,
    Verify,
    GetChallenge,
    ExternalAuthenticate,
    ResetRetryCounter,
    ChangeReferenceData,
}

impl Command {
    pub fn name(self) -> &'static str {
        match self {
            Command::Select => "SELECT",
            Command::GetCplc => "GET DATA (CPLC)",
            Command::PinStatus => "VERIFY (status)",
            Command::Verify => "VERIFY",
            Command::GetChallenge => "GET CHALLENGE",
            Command::ExternalAuthenticate => "EXTERNAL AUTHENTICATE",
            Command::ResetRetryCounter => "RESET RETRY COUNTER",
            Command::ChangeReferenceData => "CHANGE REFERENCE DATA",
        }
    }
}

fn with_data(header: [u8; 4], data: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut v = Zeroizing::new(Vec::with_capacity(5 + data.len()));
    v.extend_from_slice(&header);
    v.push(data.len() as u8);
    v.extend_from_slice(data);
    v
}

/// `00 A4 04 00 Lc <AID>`
pub fn select(p: &Profile) -> Zeroizing<Vec<u8>> {
    with_data([0x00, 0xA4, 0x04, 0x00], &p.aid_bytes())
}

/// `80 CA 9F 7F 00`: GlobalPlatform card production life cycle data.
pub fn get_cplc() -> Zeroizing<Vec<u8>> {
    Zeroizing::new(vec![0x80, 0xCA, 0x9F, 0x7F, 0x00])
}

/// `00 20 00 <pin-ref>` without data: asks for the PIN's state.
pub fn pin_status(p: &Profile) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(vec![0x00, 0x20, 0x00, p.pin_ref])
}

/// `00 20 00 <pin-ref> Lc <PIN block>`
pub fn verify(p: &Profile, pin_block: &[u8]) -> Zeroizing<Vec<u8>> {
    with_data([0x00, 0x20, 0x00, p.pin_ref], pin_block)
}

/// `00 84 00 00 Le`
pub fn get_challenge(p: &Profile) -> Zeroizing<Vec<u8>> {
    Zeroizing::new(vec![0x00, 0x84, 0x00, 0x00, p.challenge_len])
}

/// `00 82 00 <key-ref> Lc <cryptogram>`
pub fn external_authenticate(p: &Profile, cryptogram: &[u8]) -> Zeroizing<Vec<u8>> {
    with_data([0x00, 0x82, 0x00, p.admin_key_ref], cryptogram)
}

/// `00 2C 02 <pin-ref> Lc <new PIN block>`: new PIN, retry counter reset.
pub fn reset_retry_counter(p: &Profile, new_block: &[u8]) -> Zeroizing<Vec<u8>> {
    with_data([0x00, 0x2C, 0x02, p.pin_ref], new_block)
}

/// `00 24 00 <pin-ref> Lc <old PIN block ‖ new PIN block>`
pub fn change_reference_data(
    p: &Profile,
    old_block: &[u8],
    new_block: &[u8],
) -> Zeroizing<Vec<u8>> {
    let mut data = Zeroizing::new(old_block.to_vec());
    data.extend_from_slice(new_block);
    with_data([0x00, 0x24, 0x00, p.pin_ref], &data)
}

/// A PIN padded with 0xFF to the profile's block length.
pub fn pin_block(rules: &PinRules, pin: &[u8]) -> Zeroizing<Vec<u8>> {
    let mut b = Zeroizing::new(pin.to_vec());
    b.resize(usize::from(rules.block_len).max(pin.len()), 0xFF);
    b
}

/// Splits a response APDU into data and status word.
pub fn split_response(resp: &[u8]) -> Option<(&[u8], u16)> {
    if resp.len() < 2 {
        return None;
    }
    let (data, sw) = resp.split_at(resp.len() - 2);
    Some((data, u16::from_be_bytes([sw[0], sw[1]])))
}

/// The card serial from a CPLC response (`9F 7F 2A <42 bytes>`, or the 42 bytes alone):
/// IC fabricator ‖ IC type ‖ IC serial number, 8 bytes.
pub fn serial_from_cplc(data: &[u8]) -> Option<[u8; 8]> {
    let cplc = match data {
        [0x9F, 0x7F, len, rest @ ..] if usize::from(*len) == rest.len() => rest,
        _ => data,
    };
    if cplc.len() < 16 {
        return None;
    }
    let mut s = [0u8; 8];
    s[..4].copy_from_slice(&cplc[0..4]);
    s[4..].copy_from_slice(&cplc[12..16]);
    Some(s)
}

/// A CPLC block (42 bytes) carrying `serial` (as [`serial_from_cplc`] reads it).
pub fn cplc_for_serial(serial: &[u8; 8]) -> [u8; 42] {
    let mut c = [0u8; 42];
    c[0..4].copy_from_slice(&serial[..4]);
    c[12..16].copy_from_slice(&serial[4..]);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(b: &[u8]) -> String {
        hex::encode_upper(b)
    }

    #[test]
    fn apdu_table() {
        let p = Profile::iso7816();
        let legacy = Profile::named("iso7816-legacy").expect("shipped");
        let block = pin_block(&p.pin, b"123456");
        let cases: Vec<(Zeroizing<Vec<u8>>, &str)> = vec![
            (select(&p), "00A4040006F04541000001"),
            (get_cplc(), "80CA9F7F00"),
            (pin_status(&p), "00200080"),
            (verify(&p, &block), "0020008008313233343536FFFF"),
            (get_challenge(&p), "0084000010"),
            (get_challenge(&legacy), "0084000008"),
            (
                external_authenticate(&p, &[0xAA; 16]),
                "0082000110AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            ),
            (
                reset_retry_counter(&p, &pin_block(&p.pin, b"654321")),
                "002C028008363534333231FFFF",
            ),
            (
                change_reference_data(&p, &block, &pin_block(&p.pin, b"111111")),
                "002400801031323334353 6FFFF313131313131FFFF",
            ),
        ];
        for (apdu, want) in cases {
            assert_eq!(h(&apdu), want.replace(' ', ""));
        }
    }

    #[test]
    fn responses_and_cplc() {
        assert_eq!(
            split_response(&[0x01, 0x02, 0x90, 0x00]),
            Some((&[0x01, 0x02][..], 0x9000))
        );
        assert_eq!(split_response(&[0x90]), None);
        let serial = [0xEA, 0x5E, 0xC0, 0xDE, 0, 0, 0, 1];
        let cplc = cplc_for_serial(&serial);
        assert_eq!(serial_from_cplc(&cplc), Some(serial));
        let mut tagged = vec![0x9F, 0x7F, 0x2A];
        tagged.extend_from_slice(&cplc);
        assert_eq!(serial_from_cplc(&tagged), Some(serial));
        assert_eq!(serial_from_cplc(&[1, 2, 3]), None);
    }
}

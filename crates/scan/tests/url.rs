//! The card-unblock link parser: a table of accepted and refused links, and properties over
//! arbitrary input (never a panic, only the documented format accepted, round trip).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::url::{ChallengeAlgorithm, MAX_URL_BYTES, UrlError, parse_card_url};
use proptest::prelude::*;

const S: &str = "EA5EC0DE00000001";
const C16: &str = "00112233445566778899AABBCCDDEEFF";
const C8: &str = "0011223344556677";

/// Link, then the serial, challenge, algorithm, tenant and host it must give.
type Accepted<'a> = (
    &'a str,
    &'a str,
    &'a str,
    ChallengeAlgorithm,
    Option<&'a str>,
    Option<&'a str>,
);

#[test]
fn accepted_links() {
    let cases: &[Accepted] = &[
        (
            "vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF",
            S,
            C16,
            ChallengeAlgorithm::Aes,
            None,
            None,
        ),
        (
            "vsec-ea://card-unblock/?serial=ea5ec0de00000001&challenge=0011223344556677&alg=3des",
            S,
            C8,
            ChallengeAlgorithm::TripleDes,
            None,
            None,
        ),
        (
            "https://cms.example.org/card-unblock?challenge=00112233445566778899aabbccddeeff&serial=EA5EC0DE00000001&alg=AES&tenant=acme",
            S,
            C16,
            ChallengeAlgorithm::Aes,
            Some("acme"),
            Some("cms.example.org"),
        ),
        (
            "  https://cms.example.org:8443/card-unblock?serial=EA5EC0DE00000001&challenge=0011223344556677\n",
            S,
            C8,
            ChallengeAlgorithm::TripleDes,
            None,
            Some("cms.example.org"),
        ),
        (
            "VSEC-EA://card-unblock?serial=01&challenge=0011223344556677",
            "01",
            C8,
            ChallengeAlgorithm::TripleDes,
            None,
            None,
        ),
        (
            "vsec-ea://CARD-UNBLOCK?serial=01&challenge=0011223344556677",
            "01",
            C8,
            ChallengeAlgorithm::TripleDes,
            None,
            None,
        ),
    ];
    for (link, serial, challenge, alg, tenant, host) in cases {
        let r = parse_card_url(link).unwrap_or_else(|e| panic!("{link}: {e}"));
        assert_eq!(r.serial, *serial, "{link}");
        assert_eq!(r.challenge, *challenge, "{link}");
        assert_eq!(r.algorithm, *alg, "{link}");
        assert_eq!(r.tenant.as_deref(), *tenant, "{link}");
        assert_eq!(r.host.as_deref(), *host, "{link}");
    }
}

#[test]
fn refused_links_each_with_their_own_code() {
    let long = format!(
        "vsec-ea://card-unblock?serial={S}&challenge={C16}&tenant={}",
        "a".repeat(MAX_URL_BYTES)
    );
    let q = |rest: &str| format!("vsec-ea://card-unblock?{rest}");
    let cases: Vec<(String, &str)> = vec![
        (String::new(), "qr_empty"),
        ("   \n".into(), "qr_empty"),
        (long, "qr_too_long"),
        (
            q(&format!("serial={S}\0&challenge={C16}")),
            "qr_control_character",
        ),
        (
            q(&format!("serial={S}\t&challenge={C16}")),
            "qr_control_character",
        ),
        (
            q(&format!("serial={S}&chal\nlenge={C16}")),
            "qr_control_character",
        ),
        (
            q(&format!("serial={S} &challenge={C16}")),
            "qr_control_character",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&tenant=zürich")),
            "qr_not_ascii",
        ),
        ("just some text".into(), "qr_not_a_link"),
        (
            "card-unblock?serial=01&challenge=0011223344556677".into(),
            "qr_not_a_link",
        ),
        (
            format!("https:\\\\cms.example.org\\card-unblock?serial={S}&challenge={C16}"),
            "qr_not_a_link",
        ),
        (
            format!("http://cms.example.org/card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_scheme",
        ),
        (
            format!("javascript://card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_scheme",
        ),
        (
            format!("file:///card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_scheme",
        ),
        (
            format!("https://cms.example.org/pin-reset?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("https://cms.example.org/card-unblock/x?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("https://cms.example.org/a/card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("vsec-ea://card-reset?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("vsec-ea://card-unblock/more?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("vsec-ea://card-unblock:99?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("https://user:pw@cms.example.org/card-unblock?serial={S}&challenge={C16}"),
            "qr_credentials",
        ),
        (
            format!("https://user@cms.example.org/card-unblock?serial={S}&challenge={C16}"),
            "qr_credentials",
        ),
        (q(&format!("serial={S}&challenge={C16}#x")), "qr_fragment"),
        (
            format!("vsec-ea://@card-unblock?serial={S}&challenge={C16}"),
            "qr_credentials",
        ),
        (
            format!("vsec-ea://:@card-unblock?serial={S}&challenge={C16}"),
            "qr_credentials",
        ),
        (
            format!("vsec-ea://card-unblock:?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("vsec-ea://card-unblock/.?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("vsec-ea://card-unblock/..?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("vsec-ea:card-unblock?serial={S}&challenge={C16}"),
            "qr_not_a_link",
        ),
        (
            format!("vsec-ea:///card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("https://cms.example.org/x/../card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("https://cms.example.org/./card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("https:////cms.example.org/card-unblock?serial={S}&challenge={C16}"),
            "qr_wrong_path",
        ),
        (
            format!("https://cms.example.org:/card-unblock?serial={S}&challenge={C16}"),
            "qr_not_a_link",
        ),
        (
            format!("https://cms.example.org:99999x/card-unblock?serial={S}&challenge={C16}"),
            "qr_not_a_link",
        ),
        (
            format!("https://[::1]/card-unblock?serial={S}&challenge={C16}"),
            "qr_host_invalid",
        ),
        (
            format!("https://127.0.0.1/card-unblock?serial={S}&challenge={C16}"),
            "qr_host_invalid",
        ),
        (
            format!("https://0x7f.1/card-unblock?serial={S}&challenge={C16}"),
            "qr_host_invalid",
        ),
        (
            format!("https://2130706433/card-unblock?serial={S}&challenge={C16}"),
            "qr_host_invalid",
        ),
        (
            format!("https://cms.example.org./card-unblock?serial={S}&challenge={C16}"),
            "qr_host_invalid",
        ),
        (
            format!("https://-cms.example.org/card-unblock?serial={S}&challenge={C16}"),
            "qr_host_invalid",
        ),
        (
            format!("https://cms_example.org/card-unblock?serial={S}&challenge={C16}"),
            "qr_host_invalid",
        ),
        (
            q(&format!("serial=%45A5EC0DE00000001&challenge={C16}")),
            "qr_percent_encoding",
        ),
        (
            q(&format!("s%65rial={S}&challenge={C16}")),
            "qr_percent_encoding",
        ),
        (
            q(&format!("serial={S}%26serial=01&challenge={C16}")),
            "qr_percent_encoding",
        ),
        (
            q(&format!("serial={S}&challenge={C16}%00")),
            "qr_percent_encoding",
        ),
        (
            format!("https://cms.ex%61mple.org/card-unblock?serial={S}&challenge={C16}"),
            "qr_percent_encoding",
        ),
        (
            q(&format!("serial={S}&&challenge={C16}")),
            "qr_malformed_query",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&")),
            "qr_malformed_query",
        ),
        (q(&format!("serial={S}&challenge")), "qr_malformed_query"),
        (
            q(&format!("serial={S}=1&challenge={C16}")),
            "qr_malformed_query",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&tenant=a+b")),
            "qr_malformed_query",
        ),
        (
            q(&format!("=x&serial={S}&challenge={C16}")),
            "qr_malformed_query",
        ),
        ("vsec-ea://card-unblock".into(), "qr_missing_parameter"),
        (q(&format!("challenge={C16}")), "qr_missing_parameter"),
        (q(&format!("serial={S}")), "qr_missing_parameter"),
        (
            q(&format!("serial={S}&serial={S}&challenge={C16}")),
            "qr_duplicate_parameter",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&challenge={C16}")),
            "qr_duplicate_parameter",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&alg=aes&alg=3des")),
            "qr_duplicate_parameter",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&pin=1234")),
            "qr_unknown_parameter",
        ),
        (
            q(&format!("Serial={S}&challenge={C16}")),
            "qr_unknown_parameter",
        ),
        (q(&format!("serial=&challenge={C16}")), "qr_empty_value"),
        (
            q(&format!("serial={S}&challenge={C16}&alg=")),
            "qr_empty_value",
        ),
        (
            q(&format!("serial=EA5EC0DE0000000G&challenge={C16}")),
            "qr_not_hex",
        ),
        (
            q(&format!(
                "serial={S}&challenge=0x112233445566778899AABBCCDDEEFF"
            )),
            "qr_not_hex",
        ),
        (
            q(&format!("serial={S}&challenge=00-11-22-33-44-55-66-77")),
            "qr_not_hex",
        ),
        (q(&format!("serial=EA5&challenge={C16}")), "qr_odd_length"),
        (
            q(&format!("serial={S}&challenge=00112233445566778")),
            "qr_odd_length",
        ),
        (
            q(&format!("serial={}&challenge={C16}", "AB".repeat(33))),
            "qr_serial_too_long",
        ),
        (
            q(&format!("serial={S}&challenge=001122334455")),
            "qr_challenge_length",
        ),
        (
            q(&format!("serial={S}&challenge={}", "00".repeat(24))),
            "qr_challenge_length",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&alg=des")),
            "qr_unknown_algorithm",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&alg=3des")),
            "qr_challenge_algorithm_mismatch",
        ),
        (
            q(&format!("serial={S}&challenge={C8}&alg=aes")),
            "qr_challenge_algorithm_mismatch",
        ),
        (
            q(&format!("serial={S}&challenge={C16}&tenant=a/b")),
            "qr_tenant_invalid",
        ),
        (
            q(&format!(
                "serial={S}&challenge={C16}&tenant={}",
                "t".repeat(65)
            )),
            "qr_tenant_invalid",
        ),
    ];
    for (link, code) in &cases {
        match parse_card_url(link) {
            Ok(r) => panic!("{link:?} was accepted as {r:?}, expected {code}"),
            Err(e) => assert_eq!(e.code().as_str(), *code, "{link:?}: {e}"),
        }
    }
}

/// The parameters of a refusal as the app receives them.
fn params(e: &UrlError) -> serde_json::Value {
    serde_json::to_value(e.code()).unwrap()["params"].take()
}

#[test]
fn refusals_name_what_was_wrong_without_echoing_much() {
    let e = parse_card_url(&format!(
        "vsec-ea://card-unblock?serial={S}&challenge={C16}&{}=1",
        "x".repeat(200)
    ))
    .unwrap_err();
    let name = params(&e)["name"].as_str().unwrap().to_owned();
    assert!(name.chars().count() <= 25, "{name}");
    let e = parse_card_url(&format!(
        "vsec-ea://card-unblock?serial={S}&challenge={C8}&alg=aes"
    ))
    .unwrap_err();
    assert_eq!(
        e,
        UrlError::ChallengeDoesNotFitAlgorithm {
            alg: "aes",
            expected: 16,
            actual: 8
        }
    );
    assert_eq!(params(&e)["expected"], 16);
}

fn hex_bytes(n: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = String> {
    prop::collection::vec(any::<u8>(), n).prop_map(hex::encode)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in ".{0,400}") {
        let _ = parse_card_url(&s);
    }

    #[test]
    fn arbitrary_bytes_after_the_prefix_never_panic(tail in prop::collection::vec(any::<u8>(), 0..300)) {
        let s = format!("vsec-ea://card-unblock?{}", String::from_utf8_lossy(&tail));
        let _ = parse_card_url(&s);
    }

    #[test]
    fn whatever_is_accepted_is_well_formed(s in "(vsec-ea://card-unblock\\?|https://h/card-unblock\\?)((serial|challenge|alg|tenant|x)=[0-9A-Fa-fsz%&=]{0,40}&?){0,5}") {
        if let Ok(r) = parse_card_url(&s) {
            prop_assert!(r.serial.len() % 2 == 0 && !r.serial.is_empty());
            prop_assert!(r.serial.bytes().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b)));
            prop_assert_eq!(r.challenge.len(), r.algorithm.challenge_len() * 2);
            prop_assert!(!s.contains('%'));
        }
    }

    #[test]
    fn valid_links_round_trip(serial in hex_bytes(1..=32), aes in any::<bool>(), upper in any::<bool>(), tenant in proptest::option::of("[a-z0-9-]{1,20}")) {
        let challenge = if aes { "ab".repeat(16) } else { "cd".repeat(8) };
        let serial = if upper { serial.to_uppercase() } else { serial };
        let mut link = format!("vsec-ea://card-unblock?serial={serial}&challenge={challenge}");
        if let Some(t) = &tenant { link.push_str(&format!("&tenant={t}")); }
        let r = parse_card_url(&link).unwrap();
        prop_assert_eq!(&r.serial, &serial.to_uppercase());
        prop_assert_eq!(r.tenant.as_deref(), tenant.as_deref());
        let again = parse_card_url(&r.to_deep_link()).unwrap();
        prop_assert_eq!(again, r);
    }

    #[test]
    fn any_unknown_parameter_is_refused(name in "[a-z]{1,12}") {
        prop_assume!(!["serial", "challenge", "alg", "tenant"].contains(&name.as_str()));
        let link = format!("vsec-ea://card-unblock?serial={S}&challenge={C16}&{name}=1");
        prop_assert_eq!(parse_card_url(&link).unwrap_err().code().as_str(), "qr_unknown_parameter");
    }
}

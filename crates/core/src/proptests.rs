//! Property tests for every parser of outside input: flow files, phone numbers, email addresses,
//! answers. None may panic, and each normal form is stable.

use crate::answers;
use crate::contact::{mask_phone, normalize_email, normalize_phone};
use crate::flow::FlowDefinition;
use proptest::prelude::*;

proptest! {
    #[test]
    fn flow_parser_never_panics(text in "\\PC{0,400}") {
        let _ = FlowDefinition::from_toml("fuzz.toml", &text);
    }

    #[test]
    fn flow_parser_survives_mutated_valid_files(cut in 0usize..600, insert in "[\\[\\]=\"a-z0-9_ \\n]{0,12}") {
        let good = include_str!("../../../flows/sms-totp.toml");
        let mut at = cut.min(good.len());
        while !good.is_char_boundary(at) { at -= 1; }
        let text = format!("{}{}{}", &good[..at], insert, &good[at..]);
        if let Err(e) = FlowDefinition::from_toml("m.toml", &text) {
            prop_assert!(!e.field.is_empty() && !e.reason.is_empty());
        }
    }

    #[test]
    fn phone_normal_form_is_e164_and_stable(input in "[+0-9 ()./-]{0,24}", cc in proptest::option::of("[1-9][0-9]{0,2}")) {
        if let Ok(n) = normalize_phone(&input, cc.as_deref()) {
            prop_assert!(n.starts_with('+'));
            let digits = &n[1..];
            prop_assert!((8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()));
            prop_assert!(!digits.starts_with('0'));
            prop_assert_eq!(normalize_phone(&n, None), Ok(n.clone()));
            let masked = mask_phone(&n);
            prop_assert!(!masked.contains(&digits[2..digits.len() - 2]) || digits.len() - 4 < 3);
        }
    }

    #[test]
    fn phone_parser_never_panics(input in "\\PC{0,40}") {
        let _ = normalize_phone(&input, Some("41"));
    }

    #[test]
    fn email_normal_form_is_stable(input in "\\PC{0,60}") {
        if let Ok(n) = normalize_email(&input) {
            prop_assert_eq!(normalize_email(&n), Ok(n.clone()));
            prop_assert_eq!(n.to_lowercase(), n);
        }
    }

    #[test]
    fn answer_normal_form_is_stable(input in "\\PC{0,60}") {
        let once = answers::normalize(&input);
        let twice = answers::normalize(&once);
        prop_assert_eq!(once.as_str(), twice.as_str());
    }
}

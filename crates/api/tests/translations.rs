//! Every error code the product can give has a message in each of the app's four languages, and
//! its wire name is the one serde uses. The list comes from the enum itself (strum), so a new
//! variant is checked the moment it exists.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_api::{ErrorCode, ErrorKind};

fn catalog(lang: &str) -> String {
    let path = format!("{}/../../ui/src/i18n/{lang}.ts", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).expect(&path)
}

#[test]
fn every_code_is_translated_in_every_language() {
    let kinds: Vec<ErrorKind> = ErrorKind::all().collect();
    assert!(kinds.len() >= 90, "{} codes", kinds.len());
    for lang in ["en", "de", "fr", "it"] {
        let text = catalog(lang);
        let missing: Vec<&str> = kinds
            .iter()
            .map(|k| k.as_str())
            .filter(|code| !text.contains(&format!("'errors.{code}':")))
            .collect();
        assert!(missing.is_empty(), "{lang}: no message for {missing:?}");
    }
}

#[test]
fn every_code_is_its_wire_name() {
    for kind in ErrorKind::all() {
        let code = kind.as_str();
        // With empty params a variant either parses or complains about its params; an unknown
        // variant means strum and serde spell the code differently.
        let body = serde_json::json!({ "code": code, "params": {} });
        if let Err(e) = serde_json::from_value::<ErrorCode>(body) {
            assert!(!e.to_string().contains("unknown variant"), "{code}: {e}");
        }
    }
    let e = ErrorCode::QrNotALink {};
    assert_eq!(e.as_str(), "qr_not_a_link");
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"code": "qr_not_a_link", "params": {}})
    );
}

#[test]
fn params_travel_as_an_object_beside_the_code() {
    let e = ErrorCode::CodeInvalid { attempts_left: 2 };
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"code": "code_invalid", "params": {"attempts_left": 2}})
    );
    assert_eq!(serde_json::from_value::<ErrorCode>(v).unwrap(), e);
    let f = ErrorCode::invalid_field("tenant", ea_api::FieldProblem::TooLong, Some(64));
    assert_eq!(
        serde_json::to_value(&f).unwrap(),
        serde_json::json!({"code": "invalid_field", "params": {"field": "tenant", "reason": "too_long", "max": 64}})
    );
    let unknown = serde_json::json!({"code": "no_such_code", "params": {}});
    assert!(serde_json::from_value::<ErrorCode>(unknown).is_err());
}

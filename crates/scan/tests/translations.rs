//! Every refusal this crate can give has a message in each of the app's four languages: the
//! codes are listed from the error types themselves (a new variant breaks the match below until
//! it is added here, and then this test until it is translated).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::{SourceError, UrlError};

fn url_errors() -> Vec<UrlError> {
    let all = vec![
        UrlError::Empty,
        UrlError::TooLong { max: 1 },
        UrlError::ControlCharacter,
        UrlError::NotAscii,
        UrlError::NotAUrl,
        UrlError::WrongScheme,
        UrlError::WrongPath,
        UrlError::Credentials,
        UrlError::Fragment,
        UrlError::HostInvalid,
        UrlError::PercentEncoding,
        UrlError::MalformedQuery,
        UrlError::MissingParameter { name: "serial" },
        UrlError::DuplicateParameter { name: "x".into() },
        UrlError::UnknownParameter { name: "x".into() },
        UrlError::EmptyValue { name: "serial" },
        UrlError::NotHex { name: "serial" },
        UrlError::OddLength { name: "serial" },
        UrlError::SerialTooLong { max: 1 },
        UrlError::ChallengeLength,
        UrlError::UnknownAlgorithm { value: "x".into() },
        UrlError::ChallengeDoesNotFitAlgorithm {
            alg: "aes",
            expected: 16,
            actual: 8,
        },
        UrlError::TenantInvalid,
    ];
    for e in &all {
        // Exhaustive on purpose: a new variant must be listed above.
        match e {
            UrlError::Empty
            | UrlError::TooLong { .. }
            | UrlError::ControlCharacter
            | UrlError::NotAscii
            | UrlError::NotAUrl
            | UrlError::WrongScheme
            | UrlError::WrongPath
            | UrlError::Credentials
            | UrlError::Fragment
            | UrlError::HostInvalid
            | UrlError::PercentEncoding
            | UrlError::MalformedQuery
            | UrlError::MissingParameter { .. }
            | UrlError::DuplicateParameter { .. }
            | UrlError::UnknownParameter { .. }
            | UrlError::EmptyValue { .. }
            | UrlError::NotHex { .. }
            | UrlError::OddLength { .. }
            | UrlError::SerialTooLong { .. }
            | UrlError::ChallengeLength
            | UrlError::UnknownAlgorithm { .. }
            | UrlError::ChallengeDoesNotFitAlgorithm { .. }
            | UrlError::TenantInvalid => {}
        }
    }
    all
}

fn source_errors() -> Vec<SourceError> {
    let all = vec![
        SourceError::NoCamera,
        SourceError::CameraBusy,
        SourceError::PermissionDenied,
        SourceError::ResolutionUnavailable(1, 1),
        SourceError::CameraFailed(String::new()),
        SourceError::Unsupported,
        SourceError::Image(String::new()),
        SourceError::Ended,
    ];
    for e in &all {
        match e {
            SourceError::NoCamera
            | SourceError::CameraBusy
            | SourceError::PermissionDenied
            | SourceError::ResolutionUnavailable(..)
            | SourceError::CameraFailed(_)
            | SourceError::Unsupported
            | SourceError::Image(_)
            | SourceError::Ended => {}
        }
    }
    all
}

#[test]
fn every_refusal_is_translated_in_every_language() {
    let mut codes: Vec<&str> = url_errors().iter().map(UrlError::code).collect();
    codes.extend(source_errors().iter().map(SourceError::code));
    // Given by the desktop shell around this crate.
    codes.extend(["qr_none", "qr_other_tenant"]);
    let mut distinct = codes.clone();
    distinct.sort();
    distinct.dedup();
    // Camera failures share codes (two are "failed"); every link refusal has its own.
    assert_eq!(distinct.len(), url_errors().len() + 7 + 2, "{codes:?}");
    for lang in ["en", "de", "fr", "it"] {
        let path = format!("{}/../../ui/src/i18n/{lang}.ts", env!("CARGO_MANIFEST_DIR"));
        let catalog = std::fs::read_to_string(&path).expect(&path);
        for code in &codes {
            assert!(
                catalog.contains(&format!("'errors.{code}':")),
                "{lang}: no message for {code}"
            );
        }
    }
}

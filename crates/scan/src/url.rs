//! The vSEC:CMS card-unblock URL: what a QR code, a deep link or a pasted link carries.
//!
//! `https://<host>/card-unblock?serial=<hex>&challenge=<hex>[&alg=3des|aes][&tenant=<id>]` or the
//! same query under `vsec-ea://card-unblock?…`. The text comes from outside (a camera, a link
//! another program opened, the clipboard), so it is checked before anything else happens: the
//! raw text first (length, control characters, percent-encoding), then its structure with the
//! `url` crate, then each parameter. Every refusal is a [`UrlError`] with a stable code.

use ea_api::ErrorCode;
use serde::Serialize;
use std::fmt;

/// The most bytes a QR code holds (version 40, level L, byte mode); longer text is refused.
pub const MAX_URL_BYTES: usize = 2953;
/// The custom scheme registered by the desktop app.
pub const SCHEME: &str = "vsec-ea";
/// The path of the https form, and the host of the custom-scheme form.
pub const ENDPOINT: &str = "card-unblock";
/// Longest card serial accepted, in hex digits (as the server's limit).
pub const MAX_SERIAL_HEX: usize = 64;
const MAX_TENANT: usize = 64;

/// The block cipher the challenge is for, named as in the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
pub enum ChallengeAlgorithm {
    /// 3DES-EDE: an 8-byte challenge.
    #[serde(rename = "3des")]
    TripleDes,
    /// AES: a 16-byte challenge.
    Aes,
}

impl ChallengeAlgorithm {
    pub fn challenge_len(self) -> usize {
        match self {
            ChallengeAlgorithm::TripleDes => 8,
            ChallengeAlgorithm::Aes => 16,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeAlgorithm::TripleDes => "3des",
            ChallengeAlgorithm::Aes => "aes",
        }
    }

    fn from_len(len: usize) -> Option<ChallengeAlgorithm> {
        match len {
            8 => Some(ChallengeAlgorithm::TripleDes),
            16 => Some(ChallengeAlgorithm::Aes),
            _ => None,
        }
    }
}

/// A parsed, checked card-unblock request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct CardRequest {
    /// Card serial, upper-case hex.
    pub serial: String,
    /// The card's challenge, upper-case hex (16 or 32 digits).
    pub challenge: String,
    /// From `alg`, or from the challenge's length when the URL does not say.
    pub algorithm: ChallengeAlgorithm,
    /// The organisation the code was made for, when the URL names it.
    pub tenant: Option<String>,
    /// The host of an `https` link; `None` for the custom scheme.
    pub host: Option<String>,
}

impl CardRequest {
    /// The canonical `vsec-ea://` form of this request.
    pub fn to_deep_link(&self) -> String {
        let mut s = format!(
            "{SCHEME}://{ENDPOINT}?serial={}&challenge={}&alg={}",
            self.serial,
            self.challenge,
            self.algorithm.as_str()
        );
        if let Some(t) = &self.tenant {
            s.push_str("&tenant=");
            s.push_str(t);
        }
        s
    }
}

/// Why a text is not a card-unblock request. `code()` is stable and translated by the app.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("the text is empty")]
    Empty,
    #[error("the text is longer than a QR code can hold ({max} bytes)")]
    TooLong { max: usize },
    #[error("the text contains a control character or a space")]
    ControlCharacter,
    #[error("the text contains characters outside ASCII")]
    NotAscii,
    #[error("the text is not a link")]
    NotAUrl,
    #[error("the link is not an https or vsec-ea link")]
    WrongScheme,
    #[error("the link does not lead to card-unblock")]
    WrongPath,
    #[error("the link carries a user name or password")]
    Credentials,
    #[error("the link carries a fragment")]
    Fragment,
    #[error("the link's host is not a plain DNS name")]
    HostInvalid,
    #[error("the link uses percent-encoding, which a card request never needs")]
    PercentEncoding,
    #[error("the link's query is malformed")]
    MalformedQuery,
    #[error("parameter {name} is missing")]
    MissingParameter { name: &'static str },
    #[error("parameter {name} appears more than once")]
    DuplicateParameter { name: String },
    #[error("parameter {name} is not known")]
    UnknownParameter { name: String },
    #[error("parameter {name} is empty")]
    EmptyValue { name: &'static str },
    #[error("parameter {name} is not hexadecimal")]
    NotHex { name: &'static str },
    #[error("parameter {name} has an odd number of hex digits")]
    OddLength { name: &'static str },
    #[error("the serial is longer than {max} hex digits")]
    SerialTooLong { max: usize },
    #[error("the challenge must be 8 or 16 bytes")]
    ChallengeLength,
    #[error("algorithm {value} is not 3des or aes")]
    UnknownAlgorithm { value: String },
    #[error("a {alg} challenge is {expected} bytes, not {actual}")]
    ChallengeDoesNotFitAlgorithm {
        alg: &'static str,
        expected: usize,
        actual: usize,
    },
    #[error("the organisation id is not valid")]
    TenantInvalid,
}

impl UrlError {
    /// The stable code (`qr_…`) and parameters the app translates. Values taken from the input
    /// are cut short and limited to printable ASCII, so a hostile code cannot put much on screen.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match self {
            UrlError::Empty => C::QrEmpty {},
            UrlError::TooLong { max } => C::QrTooLong { max: *max as u64 },
            UrlError::ControlCharacter => C::QrControlCharacter {},
            UrlError::NotAscii => C::QrNotAscii {},
            UrlError::NotAUrl => C::QrNotALink {},
            UrlError::WrongScheme => C::QrWrongScheme {},
            UrlError::WrongPath => C::QrWrongPath {},
            UrlError::Credentials => C::QrCredentials {},
            UrlError::Fragment => C::QrFragment {},
            UrlError::HostInvalid => C::QrHostInvalid {},
            UrlError::PercentEncoding => C::QrPercentEncoding {},
            UrlError::MalformedQuery => C::QrMalformedQuery {},
            UrlError::MissingParameter { name } => C::QrMissingParameter {
                name: (*name).into(),
            },
            UrlError::DuplicateParameter { name } => C::QrDuplicateParameter { name: shown(name) },
            UrlError::UnknownParameter { name } => C::QrUnknownParameter { name: shown(name) },
            UrlError::EmptyValue { name } => C::QrEmptyValue {
                name: (*name).into(),
            },
            UrlError::NotHex { name } => C::QrNotHex {
                name: (*name).into(),
            },
            UrlError::OddLength { name } => C::QrOddLength {
                name: (*name).into(),
            },
            UrlError::SerialTooLong { max } => C::QrSerialTooLong { max: *max as u64 },
            UrlError::ChallengeLength => C::QrChallengeLength {},
            UrlError::UnknownAlgorithm { value } => C::QrUnknownAlgorithm {
                value: shown(value),
            },
            UrlError::ChallengeDoesNotFitAlgorithm {
                alg,
                expected,
                actual,
            } => C::QrChallengeAlgorithmMismatch {
                alg: (*alg).into(),
                expected: *expected as u64,
                actual: *actual as u64,
            },
            UrlError::TenantInvalid => C::QrTenantInvalid {},
        }
    }
}

/// At most 24 printable ASCII characters of an input value, for a message.
fn shown(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(24)
        .collect();
    if s.len() > out.len() {
        out.push('…');
    }
    out
}

impl fmt::Display for CardRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "serial {} challenge {} ({})",
            self.serial,
            self.challenge,
            self.algorithm.as_str()
        )
    }
}

/// Parses a card-unblock link. Surrounding whitespace (as a paste brings) is ignored; anything
/// else that is not exactly the documented format is refused.
pub fn parse_card_url(input: &str) -> Result<CardRequest, UrlError> {
    if input.len() > MAX_URL_BYTES {
        return Err(UrlError::TooLong { max: MAX_URL_BYTES });
    }
    let text = input.trim_matches(|c: char| c == ' ' || c == '\n' || c == '\r' || c == '\t');
    if text.is_empty() {
        return Err(UrlError::Empty);
    }
    if !text.contains("://") {
        return Err(UrlError::NotAUrl);
    }
    // The URL standard silently drops tabs and newlines and maps `\` to `/`; refuse them here so
    // what is shown is what is parsed.
    if text.chars().any(|c| c.is_control() || c == ' ') {
        return Err(UrlError::ControlCharacter);
    }
    if !text.is_ascii() {
        return Err(UrlError::NotAscii);
    }
    if text.contains('%') {
        return Err(UrlError::PercentEncoding);
    }
    if text.contains('\\') {
        return Err(UrlError::NotAUrl);
    }
    // Only the canonical spelling is taken, checked on the text itself: the URL standard would
    // otherwise turn `@`, empty ports, dot segments and numeric hosts into something else
    // before the checks below could see them.
    if text.contains('@') {
        return Err(UrlError::Credentials);
    }
    check_canonical(text)?;
    let url = url::Url::parse(text).map_err(|_| UrlError::NotAUrl)?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    if url.fragment().is_some() {
        return Err(UrlError::Fragment);
    }
    let host = match url.scheme() {
        "https" => {
            if url.path() != format!("/{ENDPOINT}") {
                return Err(UrlError::WrongPath);
            }
            Some(url.host_str().ok_or(UrlError::NotAUrl)?.to_owned())
        }
        SCHEME => {
            let path_ok = url.path().is_empty() || url.path() == "/";
            let host_ok = url
                .host_str()
                .is_some_and(|h| h.eq_ignore_ascii_case(ENDPOINT));
            if !host_ok || !path_ok || url.port().is_some() {
                return Err(UrlError::WrongPath);
            }
            None
        }
        _ => return Err(UrlError::WrongScheme),
    };
    // The query as written (the url crate's pair iterator would decode `+` and hide duplicates
    // of different spellings).
    let query = url
        .query()
        .ok_or(UrlError::MissingParameter { name: "serial" })?;
    let params = Params::split(query)?;
    let serial = params.hex("serial")?;
    if serial.len() > MAX_SERIAL_HEX {
        return Err(UrlError::SerialTooLong {
            max: MAX_SERIAL_HEX,
        });
    }
    let challenge = params.hex("challenge")?;
    let bytes = challenge.len() / 2;
    let algorithm = match params.get("alg")? {
        None => ChallengeAlgorithm::from_len(bytes).ok_or(UrlError::ChallengeLength)?,
        Some(v) => {
            let alg = match v.to_ascii_lowercase().as_str() {
                "3des" => ChallengeAlgorithm::TripleDes,
                "aes" => ChallengeAlgorithm::Aes,
                _ => return Err(UrlError::UnknownAlgorithm { value: v.into() }),
            };
            if alg.challenge_len() != bytes {
                return Err(UrlError::ChallengeDoesNotFitAlgorithm {
                    alg: alg.as_str(),
                    expected: alg.challenge_len(),
                    actual: bytes,
                });
            }
            alg
        }
    };
    let tenant = match params.get("tenant")? {
        None => None,
        Some(t) => {
            let ok = t.len() <= MAX_TENANT
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
            if !ok {
                return Err(UrlError::TenantInvalid);
            }
            Some(t.to_owned())
        }
    };
    Ok(CardRequest {
        serial,
        challenge,
        algorithm,
        tenant,
        host,
    })
}

/// The scheme of the app's own links (`emergency-access://enrol?tenant=…&username=…`).
pub const APP_SCHEME: &str = "emergency-access";

/// An invitation's link: which organisation and which user enrol. The enrolment code is never
/// part of a link; it is typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct EnrolLink {
    pub tenant: String,
    pub username: String,
}

/// Parses `emergency-access://enrol?tenant=…&username=…` (the username percent-encoded as
/// needed); any other parameter, a repeated one, a missing one or another path is refused.
pub fn parse_enrol_url(input: &str) -> Result<EnrolLink, UrlError> {
    if input.len() > MAX_URL_BYTES {
        return Err(UrlError::TooLong { max: MAX_URL_BYTES });
    }
    let text = input.trim();
    if text.is_empty() {
        return Err(UrlError::Empty);
    }
    if text.chars().any(|c| c.is_control() || c == ' ') {
        return Err(UrlError::ControlCharacter);
    }
    if !text.is_ascii() {
        return Err(UrlError::NotAscii);
    }
    let url = url::Url::parse(text).map_err(|_| UrlError::NotAUrl)?;
    if url.scheme() != APP_SCHEME {
        return Err(UrlError::WrongScheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(UrlError::Credentials);
    }
    if url.fragment().is_some() {
        return Err(UrlError::Fragment);
    }
    let host_ok = url
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case("enrol"));
    if !host_ok || !(url.path().is_empty() || url.path() == "/") || url.port().is_some() {
        return Err(UrlError::WrongPath);
    }
    let (mut tenant, mut username) = (None, None);
    for (k, v) in url.query_pairs() {
        let slot = match k.as_ref() {
            "tenant" => &mut tenant,
            "username" => &mut username,
            other => {
                return Err(UrlError::UnknownParameter {
                    name: other.to_owned(),
                });
            }
        };
        if slot.is_some() {
            return Err(UrlError::DuplicateParameter {
                name: k.into_owned(),
            });
        }
        *slot = Some(v.into_owned());
    }
    let tenant = tenant.ok_or(UrlError::MissingParameter { name: "tenant" })?;
    let username = username.ok_or(UrlError::MissingParameter { name: "username" })?;
    let tenant_ok = !tenant.is_empty()
        && tenant.len() <= MAX_TENANT
        && tenant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
    if !tenant_ok {
        return Err(UrlError::TenantInvalid);
    }
    if username.trim().is_empty() {
        return Err(UrlError::EmptyValue { name: "username" });
    }
    if username.chars().count() > 256 || username.chars().any(char::is_control) {
        return Err(UrlError::MalformedQuery);
    }
    Ok(EnrolLink { tenant, username })
}

/// The text up to `?` must be `vsec-ea://card-unblock[/]` or `https://<name>[:port]/card-unblock`
/// with a DNS name (letters, digits, `-`, dots between labels; no IP literal, no trailing dot).
fn check_canonical(text: &str) -> Result<(), UrlError> {
    let (scheme, rest) = text.split_once("://").ok_or(UrlError::NotAUrl)?;
    let head = rest.split(['?', '#']).next().unwrap_or_default();
    if scheme.eq_ignore_ascii_case(SCHEME) {
        let bare = head.strip_suffix('/').unwrap_or(head);
        if !bare.eq_ignore_ascii_case(ENDPOINT) {
            return Err(UrlError::WrongPath);
        }
        return Ok(());
    }
    if !scheme.eq_ignore_ascii_case("https") {
        return Err(UrlError::WrongScheme);
    }
    let (authority, path) = head.split_once('/').ok_or(UrlError::WrongPath)?;
    if path != ENDPOINT {
        return Err(UrlError::WrongPath);
    }
    if authority.starts_with('[') {
        return Err(UrlError::HostInvalid);
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if let Some(p) = port
        && (p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(UrlError::NotAUrl);
    }
    let labels_ok = !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    // A name whose last label is all digits is an IPv4 address in some spelling.
    let numeric = host
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()) || l.starts_with("0x"));
    if !labels_ok || numeric {
        return Err(UrlError::HostInvalid);
    }
    Ok(())
}

const KNOWN: [&str; 4] = ["serial", "challenge", "alg", "tenant"];

/// The query's `name=value` pairs, each known name at most once.
struct Params<'a>(Vec<(&'a str, &'a str)>);

impl<'a> Params<'a> {
    fn split(query: &'a str) -> Result<Params<'a>, UrlError> {
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for part in query.split('&') {
            let (name, value) = part.split_once('=').ok_or(UrlError::MalformedQuery)?;
            if name.is_empty() || value.contains('=') || part.contains('+') {
                return Err(UrlError::MalformedQuery);
            }
            if !KNOWN.contains(&name) {
                return Err(UrlError::UnknownParameter { name: name.into() });
            }
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(UrlError::DuplicateParameter { name: name.into() });
            }
            pairs.push((name, value));
        }
        Ok(Params(pairs))
    }

    fn get(&self, name: &'static str) -> Result<Option<&'a str>, UrlError> {
        match self.0.iter().find(|(n, _)| *n == name) {
            None => Ok(None),
            Some((_, "")) => Err(UrlError::EmptyValue { name }),
            Some((_, v)) => Ok(Some(v)),
        }
    }

    fn hex(&self, name: &'static str) -> Result<String, UrlError> {
        let v = self.get(name)?.ok_or(UrlError::MissingParameter { name })?;
        if !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(UrlError::NotHex { name });
        }
        if v.len() % 2 != 0 {
            return Err(UrlError::OddLength { name });
        }
        Ok(v.to_ascii_uppercase())
    }
}

#[cfg(test)]
mod enrol_tests {
    use super::*;

    #[test]
    fn enrol_links_carry_tenant_and_username_only() {
        let ok = parse_enrol_url("emergency-access://enrol?tenant=demo&username=dana.m%40ex")
            .expect("valid");
        assert_eq!(
            ok,
            EnrolLink {
                tenant: "demo".into(),
                username: "dana.m@ex".into()
            }
        );
        let refused = [
            (
                "vsec-ea://enrol?tenant=demo&username=d",
                UrlError::WrongScheme,
            ),
            (
                "emergency-access://card-unblock?tenant=demo&username=d",
                UrlError::WrongPath,
            ),
            (
                "emergency-access://enrol?tenant=demo&username=d&code=ABCD",
                UrlError::UnknownParameter {
                    name: "code".into(),
                },
            ),
            (
                "emergency-access://enrol?tenant=demo&tenant=x&username=d",
                UrlError::DuplicateParameter {
                    name: "tenant".into(),
                },
            ),
            (
                "emergency-access://enrol?tenant=demo",
                UrlError::MissingParameter { name: "username" },
            ),
            (
                "emergency-access://enrol?tenant=de%20mo&username=d",
                UrlError::TenantInvalid,
            ),
            (
                "emergency-access://enrol?tenant=demo&username=%0A",
                UrlError::EmptyValue { name: "username" },
            ),
        ];
        for (link, want) in refused {
            assert_eq!(parse_enrol_url(link), Err(want), "{link}");
        }
    }
}

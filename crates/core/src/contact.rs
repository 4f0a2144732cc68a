//! Phone numbers and email addresses: normalisation for comparison, masking for display, and
//! decoys for usernames that do not exist.

use hmac::{Hmac, Mac};

use sha2::Sha256;

pub use ea_api::ContactKind;

/// Why a phone number or address was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("a phone number holds 8 to 15 digits, optionally after '+' or '00'")]
    BadPhone,
    #[error("a national number (leading 0) needs the tenant's country calling code")]
    NoCountryCode,
    #[error("an email address looks like name@example.org")]
    BadEmail,
}

/// Normalises a phone number to E.164 (`+` and 8 to 15 digits), with the `phonenumber` crate
/// (libphonenumber's metadata) doing the numbering-plan work: national trunk prefixes where a
/// country has one and keeps it where it has none (Italy's `06 …` stays `+39 06 …`), `+41 (0)79 …`,
/// and NANP numbers typed without `+1`.
///
/// Only digits, a leading `+`, and spaces, dashes, dots, slashes and parentheses are taken
/// (letters are refused, not read as a keypad would); `00` is read as `+`; a number without
/// either is read in the country of `default_country`, the tenant's calling code (e.g. `"41"`).
pub fn normalize_phone(input: &str, default_country: Option<&str>) -> Result<String, ContactError> {
    let trimmed = input.trim();
    let mut text = String::with_capacity(trimmed.len());
    let mut digits = 0usize;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '+' if i == 0 => text.push('+'),
            '0'..='9' => {
                digits += 1;
                text.push(c);
            }
            '(' | ')' => text.push(c),
            ' ' | '-' | '.' | '/' | '\u{a0}' => {}
            _ => return Err(ContactError::BadPhone),
        }
    }
    if digits == 0 {
        return Err(ContactError::NoCountryCode);
    }
    let text = match text.strip_prefix("00") {
        Some(rest) if !text.starts_with('+') => format!("+{rest}"),
        _ => text,
    };
    let region = if text.starts_with('+') {
        None
    } else {
        Some(region_of(
            default_country.ok_or(ContactError::NoCountryCode)?,
        )?)
    };
    let number = phonenumber::parse(region, &text).map_err(|_| ContactError::BadPhone)?;
    let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
    let national = e164.strip_prefix('+').unwrap_or_default();
    if !(8..=15).contains(&national.len()) || !national.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ContactError::BadPhone);
    }
    Ok(e164)
}

/// The main country of a calling code (`"1"` is the US, `"39"` Italy, `"44"` the UK).
fn region_of(calling_code: &str) -> Result<phonenumber::country::Id, ContactError> {
    let code: u16 = calling_code
        .trim_start_matches('+')
        .parse()
        .map_err(|_| ContactError::NoCountryCode)?;
    phonenumber::metadata::DATABASE
        .by_code(&code)
        .and_then(|all| all.first().and_then(|m| m.id().parse().ok()))
        .ok_or(ContactError::NoCountryCode)
}

/// Normalises an email address for comparison: trimmed and lower-cased as a whole.
pub fn normalize_email(input: &str) -> Result<String, ContactError> {
    let e = input.trim().to_lowercase();
    let (local, domain) = e.split_once('@').ok_or(ContactError::BadEmail)?;
    let ok = !local.is_empty()
        && local.len() <= 64
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && e.len() <= 254
        && !e.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@');
    if ok {
        Ok(e)
    } else {
        Err(ContactError::BadEmail)
    }
}

/// Normalises a contact of `kind`.
pub fn normalize(
    kind: ContactKind,
    input: &str,
    default_country: Option<&str>,
) -> Result<String, ContactError> {
    match kind {
        ContactKind::Phone => normalize_phone(input, default_country),
        ContactKind::Email => normalize_email(input),
    }
}

/// Compares two normalised contacts in constant time.
pub fn same_contact(a: &str, b: &str) -> bool {
    crate::ct::equal_str(a, b)
}

/// Masks an E.164 number: `+41 ••••••• 67` keeps the first two and last two digits and hides how
/// many lie between.
pub fn mask_phone(e164: &str) -> String {
    let digits: Vec<char> = e164.chars().filter(char::is_ascii_digit).collect();
    let n = digits.len();
    if n < 5 {
        return "•".repeat(n.max(4));
    }
    // Always seven dots: how many digits are hidden would tell real numbers from decoys.
    format!(
        "+{}{} {} {}{}",
        digits[0],
        digits[1],
        "•".repeat(7),
        digits[n - 2],
        digits[n - 1]
    )
}

/// Masks an email address: `a•••@e•••.org` keeps the first letter of each part and the last label.
pub fn mask_email(email: &str) -> String {
    let Some((local, domain)) = email.split_once('@') else {
        return "•••".to_owned();
    };
    let first = |s: &str| s.chars().next().map(String::from).unwrap_or_default();
    let (host, tld) = domain.rsplit_once('.').unwrap_or((domain, ""));
    format!("{}•••@{}•••.{}", first(local), first(host), tld)
}

/// Masks a normalised contact of `kind`.
pub fn mask(kind: ContactKind, normalized: &str) -> String {
    match kind {
        ContactKind::Phone => mask_phone(normalized),
        ContactKind::Email => mask_email(normalized),
    }
}

/// Decoy contacts for a username that does not exist: stable for the same username (so that
/// asking twice shows the same thing) and unpredictable without the server key.
pub fn decoys(
    key: &[u8],
    tenant: &str,
    username: &str,
    kind: ContactKind,
    style: &DecoyStyle<'_>,
) -> Vec<String> {
    let d = keyed_digest(
        key,
        &["decoy", kind.as_str(), tenant, &username.to_lowercase()],
    );
    let count = match kind {
        ContactKind::Phone => style.phones,
        ContactKind::Email => style.emails,
    }
    .clamp(1, 3);
    (0..count)
        .map(|i| {
            let b = &d[1 + i * 8..9 + i * 8];
            match kind {
                ContactKind::Phone => {
                    const CODES: [&str; 6] = ["41", "49", "33", "39", "43", "44"];
                    let cc = style
                        .country
                        .filter(|c| {
                            !c.is_empty() && c.len() <= 3 && c.bytes().all(|x| x.is_ascii_digit())
                        })
                        .unwrap_or(CODES[usize::from(b[0]) % CODES.len()]);
                    let mut n = format!("+{cc}7");
                    for x in &b[1..] {
                        n.push(char::from(b'0' + x % 10));
                    }
                    n.push(char::from(b'0' + b[0] % 10));
                    n
                }
                ContactKind::Email => {
                    const DOMAINS: [&str; 5] = [
                        "gmail.com",
                        "outlook.com",
                        "gmx.net",
                        "proton.me",
                        "yahoo.com",
                    ];
                    let local: String = b[..6].iter().map(|x| char::from(b'a' + x % 26)).collect();
                    let domain = if style.domains.is_empty() {
                        DOMAINS[usize::from(b[7]) % DOMAINS.len()]
                    } else {
                        style.domains[usize::from(b[7]) % style.domains.len()].as_str()
                    };
                    format!("{local}@{domain}")
                }
            }
        })
        .collect()
}

/// What decoy contacts look like in a tenant: as many as its users typically have, in its
/// country and at its own e-mail domains.
#[derive(Debug, Clone, Copy)]
pub struct DecoyStyle<'a> {
    pub phones: usize,
    pub emails: usize,
    /// Calling code, e.g. "41".
    pub country: Option<&'a str>,
    pub domains: &'a [String],
}

impl Default for DecoyStyle<'_> {
    fn default() -> Self {
        DecoyStyle {
            phones: 1,
            emails: 1,
            country: None,
            domains: &[],
        }
    }
}

/// HMAC-SHA-256 over length-prefixed parts, so `("ab","c")` and `("a","bc")` differ.
pub fn keyed_digest(key: &[u8], parts: &[&str]) -> [u8; 32] {
    // HMAC accepts keys of any length, so construction cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    for p in parts {
        mac.update(&(p.len() as u64).to_be_bytes());
        mac.update(p.as_bytes());
    }
    mac.finalize().into_bytes().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_normalisation_table() {
        let ok = [
            ("+41 79 123 45 67", Some("41"), "+41791234567"),
            ("0041 (79) 123-45-67", None, "+41791234567"),
            ("079 123 45 67", Some("41"), "+41791234567"),
            ("+1.415.555.0100", None, "+14155550100"),
            ("+41 (0)79 123 45 67", Some("41"), "+41791234567"),
            // Italy keeps the leading 0 of fixed lines in international form.
            ("06 1234 5678", Some("39"), "+390612345678"),
            ("+39 06 1234 5678", None, "+390612345678"),
            ("333 123 4567", Some("39"), "+393331234567"),
            // NANP: no trunk 0, and "1" in front is optional.
            ("(415) 555-0100", Some("1"), "+14155550100"),
            ("1 415 555 0100", Some("1"), "+14155550100"),
            ("030 1234567", Some("49"), "+49301234567"),
            ("0151 23456789", Some("49"), "+4915123456789"),
            ("06 12 34 56 78", Some("33"), "+33612345678"),
            ("020 7946 0958", Some("44"), "+442079460958"),
            ("07911 123456", Some("44"), "+447911123456"),
        ];
        for (input, cc, want) in ok {
            assert_eq!(normalize_phone(input, cc).as_deref(), Ok(want), "{input}");
        }
        let bad = [
            ("079 123 45 67", None, ContactError::NoCountryCode),
            ("+41 79 12a", Some("41"), ContactError::BadPhone),
            ("+123", None, ContactError::BadPhone),
            ("+1234567890123456", None, ContactError::BadPhone),
            ("4179+1234567", None, ContactError::BadPhone),
            ("", Some("41"), ContactError::NoCountryCode),
        ];
        for (input, cc, want) in bad {
            assert_eq!(normalize_phone(input, cc), Err(want), "{input}");
        }
    }

    #[test]
    fn email_is_case_insensitive() {
        assert_eq!(
            normalize_email("  Alice.Smith@Example.ORG "),
            Ok("alice.smith@example.org".into())
        );
        for bad in [
            "alice",
            "@example.org",
            "a@b",
            "a b@example.org",
            "a@.org",
            "a@b@c.org",
        ] {
            assert_eq!(normalize_email(bad), Err(ContactError::BadEmail), "{bad}");
        }
    }

    #[test]
    fn masks_hide_the_middle() {
        assert_eq!(mask_phone("+41791234567"), "+41 ••••••• 67");
        assert_eq!(mask_phone("+4915112345678"), "+49 ••••••• 78");
        assert_eq!(mask_email("alice.smith@example.org"), "a•••@e•••.org");
        assert!(!mask_phone("+41791234567").contains("9123"));
    }

    #[test]
    fn decoys_are_stable_valid_and_keyed() {
        let plain = DecoyStyle::default();
        let a = decoys(b"k1", "demo", "Nobody", ContactKind::Phone, &plain);
        assert_eq!(
            a,
            decoys(b"k1", "demo", "nobody", ContactKind::Phone, &plain)
        );
        assert_ne!(
            a,
            decoys(b"k2", "demo", "nobody", ContactKind::Phone, &plain)
        );
        for p in &a {
            assert_eq!(normalize_phone(p, None).as_deref(), Ok(p.as_str()));
        }
        for e in decoys(b"k1", "demo", "nobody", ContactKind::Email, &plain) {
            assert_eq!(normalize_email(&e).as_deref(), Ok(e.as_str()));
        }
        // In the tenant's style: its country, its domains, its typical count.
        let domains = ["example.org".to_owned()];
        let style = DecoyStyle {
            phones: 2,
            emails: 3,
            country: Some("41"),
            domains: &domains,
        };
        let phones = decoys(b"k1", "demo", "nobody", ContactKind::Phone, &style);
        assert_eq!(phones.len(), 2);
        assert!(phones.iter().all(|p| p.starts_with("+417")), "{phones:?}");
        let emails = decoys(b"k1", "demo", "nobody", ContactKind::Email, &style);
        assert_eq!(emails.len(), 3);
        assert!(
            emails.iter().all(|e| e.ends_with("@example.org")),
            "{emails:?}"
        );
    }

    #[test]
    fn keyed_digest_separates_parts() {
        assert_ne!(
            keyed_digest(b"k", &["ab", "c"]),
            keyed_digest(b"k", &["a", "bc"])
        );
    }
}

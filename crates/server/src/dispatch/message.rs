//! What a code message says, and how it is bound when sealed in the outbox.

use ea_core::contact::ContactKind;

pub fn channel(kind: ContactKind) -> &'static str {
    match kind {
        ContactKind::Phone => "sms",
        ContactKind::Email => "email",
    }
}

/// The associated data binding a sealed message to its destination.
pub fn aad(destination: &str) -> String {
    format!("outbox:{destination}")
}

/// Where a message goes, and what it carries.
#[derive(Debug, Clone, Copy)]
pub struct To<'a> {
    pub tenant_id: i64,
    pub kind: ContactKind,
    pub destination: &'a str,
    pub purpose: ea_store::outbox::Purpose,
}

/// Seals `text` for `destination` and queues it in `conn` (a transaction that also holds what the
/// message is about); the outbox row's id.
pub async fn enqueue(
    conn: &impl ea_store::Conn,
    kek: &ea_core::seal::Kek,
    to: To<'_>,
    text: &str,
    now: i64,
) -> ea_store::Result<i64> {
    let sealed = kek.seal(&aad(to.destination), text.as_bytes(), &mut rand::rng());
    let msg = ea_store::outbox::NewMessage {
        tenant_id: to.tenant_id,
        channel: channel(to.kind).to_owned(),
        destination: to.destination.to_owned(),
        sealed_body: sealed,
        purpose: to.purpose,
    };
    ea_store::outbox::enqueue(conn, msg, now).await
}

/// The message text. Short enough for one SMS; the code comes first so phones can offer to copy it.
pub fn render(kind: ContactKind, tenant_name: &str, code: &str, ttl_seconds: i64) -> String {
    let minutes = (ttl_seconds + 59) / 60;
    match kind {
        ContactKind::Phone => format!(
            "{code} is your {tenant_name} verification code. It expires in {minutes} min. Did not ask for it? Ignore this message."
        ),
        ContactKind::Email => format!(
            "Subject: {tenant_name} verification code\n\n\
             Your verification code is: {code}\n\n\
             It expires in {minutes} minutes and works once.\n\n\
             If you did not ask for this code, someone may be trying to reset your access: \
             do not share it, and tell your IT help desk.\n"
        ),
    }
}

/// Splits an email message made by [`render`] into subject and body.
pub fn split_email(text: &str) -> (&str, &str) {
    match text
        .strip_prefix("Subject: ")
        .and_then(|t| t.split_once("\n\n"))
    {
        Some((subject, body)) => (subject, body),
        None => ("Verification code", text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sms_fits_one_message_and_email_splits() {
        let sms = render(ContactKind::Phone, "Acme", "123456", 300);
        assert!(sms.starts_with("123456 "));
        assert!(sms.contains("5 min"));
        assert!(sms.len() <= 160, "{}", sms.len());
        let email = render(ContactKind::Email, "Acme", "12345678", 600);
        let (subject, body) = split_email(&email);
        assert_eq!(subject, "Acme verification code");
        assert!(body.contains("12345678") && body.contains("10 minutes"));
    }
}

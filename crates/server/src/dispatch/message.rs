//! How a message is queued and bound when sealed in the outbox (what it says: [`super::text`]).

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

/// Splits an email message made by [`super::text`] into subject and body.
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
    fn an_email_splits_into_subject_and_body() {
        let none = crate::dispatch::text::Templates::new();
        let email =
            crate::dispatch::text::Wording::new(crate::dispatch::text::Lang::De, &none, "Acme")
                .code(ContactKind::Email, "12345678", 600);
        let (subject, body) = split_email(&email);
        assert_eq!(subject, "Bestätigungscode von Acme");
        assert!(body.contains("12345678") && body.contains("10 Minuten"));
    }
}

//! What messages say, in the language the person chose in the app (or the tenant's default):
//! codes by text message and e-mail, notices ("Not you?") and invitations, in English, German,
//! French and Italian. Each message is a template with `{placeholders}`, filled in one pass (a
//! value that looks like a placeholder stays as it is); a tenant may word any of them itself per
//! language (`[messages.templates.<lang>]` of its policy file), checked by [`check_templates`].
//! E-mails are written `Subject: …` + blank line + body, split again by the transport. Text
//! messages are kept to one GSM 7-bit part ([`sms_parts`]): operators pay for every part.

use ea_api::{CardDelivery, ContactKind};
use std::collections::BTreeMap;

/// A language messages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    De,
    Fr,
    It,
}

impl Lang {
    /// `en`, `de`, `fr` or `it` (any case, a region after a dash allowed: `de-CH`).
    pub fn parse(s: &str) -> Option<Lang> {
        let base = s.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match base.as_str() {
            "en" => Some(Lang::En),
            "de" => Some(Lang::De),
            "fr" => Some(Lang::Fr),
            "it" => Some(Lang::It),
            _ => None,
        }
    }

    /// A requested language as a session or enrolment stores it: one messages are written in,
    /// else none.
    pub fn stored(requested: Option<&str>) -> Option<String> {
        requested
            .and_then(Lang::parse)
            .map(|l| l.as_str().to_owned())
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::De => "de",
            Lang::Fr => "fr",
            Lang::It => "it",
        }
    }

    /// The first of `choices` that names a language, else English.
    pub fn pick(choices: &[Option<&str>]) -> Lang {
        choices
            .iter()
            .flatten()
            .find_map(|c| Lang::parse(c))
            .unwrap_or_default()
    }
}

/// A message a tenant may word itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    SmsCode,
    EmailCodeSubject,
    EmailCodeBody,
    Notice,
    NoticeSubject,
    InvitationSubject,
    InvitationBody,
}

impl Key {
    pub const ALL: [Key; 7] = [
        Key::SmsCode,
        Key::EmailCodeSubject,
        Key::EmailCodeBody,
        Key::Notice,
        Key::NoticeSubject,
        Key::InvitationSubject,
        Key::InvitationBody,
    ];

    /// Its name in the policy file.
    pub fn name(self) -> &'static str {
        match self {
            Key::SmsCode => "sms_code",
            Key::EmailCodeSubject => "email_code_subject",
            Key::EmailCodeBody => "email_code_body",
            Key::Notice => "notice",
            Key::NoticeSubject => "notice_subject",
            Key::InvitationSubject => "invitation_subject",
            Key::InvitationBody => "invitation_body",
        }
    }

    /// The placeholders it may use; those it must use.
    fn placeholders(self) -> (&'static [&'static str], &'static [&'static str]) {
        match self {
            Key::SmsCode | Key::EmailCodeBody => (&["code", "tenant", "minutes"], &["code"]),
            // No code in a subject line: previews and lock screens show it to anyone nearby.
            Key::EmailCodeSubject => (&["tenant", "minutes"], &[]),
            Key::Notice => (&["tenant", "what"], &["what"]),
            Key::NoticeSubject => (&["tenant"], &[]),
            Key::InvitationSubject => (&["tenant", "username"], &[]),
            Key::InvitationBody => (
                &["tenant", "username", "code", "link", "days"],
                &["code", "link"],
            ),
        }
    }

    fn is_subject(self) -> bool {
        matches!(
            self,
            Key::EmailCodeSubject | Key::NoticeSubject | Key::InvitationSubject
        )
    }

    fn max_chars(self) -> usize {
        match self {
            Key::EmailCodeSubject | Key::NoticeSubject | Key::InvitationSubject => 150,
            Key::SmsCode => 160,
            Key::Notice => 300,
            Key::EmailCodeBody | Key::InvitationBody => 4000,
        }
    }

    fn parse(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }
}

/// The built-in wording of `key` in `lang`.
fn builtin(key: Key, lang: Lang) -> &'static str {
    use Key::*;
    use Lang::*;
    match (key, lang) {
        (SmsCode, En) => {
            "{code} is your {tenant} verification code. It expires in {minutes} min. Did not ask for it? Ignore this message."
        }
        (SmsCode, De) => {
            "{code} ist Ihr Bestätigungscode von {tenant}. Gültig {minutes} Min. Nicht angefordert? Ignorieren Sie diese Nachricht."
        }
        (SmsCode, Fr) => {
            "{code} est votre code de vérification {tenant}. Il expire dans {minutes} min. Pas demandé ? Ignorez ce message."
        }
        (SmsCode, It) => {
            "{code} è il tuo codice di verifica {tenant}. Scade tra {minutes} min. Non richiesto? Ignora questo messaggio."
        }
        (EmailCodeSubject, En) => "{tenant} verification code",
        (EmailCodeSubject, De) => "Bestätigungscode von {tenant}",
        (EmailCodeSubject, Fr) => "Code de vérification {tenant}",
        (EmailCodeSubject, It) => "Codice di verifica {tenant}",
        (EmailCodeBody, En) => {
            "Your verification code is: {code}\n\n\
             It expires in {minutes} minutes and works once.\n\n\
             If you did not ask for this code, someone may be trying to reset your access: \
             do not share it, and tell your IT help desk."
        }
        (EmailCodeBody, De) => {
            "Ihr Bestätigungscode lautet: {code}\n\n\
             Er ist {minutes} Minuten gültig und funktioniert einmal.\n\n\
             Wenn Sie diesen Code nicht angefordert haben, versucht möglicherweise jemand, Ihren \
             Zugang zurückzusetzen: Geben Sie ihn nicht weiter und informieren Sie Ihren \
             IT-Helpdesk."
        }
        (EmailCodeBody, Fr) => {
            "Votre code de vérification est : {code}\n\n\
             Il expire dans {minutes} minutes et ne sert qu'une fois.\n\n\
             Si vous n'avez pas demandé ce code, quelqu'un essaie peut-être de réinitialiser votre \
             accès : ne le communiquez pas et prévenez votre support informatique."
        }
        (EmailCodeBody, It) => {
            "Il tuo codice di verifica è: {code}\n\n\
             Scade tra {minutes} minuti e vale una sola volta.\n\n\
             Se non hai richiesto questo codice, qualcuno potrebbe tentare di reimpostare il tuo \
             accesso: non condividerlo e avvisa il tuo help desk IT."
        }
        (Notice, En) => "{tenant}: {what}. Not you? Call your IT help desk now.",
        (Notice, De) => "{tenant}: {what}. Nicht Sie? Sofort den IT-Helpdesk anrufen.",
        (Notice, Fr) => "{tenant} : {what}. Pas vous ? Appelez votre support informatique.",
        (Notice, It) => "{tenant}: {what}. Non sei tu? Chiama subito il tuo help desk IT.",
        (NoticeSubject, En) => "{tenant} security notice (Emergency Access)",
        (NoticeSubject, De) => "Sicherheitshinweis von {tenant} (Emergency Access)",
        (NoticeSubject, Fr) => "Avis de sécurité {tenant} (Emergency Access)",
        (NoticeSubject, It) => "Avviso di sicurezza {tenant} (Emergency Access)",
        (InvitationSubject, En) => "{tenant}: set up your account recovery",
        (InvitationSubject, De) => "{tenant}: Richten Sie Ihre Kontowiederherstellung ein",
        (InvitationSubject, Fr) => "{tenant} : configurez la récupération de votre compte",
        (InvitationSubject, It) => "{tenant}: configura il recupero del tuo account",
        (InvitationBody, En) => {
            "You are invited to set up how you can recover access to your {tenant} account \
             \"{username}\" by yourself, should you ever lose your password or smart card PIN.\n\n\
             Open Emergency Access, choose \"Set up recovery\", and type your username and this \
             enrolment code:\n\n    {code}\n\n\
             Or open this link on your computer: {link}\n\n\
             The code works once and expires in {days} day(s). If you did not expect this message, \
             tell your IT help desk."
        }
        (InvitationBody, De) => {
            "Sie sind eingeladen festzulegen, wie Sie den Zugang zu Ihrem {tenant}-Konto \
             \"{username}\" selbst wiederherstellen können, falls Sie Ihr Passwort oder die PIN \
             Ihrer Smartcard einmal verlieren.\n\n\
             Öffnen Sie Emergency Access, wählen Sie \"Wiederherstellung einrichten\" und geben Sie \
             Ihren Benutzernamen und diesen Registrierungscode ein:\n\n    {code}\n\n\
             Oder öffnen Sie diesen Link auf Ihrem Computer: {link}\n\n\
             Der Code funktioniert einmal und läuft in {days} Tag(en) ab. Wenn Sie diese Nachricht \
             nicht erwartet haben, informieren Sie Ihren IT-Helpdesk."
        }
        (InvitationBody, Fr) => {
            "Vous êtes invité à définir comment récupérer vous-même l'accès à votre compte \
             {tenant} \"{username}\", si vous perdez un jour votre mot de passe ou le PIN de votre \
             carte à puce.\n\n\
             Ouvrez Emergency Access, choisissez \"Configurer la récupération\" et saisissez votre \
             nom d'utilisateur et ce code d'inscription :\n\n    {code}\n\n\
             Ou ouvrez ce lien sur votre ordinateur : {link}\n\n\
             Le code ne sert qu'une fois et expire dans {days} jour(s). Si vous n'attendiez pas ce \
             message, prévenez votre support informatique."
        }
        (InvitationBody, It) => {
            "Sei invitato a stabilire come recuperare da solo l'accesso al tuo account {tenant} \
             \"{username}\", se un giorno perdessi la password o il PIN della smart card.\n\n\
             Apri Emergency Access, scegli \"Configura il recupero\" e inserisci il tuo nome utente \
             e questo codice di registrazione:\n\n    {code}\n\n\
             Oppure apri questo link sul tuo computer: {link}\n\n\
             Il codice vale una sola volta e scade tra {days} giorno/i. Se non ti aspettavi questo \
             messaggio, avvisa il tuo help desk IT."
        }
    }
}

pub use ea_store::tenants::Templates;

/// One piece of a template: text as it is, or a placeholder's name.
enum Piece<'a> {
    Text(&'a str),
    Slot(&'a str),
}

/// Splits a template into text and `{name}` placeholders; `Err` names a brace without its pair.
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("has a \"}\" without its \"{\"".into());
        }
        let after = &rest[open + 1..];
        let close = after
            .find(['{', '}'])
            .filter(|&i| after[i..].starts_with('}'))
            .ok_or_else(|| "has a \"{\" without its \"}\"".to_owned())?;
        out.push(Piece::Text(&rest[..open]));
        out.push(Piece::Slot(&after[..close]));
        rest = &after[close + 1..];
    }
    out.push(Piece::Text(rest));
    Ok(out)
}

/// Fills a template in one pass: each `{name}` is replaced by its value; values are never read
/// as templates themselves.
fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let Ok(pieces) = pieces(template) else {
        // Built-in and checked templates always parse; anything else goes out as written.
        return template.to_owned();
    };
    let mut out = String::with_capacity(template.len() + 64);
    for p in pieces {
        match p {
            Piece::Text(t) => out.push_str(t),
            Piece::Slot(name) => match values.iter().find(|(n, _)| *n == name) {
                Some((_, v)) => out.push_str(v),
                None => {
                    out.push('{');
                    out.push_str(name);
                    out.push('}');
                }
            },
        }
    }
    out
}

fn email(subject: &str, body: &str) -> String {
    format!("Subject: {subject}\n\n{}\n", body.trim_end())
}

/// How a text message is encoded and how many parts it takes: GSM 7-bit (3GPP TS 23.038: 160
/// septets in one part, 153 per part when split; the extension table's characters take two), or
/// UCS-2 when any character is outside it (70 in one part, 67 per part).
pub fn sms_parts(text: &str) -> (SmsEncoding, usize) {
    const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
                         ¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    const EXTENSION: &str = "^{}\\[~]|€\u{c}";
    let septets = text.chars().try_fold(0usize, |n, c| {
        if BASIC.contains(c) {
            Some(n + 1)
        } else if EXTENSION.contains(c) {
            Some(n + 2)
        } else {
            None
        }
    });
    let parts =
        |len: usize, one: usize, each: usize| if len <= one { 1 } else { len.div_ceil(each) };
    match septets {
        Some(n) => (SmsEncoding::Gsm7, parts(n, 160, 153)),
        None => (
            SmsEncoding::Ucs2,
            parts(text.encode_utf16().count(), 70, 67),
        ),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsEncoding {
    Gsm7,
    Ucs2,
}

/// Where a text message is concerned: one part, or why not.
fn one_sms_part(text: &str) -> Result<(), String> {
    match sms_parts(text) {
        (_, 1) => Ok(()),
        (SmsEncoding::Gsm7, n) => Err(format!(
            "makes a text message of {n} parts ({} characters; one part holds 160)",
            text.chars().count()
        )),
        (SmsEncoding::Ucs2, n) => {
            let odd: String = text
                .chars()
                .filter(|c| sms_parts(&c.to_string()).0 == SmsEncoding::Ucs2)
                .take(3)
                .collect();
            Err(format!(
                "makes a text message of {n} parts: {odd:?} are outside the GSM 7-bit alphabet, \
                 which leaves 70 characters to a part"
            ))
        }
    }
}

/// Checks a tenant's own wording before it is stored: known languages and messages, only the
/// placeholders each message has (and those it needs), subjects on one line, lengths, and text
/// messages that stay one GSM 7-bit part with this tenant's name in them. An error names the
/// field (`templates.de.sms_code`) and what is wrong.
pub fn check_templates(templates: &Templates, tenant_name: &str) -> Result<(), (String, String)> {
    for (lang, messages) in templates {
        let l = Lang::parse(lang)
            .filter(|l| l.as_str() == lang)
            .ok_or_else(|| {
                (
                    format!("templates.{lang}"),
                    "is not one of en, de, fr, it".to_owned(),
                )
            })?;
        for (name, text) in messages {
            let field = format!("templates.{lang}.{name}");
            let fail = |reason: String| (field.clone(), reason);
            let key = Key::parse(name).ok_or_else(|| {
                let names: Vec<&str> = Key::ALL.iter().map(|k| k.name()).collect();
                fail(format!("is not one of {}", names.join(", ")))
            })?;
            if text.trim().is_empty() {
                return Err(fail("is empty".into()));
            }
            if text.chars().count() > key.max_chars() {
                return Err(fail(format!(
                    "is longer than {} characters",
                    key.max_chars()
                )));
            }
            if key.is_subject() && text.contains(['\n', '\r']) {
                return Err(fail("must be one line".into()));
            }
            if text.chars().any(|c| c.is_control() && c != '\n') {
                return Err(fail("contains a control character".into()));
            }
            let (allowed, required) = key.placeholders();
            let slots: Vec<&str> = pieces(text)
                .map_err(fail)?
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Slot(s) => Some(s),
                    Piece::Text(_) => None,
                })
                .collect();
            let list = || {
                allowed
                    .iter()
                    .map(|a| format!("{{{a}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            if let Some(bad) = slots.iter().find(|s| !allowed.contains(s)) {
                return Err(fail(format!(
                    "uses {{{bad}}}, which is not one of {}",
                    list()
                )));
            }
            if let Some(missing) = required.iter().find(|r| !slots.contains(r)) {
                return Err(fail(format!("must contain {{{missing}}}")));
            }
            // Text messages: with this tenant's name, the longest code and the longest event.
            let sms = match key {
                Key::SmsCode => Some(fill(
                    text,
                    &[
                        ("code", "12345678"),
                        ("tenant", tenant_name),
                        ("minutes", "60"),
                    ],
                )),
                Key::Notice => Some(sms_safe(&fill(
                    text,
                    &[("tenant", tenant_name), ("what", &longest_what(l))],
                ))),
                _ => None,
            };
            if let Some(sms) = sms {
                one_sms_part(&sms).map_err(fail)?;
            }
        }
    }
    Ok(())
}

/// The wording of one message: the tenant's own where it set one for this language, else the
/// built-in one.
#[derive(Debug, Clone, Copy)]
pub struct Wording<'a> {
    lang: Lang,
    own: Option<&'a BTreeMap<String, String>>,
    tenant: &'a str,
}

impl<'a> Wording<'a> {
    /// For a tenant's message in `lang`.
    pub fn new(lang: Lang, templates: &'a Templates, tenant_name: &'a str) -> Wording<'a> {
        Wording {
            lang,
            own: templates.get(lang.as_str()),
            tenant: tenant_name,
        }
    }

    /// For `tenant`'s message to a person who reads `language` (else the tenant's language).
    pub fn for_tenant(
        tenant: &'a ea_store::tenants::Tenant,
        language: Option<&str>,
    ) -> Wording<'a> {
        let lang = Lang::pick(&[language, tenant.language.as_deref()]);
        Wording::new(lang, &tenant.templates, &tenant.name)
    }

    pub fn lang(&self) -> Lang {
        self.lang
    }

    fn get(&self, key: Key) -> &str {
        self.own
            .and_then(|o| o.get(key.name()))
            .map_or_else(|| builtin(key, self.lang), String::as_str)
    }

    /// A one-time code's message. Short enough for one SMS; the built-in ones put the code first
    /// so phones can offer to copy it.
    pub fn code(&self, kind: ContactKind, code: &str, ttl_seconds: i64) -> String {
        let minutes = ((ttl_seconds + 59) / 60).to_string();
        let v = [
            ("code", code),
            ("tenant", self.tenant),
            ("minutes", minutes.as_str()),
        ];
        match kind {
            ContactKind::Phone => fill(self.get(Key::SmsCode), &v),
            ContactKind::Email => email(
                &fill(self.get(Key::EmailCodeSubject), &v),
                &fill(self.get(Key::EmailCodeBody), &v),
            ),
        }
    }

    /// An invitation to enrol: the code, what to do with it, and the link that opens the app at
    /// enrolment for this user (the link never carries the code).
    pub fn invitation(&self, username: &str, code: &str, link: &str, days: i64) -> String {
        let days = days.to_string();
        let v = [
            ("tenant", self.tenant),
            ("username", username),
            ("code", code),
            ("link", link),
            ("days", days.as_str()),
        ];
        email(
            &fill(self.get(Key::InvitationSubject), &v),
            &fill(self.get(Key::InvitationBody), &v),
        )
    }

    /// A notice: what happened, and "Not you?"; for an e-mail with its subject line.
    pub fn notice(&self, kind: ContactKind, told: &Told) -> String {
        let what = what(self.lang, told, kind == ContactKind::Phone);
        let v = [("tenant", self.tenant), ("what", what.as_str())];
        let text = fill(self.get(Key::Notice), &v);
        match kind {
            ContactKind::Phone => sms_safe(&text),
            ContactKind::Email => email(&fill(self.get(Key::NoticeSubject), &v), &text),
        }
    }
}

/// A notice to the account's owner, who may not be the person at the app: written in the tenant's
/// language (else English), never only in the one the requester chose; an e-mail repeats it below
/// in the requester's language when that differs.
pub fn owner_notice(
    tenant: &ea_store::tenants::Tenant,
    requester_language: Option<&str>,
    kind: ContactKind,
    told: &Told,
) -> String {
    let owner = Wording::for_tenant(tenant, None);
    let requester = Wording::for_tenant(tenant, requester_language);
    let text = owner.notice(kind, told);
    if kind == ContactKind::Phone || requester.lang() == owner.lang() {
        return text;
    }
    let also = requester.notice(kind, told);
    let body = also.split_once("\n\n").map_or(also.as_str(), |(_, b)| b);
    format!("{}\n\n---\n\n{body}", text.trim_end())
}

/// A text message's masked contacts with `*` for `•`, which is outside the GSM 7-bit alphabet
/// and would halve what one part holds.
fn sms_safe(text: &str) -> String {
    text.replace('•', "*")
}

/// One of each event a notice can tell, with the longest values they carry.
fn every_event() -> Vec<Told> {
    let masked = "+41 ••••••• 00".to_owned();
    let samples = [
        Told::PasswordReset,
        Told::AccountUnblocked,
        Told::EmergencyCode {
            uses: Some(100),
            until: Some("2026-12-31 23:59".into()),
        },
        Told::CardUnblocked {
            serial_tail: "0001".into(),
        },
        Told::CardResponse {
            serial_tail: "0001".into(),
            delivery: CardDelivery::Screen,
        },
        Told::CardResponse {
            serial_tail: "0001".into(),
            delivery: CardDelivery::Card,
        },
        Told::TotpReplayed,
        Told::RecoveryOpened,
        Told::ContactAdded {
            kind: ContactKind::Phone,
            masked: masked.clone(),
        },
        Told::ContactRemoved {
            kind: ContactKind::Email,
            masked,
        },
        Told::AuthenticatorAdded,
        Told::AuthenticatorReplaced,
        Told::AuthenticatorRemoved,
        Told::AnswersRegistered,
        Told::AnswersChanged,
    ];
    samples.into()
}

/// The longest event a notice can tell in `lang`, to size text messages by.
fn longest_what(lang: Lang) -> String {
    every_event()
        .iter()
        .map(|t| what(lang, t, true))
        .max_by_key(|w| w.chars().count())
        .unwrap_or_default()
}

/// What a notice tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Told {
    PasswordReset,
    AccountUnblocked,
    /// An emergency code, with its limits.
    EmergencyCode {
        uses: Option<u32>,
        until: Option<String>,
    },
    CardUnblocked {
        serial_tail: String,
    },
    CardResponse {
        serial_tail: String,
        delivery: CardDelivery,
    },
    TotpReplayed,
    RecoveryOpened,
    ContactAdded {
        kind: ContactKind,
        masked: String,
    },
    ContactRemoved {
        kind: ContactKind,
        masked: String,
    },
    AuthenticatorAdded,
    AuthenticatorReplaced,
    AuthenticatorRemoved,
    AnswersRegistered,
    AnswersChanged,
}

/// What happened, in `lang`; `brief` leaves out an emergency code's limits (text messages).
fn what(lang: Lang, t: &Told, brief: bool) -> String {
    use Lang::*;
    use Told::*;
    let phone = |kind: &ContactKind| *kind == ContactKind::Phone;
    match (t, lang) {
        (PasswordReset, En) => "Your password was reset".into(),
        (PasswordReset, De) => "Ihr Passwort wurde zurückgesetzt".into(),
        (PasswordReset, Fr) => "Votre mot de passe a été réinitialisé".into(),
        (PasswordReset, It) => "La tua password è stata reimpostata".into(),
        (AccountUnblocked, En) => "Your account was unblocked".into(),
        (AccountUnblocked, De) => "Ihr Konto wurde entsperrt".into(),
        (AccountUnblocked, Fr) => "Votre compte a été débloqué".into(),
        (AccountUnblocked, It) => "Il tuo account è stato sbloccato".into(),
        (EmergencyCode { uses, until }, _) => {
            let limits: Vec<String> = if brief {
                Vec::new()
            } else {
                [
                    uses.map(|u| match lang {
                        En => format!("{u} use(s)"),
                        De => format!("{u} Verwendung(en)"),
                        Fr => format!("{u} utilisation(s)"),
                        It => format!("{u} utilizzo/i"),
                    }),
                    until.as_ref().map(|d| match lang {
                        En => format!("valid until {d} UTC"),
                        De => format!("gültig bis {d} UTC"),
                        Fr => format!("valable jusqu'au {d} UTC"),
                        It => format!("valido fino al {d} UTC"),
                    }),
                ]
                .into_iter()
                .flatten()
                .collect()
            };
            let limits = if limits.is_empty() {
                String::new()
            } else {
                format!(" ({})", limits.join(", "))
            };
            match lang {
                En => format!("An emergency access code was issued for your account{limits}"),
                De => format!("Für Ihr Konto wurde ein Notfall-Zugangscode ausgestellt{limits}"),
                Fr => format!("Un code d'accès d'urgence a été émis pour votre compte{limits}"),
                It => format!(
                    "Per il tuo account è stato emesso un codice di accesso di emergenza{limits}"
                ),
            }
        }
        (CardUnblocked { serial_tail: s }, En) => {
            format!("The PIN of your smart card ending in {s} was unblocked")
        }
        (CardUnblocked { serial_tail: s }, De) => {
            format!("Die PIN Ihrer Smartcard mit der Endung {s} wurde entsperrt")
        }
        (CardUnblocked { serial_tail: s }, Fr) => {
            format!("Le PIN de votre carte à puce se terminant par {s} a été débloqué")
        }
        (CardUnblocked { serial_tail: s }, It) => {
            format!("Il PIN della tua smart card che termina con {s} è stato sbloccato")
        }
        (
            CardResponse {
                serial_tail: s,
                delivery,
            },
            _,
        ) => {
            let screen = *delivery == CardDelivery::Screen;
            match (lang, screen) {
                (En, true) => format!(
                    "A response to unblock your smart card ending in {s} was shown on screen"
                ),
                (En, false) => {
                    format!(
                        "A response to unblock your smart card ending in {s} was sent to the card"
                    )
                }
                (De, true) => {
                    format!("Ein Entsperrcode für Ihre Smartcard mit Endung {s} wurde angezeigt")
                }
                (De, false) => format!(
                    "Ein Entsperrcode für Ihre Smartcard mit Endung {s} wurde an die Karte gesendet"
                ),
                (Fr, true) => format!(
                    "Une réponse de déblocage de votre carte à puce (fin {s}) a été affichée"
                ),
                (Fr, false) => format!(
                    "Une réponse de déblocage a été écrite sur votre carte à puce (fin {s})"
                ),
                (It, true) => format!(
                    "Una risposta di sblocco per la tua smart card (fine {s}) è stata mostrata"
                ),
                (It, false) => format!(
                    "Una risposta di sblocco è stata scritta sulla tua smart card (fine {s})"
                ),
            }
        }
        (TotpReplayed, En) => {
            "A code from your authenticator app that was already used was entered again".into()
        }
        (TotpReplayed, De) => {
            "Ein bereits verwendeter Code Ihrer Authenticator-App wurde erneut eingegeben".into()
        }
        (TotpReplayed, Fr) => {
            "Un code déjà utilisé de votre application d'authentification a été saisi à nouveau"
                .into()
        }
        (TotpReplayed, It) => {
            "Un codice già usato della tua app di autenticazione è stato inserito di nuovo".into()
        }
        (RecoveryOpened, En) => "Your account recovery details were opened for changes".into(),
        (RecoveryOpened, De) => "Ihre Wiederherstellungsdaten wurden zur Änderung geöffnet".into(),
        (RecoveryOpened, Fr) => {
            "Vos informations de récupération ont été ouvertes pour modification".into()
        }
        (RecoveryOpened, It) => "I tuoi dati di recupero sono stati aperti per modifiche".into(),
        (ContactAdded { kind, masked: m }, _) | (ContactRemoved { kind, masked: m }, _) => {
            let added = matches!(t, ContactAdded { .. });
            match (lang, phone(kind), added) {
                (En, true, true) => {
                    format!("The phone number {m} was added to your account recovery details")
                }
                (En, true, false) => {
                    format!("The phone number {m} was removed from your account recovery details")
                }
                (En, false, true) => {
                    format!("The address {m} was added to your account recovery details")
                }
                (En, false, false) => {
                    format!("The address {m} was removed from your account recovery details")
                }
                (De, true, true) => format!(
                    "Die Telefonnummer {m} wurde zu Ihren Wiederherstellungsdaten hinzugefügt"
                ),
                (De, true, false) => format!(
                    "Die Telefonnummer {m} wurde aus Ihren Wiederherstellungsdaten entfernt"
                ),
                (De, false, true) => {
                    format!("Die Adresse {m} wurde zu Ihren Wiederherstellungsdaten hinzugefügt")
                }
                (De, false, false) => {
                    format!("Die Adresse {m} wurde aus Ihren Wiederherstellungsdaten entfernt")
                }
                (Fr, true, true) => {
                    format!("Le numéro {m} a été ajouté à vos informations de récupération")
                }
                (Fr, true, false) => {
                    format!("Le numéro {m} a été retiré de vos informations de récupération")
                }
                (Fr, false, true) => {
                    format!("L'adresse {m} a été ajoutée à vos informations de récupération")
                }
                (Fr, false, false) => {
                    format!("L'adresse {m} a été retirée de vos informations de récupération")
                }
                (It, true, true) => {
                    format!("Il numero {m} è stato aggiunto ai tuoi dati di recupero")
                }
                (It, true, false) => {
                    format!("Il numero {m} è stato rimosso dai tuoi dati di recupero")
                }
                (It, false, true) => {
                    format!("L'indirizzo {m} è stato aggiunto ai tuoi dati di recupero")
                }
                (It, false, false) => {
                    format!("L'indirizzo {m} è stato rimosso dai tuoi dati di recupero")
                }
            }
        }
        (AuthenticatorAdded, En) => "An authenticator app was added to your account".into(),
        (AuthenticatorAdded, De) => "Ihrem Konto wurde eine Authenticator-App hinzugefügt".into(),
        (AuthenticatorAdded, Fr) => {
            "Une application d'authentification a été ajoutée à votre compte".into()
        }
        (AuthenticatorAdded, It) => {
            "Al tuo account è stata aggiunta un'app di autenticazione".into()
        }
        (AuthenticatorReplaced, En) => "Your authenticator app was replaced by a new one".into(),
        (AuthenticatorReplaced, De) => {
            "Ihre Authenticator-App wurde durch eine neue ersetzt".into()
        }
        (AuthenticatorReplaced, Fr) => {
            "Votre application d'authentification a été remplacée par une nouvelle".into()
        }
        (AuthenticatorReplaced, It) => "La tua app di autenticazione è stata sostituita".into(),
        (AuthenticatorRemoved, En) => "Your authenticator app was removed".into(),
        (AuthenticatorRemoved, De) => "Ihre Authenticator-App wurde entfernt".into(),
        (AuthenticatorRemoved, Fr) => "Votre application d'authentification a été retirée".into(),
        (AuthenticatorRemoved, It) => "La tua app di autenticazione è stata rimossa".into(),
        (AnswersRegistered, En) => "Answers to security questions were registered".into(),
        (AnswersRegistered, De) => "Antworten auf Sicherheitsfragen wurden registriert".into(),
        (AnswersRegistered, Fr) => {
            "Des réponses aux questions de sécurité ont été enregistrées".into()
        }
        (AnswersRegistered, It) => {
            "Sono state registrate risposte alle domande di sicurezza".into()
        }
        (AnswersChanged, En) => "Your answers to security questions were changed".into(),
        (AnswersChanged, De) => "Ihre Antworten auf Sicherheitsfragen wurden geändert".into(),
        (AnswersChanged, Fr) => "Vos réponses aux questions de sécurité ont été modifiées".into(),
        (AnswersChanged, It) => {
            "Le tue risposte alle domande di sicurezza sono state modificate".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages_are_picked_in_order_and_fall_back_to_english() {
        assert_eq!(Lang::pick(&[Some("de-CH"), Some("fr")]), Lang::De);
        assert_eq!(Lang::pick(&[Some("es"), Some("it")]), Lang::It);
        assert_eq!(Lang::pick(&[None, Some("xx")]), Lang::En);
    }

    const LANGS: [Lang; 4] = [Lang::En, Lang::De, Lang::Fr, Lang::It];

    fn builtin_only(lang: Lang) -> Wording<'static> {
        static NONE: std::sync::LazyLock<Templates> = std::sync::LazyLock::new(Templates::new);
        Wording::new(lang, &NONE, "Kantonsspital Winterthur AG")
    }

    #[test]
    fn every_message_fits_and_speaks_the_language() {
        for lang in LANGS {
            let w = builtin_only(lang);
            let sms = w.code(ContactKind::Phone, "123456", 300);
            assert!(sms.starts_with("123456 "), "{sms}");
            assert_eq!(sms_parts(&sms), (SmsEncoding::Gsm7, 1), "{lang:?}: {sms}");
            let mail = w.code(ContactKind::Email, "12345678", 600);
            assert!(mail.starts_with("Subject: ") && mail.contains("12345678"));
            assert!(mail.contains("10"));
            // Every event, told by text message, stays in the GSM 7-bit alphabet.
            for told in every_event() {
                let n = w.notice(ContactKind::Phone, &told);
                assert_eq!(sms_parts(&n).0, SmsEncoding::Gsm7, "{lang:?}: {n}");
            }
            // Every notice by text message is one GSM 7-bit part, whatever it tells.
            let longest = builtin(Key::Notice, lang)
                .replace("{tenant}", "Kantonsspital Winterthur AG")
                .replace("{what}", &longest_what(lang));
            assert_eq!(
                sms_parts(&sms_safe(&longest)),
                (SmsEncoding::Gsm7, 1),
                "{lang:?}: {longest}"
            );
            // Each built-in template passes the checks a tenant's own must pass.
            let all: Templates = [(
                lang.as_str().to_owned(),
                Key::ALL
                    .iter()
                    .map(|k| (k.name().to_owned(), builtin(*k, lang).to_owned()))
                    .collect(),
            )]
            .into();
            assert_eq!(check_templates(&all, "Kantonsspital Winterthur AG"), Ok(()));
        }
        let de = builtin_only(Lang::De).code(ContactKind::Email, "12345678", 600);
        assert!(
            de.starts_with("Subject: Bestätigungscode von Kantonsspital Winterthur AG\n\n"),
            "{de}"
        );
        let n = builtin_only(Lang::De).notice(ContactKind::Email, &Told::PasswordReset);
        assert!(n.contains("Ihr Passwort wurde zurückgesetzt") && n.contains("Nicht Sie?"));
        let added = Told::ContactAdded {
            kind: ContactKind::Phone,
            masked: "+41 ••••••• 00".into(),
        };
        let n = builtin_only(Lang::Fr).notice(ContactKind::Email, &added);
        assert!(n.contains("Le numéro +41 ••••••• 00 a été ajouté"), "{n}");
        // By text message the mask is GSM 7-bit.
        let n = builtin_only(Lang::Fr).notice(ContactKind::Phone, &added);
        assert!(n.contains("+41 ******* 00"), "{n}");
    }

    #[test]
    fn the_owner_reads_notices_in_the_tenants_language() {
        let mut tenant = ea_store::tenants::Tenant {
            id: 1,
            slug: "acme".into(),
            name: "Acme".into(),
            default_country: None,
            lockout: Default::default(),
            session_lifetime_seconds: 900,
            password_policy: Default::default(),
            emergency_policy: Default::default(),
            limits: Default::default(),
            card_master_key: None,
            enrolment: None,
            help: Default::default(),
            language: Some("de".into()),
            listed: false,
            templates: Templates::new(),
        };
        let told = Told::PasswordReset;
        // The requester chose Italian: the SMS is German only, the e-mail German then Italian.
        let sms = owner_notice(&tenant, Some("it"), ContactKind::Phone, &told);
        assert!(
            sms.starts_with("Acme: Ihr Passwort wurde zurückgesetzt."),
            "{sms}"
        );
        let mail = owner_notice(&tenant, Some("it"), ContactKind::Email, &told);
        assert!(
            mail.starts_with("Subject: Sicherheitshinweis von Acme"),
            "{mail}"
        );
        let (de, it) = mail.split_once("\n---\n").expect("two languages");
        assert!(de.contains("Ihr Passwort wurde zurückgesetzt"), "{mail}");
        assert!(it.contains("La tua password è stata reimpostata") && !it.contains("Subject:"));
        // The same language once.
        let mail = owner_notice(&tenant, Some("de-CH"), ContactKind::Email, &told);
        assert!(!mail.contains("---"), "{mail}");
        // Without a tenant language: English first.
        tenant.language = None;
        let mail = owner_notice(&tenant, Some("fr"), ContactKind::Email, &told);
        assert!(mail.contains("Your password was reset") && mail.contains("Votre mot de passe"));
    }

    #[test]
    fn gsm_parts_are_counted_as_the_network_counts_them() {
        assert_eq!(sms_parts(&"a".repeat(160)), (SmsEncoding::Gsm7, 1));
        assert_eq!(sms_parts(&"a".repeat(161)), (SmsEncoding::Gsm7, 2));
        assert_eq!(sms_parts(&"a".repeat(306)), (SmsEncoding::Gsm7, 2));
        assert_eq!(sms_parts(&"a".repeat(307)), (SmsEncoding::Gsm7, 3));
        // The extension table's characters take two septets.
        assert_eq!(sms_parts(&"€".repeat(80)), (SmsEncoding::Gsm7, 1));
        assert_eq!(sms_parts(&"€".repeat(81)), (SmsEncoding::Gsm7, 2));
        assert_eq!(sms_parts("Zürich, Genève, Città"), (SmsEncoding::Gsm7, 1));
        // One character outside the alphabet makes it UCS-2: 70 to a part.
        assert_eq!(
            sms_parts(&format!("ç{}", "a".repeat(69))),
            (SmsEncoding::Ucs2, 1)
        );
        assert_eq!(
            sms_parts(&format!("•{}", "a".repeat(70))),
            (SmsEncoding::Ucs2, 2)
        );
    }

    #[test]
    fn a_tenants_wording_is_used_and_filled_once() {
        let own: Templates = toml::from_str(
            "[de]\nsms_code = \"Code {code} für {tenant}. Fragen? 044 555 00 00\"\n\
             notice_subject = \"Achtung, {tenant}\"\n",
        )
        .unwrap();
        let w = Wording::new(Lang::De, &own, "Acme {code}");
        // A value that looks like a placeholder is not filled again.
        assert_eq!(
            w.code(ContactKind::Phone, "123456", 300),
            "Code 123456 für Acme {code}. Fragen? 044 555 00 00"
        );
        let n = w.notice(ContactKind::Email, &Told::PasswordReset);
        assert!(n.starts_with("Subject: Achtung, Acme {code}\n\n"), "{n}");
        // The rest, and other languages, stay built-in.
        assert!(n.contains("Nicht Sie?"), "{n}");
        let en = Wording::new(Lang::En, &own, "Acme");
        assert!(
            en.code(ContactKind::Phone, "123456", 300)
                .contains("is your Acme")
        );
    }

    #[test]
    fn a_tenants_wording_is_checked_field_by_field() {
        let check = |toml_text: &str| {
            let t: Templates = toml::from_str(toml_text).unwrap();
            check_templates(&t, "Acme").map_err(|(f, r)| format!("{f}: {r}"))
        };
        let cases = [
            (
                "[es]\nsms_code = \"{code}\"",
                "templates.es: is not one of en, de, fr, it",
            ),
            (
                "[DE]\nsms_code = \"{code}\"",
                "templates.DE: is not one of en, de, fr, it",
            ),
            (
                "[de]\nsms = \"{code}\"",
                "templates.de.sms: is not one of sms_code,",
            ),
            (
                "[de]\nsms_code = \"Ihr Code\"",
                "templates.de.sms_code: must contain {code}",
            ),
            (
                "[de]\nsms_code = \"{code} {user}\"",
                "templates.de.sms_code: uses {user}, which is not one of {code}, {tenant}, {minutes}",
            ),
            (
                "[de]\nsms_code = \"{code\"",
                "templates.de.sms_code: has a \"{\" without its \"}\"",
            ),
            (
                "[de]\nsms_code = \"{code} }\"",
                "templates.de.sms_code: has a \"}\" without its \"{\"",
            ),
            (
                "[de]\nemail_code_subject = \"Code {code}\"",
                "templates.de.email_code_subject: uses {code}, which is not one of {tenant}, {minutes}",
            ),
            (
                "[de]\nnotice_subject = \"a\\nb\"",
                "templates.de.notice_subject: must be one line",
            ),
            ("[de]\nnotice = \"   \"", "templates.de.notice: is empty"),
            (
                "[de]\ninvitation_body = \"{code}\"",
                "templates.de.invitation_body: must contain {link}",
            ),
            ("[fr]\nsms_code = \"{code} ça\"", ""),
        ];
        for (text, want) in cases {
            match check(text) {
                Err(e) => assert!(!want.is_empty() && e.starts_with(want), "{text}: {e}"),
                Ok(()) => assert!(want.is_empty(), "{text}: accepted"),
            }
        }
        // Text messages stay one part with the tenant's name, in GSM 7-bit.
        let long = format!("[en]\nsms_code = \"{{code}} {}\"", "x".repeat(152));
        assert!(
            check(&long).unwrap_err().contains("2 parts"),
            "{:?}",
            check(&long)
        );
        let ucs = format!("[fr]\nsms_code = \"{{code}} ça {}\"", "x".repeat(70));
        let e = check(&ucs).unwrap_err();
        assert!(
            e.contains("\"ç\" are outside the GSM 7-bit alphabet"),
            "{e}"
        );
        let notice = format!("[en]\nnotice = \"{{what}} {}\"", "x".repeat(120));
        assert!(
            check(&notice)
                .unwrap_err()
                .starts_with("templates.en.notice: makes a text message of 2 parts")
        );
    }
}

//! What messages say, in the language the person chose in the app (or the tenant's default):
//! codes by text message and e-mail, notices ("Not you?") and invitations, in English, German,
//! French and Italian. E-mails are written `Subject: …` + blank line + body, split again by the
//! transport.

use ea_api::{CardDelivery, ContactKind};

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

/// A one-time code's message. Short enough for one SMS; the code comes first so phones can offer
/// to copy it.
pub fn code(lang: Lang, kind: ContactKind, tenant: &str, code: &str, ttl_seconds: i64) -> String {
    let minutes = (ttl_seconds + 59) / 60;
    match (kind, lang) {
        (ContactKind::Phone, Lang::En) => format!(
            "{code} is your {tenant} verification code. It expires in {minutes} min. Did not ask for it? Ignore this message."
        ),
        (ContactKind::Phone, Lang::De) => format!(
            "{code} ist Ihr Bestätigungscode von {tenant}. Gültig {minutes} Min. Nicht angefordert? Ignorieren Sie diese Nachricht."
        ),
        (ContactKind::Phone, Lang::Fr) => format!(
            "{code} est votre code de vérification {tenant}. Il expire dans {minutes} min. Pas demandé ? Ignorez ce message."
        ),
        (ContactKind::Phone, Lang::It) => format!(
            "{code} è il tuo codice di verifica {tenant}. Scade tra {minutes} min. Non richiesto? Ignora questo messaggio."
        ),
        (ContactKind::Email, Lang::En) => format!(
            "Subject: {tenant} verification code\n\n\
             Your verification code is: {code}\n\n\
             It expires in {minutes} minutes and works once.\n\n\
             If you did not ask for this code, someone may be trying to reset your access: \
             do not share it, and tell your IT help desk.\n"
        ),
        (ContactKind::Email, Lang::De) => format!(
            "Subject: Bestätigungscode von {tenant}\n\n\
             Ihr Bestätigungscode lautet: {code}\n\n\
             Er ist {minutes} Minuten gültig und funktioniert einmal.\n\n\
             Wenn Sie diesen Code nicht angefordert haben, versucht möglicherweise jemand, Ihren \
             Zugang zurückzusetzen: Geben Sie ihn nicht weiter und informieren Sie Ihren \
             IT-Helpdesk.\n"
        ),
        (ContactKind::Email, Lang::Fr) => format!(
            "Subject: Code de vérification {tenant}\n\n\
             Votre code de vérification est : {code}\n\n\
             Il expire dans {minutes} minutes et ne sert qu'une fois.\n\n\
             Si vous n'avez pas demandé ce code, quelqu'un essaie peut-être de réinitialiser votre \
             accès : ne le communiquez pas et prévenez votre support informatique.\n"
        ),
        (ContactKind::Email, Lang::It) => format!(
            "Subject: Codice di verifica {tenant}\n\n\
             Il tuo codice di verifica è: {code}\n\n\
             Scade tra {minutes} minuti e vale una sola volta.\n\n\
             Se non hai richiesto questo codice, qualcuno potrebbe tentare di reimpostare il tuo \
             accesso: non condividerlo e avvisa il tuo help desk IT.\n"
        ),
    }
}

/// An invitation to enrol: the code, what to do with it, and the link that opens the app at
/// enrolment for this user (the link never carries the code).
pub fn invitation(
    lang: Lang,
    tenant: &str,
    username: &str,
    code: &str,
    link: &str,
    days: i64,
) -> String {
    match lang {
        Lang::En => format!(
            "Subject: {tenant}: set up your account recovery\n\n\
             You are invited to set up how you can recover access to your {tenant} account \
             \"{username}\" by yourself, should you ever lose your password or smart card PIN.\n\n\
             Open Emergency Access, choose \"Set up recovery\", and type your username and this \
             enrolment code:\n\n    {code}\n\n\
             Or open this link on your computer: {link}\n\n\
             The code works once and expires in {days} day(s). If you did not expect this message, \
             tell your IT help desk.\n"
        ),
        Lang::De => format!(
            "Subject: {tenant}: Richten Sie Ihre Kontowiederherstellung ein\n\n\
             Sie sind eingeladen festzulegen, wie Sie den Zugang zu Ihrem {tenant}-Konto \
             \"{username}\" selbst wiederherstellen können, falls Sie Ihr Passwort oder die PIN \
             Ihrer Smartcard einmal verlieren.\n\n\
             Öffnen Sie Emergency Access, wählen Sie \"Wiederherstellung einrichten\" und geben Sie \
             Ihren Benutzernamen und diesen Registrierungscode ein:\n\n    {code}\n\n\
             Oder öffnen Sie diesen Link auf Ihrem Computer: {link}\n\n\
             Der Code funktioniert einmal und läuft in {days} Tag(en) ab. Wenn Sie diese Nachricht \
             nicht erwartet haben, informieren Sie Ihren IT-Helpdesk.\n"
        ),
        Lang::Fr => format!(
            "Subject: {tenant} : configurez la récupération de votre compte\n\n\
             Vous êtes invité à définir comment récupérer vous-même l'accès à votre compte \
             {tenant} \"{username}\", si vous perdez un jour votre mot de passe ou le PIN de votre \
             carte à puce.\n\n\
             Ouvrez Emergency Access, choisissez \"Configurer la récupération\" et saisissez votre \
             nom d'utilisateur et ce code d'inscription :\n\n    {code}\n\n\
             Ou ouvrez ce lien sur votre ordinateur : {link}\n\n\
             Le code ne sert qu'une fois et expire dans {days} jour(s). Si vous n'attendiez pas ce \
             message, prévenez votre support informatique.\n"
        ),
        Lang::It => format!(
            "Subject: {tenant}: configura il recupero del tuo account\n\n\
             Sei invitato a stabilire come recuperare da solo l'accesso al tuo account {tenant} \
             \"{username}\", se un giorno perdessi la password o il PIN della smart card.\n\n\
             Apri Emergency Access, scegli \"Configura il recupero\" e inserisci il tuo nome utente \
             e questo codice di registrazione:\n\n    {code}\n\n\
             Oppure apri questo link sul tuo computer: {link}\n\n\
             Il codice vale una sola volta e scade tra {days} giorno/i. Se non ti aspettavi questo \
             messaggio, avvisa il tuo help desk IT.\n"
        ),
    }
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

fn what(lang: Lang, t: &Told) -> String {
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
            let limits: Vec<String> = [
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
            .collect();
            let limits = limits.join(", ");
            match lang {
                En => format!("An emergency access code was issued for your account ({limits})"),
                De => format!("Für Ihr Konto wurde ein Notfall-Zugangscode ausgestellt ({limits})"),
                Fr => format!("Un code d'accès d'urgence a été émis pour votre compte ({limits})"),
                It => format!(
                    "È stato emesso un codice di accesso di emergenza per il tuo account ({limits})"
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
                (De, true) => format!(
                    "Eine Antwort zum Entsperren Ihrer Smartcard mit der Endung {s} wurde am Bildschirm angezeigt"
                ),
                (De, false) => format!(
                    "Eine Antwort zum Entsperren Ihrer Smartcard mit der Endung {s} wurde an die Karte gesendet"
                ),
                (Fr, true) => format!(
                    "Une réponse pour débloquer votre carte à puce se terminant par {s} a été affichée à l'écran"
                ),
                (Fr, false) => format!(
                    "Une réponse pour débloquer votre carte à puce se terminant par {s} a été envoyée à la carte"
                ),
                (It, true) => format!(
                    "Una risposta per sbloccare la tua smart card che termina con {s} è stata mostrata sullo schermo"
                ),
                (It, false) => format!(
                    "Una risposta per sbloccare la tua smart card che termina con {s} è stata inviata alla carta"
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

/// A notice: what happened, and "Not you?"; for an e-mail with its subject line.
pub fn notice(lang: Lang, kind: ContactKind, tenant: &str, told: &Told) -> String {
    let w = what(lang, told);
    let text = match lang {
        Lang::En => format!(
            "{tenant}: {w} through Emergency Access. Not you? Call your IT help desk immediately."
        ),
        Lang::De => format!(
            "{tenant}: {w} (über Emergency Access). Nicht Sie? Rufen Sie sofort Ihren IT-Helpdesk an."
        ),
        Lang::Fr => format!(
            "{tenant} : {w} (via Emergency Access). Ce n'est pas vous ? Appelez immédiatement votre support informatique."
        ),
        Lang::It => format!(
            "{tenant}: {w} (tramite Emergency Access). Non sei stato tu? Chiama subito il tuo help desk IT."
        ),
    };
    match kind {
        ContactKind::Phone => text,
        ContactKind::Email => {
            let subject = match lang {
                Lang::En => format!("{tenant} security notice"),
                Lang::De => format!("Sicherheitshinweis von {tenant}"),
                Lang::Fr => format!("Avis de sécurité {tenant}"),
                Lang::It => format!("Avviso di sicurezza {tenant}"),
            };
            format!("Subject: {subject}\n\n{text}\n")
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

    #[test]
    fn every_message_fits_and_speaks_the_language() {
        for lang in [Lang::En, Lang::De, Lang::Fr, Lang::It] {
            let sms = code(lang, ContactKind::Phone, "Acme", "123456", 300);
            assert!(sms.starts_with("123456 "), "{sms}");
            assert!(
                sms.chars().count() <= 160,
                "{lang:?}: {} characters",
                sms.len()
            );
            let mail = code(lang, ContactKind::Email, "Acme", "12345678", 600);
            assert!(mail.starts_with("Subject: ") && mail.contains("12345678"));
            assert!(mail.contains("10"));
        }
        let de = code(Lang::De, ContactKind::Email, "Acme", "12345678", 600);
        assert!(
            de.starts_with("Subject: Bestätigungscode von Acme\n\n"),
            "{de}"
        );
        let n = notice(Lang::De, ContactKind::Email, "Acme", &Told::PasswordReset);
        assert!(n.contains("Ihr Passwort wurde zurückgesetzt") && n.contains("Nicht Sie?"));
        let n = notice(
            Lang::Fr,
            ContactKind::Phone,
            "Acme",
            &Told::ContactAdded {
                kind: ContactKind::Phone,
                masked: "+41 ••••••• 00".into(),
            },
        );
        assert!(n.contains("Le numéro +41 ••••••• 00 a été ajouté"), "{n}");
    }
}

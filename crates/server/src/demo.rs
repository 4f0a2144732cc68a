//! The `demo` tenant: the shipped flows and three users who together cover every flow, with
//! authenticator secrets derived from the key-encryption key so they stay the same across runs.

use crate::admin;
use crate::admin_actions;
use crate::keys::Keys;
use crate::token::SessionToken;
use ea_core::answers::HashCost;
use ea_core::contact::keyed_digest;
use ea_core::totp::{TotpParams, otpauth_uri};
use ea_store::{Store, tenants};
use std::fmt::Write;

pub const FLOWS: [(&str, &str); 3] = [
    (
        "flows/sms-totp.toml",
        include_str!("../../../flows/sms-totp.toml"),
    ),
    (
        "flows/email-questions.toml",
        include_str!("../../../flows/email-questions.toml"),
    ),
    (
        "flows/totp-only.toml",
        include_str!("../../../flows/totp-only.toml"),
    ),
];

struct DemoUser {
    username: &'static str,
    display_name: &'static str,
    phone: Option<&'static str>,
    email: Option<&'static str>,
    questions: &'static [(&'static str, &'static str)],
    totp: bool,
}

const QUESTIONS: &[(&str, &str)] = &[
    ("What was the name of your first pet?", "Rex"),
    ("In which city were you born?", "Zürich"),
    ("What was the name of your first school?", "Hillside"),
];

const USERS: [DemoUser; 3] = [
    DemoUser {
        username: "alice",
        display_name: "Alice Demo",
        phone: Some("+41 79 555 01 01"),
        email: Some("alice@demo.example"),
        questions: QUESTIONS,
        totp: true,
    },
    DemoUser {
        username: "bob",
        display_name: "Bob Demo",
        phone: None,
        email: Some("bob@demo.example"),
        questions: QUESTIONS,
        totp: false,
    },
    DemoUser {
        username: "carol",
        display_name: "Carol Demo",
        phone: Some("+41 79 555 03 03"),
        email: None,
        questions: &[],
        totp: true,
    },
];

/// What the demo tenant's users enrol: enough for both of its two-step flows.
pub const ENROLMENT_PROFILE: &str = r#"
[phones]
required = 1
max = 2
[emails]
required = 1
max = 2
[authenticator]
required = true
[questions]
required = 2
own_questions = true
min_answer_length = 3
catalogue = [
  "What was the name of your first pet?",
  "In which city were you born?",
  "What was the name of your first school?",
  "What is the name of the street you grew up on?",
]
"#;

/// The demo tenant's policy: the defaults, and whom to contact when no way fits.
pub const POLICY: &str = r#"
[help]
en = "Call the demo IT service desk on +41 44 555 00 00, weekdays 7:00-19:00."
de = "Rufen Sie den Demo-IT-Servicedesk an: +41 44 555 00 00, werktags 7-19 Uhr."
fr = "Appelez le service informatique de démonstration au +41 44 555 00 00, en semaine de 7 h à 19 h."
it = "Chiama l'help desk IT demo al +41 44 555 00 00, nei giorni feriali dalle 7 alle 19."
"#;

/// The fresh user the demo invites to enrol, and where the invitation goes.
pub const INVITED_USER: &str = "dana";
pub const INVITED_EMAIL: &str = "dana@demo.example";

/// The demo card: bound to alice, AES-128, with a published test key. The virtual card of the
/// card tests and demo answers to this serial and key.
pub const CARD_SERIAL: &str = "EA5EC0DE00000001";
pub const CARD_KEY_HEX: &str = "404142434445464748494A4B4C4D4E4F";
/// carol's card, for the QR path: it is in no reader; vSEC:CMS (or `ea-scan --make`) shows its
/// serial and a challenge as a QR code.
pub const QR_CARD_SERIAL: &str = "EA5EC0DE00000003";
pub const QR_CARD_KEY_HEX: &str = "606162636465666768696A6B6C6D6E6F";

/// The demo relying party's API key: stable for one key-encryption key.
pub fn relying_party_key(keys: &Keys) -> String {
    let d = keyed_digest(keys.kek.derive("demo-rp").as_ref(), &["demo-portal"]);
    format!(
        "{}{}",
        crate::token::RELYING_PARTY_KEY_PREFIX,
        hex::encode(&d[..16])
    )
}

/// The demo user's authenticator secret: stable for one key-encryption key.
pub fn totp_secret(keys: &Keys, username: &str) -> Vec<u8> {
    keyed_digest(keys.kek.derive("demo-totp").as_ref(), &[username])[..20].to_vec()
}

/// Creates or refreshes the demo tenant; returns the text to show the person running it.
pub async fn setup(
    store: &Store,
    keys: &Keys,
    cost: HashCost,
    codes_file: &str,
    invite: bool,
) -> anyhow::Result<String> {
    let tenant = match tenants::by_slug(store.db(), "demo").await? {
        Some(t) => t,
        None => admin::add_tenant(store, "demo", "Emergency Access Demo", Some("41"), 15).await?,
    };
    for (name, text) in FLOWS {
        admin::import_flow_text(store, &tenant, name, text).await?;
    }
    let mut entries = Vec::new();
    for u in &USERS {
        let secret = data_encoding::BASE32_NOPAD.encode(&totp_secret(keys, u.username));
        entries.push(serde_json::json!({
            "username": u.username,
            "display_name": u.display_name,
            "phones": u.phone.into_iter().collect::<Vec<_>>(),
            "emails": u.email.into_iter().collect::<Vec<_>>(),
            "questions": u.questions.iter().map(|(q, a)| serde_json::json!({"question": q, "answer": a})).collect::<Vec<_>>(),
            "totp": u.totp.then(|| serde_json::json!({"secret": secret})),
        }));
    }
    let text = serde_json::json!({ "users": entries }).to_string();
    admin::import_users_text(store, &tenant, keys, cost, "demo users", &text).await?;
    admin_actions::set_user_flag(store, &tenant, "bob", "blocked", true).await?;
    let cards = serde_json::json!({ "cards": [{
        "serial": CARD_SERIAL, "username": "alice", "profile": "iso7816", "algorithm": "aes128", "key": CARD_KEY_HEX
    }, {
        "serial": QR_CARD_SERIAL, "username": "carol", "profile": "iso7816", "algorithm": "aes128", "key": QR_CARD_KEY_HEX
    }]});
    admin_actions::import_cards(store, &tenant, keys, "demo cards", &cards.to_string()).await?;
    let rp_key = relying_party_key(keys);
    if ea_store::emergency::relying_party_by_key(store.db(), &SessionToken::hash_of(&rp_key))
        .await?
        .is_none()
    {
        admin_actions::add_relying_party(store, &tenant, "demo-portal", Some(rp_key.clone()))
            .await?;
    }

    admin_actions::set_policies(store, &tenant, "demo policy", POLICY).await?;
    tenants::set_listed(store.db(), tenant.id, true).await?;
    admin_actions::set_enrolment_profile(
        store,
        &tenant,
        "demo enrolment profile",
        ENROLMENT_PROFILE,
    )
    .await?;
    let tenant = admin::tenant_by_slug(store, "demo").await?;
    let state = crate::state::AppState::production(store.clone(), keys.clone(), Default::default());
    let invited = if invite {
        let days = crate::enrolment::INVITATION_DAYS;
        let res = crate::enrolment::invite(
            &state,
            &tenant,
            false,
            INVITED_USER,
            Some(INVITED_EMAIL),
            None,
            days,
        );
        Some(res.await)
    } else {
        None
    };
    let invitation = match invited {
        None => "Enrolment profile set; `ea-server invite USER --tenant demo` invites a user."
            .to_owned(),
        Some(Ok(i)) => format!(
            "{INVITED_USER} is invited to enrol (\"Set up recovery\" in the app): enrolment code {}, \
             also sent to {INVITED_EMAIL} (in {codes_file}); further codes go there too.",
            &*i.code
        ),
        Some(Err(e)) => format!("{INVITED_USER} could not be invited again just now: {e}"),
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        "Demo tenant \"demo\" is ready with flows: sms-totp, email-questions, totp-only."
    );
    let _ = writeln!(out, "{invitation}");
    let _ = writeln!(
        out,
        "Codes sent by SMS or email are written to {codes_file}."
    );
    let _ = writeln!(
        out,
        "bob's account is blocked in the built-in directory (the unblock_user action clears it)."
    );
    let _ = writeln!(
        out,
        "Smart card of alice: serial {CARD_SERIAL}, profile iso7816, AES-128 admin key {CARD_KEY_HEX}."
    );
    let _ = writeln!(
        out,
        "Smart card of carol (for the QR path): serial {QR_CARD_SERIAL}, AES-128 admin key {QR_CARD_KEY_HEX}."
    );
    let _ = writeln!(
        out,
        "Relying party demo-portal validates emergency codes with the API key {rp_key}\n"
    );
    for u in &USERS {
        let _ = writeln!(out, "  {} ({})", u.username, u.display_name);
        if let Some(p) = u.phone {
            let _ = writeln!(out, "    phone:         {p}");
        }
        if let Some(e) = u.email {
            let _ = writeln!(out, "    email:         {e}");
        }
        for (q, a) in u.questions {
            let _ = writeln!(out, "    question:      {q} -> {a}");
        }
        if u.totp {
            let uri = otpauth_uri(
                "Emergency Access Demo",
                &format!("demo:{}", u.username),
                &totp_secret(keys, u.username),
                TotpParams::default(),
            );
            let _ = writeln!(out, "    authenticator: {uri}");
        }
    }
    Ok(out)
}

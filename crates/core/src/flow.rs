//! Flow definitions: which methods a tenant's users go through, in which order, with which
//! settings, and which actions a completed flow permits.
//!
//! Flows are written by administrators as TOML files (see `flows/`). [`FlowDefinition::from_toml`]
//! parses and validates one, and every refusal names the file, the field and the reason, because
//! the person reading it is fixing a file by hand.

use crate::action::Action;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Languages every flow must name itself in.
pub const LANGUAGES: [&str; 4] = ["en", "de", "fr", "it"];

/// Longest code lifetime accepted: DESIGN caps one-time codes at ten minutes.
pub const MAX_CODE_TTL_SECONDS: u32 = 600;

/// Texts per language an organisation writes (a flow's description, whom to contact): only the
/// supported languages, each 1 to `max` characters without control characters; `Err((field,
/// reason))` names the first that is not.
pub fn check_texts(
    texts: BTreeMap<String, String>,
    field: &str,
    max: usize,
) -> Result<BTreeMap<String, String>, (String, String)> {
    let mut out = BTreeMap::new();
    for (lang, text) in texts {
        let at = format!("{field}.{lang}");
        if !LANGUAGES.contains(&lang.as_str()) {
            return Err((
                at,
                format!("unsupported language; use {}", LANGUAGES.join(", ")),
            ));
        }
        let t = text.trim();
        if t.is_empty() || t.chars().count() > max {
            return Err((at, format!("must be 1 to {max} characters")));
        }
        if t.chars().any(char::is_control) {
            return Err((at, "contains control characters".into()));
        }
        out.insert(lang, t.to_owned());
    }
    Ok(out)
}

/// A validated flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowDefinition {
    pub id: String,
    pub names: BTreeMap<String, String>,
    pub steps: Vec<Step>,
    pub actions: Vec<Action>,
    /// The organisation's own words about the flow, per language (optional, any of them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub description: BTreeMap<String, String>,
}

pub use ea_api::Method;

/// One step of a flow with its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Step {
    SmsOtp(OtpSettings),
    EmailOtp(OtpSettings),
    Questions(QuestionSettings),
    Totp(TotpSettings),
}

impl Step {
    pub fn method(&self) -> Method {
        match self {
            Step::SmsOtp(_) => Method::SmsOtp,
            Step::EmailOtp(_) => Method::EmailOtp,
            Step::Questions(_) => Method::Questions,
            Step::Totp(_) => Method::Totp,
        }
    }
}

/// Settings of an SMS or email one-time-code step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpSettings {
    #[serde(default = "defaults::code_length")]
    pub code_length: u8,
    #[serde(default = "defaults::ttl_seconds")]
    pub ttl_seconds: u32,
    #[serde(default = "defaults::max_attempts")]
    pub max_attempts: u32,
    #[serde(default = "defaults::resend_cooldown_seconds")]
    pub resend_cooldown_seconds: u32,
    #[serde(default = "defaults::max_resends")]
    pub max_resends: u32,
}

/// Settings of a verification-questions step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionSettings {
    #[serde(default = "defaults::question_count")]
    pub count: u32,
    #[serde(default = "defaults::max_failures")]
    pub max_failures: u32,
}

/// Settings of an authenticator (TOTP) step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotpSettings {
    /// Accepted steps either side of the current one (0 or 1).
    #[serde(default = "defaults::totp_window")]
    pub window: u32,
}

mod defaults {
    pub fn code_length() -> u8 {
        6
    }
    pub fn ttl_seconds() -> u32 {
        300
    }
    pub fn max_attempts() -> u32 {
        3
    }
    pub fn resend_cooldown_seconds() -> u32 {
        60
    }
    pub fn max_resends() -> u32 {
        3
    }
    pub fn question_count() -> u32 {
        3
    }
    pub fn max_failures() -> u32 {
        3
    }
    pub fn totp_window() -> u32 {
        1
    }
}

/// Why a flow file was refused: which file, which field, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowError {
    pub file: String,
    pub field: String,
    pub reason: String,
}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}: {}", self.file, self.field, self.reason)
    }
}

impl std::error::Error for FlowError {}

/// A TOML file that does not parse into what it should: the field it names (an unknown or
/// missing one), else the line, with the parser's reason.
pub(crate) fn parse_error(file: &str, text: &str, e: &toml::de::Error) -> FlowError {
    let reason = e.message().to_owned();
    let line = e.span().map(|sp| {
        format!(
            "line {}",
            text[..sp.start.min(text.len())].lines().count().max(1)
        )
    });
    let field = unknown_field_name(&reason)
        .or(line)
        .unwrap_or_else(|| "(file)".to_owned());
    FlowError {
        file: file.to_owned(),
        field,
        reason,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFlow {
    id: Option<String>,
    name: Option<BTreeMap<String, String>>,
    steps: Option<Vec<toml::Table>>,
    actions: Option<Vec<String>>,
    description: Option<BTreeMap<String, String>>,
}

impl FlowDefinition {
    /// Parses and validates a flow file. `file` is only used to name the file in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<FlowDefinition, FlowError> {
        let err = |field: &str, reason: String| FlowError {
            file: file.to_owned(),
            field: field.to_owned(),
            reason,
        };
        let raw: RawFlow = toml::from_str(text).map_err(|e| parse_error(file, text, &e))?;

        let id = raw.id.ok_or_else(|| err("id", "is missing".into()))?;
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(err(
                "id",
                format!("{id:?} must be 1 to 64 characters of a-z, 0-9, '-' or '_'"),
            ));
        }

        let names = raw.name.ok_or_else(|| err("name", "is missing".into()))?;
        for lang in LANGUAGES {
            match names.get(lang) {
                Some(n) if !n.trim().is_empty() && n.chars().count() <= 120 => {}
                Some(_) => {
                    return Err(err(
                        &format!("name.{lang}"),
                        "must be 1 to 120 characters".into(),
                    ));
                }
                None => return Err(err(&format!("name.{lang}"), "is missing".into())),
            }
        }
        if let Some(extra) = names.keys().find(|k| !LANGUAGES.contains(&k.as_str())) {
            return Err(err(
                &format!("name.{extra}"),
                format!("unsupported language; use {}", LANGUAGES.join(", ")),
            ));
        }

        let raw_steps = raw.steps.ok_or_else(|| err("steps", "is missing".into()))?;
        if raw_steps.is_empty() {
            return Err(err("steps", "must list at least one step".into()));
        }
        let mut steps: Vec<Step> = Vec::with_capacity(raw_steps.len());
        for (i, table) in raw_steps.into_iter().enumerate() {
            let at = |f: &str| format!("steps[{i}].{f}");
            let step = parse_step(table, &at).map_err(|(field, reason)| err(&field, reason))?;
            if steps.iter().any(|s| s.method() == step.method()) {
                return Err(err(
                    &at("method"),
                    format!(
                        "duplicate step: {} already appears earlier",
                        step.method().as_str()
                    ),
                ));
            }
            steps.push(step);
        }

        let raw_actions = raw
            .actions
            .ok_or_else(|| err("actions", "is missing".into()))?;
        let mut actions = Vec::new();
        for (i, a) in raw_actions.iter().enumerate() {
            let action: Action = a.parse().map_err(|_| {
                err(
                    &format!("actions[{i}]"),
                    format!(
                        "unknown action {a:?}; expected one of {}",
                        Action::all()
                            .map(Action::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
            if actions.contains(&action) {
                return Err(err(
                    &format!("actions[{i}]"),
                    format!("duplicate action {a:?}"),
                ));
            }
            actions.push(action);
        }
        if actions.is_empty() {
            return Err(err("actions", "must permit at least one action".into()));
        }
        if steps.iter().all(|s| s.method() == Method::Questions) {
            return Err(err(
                "steps",
                "verification questions cannot be the only factor of a flow that permits an action; \
                 add an SMS, email or authenticator step"
                    .into(),
            ));
        }

        let description = check_texts(raw.description.unwrap_or_default(), "description", 300)
            .map_err(|(field, reason)| err(&field, reason))?;
        Ok(FlowDefinition {
            id,
            names,
            steps,
            actions,
            description,
        })
    }

    /// The flow's name in `lang`, falling back to English.
    pub fn name(&self, lang: &str) -> &str {
        self.names
            .get(lang)
            .or_else(|| self.names.get("en"))
            .map(String::as_str)
            .unwrap_or(&self.id)
    }
}

fn parse_step(
    mut table: toml::Table,
    at: &dyn Fn(&str) -> String,
) -> Result<Step, (String, String)> {
    let method = match table.remove("method") {
        Some(toml::Value::String(m)) => m,
        Some(_) => return Err((at("method"), "must be a string".into())),
        None => return Err((at("method"), "is missing".into())),
    };
    let settings = toml::Value::Table(table);
    let bad = |e: toml::de::Error| {
        let reason = e.message().to_owned();
        let field = unknown_field_name(&reason).unwrap_or_else(|| "(settings)".to_owned());
        (at(&field), reason)
    };
    let step = match method.as_str() {
        "sms_otp" | "email_otp" => {
            let s: OtpSettings = settings.try_into().map_err(bad)?;
            if !(4..=10).contains(&s.code_length) {
                return Err((at("code_length"), "must be between 4 and 10".into()));
            }
            if s.ttl_seconds == 0 || s.ttl_seconds > MAX_CODE_TTL_SECONDS {
                return Err((
                    at("ttl_seconds"),
                    format!(
                        "must be between 1 and {MAX_CODE_TTL_SECONDS} (codes live at most 10 minutes)"
                    ),
                ));
            }
            if s.max_attempts == 0 {
                return Err((at("max_attempts"), "must be at least 1".into()));
            }
            if s.max_attempts > 10 {
                return Err((at("max_attempts"), "must be at most 10".into()));
            }
            if s.resend_cooldown_seconds > 3600 {
                return Err((at("resend_cooldown_seconds"), "must be at most 3600".into()));
            }
            if s.max_resends > 10 {
                return Err((at("max_resends"), "must be at most 10".into()));
            }
            if method == "sms_otp" {
                Step::SmsOtp(s)
            } else {
                Step::EmailOtp(s)
            }
        }
        "questions" => {
            let s: QuestionSettings = settings.try_into().map_err(bad)?;
            if s.count == 0 || s.count > 10 {
                return Err((at("count"), "must be between 1 and 10".into()));
            }
            if s.max_failures == 0 || s.max_failures > 10 {
                return Err((at("max_failures"), "must be between 1 and 10".into()));
            }
            Step::Questions(s)
        }
        "totp" => {
            let s: TotpSettings = settings.try_into().map_err(bad)?;
            if s.window > 1 {
                return Err((
                    at("window"),
                    "must be 0 or 1 (steps either side of now)".into(),
                ));
            }
            Step::Totp(s)
        }
        other => {
            return Err((
                at("method"),
                format!("unknown method {other:?}; expected sms_otp, email_otp, questions or totp"),
            ));
        }
    };
    Ok(step)
}

/// Pulls the field name out of serde's "unknown field `x`" / "missing field `x`" messages.
fn unknown_field_name(message: &str) -> Option<String> {
    if !(message.starts_with("unknown field") || message.starts_with("missing field")) {
        return None;
    }
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    Some(message[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "sms-totp"
actions = ["reset_password", "emergency_code"]
[name]
en = "Text message, then authenticator"
de = "SMS, dann Authenticator"
fr = "SMS, puis authentificateur"
it = "SMS, poi autenticatore"
[[steps]]
method = "sms_otp"
code_length = 8
[[steps]]
method = "totp"
"#;

    fn with(replace: &str, by: &str) -> String {
        assert!(GOOD.contains(replace), "fixture lacks {replace:?}");
        GOOD.replacen(replace, by, 1)
    }

    #[test]
    fn parses_a_good_flow_with_defaults() {
        let f = FlowDefinition::from_toml("f.toml", GOOD).expect("valid");
        assert_eq!(f.id, "sms-totp");
        assert_eq!(f.steps.len(), 2);
        match &f.steps[0] {
            Step::SmsOtp(s) => {
                assert_eq!(s.code_length, 8);
                assert_eq!(s.resend_cooldown_seconds, 60);
                assert_eq!(s.ttl_seconds, 300);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            f.actions,
            vec![Action::ResetPassword, Action::EmergencyCode]
        );
        assert_eq!(f.name("de"), "SMS, dann Authenticator");
        assert_eq!(f.name("xx"), "Text message, then authenticator");
    }

    #[test]
    fn refusals_name_file_field_and_reason() {
        let questions_only = with(
            "method = \"sms_otp\"\ncode_length = 8\n[[steps]]\nmethod = \"totp\"",
            "method = \"questions\"",
        );
        let cases: Vec<(String, &str, &str)> = vec![
            (
                with("method = \"totp\"", "method = \"carrier_pigeon\""),
                "steps[1].method",
                "unknown method",
            ),
            (
                with("method = \"totp\"", "method = \"sms_otp\""),
                "steps[1].method",
                "duplicate step",
            ),
            (
                with("code_length = 8", "max_attempts = 0"),
                "steps[0].max_attempts",
                "at least 1",
            ),
            (
                with("code_length = 8", "ttl_seconds = 90000"),
                "steps[0].ttl_seconds",
                "at most 10 minutes",
            ),
            (
                with("code_length = 8", "ttl_seconds = 601"),
                "steps[0].ttl_seconds",
                "between 1 and 600",
            ),
            (
                with("code_length = 8", "code_length = 3"),
                "steps[0].code_length",
                "between 4 and 10",
            ),
            (
                with("code_length = 8", "colour = 3"),
                "steps[0].colour",
                "unknown field",
            ),
            (
                with("code_length = 8", "code_length = \"six\""),
                "steps[0].(settings)",
                "invalid type",
            ),
            (
                with("\"emergency_code\"", "\"launch_rocket\""),
                "actions[1]",
                "unknown action",
            ),
            (
                with("\"emergency_code\"", "\"reset_password\""),
                "actions[1]",
                "duplicate action",
            ),
            (
                with("[\"reset_password\", \"emergency_code\"]", "[]"),
                "actions",
                "at least one",
            ),
            (
                with("it = \"SMS, poi autenticatore\"", ""),
                "name.it",
                "missing",
            ),
            (
                with("it = \"SMS, poi autenticatore\"", "it = \"x\"\nxx = \"y\""),
                "name.xx",
                "unsupported language",
            ),
            (
                with("id = \"sms-totp\"", "id = \"Bad Id\""),
                "id",
                "must be 1 to 64",
            ),
            (with("id = \"sms-totp\"", ""), "id", "missing"),
            (
                with("method = \"totp\"", "method = \"totp\"\nwindow = 2"),
                "steps[1].window",
                "0 or 1",
            ),
            (
                with("id = \"sms-totp\"", "id = \"x\"\nowner = \"bob\""),
                "owner",
                "unknown field",
            ),
            (questions_only, "steps", "only factor"),
            ("id = \"x\"\n[[steps]\n".to_owned(), "line 2", "unclosed"),
        ];
        for (text, field, reason) in cases {
            let e = FlowDefinition::from_toml("flows/bad.toml", &text)
                .expect_err(&format!("should refuse for {field}"));
            assert_eq!(e.file, "flows/bad.toml");
            assert_eq!(e.field, field, "{e}");
            assert!(e.reason.contains(reason), "{e} should mention {reason:?}");
            assert!(e.to_string().starts_with("flows/bad.toml: "));
        }
    }

    #[test]
    fn shipped_flow_files_are_valid() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../flows");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).expect("flows/ exists") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let text = std::fs::read_to_string(&path).expect("readable");
                let flow = FlowDefinition::from_toml(&path.display().to_string(), &text)
                    .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    path.file_stem().and_then(|s| s.to_str()),
                    Some(flow.id.as_str()),
                    "file name matches id"
                );
                seen += 1;
            }
        }
        assert!(seen >= 3);
    }

    #[test]
    fn a_description_is_the_organisations_words_in_supported_languages() {
        let base = "id = \"f\"\nactions = [\"unblock_user\"]\n[name]\nen = \"F\"\nde = \"F\"\nfr = \"F\"\nit = \"F\"\n[[steps]]\nmethod = \"totp\"\n";
        let ok = FlowDefinition::from_toml(
            "f.toml",
            &format!("{base}[description]\nen = \" When you are locked out. \"\n"),
        )
        .expect("valid");
        assert_eq!(
            ok.description.get("en").map(String::as_str),
            Some("When you are locked out.")
        );
        let bad =
            FlowDefinition::from_toml("f.toml", &format!("{base}[description]\nes = \"Hola\"\n"))
                .expect_err("refused");
        assert!(
            bad.to_string()
                .starts_with("f.toml: description.es: unsupported language"),
            "{bad}"
        );
        let long = "x".repeat(301);
        let bad =
            FlowDefinition::from_toml("f.toml", &format!("{base}[description]\nen = \"{long}\"\n"))
                .expect_err("refused");
        assert!(
            bad.to_string()
                .contains("description.en: must be 1 to 300 characters"),
            "{bad}"
        );
    }
}

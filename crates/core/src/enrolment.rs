//! Enrolment: what a tenant asks its users to register (the enrolment profile, a TOML file
//! validated with file, field and reason like flows), what a user still lacks against it, and the
//! rules answers to verification questions must meet before they are saved.

use crate::answers;
use crate::flow::{FlowError, parse_error};
use serde::{Deserialize, Serialize};

/// Most contacts of one kind a profile may ask for or allow.
pub const MAX_CONTACTS: u32 = 10;
/// Most answers a profile may ask for.
pub const MAX_QUESTIONS: u32 = 10;
/// Longest question text.
pub const MAX_QUESTION_CHARS: usize = 200;
/// Longest minimum answer length a profile may set.
pub const MAX_MIN_ANSWER: u32 = 64;

/// How many of one kind of contact a user registers: at least `required`, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContactCount {
    pub required: u32,
    pub max: u32,
}

impl Default for ContactCount {
    fn default() -> ContactCount {
        ContactCount {
            required: 0,
            max: 3,
        }
    }
}

/// Whether an authenticator app is required.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthenticatorRule {
    pub required: bool,
}

/// Verification questions: how many answers, from which catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct QuestionRules {
    /// Answers a user registers.
    pub required: u32,
    /// The tenant's questions to choose from.
    pub catalogue: Vec<String>,
    /// Whether users may also write questions of their own.
    pub own_questions: bool,
    /// Shortest answer accepted, in characters after normalisation.
    pub min_answer_length: u32,
}

impl Default for QuestionRules {
    fn default() -> QuestionRules {
        QuestionRules {
            required: 0,
            catalogue: Vec::new(),
            own_questions: false,
            min_answer_length: 3,
        }
    }
}

/// What a tenant asks its users to register.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EnrolmentProfile {
    pub phones: ContactCount,
    pub emails: ContactCount,
    pub authenticator: AuthenticatorRule,
    pub questions: QuestionRules,
}

/// What a user has registered (counts only: never the values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Enrolled {
    pub phones: usize,
    pub emails: usize,
    pub authenticator: bool,
    pub questions: usize,
}

/// What a user still lacks against a profile.
pub use ea_api::MissingFactor as Missing;

impl EnrolmentProfile {
    /// Parses and validates a profile file. `file` is only used to name the file in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<EnrolmentProfile, FlowError> {
        let p: EnrolmentProfile = toml::from_str(text).map_err(|e| parse_error(file, text, &e))?;
        p.validate(file)?;
        Ok(p)
    }

    fn validate(&self, file: &str) -> Result<(), FlowError> {
        let err = |field: &str, reason: String| FlowError {
            file: file.to_owned(),
            field: field.to_owned(),
            reason,
        };
        for (name, c) in [("phones", self.phones), ("emails", self.emails)] {
            if c.max > MAX_CONTACTS {
                return Err(err(
                    &format!("{name}.max"),
                    format!("at most {MAX_CONTACTS}"),
                ));
            }
            if c.required > c.max {
                return Err(err(
                    &format!("{name}.required"),
                    format!("more than {name}.max ({})", c.max),
                ));
            }
        }
        let q = &self.questions;
        if q.required > MAX_QUESTIONS {
            return Err(err(
                "questions.required",
                format!("at most {MAX_QUESTIONS}"),
            ));
        }
        if !(1..=MAX_MIN_ANSWER).contains(&q.min_answer_length) {
            return Err(err(
                "questions.min_answer_length",
                format!("from 1 to {MAX_MIN_ANSWER}"),
            ));
        }
        let mut seen: Vec<String> = Vec::new();
        for (i, text) in q.catalogue.iter().enumerate() {
            let field = format!("questions.catalogue[{i}]");
            let trimmed = text.trim();
            if trimmed.is_empty() || trimmed.chars().count() > MAX_QUESTION_CHARS {
                return Err(err(
                    &field,
                    format!("a question of 1 to {MAX_QUESTION_CHARS} characters"),
                ));
            }
            if trimmed.chars().any(char::is_control) {
                return Err(err(&field, "contains control characters".into()));
            }
            let key = answers::normalize(trimmed).to_string();
            if seen.contains(&key) {
                return Err(err(&field, "the same question twice".into()));
            }
            seen.push(key);
        }
        if !q.own_questions && q.required as usize > q.catalogue.len() {
            return Err(err(
                "questions.required",
                format!(
                    "{} answers need at least as many questions in questions.catalogue (it has \
                     {}), or own_questions = true",
                    q.required,
                    q.catalogue.len()
                ),
            ));
        }
        let asks = self.phones.required + self.emails.required + q.required;
        if asks == 0 && !self.authenticator.required {
            return Err(err(
                "(file)",
                "asks for nothing: require at least one phone, address, authenticator or answer"
                    .into(),
            ));
        }
        Ok(())
    }

    /// What `have` still lacks.
    pub fn missing(&self, have: &Enrolled) -> Vec<Missing> {
        let short = |required: u32, has: usize| required.saturating_sub(has as u32);
        let mut v = Vec::new();
        if let n @ 1.. = short(self.phones.required, have.phones) {
            v.push(Missing::Phones { needed: n });
        }
        if let n @ 1.. = short(self.emails.required, have.emails) {
            v.push(Missing::Emails { needed: n });
        }
        if self.authenticator.required && !have.authenticator {
            v.push(Missing::Authenticator);
        }
        if let n @ 1.. = short(self.questions.required, have.questions) {
            v.push(Missing::Questions { needed: n });
        }
        v
    }
}

/// Why an answer is refused.
pub use ea_api::AnswerProblem;

/// Letters and digits only, for comparing an answer with a contact.
fn alnum(s: &str) -> String {
    s.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// Checks each answer (by its index in `answers`): long enough, not the username, not one of
/// `contacts` (written any way: `079 123 45 67` is `+41791234567`), not another answer; all
/// compared after the normalisation answers are stored with.
pub fn check_answers(
    answers: &[&str],
    username: &str,
    contacts: &[&str],
    min_len: u32,
) -> Vec<(usize, AnswerProblem)> {
    let normal: Vec<String> = answers
        .iter()
        .map(|a| answers::normalize(a).to_string())
        .collect();
    let user = answers::normalize(username).to_string();
    let contacts: Vec<String> = contacts
        .iter()
        .map(|c| alnum(&answers::normalize(c)))
        .collect();
    let mut problems = Vec::new();
    for (i, a) in normal.iter().enumerate() {
        let letters = alnum(a);
        let problem = if (a.chars().count() as u32) < min_len {
            Some(AnswerProblem::TooShort { min: min_len })
        } else if *a == user || letters == alnum(&user) {
            Some(AnswerProblem::EqualsUsername)
        } else if contacts.iter().any(|c| {
            !letters.is_empty()
                && (*c == letters
                    // A phone number written nationally: its digits end the stored form's.
                    || (letters.len() >= 6
                        && letters.chars().all(|ch| ch.is_ascii_digit())
                        && c.ends_with(letters.trim_start_matches('0'))))
        }) {
            Some(AnswerProblem::EqualsContact)
        } else {
            normal[..i]
                .iter()
                .position(|b| b == a)
                .map(|other| AnswerProblem::SameAs { other })
        };
        if let Some(p) = problem {
            problems.push((i, p));
        }
    }
    problems
}

impl Enrolled {
    /// Whether a user with these factors can go through every step of `flow`.
    pub fn can_complete(&self, flow: &crate::FlowDefinition) -> bool {
        flow.steps.iter().all(|step| match step {
            crate::flow::Step::SmsOtp(_) => self.phones > 0,
            crate::flow::Step::EmailOtp(_) => self.emails > 0,
            crate::flow::Step::Questions(q) => self.questions >= q.count as usize,
            crate::flow::Step::Totp(_) => self.authenticator,
        })
    }

    /// The count of `factor` (the authenticator as 0 or 1).
    pub fn count(&self, factor: ea_api::Factor) -> usize {
        match factor {
            ea_api::Factor::Phone => self.phones,
            ea_api::Factor::Email => self.emails,
            ea_api::Factor::Authenticator => usize::from(self.authenticator),
            ea_api::Factor::Questions => self.questions,
        }
    }
}

/// Why a change from `before` to `after` that takes away `factor` is refused: the first flow
/// (by its name in `lang`, else its id) that the user could complete before and no longer
/// could, or `None` with the profile when it asks for more than is left. `Ok` when nothing
/// needs what is taken away.
pub fn check_removal(
    profile: &EnrolmentProfile,
    flows: &[crate::FlowDefinition],
    before: &Enrolled,
    after: &Enrolled,
    factor: ea_api::Factor,
) -> Result<(), Option<String>> {
    for flow in flows {
        if before.can_complete(flow) && !after.can_complete(flow) {
            let name = flow
                .names
                .get("en")
                .cloned()
                .unwrap_or_else(|| flow.id.clone());
            return Err(Some(name));
        }
    }
    let required = match factor {
        ea_api::Factor::Phone => profile.phones.required as usize,
        ea_api::Factor::Email => profile.emails.required as usize,
        ea_api::Factor::Authenticator => usize::from(profile.authenticator.required),
        ea_api::Factor::Questions => profile.questions.required as usize,
    };
    let (had, has) = (before.count(factor), after.count(factor));
    if has < had && has < required {
        return Err(None);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> String {
        EnrolmentProfile::from_toml("p.toml", text)
            .expect_err("refused")
            .to_string()
    }

    const GOOD: &str = r#"
        [phones]
        required = 1
        [emails]
        required = 1
        max = 2
        [authenticator]
        required = true
        [questions]
        required = 2
        catalogue = ["What was the name of your first pet?", "In which city were you born?"]
    "#;

    #[test]
    fn a_profile_is_read_and_what_a_user_lacks_follows() {
        let p = EnrolmentProfile::from_toml("p.toml", GOOD).expect("valid");
        assert_eq!(
            p.phones,
            ContactCount {
                required: 1,
                max: 3
            }
        );
        assert_eq!(p.questions.min_answer_length, 3);
        let none = Enrolled::default();
        assert_eq!(
            p.missing(&none),
            vec![
                Missing::Phones { needed: 1 },
                Missing::Emails { needed: 1 },
                Missing::Authenticator,
                Missing::Questions { needed: 2 },
            ]
        );
        let all = Enrolled {
            phones: 2,
            emails: 1,
            authenticator: true,
            questions: 2,
        };
        assert!(p.missing(&all).is_empty());
    }

    #[test]
    fn bad_profiles_name_the_file_field_and_reason() {
        let table = [
            (
                "[phones]\nrequired = 4\nmax = 3\n",
                "p.toml: phones.required: more than phones.max (3)",
            ),
            (
                "[emails]\nmax = 11\nrequired = 1\n",
                "p.toml: emails.max: at most 10",
            ),
            (
                "[questions]\nrequired = 3\ncatalogue = [\"A?\"]\n",
                "p.toml: questions.required: 3 answers need",
            ),
            (
                "[questions]\nrequired = 1\ncatalogue = [\"A?\", \" a? \"]\n",
                "p.toml: questions.catalogue[1]: the same question twice",
            ),
            (
                "[questions]\nrequired = 1\ncatalogue = [\"\"]\n",
                "p.toml: questions.catalogue[0]: a question of 1 to 200",
            ),
            (
                "[questions]\nrequired = 1\nown_questions = true\nmin_answer_length = 0\n",
                "p.toml: questions.min_answer_length: from 1 to 64",
            ),
            ("[phones]\nmax = 2\n", "p.toml: (file): asks for nothing"),
            ("[phone]\nrequired = 1\n", "p.toml: phone: unknown field"),
            ("[phones]\nrequired = \"one\"\n", "p.toml: line"),
        ];
        for (text, want) in table {
            let got = refused(text);
            assert!(got.starts_with(want), "{text:?}: {got}");
        }
    }

    #[test]
    fn answers_are_refused_for_each_rule() {
        let contacts = ["+41791234567", "alice@example.org"];
        let check = |answers: &[&str]| check_answers(answers, "alice", &contacts, 3);
        assert!(check(&["Rex", "Zürich", "Hillside"]).is_empty());
        assert_eq!(
            check(&["Rx"]),
            vec![(0, AnswerProblem::TooShort { min: 3 })]
        );
        assert_eq!(check(&["ALICE"]), vec![(0, AnswerProblem::EqualsUsername)]);
        assert_eq!(
            check(&[" Alice "]),
            vec![(0, AnswerProblem::EqualsUsername)]
        );
        assert_eq!(
            check(&["alice@Example.org"]),
            vec![(0, AnswerProblem::EqualsContact)]
        );
        assert_eq!(
            check(&["079 123 45 67"]),
            vec![(0, AnswerProblem::EqualsContact)]
        );
        assert_eq!(
            check(&["+41 79 123 45 67"]),
            vec![(0, AnswerProblem::EqualsContact)]
        );
        assert_eq!(
            check(&["Rex", "Zürich", "REX"]),
            vec![(2, AnswerProblem::SameAs { other: 0 })]
        );
        // Full-width letters are the same answer once normalised.
        assert_eq!(
            check(&["Rex", "Ｒｅｘ"]),
            vec![(1, AnswerProblem::SameAs { other: 0 })]
        );
        // A short number that merely ends a phone number is an answer like any other.
        assert!(check(&["4567"]).is_empty());
    }

    #[test]
    fn removing_what_a_flow_needs_is_refused_with_the_flow() {
        let flow = |file: &str| {
            let path = format!("{}/../../flows/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).expect("flow file");
            crate::FlowDefinition::from_toml(file, &text).expect("valid flow")
        };
        let flows = [flow("sms-totp.toml"), flow("email-questions.toml")];
        let p = EnrolmentProfile::from_toml("p.toml", "[emails]\nrequired = 1\n").expect("valid");
        let both = Enrolled {
            phones: 1,
            emails: 1,
            authenticator: true,
            questions: 2,
        };
        use ea_api::Factor;
        // The last phone: the text-message flow could be completed, and no longer could.
        let no_phone = Enrolled { phones: 0, ..both };
        assert_eq!(
            check_removal(&p, &flows, &both, &no_phone, Factor::Phone),
            Err(Some("Text message and authenticator app".into()))
        );
        // A second phone may go.
        let two = Enrolled { phones: 2, ..both };
        assert_eq!(
            check_removal(&p, &flows, &two, &both, Factor::Phone),
            Ok(())
        );
        // Two answers are needed by the questions flow; one left is refused.
        let one_answer = Enrolled {
            questions: 1,
            ..both
        };
        assert!(check_removal(&p, &flows, &both, &one_answer, Factor::Questions).is_err());
        // The authenticator is needed by no flow the user could not complete anyway...
        let no_phone_no_totp = Enrolled {
            authenticator: false,
            ..no_phone
        };
        assert_eq!(
            check_removal(
                &p,
                &flows,
                &no_phone,
                &no_phone_no_totp,
                Factor::Authenticator
            ),
            Ok(())
        );
        // ...but the profile's required address is.
        let flows_none: [crate::FlowDefinition; 0] = [];
        let no_email = Enrolled { emails: 0, ..both };
        assert_eq!(
            check_removal(&p, &flows_none, &both, &no_email, Factor::Email),
            Err(None)
        );
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "factor", rename_all = "snake_case")]
pub enum Missing {
    Phones { needed: u32 },
    Emails { needed: u32 },
    Authenticator,
    Questions { needed: u32 },
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "problem", rename_all = "snake_case")]
pub enum AnswerProblem {
    /// Shorter than `min` characters.
    TooShort { min: u32 },
    /// The username, which anyone may know.
    EqualsUsername,
    /// One of the user's own phone numbers or addresses, which a caller can see masked.
    EqualsContact,
    /// The same as the answer at `other`.
    SameAs { other: usize },
}

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
}

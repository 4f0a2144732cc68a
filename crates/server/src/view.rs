//! Maps an engine session to the wire view a client draws its screen from.

use ea_api::{
    FlowSummary, MaskedContact, OtpStepView, QuestionView, QuestionsStepView, SessionView,
    StepView, TotpStepView,
};
use ea_core::contact::{self, ContactKind};
use ea_core::flow::{FlowDefinition, Step};
use ea_core::session::{StepProgress, Subject, VerificationSession};

pub fn summary(f: &FlowDefinition) -> FlowSummary {
    FlowSummary {
        id: f.id.clone(),
        names: f.names.clone(),
        methods: f.steps.iter().map(|s| s.method()).collect(),
        actions: f.actions.clone(),
        description: f.description.clone(),
    }
}

pub fn masked_contacts(subject: &Subject, kind: ContactKind) -> Vec<MaskedContact> {
    subject
        .contacts(kind)
        .iter()
        .enumerate()
        .map(|(i, c)| MaskedContact {
            id: i as u32,
            masked: contact::mask(kind, c),
        })
        .collect()
}

pub fn session_view(
    s: &VerificationSession,
    flows: &[FlowDefinition],
    subject: &Subject,
    help: &std::collections::BTreeMap<String, String>,
    now: i64,
) -> SessionView {
    let offered = flows
        .iter()
        .filter(|f| s.offered_flows.contains(&f.id))
        .map(summary)
        .collect();
    let step = if s.status == ea_core::SessionStatus::InProgress {
        s.current_step().map(|st| step_view(s, st, subject))
    } else {
        None
    };
    SessionView {
        status: s.status,
        expires_at: s.expires_at,
        server_time: now,
        flows: offered,
        flow_id: s.flow.as_ref().map(|f| f.id.clone()),
        step_index: s.step_index as u32,
        step_count: s.flow.as_ref().map_or(0, |f| f.steps.len() as u32),
        step,
        actions: s.permitted_actions().to_vec(),
        help: help.clone(),
    }
}

fn step_view(s: &VerificationSession, step: &Step, subject: &Subject) -> StepView {
    match (step, &s.progress) {
        (Step::SmsOtp(o) | Step::EmailOtp(o), Some(StepProgress::Otp { contact, code, .. })) => {
            let kind = if matches!(step, Step::SmsOtp(_)) {
                ContactKind::Phone
            } else {
                ContactKind::Email
            };
            let resend = s.resend_status();
            let v = OtpStepView {
                contacts: masked_contacts(subject, kind),
                confirmed_contact: contact.map(|c| c as u32),
                code_sent: code.is_some(),
                code_length: o.code_length,
                code_expires_at: code.as_ref().map(|c| c.expires_at),
                attempts_left: code.as_ref().map(|c| c.attempts_left),
                resend_available_at: resend.map(|r| r.0),
                resends_left: resend.map(|r| r.1),
            };
            if kind == ContactKind::Phone {
                StepView::SmsOtp(v)
            } else {
                StepView::EmailOtp(v)
            }
        }
        (
            Step::Questions(q),
            Some(StepProgress::Questions {
                question_ids,
                failures,
            }),
        ) => StepView::Questions(QuestionsStepView {
            questions: question_ids
                .iter()
                .enumerate()
                .map(|(i, id)| QuestionView {
                    id: i as i64,
                    text: subject
                        .questions
                        .iter()
                        .find(|q| q.id == *id)
                        .map(|q| q.text.clone())
                        .unwrap_or_default(),
                })
                .collect(),
            tries_left: q.max_failures.saturating_sub(*failures),
        }),
        (Step::Totp(_), progress) => StepView::Totp(TotpStepView {
            resync_required: matches!(
                progress,
                Some(StepProgress::Totp {
                    resync_required: true
                })
            ),
            digits: subject.totp.as_ref().map_or(6, |t| t.params.digits),
        }),
        // Progress always matches the step; an empty totp view is the harmless fallback.
        _ => StepView::Totp(TotpStepView {
            resync_required: false,
            digits: 6,
        }),
    }
}

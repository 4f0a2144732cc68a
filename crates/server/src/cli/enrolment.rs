//! `ea-server enrolment …`: what a tenant's users register when they enrol.

use super::{Ctx, read};
use clap::Subcommand;
use std::path::PathBuf;

#[derive(Subcommand, Debug)]
pub enum EnrolmentCmd {
    /// Set the tenant's enrolment profile from a TOML file: [phones] and [emails] (required,
    /// max), [authenticator] (required), [questions] (required, catalogue, own_questions,
    /// min_answer_length).
    Profile { slug: String, file: PathBuf },
}

impl EnrolmentCmd {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        let EnrolmentCmd::Profile { slug, file } = self;
        let text = read(&file)?;
        let (store, t) = ctx.tenant(&slug).await?;
        let p = ea_server::admin_actions::set_enrolment_profile(
            &store,
            &t,
            &file.display().to_string(),
            &text,
        )
        .await?;
        println!(
            "enrolment profile of {}: {} phone(s), {} address(es), authenticator {}, {} answer(s) \
             from {} question(s)",
            t.slug,
            p.phones.required,
            p.emails.required,
            if p.authenticator.required {
                "required"
            } else {
                "optional"
            },
            p.questions.required,
            p.questions.catalogue.len()
        );
        Ok(())
    }
}

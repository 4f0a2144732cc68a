//! `ea-server invite USER --tenant SLUG`: an invitation to enrol, sent through the outbox.

use super::{Ctx, TenantArg};
use clap::Args;
use ea_server::enrolment::{self, INVITATION_DAYS};
use ea_server::state::AppState;

#[derive(Args, Debug)]
pub struct InviteArgs {
    /// The user to invite (created without factors if the tenant has no directory and no such
    /// user).
    username: String,
    #[command(flatten)]
    tenant: TenantArg,
    /// Where the invitation goes; by default the user's first address.
    #[arg(long)]
    email: Option<String>,
    /// The invitation's language (en, de, fr, it); by default the tenant's.
    #[arg(long)]
    language: Option<String>,
    /// Days the enrolment code works.
    #[arg(long, default_value_t = INVITATION_DAYS)]
    valid_days: i64,
    /// Also print the enrolment code here, to hand it over in person.
    #[arg(long)]
    show_code: bool,
}

impl InviteArgs {
    pub async fn run(self, ctx: &Ctx) -> anyhow::Result<()> {
        if let Some(l) = &self.language
            && ea_server::dispatch::text::Lang::parse(l).is_none()
        {
            anyhow::bail!("--language: {l:?} is not one of en, de, fr, it");
        }
        let (store, t) = ctx.tenant(&self.tenant.slug).await?;
        let keys = ctx.keys(&store, false).await?;
        let has_directory = ctx.config.directories.contains_key(&t.slug);
        let state = AppState::production(store, keys, ctx.config.dispatch.clone())
            .with_limits(ctx.config.limits.clone());
        let invited = enrolment::invite(
            &state,
            &t,
            has_directory,
            &self.username,
            self.email.as_deref(),
            self.language.as_deref(),
            self.valid_days,
        )
        .await?;
        if invited.created {
            println!("user {} created in {}", self.username.trim(), t.slug);
        }
        println!(
            "invitation for {} sent to {} (the running server delivers it); it expires {} UTC",
            self.username.trim(),
            invited.to,
            ea_server::clock::utc(invited.expires_at)
        );
        if self.show_code {
            println!("enrolment code: {}", &*invited.code);
        }
        Ok(())
    }
}

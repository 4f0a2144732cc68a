//! Enrolment commands: the user registers their own recovery factors. The enrolment token stays
//! in the client; the authenticator's secret is shown once (as text and as a QR code made here)
//! and kept nowhere.

use crate::error::ErrorCode;
use crate::state::Desktop;
use ea_api::endpoints as e;
use ea_api::*;
use serde::Serialize;
use tauri::State;
use ts_rs::TS;

type Result<T> = std::result::Result<T, ErrorCode>;

#[tauri::command]
pub async fn enrol_start(
    d: State<'_, Desktop>,
    username: String,
    code: String,
    language: Option<String>,
) -> Result<EnrolmentView> {
    let c = d.client().await?;
    let req = StartEnrolmentRequest {
        tenant: d.settings().await.tenant,
        username,
        code,
        language,
    };
    c.start_enrolment::<e::StartEnrolment>(Some(&req)).await
}

/// Starts an enrolment with the user's directory password (kept only for this request).
#[tauri::command]
pub async fn enrol_start_with_password(
    d: State<'_, Desktop>,
    username: String,
    password: String,
    language: Option<String>,
) -> Result<EnrolmentView> {
    let c = d.client().await?;
    let mut req = StartEnrolmentWithPasswordRequest {
        tenant: d.settings().await.tenant,
        username,
        password,
        language,
    };
    let out = c
        .start_enrolment::<e::StartEnrolmentWithPassword>(Some(&req))
        .await;
    zeroize::Zeroize::zeroize(&mut req.password);
    out
}

#[tauri::command]
pub async fn enrol_after_verification(d: State<'_, Desktop>) -> Result<EnrolmentView> {
    let c = d.client().await?;
    c.start_enrolment::<e::EnrolAfterVerification>(None).await
}

#[tauri::command]
pub async fn enrol_get(d: State<'_, Desktop>) -> Result<EnrolmentView> {
    d.client().await?.fetch::<e::GetEnrolment>().await
}

#[tauri::command]
pub async fn enrol_end(d: State<'_, Desktop>) -> Result<()> {
    d.client().await?.end_enrolment().await;
    Ok(())
}

#[tauri::command]
pub async fn enrol_confirm_address(d: State<'_, Desktop>, code: String) -> Result<EnrolmentView> {
    let req = EnrolmentCodeRequest { code };
    d.client()
        .await?
        .call::<e::ConfirmEnrolmentAddress>(&req)
        .await
}

#[tauri::command]
pub async fn enrol_resend(d: State<'_, Desktop>) -> Result<EnrolmentView> {
    d.client().await?.fetch::<e::ResendEnrolmentCode>().await
}

#[tauri::command]
pub async fn enrol_add_contact(
    d: State<'_, Desktop>,
    kind: ContactKind,
    value: String,
) -> Result<EnrolmentView> {
    let req = AddContactRequest { kind, value };
    d.client().await?.call::<e::AddContact>(&req).await
}

#[tauri::command]
pub async fn enrol_confirm_contact(d: State<'_, Desktop>, code: String) -> Result<EnrolmentView> {
    let req = EnrolmentCodeRequest { code };
    d.client().await?.call::<e::ConfirmNewContact>(&req).await
}

#[tauri::command]
pub async fn enrol_remove_contact(
    d: State<'_, Desktop>,
    kind: ContactKind,
    id: u32,
) -> Result<EnrolmentView> {
    let req = RemoveContactRequest { kind, id };
    d.client().await?.call::<e::RemoveContact>(&req).await
}

/// A new authenticator secret for the screen: as text for typing, and as a QR code (SVG) that
/// authenticator apps read. Wiped from memory when dropped, never printed.
#[derive(Serialize, TS)]
pub struct AuthenticatorQr {
    #[ts(type = "string")]
    pub secret: zeroize::Zeroizing<String>,
    #[ts(type = "string")]
    pub qr_svg: zeroize::Zeroizing<String>,
    pub digits: u32,
    pub period: u64,
}

impl std::fmt::Debug for AuthenticatorQr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticatorQr")
            .field("digits", &self.digits)
            .finish_non_exhaustive()
    }
}

#[tauri::command]
pub async fn enrol_begin_authenticator(d: State<'_, Desktop>) -> Result<AuthenticatorQr> {
    let setup = d.client().await?.fetch::<e::BeginAuthenticator>().await?;
    let uri = zeroize::Zeroizing::new(setup.uri);
    let qr_svg = ea_scan::qr::svg(&uri).map_err(|_| ErrorCode::Internal {})?;
    Ok(AuthenticatorQr {
        secret: zeroize::Zeroizing::new(setup.secret),
        qr_svg: zeroize::Zeroizing::new(qr_svg),
        digits: setup.digits,
        period: setup.period,
    })
}

#[tauri::command]
pub async fn enrol_confirm_authenticator(
    d: State<'_, Desktop>,
    code: String,
) -> Result<EnrolmentView> {
    let req = EnrolmentCodeRequest { code };
    d.client()
        .await?
        .call::<e::ConfirmAuthenticator>(&req)
        .await
}

#[tauri::command]
pub async fn enrol_remove_authenticator(d: State<'_, Desktop>) -> Result<EnrolmentView> {
    d.client().await?.fetch::<e::RemoveAuthenticator>().await
}

#[tauri::command]
pub async fn enrol_set_answers(
    d: State<'_, Desktop>,
    answers: Vec<NewAnswer>,
) -> Result<EnrolmentView> {
    let req = SetAnswersRequest { answers };
    let out = d.client().await?.call::<e::SetAnswers>(&req).await;
    let mut req = req;
    for a in &mut req.answers {
        zeroize::Zeroize::zeroize(&mut a.answer);
    }
    out
}

//! The OpenAPI document, generated from the handlers' annotations and the wire types.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "Emergency Access verification API", description = "Verify a user's identity through their tenant's flow, then act."),
    paths(
        super::sessions::start, super::sessions::state, super::sessions::choose_flow, super::sessions::contacts,
        super::sessions::confirm_contact, super::sessions::resend, super::sessions::verify_code,
        super::sessions::answer_questions, super::sessions::verify_totp, super::sessions::resync_totp,
        super::sessions::actions, super::sessions::health,
        super::actions::password_policy, super::actions::reset_password, super::actions::unblock_user,
        super::actions::emergency_code_limits, super::actions::emergency_code,
        super::actions::card_cryptogram, super::actions::card_result, super::relying::validate,
    ),
    modifiers(&SessionAuth)
)]
pub struct ApiDoc;

#[derive(Debug)]
struct SessionAuth;

impl Modify for SessionAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "relying_party",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A relying party's API key (ea_rp_...)"))
                    .build(),
            ),
        );
    }
}

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

//! The OpenAPI document, built from the endpoint declarations of `ea_api::endpoints`: each
//! operation's request and response schemas, its success status, and every status its refusals
//! can have (with the codes behind each), so the document cannot describe another API than the
//! one the router serves.

use super::error::status;
use axum::Json;
use ea_api::ErrorCode;
use ea_api::endpoints::{self, Auth, Endpoint, EndpointInfo, HttpMethod, all_errors};
use std::collections::BTreeMap;
use utoipa::openapi::path::{OperationBuilder, PathItem, PathsBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{
    ComponentsBuilder, Content, InfoBuilder, OpenApi, OpenApiBuilder, Ref, Required,
    ResponseBuilder,
};

/// Where the document is served (it does not describe itself).
pub const PATH: &str = "/v1/openapi.json";

const JSON: &str = "application/json";

/// Every status `e` can answer, with the codes behind each refusal.
pub fn statuses(e: &EndpointInfo) -> BTreeMap<u16, Vec<&'static str>> {
    let mut m: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    m.entry(e.ok).or_default();
    // Readiness answers 503, with its body, while anything it needs does not answer.
    if e.path == endpoints::Ready::INFO.path {
        m.entry(503).or_default();
    }
    for kind in all_errors(e) {
        m.entry(status(kind).as_u16())
            .or_default()
            .push(kind.as_str());
    }
    m
}

fn operation(e: &EndpointInfo) -> utoipa::openapi::path::Operation {
    let mut op = OperationBuilder::new()
        .operation_id(Some(e.id))
        .summary(Some(e.summary.trim()));
    if let Some(req) = &e.request {
        let body = RequestBodyBuilder::new()
            .content(
                JSON,
                Content::new(Some(Ref::from_schema_name((req.name)()))),
            )
            .required(Some(Required::True))
            .build();
        op = op.request_body(Some(body));
    }
    for (code, errors) in statuses(e) {
        let (schema, description) = if errors.is_empty() {
            ((e.response.name)(), "Success".to_owned())
        } else {
            let codes: Vec<String> = errors.iter().map(|c| format!("`{c}`")).collect();
            ("ErrorCode".to_owned(), codes.join(", "))
        };
        let response = ResponseBuilder::new()
            .description(description)
            .content(JSON, Content::new(Some(Ref::from_schema_name(schema))))
            .build();
        op = op.response(code.to_string(), response);
    }
    // Schemes in one requirement are all needed (the client key only where the server is
    // configured to ask for one).
    let schemes: &[&str] = match e.auth {
        Auth::Public => &[],
        Auth::Client => &["client_key"],
        Auth::Session => &["session", "client_key"],
        Auth::Enrolment => &["enrolment", "client_key"],
        Auth::RelyingParty => &["relying_party"],
    };
    if let Some((first, more)) = schemes.split_first() {
        let mut req = SecurityRequirement::new::<_, _, &str>(*first, []);
        for s in more {
            req = req.add::<_, _, &str>(*s, []);
        }
        op = op.security(req);
    }
    op.build()
}

/// The document.
pub fn build() -> OpenApi {
    let mut paths = PathsBuilder::new();
    let mut schemas = Vec::new();
    <ErrorCode as utoipa::ToSchema>::schemas(&mut schemas);
    schemas.push((
        "ErrorCode".to_owned(),
        <ErrorCode as utoipa::PartialSchema>::schema(),
    ));
    for e in endpoints::ALL {
        let method = match e.method {
            HttpMethod::Get => utoipa::openapi::HttpMethod::Get,
            HttpMethod::Post => utoipa::openapi::HttpMethod::Post,
        };
        paths = paths.path(e.path, PathItem::new(method, operation(e)));
        if let Some(req) = &e.request {
            (req.collect)(&mut schemas);
        }
        (e.response.collect)(&mut schemas);
    }
    let mut components = ComponentsBuilder::new();
    for (name, schema) in schemas {
        components = components.schema(name, schema);
    }
    let components = components
        .security_scheme(
            "session",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        )
        .security_scheme(
            "enrolment",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An enrolment's token"))
                    .build(),
            ),
        )
        .security_scheme(
            "relying_party",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A relying party's API key (ea_rp_...)"))
                    .build(),
            ),
        )
        .security_scheme(
            "client_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "x-ea-client-key",
                "The desktop app's client key, when the server requires one",
            ))),
        )
        .build();
    let info = InfoBuilder::new()
        .title("Emergency Access verification API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "Verify a user's identity through their tenant's flow, then act.",
        ))
        .build();
    OpenApiBuilder::new()
        .info(info)
        .paths(paths.build())
        .components(Some(components))
        .build()
}

pub async fn document() -> Json<OpenApi> {
    Json(build())
}

//! The OpenAPI schemas of the free-text request fields: the limits the server enforces (in
//! characters), and that a value is not blank and holds no control characters, so a request the
//! schema allows is not refused as malformed.

use crate::limits;
use utoipa::openapi::Object;
use utoipa::openapi::schema::{ObjectBuilder, Type};

/// Some character that is neither white space nor a control character, and no control
/// character anywhere.
const NOT_BLANK: &str = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$";

fn of(max: usize) -> Object {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(NOT_BLANK))
        .build()
}

pub fn tenant() -> Object {
    of(limits::TENANT)
}
pub fn username() -> Object {
    of(limits::USERNAME)
}
pub fn flow_id() -> Object {
    of(limits::FLOW_ID)
}
pub fn contact() -> Object {
    of(limits::CONTACT)
}
pub fn code() -> Object {
    of(limits::CODE)
}
pub fn question() -> Object {
    of(limits::QUESTION)
}
pub fn answer() -> Object {
    of(limits::ANSWER)
}
pub fn emergency_code() -> Object {
    of(limits::EMERGENCY_CODE)
}
/// An IPv4 or IPv6 address.
pub fn client_address() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{KnownFormat, OneOfBuilder, SchemaFormat};
    let address = |f| {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(f)))
            .max_length(Some(limits::CLIENT_ADDRESS))
            .build()
    };
    utoipa::openapi::schema::Schema::OneOf(
        OneOfBuilder::new()
            .item(address(KnownFormat::Ipv4))
            .item(address(KnownFormat::Ipv6))
            .build(),
    )
}

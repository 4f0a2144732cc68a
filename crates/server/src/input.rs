//! Checks of request fields beyond their JSON shape: lengths in characters, blank values, control
//! characters and hex. Each refusal names the field (`invalid_field`).

use crate::error::ServiceResult;
use ea_api::{ErrorCode, FieldProblem};

/// A text field's length (in characters), that it is not blank and holds no control characters.
pub fn text(field: &str, value: &str, max: usize) -> ServiceResult<()> {
    if value.chars().count() > max {
        return Err(ErrorCode::invalid_field(field, FieldProblem::TooLong, Some(max)).into());
    }
    if value.trim().is_empty() {
        return Err(ErrorCode::invalid_field(field, FieldProblem::Empty, None).into());
    }
    if value.chars().any(char::is_control) {
        return Err(ErrorCode::invalid_field(field, FieldProblem::ControlCharacters, None).into());
    }
    Ok(())
}

/// At most `max` items.
pub fn count(field: &str, n: usize, max: usize) -> ServiceResult<()> {
    if n > max {
        return Err(ErrorCode::invalid_field(field, FieldProblem::TooMany, Some(max)).into());
    }
    Ok(())
}

/// Hex digits (spaces allowed between them), at most `max` of them.
pub fn hex(field: &str, value: &str, max: usize) -> ServiceResult<Vec<u8>> {
    let v: String = value.chars().filter(|c| !c.is_whitespace()).collect();
    if v.len() > max {
        return Err(ErrorCode::invalid_field(field, FieldProblem::TooLong, Some(max)).into());
    }
    if v.is_empty() {
        return Err(ErrorCode::invalid_field(field, FieldProblem::NotHex, None).into());
    }
    ::hex::decode(&v)
        .map_err(|_| ErrorCode::invalid_field(field, FieldProblem::NotHex, None).into())
}

/// A number within `range`.
pub fn within(field: &str, n: u32, range: std::ops::RangeInclusive<u32>) -> ServiceResult<()> {
    if !range.contains(&n) {
        let max = Some(*range.end() as usize);
        return Err(ErrorCode::invalid_field(field, FieldProblem::OutOfRange, max).into());
    }
    Ok(())
}

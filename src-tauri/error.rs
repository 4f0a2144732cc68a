//! Every command fails with the product's one error type, [`ea_api::ErrorCode`]: the server's
//! refusals pass through unchanged, and the card's, the camera's and the shell's own are codes
//! of the same enum, so the UI translates them all from one typed catalog.

pub use ea_api::ErrorCode;

/// The result of a command.
pub type Result<T> = std::result::Result<T, ErrorCode>;

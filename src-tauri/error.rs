//! The error every command returns: a stable code and parameters, translated by the UI.

use serde::Serialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CommandError {
    pub code: String,
    pub params: Map<String, Value>,
}

impl CommandError {
    pub fn new(code: &str) -> CommandError {
        CommandError {
            code: code.to_owned(),
            params: Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<Value>) -> CommandError {
        self.params.insert(key.to_owned(), value.into());
        self
    }
}

impl From<ea_api::ErrorBody> for CommandError {
    fn from(b: ea_api::ErrorBody) -> Self {
        CommandError {
            code: b.code,
            params: b.params,
        }
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.code)
    }
}

impl std::error::Error for CommandError {}

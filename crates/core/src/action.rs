//! The actions a completed verification may permit.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a verified user may do next; a flow lists the ones it permits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    ResetPassword,
    CardPinUnblock,
    UnblockUser,
    EmergencyCode,
}

impl Action {
    pub const ALL: [Action; 4] = [
        Action::ResetPassword,
        Action::CardPinUnblock,
        Action::UnblockUser,
        Action::EmergencyCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::ResetPassword => "reset_password",
            Action::CardPinUnblock => "card_pin_unblock",
            Action::UnblockUser => "unblock_user",
            Action::EmergencyCode => "emergency_code",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Action {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        Action::ALL.into_iter().find(|a| a.as_str() == s).ok_or(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(a));
        }
        assert!("reboot".parse::<Action>().is_err());
    }
}

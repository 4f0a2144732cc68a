//! The actions a completed verification may permit.

use serde::{Deserialize, Serialize};

/// What a verified user may do next; a flow lists the ones it permits. The wire names (serde)
/// and the names in logs, audit events and the database (strum) are the same snake_case words.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
    strum::Display,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
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
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>(), Ok(a));
            assert_eq!(
                serde_json::to_value(a)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned)),
                Some(a.to_string()),
                "the wire name is the same word"
            );
        }
        assert_eq!(Action::CardPinUnblock.as_str(), "card_pin_unblock");
        assert!("reboot".parse::<Action>().is_err());
    }
}

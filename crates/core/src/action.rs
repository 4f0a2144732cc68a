//! The actions a completed verification may permit. The word list is part of the wire contract
//! and lives in `ea-api`; the domain uses it as is.

pub use ea_api::Action;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for a in Action::all() {
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

//! Status words and transport failures as typed errors that say what a person needs to know.

use crate::apdu::Command;
use ea_api::ErrorCode;

/// Everything that can go wrong talking to a card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CardError {
    #[error("the PIN is wrong; {tries_left} tries left")]
    WrongPin { tries_left: u8 },
    #[error("the PIN is blocked")]
    PinBlocked,
    #[error("the card refused the admin authentication; {tries_left} tries left")]
    AuthFailed { tries_left: u8 },
    #[error("the card's admin key is blocked")]
    AuthBlocked,
    #[error("the card refused: security status not satisfied")]
    SecurityNotSatisfied,
    #[error("the card refused: conditions of use not satisfied")]
    ConditionsNotSatisfied,
    #[error("the card does not hold the expected application")]
    ApplicationNotFound,
    #[error("the card refused the data (for example the PIN format)")]
    IncorrectData,
    #[error("the card does not support this command")]
    NotSupported,
    #[error("the card answered {command} with status {sw:04X}")]
    Unexpected { command: &'static str, sw: u16 },
    #[error("the card's answer could not be read")]
    MalformedResponse,
    #[error("the PIN does not follow the card's rules")]
    InvalidPin,
    #[error("the card was removed")]
    CardRemoved,
    #[error("no card is in the reader")]
    NoCard,
    #[error("no card reader is connected")]
    NoReader,
    #[error("the smart-card service (PC/SC) is not running")]
    NoService,
    #[error("the card did not answer in time")]
    Timeout,
    #[error("the reader is used by another program")]
    Busy,
    #[error("card communication failed: {0}")]
    Transport(String),
}

impl CardError {
    /// The stable code and parameters the UI translates.
    pub fn code(&self) -> ErrorCode {
        use ErrorCode as C;
        match *self {
            CardError::WrongPin { tries_left } => C::CardWrongPin { tries_left },
            CardError::PinBlocked => C::CardPinBlocked {},
            CardError::AuthFailed { tries_left } => C::CardAuthFailed { tries_left },
            CardError::AuthBlocked => C::CardAuthBlocked {},
            CardError::SecurityNotSatisfied | CardError::ConditionsNotSatisfied => {
                C::CardRefused {}
            }
            CardError::ApplicationNotFound | CardError::NotSupported => C::CardNotSupported {},
            CardError::IncorrectData | CardError::InvalidPin => C::CardPinInvalid {},
            CardError::Unexpected { .. }
            | CardError::MalformedResponse
            | CardError::Transport(_) => C::CardError {},
            CardError::CardRemoved => C::CardRemoved {},
            CardError::NoCard => C::CardAbsent {},
            CardError::NoReader => C::CardNoReader {},
            CardError::NoService => C::CardNoService {},
            CardError::Timeout => C::CardTimeout {},
            CardError::Busy => C::CardBusy {},
        }
    }

    /// Tries left, where the error carries them.
    pub fn tries_left(&self) -> Option<u8> {
        match self {
            CardError::WrongPin { tries_left } | CardError::AuthFailed { tries_left } => {
                Some(*tries_left)
            }
            _ => None,
        }
    }
}

/// Reads a status word in the context of the command it answers.
pub fn check(command: Command, sw: u16) -> Result<(), CardError> {
    let pin_command = matches!(
        command,
        Command::PinStatus
            | Command::Verify
            | Command::ChangeReferenceData
            | Command::ResetRetryCounter
    );
    match sw {
        0x9000 => Ok(()),
        0x63C0..=0x63CF => {
            let tries_left = (sw & 0x000F) as u8;
            match command {
                Command::ExternalAuthenticate => Err(CardError::AuthFailed { tries_left }),
                _ if pin_command => Err(CardError::WrongPin { tries_left }),
                _ => Err(CardError::Unexpected {
                    command: command.name(),
                    sw,
                }),
            }
        }
        0x6983 if command == Command::ExternalAuthenticate => Err(CardError::AuthBlocked),
        0x6983 if pin_command => Err(CardError::PinBlocked),
        0x6982 => Err(CardError::SecurityNotSatisfied),
        0x6985 => Err(CardError::ConditionsNotSatisfied),
        0x6A82 if command == Command::Select => Err(CardError::ApplicationNotFound),
        0x6A80 => Err(CardError::IncorrectData),
        0x6D00 | 0x6E00 | 0x6A81 => Err(CardError::NotSupported),
        _ => Err(CardError::Unexpected {
            command: command.name(),
            sw,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_word_table() {
        use Command::*;
        let cases = [
            (Verify, 0x9000, Ok(())),
            (
                PinStatus,
                0x63C2,
                Err(CardError::WrongPin { tries_left: 2 }),
            ),
            (
                ChangeReferenceData,
                0x63C0,
                Err(CardError::WrongPin { tries_left: 0 }),
            ),
            (
                ExternalAuthenticate,
                0x63C4,
                Err(CardError::AuthFailed { tries_left: 4 }),
            ),
            (Verify, 0x6983, Err(CardError::PinBlocked)),
            (ExternalAuthenticate, 0x6983, Err(CardError::AuthBlocked)),
            (
                ResetRetryCounter,
                0x6982,
                Err(CardError::SecurityNotSatisfied),
            ),
            (
                ExternalAuthenticate,
                0x6985,
                Err(CardError::ConditionsNotSatisfied),
            ),
            (Select, 0x6A82, Err(CardError::ApplicationNotFound)),
            (ResetRetryCounter, 0x6A80, Err(CardError::IncorrectData)),
            (GetChallenge, 0x6D00, Err(CardError::NotSupported)),
            (
                GetChallenge,
                0x63C1,
                Err(CardError::Unexpected {
                    command: "GET CHALLENGE",
                    sw: 0x63C1,
                }),
            ),
            (
                GetCplc,
                0x6A88,
                Err(CardError::Unexpected {
                    command: "GET DATA (CPLC)",
                    sw: 0x6A88,
                }),
            ),
        ];
        for (cmd, sw, want) in cases {
            assert_eq!(check(cmd, sw), want, "{cmd:?} {sw:04X}");
        }
        assert_eq!(CardError::WrongPin { tries_left: 2 }.tries_left(), Some(2));
        assert_eq!(CardError::CardRemoved.code().as_str(), "card_removed");
    }
}

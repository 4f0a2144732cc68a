//! The lowest layer: send an APDU, get the response.

use crate::status::CardError;

/// Something that exchanges APDUs with a card.
pub trait CardTransport {
    /// Sends a command APDU and returns the response APDU (data ‖ SW1 SW2).
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError>;
}

impl<T: CardTransport + ?Sized> CardTransport for &mut T {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        (**self).transmit(apdu)
    }
}

/// Counts the APDUs sent through it (for the benchmark and tests).
#[derive(Debug)]
pub struct Counting<T> {
    pub inner: T,
    pub count: usize,
}

impl<T: CardTransport> CardTransport for Counting<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, CardError> {
        self.count += 1;
        self.inner.transmit(apdu)
    }
}

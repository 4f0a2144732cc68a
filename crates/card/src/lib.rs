//! Smart cards for Emergency Access, in three layers:
//!
//! 1. [`transport`]: something that sends APDU bytes and returns the response — PC/SC
//!    ([`pcsc`], through the `pcsc` crate) or, with the `testkit` feature, the in-process
//!    `virtual_card` (also served to pcscd's vpcd by the `ea-virtual-card` program).
//! 2. [`apdu`] and [`status`]: pure building of command APDUs from a [`profile::Profile`] and
//!    decoding of status words into typed errors ([`CardError`]).
//! 3. [`session`]: the typed API. Setting a new PIN is a method of `CardSession<AdminAuthenticated>`
//!    only, which exists only after EXTERNAL AUTHENTICATE succeeded.
//!
//! The crate knows nothing of the server; the cryptogram is an input.

pub mod apdu;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod profile;
pub mod session;
pub mod status;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod transport;
/// The virtual card (feature `testkit`: tests, benchmarks and the demo; never the desktop app).
#[cfg(any(test, feature = "testkit"))]
pub mod virtual_card;
#[cfg(feature = "testkit")]
pub mod vpcd;

pub use profile::Profile;
pub use session::{AdminAuthenticated, CardSession, Pin, PinStatus, Selected};
pub use status::CardError;
pub use transport::CardTransport;

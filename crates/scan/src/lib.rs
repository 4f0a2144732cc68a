//! The QR path of a card PIN unblock: frames from a camera (nokhwa) or from images, a QR decoder
//! fed with the newest frame only, and the parser of the vSEC:CMS card-unblock link the code
//! carries. Nothing here knows about the desktop shell; the app wires it to its window.
//!
//! ```text
//! FrameSource (camera | images) ─▶ capture thread ─▶ [newest frame] ─▶ decode thread ─▶ ScanSink
//!                                                                      (rxing QR)    parse_card_url
//! ```
#![forbid(unsafe_code)]

#[cfg(feature = "camera")]
pub mod camera;
pub mod decode;
pub mod files;
pub mod frame;
pub mod pipeline;
pub mod qr;
pub mod testkit;
pub mod url;

pub use decode::{Decoder, QrDecoder};
pub use frame::{Frame, FrameSource, Resolution, SourceError};
pub use pipeline::{Found, ScanSink, ScanStats, Scanner};
pub use url::{CardRequest, ChallengeAlgorithm, UrlError, parse_card_url};

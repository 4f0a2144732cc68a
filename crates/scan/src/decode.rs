//! The QR decoder, chosen by measurement on the generated corpus (the `decoders` example): rxing
//! reads more frames than rqrr and is several times faster, but misses some low-contrast codes
//! that rqrr reads; so rxing looks first and rqrr gets the frames rxing found nothing in. Only QR
//! codes are looked for.

use crate::frame::Frame;
use rxing::{BarcodeFormat, DecodeHints};

/// Turns a frame into the text of the QR code it shows, if any.
pub trait Decoder: Send {
    fn decode(&mut self, frame: &Frame) -> Option<String>;
}

/// rxing's QR reader with "try harder" on, over the frame's luma as it is (no copy), then rqrr.
#[derive(Debug, Default, Clone, Copy)]
pub struct QrDecoder;

impl QrDecoder {
    pub fn decode_luma(&self, luma: &[u8], width: u32, height: u32) -> Option<String> {
        if width == 0 || height == 0 || luma.len() < (width as usize) * (height as usize) {
            return None;
        }
        let mut hints = DecodeHints::default().with(rxing::DecodeHintValue::TryHarder(true));
        rxing::helpers::detect_in_luma_slice_with_hints(
            luma,
            width,
            height,
            Some(BarcodeFormat::QR_CODE),
            &mut hints,
        )
        .ok()
        .map(|r| r.getText().to_owned())
        .or_else(|| rqrr_decode(luma, width as usize, height as usize))
    }

    pub fn decode_image(&self, img: &image::GrayImage) -> Option<String> {
        self.decode_luma(img.as_raw(), img.width(), img.height())
    }
}

impl Decoder for QrDecoder {
    fn decode(&mut self, frame: &Frame) -> Option<String> {
        self.decode_luma(&frame.luma, frame.width, frame.height)
    }
}

fn rqrr_decode(luma: &[u8], width: usize, height: usize) -> Option<String> {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    prepared
        .detect_grids()
        .iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
}

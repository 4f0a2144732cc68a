//! The QR decoder, chosen by measurement on the generated corpus (the `decoders` example).
//!
//! rxing reads more frames than rqrr and is several times faster, so it looks first. Most of
//! what it misses are codes of low contrast: its binarizer takes blocks of little range for
//! flat. So rxing looks a second time at the frame with its luma stretched (the 1st and 99th
//! percentiles to black and white), halved first on frames wider than 960 pixels, where a full
//! second look would cost as much again. Only on smaller frames, where it is cheap enough, rqrr
//! looks last (it reads some rotated codes rxing does not). Only QR codes are looked for.

use crate::frame::Frame;
use rxing::{BarcodeFormat, DecodeHints};

/// Turns a frame into the text of the QR code it shows, if any.
pub trait Decoder: Send {
    fn decode(&mut self, frame: &Frame) -> Option<String>;
}

/// rxing's QR reader with "try harder" on, over the frame's luma as it is (no copy), then over
/// the frame stretched, then (frames up to 960 wide) rqrr.
#[derive(Debug, Default, Clone, Copy)]
pub struct QrDecoder;

/// Frames wider than this get their second look at half size, and no third.
const WIDE: u32 = 960;

impl QrDecoder {
    pub fn decode_luma(&self, luma: &[u8], width: u32, height: u32) -> Option<String> {
        if width == 0 || height == 0 || luma.len() < (width as usize) * (height as usize) {
            return None;
        }
        let luma = &luma[..(width as usize) * (height as usize)];
        rxing_decode(luma, width, height)
            .or_else(|| {
                let (mut again, w, h) = if width > WIDE {
                    halved(luma, width, height)
                } else {
                    (luma.to_vec(), width, height)
                };
                stretch(&mut again).then(|| rxing_decode(&again, w, h))?
            })
            .or_else(|| {
                (width <= WIDE).then(|| rqrr_decode(luma, width as usize, height as usize))?
            })
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

fn rxing_decode(luma: &[u8], width: u32, height: u32) -> Option<String> {
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
}

fn rqrr_decode(luma: &[u8], width: usize, height: usize) -> Option<String> {
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
    prepared
        .detect_grids()
        .iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
}

/// The frame at half size, each pixel the mean of a 2x2 block.
fn halved(luma: &[u8], width: u32, height: u32) -> (Vec<u8>, u32, u32) {
    let (w, h) = (width / 2, height / 2);
    let stride = width as usize;
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h as usize {
        let top = &luma[2 * y * stride..][..stride];
        let bottom = &luma[(2 * y + 1) * stride..][..stride];
        for x in 0..w as usize {
            let sum = u16::from(top[2 * x])
                + u16::from(top[2 * x + 1])
                + u16::from(bottom[2 * x])
                + u16::from(bottom[2 * x + 1]);
            out.push((sum / 4) as u8);
        }
    }
    (out, w, h)
}

/// Stretches `luma` in place so its 1st and 99th percentiles become 0 and 255. False (nothing
/// changed) where the range is full already or there is none: a second look would see the same.
fn stretch(luma: &mut [u8]) -> bool {
    let mut hist = [0usize; 256];
    for &v in luma.iter() {
        hist[usize::from(v)] += 1;
    }
    let tail = luma.len() / 100;
    // The first level, in `levels` order, beyond which more than 1 % of the pixels lie.
    let percentile = |levels: &mut dyn Iterator<Item = usize>| {
        let mut seen = 0;
        for l in levels {
            seen += hist[l];
            if seen > tail {
                return l;
            }
        }
        0
    };
    let lo = percentile(&mut (0..256));
    let hi = percentile(&mut (0..256).rev());
    if hi <= lo || hi - lo > 250 {
        return false;
    }
    let span = hi - lo;
    let mut map = [0u8; 256];
    for (v, m) in map.iter_mut().enumerate() {
        *m = ((v.clamp(lo, hi) - lo) * 255 / span) as u8;
    }
    for v in luma.iter_mut() {
        *v = map[usize::from(*v)];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halving_averages_blocks() {
        let luma = [0, 4, 8, 8, 4, 8, 8, 8, 99, 99, 99, 99];
        assert_eq!(halved(&luma, 4, 3), (vec![4, 8], 2, 1));
    }

    #[test]
    fn stretching_maps_the_percentiles_to_black_and_white() {
        // 100..=150 in equal shares, and a few outliers beyond the 1 % tails.
        let mut luma: Vec<u8> = (0..5100).map(|i| 100 + (i % 51) as u8).collect();
        luma.extend([0, 255, 10, 240]);
        assert!(stretch(&mut luma));
        assert_eq!(&luma[..3], &[0, 5, 10]);
        assert_eq!(luma[50], 255);
        assert_eq!(&luma[5100..], &[0, 255, 0, 255]);
        // A frame using the whole range is left as it is.
        let mut full: Vec<u8> = (0..=255).cycle().take(25_600).collect();
        let before = full.clone();
        assert!(!stretch(&mut full));
        assert_eq!(full, before);
        assert!(
            !stretch(&mut [7u8; 64]),
            "a flat frame has nothing to stretch"
        );
    }
}

//! Making QR codes: the cryptogram as SVG for a phone to read off the screen, and PNG images of
//! card-unblock links for the demo, the tests and helpdesk scripts.

use qrcode::{EcLevel, QrCode};

#[derive(Debug, thiserror::Error)]
pub enum QrError {
    #[error("the text does not fit in a QR code")]
    TooLong,
    #[error("the image could not be written: {0}")]
    Write(String),
}

fn code(text: &str) -> Result<QrCode, QrError> {
    QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).map_err(|_| QrError::TooLong)
}

/// An SVG of `text` (dark modules on white, quiet zone included) that scales to its container.
pub fn svg(text: &str) -> Result<String, QrError> {
    let c = code(text)?;
    Ok(c.render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// A grayscale image of `text` with modules of `module` pixels and the standard quiet zone.
pub fn image(text: &str, module: u32) -> Result<image::GrayImage, QrError> {
    let c = code(text)?;
    Ok(c.render::<image::Luma<u8>>()
        .module_dimensions(module, module)
        .build())
}

/// Writes `text` as a PNG QR code to `path`.
pub fn write_png(text: &str, module: u32, path: &std::path::Path) -> Result<(), QrError> {
    image(text, module)?
        .save_with_format(path, image::ImageFormat::Png)
        .map_err(|e| QrError::Write(e.to_string()))
}

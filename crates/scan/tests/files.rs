//! Images from files: oversized images are refused before their pixels are decoded, large ones
//! are scaled down and still read, and anything that is not PNG or JPEG is refused.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ea_scan::QrDecoder;
use ea_scan::files::{DECODE_SIDE, decode_gray};

fn png(img: &image::GrayImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .unwrap();
    out
}

#[test]
fn oversized_images_are_refused() {
    let wide = image::GrayImage::new(5000, 8);
    let err = decode_gray(&png(&wide)).unwrap_err();
    assert_eq!(err.code().as_str(), "image_unreadable");
    assert!(err.to_string().contains("5000x8 is too large"), "{err}");
    let many = image::GrayImage::new(4096, 4000);
    assert!(decode_gray(&png(&many)).is_err(), "over 16 megapixels");
}

#[test]
fn large_photos_are_scaled_down_and_still_read() {
    let link =
        "vsec-ea://card-unblock?serial=EA5EC0DE00000003&challenge=00112233445566778899AABBCCDDEEFF";
    let code = ea_scan::qr::image(link, 24).unwrap();
    let mut photo = image::GrayImage::from_pixel(3600, 2400, image::Luma([150]));
    image::imageops::overlay(&mut photo, &code, 900, 400);
    let img = decode_gray(&png(&photo)).unwrap();
    assert_eq!(img.width(), DECODE_SIDE);
    assert_eq!(QrDecoder.decode_image(&img).as_deref(), Some(link));
}

#[test]
fn only_png_and_jpeg() {
    let mut gif = Vec::new();
    image::GrayImage::new(4, 4)
        .write_to(&mut std::io::Cursor::new(&mut gif), image::ImageFormat::Bmp)
        .unwrap_or_default();
    assert!(decode_gray(&gif).is_err());
    assert!(decode_gray(b"not an image").is_err());
    assert!(
        decode_gray(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]).is_err(),
        "truncated PNG"
    );
}

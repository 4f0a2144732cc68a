//! Generated camera frames for tests and the benchmark: QR codes of real-looking card-unblock
//! links placed in a cluttered scene, with the faults a webcam adds (blur, noise, rotation,
//! perspective, low contrast, small modules, glare), and scenes without any code. Deterministic
//! for a given seed, so a failure can be reproduced.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// What is done to a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Clean,
    Blur,
    Noise,
    Rotation,
    Perspective,
    LowContrast,
    SmallModules,
    Glare,
    /// Rotation, perspective, blur and noise together.
    Combined,
}

pub const FAULTS: [Fault; 9] = [
    Fault::Clean,
    Fault::Blur,
    Fault::Noise,
    Fault::Rotation,
    Fault::Perspective,
    Fault::LowContrast,
    Fault::SmallModules,
    Fault::Glare,
    Fault::Combined,
];

/// One generated frame and the text its code holds (`None`: no code in it).
#[derive(Debug, Clone)]
pub struct Sample {
    pub image: image::GrayImage,
    pub text: Option<String>,
    pub fault: Fault,
}

/// A card-unblock link as vSEC:CMS would print it, with a random serial and challenge.
pub fn card_url(rng: &mut impl Rng) -> String {
    let serial: [u8; 8] = rng.random();
    let (challenge, alg) = if rng.random_bool(0.8) {
        (hex::encode_upper(rng.random::<[u8; 16]>()), "aes")
    } else {
        (hex::encode_upper(rng.random::<[u8; 8]>()), "3des")
    };
    if rng.random_bool(0.5) {
        format!(
            "https://cms.example.org/card-unblock?serial={}&challenge={challenge}&alg={alg}&tenant=acme",
            hex::encode_upper(serial)
        )
    } else {
        format!(
            "vsec-ea://card-unblock?serial={}&challenge={challenge}&alg={alg}",
            hex::encode_upper(serial)
        )
    }
}

/// A desk-like background: a lighting gradient and a few shapes of varying grey.
fn scene(width: u32, height: u32, rng: &mut StdRng) -> image::GrayImage {
    let base = rng.random_range(90.0..170.0f32);
    let (gx, gy) = (
        rng.random_range(-0.06..0.06f32),
        rng.random_range(-0.06..0.06f32),
    );
    let mut img = image::GrayImage::from_fn(width, height, |x, y| {
        image::Luma([(base + gx * x as f32 + gy * y as f32).clamp(0.0, 255.0) as u8])
    });
    for _ in 0..rng.random_range(4..12) {
        let (w, h) = (
            rng.random_range(20..width / 3),
            rng.random_range(10..height / 3),
        );
        let (x0, y0) = (
            rng.random_range(0..width - w),
            rng.random_range(0..height - h),
        );
        let v: u8 = rng.random();
        for y in y0..y0 + h {
            for x in x0..x0 + w {
                img.put_pixel(x, y, image::Luma([v]));
            }
        }
    }
    // Lines of "text": short dark dashes, the kind of detail a finder-pattern search trips on.
    for _ in 0..rng.random_range(3..8) {
        let y = rng.random_range(0..height - 4);
        let mut x = rng.random_range(0..width / 2);
        while x + 12 < width && rng.random_bool(0.95) {
            let len = rng.random_range(3..10);
            for dx in 0..len {
                for dy in 0..3 {
                    img.put_pixel(x + dx, y + dy, image::Luma([30]));
                }
            }
            x += len + rng.random_range(2..6);
        }
    }
    img
}

/// Solves `a x = b` (8x8) by Gaussian elimination with partial pivoting.
fn solve8(mut a: [[f64; 8]; 8], mut b: [f64; 8]) -> Option<[f64; 8]> {
    for col in 0..8 {
        let pivot = (col..8).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-12 {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (top, rest) = a.split_at_mut(col + 1);
        let pivot_row = &top[col];
        for (i, row) in rest.iter_mut().enumerate() {
            let f = row[col] / pivot_row[col];
            for (x, p) in row.iter_mut().zip(pivot_row.iter()).skip(col) {
                *x -= f * p;
            }
            b[col + 1 + i] -= f * b[col];
        }
    }
    let mut x = [0.0; 8];
    for row in (0..8).rev() {
        let s: f64 = (row + 1..8).map(|k| a[row][k] * x[k]).sum();
        x[row] = (b[row] - s) / a[row][row];
    }
    Some(x)
}

/// The projective map taking each `from[i]` to `to[i]`.
fn homography(from: [(f64, f64); 4], to: [(f64, f64); 4]) -> Option<[f64; 9]> {
    let mut a = [[0.0; 8]; 8];
    let mut b = [0.0; 8];
    for i in 0..4 {
        let ((x, y), (u, v)) = (from[i], to[i]);
        a[2 * i] = [x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y];
        b[2 * i] = u;
        a[2 * i + 1] = [0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y];
        b[2 * i + 1] = v;
    }
    let h = solve8(a, b)?;
    Some([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0])
}

/// Draws `code` (one pixel per module) into `img` on the quadrilateral `quad` (corners clockwise
/// from the code's top left), with dark and light levels `dark` and `light`.
fn paint(
    img: &mut image::GrayImage,
    code: &image::GrayImage,
    quad: [(f64, f64); 4],
    dark: u8,
    light: u8,
) {
    let n = code.width() as f64;
    let Some(h) = homography(quad, [(0.0, 0.0), (n, 0.0), (n, n), (0.0, n)]) else {
        return;
    };
    let xs = quad.iter().map(|p| p.0);
    let ys = quad.iter().map(|p| p.1);
    let (x0, x1) = (
        xs.clone().fold(f64::MAX, f64::min),
        xs.fold(f64::MIN, f64::max),
    );
    let (y0, y1) = (
        ys.clone().fold(f64::MAX, f64::min),
        ys.fold(f64::MIN, f64::max),
    );
    let (w, hgt) = (img.width() as i64, img.height() as i64);
    for y in (y0.floor() as i64).max(0)..(y1.ceil() as i64).min(hgt) {
        for x in (x0.floor() as i64).max(0)..(x1.ceil() as i64).min(w) {
            // Four samples per pixel: module edges come out grey, as through a lens.
            let mut sum = 0.0;
            let mut inside = 0;
            for (ox, oy) in [(0.25, 0.25), (0.75, 0.25), (0.25, 0.75), (0.75, 0.75)] {
                let (px, py) = (x as f64 + ox, y as f64 + oy);
                let d = h[6] * px + h[7] * py + h[8];
                let (u, v) = (
                    (h[0] * px + h[1] * py + h[2]) / d,
                    (h[3] * px + h[4] * py + h[5]) / d,
                );
                if u >= 0.0 && v >= 0.0 && u < n && v < n {
                    inside += 1;
                    let m = code.get_pixel(u as u32, v as u32)[0];
                    sum += if m < 128 { dark as f64 } else { light as f64 };
                }
            }
            if inside > 0 {
                let old = img.get_pixel(x as u32, y as u32)[0] as f64;
                let v = (sum + old * (4 - inside) as f64) / 4.0;
                img.put_pixel(x as u32, y as u32, image::Luma([v as u8]));
            }
        }
    }
}

fn add_noise(img: &mut image::GrayImage, sigma: f32, rng: &mut StdRng) {
    for p in img.pixels_mut() {
        // The sum of four uniform bytes is close enough to Gaussian sensor noise (its standard
        // deviation is 147.8).
        let r: u32 = rng.random();
        let sum = (r & 0xff) + ((r >> 8) & 0xff) + ((r >> 16) & 0xff) + (r >> 24);
        let n = (sum as f32 - 510.0) / 147.8 * sigma;
        p[0] = (p[0] as f32 + n).clamp(0.0, 255.0) as u8;
    }
}

fn add_glare(img: &mut image::GrayImage, cx: f32, cy: f32, radius: f32, strength: f32) {
    for (x, y, p) in img.enumerate_pixels_mut() {
        let d2 = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)) / (radius * radius);
        let add = strength * (-d2).exp();
        p[0] = (p[0] as f32 + add).clamp(0.0, 255.0) as u8;
    }
}

/// One frame of `width` x `height` showing `text` (or no code) with `fault`.
pub fn frame(
    width: u32,
    height: u32,
    text: Option<&str>,
    fault: Fault,
    rng: &mut StdRng,
) -> image::GrayImage {
    let mut img = scene(width, height, rng);
    if let Some(text) = text
        && let Ok(code) = crate::qr::image(text, 1)
    {
        let n = code.width() as f64;
        let short = height.min(width) as f64;
        let module = match fault {
            Fault::SmallModules => rng.random_range(2.6..3.2),
            _ => rng.random_range(0.35..0.6) * short / n,
        };
        let side = module * n;
        let cx = rng.random_range(side / 2.0 + 4.0..width as f64 - side / 2.0 - 4.0);
        let cy = rng.random_range(side / 2.0 + 4.0..height as f64 - side / 2.0 - 4.0);
        let angle: f64 = match fault {
            Fault::Rotation => rng.random_range(-180.0..180.0f64),
            Fault::Combined => rng.random_range(-35.0..35.0f64),
            _ => rng.random_range(-4.0..4.0f64),
        }
        .to_radians();
        let skew = match fault {
            Fault::Perspective => 0.22,
            Fault::Combined => 0.12,
            _ => 0.0,
        };
        let half = side / 2.0;
        let mut quad = [(-half, -half), (half, -half), (half, half), (-half, half)];
        for p in &mut quad {
            if skew > 0.0 {
                p.0 += rng.random_range(-skew..skew) * half;
                p.1 += rng.random_range(-skew..skew) * half;
            }
            let (s, c) = angle.sin_cos();
            *p = (cx + p.0 * c - p.1 * s, cy + p.0 * s + p.1 * c);
        }
        let (dark, light) = match fault {
            Fault::LowContrast => {
                let mid = rng.random_range(100.0..150.0f64);
                let spread = rng.random_range(22.0..34.0f64);
                ((mid - spread) as u8, (mid + spread) as u8)
            }
            _ => (rng.random_range(10..50), rng.random_range(200..245)),
        };
        paint(&mut img, &code, quad, dark, light);
        if fault == Fault::Glare {
            let r = side as f32 * rng.random_range(0.25..0.4);
            let (gx, gy) = (
                cx as f32 + rng.random_range(-0.3..0.3) * side as f32,
                cy as f32 + rng.random_range(-0.3..0.3) * side as f32,
            );
            add_glare(&mut img, gx, gy, r, rng.random_range(90.0..140.0));
        }
    }
    let blur = match fault {
        Fault::Blur => rng.random_range(1.2..1.8),
        Fault::Combined => 0.9,
        _ => 0.5,
    };
    img = image::imageops::blur(&img, blur);
    let noise = match fault {
        Fault::Noise => rng.random_range(12.0..20.0),
        Fault::Combined => 8.0,
        _ => 3.0,
    };
    add_noise(&mut img, noise, rng);
    img
}

/// The corpus at one size: `per_fault` frames for every fault, each with a fresh link, and
/// `empty` frames without a code.
pub fn corpus(width: u32, height: u32, per_fault: usize, empty: usize, seed: u64) -> Vec<Sample> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut out = Vec::new();
    for fault in FAULTS {
        for _ in 0..per_fault {
            let text = card_url(&mut rng);
            let image = frame(width, height, Some(&text), fault, &mut rng);
            out.push(Sample {
                image,
                text: Some(text),
                fault,
            });
        }
    }
    for i in 0..empty {
        let fault = FAULTS[i % FAULTS.len()];
        let image = frame(width, height, None, fault, &mut rng);
        out.push(Sample {
            image,
            text: None,
            fault,
        });
    }
    out
}

/// A frame of a clean scene without a code.
pub fn empty_frame(width: u32, height: u32, seed: u64) -> image::GrayImage {
    frame(
        width,
        height,
        None,
        Fault::Clean,
        &mut StdRng::seed_from_u64(seed),
    )
}

/// A clean frame showing `text`.
pub fn code_frame(width: u32, height: u32, text: &str, seed: u64) -> image::GrayImage {
    frame(
        width,
        height,
        Some(text),
        Fault::Clean,
        &mut StdRng::seed_from_u64(seed),
    )
}

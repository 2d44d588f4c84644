//! Decompression bombs: files whose headers claim more pixels than can be decoded safely are
//! refused from the header, at once, without allocating their pixels. Its own test binary,
//! so the process's peak memory says what refusing them cost.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::time::{Duration, Instant};

use dynaspark_core::{ImageLibrary, ImageOptions};
use image::{DynamicImage, RgbImage};

/// Peak resident memory of this process so far (Linux), in bytes.
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

mod support;
use support::crc32;

fn encoded(image: &DynamicImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Vec::new();
    image.write_to(&mut Cursor::new(&mut out), format).unwrap();
    out
}

/// A real PNG of black pixels (its data inflates to megabytes) whose header claims
/// `width` × `height` and the given colour type.
fn png_claiming(width: u32, height: u32, colour_type: u8) -> Vec<u8> {
    let mut png = encoded(
        &DynamicImage::ImageRgb8(RgbImage::new(1000, 1000)),
        image::ImageFormat::Png,
    );
    let ihdr = 8 + 8; // signature, then the IHDR chunk's length and type
    png[ihdr..ihdr + 4].copy_from_slice(&width.to_be_bytes());
    png[ihdr + 4..ihdr + 8].copy_from_slice(&height.to_be_bytes());
    png[ihdr + 9] = colour_type;
    let crc = crc32(&png[ihdr - 4..ihdr + 13]);
    png[ihdr + 13..ihdr + 17].copy_from_slice(&crc.to_be_bytes());
    png
}

/// Attaches `bytes` and expects a refusal with `code`, quickly and without the pixels' memory.
fn assert_refused_cheaply(name: &str, bytes: Vec<u8>, code: &str, says: &str) {
    let dir = tempfile::tempdir().unwrap();
    let lib = ImageLibrary::new(dir.path().join("images"));
    let before = peak_memory();
    let started = Instant::now();
    let err = lib
        .import_bytes_with(name, bytes, &ImageOptions::default())
        .unwrap_err();
    let took = started.elapsed();
    // VmHWM is only brought up to date lazily: a reading taken while the resident size
    // was at a new high can be above a later one, when other tests freed memory.
    let grew = before
        .zip(peak_memory())
        .map(|(before, after)| after.saturating_sub(before));
    println!("{name}: refused in {took:?}, peak memory grew {grew:?} bytes: {err}");
    assert_eq!(err.code(), code, "{err}");
    assert!(err.to_string().contains(says), "{err}");
    assert!(
        err.to_string()
            .ends_with("is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP."),
        "{err}"
    );
    assert!(took < Duration::from_secs(2), "{name} took {took:?}");
    if let Some(grew) = grew {
        assert!(grew < 64 << 20, "{name}: peak memory grew by {grew} bytes");
    }
    assert!(!lib.dir().exists(), "nothing was stored");
}

#[test]
fn a_png_claiming_100000_by_100000_pixels_is_refused_from_its_header() {
    assert_refused_cheaply(
        "bomb.png",
        png_claiming(100_000, 100_000, 2),
        "image_too_big_to_open",
        "bomb.png, at 100000 × 100000 pixels (more than can be opened safely: up to 20000 pixels a side and 512 MiB of pixels),",
    );
}

#[test]
fn a_png_within_the_side_limit_but_too_large_in_memory_is_refused() {
    // 20000 × 20000 RGBA is 1.6 GB of pixels.
    assert_refused_cheaply(
        "wide.png",
        png_claiming(20_000, 20_000, 6),
        "image_too_big_to_open",
        "at 20000 × 20000 pixels",
    );
}

#[test]
fn a_jpeg_claiming_65000_by_65000_pixels_is_refused() {
    let mut jpeg = encoded(
        &DynamicImage::ImageRgb8(RgbImage::new(16, 16)),
        image::ImageFormat::Jpeg,
    );
    let sof = jpeg
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("a baseline frame header");
    jpeg[sof + 5..sof + 7].copy_from_slice(&65_000u16.to_be_bytes());
    jpeg[sof + 7..sof + 9].copy_from_slice(&65_000u16.to_be_bytes());
    assert_refused_cheaply(
        "bomb.jpg",
        jpeg,
        "image_too_big_to_open",
        "at 65000 × 65000 pixels",
    );
}

#[test]
fn a_gif_with_a_65535_pixel_screen_is_refused() {
    let mut gif = encoded(
        &DynamicImage::ImageRgb8(RgbImage::new(4, 4)),
        image::ImageFormat::Gif,
    );
    gif[6..10].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0xFF]);
    assert_refused_cheaply(
        "bomb.gif",
        gif,
        "image_too_big_to_open",
        "at 65535 × 65535 pixels",
    );
}

#[test]
fn a_webp_claiming_16383_by_16383_pixels_is_refused() {
    let mut webp = encoded(
        &DynamicImage::ImageRgba8(image::RgbaImage::new(4, 4)),
        image::ImageFormat::WebP,
    );
    assert_eq!(&webp[12..16], b"VP8L");
    // VP8L header: 0x2F, then 14 bits of width - 1 and 14 bits of height - 1 (LSB first).
    let bits: u32 = 16382 | (16382 << 14) | (1 << 28);
    webp[21..25].copy_from_slice(&bits.to_le_bytes());
    assert_refused_cheaply(
        "bomb.webp",
        webp,
        "image_too_big_to_open",
        "at 16383 × 16383 pixels",
    );
}

#[test]
fn an_animation_of_too_many_large_frames_is_refused_before_decoding() {
    // A 2100 × 100 screen (over the 2048 px limit, so it would be scaled) with 2000 frames
    // of one pixel each: 420 million pixels to decode and scale.
    let mut gif = b"GIF89a".to_vec();
    gif.extend_from_slice(&2100u16.to_le_bytes());
    gif.extend_from_slice(&100u16.to_le_bytes());
    gif.extend_from_slice(&[0x80, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF]);
    for _ in 0..2000 {
        gif.extend_from_slice(b"\x21\xf9\x04\0\x02\0\0\0");
        gif.extend_from_slice(b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0");
    }
    gif.push(0x3B);
    assert_refused_cheaply(
        "long.gif",
        gif,
        "image_cannot_shrink",
        "long.gif, an animation of 2000 frames at 2100 × 100 pixels (too much to scale down here),",
    );
}

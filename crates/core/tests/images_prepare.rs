//! Attaching images as a person would: phone photos turned by EXIF and tagged with GPS, a
//! 12 MP photo, every format the service takes, formats it does not, files that lie about
//! their type. Every test image is generated here; nothing is committed.

#![allow(clippy::unwrap_used)]

use std::io::Cursor;
use std::time::Instant;

use dynaspark::ImageType;
use dynaspark_core::{Attached, ImageLibrary, ImageOptions};
use image::{DynamicImage, GenericImageView, ImageEncoder, Rgb, RgbImage};

mod support;

mod fixture {
    //! Test images: encoded with the `image` crate, metadata written by hand.

    use super::*;

    pub const RED: [u8; 3] = [230, 20, 20];
    pub const GREEN: [u8; 3] = [20, 200, 40];
    pub const BLUE: [u8; 3] = [20, 40, 230];
    pub const WHITE: [u8; 3] = [250, 250, 250];

    /// Four coloured quarters: red top left, green top right, blue bottom left, white
    /// bottom right, so any rotation or flip shows.
    pub fn quarters(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            Rgb(match (x < width / 2, y < height / 2) {
                (true, true) => RED,
                (false, true) => GREEN,
                (true, false) => BLUE,
                (false, false) => WHITE,
            })
        })
    }

    /// A photo-like picture: smooth gradients with fine grain, which JPEG cannot squeeze
    /// much (a 12 MP one comes out at several MB, like a phone's).
    pub fn photo(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            let grain = ((x.wrapping_mul(7919) ^ y.wrapping_mul(104_729))
                .wrapping_mul(2_654_435_761)
                >> 27) as u8;
            Rgb([
                (x * 200 / width) as u8 + grain,
                (y * 200 / height) as u8 + grain,
                ((x + y) * 100 / (width + height)) as u8 + 60 + grain,
            ])
        })
    }

    pub fn jpeg(image: &RgbImage, quality: u8, exif: Option<Vec<u8>>) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality);
        if let Some(exif) = exif {
            encoder.set_exif_metadata(exif).unwrap();
        }
        DynamicImage::ImageRgb8(image.clone())
            .write_with_encoder(encoder)
            .unwrap();
        out
    }

    pub fn encoded(image: &DynamicImage, format: image::ImageFormat) -> Vec<u8> {
        let mut out = Vec::new();
        image.write_to(&mut Cursor::new(&mut out), format).unwrap();
        out
    }

    /// An EXIF block (a little-endian TIFF structure) with an orientation and, if asked, a
    /// GPS position: 55°45'21" N, 37°37'12" E.
    pub fn exif(orientation: u16, gps: bool) -> Vec<u8> {
        let mut t: Vec<u8> = b"II*\0\x08\0\0\0".to_vec();
        let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
            t.extend_from_slice(&tag.to_le_bytes());
            t.extend_from_slice(&kind.to_le_bytes());
            t.extend_from_slice(&count.to_le_bytes());
            t.extend_from_slice(&value);
        };
        const SHORT: u16 = 3;
        const LONG: u16 = 4;
        const ASCII: u16 = 2;
        const RATIONAL: u16 = 5;
        let ifd0_entries: u16 = if gps { 2 } else { 1 };
        let gps_ifd = 8 + 2 + 12 * u32::from(ifd0_entries) + 4;
        t.extend_from_slice(&ifd0_entries.to_le_bytes());
        let o = orientation.to_le_bytes();
        entry(&mut t, 0x0112, SHORT, 1, [o[0], o[1], 0, 0]);
        if gps {
            entry(&mut t, 0x8825, LONG, 1, gps_ifd.to_le_bytes());
        }
        t.extend_from_slice(&0u32.to_le_bytes());
        if gps {
            let data = gps_ifd + 2 + 4 * 12 + 4;
            t.extend_from_slice(&4u16.to_le_bytes());
            entry(&mut t, 0x0001, ASCII, 2, *b"N\0\0\0");
            entry(&mut t, 0x0002, RATIONAL, 3, data.to_le_bytes());
            entry(&mut t, 0x0003, ASCII, 2, *b"E\0\0\0");
            entry(&mut t, 0x0004, RATIONAL, 3, (data + 24).to_le_bytes());
            t.extend_from_slice(&0u32.to_le_bytes());
            for (num, den) in [(55, 1), (45, 1), (2100, 100), (37, 1), (37, 1), (1200, 100)] {
                t.extend_from_slice(&u32::to_le_bytes(num));
                t.extend_from_slice(&u32::to_le_bytes(den));
            }
        }
        t
    }

    pub use super::support::crc32;

    pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&crc32(&[&kind[..], data].concat()).to_be_bytes());
        c
    }

    /// Inserts PNG chunks right after IHDR.
    pub fn png_with(png: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
        let after_ihdr = 8 + 25;
        [&png[..after_ihdr], &chunks.concat(), &png[after_ihdr..]].concat()
    }

    /// A WebP in the extended format: the image's own bitstream chunk, plus an EXIF chunk.
    pub fn webp_with_exif(image: &DynamicImage, exif: &[u8]) -> Vec<u8> {
        let simple = encoded(image, image::ImageFormat::WebP);
        let bitstream = &simple[12..]; // the VP8L chunk
        let (w, h) = (image.width() - 1, image.height() - 1);
        let mut vp8x = b"VP8X\x0a\0\0\0".to_vec();
        vp8x.push(0x08); // EXIF follows
        vp8x.extend_from_slice(&[0, 0, 0]);
        vp8x.extend_from_slice(&w.to_le_bytes()[..3]);
        vp8x.extend_from_slice(&h.to_le_bytes()[..3]);
        let mut exif_chunk = b"EXIF".to_vec();
        exif_chunk.extend_from_slice(&(exif.len() as u32).to_le_bytes());
        exif_chunk.extend_from_slice(exif);
        if exif.len() % 2 == 1 {
            exif_chunk.push(0);
        }
        let body = [&b"WEBP"[..], &vp8x, bitstream, &exif_chunk].concat();
        [&b"RIFF"[..], &(body.len() as u32).to_le_bytes(), &body].concat()
    }

    /// An animated GIF of `frames` frames, each a different colour, 70 ms apart, looping.
    pub fn animated_gif(width: u32, height: u32, frames: u32) -> Vec<u8> {
        use image::codecs::gif::{GifEncoder, Repeat};
        let mut out = Vec::new();
        {
            let mut encoder = GifEncoder::new_with_speed(&mut out, 30);
            encoder.set_repeat(Repeat::Infinite).unwrap();
            for i in 0..frames {
                let colour = [RED, GREEN, BLUE, WHITE][i as usize % 4];
                let buffer = image::RgbaImage::from_pixel(
                    width,
                    height,
                    image::Rgba([colour[0], colour[1], colour[2], 255]),
                );
                encoder
                    .encode_frame(image::Frame::from_parts(
                        buffer,
                        0,
                        0,
                        image::Delay::from_numer_denom_ms(70, 1),
                    ))
                    .unwrap();
            }
        }
        out
    }
}

use fixture::*;

fn library() -> (tempfile::TempDir, ImageLibrary) {
    let dir = tempfile::tempdir().unwrap();
    let lib = ImageLibrary::new(dir.path().join("images"));
    (dir, lib)
}

fn stored(lib: &ImageLibrary, attached: &Attached) -> Vec<u8> {
    std::fs::read(lib.path_of(&attached.image.file).unwrap()).unwrap()
}

fn read_exif(bytes: &[u8]) -> Option<exif::Exif> {
    exif::Reader::new()
        .read_from_container(&mut Cursor::new(bytes))
        .ok()
}

fn has_gps(exif: &exif::Exif) -> bool {
    exif.fields().any(|f| f.tag.context() == exif::Context::Gps)
}

fn orientation_tag(exif: &exif::Exif) -> Option<u32> {
    exif.get_field(exif::Tag::Orientation, exif::In::PRIMARY)
        .and_then(|f| f.value.get_uint(0))
}

fn decode(bytes: &[u8]) -> DynamicImage {
    image::load_from_memory(bytes).unwrap()
}

/// Asserts the pixel at (x, y) is close to `want` (JPEG blurs colours a little).
fn assert_colour(image: &DynamicImage, x: u32, y: u32, want: [u8; 3], what: &str) {
    let got = image.get_pixel(x, y).0;
    let close = (0..3).all(|i| got[i].abs_diff(want[i]) < 40);
    assert!(
        close,
        "{what}: pixel ({x}, {y}) is {got:?}, want about {want:?}"
    );
}

/// Upright, the quarters read: blue top left, red top right, white bottom left, green
/// bottom right — a 64×32 picture stored on its side (EXIF orientation 6) shown 32×64.
fn assert_turned_upright(image: &DynamicImage) {
    assert_eq!(image.dimensions(), (32, 64));
    assert_colour(image, 4, 4, BLUE, "top left");
    assert_colour(image, 27, 4, RED, "top right");
    assert_colour(image, 4, 59, WHITE, "bottom left");
    assert_colour(image, 27, 59, GREEN, "bottom right");
}

#[test]
fn a_rotated_phone_photo_with_gps_is_sent_upright_and_without_gps() {
    let original = jpeg(&quarters(64, 32), 95, Some(exif(6, true)));
    let exif = read_exif(&original).expect("the fixture has EXIF");
    assert!(has_gps(&exif), "the fixture has a position");
    assert_eq!(orientation_tag(&exif), Some(6));

    let (_dir, lib) = library();
    let attached = lib
        .import_bytes_with("IMG_0001.jpg", original, &ImageOptions::default())
        .unwrap();
    let p = &attached.preparation;
    assert!(
        p.rotated && p.metadata_removed && p.reencoded && !p.resized,
        "{p:?}"
    );
    assert_eq!((p.original_width, p.original_height), (64, 32));
    assert_eq!((p.width, p.height), (32, 64));
    assert_eq!(attached.image.mime, "image/jpeg");
    assert_eq!(attached.image.name, "IMG_0001.jpg");

    let bytes = stored(&lib, &attached);
    assert!(read_exif(&bytes).is_none(), "no EXIF at all is left");
    assert!(!bytes.windows(6).any(|w| w == b"Exif\0\0"));
    assert_turned_upright(&decode(&bytes));

    // What is sent is what is stored, and it needs no more work.
    let sent = lib
        .load(&attached.image.file, &attached.image.name)
        .unwrap();
    assert_eq!(sent.bytes(), &bytes[..]);
    assert_eq!(sent.kind(), ImageType::Jpeg);
    assert_eq!(sent.file_name(), "IMG_0001.jpg");
}

#[test]
fn kept_metadata_keeps_the_position_but_not_the_turn() {
    let original = jpeg(&quarters(64, 32), 95, Some(exif(6, true)));
    let (_dir, lib) = library();
    let keep = ImageOptions {
        keep_metadata: true,
        ..ImageOptions::default()
    };
    let attached = lib
        .import_bytes_with("IMG_0002.jpg", original, &keep)
        .unwrap();
    assert!(attached.preparation.rotated && !attached.preparation.metadata_removed);
    let bytes = stored(&lib, &attached);
    let exif = read_exif(&bytes).expect("EXIF kept");
    assert!(has_gps(&exif), "the position is kept when asked");
    // The pixels are upright, so the tag must not turn them again.
    assert_eq!(orientation_tag(&exif), Some(1));
    assert_turned_upright(&decode(&bytes));
    // Sent with the same options: as stored.
    let sent = lib
        .load_with(&attached.image.file, &attached.image.name, &keep)
        .unwrap();
    assert_eq!(sent.bytes(), &bytes[..]);
}

#[test]
fn an_upright_photo_loses_its_exif_without_being_re_encoded() {
    let picture = quarters(64, 32);
    let original = jpeg(&picture, 90, Some(exif(1, true)));
    let (_dir, lib) = library();
    let attached = lib
        .import_bytes_with("upright.jpg", original.clone(), &ImageOptions::default())
        .unwrap();
    let p = &attached.preparation;
    assert!(
        p.metadata_removed && !p.reencoded && !p.rotated && !p.resized,
        "{p:?}"
    );
    let bytes = stored(&lib, &attached);
    assert!(read_exif(&bytes).is_none());
    assert!(bytes.len() < original.len());
    // The same compressed pixels: decoding both gives identical images.
    assert_eq!(decode(&bytes).to_rgb8(), decode(&original).to_rgb8());
}

#[test]
fn a_twelve_megapixel_photo_is_scaled_down_under_both_limits() {
    let started = Instant::now();
    let original = jpeg(&photo(4000, 3000), 92, Some(exif(1, true)));
    let generated = started.elapsed();
    assert!(original.len() as u64 > ImageOptions::DEFAULT_MAX_BYTES / 2);

    let (_dir, lib) = library();
    let started = Instant::now();
    let attached = lib
        .import_bytes_with("DSC_0042.JPG", original.clone(), &ImageOptions::default())
        .unwrap();
    let took = started.elapsed();
    let p = &attached.preparation;
    println!(
        "12 MP photo ({profile} build): {:.1} MB {}x{} -> {:.2} MB {}x{} in {:.2} s (generating it took {:.2} s)",
        original.len() as f64 / 1e6,
        p.original_width,
        p.original_height,
        attached.image.size as f64 / 1e6,
        p.width,
        p.height,
        took.as_secs_f64(),
        generated.as_secs_f64(),
        profile = if cfg!(debug_assertions) { "debug" } else { "release" },
    );
    assert!(
        p.resized && p.reencoded && p.metadata_removed && !p.rotated,
        "{p:?}"
    );
    assert_eq!((p.width, p.height), (2048, 1536));
    assert!(attached.image.size <= ImageOptions::DEFAULT_MAX_BYTES);
    assert_eq!(attached.image.name, "DSC_0042.JPG");
    let bytes = stored(&lib, &attached);
    assert!(read_exif(&bytes).is_none());
    let sent = decode(&bytes);
    assert_eq!(sent.dimensions(), (2048, 1536));
}

#[test]
fn a_limit_in_bytes_alone_holds_by_scaling_further() {
    let original = jpeg(&photo(1200, 900), 95, None);
    let tight = ImageOptions {
        max_bytes: 100 * 1024,
        ..ImageOptions::default()
    };
    assert!(original.len() > 100 * 1024);
    let (_dir, lib) = library();
    let attached = lib
        .import_bytes_with("grain.jpg", original, &tight)
        .unwrap();
    assert!(attached.image.size <= 100 * 1024, "{}", attached.image.size);
    let (w, h) = (attached.preparation.width, attached.preparation.height);
    assert!(w < 1200 && attached.preparation.resized, "{w}x{h}");
    assert!(
        (f64::from(w) / f64::from(h) - 4.0 / 3.0).abs() < 0.01,
        "{w}x{h}"
    );
}

#[test]
fn an_image_that_stays_over_the_limit_scaled_down_is_refused() {
    // A colour profile is carried into every re-encoding, whatever the size of the pixels:
    // 1.2 MB of one (random, so it does not compress) keeps a PNG over 1 MiB at any size.
    let mut seed = 0x2545_f491_u32;
    let mut profile: Vec<u8> = (0..1_200_000)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed.to_le_bytes()[0]
        })
        .collect();
    profile[16..20].copy_from_slice(b"RGB ");
    let image = quarters(300, 200);
    let mut png = Vec::new();
    let mut encoder = image::codecs::png::PngEncoder::new(&mut png);
    encoder.set_icc_profile(profile).unwrap();
    encoder
        .write_image(image.as_raw(), 300, 200, image::ExtendedColorType::Rgb8)
        .unwrap();
    let tight = ImageOptions {
        max_bytes: 1024 * 1024,
        ..ImageOptions::default()
    };
    let (_dir, lib) = library();
    let err = lib
        .import_bytes_with("profiled.png", png, &tight)
        .unwrap_err();
    assert_eq!(err.code(), "image_cannot_shrink", "{err}");
    assert_eq!(
        err.to_string(),
        "profiled.png, which stays over 1 MiB even when scaled down, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP."
    );
    assert!(!lib.dir().exists(), "nothing was stored");
}

#[test]
fn oversized_images_keep_their_type_except_an_opaque_webp() {
    let wide = |alpha: bool| {
        let rgb = quarters(2100, 60);
        if alpha {
            let mut rgba = DynamicImage::ImageRgb8(rgb).to_rgba8();
            rgba.get_pixel_mut(0, 0).0[3] = 0;
            DynamicImage::ImageRgba8(rgba)
        } else {
            DynamicImage::ImageRgb8(rgb)
        }
    };
    let cases = [
        (
            "a.png",
            encoded(&wide(false), image::ImageFormat::Png),
            "a.png",
            ImageType::Png,
        ),
        (
            "a.gif",
            encoded(&wide(false), image::ImageFormat::Gif),
            "a.gif",
            ImageType::Gif,
        ),
        (
            "a.webp",
            encoded(&wide(true), image::ImageFormat::WebP),
            "a.webp",
            ImageType::Webp,
        ),
        (
            "b.webp",
            encoded(&wide(false), image::ImageFormat::WebP),
            "b.jpg",
            ImageType::Jpeg,
        ),
    ];
    let (_dir, lib) = library();
    for (name, bytes, stored_as, kind) in cases {
        let attached = lib
            .import_bytes_with(name, bytes, &ImageOptions::default())
            .unwrap();
        let p = &attached.preparation;
        assert!(p.resized && p.reencoded, "{name}: {p:?}");
        assert_eq!((p.width, p.height), (2048, 59), "{name}");
        assert_eq!(attached.image.name, stored_as);
        assert_eq!(attached.image.mime, kind.mime(), "{name}");
        let sent = decode(&stored(&lib, &attached));
        assert_eq!(sent.dimensions(), (2048, 59));
        assert_colour(&sent, 10, 10, RED, name);
        assert_colour(&sent, 2040, 50, WHITE, name);
    }
}

#[test]
fn each_accepted_format_attaches_as_it_is() {
    let picture = DynamicImage::ImageRgb8(quarters(40, 30));
    let cases = [
        ("a.jpg", jpeg(&quarters(40, 30), 90, None), ImageType::Jpeg),
        (
            "a.png",
            encoded(&picture, image::ImageFormat::Png),
            ImageType::Png,
        ),
        (
            "a.gif",
            encoded(&picture, image::ImageFormat::Gif),
            ImageType::Gif,
        ),
        (
            "a.webp",
            encoded(&picture, image::ImageFormat::WebP),
            ImageType::Webp,
        ),
        ("animated.gif", animated_gif(40, 30, 3), ImageType::Gif),
    ];
    let (_dir, lib) = library();
    for (name, bytes, kind) in cases {
        let attached = lib
            .import_bytes_with(name, bytes.clone(), &ImageOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            attached.preparation.untouched(),
            "{name}: {:?}",
            attached.preparation
        );
        assert_eq!(attached.image.mime, kind.mime(), "{name}");
        assert_eq!(attached.image.name, name);
        assert!(attached.image.file.ends_with(kind.extension()));
        assert_eq!(stored(&lib, &attached), bytes, "{name} is stored as it was");
        let sent = lib
            .load(&attached.image.file, &attached.image.name)
            .unwrap();
        assert_eq!(sent.bytes(), &bytes[..]);
        assert_eq!(sent.kind(), kind);
    }
}

#[test]
fn a_jpeg_named_png_is_stored_and_sent_as_a_jpeg_named_jpg() {
    let (_dir, lib) = library();
    let attached = lib
        .import_bytes("holiday.png", jpeg(&quarters(40, 30), 90, None))
        .unwrap();
    assert_eq!(attached.mime, "image/jpeg");
    assert_eq!(attached.name, "holiday.jpg");
    assert!(attached.file.ends_with(".jpg"));
    // An image stored under its wrong name by an older version is sent corrected too.
    let sent = lib.load(&attached.file, "holiday.png").unwrap();
    assert_eq!(sent.kind().mime(), "image/jpeg");
    assert_eq!(sent.file_name(), "holiday.jpg");
    assert_eq!(
        lib.describe(&attached.file, "holiday.png").unwrap().name,
        "holiday.jpg"
    );
}

#[test]
fn formats_the_service_does_not_take_are_refused_naming_the_accepted_ones() {
    let mut bmp = b"BM\x46\0\0\0\0\0\0\0\x36\0\0\0\x28\0\0\0".to_vec();
    bmp.resize(70, 0);
    let cases: [(&str, Vec<u8>, &str); 6] = [
        (
            "IMG_4242.HEIC",
            b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec(),
            "a HEIC image",
        ),
        (
            "cat.avif",
            b"\0\0\0\x1cftypavif\0\0\0\0avifmif1miaf".to_vec(),
            "an AVIF image",
        ),
        ("scan.tiff", b"II*\0\x08\0\0\0\0\0".to_vec(), "a TIFF image"),
        ("paint.bmp", bmp, "a BMP image"),
        (
            "logo.svg",
            b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>".to_vec(),
            "an SVG image",
        ),
        (
            "photo.png",
            b"\0\0\0\x20ftypheic\0\0\0\0mif1heicmiaf".to_vec(),
            "a HEIC image",
        ),
    ];
    let (dir, lib) = library();
    for (name, bytes, what) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let err = lib.import_file(&path).unwrap_err();
        assert_eq!(err.code(), "image_unsupported", "{name}");
        assert_eq!(
            err.to_string(),
            format!("{name}, {what}, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP.")
        );
    }
    assert!(!lib.dir().exists() || std::fs::read_dir(lib.dir()).unwrap().count() == 0);
}

#[test]
fn files_that_are_no_image_at_all_are_not_an_image_even_when_recognised() {
    let (_dir, lib) = library();
    for (name, bytes, what) in [
        ("report.png", &b"%PDF-1.7\n%\xE2\xE3"[..], "a PDF document"),
        (
            "clip.jpg",
            b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2mp41",
            "a video",
        ),
    ] {
        let err = lib.import_bytes(name, bytes.to_vec()).unwrap_err();
        assert_eq!(err.code(), "not_an_image", "{name}");
        assert_eq!(
            err.to_string(),
            format!("{name}, {what}, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP.")
        );
    }
    // Bytes that say nothing, named as an image type the service does not take.
    let err = lib
        .import_bytes("shot.bmp", b"garbage".to_vec())
        .unwrap_err();
    assert_eq!(err.code(), "image_unsupported");
    assert_eq!(
        err.to_string(),
        "shot.bmp, an image of type BMP, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP."
    );
}

#[test]
fn a_renamed_non_image_is_refused() {
    let (dir, lib) = library();
    for (name, bytes) in [
        ("photo.jpg", &b"Dear diary, today I took a photo."[..]),
        ("photo.png", b"PK\x03\x04 a zip archive"),
        ("empty.gif", b""),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let err = lib.import_file(&path).unwrap_err();
        assert_eq!(err.code(), "not_an_image");
        assert_eq!(
            err.to_string(),
            format!("{name} is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP.")
        );
    }
    // The right magic bytes and nothing behind them: damaged, said in words.
    let err = lib
        .import_bytes("cut.jpg", b"\xFF\xD8\xFF\xE0\0\x10JFIF\0".to_vec())
        .unwrap_err();
    assert_eq!(err.code(), "image_damaged");
    assert_eq!(
        err.to_string(),
        "cut.jpg, a damaged or incomplete JPEG file, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP."
    );
}

#[test]
fn the_original_file_is_never_modified() {
    let (dir, lib) = library();
    let path = dir.path().join("IMG_0003.jpg");
    let original = jpeg(&quarters(64, 32), 95, Some(exif(6, true)));
    std::fs::write(&path, &original).unwrap();
    let before = std::fs::metadata(&path).unwrap().modified().unwrap();
    let attached = lib
        .import_file_with(&path, &ImageOptions::default())
        .unwrap();
    assert!(attached.preparation.rotated);
    assert_ne!(stored(&lib, &attached), original);
    assert_eq!(std::fs::read(&path).unwrap(), original);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        before
    );
}

#[test]
fn an_original_stored_by_an_older_version_is_prepared_when_sent() {
    let (_dir, lib) = library();
    let original = jpeg(&quarters(64, 32), 95, Some(exif(6, true)));
    let file = format!("{}.jpg", dynaspark_imaging::content_hash(&original));
    std::fs::create_dir_all(lib.dir()).unwrap();
    std::fs::write(lib.dir().join(&file), &original).unwrap();
    let sent = lib.load(&file, "old.jpg").unwrap();
    assert!(read_exif(sent.bytes()).is_none());
    assert_turned_upright(&decode(sent.bytes()));
    // On disk it stays as it was: messages refer to it by its hash.
    assert_eq!(std::fs::read(lib.dir().join(&file)).unwrap(), original);
}

#[test]
fn png_text_and_exif_chunks_are_removed_without_re_encoding() {
    let png = encoded(
        &DynamicImage::ImageRgb8(quarters(40, 30)),
        image::ImageFormat::Png,
    );
    let tagged = png_with(
        &png,
        &[
            png_chunk(b"eXIf", &exif(1, true)),
            png_chunk(b"tEXt", b"Comment\0taken at home"),
        ],
    );
    assert!(read_exif(&tagged).is_some_and(|e| has_gps(&e)));
    let (_dir, lib) = library();
    let attached = lib
        .import_bytes_with("map.png", tagged, &ImageOptions::default())
        .unwrap();
    assert!(attached.preparation.metadata_removed && !attached.preparation.reencoded);
    assert_eq!(stored(&lib, &attached), png);
}

#[test]
fn webp_exif_is_removed_and_a_turned_opaque_webp_becomes_an_upright_jpeg() {
    let picture = DynamicImage::ImageRgb8(quarters(64, 32));
    let (_dir, lib) = library();

    let upright = webp_with_exif(&picture, &exif(1, true));
    assert!(read_exif(&upright).is_some_and(|e| has_gps(&e)));
    let attached = lib
        .import_bytes_with("sticker.webp", upright, &ImageOptions::default())
        .unwrap();
    assert!(attached.preparation.metadata_removed && !attached.preparation.reencoded);
    let bytes = stored(&lib, &attached);
    assert!(read_exif(&bytes).is_none());
    assert_eq!(decode(&bytes).to_rgb8(), picture.to_rgb8());

    let turned = webp_with_exif(&picture, &exif(6, true));
    let attached = lib
        .import_bytes_with("sticker.webp", turned, &ImageOptions::default())
        .unwrap();
    assert!(attached.preparation.rotated);
    assert_eq!(attached.image.mime, "image/jpeg");
    assert_eq!(attached.image.name, "sticker.jpg");
    let bytes = stored(&lib, &attached);
    assert!(read_exif(&bytes).is_none());
    assert_turned_upright(&decode(&bytes));
}

#[test]
fn a_large_animated_gif_is_scaled_frame_by_frame_not_flattened() {
    use image::AnimationDecoder as _;
    let original = animated_gif(2400, 60, 3);
    let (_dir, lib) = library();
    let attached = lib
        .import_bytes_with("wave.gif", original, &ImageOptions::default())
        .unwrap();
    let p = &attached.preparation;
    assert!(p.resized && p.reencoded, "{p:?}");
    assert_eq!((p.width, p.height, p.frames), (2048, 51, 3));
    let bytes = stored(&lib, &attached);
    let frames = image::codecs::gif::GifDecoder::new(Cursor::new(&bytes))
        .unwrap()
        .into_frames()
        .collect_frames()
        .unwrap();
    assert_eq!(frames.len(), 3, "every frame is kept");
    for (i, frame) in frames.iter().enumerate() {
        assert_eq!(frame.buffer().dimensions(), (2048, 51));
        assert_eq!(frame.delay().numer_denom_ms(), (70, 1));
        let want = [RED, GREEN, BLUE][i];
        assert_colour(
            &DynamicImage::ImageRgba8(frame.buffer().clone()),
            1000,
            25,
            want,
            "frame",
        );
    }
}

#[test]
fn an_animated_gif_that_fits_loses_only_its_comments() {
    let gif = animated_gif(40, 30, 4);
    // A comment block just before the trailer.
    let commented = [&gif[..gif.len() - 1], b"\x21\xfe\x08GPS 55 N\0\x3b"].concat();
    let (_dir, lib) = library();
    let attached = lib
        .import_bytes_with("loop.gif", commented, &ImageOptions::default())
        .unwrap();
    assert!(attached.preparation.metadata_removed && !attached.preparation.reencoded);
    assert_eq!(attached.preparation.frames, 4);
    assert_eq!(stored(&lib, &attached), gif);
}

#[test]
fn an_animated_png_over_the_limits_is_refused_not_flattened() {
    let png = encoded(
        &DynamicImage::ImageRgb8(quarters(100, 80)),
        image::ImageFormat::Png,
    );
    let apng = png_with(&png, &[png_chunk(b"acTL", &[0, 0, 0, 2, 0, 0, 0, 0])]);
    let (_dir, lib) = library();
    let small = ImageOptions {
        max_side: 64,
        ..ImageOptions::default()
    };
    let err = lib
        .import_bytes_with("spin.png", apng.clone(), &small)
        .unwrap_err();
    assert_eq!(err.code(), "image_cannot_shrink");
    assert!(
        err.to_string()
            .starts_with("spin.png, an animated PNG larger than 64 pixels or 4 MiB"),
        "{err}"
    );
    // Within the limits it goes as it is.
    let attached = lib
        .import_bytes_with("spin.png", apng.clone(), &ImageOptions::default())
        .unwrap();
    assert_eq!(stored(&lib, &attached), apng);
}

#[test]
fn a_clipboard_image_without_a_name_gets_one() {
    let (_dir, lib) = library();
    let png = encoded(
        &DynamicImage::ImageRgb8(quarters(8, 8)),
        image::ImageFormat::Png,
    );
    assert_eq!(lib.import_bytes("", png).unwrap().name, "image.png");
}

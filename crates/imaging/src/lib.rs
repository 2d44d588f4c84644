//! Turns an attached file into what is stored and sent: a format Dynaspark takes, not a
//! decompression bomb, upright, within the size limits, without private metadata.
//! Works on bytes in memory; never reads or writes a file, so the original is never touched.
//! A crate of its own so the release profile can build it for speed (`opt-level = 3`)
//! while the rest of the app is built for size: the decoders', encoders' and scaler's
//! generic code is compiled where it is used, here.

use std::borrow::Cow;
use std::io::Cursor;
use std::time::Instant;

use dynaspark::ImageType;
use image::codecs::gif::{GifDecoder, GifEncoder, Repeat};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::metadata::{LoopCount, Orientation};
use image::{
    AnimationDecoder, DynamicImage, ExtendedColorType, Frame, ImageDecoder, ImageEncoder,
    ImageError, ImageFormat, ImageReader, Limits,
};
use serde::{Deserialize, Serialize};

mod metadata;

use metadata::Walk;

/// The widest or tallest image opened at all; larger ones are refused from their header.
pub const MAX_DECODED_SIDE: u32 = 20_000;
/// The most memory the pixels of one image may take once decoded.
pub const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// Why a file was refused: not an image at all (the client's own error, with its code),
/// or an image this app cannot take ([`Refusal`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not an image the service takes, and not one of another known image type.
    #[error(transparent)]
    NotAnImage(#[from] dynaspark::Error),
    /// An image, refused for what it is.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// An image refused for what it is, each kind with its own code for the page.
/// dynaspark-core keeps it as its error and says which formats are taken after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// A real image in a format the service does not take; `what` names it.
    #[error("{name}, {what}, is not a supported image.")]
    Unsupported { name: String, what: String },
    /// A file of an accepted type that does not decode: damaged, cut short, without pixels.
    #[error("{name}, {why}, is not a supported image.")]
    Damaged { name: String, why: String },
    /// More pixels than can be decoded safely (a decompression bomb), mostly judged from
    /// the header before decoding.
    #[error("{name}, {why}, is not a supported image.")]
    TooBigToOpen { name: String, why: String },
    /// Over the size limits even scaled down, or an animation that cannot be scaled here.
    #[error("{name}, {why}, is not a supported image.")]
    CannotShrink { name: String, why: String },
}

impl Refusal {
    /// The stable code the page reads.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Unsupported { .. } => "image_unsupported",
            Refusal::Damaged { .. } => "image_damaged",
            Refusal::TooBigToOpen { .. } => "image_too_big_to_open",
            Refusal::CannotShrink { .. } => "image_cannot_shrink",
        }
    }

    /// The same refusal of the image shown as `name`.
    pub fn renamed(self, name: String) -> Self {
        match self {
            Refusal::Unsupported { what, .. } => Refusal::Unsupported { name, what },
            Refusal::Damaged { why, .. } => Refusal::Damaged { name, why },
            Refusal::TooBigToOpen { why, .. } => Refusal::TooBigToOpen { name, why },
            Refusal::CannotShrink { why, .. } => Refusal::CannotShrink { name, why },
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The SHA-256 of `bytes` in lower-case hex: the name a prepared image is stored under.
/// Here, built for speed, because hashing code is compiled where it is called: at the
/// size-optimised level, a 4 MB image took some 90 ms longer.
pub fn content_hash(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}
/// JPEG quality of re-encoded images: no visible loss on photos, a fraction of the size.
const JPEG_QUALITY: u8 = 85;

/// Decoded pixels an animation may have in all (frames × width × height) to be scaled down.
/// Frames are decoded, scaled and quantised one at a time, so this bounds the time, not the
/// memory: about 0.1 s a megapixel in a release build (an 800 × 600 GIF of 60 frames takes
/// 3 s), so at most some 10 s.
const MAX_ANIMATION_PIXELS: u64 = 100_000_000;
/// NeuQuant sampling for re-encoded GIF frames: 10 is its documented good trade-off.
const GIF_SPEED: i32 = 10;
/// How often an image that is still too heavy after scaling is scaled down again.
const SHRINK_ATTEMPTS: usize = 6;
/// Floors for the options (see [`ImageOptions::clamped`]).
const MIN_SIDE: u32 = 64;
const MIN_BYTES: u64 = 64 * 1024;

/// How images are prepared before they are stored and sent. The settings feed these;
/// the defaults suit the service (Gemini scales larger images down anyway).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ImageOptions {
    /// Above this many bytes an image is re-encoded, then scaled down until it fits.
    pub max_bytes: u64,
    /// Above this many pixels on its long side an image is scaled down to it.
    pub max_side: u32,
    /// Keep EXIF, XMP and other metadata (place, camera, date) in what is sent.
    pub keep_metadata: bool,
}

impl ImageOptions {
    pub const DEFAULT_MAX_BYTES: u64 = 4 * 1024 * 1024;
    pub const DEFAULT_MAX_SIDE: u32 = 2048;

    /// With floors, so a damaged setting cannot shrink images to nothing.
    fn clamped(&self) -> Self {
        Self {
            max_bytes: self.max_bytes.max(MIN_BYTES),
            max_side: self.max_side.max(MIN_SIDE),
            keep_metadata: self.keep_metadata,
        }
    }
}

impl Default for ImageOptions {
    fn default() -> Self {
        Self {
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_side: Self::DEFAULT_MAX_SIDE,
            keep_metadata: false,
        }
    }
}

/// What preparing an image did, for the person ("scaled down from 4000 × 3000").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Preparation {
    /// Pixel size of what is stored and sent, upright.
    pub width: u32,
    pub height: u32,
    /// Pixel size of the file as given, before any rotation.
    pub original_width: u32,
    pub original_height: u32,
    pub original_size: u64,
    pub original_mime: &'static str,
    /// Frames in the image: more than one is an animation.
    pub frames: u32,
    pub resized: bool,
    /// The EXIF orientation was applied to the pixels.
    pub rotated: bool,
    /// EXIF, XMP, comments or other metadata were left out.
    pub metadata_removed: bool,
    /// The pixels were decoded and encoded again (else the bytes are the original's, or the
    /// original's without metadata blocks).
    pub reencoded: bool,
}

impl Preparation {
    /// The bytes are exactly the original's.
    pub fn untouched(&self) -> bool {
        !(self.resized || self.rotated || self.metadata_removed || self.reencoded)
    }
}

/// An image ready to store and send.
#[derive(Debug)]
pub struct Prepared {
    pub kind: ImageType,
    pub bytes: Vec<u8>,
    pub report: Preparation,
}

/// Checks and prepares `bytes` (the file named `name`, for messages) under `options`:
/// - Not a format the service takes, a damaged file, or more pixels than can be decoded
///   safely (judged from the header, before decoding): refused, saying which.
/// - Small enough and upright: sent as it is, or with its metadata blocks cut out
///   losslessly (no re-encoding) unless metadata is kept.
/// - Turned by an EXIF orientation (phone photos): the pixels are rotated and re-encoded,
///   because the service may ignore the tag. Kept metadata then says "upright".
/// - Too large: scaled down to fit, keeping the aspect ratio. JPEG is re-encoded at quality
///   85, PNG stays PNG (lossless), a still GIF stays GIF. A WebP without transparency becomes
///   a JPEG (the only WebP encoder here is lossless, which makes photos huge); with
///   transparency it stays a lossless WebP.
/// - Animations are never flattened. An animated GIF over the limits is scaled frame by
///   frame and re-encoded (every frame re-quantised, timing and looping kept); an animated
///   PNG or WebP over the limits is refused, as there is no encoder for them here.
/// - Re-encoding keeps the ICC colour profile (it describes colours, not people) and, when
///   metadata is kept, the EXIF; XMP, IPTC and text chunks are not carried over.
pub fn prepare(name: &str, bytes: Vec<u8>, options: &ImageOptions) -> Result<Prepared> {
    let started = Instant::now();
    let options = options.clamped();
    let Some(kind) = dynaspark::sniff_image_type(&bytes) else {
        return Err(unsupported(name, &bytes));
    };
    let (width, height, orientation) = {
        let mut decoder = open(kind, &bytes).map_err(|e| damaged(name, kind, &e))?;
        let (width, height) = decoder.dimensions();
        check_pixels(name, kind, width, height, decoder.total_bytes())?;
        let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
        (width, height, orientation)
    };
    let walked = metadata::walk(kind, &bytes, !options.keep_metadata);
    if let Err(e) = &walked {
        tracing::debug!(
            reason = e.0,
            "image structure not followed; re-encoding instead"
        );
    }
    let frames = walked.as_ref().map_or(1, |w| w.frames);
    let has_metadata = match &walked {
        Ok(w) => w.stripped.is_some(),
        Err(_) => !options.keep_metadata,
    };
    let too_big = width.max(height) > options.max_side || bytes.len() as u64 > options.max_bytes;
    let report = Preparation {
        width,
        height,
        original_width: width,
        original_height: height,
        original_size: bytes.len() as u64,
        original_mime: kind.mime(),
        frames,
        resized: false,
        rotated: false,
        metadata_removed: false,
        reencoded: false,
    };

    let prepared = if frames > 1 && too_big {
        if kind != ImageType::Gif {
            return Err(Refusal::CannotShrink {
                name: name.to_owned(),
                why: format!(
                    "an animated {} larger than {} pixels or {} (it cannot be made smaller here without losing the animation)",
                    kind.label(),
                    options.max_side,
                    mib(options.max_bytes)
                ),
            }.into());
        }
        scale_animated_gif(name, &bytes, &options, has_metadata, report)?
    } else if frames == 1
        && (too_big || orientation != Orientation::NoTransforms || walked.is_err() && has_metadata)
    {
        let mut decoder = open(kind, &bytes).map_err(|e| damaged(name, kind, &e))?;
        let icc = decoder.icc_profile().ok().flatten();
        let exif = if options.keep_metadata {
            decoder.exif_metadata().ok().flatten()
        } else {
            None
        };
        decoder
            .set_limits(strict_limits())
            .map_err(|e| damaged(name, kind, &e))?;
        let mut image = DynamicImage::from_decoder(decoder).map_err(|e| damaged(name, kind, &e))?;
        image.apply_orientation(orientation);
        let source = Source {
            icc,
            exif,
            rotated: orientation != Orientation::NoTransforms,
            had_metadata: has_metadata,
        };
        reencode(name, kind, &image, source, &options, report)?
    } else {
        // Animations that fit are sent as they are (never rotated: no format here gives an
        // animation an orientation in practice), as are upright stills that fit.
        match walked {
            Ok(Walk {
                stripped: Some(stripped),
                ..
            }) => Prepared {
                kind,
                bytes: stripped,
                report: Preparation {
                    metadata_removed: true,
                    ..report
                },
            },
            _ => Prepared {
                kind,
                bytes,
                report,
            },
        }
    };
    let r = &prepared.report;
    if !r.untouched() {
        tracing::info!(
            from = %format_args!("{} {}x{} {} B", r.original_mime, r.original_width, r.original_height, r.original_size),
            to = %format_args!("{} {}x{} {} B", prepared.kind.mime(), r.width, r.height, prepared.bytes.len()),
            resized = r.resized,
            rotated = r.rotated,
            metadata_removed = r.metadata_removed,
            ms = started.elapsed().as_millis() as u64,
            "image prepared"
        );
    }
    Ok(prepared)
}

/// Prepares raw RGBA pixels (what the clipboard gives) as a PNG, scaled to fit `options`.
/// Encoded once, at the size it is sent at; an opaque picture is stored without alpha.
pub fn prepare_pixels(
    name: &str,
    width: u32,
    height: u32,
    rgba: Vec<u8>,
    options: &ImageOptions,
) -> Result<Prepared> {
    let kind = ImageType::Png;
    let name = kind.corrected_name(name);
    let size = u64::from(width) * u64::from(height) * 4;
    check_pixels(&name, kind, width, height, size)?;
    let Some(buffer) = image::RgbaImage::from_raw(width, height, rgba) else {
        return Err(Refusal::Damaged {
            name,
            why: format!("pixels that do not fill {width} × {height}"),
        }
        .into());
    };
    let mut image = DynamicImage::ImageRgba8(buffer);
    if is_opaque(&image) {
        image = DynamicImage::ImageRgb8(image.to_rgb8());
    }
    let options = options.clamped();
    let report = Preparation {
        width,
        height,
        original_width: width,
        original_height: height,
        original_size: size,
        original_mime: "image/x-raw-rgba",
        frames: 1,
        resized: false,
        rotated: false,
        metadata_removed: false,
        reencoded: false,
    };
    let source = Source {
        icc: None,
        exif: None,
        rotated: false,
        had_metadata: false,
    };
    reencode(&name, kind, &image, source, &options, report)
}

/// What re-encoding carries over from the original.
struct Source {
    icc: Option<Vec<u8>>,
    /// Only when metadata is kept.
    exif: Option<Vec<u8>>,
    rotated: bool,
    had_metadata: bool,
}

/// Encodes an upright still image in the type it will be sent as, scaled to fit the options.
fn reencode(
    name: &str,
    kind: ImageType,
    image: &DynamicImage,
    source: Source,
    options: &ImageOptions,
    report: Preparation,
) -> Result<Prepared> {
    let out_kind = match kind {
        ImageType::Webp if is_opaque(image) => ImageType::Jpeg,
        other => other,
    };
    let icc = source
        .icc
        .filter(|profile| profile_fits(profile, image.color().has_color()));
    let exif = source.exif.map(|mut exif| {
        // The pixels are upright now; a kept orientation would turn them a second time.
        let _ = Orientation::remove_from_exif_chunk(&mut exif);
        exif
    });
    let (width, height) = (image.width(), image.height());
    let fitted = shrink_until_fits(name, options, (width, height), |w, h| {
        let scaled = if (w, h) == (width, height) {
            Cow::Borrowed(image)
        } else {
            Cow::Owned(downscale(image, w, h))
        };
        encode(out_kind, &scaled, icc.as_deref(), exif.as_deref())
            .map_err(|e| damaged(name, kind, &e))
    })?;
    Ok(Prepared {
        kind: out_kind,
        bytes: fitted.bytes,
        report: Preparation {
            width: fitted.width,
            height: fitted.height,
            resized: fitted.resized,
            rotated: source.rotated,
            metadata_removed: source.had_metadata && !options.keep_metadata,
            reencoded: true,
            ..report
        },
    })
}

/// Scales every frame of an animated GIF and encodes them again, one frame at a time.
fn scale_animated_gif(
    name: &str,
    bytes: &[u8],
    options: &ImageOptions,
    had_metadata: bool,
    report: Preparation,
) -> Result<Prepared> {
    let kind = ImageType::Gif;
    let (width, height, frames) = (report.width, report.height, report.frames);
    let pixels = u64::from(width) * u64::from(height) * u64::from(frames);
    if pixels > MAX_ANIMATION_PIXELS {
        return Err(Refusal::CannotShrink {
            name: name.to_owned(),
            why: format!(
                "an animation of {frames} frames at {width} × {height} pixels (too much to scale down here)"
            ),
        }.into());
    }
    let fitted = shrink_until_fits(name, options, (width, height), |w, h| {
        encode_scaled_gif(bytes, w, h).map_err(|e| damaged(name, kind, &e))
    })?;
    Ok(Prepared {
        kind,
        bytes: fitted.bytes,
        report: Preparation {
            width: fitted.width,
            height: fitted.height,
            resized: fitted.resized,
            metadata_removed: had_metadata && !options.keep_metadata,
            reencoded: true,
            ..report
        },
    })
}

/// What [`shrink_until_fits`] encoded, and at which size.
struct Fitted {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
    /// Smaller than the size given.
    resized: bool,
}

/// Encodes an image of `size` (width, height) with `encode_at(width, height)`, first at
/// its size capped to `options.max_side` on the long side, then, while the bytes are over
/// `options.max_bytes`, smaller (keeping the aspect ratio) a few times, never below
/// [`MIN_SIDE`]. An error of `encode_at` ends it; still too heavy at the end: refused.
fn shrink_until_fits(
    name: &str,
    options: &ImageOptions,
    size: (u32, u32),
    mut encode_at: impl FnMut(u32, u32) -> Result<Vec<u8>>,
) -> Result<Fitted> {
    let (width, height) = size;
    let mut long_side = width.max(height).min(options.max_side);
    for _ in 0..SHRINK_ATTEMPTS {
        let (w, h) = fit(width, height, long_side);
        let bytes = encode_at(w, h)?;
        if bytes.len() as u64 <= options.max_bytes {
            return Ok(Fitted {
                bytes,
                width: w,
                height: h,
                resized: (w, h) != size,
            });
        }
        long_side = shrunk(w.max(h), bytes.len() as u64, options.max_bytes);
        if long_side < MIN_SIDE {
            break;
        }
    }
    Err(Refusal::CannotShrink {
        name: name.to_owned(),
        why: format!(
            "which stays over {} even when scaled down",
            mib(options.max_bytes)
        ),
    }
    .into())
}

fn encode_scaled_gif(bytes: &[u8], w: u32, h: u32) -> image::ImageResult<Vec<u8>> {
    let mut decoder = GifDecoder::new(Cursor::new(bytes))?;
    decoder.set_limits(strict_limits())?;
    let repeat = match decoder.loop_count() {
        LoopCount::Infinite => Repeat::Infinite,
        LoopCount::Finite(n) => Repeat::Finite(u16::try_from(n.get()).unwrap_or(u16::MAX)),
    };
    let mut out = Vec::new();
    {
        let mut encoder = GifEncoder::new_with_speed(&mut out, GIF_SPEED);
        encoder.set_repeat(repeat)?;
        for frame in decoder.into_frames() {
            let frame = frame?;
            let delay = frame.delay();
            let full = DynamicImage::ImageRgba8(frame.into_buffer());
            let scaled = downscale(&full, w, h).into_rgba8();
            encoder.encode_frame(Frame::from_parts(scaled, 0, 0, delay))?;
        }
    }
    Ok(out)
}

fn encode(
    kind: ImageType,
    image: &DynamicImage,
    icc: Option<&[u8]>,
    exif: Option<&[u8]>,
) -> image::ImageResult<Vec<u8>> {
    fn with_metadata(encoder: &mut impl ImageEncoder, icc: Option<&[u8]>, exif: Option<&[u8]>) {
        // Encoders that cannot carry one say so; the image is still right without it.
        if let Some(icc) = icc {
            let _ = encoder.set_icc_profile(icc.to_vec());
        }
        if let Some(exif) = exif {
            let _ = encoder.set_exif_metadata(exif.to_vec());
        }
    }
    let mut out = Vec::new();
    match kind {
        ImageType::Jpeg => {
            let mut encoder = JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY);
            with_metadata(&mut encoder, icc, exif);
            let image = if image.color().has_color() {
                DynamicImage::ImageRgb8(image.to_rgb8())
            } else {
                DynamicImage::ImageLuma8(image.to_luma8())
            };
            image.write_with_encoder(encoder)?;
        }
        ImageType::Png => {
            let mut encoder = PngEncoder::new_with_quality(
                &mut out,
                CompressionType::Default,
                PngFilter::Adaptive,
            );
            with_metadata(&mut encoder, icc, exif);
            image.write_with_encoder(encoder)?;
        }
        ImageType::Webp => {
            let mut encoder = WebPEncoder::new_lossless(&mut out);
            with_metadata(&mut encoder, icc, exif);
            let image = if image.color().has_alpha() {
                DynamicImage::ImageRgba8(image.to_rgba8())
            } else {
                DynamicImage::ImageRgb8(image.to_rgb8())
            };
            image.write_with_encoder(encoder)?;
        }
        ImageType::Gif => {
            let rgba = image.to_rgba8();
            let mut encoder = GifEncoder::new_with_speed(&mut out, GIF_SPEED);
            encoder.encode(&rgba, rgba.width(), rgba.height(), ExtendedColorType::Rgba8)?;
        }
    }
    Ok(out)
}

/// Catmull-Rom, its support widened by the scale so every source pixel counts (no aliasing),
/// with alpha premultiplied (no dark fringes). `fast_image_resize` does it some 20 times
/// faster than `image`'s own resize, which took most of the time of a 12 MP photo. Every
/// image goes through its one RGBA layout and back to its own: each layout it is called
/// with brings about 40 copies of its SIMD code (one per fixed-point precision, for SSE4.1
/// and AVX2): 270 KiB per layout. A deeper image comes out 8-bit, as the formats it is sent
/// in mostly are.
fn downscale(image: &DynamicImage, w: u32, h: u32) -> DynamicImage {
    use DynamicImage as D;
    let has_alpha = image.color().has_alpha();
    let converted;
    let rgba = match image {
        D::ImageRgba8(rgba) => rgba,
        other => {
            converted = other.to_rgba8();
            &converted
        }
    };
    // Should it refuse (it has no reason to): the slower resize gives the same result.
    let Some(scaled) = resized_rgba(rgba, w, h, has_alpha) else {
        return image.resize_exact(w, h, FilterType::CatmullRom);
    };
    match image {
        D::ImageLuma8(_) => {
            let grey = scaled.pixels().map(|p| p.0[0]).collect();
            image::GrayImage::from_raw(w, h, grey).map_or(D::ImageRgba8(scaled), D::ImageLuma8)
        }
        _ if has_alpha => D::ImageRgba8(scaled),
        _ => D::ImageRgb8(D::ImageRgba8(scaled).into_rgb8()),
    }
}

/// `src` scaled to `w` × `h`; `alpha`: premultiplied while scaling (else it is taken as
/// opaque, and left alone).
fn resized_rgba(src: &image::RgbaImage, w: u32, h: u32, alpha: bool) -> Option<image::RgbaImage> {
    use fast_image_resize::images::{TypedImage, TypedImageRef};
    use fast_image_resize::pixels::U8x4;
    use fast_image_resize::{FilterType as Filter, ResizeAlg, ResizeOptions, Resizer};
    let mut out = vec![0; w as usize * h as usize * 4];
    let from = TypedImageRef::<U8x4>::from_buffer(src.width(), src.height(), src.as_raw()).ok()?;
    let mut to = TypedImage::<U8x4>::from_buffer(w, h, &mut out).ok()?;
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(Filter::CatmullRom))
        .use_alpha(alpha);
    Resizer::new().resize_typed(&from, &mut to, &options).ok()?;
    drop(to);
    image::RgbaImage::from_raw(w, h, out)
}

/// The size that fits `long_side` on the longer side, keeping the aspect ratio.
fn fit(width: u32, height: u32, long_side: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= long_side {
        return (width, height);
    }
    let scale = |side: u32| {
        let scaled =
            (u64::from(side) * u64::from(long_side) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(scaled).unwrap_or(u32::MAX).max(1)
    };
    (scale(width), scale(height))
}

/// The next long side to try when `bytes` came out over `limit`: the area (and so, roughly,
/// the size) shrinks by the ratio, with a margin.
fn shrunk(long_side: u32, bytes: u64, limit: u64) -> u32 {
    let factor = ((limit as f64 / bytes as f64).sqrt() * 0.9).clamp(0.25, 0.9);
    (f64::from(long_side) * factor) as u32
}

fn is_opaque(image: &DynamicImage) -> bool {
    match image {
        DynamicImage::ImageRgba8(b) => b.pixels().all(|p| p.0[3] == u8::MAX),
        DynamicImage::ImageLumaA8(b) => b.pixels().all(|p| p.0[1] == u8::MAX),
        other => !other.color().has_alpha(),
    }
}

/// An ICC profile describes the colour space of the pixels it comes with: kept only when the
/// re-encoded pixels are in that space (a CMYK JPEG's profile does not fit its RGB copy).
fn profile_fits(profile: &[u8], has_color: bool) -> bool {
    match profile.get(16..20) {
        Some(b"RGB ") => has_color,
        Some(b"GRAY") => !has_color,
        _ => false,
    }
}

fn format_of(kind: ImageType) -> ImageFormat {
    match kind {
        ImageType::Jpeg => ImageFormat::Jpeg,
        ImageType::Png => ImageFormat::Png,
        ImageType::Gif => ImageFormat::Gif,
        ImageType::Webp => ImageFormat::WebP,
    }
}

/// A decoder that has read the header only: dimensions, colour type, metadata.
fn open(kind: ImageType, bytes: &[u8]) -> image::ImageResult<impl ImageDecoder + '_> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format_of(kind));
    // No size limits yet, so a bomb's header can be read and refused in words; the PNG
    // decoder takes the allocation limit for its own buffers.
    let mut limits = Limits::no_limits();
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    reader.into_decoder()
}

fn strict_limits() -> Limits {
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    limits
}

/// Refuses, from the header alone, images too large to decode safely.
fn check_pixels(name: &str, kind: ImageType, width: u32, height: u32, bytes: u64) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(Refusal::Damaged {
            name: name.to_owned(),
            why: format!("a damaged {} file (it has no pixels)", kind.label()),
        }
        .into());
    }
    if width > MAX_DECODED_SIDE || height > MAX_DECODED_SIDE || bytes > MAX_DECODED_BYTES {
        return Err(Refusal::TooBigToOpen {
            name: name.to_owned(),
            why: format!(
                "at {width} × {height} pixels (more than can be opened safely: up to {MAX_DECODED_SIDE} pixels a side and {} of pixels)",
                mib(MAX_DECODED_BYTES)
            ),
        }.into());
    }
    Ok(())
}

/// The refusal of bytes that are not an accepted type: `image_unsupported` when they are an
/// image in another format (named: "a HEIC image"), else `not_an_image` (text, a PDF, a
/// video, bytes nothing is known of).
pub fn unsupported(name: &str, bytes: &[u8]) -> Error {
    /// What `describe_unsupported` recognises that is not an image at all.
    const NOT_IMAGES: [&str; 2] = ["a video", "a PDF document"];
    match dynaspark::describe_unsupported(name, bytes) {
        Some(what) if !NOT_IMAGES.contains(&what.as_str()) => Refusal::Unsupported {
            name: name.to_owned(),
            what,
        }
        .into(),
        _ => dynaspark::unsupported(name, bytes).into(),
    }
}

/// A decoding (or encoding) failure: too many pixels for the limits, or a damaged file.
fn damaged(name: &str, kind: ImageType, error: &ImageError) -> Error {
    match error {
        ImageError::Limits(_) => Refusal::TooBigToOpen {
            name: name.to_owned(),
            why: format!(
                "an image too large to open safely (up to {MAX_DECODED_SIDE} pixels a side and {} of pixels)",
                mib(MAX_DECODED_BYTES)
            ),
        }.into(),
        _ => {
            tracing::warn!(error = %error, "image could not be decoded");
            Refusal::Damaged {
                name: name.to_owned(),
                why: format!("a damaged or incomplete {} file", kind.label()),
            }
            .into()
        }
    }
}

fn mib(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{:.1} MiB", bytes as f64 / MIB as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_renamed_keeps_its_kind_and_reason() {
        let why = || "a reason".to_owned();
        let old = || "IMG_1.HEIC".to_owned();
        for (refusal, code) in [
            (
                Refusal::Unsupported {
                    name: old(),
                    what: "a HEIC image".into(),
                },
                "image_unsupported",
            ),
            (
                Refusal::Damaged {
                    name: old(),
                    why: why(),
                },
                "image_damaged",
            ),
            (
                Refusal::TooBigToOpen {
                    name: old(),
                    why: why(),
                },
                "image_too_big_to_open",
            ),
            (
                Refusal::CannotShrink {
                    name: old(),
                    why: why(),
                },
                "image_cannot_shrink",
            ),
        ] {
            let said = refusal.to_string();
            let renamed = refusal.renamed("images/cat.heic".into());
            assert_eq!(renamed.code(), code);
            assert_eq!(
                renamed.to_string(),
                said.replacen("IMG_1.HEIC", "images/cat.heic", 1)
            );
        }
    }

    #[test]
    fn fitting_keeps_the_aspect_ratio() {
        assert_eq!(fit(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit(100, 50, 2048), (100, 50));
        assert_eq!(fit(20000, 1, 2048), (2048, 1));
    }

    #[test]
    fn options_come_from_settings_with_defaults_for_what_is_missing() {
        let o: ImageOptions = serde_json::from_str(r#"{"keepMetadata":true}"#).unwrap();
        assert_eq!(
            o,
            ImageOptions {
                keep_metadata: true,
                ..ImageOptions::default()
            }
        );
        assert_eq!(ImageOptions::default().max_side, 2048);
        assert_eq!(ImageOptions::default().max_bytes, 4 * 1024 * 1024);
        assert!(!ImageOptions::default().keep_metadata);
    }

    #[test]
    fn downscaling_keeps_8_bit_layouts_and_makes_deeper_ones_8_bit() {
        use image::{GrayImage, ImageBuffer, Luma, Rgb, RgbImage, Rgba, RgbaImage};
        let grey = DynamicImage::ImageLuma8(GrayImage::from_pixel(40, 20, Luma([200])));
        let scaled = downscale(&grey, 10, 5);
        assert_eq!((scaled.width(), scaled.height()), (10, 5));
        assert_eq!(scaled.as_luma8().unwrap().get_pixel(4, 2), &Luma([200]));

        let rgb = DynamicImage::ImageRgb8(RgbImage::from_pixel(40, 20, Rgb([10, 120, 240])));
        assert_eq!(
            downscale(&rgb, 20, 10).as_rgb8().unwrap().get_pixel(9, 4),
            &Rgb([10, 120, 240])
        );

        let deep: ImageBuffer<Rgba<u16>, Vec<u16>> =
            ImageBuffer::from_pixel(40, 20, Rgba([65535, 0, 0, 65535]));
        let scaled = downscale(&DynamicImage::ImageRgba16(deep), 8, 4);
        assert_eq!(
            scaled.as_rgba8().unwrap().get_pixel(3, 2),
            &Rgba([255, 0, 0, 255])
        );

        // Alpha is premultiplied: white beside transparent black does not turn grey.
        let mut edge = RgbaImage::from_pixel(40, 20, Rgba([0, 0, 0, 0]));
        for x in 0..20 {
            for y in 0..20 {
                edge.put_pixel(x, y, Rgba([255, 255, 255, 255]));
            }
        }
        let scaled = downscale(&DynamicImage::ImageRgba8(edge), 10, 5);
        let seam = scaled.as_rgba8().unwrap().get_pixel(5, 2);
        assert!(seam[3] > 0 && seam[3] < 255, "{seam:?}");
        assert_eq!(&seam.0[..3], &[255, 255, 255], "{seam:?}");
    }

    #[test]
    fn only_profiles_of_the_pixels_colour_space_are_kept() {
        let profile = |space: &[u8; 4]| [&[0u8; 16][..], space, &[0; 8]].concat();
        assert!(profile_fits(&profile(b"RGB "), true));
        assert!(!profile_fits(&profile(b"CMYK"), true));
        assert!(profile_fits(&profile(b"GRAY"), false));
        assert!(!profile_fits(b"short", true));
    }
}

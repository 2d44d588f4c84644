//! How long preparing a photo takes (decode, turn upright, scale to fit, encode), as an
//! attached image goes through it: `cargo run --release -p dynaspark-core --example
//! prepare_bench [runs]`. Used to choose the release profile's opt-levels
//! (bench/README.md, "opt-level"). Makes its own images: a 12 MP photo-like JPEG and a
//! 10 MB PNG of noise, like the footprint benchmark's.

use std::time::Instant;

use dynaspark_core::{ImageLibrary, ImageOptions};
use image::{ImageFormat, Rgb, RgbImage};

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(7);
    let dir = tempfile::tempdir().expect("a temporary folder");
    // A smooth photo-like picture with grain: JPEG keeps it at a few MB, as a camera does.
    let photo = RgbImage::from_fn(4000, 3000, |x, y| {
        let grain = (x.wrapping_mul(2_654_435_761) ^ y.wrapping_mul(40_503)) % 24;
        Rgb([
            ((x / 16 + grain) % 256) as u8,
            ((y / 12 + grain) % 256) as u8,
            (((x + y) / 28 + grain) % 256) as u8,
        ])
    });
    let jpeg = dir.path().join("photo.jpg");
    photo
        .save_with_format(&jpeg, ImageFormat::Jpeg)
        .expect("the JPEG is written");
    let mut seed = 1u32;
    let noise = RgbImage::from_fn(2000, 1700, |_, _| {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        let [a, b, c, _] = seed.to_le_bytes();
        Rgb([a, b, c])
    });
    let png = dir.path().join("noise.png");
    noise
        .save_with_format(&png, ImageFormat::Png)
        .expect("the PNG is written");

    for path in [&jpeg, &png] {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or_default();
        let mut times = Vec::new();
        for run in 0..runs {
            // A new library each time: nothing reused from the run before.
            let library = ImageLibrary::new(dir.path().join(format!("library-{run}")));
            let started = Instant::now();
            library
                .import_file_with(path, &ImageOptions::default())
                .expect("the image is prepared");
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{}: {:.1} MB, prepared in {:.0} ms (median of {runs}; {:.0}–{:.0})",
            path.file_name().unwrap_or_default().to_string_lossy(),
            size as f64 / 1e6,
            times[runs / 2],
            times[0],
            times[runs - 1],
        );
    }
}

//! The image library: attached images, prepared for sending (see `preparation`) and copied
//! into the data folder under a content hash, so conversations keep them after the original
//! is moved or deleted. Accepts only what the service accepts (magic bytes); never modifies
//! the original; never serves paths outside its folder.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use dynaspark_imaging as preparation;
pub use dynaspark_imaging::{ImageOptions, Preparation, MAX_DECODED_BYTES, MAX_DECODED_SIDE};

use crate::files::write_atomic;
use crate::{Error, Result};

/// Largest file accepted for attaching (before it is scaled down for sending).
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

/// An image in the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredImage {
    /// `<sha256>.<ext>`, the key under which the library holds it.
    pub file: String,
    /// The name the person knows it by, with the extension of its real type (sent to the
    /// service as the file name).
    pub name: String,
    pub mime: String,
    pub size: u64,
}

/// An image just attached, and what preparing it did (for the composer to say so).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Attached {
    pub image: StoredImage,
    pub preparation: Preparation,
}

#[derive(Debug, Clone)]
pub struct ImageLibrary {
    dir: PathBuf,
    /// The image stored last, as prepared, with the options it was prepared under: the
    /// question it was attached to sends it without reading and checking it again.
    recent: Arc<Mutex<Option<Recent>>>,
}

#[derive(Debug)]
struct Recent {
    file: String,
    options: ImageOptions,
    image: dynaspark::Image,
}

impl ImageLibrary {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            recent: Arc::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads, checks, prepares with the default options and stores an image file the
    /// person chose or dropped. The file itself is only read.
    pub fn import_file(&self, path: &Path) -> Result<StoredImage> {
        self.import_file_with(path, &ImageOptions::default())
            .map(|a| a.image)
    }

    /// [`Self::import_file`] with the options from the settings.
    pub fn import_file_with(&self, path: &Path, options: &ImageOptions) -> Result<Attached> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let meta = std::fs::metadata(path).map_err(Error::io("read", path))?;
        if meta.is_dir() {
            return Err(dynaspark::Error::NotAnImage {
                name: format!("{name} (a folder)"),
            }
            .into());
        }
        check_size(&name, meta.len())?;
        let bytes = std::fs::read(path).map_err(Error::io("read", path))?;
        self.import_bytes_with(&name, bytes, options)
    }

    /// Checks, prepares with the default options and stores image bytes (e.g. from the
    /// clipboard).
    pub fn import_bytes(&self, name: &str, bytes: Vec<u8>) -> Result<StoredImage> {
        self.import_bytes_with(name, bytes, &ImageOptions::default())
            .map(|a| a.image)
    }

    /// [`Self::import_bytes`] with the options from the settings. What is stored is what
    /// is shown and what is sent: upright, within the limits, without metadata unless kept,
    /// named with the extension of its real type (`photo.png` holding a JPEG is stored as
    /// `photo.jpg`).
    pub fn import_bytes_with(
        &self,
        name: &str,
        bytes: Vec<u8>,
        options: &ImageOptions,
    ) -> Result<Attached> {
        check_size(name, bytes.len() as u64)?;
        let prepared = preparation::prepare(name, bytes, options)?;
        self.store(name, prepared, options)
    }

    /// Writes a prepared image under its content hash, once, and keeps it as the recent one.
    fn store(
        &self,
        name: &str,
        prepared: preparation::Prepared,
        options: &ImageOptions,
    ) -> Result<Attached> {
        let kind = prepared.kind;
        let file = format!(
            "{}.{}",
            preparation::content_hash(&prepared.bytes),
            kind.extension()
        );
        let path = self.dir.join(&file);
        if !path.exists() {
            write_atomic(&path, &prepared.bytes)?;
        }
        let stored = StoredImage {
            file: file.clone(),
            name: kind.corrected_name(name),
            mime: kind.mime().to_owned(),
            size: prepared.bytes.len() as u64,
        };
        let image = dynaspark::Image::new(stored.name.clone(), prepared.bytes)?;
        *self.recent.lock().unwrap_or_else(|e| e.into_inner()) = Some(Recent {
            file,
            options: *options,
            image,
        });
        Ok(Attached {
            image: stored,
            preparation: prepared.report,
        })
    }

    /// Stores raw pixels, as the clipboard gives them (RGBA, 8 bits a channel, row by row):
    /// encoded once as a PNG at the size it is sent at. `name` may be empty (`image.png`).
    pub fn import_rgba(
        &self,
        name: &str,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        options: &ImageOptions,
    ) -> Result<Attached> {
        let prepared = preparation::prepare_pixels(name, width, height, rgba, options)?;
        self.store(name, prepared, options)
    }

    /// The path of a stored image, refusing keys that are not library file names.
    pub fn path_of(&self, file: &str) -> Result<PathBuf> {
        let valid = file.split_once('.').is_some_and(|(hash, ext)| {
            hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && dynaspark::ImageType::ALL
                    .iter()
                    .any(|t| t.extension() == ext)
        });
        if !valid {
            return Err(Error::NotFound {
                what: format!("Image {file:?}"),
            });
        }
        Ok(self.dir.join(file))
    }

    /// Checks that a stored image is there and what it is, reading only its first bytes.
    pub fn describe(&self, file: &str, name: &str) -> Result<StoredImage> {
        use std::io::Read as _;
        let path = self.path_of(file)?;
        let missing = read_error(name, &path);
        let mut f = std::fs::File::open(&path).map_err(missing)?;
        let size = f.metadata().map_err(missing)?.len();
        let mut head = Vec::with_capacity(16);
        f.by_ref()
            .take(16)
            .read_to_end(&mut head)
            .map_err(missing)?;
        let kind = dynaspark::sniff_image_type(&head)
            .ok_or_else(|| preparation::unsupported(name, &head))?;
        Ok(StoredImage {
            file: file.to_owned(),
            name: kind.corrected_name(name),
            mime: kind.mime().to_owned(),
            size,
        })
    }

    /// Reads a stored image back, ready to send, with the default options.
    pub fn load(&self, file: &str, name: &str) -> Result<dynaspark::Image> {
        self.load_with(file, name, &ImageOptions::default())
    }

    /// Reads a stored image back, ready to send. Images stored by this version were prepared
    /// when attached and go out as they are; one stored before (a full-size original with
    /// its EXIF) or under other options is prepared again in memory, never on disk. The
    /// image stored last, under the same options, is not read at all: it goes out as it
    /// was prepared (while its file is there).
    pub fn load_with(
        &self,
        file: &str,
        name: &str,
        options: &ImageOptions,
    ) -> Result<dynaspark::Image> {
        let path = self.path_of(file)?;
        if let Some(recent) = self
            .recent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
        {
            // Prepared under these options when it was stored; its file is still there.
            if recent.file == file && recent.options == *options && path.exists() {
                return Ok(recent
                    .image
                    .renamed(recent.image.kind().corrected_name(name)));
            }
        }
        let bytes = std::fs::read(&path).map_err(read_error(name, &path))?;
        let prepared = preparation::prepare(name, bytes, options)?;
        Ok(dynaspark::Image::new(
            prepared.kind.corrected_name(name),
            prepared.bytes,
        )?)
    }
}

impl ImageLibrary {
    /// Removes images no message refers to any more (the store says which, after a purge).
    /// Returns how many were removed; a file already gone is not an error.
    pub fn remove_unreferenced(&self, files: &[String]) -> usize {
        let mut removed = 0;
        for file in files {
            let Ok(path) = self.path_of(file) else {
                continue;
            };
            match std::fs::remove_file(&path) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => tracing::warn!(file, error = %e, "could not remove an unused image"),
            }
        }
        if removed > 0 {
            tracing::info!(removed, "unused images removed");
        }
        removed
    }
}

/// A stored image that has gone missing is "not found"; other read failures keep the I/O cause.
fn read_error<'a>(name: &'a str, path: &'a Path) -> impl Fn(std::io::Error) -> Error + Copy + 'a {
    move |e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound {
            what: format!("The image {name}"),
        },
        _ => Error::Io {
            action: "read",
            path: path.to_owned(),
            source: e,
        },
    }
}

fn check_size(name: &str, size: u64) -> Result<()> {
    if size > MAX_IMAGE_BYTES {
        return Err(Error::ImageTooLarge {
            name: name.to_owned(),
            size_mib: size as f64 / (1024.0 * 1024.0),
            limit_mib: MAX_IMAGE_BYTES >> 20,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 1×1 red PNG, as small as they come.
    const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

    fn png_of(rgb: [u8; 3]) -> Vec<u8> {
        let mut out = Vec::new();
        image::RgbImage::from_pixel(2, 2, image::Rgb(rgb))
            .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
            .unwrap();
        out
    }

    #[test]
    fn imports_dedupe_by_content_and_survive_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let lib = ImageLibrary::new(dir.path().join("images"));
        let src = dir.path().join("red square.png");
        std::fs::write(&src, PNG).unwrap();
        let a = lib.import_file(&src).unwrap();
        std::fs::remove_file(&src).unwrap();
        let b = lib.import_bytes("copy.png", PNG.to_vec()).unwrap();
        assert_eq!(a.file, b.file);
        assert_eq!(a.name, "red square.png");
        assert_eq!(a.mime, "image/png");
        assert!(a.file.ends_with(".png"));
        assert_eq!(std::fs::read_dir(lib.dir()).unwrap().count(), 1);
        assert_eq!(lib.describe(&a.file, "red square.png").unwrap(), a);
        assert_eq!(
            lib.describe(&format!("{}.png", "0".repeat(64)), "gone.png")
                .unwrap_err()
                .code(),
            "not_found"
        );
        let loaded = lib.load(&a.file, &a.name).unwrap();
        assert_eq!(loaded.bytes(), PNG);
        assert_eq!(loaded.file_name(), "red square.png");
    }

    #[test]
    fn the_image_stored_last_is_sent_as_prepared_without_reading_it_again() {
        let dir = tempfile::tempdir().unwrap();
        let lib = ImageLibrary::new(dir.path().join("images"));
        let options = ImageOptions::default();
        let red = lib
            .import_bytes_with("red.png", png_of([255, 0, 0]), &options)
            .unwrap()
            .image;
        let path = lib.path_of(&red.file).unwrap();
        let stored = std::fs::read(&path).unwrap();
        // Another picture in its file shows where the bytes sent come from.
        std::fs::write(&path, png_of([0, 0, 255])).unwrap();
        let sent = lib
            .clone()
            .load_with(&red.file, "again.png", &options)
            .unwrap();
        assert_eq!(sent.bytes(), &stored[..], "from memory, as prepared");
        assert_eq!(sent.file_name(), "again.png");
        // Other options: read and prepared again from the file.
        let other = ImageOptions {
            max_side: 1000,
            ..options
        };
        let read = lib.load_with(&red.file, "red.png", &other).unwrap();
        assert_eq!(read.bytes(), &png_of([0, 0, 255])[..]);
        // Its file gone (removed as unreferenced): not sent from memory either.
        std::fs::remove_file(&path).unwrap();
        let err = lib.load_with(&red.file, "red.png", &options).unwrap_err();
        assert_eq!(err.code(), "not_found");
    }

    #[test]
    fn refuses_non_images_by_content() {
        let dir = tempfile::tempdir().unwrap();
        let lib = ImageLibrary::new(dir.path());
        let src = dir.path().join("notes.png");
        std::fs::write(&src, "just text").unwrap();
        let err = lib.import_file(&src).unwrap_err();
        assert_eq!(err.code(), "not_an_image");
        assert!(err
            .to_string()
            .contains("notes.png is not a supported image"));
        let err = lib.import_file(dir.path()).unwrap_err();
        assert_eq!(err.code(), "not_an_image");
    }

    #[test]
    fn refuses_huge_files_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let lib = ImageLibrary::new(dir.path());
        let src = dir.path().join("big.png");
        let f = std::fs::File::create(&src).unwrap();
        f.set_len(MAX_IMAGE_BYTES + 1).unwrap();
        let err = lib.import_file(&src).unwrap_err();
        assert_eq!(err.code(), "image_too_large");
        assert!(err.to_string().contains("up to 20 MiB"), "{err}");
    }

    #[test]
    fn unreferenced_images_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let lib = ImageLibrary::new(dir.path().join("images"));
        let a = lib.import_bytes("a.png", PNG.to_vec()).unwrap();
        let b = lib.import_bytes("b.png", png_of([0, 0, 255])).unwrap();
        let n = lib.remove_unreferenced(&[a.file.clone(), a.file.clone(), "../x".into()]);
        assert_eq!(n, 1);
        assert!(!lib.path_of(&a.file).unwrap().exists());
        assert!(lib.path_of(&b.file).unwrap().exists());
    }

    #[test]
    fn clipboard_pixels_are_stored_as_a_png_at_the_size_sent() {
        let dir = tempfile::tempdir().unwrap();
        let lib = ImageLibrary::new(dir.path());
        let (w, h) = (3000, 10);
        let rgba: Vec<u8> = (0..w * h).flat_map(|_| [200, 30, 30, 255]).collect();
        let a = lib
            .import_rgba("", w, h, rgba, &ImageOptions::default())
            .unwrap();
        assert_eq!(a.image.name, "image.png");
        assert_eq!(a.image.mime, "image/png");
        assert_eq!((a.preparation.width, a.preparation.height), (2048, 7));
        let bytes = std::fs::read(lib.path_of(&a.image.file).unwrap()).unwrap();
        let stored = image::load_from_memory(&bytes).unwrap();
        assert_eq!(
            stored.color(),
            image::ColorType::Rgb8,
            "opaque: no alpha kept"
        );
        assert_eq!(stored.width(), 2048);

        let err = lib
            .import_rgba("Pasted.png", 4, 4, vec![0; 10], &ImageOptions::default())
            .unwrap_err();
        assert_eq!(err.code(), "image_damaged");
        assert_eq!(
            err.to_string(),
            "Pasted.png, pixels that do not fill 4 × 4, is not a supported image. Dynaspark accepts JPEG, PNG, GIF or WebP."
        );
    }

    #[test]
    fn keys_cannot_escape_the_folder() {
        let lib = ImageLibrary::new("/data/images");
        for bad in [
            "../settings.json",
            "/etc/passwd",
            "abc.png",
            &format!("{}.exe", "a".repeat(64)),
            &format!("../{}.png", "a".repeat(61)),
        ] {
            assert_eq!(lib.path_of(bad).unwrap_err().code(), "not_found", "{bad}");
        }
        let good = format!("{}.webp", "0f".repeat(32));
        assert_eq!(
            lib.path_of(&good).unwrap(),
            Path::new("/data/images").join(&good)
        );
    }
}

//! The image library: attached images copied into the data folder under a content hash,
//! so conversations keep them after the original is moved or deleted.
//! Accepts only what the service accepts (magic bytes); never serves paths outside its folder.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

use crate::files::write_atomic;
use crate::{Error, Result};

/// Largest image accepted for attaching.
pub const MAX_IMAGE_BYTES: u64 = 20 * 1024 * 1024;

/// An image in the library.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredImage {
    /// `<sha256>.<ext>`, the key under which the library holds it.
    pub file: String,
    /// The name the person knows it by (sent to the service as the file name).
    pub name: String,
    pub mime: String,
    pub size: u64,
}

#[derive(Debug, Clone)]
pub struct ImageLibrary {
    dir: PathBuf,
}

impl ImageLibrary {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Reads, checks and copies an image file the person chose or dropped.
    pub fn import_file(&self, path: &Path) -> Result<StoredImage> {
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
        self.import_bytes(&name, bytes)
    }

    /// Checks and stores image bytes (e.g. from the clipboard).
    pub fn import_bytes(&self, name: &str, bytes: Vec<u8>) -> Result<StoredImage> {
        check_size(name, bytes.len() as u64)?;
        let image = dynaspark::Image::new(name, bytes)?;
        let kind = image.kind();
        let file = format!(
            "{}.{}",
            hex::encode(sha2::Sha256::digest(image.bytes())),
            kind.extension()
        );
        let path = self.dir.join(&file);
        if !path.exists() {
            write_atomic(&path, image.bytes())?;
        }
        Ok(StoredImage {
            file,
            name: name.to_owned(),
            mime: kind.mime().to_owned(),
            size: image.bytes().len() as u64,
        })
    }

    /// The path of a stored image, refusing keys that are not library file names.
    pub fn path_of(&self, file: &str) -> Result<PathBuf> {
        let valid = file.split_once('.').is_some_and(|(hash, ext)| {
            hash.len() == 64
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && ["jpg", "png", "gif", "webp"].contains(&ext)
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
        let kind =
            dynaspark::sniff_image_type(&head).ok_or_else(|| dynaspark::Error::NotAnImage {
                name: name.to_owned(),
            })?;
        Ok(StoredImage {
            file: file.to_owned(),
            name: name.to_owned(),
            mime: kind.mime().to_owned(),
            size,
        })
    }

    /// Reads a stored image back, ready to send.
    pub fn load(&self, file: &str, name: &str) -> Result<dynaspark::Image> {
        let path = self.path_of(file)?;
        let bytes = std::fs::read(&path).map_err(read_error(name, &path))?;
        Ok(dynaspark::Image::new(name, bytes)?)
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

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n0123";

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
        let mut other = PNG.to_vec();
        other.push(b'!');
        let b = lib.import_bytes("b.png", other).unwrap();
        let n = lib.remove_unreferenced(&[a.file.clone(), a.file.clone(), "../x".into()]);
        assert_eq!(n, 1);
        assert!(!lib.path_of(&a.file).unwrap().exists());
        assert!(lib.path_of(&b.file).unwrap().exists());
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

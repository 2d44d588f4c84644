//! An export's image files: copied from the library into `<stem>-images/` beside the export
//! file, and brought back into the library through its checks on import. Never reads or
//! writes outside that folder and the library.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Component, Path, PathBuf};

use super::json::ExportedImage;
use crate::files::folder_of;
use crate::{ConversationRecord, Error, ImageLibrary, Result, StoredImage, MAX_IMAGE_BYTES};

/// Copies the images an export shows into its folder, once each.
pub(super) struct ImageCopier<'a> {
    images: &'a ImageLibrary,
    /// `<dest folder>/<stem>-images`.
    folder: PathBuf,
    /// `<stem>-images`, the prefix of every link.
    folder_name: String,
    /// Library files now in the folder.
    present: HashSet<String>,
    /// Files this export created, removed again if it fails.
    written: Vec<PathBuf>,
}

impl<'a> ImageCopier<'a> {
    /// A copier into `<dest stem>-images/` beside `dest`, which it creates only when there
    /// is an image to copy.
    pub(super) fn beside(images: &'a ImageLibrary, dest: &Path) -> Self {
        let stem = dest
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "export".to_owned());
        let folder_name = format!("{stem}-images");
        ImageCopier {
            images,
            folder: folder_of(dest).join(&folder_name),
            folder_name,
            present: HashSet::new(),
            written: Vec::new(),
        }
    }

    /// The relative link to a library file's copy.
    pub(super) fn link(&self, file: &str) -> String {
        format!("{}/{file}", self.folder_name)
    }

    /// Copies the conversation's images; returns the library files that were not there.
    pub(super) fn copy(&mut self, record: &ConversationRecord) -> Result<HashSet<String>> {
        let mut missing = HashSet::new();
        for image in record.messages.iter().filter_map(|m| m.image.as_ref()) {
            if self.present.contains(&image.file) || missing.contains(&image.file) {
                continue;
            }
            if self.copy_one(&image.file)? {
                self.present.insert(image.file.clone());
            } else {
                tracing::warn!(
                    file = image.file,
                    "exported without its image: not in the library"
                );
                missing.insert(image.file.clone());
            }
        }
        Ok(missing)
    }

    /// Copies one library file (temp file, fsync, rename); false when the library lacks it.
    /// Names are content hashes, so a file of the same size already there is the same image.
    fn copy_one(&mut self, file: &str) -> Result<bool> {
        let Ok(from) = self.images.path_of(file) else {
            return Ok(false);
        };
        let mut source = match File::open(&from) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io("read", &from)(e)),
        };
        let size = source.metadata().map_err(Error::io("read", &from))?.len();
        let to = self.folder.join(file);
        if std::fs::metadata(&to).is_ok_and(|m| m.is_file() && m.len() == size) {
            return Ok(true);
        }
        std::fs::create_dir_all(&self.folder).map_err(Error::io("create", &self.folder))?;
        let tmp = self
            .folder
            .join(format!(".{file}.{}.tmp", std::process::id()));
        let mut copy = || -> std::io::Result<()> {
            let mut target = File::create(&tmp)?;
            std::io::copy(&mut source, &mut target)?;
            target.sync_all()?;
            std::fs::rename(&tmp, &to)
        };
        if let Err(e) = copy() {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io("write", &to)(e));
        }
        self.written.push(to);
        Ok(true)
    }

    /// How many library files are now in the folder, each counted once.
    pub(super) fn present(&self) -> usize {
        self.present.len()
    }

    /// Makes the renames into the images folder durable, once for the whole export.
    pub(super) fn sync_folder(&self) -> Result<()> {
        #[cfg(unix)]
        if !self.written.is_empty() {
            File::open(&self.folder)
                .and_then(|d| d.sync_all())
                .map_err(Error::io("write", &self.folder))?;
        }
        Ok(())
    }

    /// After a failed export: removes the images it copied, and the folder if that leaves
    /// it empty. Files that were there before are not touched.
    pub(super) fn undo(&mut self) {
        for path in self.written.drain(..) {
            let _ = std::fs::remove_file(path);
        }
        let _ = std::fs::remove_dir(&self.folder);
    }
}

/// Brings an export's images into the library, once per file.
pub(super) struct ImageRestorer<'a> {
    images: &'a ImageLibrary,
    /// The folder of the export file; image paths are relative to it.
    base: PathBuf,
    src: &'a Path,
    /// By path in the export: the stored image, or `None` when the file was missing.
    restored: HashMap<String, Option<StoredImage>>,
}

impl<'a> ImageRestorer<'a> {
    /// A restorer for the export at `src`, whose image paths are relative to its folder.
    pub(super) fn new(images: &'a ImageLibrary, src: &'a Path) -> Self {
        ImageRestorer {
            images,
            base: folder_of(src).to_owned(),
            src,
            restored: HashMap::new(),
        }
    }

    /// The stored image, named as the export names it; `None` when its file is missing.
    /// A path leaving the export's folder, or a file that is not an image, is an error
    /// naming it.
    pub(super) fn restore(&mut self, image: &ExportedImage) -> Result<Option<StoredImage>> {
        let stored = match self.restored.get(&image.path) {
            Some(stored) => stored.clone(),
            None => {
                let stored = self.read(image)?;
                self.restored.insert(image.path.clone(), stored.clone());
                stored
            }
        };
        Ok(stored.map(|s| StoredImage {
            name: if image.name.is_empty() {
                s.name
            } else {
                image.name.clone()
            },
            ..s
        }))
    }

    fn read(&self, image: &ExportedImage) -> Result<Option<StoredImage>> {
        let relative = Path::new(&image.path);
        let inside = !image.path.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !inside {
            return Err(Error::MalformedExport {
                path: self.src.to_owned(),
                line: None,
                column: None,
                reason: format!(
                    "the image path {:?} points outside the export's folder",
                    image.path
                ),
            });
        }
        let path = self.base.join(relative);
        let shown = path.display().to_string();
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %shown, "imported without its image: file missing");
                return Ok(None);
            }
            Err(e) => return Err(Error::io("read", &path)(e)),
        };
        if !meta.is_file() {
            return Err(dynaspark::Error::NotAnImage {
                name: format!("{shown} (not a file)"),
            }
            .into());
        }
        if meta.len() > MAX_IMAGE_BYTES {
            return Err(Error::ImageTooLarge {
                name: shown,
                size_mib: meta.len() as f64 / (1024.0 * 1024.0),
                limit_mib: MAX_IMAGE_BYTES >> 20,
            });
        }
        let bytes = std::fs::read(&path).map_err(Error::io("read", &path))?;
        let name = if image.name.is_empty() {
            relative
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            image.name.clone()
        };
        let stored = self
            .images
            .import_bytes(&name, bytes)
            // Name the file in the export, not the name the person once gave the image.
            .map_err(|e| e.naming_image(&shown))?;
        if !image.sha256.is_empty() && !stored.file.starts_with(&image.sha256) {
            tracing::warn!(path = %shown, "image content differs from the export's checksum; imported as it is now");
        }
        Ok(Some(stored))
    }
}

#[cfg(test)]
mod tests {
    use dynaspark::Role;

    use crate::exchange::tests::{message, side, write, PNG};
    use crate::{ConversationRecord, ExportFormat, ImportReport};

    #[test]
    fn exports_without_images_make_no_images_folder() {
        let mut s = side();
        s.history
            .insert_records(&[ConversationRecord {
                uid: "plain".into(),
                title: "Plain".into(),
                created_at: 1,
                updated_at: 2,
                pinned: false,
                messages: vec![message(Role::User, "just words", 1)],
            }])
            .unwrap();
        let out = tempfile::tempdir().unwrap();
        for (format, name) in [
            (ExportFormat::Json, "a.json"),
            (ExportFormat::Markdown, "a.md"),
        ] {
            let report = s.export_all(format, &out.path().join(name));
            assert_eq!((report.conversations, report.images), (1, 0));
        }
        let mut names: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.json", "a.md"]);
    }

    fn one_with_image(path: &str) -> String {
        format!(
            r#"{{"format": "dynaspark-desktop/history", "version": 1, "futureField": {{"x": 1}},
              "conversations": [{{"uid": "u1", "title": "T", "createdAt": 5, "updatedAt": 6,
                "messages": [{{"role": "user", "text": "look at this", "createdAt": 5,
                               "image": {{"path": {path:?}, "name": "cat.png"}}}}]}}]}}"#
        )
    }

    #[test]
    fn a_missing_image_file_keeps_the_message_text() {
        let dir = tempfile::tempdir().unwrap();
        let src = write(dir.path(), &one_with_image("history-images/gone.png"));
        let mut to = side();
        let report = to.import(&src).unwrap();
        assert_eq!(
            report,
            ImportReport {
                conversations: 1,
                messages: 1,
                images: 0,
                skipped: 0,
                missing_images: 1,
            }
        );
        let record = to.records().remove(0);
        assert_eq!(record.uid, "u1");
        assert_eq!(record.messages[0].text, "look at this");
        assert_eq!(record.messages[0].image, None);
    }

    #[test]
    fn an_image_file_that_is_not_an_image_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("x-images")).unwrap();
        std::fs::write(dir.path().join("x-images/cat.png"), "not a picture").unwrap();
        let src = write(dir.path(), &one_with_image("x-images/cat.png"));
        let mut to = side();
        let err = to.import(&src).unwrap_err();
        assert_eq!(err.code(), "not_an_image");
        assert!(err.to_string().contains("x-images/cat.png is not"), "{err}");
        assert_eq!(to.history.count().unwrap(), 0);

        // A damaged picture is named by its path in the export too.
        std::fs::write(dir.path().join("x-images/cat.png"), &PNG[..PNG.len() - 20]).unwrap();
        let err = to.import(&src).unwrap_err();
        assert_eq!(err.code(), "image_damaged");
        assert!(
            err.to_string().contains("x-images/cat.png, a damaged"),
            "{err}"
        );

        std::fs::write(dir.path().join("x-images/cat.png"), PNG).unwrap();
        let report = to.import(&src).unwrap();
        assert_eq!((report.conversations, report.images), (1, 1));
        let image = to.records().remove(0).messages.remove(0).image.unwrap();
        assert_eq!(
            (image.name.as_str(), image.mime.as_str()),
            ("cat.png", "image/png")
        );
        assert_eq!(image.size, PNG.len() as u64);
    }

    #[test]
    fn image_paths_cannot_leave_the_export_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cat.png"), PNG).unwrap();
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        let outside = dir.path().join("cat.png").display().to_string();
        for path in ["../cat.png", outside.as_str(), ""] {
            let src = write(&inner, &one_with_image(path));
            let mut to = side();
            let err = to.import(&src).unwrap_err();
            assert_eq!(err.code(), "malformed_export", "{path}: {err}");
            assert_eq!(to.history.count().unwrap(), 0);
        }
    }
}

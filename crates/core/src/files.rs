//! Safe file writes shared by the stores: atomic replace and moving a bad file aside.
//! Never deletes a person's file.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// Writes `bytes` to `path` through a temporary file in the same folder, fsynced and
/// renamed over the old one, so a crash leaves either the old or the new file whole.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |out| {
        out.write_all(bytes).map_err(Error::io("write", path))
    })
}

/// `write_atomic` for content written in pieces by `fill` (a large export is never one
/// string in memory). On failure the old file is untouched and the temp file removed.
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = folder_of(path);
    std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let write = || -> Result<()> {
        let file = File::create(&tmp).map_err(Error::io("write", path))?;
        let mut out = BufWriter::new(file);
        fill(&mut out)?;
        let file = out
            .into_inner()
            .map_err(|e| Error::io("write", path)(e.into_error()))?;
        file.sync_all().map_err(Error::io("write", path))?;
        std::fs::rename(&tmp, path).map_err(Error::io("write", path))?;
        #[cfg(unix)]
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("write", path))?;
        Ok(())
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// The folder a path is in; `.` for a bare file name.
pub(crate) fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Renames a file that could not be read to `<name>.corrupt-<unix seconds>` beside it
/// and returns the new path.
pub(crate) fn move_aside(path: &Path) -> Result<PathBuf> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let mut target = path.with_file_name(format!("{name}.corrupt-{stamp}"));
    let mut n = 1;
    while target.exists() {
        target = path.with_file_name(format!("{name}.corrupt-{stamp}-{n}"));
        n += 1;
    }
    std::fs::rename(path, &target).map_err(Error::io("move aside", path))?;
    tracing::warn!(from = %path.display(), to = %target.display(), "unreadable file moved aside");
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_whole_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/settings.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn move_aside_keeps_every_copy() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("h.db");
        std::fs::write(&p, b"a").unwrap();
        let first = move_aside(&p).unwrap();
        std::fs::write(&p, b"b").unwrap();
        let second = move_aside(&p).unwrap();
        assert_ne!(first, second);
        assert_eq!(std::fs::read(first).unwrap(), b"a");
        assert_eq!(std::fs::read(second).unwrap(), b"b");
        assert!(!p.exists());
    }
}

//! Safe file writes shared by the stores: atomic replace (random temp name, fsync,
//! rename, fsync of the folder) and moving a bad file aside. Never deletes a person's
//! file and never truncates one in place.

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
///
/// The temp file has a random name, created exclusively (`tempfile`), so two writes of
/// the same file at once, from one process or two, never share one; the last rename wins
/// and each leaves a whole file.
pub(crate) fn write_atomic_with(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = folder_of(path);
    std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    let prefix = temp_prefix(path);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(TEMP_SUFFIX);
    // What `File::create` would give (0666 less the umask), not tempfile's 0600: an
    // export is the person's file like any other.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let (file, tmp) = builder
        .tempfile_in(dir)
        .map_err(Error::io("write", path))?
        .into_parts();
    // Dropping `tmp` on any early return below deletes the temp file.
    let mut out = BufWriter::new(file);
    fill(&mut out)?;
    let file = out
        .into_inner()
        .map_err(|e| Error::io("write", path)(e.into_error()))?;
    file.sync_all().map_err(Error::io("write", path))?;
    drop(file);
    tmp.persist(path)
        .map_err(|e| Error::io("write", path)(e.error))?;
    #[cfg(unix)]
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(Error::io("write", path))?;
    Ok(())
}

const TEMP_SUFFIX: &str = ".tmp";

/// Temp files of `path` are `.<name>.<random>.tmp` beside it.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    format!(".{name}.")
}

/// Deletes temp files that a write of `path` left behind when the process was killed
/// mid-write, once they are older than `min_age` (a write in flight is never that old).
/// Returns how many were removed. Never touches `path` itself or any other file.
pub(crate) fn remove_stale_temps(path: &Path, min_age: std::time::Duration) -> usize {
    let prefix = temp_prefix(path);
    let Ok(entries) = std::fs::read_dir(folder_of(path)) else {
        return 0;
    };
    let now = std::time::SystemTime::now();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !(name.starts_with(&prefix) && name.ends_with(TEMP_SUFFIX)) {
            continue;
        }
        let old_enough = entry
            .metadata()
            .ok()
            .filter(std::fs::Metadata::is_file)
            .and_then(|m| m.modified().ok())
            .and_then(|m| now.duration_since(m).ok())
            .is_some_and(|age| age >= min_age);
        if old_enough && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(file = %path.display(), removed, "removed temp files left by an interrupted write");
    }
    removed
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

/// A small JSON file of ours that may be lost without harm (the window's place, the UI
/// state): `None` when there is none, it cannot be read, or it is not what `accept` wants.
/// A file read but not accepted (damaged, of the wrong shape) is moved aside, never
/// overwritten unread; one that cannot be read at all is left where it is.
pub(crate) fn read_json_or_move_aside<T: serde::de::DeserializeOwned>(
    path: &Path,
    what: &'static str,
    accept: impl FnOnce(&T) -> bool,
) -> Option<T> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => {
            tracing::warn!(what, path = %path.display(), error = %e, "file unreadable");
            return None;
        }
    };
    let problem = match serde_json::from_slice::<T>(&bytes) {
        Ok(value) if accept(&value) => return Some(value),
        Ok(_) => "values out of range".to_owned(),
        Err(e) => e.to_string(),
    };
    tracing::warn!(what, path = %path.display(), problem, "file damaged");
    if let Err(e) = move_aside(path) {
        tracing::warn!(what, error = %e, "a damaged file could not be moved aside");
    }
    None
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
    fn concurrent_writes_of_one_file_never_share_a_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|s| {
            for t in 0..8u8 {
                let (p, barrier) = (&p, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    for i in 0..50u8 {
                        let body = vec![b'a' + t % 26; 1000 + usize::from(i)];
                        write_atomic(p, &body).unwrap();
                    }
                });
            }
        });
        let body = std::fs::read(&p).unwrap();
        assert!(
            body.iter().all(|b| *b == body[0]),
            "one writer's bytes, whole"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn a_failed_fill_leaves_the_old_file_and_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("export.json");
        write_atomic(&p, b"old").unwrap();
        let err = write_atomic_with(&p, |out| {
            out.write_all(b"half").unwrap();
            Err(Error::NotFound {
                what: "the rest".into(),
            })
        })
        .unwrap_err();
        assert_eq!(err.code(), "not_found");
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn stale_temps_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("settings.json");
        write_atomic(&p, b"{}").unwrap();
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for name in [".settings.json.abc123.tmp", ".settings.json.def456.tmp"] {
            let f = File::create(dir.path().join(name)).unwrap();
            f.set_modified(old).unwrap();
        }
        std::fs::write(dir.path().join(".settings.json.fresh1.tmp"), b"").unwrap();
        let other = dir.path().join(".history.sqlite3.abc.tmp");
        File::create(&other).unwrap().set_modified(old).unwrap();
        let minute = std::time::Duration::from_secs(60);
        assert_eq!(remove_stale_temps(&p, minute), 2);
        let mut left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            [
                ".history.sqlite3.abc.tmp",
                ".settings.json.fresh1.tmp",
                "settings.json"
            ]
        );
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

    #[test]
    fn a_small_json_file_is_read_or_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("small.json");
        let read = |accept: bool| read_json_or_move_aside::<Vec<u8>>(&p, "test", |_| accept);
        let files = || std::fs::read_dir(dir.path()).unwrap().count();
        // None there: nothing, and nothing made.
        assert_eq!(read(true), None);
        assert_eq!(files(), 0);
        std::fs::write(&p, b"[1, 2]").unwrap();
        assert_eq!(read(true), Some(vec![1, 2]));
        assert!(p.exists());
        // Read but refused, or not JSON of that shape: moved aside, kept whole.
        for (bytes, accept) in [
            (&b"[1, 2]"[..], false),
            (b"{\"a\": 1}", true),
            (b"[1,", true),
        ] {
            std::fs::write(&p, bytes).unwrap();
            let before = files();
            assert_eq!(read(accept), None);
            assert!(!p.exists());
            assert_eq!(files(), before, "the damaged file is kept beside");
        }
        // Not readable at all (a folder where the file goes): left where it is.
        std::fs::create_dir(&p).unwrap();
        assert_eq!(read(true), None);
        assert!(p.is_dir());
    }
}

//! Copies of the history taken with SQLite's online backup API before a schema upgrade,
//! kept in `backups/` (schema version and time in the name, the newest few kept).

use std::path::{Path, PathBuf};

use rusqlite::{backup, Connection, MAIN_DB};

use crate::{Error, Result};

/// How many upgrade backups are kept.
const KEEP: usize = 5;
const PREFIX: &str = "history-v";

/// Copies the open database to `dir/history-v<version>-<unix seconds>.sqlite3`.
pub(super) fn take(conn: &Connection, dir: &Path, version: usize) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    let stamp = super::now_ms() / 1000;
    let mut path = dir.join(format!("{PREFIX}{version}-{stamp}.sqlite3"));
    let mut n = 1;
    while path.exists() {
        path = dir.join(format!("{PREFIX}{version}-{stamp}-{n}.sqlite3"));
        n += 1;
    }
    conn.backup(MAIN_DB, &path, backup::NO_PROGRESS)?;
    tracing::info!(path = %path.display(), version, "history backed up before upgrade");
    prune(dir);
    Ok(path)
}

/// Puts a backup's content back into the open database.
pub(super) fn restore(conn: &mut Connection, from: &Path) -> Result<()> {
    conn.restore(MAIN_DB, from, backup::NO_PROGRESS)?;
    Ok(())
}

/// Keeps the newest `KEEP` backups; never touches other files.
fn prune(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut backups: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(|e| e.ok())
        .filter(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with(PREFIX) && name.ends_with(".sqlite3")
        })
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    backups.sort();
    let excess = backups.len().saturating_sub(KEEP);
    for (_, old) in backups.into_iter().take(excess) {
        match std::fs::remove_file(&old) {
            Ok(()) => tracing::info!(path = %old.display(), "old backup removed"),
            Err(e) => {
                tracing::warn!(path = %old.display(), error = %e, "could not remove old backup")
            }
        }
    }
}

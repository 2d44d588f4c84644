//! Conversations and their messages in SQLite. Owns the schema, its migrations and the
//! backups taken before them; knows nothing about HTTP or windows. Every call is
//! synchronous and paged: callers keep it off the UI thread, and nothing returns a
//! whole history.

mod backup;
mod branches;
mod conversations;
mod messages;
mod schema;
mod search;
mod transfer;

use std::path::{Path, PathBuf};

use dynaspark::Role;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::files::move_aside;
use crate::{Error, Result, StoredImage};

pub use conversations::{ConversationPage, Cursor, Purged};
pub use messages::{Anchor, MessagePage, PromptContext};
pub use search::{SearchHit, SearchResults};
pub(crate) use transfer::{is_zero, present};
pub use transfer::{ConversationRecord, MessageRecord};

/// A conversation as the sidebar lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub id: i64,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub message_count: i64,
    pub pinned: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub role: Role,
    /// The text as written or received (Markdown for answers).
    pub text: String,
    /// Sanitised HTML for answers, rendered once when saved; empty for the person's own
    /// messages (shown as text).
    pub html: String,
    pub image: Option<StoredImage>,
    pub model: Option<String>,
    pub created_at: i64,
    /// Which of its versions this is, from 1 (an edited question or a regenerated answer
    /// has siblings: "‹ 2/3 ›"); 1 for instructions.
    pub branch: i64,
    /// How many versions there are (1: never edited or regenerated).
    pub branches: i64,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub role: Role,
    pub text: String,
    pub image: Option<StoredImage>,
    pub model: Option<String>,
}

impl NewMessage {
    /// The message as it reads before it is saved: no id or time yet, the first and only
    /// version.
    pub fn unsaved(&self, conversation_id: i64) -> Message {
        Message {
            id: 0,
            conversation_id,
            role: self.role,
            text: self.text.clone(),
            html: String::new(),
            image: self.image.clone(),
            model: self.model.clone(),
            created_at: 0,
            branch: 1,
            branches: 1,
        }
    }
}

/// The result of opening the store: the history, and what happened on the way.
pub struct Opened {
    pub history: History,
    /// Where an unreadable file was moved.
    pub moved_aside: Option<PathBuf>,
    /// The copy taken before upgrading the schema.
    pub backup: Option<PathBuf>,
    /// Image files no longer referenced, after conversations deleted last time were purged.
    pub orphaned_images: Vec<String>,
}

/// The oldest SQLite the history works with: FTS5's `remove_diacritics 2` came in 3.27.
const MIN_SQLITE: (i32, &str) = (3_027_000, "3.27");

fn check_sqlite(number: i32, version: &'static str) -> Result<()> {
    if number < MIN_SQLITE.0 {
        return Err(Error::SqliteTooOld {
            found: version,
            needed: MIN_SQLITE.1,
        });
    }
    Ok(())
}

pub struct History {
    conn: Connection,
}

impl History {
    /// Opens (creating, migrating) the database at `path`. A file that is not a readable
    /// database is moved aside with a timestamped name and a new, empty one is started.
    /// Before an upgrade the database is copied to `backups/` beside it; an upgrade that
    /// fails is undone from that copy and reported. Conversations deleted (with Undo)
    /// in an earlier run are purged now.
    pub fn open(path: &Path) -> Result<Opened> {
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        let backups = dir.join("backups");
        let (mut history, moved_aside, backup) = match Self::open_existing(path, &backups) {
            Ok((history, backup)) => (history, None, backup),
            Err(Error::Database(e)) if path.exists() && is_corruption(&e) => {
                tracing::error!(error = %e, path = %path.display(), "history database unreadable");
                let moved = move_aside(path)?;
                for suffix in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", path.display()));
                    if side.exists() {
                        let _ = std::fs::rename(&side, format!("{}{suffix}", moved.display()));
                    }
                }
                let (history, _) = Self::open_existing(path, &backups)?;
                (history, Some(moved), None)
            }
            Err(e) => return Err(e),
        };
        let orphaned_images = history.purge_deleted()?;
        Ok(Opened {
            history,
            moved_aside,
            backup,
            orphaned_images,
        })
    }

    pub fn open_in_memory() -> Result<Self> {
        let mut h = Self::configure(Connection::open_in_memory()?)?;
        h.migrate(schema::MIGRATIONS)?;
        Ok(h)
    }

    fn open_existing(path: &Path, backups: &Path) -> Result<(Self, Option<PathBuf>)> {
        let conn = Connection::open(path)?;
        let mut history = Self::configure(conn)?;
        // Refused before anything is written: even switching to WAL changes the file.
        let version = history.version()?;
        if version > schema::MIGRATIONS.len() {
            return Err(Error::NewerSchema { version });
        }
        history.conn.pragma_update(None, "journal_mode", "WAL")?;
        let backup = history.migrate_with_backup(schema::MIGRATIONS, backups)?;
        Ok((history, backup))
    }

    fn configure(conn: Connection) -> Result<Self> {
        check_sqlite(rusqlite::version_number(), rusqlite::version())?;
        // As a pragma: rusqlite's `busy_timeout()` also calls `sqlite3_set_clientdata`,
        // which the system SQLite of Debian 12 and Ubuntu 22.04 lacks.
        conn.pragma_update(None, "busy_timeout", 5000)?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        Ok(Self { conn })
    }

    fn version(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(usize::try_from(v).unwrap_or(usize::MAX))
    }

    /// Backs up a database that has data and an older schema, then migrates; a failed
    /// migration is undone from the backup.
    fn migrate_with_backup(
        &mut self,
        migrations: &[schema::Migration],
        backups: &Path,
    ) -> Result<Option<PathBuf>> {
        let from = self.version()?;
        if from == 0 || from >= migrations.len() {
            self.migrate(migrations)?;
            return Ok(None);
        }
        let copy = backup::take(&self.conn, backups, from)?;
        if let Err(e) = self.migrate(migrations) {
            tracing::error!(error = %e, from, backup = %copy.display(), "migration failed; restoring");
            backup::restore(&mut self.conn, &copy)?;
            return Err(Error::MigrationFailed {
                from,
                to: migrations.len(),
                backup: copy,
                reason: e.to_string(),
            });
        }
        Ok(Some(copy))
    }

    fn migrate(&mut self, migrations: &[schema::Migration]) -> Result<()> {
        let version = self.version()?;
        if version > migrations.len() {
            return Err(Error::NewerSchema { version });
        }
        for (i, m) in migrations.iter().enumerate().skip(version) {
            if m.rebuilds_tables {
                self.conn.pragma_update(None, "foreign_keys", false)?;
            }
            let result = (|| -> Result<()> {
                let tx = self.conn.transaction()?;
                tx.execute_batch(m.sql)?;
                if m.rebuilds_tables {
                    let broken: i64 =
                        tx.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| {
                            r.get(0)
                        })?;
                    if broken > 0 {
                        return Err(Error::Database(rusqlite::Error::InvalidQuery));
                    }
                }
                tx.pragma_update(None, "user_version", (i + 1) as i64)?;
                tx.commit()?;
                Ok(())
            })();
            if m.rebuilds_tables {
                self.conn.pragma_update(None, "foreign_keys", true)?;
            }
            result?;
            tracing::info!(version = i + 1, "history schema migrated");
        }
        Ok(())
    }

    /// Ends the WAL so the main file holds everything (for copies and exports).
    pub fn checkpoint(&self) -> Result<()> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    }
}

fn role_from(s: &str) -> Role {
    match s {
        "user" => Role::User,
        "system" => Role::System,
        _ => Role::Assistant,
    }
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;

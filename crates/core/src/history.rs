//! Conversations and their messages in SQLite. Owns the schema and its migrations;
//! knows nothing about HTTP. Every call is synchronous: callers keep it off the UI thread.

use std::path::{Path, PathBuf};

use dynaspark::Role;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::files::move_aside;
use crate::{render_markdown, Error, Result, StoredImage};

const TITLE_CHARS: usize = 60;

/// Columns read by `summary_from_row`, from `conversations c`.
const SUMMARY_SELECT: &str = "SELECT c.id, c.title, c.created_at, c.updated_at,
        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)
     FROM conversations c";
/// Columns read by `message_from_row`, from `messages`.
const MESSAGE_SELECT: &str = "SELECT id, conversation_id, role, text, image_file, image_name,
        image_mime, image_size, model, created_at
     FROM messages";

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[r#"
    CREATE TABLE conversations (
        id          INTEGER PRIMARY KEY,
        title       TEXT    NOT NULL,
        created_at  INTEGER NOT NULL,
        updated_at  INTEGER NOT NULL
    );
    CREATE INDEX conversations_by_update ON conversations(updated_at DESC);
    CREATE TABLE messages (
        id              INTEGER PRIMARY KEY,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role            TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        text            TEXT    NOT NULL,
        image_file      TEXT,
        image_name      TEXT,
        image_mime      TEXT,
        image_size      INTEGER,
        model           TEXT,
        created_at      INTEGER NOT NULL
    );
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
"#];

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationSummary {
    pub id: i64,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub message_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    pub id: i64,
    pub conversation_id: i64,
    pub role: Role,
    /// The text as written or received (Markdown for answers).
    pub text: String,
    /// Sanitised HTML for answers; empty for the person's own messages (shown as text).
    pub html: String,
    pub image: Option<StoredImage>,
    pub model: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Conversation {
    #[serde(flatten)]
    pub summary: ConversationSummary,
    pub messages: Vec<Message>,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    pub role: Role,
    pub text: String,
    pub image: Option<StoredImage>,
    pub model: Option<String>,
}

/// The result of opening the store: the history, and where an unreadable file was moved.
pub struct Opened {
    pub history: History,
    pub moved_aside: Option<PathBuf>,
}

pub struct History {
    conn: Connection,
}

impl History {
    /// Opens (creating, migrating) the database at `path`. A file that is not a readable
    /// database is moved aside with a timestamped name and a new, empty one is started.
    pub fn open(path: &Path) -> Result<Opened> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
        }
        match Self::open_existing(path) {
            Ok(history) => Ok(Opened {
                history,
                moved_aside: None,
            }),
            Err(Error::Database(e)) if path.exists() && is_corruption(&e) => {
                tracing::error!(error = %e, path = %path.display(), "history database unreadable");
                let moved = move_aside(path)?;
                for suffix in ["-wal", "-shm"] {
                    let side = PathBuf::from(format!("{}{suffix}", path.display()));
                    if side.exists() {
                        let _ = std::fs::rename(&side, format!("{}{suffix}", moved.display()));
                    }
                }
                Ok(Opened {
                    history: Self::open_existing(path)?,
                    moved_aside: Some(moved),
                })
            }
            Err(e) => Err(e),
        }
    }

    pub fn open_in_memory() -> Result<Self> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn open_existing(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        Self::prepare(conn)
    }

    fn prepare(conn: Connection) -> Result<Self> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        let mut history = Self { conn };
        history.migrate()?;
        Ok(history)
    }

    fn migrate(&mut self) -> Result<()> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        let version = usize::try_from(version).unwrap_or(usize::MAX);
        if version > MIGRATIONS.len() {
            return Err(Error::Database(rusqlite::Error::InvalidParameterName(format!(
                "the history was written by a newer Dynaspark Desktop (schema {version}); update the app"
            ))));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
            tracing::info!(version = i + 1, "history schema migrated");
        }
        Ok(())
    }

    /// Conversations, most recently active first.
    pub fn list(&self) -> Result<Vec<ConversationSummary>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SUMMARY_SELECT} ORDER BY c.updated_at DESC, c.id DESC"
        ))?;
        let rows = stmt.query_map([], summary_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Starts a conversation titled after its first question.
    pub fn create(&self, first_question: &str) -> Result<ConversationSummary> {
        let now = now_ms();
        let title = title_from(first_question);
        self.conn.execute(
            "INSERT INTO conversations (title, created_at, updated_at) VALUES (?1, ?2, ?2)",
            params![title, now],
        )?;
        self.summary(self.conn.last_insert_rowid())
    }

    pub fn summary(&self, id: i64) -> Result<ConversationSummary> {
        self.conn
            .query_row(
                &format!("{SUMMARY_SELECT} WHERE c.id = ?1"),
                [id],
                summary_from_row,
            )
            .optional()?
            .ok_or_else(|| not_found(id))
    }

    pub fn get(&self, id: i64) -> Result<Conversation> {
        let summary = self.summary(id)?;
        Ok(Conversation {
            summary,
            messages: self.messages(id)?,
        })
    }

    pub fn messages(&self, conversation_id: i64) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{MESSAGE_SELECT} WHERE conversation_id = ?1 ORDER BY id"
        ))?;
        let rows = stmt.query_map([conversation_id], message_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Appends a message and marks the conversation active, in one transaction.
    pub fn add_message(&mut self, conversation_id: i64, message: NewMessage) -> Result<Message> {
        let now = now_ms();
        let tx = self.conn.transaction()?;
        let img = message.image.as_ref();
        let changed = tx.execute(
            "UPDATE conversations SET updated_at = MAX(updated_at, ?2) WHERE id = ?1",
            params![conversation_id, now],
        )?;
        if changed == 0 {
            return Err(not_found(conversation_id));
        }
        tx.execute(
            "INSERT INTO messages (conversation_id, role, text, image_file, image_name, image_mime,
                                   image_size, model, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                conversation_id,
                role_str(message.role),
                message.text,
                img.map(|i| &i.file),
                img.map(|i| &i.name),
                img.map(|i| &i.mime),
                img.map(|i| i.size as i64),
                message.model,
                now
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        self.conn
            .query_row(
                &format!("{MESSAGE_SELECT} WHERE id = ?1"),
                [id],
                message_from_row,
            )
            .map_err(Error::from)
    }

    pub fn rename(&self, id: i64, title: &str) -> Result<()> {
        let title = title.trim();
        let title = if title.is_empty() { "Untitled" } else { title };
        if self.conn.execute(
            "UPDATE conversations SET title = ?2 WHERE id = ?1",
            params![id, title],
        )? == 0
        {
            return Err(not_found(id));
        }
        Ok(())
    }

    pub fn delete(&self, id: i64) -> Result<()> {
        if self
            .conn
            .execute("DELETE FROM conversations WHERE id = ?1", [id])?
            == 0
        {
            return Err(not_found(id));
        }
        Ok(())
    }
}

fn not_found(id: i64) -> Error {
    Error::NotFound {
        what: format!("Conversation {id}"),
    }
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        message_count: r.get(4)?,
    })
}

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<Message> {
    let role = match r.get::<_, String>(2)?.as_str() {
        "user" => Role::User,
        "system" => Role::System,
        _ => Role::Assistant,
    };
    let text: String = r.get(3)?;
    let image = match r.get::<_, Option<String>>(4)? {
        Some(file) => Some(StoredImage {
            file,
            name: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            mime: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            size: r.get::<_, Option<i64>>(7)?.unwrap_or_default() as u64,
        }),
        None => None,
    };
    let html = if role == Role::Assistant {
        render_markdown(&text)
    } else {
        String::new()
    };
    Ok(Message {
        id: r.get(0)?,
        conversation_id: r.get(1)?,
        role,
        text,
        html,
        image,
        model: r.get(8)?,
        created_at: r.get(9)?,
    })
}

fn role_str(role: Role) -> &'static str {
    match role {
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::System => "system",
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or_default()
}

/// The first question, on one line, cut at a word boundary.
fn title_from(question: &str) -> String {
    let one_line = question.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.is_empty() {
        return "Image question".to_owned();
    }
    if one_line.chars().count() <= TITLE_CHARS {
        return one_line;
    }
    let cut: String = one_line.chars().take(TITLE_CHARS).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > TITLE_CHARS / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches([',', '.', ';', ':']))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(text: &str) -> NewMessage {
        NewMessage {
            role: Role::User,
            text: text.into(),
            image: None,
            model: None,
        }
    }

    #[test]
    fn conversation_round_trip_with_image_and_order() {
        let mut h = History::open_in_memory().unwrap();
        let c = h.create("What is in this picture?").unwrap();
        let img = StoredImage {
            file: format!("{}.png", "a".repeat(64)),
            name: "red square.png".into(),
            mime: "image/png".into(),
            size: 42,
        };
        h.add_message(
            c.id,
            NewMessage {
                image: Some(img.clone()),
                ..user("What is in this picture?")
            },
        )
        .unwrap();
        let answer = h
            .add_message(
                c.id,
                NewMessage {
                    role: Role::Assistant,
                    text: "A **red** square.".into(),
                    image: None,
                    model: Some("gemini-1.5-flash".into()),
                },
            )
            .unwrap();
        assert_eq!(answer.html, "<p>A <strong>red</strong> square.</p>\n");
        let got = h.get(c.id).unwrap();
        assert_eq!(got.summary.title, "What is in this picture?");
        assert_eq!(got.summary.message_count, 2);
        assert_eq!(got.messages[0].image.as_ref(), Some(&img));
        assert_eq!(
            got.messages[0].html, "",
            "the person's own text is never rendered as HTML"
        );
        assert_eq!(got.messages[1].model.as_deref(), Some("gemini-1.5-flash"));
    }

    #[test]
    fn list_is_most_recent_first() {
        let mut h = History::open_in_memory().unwrap();
        let a = h.create("first").unwrap();
        let b = h.create("second").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(3));
        h.add_message(a.id, user("more")).unwrap();
        let ids: Vec<i64> = h.list().unwrap().iter().map(|c| c.id).collect();
        assert_eq!(ids, [a.id, b.id]);
    }

    #[test]
    fn delete_removes_messages_and_unknown_ids_are_not_found() {
        let mut h = History::open_in_memory().unwrap();
        let c = h.create("q").unwrap();
        h.add_message(c.id, user("q")).unwrap();
        h.delete(c.id).unwrap();
        assert_eq!(h.get(c.id).unwrap_err().code(), "not_found");
        assert_eq!(
            h.add_message(c.id, user("x")).unwrap_err().code(),
            "not_found"
        );
        let n: i64 = h
            .conn
            .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 0);
    }

    #[test]
    fn titles_are_one_line_and_short() {
        assert_eq!(title_from("  hello\n  world "), "hello world");
        assert_eq!(title_from(""), "Image question");
        let long = "Please describe in great detail every object you can see in this photograph of my kitchen";
        let t = title_from(long);
        assert!(t.chars().count() <= TITLE_CHARS + 1, "{t}");
        assert!(t.ends_with('…') && !t.contains("  "), "{t}");
    }

    #[test]
    fn persists_across_reopen_and_migrates_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite3");
        let id = {
            let mut h = History::open(&path).unwrap().history;
            let c = h.create("kept").unwrap();
            h.add_message(c.id, user("kept")).unwrap();
            c.id
        };
        let opened = History::open(&path).unwrap();
        assert!(opened.moved_aside.is_none());
        assert_eq!(opened.history.get(id).unwrap().messages[0].text, "kept");
        let v: i64 = opened
            .history
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn corrupt_file_is_moved_aside_not_deleted() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite3");
        let junk = b"this is not a database, but it is somebody's file".repeat(100);
        std::fs::write(&path, &junk).unwrap();
        let opened = History::open(&path).unwrap();
        let moved = opened.moved_aside.expect("moved aside");
        assert_eq!(std::fs::read(&moved).unwrap(), junk);
        assert!(moved
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("history.sqlite3.corrupt-"));
        assert!(opened.history.list().unwrap().is_empty());
    }

    #[test]
    fn newer_schema_is_refused_not_clobbered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("h.sqlite3");
        {
            let c = Connection::open(&path).unwrap();
            c.pragma_update(None, "user_version", 99).unwrap();
        }
        let err = History::open(&path).err().expect("refused");
        assert!(err.to_string().contains("newer"), "{err}");
        assert!(path.exists());
    }
}

//! Conversations: starting one with its first question, the sidebar's pages, renaming,
//! pinning, and deletion in two steps (hidden with Undo, then purged).

use rusqlite::{params, params_from_iter, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::{now_ms, ConversationSummary, History, Message, NewMessage};
use crate::{Error, Result};

const TITLE_CHARS: usize = 60;
/// Largest page the sidebar may ask for.
pub const MAX_PAGE: usize = 500;

/// Columns read by `summary_from_row`.
const SUMMARY_SELECT: &str =
    "SELECT id, title, created_at, updated_at, message_count, pinned FROM conversations";

/// Where a page of the sidebar starts: the last row of the page before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    pub pinned: bool,
    pub updated_at: i64,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationPage {
    pub items: Vec<ConversationSummary>,
    pub next_cursor: Option<Cursor>,
    /// Every conversation not deleted.
    pub total: i64,
}

/// What purging removed: conversations, and image files no message refers to any more.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Purged {
    pub conversations: usize,
    pub orphaned_images: Vec<String>,
}

impl History {
    /// Starts a conversation titled after its first question and saves the question, in
    /// one transaction.
    pub fn start(&mut self, first: NewMessage) -> Result<(ConversationSummary, Message)> {
        let title = title_from(if first.text.trim().is_empty() {
            first.image.as_ref().map_or("", |i| i.name.as_str())
        } else {
            &first.text
        });
        let tx = self.conn.transaction()?;
        let now = now_ms();
        tx.execute(
            "INSERT INTO conversations (uid, title, created_at, updated_at)
             VALUES (?1, ?2, ?3, ?3)",
            params![new_uid(&tx)?, title, now],
        )?;
        let id = tx.last_insert_rowid();
        let message_id = super::messages::insert(&tx, id, &first, now)?;
        tx.commit()?;
        Ok((self.summary(id)?, self.message(message_id)?))
    }

    /// One page of live conversations: pinned first, then most recently active first.
    pub fn list(&self, after: Option<Cursor>, limit: usize) -> Result<ConversationPage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let (pinned, updated_at, id) = after.map_or((2, i64::MAX, i64::MAX), |c| {
            (i64::from(c.pinned), c.updated_at, c.id)
        });
        let mut stmt = self.conn.prepare_cached(&format!(
            "{SUMMARY_SELECT} INDEXED BY conversations_listing
             WHERE deleted_at IS NULL AND (pinned, updated_at, id) < (?1, ?2, ?3)
             ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT ?4"
        ))?;
        let items: Vec<ConversationSummary> = stmt
            .query_map(
                params![pinned, updated_at, id, limit as i64 + 1],
                summary_from_row,
            )?
            .collect::<rusqlite::Result<_>>()?;
        let mut items = items;
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = more.then(|| items.last()).flatten().map(|c| Cursor {
            pinned: c.pinned,
            updated_at: c.updated_at,
            id: c.id,
        });
        Ok(ConversationPage {
            items,
            next_cursor,
            total: self.count()?,
        })
    }

    /// How many conversations there are (deleted ones awaiting purge excluded).
    pub fn count(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM conversations INDEXED BY conversations_listing
             WHERE deleted_at IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// A live conversation's summary.
    pub fn summary(&self, id: i64) -> Result<ConversationSummary> {
        self.conn
            .prepare_cached(&format!(
                "{SUMMARY_SELECT} WHERE id = ?1 AND deleted_at IS NULL"
            ))?
            .query_row([id], summary_from_row)
            .optional()?
            .ok_or_else(|| not_found(id))
    }

    pub fn rename(&self, id: i64, title: &str) -> Result<ConversationSummary> {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        let title = if title.is_empty() {
            "Untitled".to_owned()
        } else {
            title.chars().take(200).collect()
        };
        self.update_live(id, "title = ?2", &title)
    }

    pub fn set_pinned(&self, id: i64, pinned: bool) -> Result<ConversationSummary> {
        self.update_live(id, "pinned = ?2", &pinned)
    }

    /// Hides a conversation at once; `restore` brings it back until it is purged.
    pub fn delete(&self, id: i64) -> Result<()> {
        if self.conn.execute(
            "UPDATE conversations SET deleted_at = ?2 WHERE id = ?1 AND deleted_at IS NULL",
            params![id, now_ms()],
        )? == 0
        {
            return Err(not_found(id));
        }
        Ok(())
    }

    /// Undoes `delete`.
    pub fn restore(&self, id: i64) -> Result<ConversationSummary> {
        if self.conn.execute(
            "UPDATE conversations SET deleted_at = NULL WHERE id = ?1 AND deleted_at IS NOT NULL",
            [id],
        )? == 0
        {
            return Err(not_found(id));
        }
        self.summary(id)
    }

    /// Removes a deleted conversation for good. A live one is left alone.
    pub fn purge(&mut self, id: i64) -> Result<Purged> {
        self.purge_where("id = ?1 AND deleted_at IS NOT NULL", Some(id))
    }

    /// Purges every conversation deleted and not restored (at start-up).
    pub fn purge_deleted(&mut self) -> Result<Vec<String>> {
        let purged = self.purge_where("deleted_at IS NOT NULL", None)?;
        if purged.conversations > 0 {
            tracing::info!(
                conversations = purged.conversations,
                "conversations deleted last time purged"
            );
        }
        Ok(purged.orphaned_images)
    }

    /// Deletes every conversation now, without Undo.
    pub fn clear(&mut self) -> Result<Purged> {
        self.purge_where("1", None)
    }

    fn purge_where(&mut self, condition: &str, id: Option<i64>) -> Result<Purged> {
        let tx = self.conn.transaction()?;
        let images: Vec<String> = tx
            .prepare(&format!(
                "SELECT DISTINCT image_file FROM messages
                 WHERE image_file IS NOT NULL
                   AND conversation_id IN (SELECT id FROM conversations WHERE {condition})"
            ))?
            .query_map(params_from_iter(id), |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let conversations = tx.execute(
            &format!("DELETE FROM conversations WHERE {condition}"),
            params_from_iter(id),
        )?;
        let mut orphaned_images = Vec::new();
        {
            let mut still_used =
                tx.prepare("SELECT EXISTS (SELECT 1 FROM messages WHERE image_file = ?1)")?;
            for file in images {
                if !still_used.query_row([&file], |r| r.get::<_, bool>(0))? {
                    orphaned_images.push(file);
                }
            }
        }
        tx.commit()?;
        Ok(Purged {
            conversations,
            orphaned_images,
        })
    }

    fn update_live(
        &self,
        id: i64,
        set: &str,
        value: &dyn rusqlite::ToSql,
    ) -> Result<ConversationSummary> {
        let changed = self.conn.execute(
            &format!("UPDATE conversations SET {set} WHERE id = ?1 AND deleted_at IS NULL"),
            params![id, value],
        )?;
        if changed == 0 {
            return Err(not_found(id));
        }
        self.summary(id)
    }
}

pub(super) fn not_found(id: i64) -> Error {
    Error::NotFound {
        what: format!("Conversation {id}"),
    }
}

pub(super) fn summary_from_row(r: &Row<'_>) -> rusqlite::Result<ConversationSummary> {
    Ok(ConversationSummary {
        id: r.get(0)?,
        title: r.get(1)?,
        created_at: r.get(2)?,
        updated_at: r.get(3)?,
        message_count: r.get(4)?,
        pinned: r.get(5)?,
    })
}

/// A random identifier that survives export and import (for skipping duplicates).
pub(super) fn new_uid(conn: &rusqlite::Connection) -> Result<String> {
    Ok(conn.query_row("SELECT lower(hex(randomblob(16)))", [], |r| r.get(0))?)
}

/// The first question, on one line, cut at a word boundary.
pub(crate) fn title_from(question: &str) -> String {
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

//! Whole conversations in and out of the store, for export, import and generated test
//! histories: read one with every message, write many with their own timestamps.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::conversations::{new_uid, not_found};
use super::messages::insert;
use super::{Anchor, History, NewMessage};
use crate::{Result, StoredImage};

/// A conversation with everything that makes it up, as exported and imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConversationRecord {
    /// Stable across export and import: a conversation imported twice is skipped.
    pub uid: String,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
    #[serde(default)]
    pub pinned: bool,
    pub messages: Vec<MessageRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    pub role: dynaspark::Role,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<StoredImage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    pub created_at: i64,
}

impl History {
    /// Ids of every live conversation, pinned first, then most recently active first.
    pub fn ids(&self) -> Result<Vec<i64>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id FROM conversations INDEXED BY conversations_listing
                 WHERE deleted_at IS NULL ORDER BY pinned DESC, updated_at DESC, id DESC",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?)
    }

    /// One live conversation with all its messages.
    pub fn record(&mut self, id: i64) -> Result<ConversationRecord> {
        let (uid, title, created_at, updated_at, pinned) = self
            .conn
            .query_row(
                "SELECT uid, title, created_at, updated_at, pinned FROM conversations
                 WHERE id = ?1 AND deleted_at IS NULL",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?
            .ok_or_else(|| not_found(id))?;
        let mut messages = Vec::new();
        let mut anchor = Anchor::Oldest;
        loop {
            let page = self.messages(id, anchor, super::messages::MAX_PAGE)?;
            let Some(last) = page.messages.last() else {
                break;
            };
            anchor = Anchor::After { id: last.id };
            let more = page.has_after;
            messages.extend(page.messages.into_iter().map(|m| MessageRecord {
                role: m.role,
                text: m.text,
                image: m.image,
                model: m.model,
                created_at: m.created_at,
            }));
            if !more {
                break;
            }
        }
        Ok(ConversationRecord {
            uid,
            title,
            created_at,
            updated_at,
            pinned,
            messages,
        })
    }

    /// Writes conversations with their own timestamps, in one transaction. A record whose
    /// uid is already here (live or awaiting purge) is skipped: `None` in its place.
    /// An empty uid gets a new one.
    pub fn insert_records(&mut self, records: &[ConversationRecord]) -> Result<Vec<Option<i64>>> {
        let tx = self.conn.transaction()?;
        let mut ids = Vec::with_capacity(records.len());
        for c in records {
            let exists: bool = !c.uid.is_empty()
                && tx
                    .prepare_cached("SELECT EXISTS (SELECT 1 FROM conversations WHERE uid = ?1)")?
                    .query_row([&c.uid], |r| r.get(0))?;
            if exists {
                ids.push(None);
                continue;
            }
            let uid = if c.uid.is_empty() {
                new_uid(&tx)?
            } else {
                c.uid.clone()
            };
            tx.prepare_cached(
                "INSERT INTO conversations (uid, title, created_at, updated_at, pinned)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![uid, c.title, c.created_at, c.updated_at, c.pinned])?;
            let id = tx.last_insert_rowid();
            for m in &c.messages {
                let message = NewMessage {
                    role: m.role,
                    text: m.text.clone(),
                    image: m.image.clone(),
                    model: m.model.clone(),
                };
                insert(&tx, id, &message, m.created_at)?;
            }
            ids.push(Some(id));
        }
        tx.commit()?;
        Ok(ids)
    }
}

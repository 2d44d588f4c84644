//! Whole conversations in and out of the store, for export, import and generated test
//! histories: read one with every message, write many with their own timestamps.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use std::collections::HashMap;

use dynaspark::Role;

use super::branches;
use super::conversations::{new_uid, not_found};
use super::messages::{insert_at, row_from, Place, Stored, MESSAGE_SELECT};
use super::{History, NewMessage};
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
    /// The message it follows, when that is not simply the question or answer before it
    /// (the first version of an edited question or regenerated answer starts a branch):
    /// `Some(Some(i))` follows `messages[i]`, `Some(None)` starts the conversation.
    /// Instructions follow nothing.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub parent: Option<Option<usize>>,
    /// An earlier version, or what followed one: not on the shown path.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// Among its versions, the larger was chosen more recently.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub selected: i64,
}

/// A field that is there, even as `null`.
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<usize>>, D::Error> {
    Option::<usize>::deserialize(d).map(Some)
}

pub(crate) fn is_zero(n: &i64) -> bool {
    *n == 0
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

    /// One live conversation with all its messages, every version included.
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
        let rows: Vec<Stored> = self
            .conn
            .prepare_cached(&format!(
                "{MESSAGE_SELECT} WHERE m.conversation_id = ?1 ORDER BY m.id"
            ))?
            .query_map([id], row_from)?
            .collect::<rusqlite::Result<_>>()?;
        let mut index = HashMap::with_capacity(rows.len());
        let mut previous = None;
        let mut messages = Vec::with_capacity(rows.len());
        for (
            i,
            Stored {
                message: m, place, ..
            },
        ) in rows.into_iter().enumerate()
        {
            index.insert(m.id, i);
            let parent = if m.role == Role::System {
                None
            } else {
                let follows = previous.replace(m.id);
                (place.parent != follows).then(|| place.parent.and_then(|p| index.get(&p).copied()))
            };
            messages.push(MessageRecord {
                role: m.role,
                text: m.text,
                image: m.image,
                model: m.model,
                created_at: m.created_at,
                parent,
                hidden: place.hidden,
                selected: place.selected,
            });
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
            // Message ids by position, for parents; a parent that is not an earlier
            // question or answer is taken as the one before (the importer refuses such).
            let mut placed: Vec<Option<i64>> = Vec::with_capacity(c.messages.len());
            let mut previous = None;
            let mut branched = false;
            for m in &c.messages {
                let message = NewMessage {
                    role: m.role,
                    text: m.text.clone(),
                    image: m.image.clone(),
                    model: m.model.clone(),
                };
                let place = if m.role == Role::System {
                    Place::default()
                } else {
                    branched |= m.parent.is_some() || m.hidden;
                    let parent = match m.parent {
                        Some(None) => None,
                        Some(Some(i)) => placed.get(i).copied().flatten().or(previous),
                        None => previous,
                    };
                    Place {
                        parent,
                        hidden: m.hidden,
                        selected: m.selected,
                    }
                };
                let message_id = insert_at(&tx, id, &message, m.created_at, place)?;
                if m.role != Role::System {
                    previous = Some(message_id);
                }
                placed.push((m.role != Role::System).then_some(message_id));
            }
            // The shown path is derived again rather than trusted.
            if branched {
                branches::reroute(&tx, id, None)?;
            }
            ids.push(Some(id));
        }
        tx.commit()?;
        Ok(ids)
    }
}

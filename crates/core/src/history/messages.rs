//! Messages: appending (answers rendered to safe HTML once, here), pages around an
//! anchor for the windowed list, deleting one, and the slices a prompt needs.

use dynaspark::Role;
use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::branches;
use super::conversations::not_found;
use super::{now_ms, role_from, role_str, ConversationSummary, History, Message, NewMessage};
use crate::markdown::RENDERER_VERSION;
use crate::{render_markdown, Error, Result, StoredImage};

/// Largest page the message list may ask for.
pub const MAX_PAGE: usize = 500;

/// Columns read by `row_from`: a message and its place among its versions (siblings:
/// the same parent; instructions have none).
pub(super) const MESSAGE_SELECT: &str =
    "SELECT m.id, m.conversation_id, m.role, m.text, m.image_file,
        m.image_name, m.image_mime, m.image_size, m.model, m.created_at, m.html, m.html_version,
        (SELECT COUNT(*) FROM messages s WHERE s.conversation_id = m.conversation_id
             AND s.parent_id IS m.parent_id AND s.role != 'system' AND s.id < m.id),
        (SELECT COUNT(*) FROM messages s WHERE s.conversation_id = m.conversation_id
             AND s.parent_id IS m.parent_id AND s.role != 'system'),
        m.parent_id, m.hidden, m.selected
     FROM messages m";

/// Where a page of messages is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Anchor {
    /// The newest messages.
    Latest,
    /// The first messages.
    Oldest,
    /// Messages just before this id.
    Before { id: i64 },
    /// Messages just after this id.
    After { id: i64 },
    /// This message with some before and after it (a search hit).
    Around { id: i64 },
}

/// Messages oldest first, and whether there are more on either side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    pub messages: Vec<Message>,
    pub has_before: bool,
    pub has_after: bool,
    /// Messages in the whole conversation.
    pub total: i64,
}

/// A row as stored; `html` may need re-rendering after a renderer upgrade.
pub(super) struct Stored {
    pub message: Message,
    html_version: i64,
    pub place: Place,
}

/// Where a message hangs among the conversation's versions: the message it follows
/// (`None`: it starts the conversation, or it is the instructions), whether it is off the
/// shown path, and when it was last chosen among its siblings.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Place {
    pub parent: Option<i64>,
    pub hidden: bool,
    pub selected: i64,
}

impl History {
    /// Appends a message to a live conversation and marks it active, in one transaction.
    pub fn add_message(&mut self, conversation_id: i64, message: NewMessage) -> Result<Message> {
        let now = now_ms();
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE conversations SET updated_at = MAX(updated_at, ?2)
             WHERE id = ?1 AND deleted_at IS NULL",
            params![conversation_id, now],
        )?;
        if changed == 0 {
            return Err(not_found(conversation_id));
        }
        let id = insert(&tx, conversation_id, &message, now)?;
        tx.commit()?;
        self.message(id)
    }

    /// The conversation's instructions: the text of its system message ("" for none).
    pub fn instructions(&self, conversation_id: i64) -> Result<String> {
        self.summary(conversation_id)?;
        Ok(self
            .system_message(conversation_id)?
            .map(|(_, text)| text)
            .unwrap_or_default())
    }

    /// The id and text of the conversation's (first) system message.
    pub(super) fn system_message(&self, conversation_id: i64) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, text FROM messages WHERE conversation_id = ?1 AND role = 'system'
                 ORDER BY id LIMIT 1",
            )?
            .query_row([conversation_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Sets the conversation's instructions, kept as its one system message: its text is
    /// replaced when it has one, a message is added when not, and blank `text` removes
    /// it. The next questions send it first (see `prompt_context`).
    pub fn set_instructions(
        &mut self,
        conversation_id: i64,
        text: &str,
    ) -> Result<ConversationSummary> {
        self.summary(conversation_id)?;
        let text = text.trim();
        let existing = self.system_message(conversation_id)?.map(|(id, _)| id);
        match (existing, text.is_empty()) {
            (Some(id), true) => {
                self.conn
                    .execute("DELETE FROM messages WHERE id = ?1", [id])?;
            }
            (Some(id), false) => {
                self.conn.execute(
                    "UPDATE messages SET text = ?2 WHERE id = ?1",
                    params![id, text],
                )?;
            }
            (None, false) => {
                let system = NewMessage {
                    role: Role::System,
                    text: text.to_owned(),
                    image: None,
                    model: None,
                };
                self.add_message(conversation_id, system)?;
            }
            (None, true) => {}
        }
        self.summary(conversation_id)
    }

    /// One message by id.
    pub fn message(&mut self, id: i64) -> Result<Message> {
        let stored = self
            .conn
            .prepare_cached(&format!("{MESSAGE_SELECT} WHERE m.id = ?1"))?
            .query_row([id], row_from)
            .optional()?
            .ok_or_else(|| Error::NotFound {
                what: format!("Message {id}"),
            })?;
        Ok(self.fresh(vec![stored])?.remove(0))
    }

    /// A page of a live conversation's messages, oldest first.
    pub fn messages(
        &mut self,
        conversation_id: i64,
        anchor: Anchor,
        limit: usize,
    ) -> Result<MessagePage> {
        let limit = limit.clamp(1, MAX_PAGE);
        let total = self.summary(conversation_id)?.message_count;
        let (rows, has_before, has_after) = match anchor {
            Anchor::Latest => {
                let (rows, more) = self.before(conversation_id, i64::MAX, limit)?;
                (rows, more, false)
            }
            Anchor::Before { id } => {
                let (rows, more) = self.before(conversation_id, id, limit)?;
                let after = self.exists(conversation_id, "id >= ?2", id)?;
                (rows, more, after)
            }
            Anchor::Oldest => {
                let (rows, more) = self.after(conversation_id, i64::MIN, limit)?;
                (rows, false, more)
            }
            Anchor::After { id } => {
                let (rows, more) = self.after(conversation_id, id, limit)?;
                let before = self.exists(conversation_id, "id <= ?2", id)?;
                (rows, before, more)
            }
            Anchor::Around { id } => {
                let half = limit / 2;
                let (mut rows, before) = self.before(conversation_id, id, half.max(1))?;
                let (after_rows, after) = self.after(conversation_id, id - 1, limit - half)?;
                rows.extend(after_rows);
                (rows, before, after)
            }
        };
        Ok(MessagePage {
            messages: self.fresh(rows)?,
            has_before,
            has_after,
            total,
        })
    }

    /// Deletes one message; returns its conversation with the new count. What followed
    /// it now follows its parent, so the shown path stays as it was; a deleted last
    /// message with other versions gives way to the last one chosen of them.
    pub fn delete_message(&mut self, id: i64) -> Result<ConversationSummary> {
        let tx = self.conn.transaction()?;
        let (conversation_id, place, role) = branches::placed(&tx, id)?;
        let mut shown_child = None;
        if role != Role::System {
            shown_child = tx
                .prepare_cached(
                    "SELECT id FROM messages WHERE conversation_id = ?1 AND parent_id = ?2
                         AND hidden = 0 AND role != 'system'",
                )?
                .query_row(params![conversation_id, id], |r| r.get::<_, i64>(0))
                .optional()?;
            tx.execute(
                "UPDATE messages SET parent_id = ?3 WHERE conversation_id = ?1 AND parent_id = ?2",
                params![conversation_id, id, place.parent],
            )?;
            if let Some(child) = shown_child {
                branches::choose(&tx, conversation_id, place.parent, child)?;
            }
        }
        tx.execute("DELETE FROM messages WHERE id = ?1", [id])?;
        if role != Role::System && !place.hidden && shown_child.is_none() {
            branches::reroute(&tx, conversation_id, place.parent)?;
        }
        tx.commit()?;
        self.summary(conversation_id)
    }

    /// Everything a prompt can need, without reading a long conversation whole: the
    /// whole shown conversation when its flattened text is within `max_chars`, else its
    /// first three messages, its system messages and at least its last six. Oldest first;
    /// `complete` says whether nothing was left out. With `until` (an answer being
    /// regenerated), only what the path shows before that message, and every instruction.
    pub fn prompt_context(
        &mut self,
        conversation_id: i64,
        max_chars: usize,
        until: Option<i64>,
    ) -> Result<PromptContext> {
        self.context(conversation_id, max_chars, until, None)
    }

    /// `prompt_context` for a question not saved yet: what it will read once `question`
    /// is the last message of the shown path, read before the question is written (so
    /// the request can leave while it is).
    pub fn prompt_context_with(
        &mut self,
        conversation_id: i64,
        max_chars: usize,
        question: &NewMessage,
    ) -> Result<PromptContext> {
        let pending = question.unsaved(conversation_id);
        self.context(conversation_id, max_chars, None, Some(pending))
    }

    fn context(
        &mut self,
        conversation_id: i64,
        max_chars: usize,
        until: Option<i64>,
        pending: Option<Message>,
    ) -> Result<PromptContext> {
        self.summary(conversation_id)?;
        let mut tail: Vec<Message> = Vec::new();
        let mut chars = 0usize;
        // A lower bound of a message's flattened line ("User: " + text + "\n"; blank
        // ones are skipped): past `max_chars`, the whole cannot fit.
        let weight = |m: &Message| {
            if m.text.trim().is_empty() {
                0
            } else {
                m.text.chars().count() + 7
            }
        };
        // A pending question is read as the newest row of the first page, which then
        // holds one stored row fewer: the pages, and where reading stops, are the ones
        // read once it is saved.
        let mut page = 50;
        if let Some(question) = pending {
            chars += weight(&question);
            tail.push(question);
            page -= 1;
        }
        let mut cursor = until.unwrap_or(i64::MAX);
        let complete = loop {
            let (rows, more) = self.before(conversation_id, cursor, page)?;
            page = 50;
            let Some(first) = rows.first() else {
                break true;
            };
            cursor = first.message.id;
            for s in rows.into_iter().rev() {
                chars += weight(&s.message);
                tail.push(s.message);
            }
            if !more {
                break true;
            }
            // More than six messages in all, and the whole is too long: the trimming
            // looks only at the ends (`dynaspark::flatten_long`).
            if chars > max_chars && tail.len() >= 6 {
                break false;
            }
        };
        tail.reverse();
        if complete {
            // Instructions set after the cut still lead the prompt.
            if let Some(until) = until {
                let late: Vec<Message> = self
                    .conn
                    .prepare_cached(&format!(
                        "{MESSAGE_SELECT} WHERE m.conversation_id = ?1 AND m.role = 'system'
                             AND m.id > ?2 ORDER BY m.id"
                    ))?
                    .query_map(params![conversation_id, until], row_from)?
                    .map(|r| r.map(|s| s.message))
                    .collect::<rusqlite::Result<_>>()?;
                tail.splice(0..0, late);
            }
            return Ok(PromptContext {
                head: Vec::new(),
                systems: Vec::new(),
                tail,
                complete: true,
            });
        }
        let (head, _) = self.after(conversation_id, i64::MIN, 3)?;
        let systems = self
            .conn
            .prepare_cached(&format!(
                "{MESSAGE_SELECT} WHERE m.conversation_id = ?1 AND m.role = 'system' ORDER BY m.id"
            ))?
            .query_map([conversation_id], row_from)?
            .map(|r| r.map(|s| s.message))
            .collect::<rusqlite::Result<_>>()?;
        Ok(PromptContext {
            head: head.into_iter().map(|s| s.message).collect(),
            systems,
            tail,
            complete: false,
        })
    }

    /// The most recent image the conversation shows (before message `until`, when given):
    /// a follow-up shows the model the picture.
    pub fn latest_image(
        &self,
        conversation_id: i64,
        until: Option<i64>,
    ) -> Result<Option<StoredImage>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "{MESSAGE_SELECT} WHERE m.conversation_id = ?1 AND m.hidden = 0
                     AND m.image_file IS NOT NULL AND m.id < ?2
                 ORDER BY m.id DESC LIMIT 1"
            ))?
            .query_row(
                params![conversation_id, until.unwrap_or(i64::MAX)],
                row_from,
            )
            .optional()?
            .and_then(|s| s.message.image))
    }

    /// Up to `limit` messages before `id`, oldest first, and whether there are more.
    fn before(&self, conversation_id: i64, id: i64, limit: usize) -> Result<(Vec<Stored>, bool)> {
        let (mut rows, more) =
            self.slice("m.id < ?2 ORDER BY m.id DESC", conversation_id, id, limit)?;
        rows.reverse();
        Ok((rows, more))
    }

    /// Up to `limit` messages after `id`, oldest first, and whether there are more.
    fn after(&self, conversation_id: i64, id: i64, limit: usize) -> Result<(Vec<Stored>, bool)> {
        self.slice("m.id > ?2 ORDER BY m.id", conversation_id, id, limit)
    }

    /// Up to `limit` rows in the order `range` gives, and whether there are more.
    fn slice(
        &self,
        range: &str,
        conversation_id: i64,
        id: i64,
        limit: usize,
    ) -> Result<(Vec<Stored>, bool)> {
        let mut rows: Vec<Stored> = self
            .conn
            .prepare_cached(&format!(
                "{MESSAGE_SELECT} WHERE m.conversation_id = ?1 AND m.hidden = 0 AND {range} LIMIT ?3"
            ))?
            .query_map(params![conversation_id, id, limit as i64 + 1], row_from)?
            .collect::<rusqlite::Result<_>>()?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, more))
    }

    fn exists(&self, conversation_id: i64, condition: &str, id: i64) -> Result<bool> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT EXISTS (SELECT 1 FROM messages
                     WHERE conversation_id = ?1 AND hidden = 0 AND {condition})"
            ),
            params![conversation_id, id],
            |r| r.get(0),
        )?)
    }

    /// Re-renders answers stored by an older renderer, once, and keeps the result.
    fn fresh(&mut self, rows: Vec<Stored>) -> Result<Vec<Message>> {
        let stale = rows
            .iter()
            .any(|s| s.message.role == Role::Assistant && s.html_version != RENDERER_VERSION);
        if !stale {
            return Ok(rows.into_iter().map(|s| s.message).collect());
        }
        let tx = self.conn.transaction()?;
        let mut out = Vec::with_capacity(rows.len());
        {
            let mut update = tx
                .prepare_cached("UPDATE messages SET html = ?2, html_version = ?3 WHERE id = ?1")?;
            for mut s in rows {
                if s.message.role == Role::Assistant && s.html_version != RENDERER_VERSION {
                    s.message.html = render_markdown(&s.message.text);
                    update.execute(params![s.message.id, s.message.html, RENDERER_VERSION])?;
                }
                out.push(s.message);
            }
        }
        tx.commit()?;
        Ok(out)
    }
}

/// What `prompt_context` read.
#[derive(Debug, Clone, Default)]
pub struct PromptContext {
    /// The first three messages (empty when `complete`).
    pub head: Vec<Message>,
    /// Every system message (empty when `complete`).
    pub systems: Vec<Message>,
    /// The last messages; the whole conversation when `complete`.
    pub tail: Vec<Message>,
    pub complete: bool,
}

/// Inserts a message at the end of the shown path (instructions hang nowhere).
pub(super) fn insert(
    conn: &Connection,
    conversation_id: i64,
    message: &NewMessage,
    created_at: i64,
) -> Result<i64> {
    let place = match message.role {
        Role::System => Place::default(),
        _ => {
            let parent = branches::last_shown(conn, conversation_id)?;
            Place {
                parent,
                hidden: false,
                selected: branches::next_selected(conn, conversation_id, parent)?,
            }
        }
    };
    insert_at(conn, conversation_id, message, created_at, place)
}

/// Inserts a message row at `place` (rendering an answer's HTML now, so reads never do).
pub(super) fn insert_at(
    conn: &Connection,
    conversation_id: i64,
    message: &NewMessage,
    created_at: i64,
    place: Place,
) -> Result<i64> {
    let img = message.image.as_ref();
    let html = (message.role == Role::Assistant).then(|| render_markdown(&message.text));
    conn.prepare_cached(
        "INSERT INTO messages (conversation_id, role, text, image_file, image_name, image_mime,
                               image_size, model, created_at, html, html_version,
                               parent_id, hidden, selected)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
    )?
    .execute(params![
        conversation_id,
        role_str(message.role),
        message.text,
        img.map(|i| &i.file),
        img.map(|i| &i.name),
        img.map(|i| &i.mime),
        img.map(|i| i.size as i64),
        message.model,
        created_at,
        html,
        if html.is_some() { RENDERER_VERSION } else { 0 },
        place.parent,
        place.hidden,
        place.selected,
    ])?;
    Ok(conn.last_insert_rowid())
}

pub(super) fn row_from(r: &Row<'_>) -> rusqlite::Result<Stored> {
    let image = match r.get::<_, Option<String>>(4)? {
        Some(file) => Some(StoredImage {
            file,
            name: r.get::<_, Option<String>>(5)?.unwrap_or_default(),
            mime: r.get::<_, Option<String>>(6)?.unwrap_or_default(),
            size: r.get::<_, Option<i64>>(7)?.unwrap_or_default() as u64,
        }),
        None => None,
    };
    let role = role_from(&r.get::<_, String>(2)?);
    let (branch, branches) = match role {
        Role::System => (1, 1),
        _ => (r.get::<_, i64>(12)? + 1, r.get(13)?),
    };
    Ok(Stored {
        message: Message {
            id: r.get(0)?,
            conversation_id: r.get(1)?,
            role,
            text: r.get(3)?,
            html: r.get::<_, Option<String>>(10)?.unwrap_or_default(),
            image,
            model: r.get(8)?,
            created_at: r.get(9)?,
            branch,
            branches,
        },
        html_version: r.get(11)?,
        place: Place {
            parent: r.get(14)?,
            hidden: r.get(15)?,
            selected: r.get(16)?,
        },
    })
}

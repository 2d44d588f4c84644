//! Versions of a message. Editing a question or regenerating an answer adds a sibling of
//! the message it replaces (same parent), so every version and what followed it is kept,
//! a tree. The conversation shows one path from its first message down, following at each
//! message the child chosen last; that path is kept materialised (`hidden = 0`), so
//! paging and prompts read a plain range. Ids grow down every path, so the shown
//! messages in id order are the path. Instructions (system messages) hang outside the
//! tree and are always shown.

use dynaspark::Role;
use rusqlite::{params, Connection, OptionalExtension};

use super::messages::{insert_at, Place};
use super::{now_ms, role_from, History, Message, NewMessage};
use crate::{Error, Result};

impl History {
    /// Adds `message` as a new version of message `of` (a question edited, an answer
    /// regenerated): it takes `of`'s place on the shown path, with nothing below it yet;
    /// `of` and what followed it are kept as the previous version.
    pub fn add_version(&mut self, of: i64, message: NewMessage) -> Result<Message> {
        let now = now_ms();
        let tx = self.conn.transaction()?;
        let (conversation_id, place, role) = placed(&tx, of)?;
        if role == Role::System || message.role == Role::System {
            return Err(not_versioned(of));
        }
        // A version of a message off the path: the path is taken there first, so the new
        // version hangs below what is shown.
        if place.hidden {
            reveal_in(&tx, of)?;
        }
        let selected = next_selected(&tx, conversation_id, place.parent)?;
        let place = Place {
            parent: place.parent,
            hidden: false,
            selected,
        };
        let id = insert_at(&tx, conversation_id, &message, now, place)?;
        tx.execute(
            "UPDATE conversations SET updated_at = MAX(updated_at, ?2) WHERE id = ?1",
            params![conversation_id, now],
        )?;
        reroute(&tx, conversation_id, place.parent)?;
        tx.commit()?;
        self.message(id)
    }

    /// Shows the version `step` places from message `id` (−1: the one before, 1: the one
    /// after, clamped to the first and last), with the path below it as it was last
    /// shown. Returns the version now shown.
    pub fn switch_version(&mut self, id: i64, step: i64) -> Result<Message> {
        let tx = self.conn.transaction()?;
        let (conversation_id, place, role) = placed(&tx, id)?;
        if role == Role::System {
            return Err(not_versioned(id));
        }
        let versions: Vec<i64> = tx
            .prepare_cached(
                "SELECT id FROM messages WHERE conversation_id = ?1 AND parent_id IS ?2
                     AND role != 'system' ORDER BY id",
            )?
            .query_map(params![conversation_id, place.parent], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let at = versions.iter().position(|&v| v == id).unwrap_or_default() as i64;
        let target = versions[(at + step).clamp(0, versions.len() as i64 - 1) as usize];
        if place.hidden {
            reveal_in(&tx, id)?;
        }
        if target != id {
            choose(&tx, conversation_id, place.parent, target)?;
            reroute(&tx, conversation_id, place.parent)?;
        }
        tx.commit()?;
        self.message(target)
    }

    /// Puts message `id` on the shown path (a search hit in an earlier version): it and
    /// every hidden message above it become the chosen versions.
    pub fn reveal(&mut self, id: i64) -> Result<()> {
        let tx = self.conn.transaction()?;
        reveal_in(&tx, id)?;
        tx.commit()?;
        Ok(())
    }
}

/// `History::reveal` inside the caller's transaction.
fn reveal_in(conn: &Connection, id: i64) -> Result<()> {
    let (conversation_id, mut place, role) = placed(conn, id)?;
    let mut node = id;
    let mut from = None;
    while role != Role::System && place.hidden {
        choose(conn, conversation_id, place.parent, node)?;
        from = Some(place.parent);
        let Some(parent) = place.parent else { break };
        node = parent;
        place = placed(conn, node)?.1;
    }
    if let Some(parent) = from {
        reroute(conn, conversation_id, parent)?;
    }
    Ok(())
}

/// A live conversation's message: its conversation, place and role.
pub(super) fn placed(conn: &Connection, id: i64) -> Result<(i64, Place, Role)> {
    conn.prepare_cached(
        "SELECT m.conversation_id, m.parent_id, m.hidden, m.selected, m.role
         FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE m.id = ?1 AND c.deleted_at IS NULL",
    )?
    .query_row([id], |r| {
        Ok((
            r.get(0)?,
            Place {
                parent: r.get(1)?,
                hidden: r.get(2)?,
                selected: r.get(3)?,
            },
            role_from(&r.get::<_, String>(4)?),
        ))
    })
    .optional()?
    .ok_or_else(|| Error::NotFound {
        what: format!("Message {id}"),
    })
}

/// The last question or answer on the shown path: what a new message follows.
pub(super) fn last_shown(conn: &Connection, conversation_id: i64) -> Result<Option<i64>> {
    Ok(conn
        .prepare_cached(
            "SELECT id FROM messages WHERE conversation_id = ?1 AND hidden = 0
                 AND role != 'system' ORDER BY id DESC LIMIT 1",
        )?
        .query_row([conversation_id], |r| r.get(0))
        .optional()?)
}

/// A `selected` value above every child of `parent`: the next one chosen.
pub(super) fn next_selected(
    conn: &Connection,
    conversation_id: i64,
    parent: Option<i64>,
) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "SELECT COALESCE(MAX(selected) + 1, 0) FROM messages
             WHERE conversation_id = ?1 AND parent_id IS ?2 AND role != 'system'",
        )?
        .query_row(params![conversation_id, parent], |r| r.get(0))?)
}

/// Makes `id` the chosen child of `parent` (the path goes through it on the next reroute).
pub(super) fn choose(
    conn: &Connection,
    conversation_id: i64,
    parent: Option<i64>,
    id: i64,
) -> Result<()> {
    let selected = next_selected(conn, conversation_id, parent)?;
    conn.prepare_cached("UPDATE messages SET selected = ?2 WHERE id = ?1")?
        .execute(params![id, selected])?;
    Ok(())
}

/// Shows, below `parent` (`None`: from the start), the path through the chosen children,
/// and hides what was shown there before. Costs the length of the two paths below it.
pub(super) fn reroute(conn: &Connection, conversation_id: i64, parent: Option<i64>) -> Result<()> {
    // Everything shown after `parent` is below it: the shown path grows in id.
    conn.prepare_cached(
        "UPDATE messages SET hidden = 1 WHERE conversation_id = ?1 AND hidden = 0
             AND role != 'system' AND id > ?2",
    )?
    .execute(params![conversation_id, parent.unwrap_or(0)])?;
    conn.prepare_cached(
        "WITH RECURSIVE path(id) AS (
             SELECT (SELECT id FROM messages WHERE conversation_id = ?1 AND parent_id IS ?2
                         AND role != 'system' ORDER BY selected DESC, id DESC LIMIT 1)
             UNION ALL
             SELECT (SELECT c.id FROM messages c WHERE c.conversation_id = ?1
                         AND c.parent_id = path.id AND c.role != 'system'
                     ORDER BY c.selected DESC, c.id DESC LIMIT 1)
             FROM path WHERE path.id IS NOT NULL)
         UPDATE messages SET hidden = 0 WHERE id IN (SELECT id FROM path WHERE id IS NOT NULL)",
    )?
    .execute(params![conversation_id, parent])?;
    Ok(())
}

fn not_versioned(id: i64) -> Error {
    Error::NoVersions { id }
}

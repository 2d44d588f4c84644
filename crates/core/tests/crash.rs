//! A process writing to the history is killed with SIGKILL at random moments, round
//! after round, on one database. Afterwards SQLite's integrity check passes, the
//! full-text index and the kept counts agree with the messages, and every message the
//! writer saw committed is there with its text (unless the writer purged its
//! conversation, which it also reports).
//!
//! The writer is this same test binary, started again with `DS_CRASH_WRITER_DB` set.

#![cfg(unix)]

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use dynaspark::Role;
use dynaspark_core::{History, NewMessage};

mod support;
use support::Rng;

const ROUNDS: u64 = 120;
const WRITER_ENV: &str = "DS_CRASH_WRITER_DB";

/// The writer's side: runs until killed, printing a line after each commit.
#[test]
fn crash_writer() {
    let Ok(db) = std::env::var(WRITER_ENV) else {
        return;
    };
    let round: u64 = std::env::var("DS_KILL_ROUND")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or_default();
    let mut h = History::open(Path::new(&db)).expect("open").history;
    let mut out = std::io::stdout().lock();
    let mut rng = Rng(round * 7919 + 17);
    let mut conversation = None;
    for n in 0.. {
        let text = format!(
            "round {round} message {n}: ёлка {}",
            "lorem ipsum ".repeat((rng.next() % 40) as usize)
        );
        let message = NewMessage {
            role: if n % 2 == 0 {
                Role::User
            } else {
                Role::Assistant
            },
            text: text.clone(),
            image: None,
            model: Some("gemini-1.5-flash".into()),
        };
        let (c, id) = match conversation {
            Some(c) if !rng.next().is_multiple_of(10) => {
                (c, h.add_message(c, message).expect("add").id)
            }
            _ => {
                let (c, m) = h.start(message).expect("start");
                (c.id, m.id)
            }
        };
        conversation = Some(c);
        writeln!(out, "ACK {id} {c} {text}").expect("stdout");
        out.flush().expect("flush");
        if rng.next().is_multiple_of(25) {
            // Reported before deleting: a kill after the delete leaves it hidden, and the
            // next start purges it, so from here on its messages may be gone.
            writeln!(out, "PURGING {c}").expect("stdout");
            out.flush().expect("flush");
            h.delete(c).expect("delete");
            h.purge(c).expect("purge");
            conversation = None;
        }
    }
}

#[test]
fn killed_writers_lose_nothing_acknowledged() {
    if std::env::var(WRITER_ENV).is_ok() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite3");
    let mut acked: HashMap<i64, (i64, String)> = HashMap::new();
    let mut purged: HashSet<i64> = HashSet::new();
    let mut rng = Rng::from_clock();
    let seed = rng.0;
    for round in 0..ROUNDS {
        // Anywhere from start-up (mid-migration in the first round) to well into writing.
        let after = Duration::from_millis(rng.next() % 150);
        let lines = support::killed_after("crash_writer", &[(WRITER_ENV, &db)], round, after);
        for line in lines {
            if let Some(rest) = line.strip_prefix("ACK ") {
                let mut parts = rest.splitn(3, ' ');
                let id = parts.next().unwrap().parse().unwrap();
                let conversation = parts.next().unwrap().parse().unwrap();
                acked.insert(id, (conversation, parts.next().unwrap().to_owned()));
            } else if let Some(c) = line.strip_prefix("PURGING ") {
                purged.insert(c.parse().unwrap());
            }
        }
    }
    assert!(
        acked.len() > 200,
        "seed {seed}: the writers got too little done to test anything: {} messages",
        acked.len()
    );

    let conn = rusqlite::Connection::open(&db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok", "seed {seed}");
    conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)",
        [],
    )
    .expect("the full-text index matches the messages");
    let wrong_counts: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM conversations c WHERE message_count !=
                 (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id
                      AND m.hidden = 0 AND m.role != 'system')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        wrong_counts, 0,
        "seed {seed}: kept counts agree with the messages"
    );
    let mut stmt = conn
        .prepare("SELECT conversation_id, text FROM messages WHERE id = ?1")
        .unwrap();
    let mut present = 0;
    for (id, (conversation, text)) in &acked {
        let row: Option<(i64, String)> = stmt.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).ok();
        match row {
            Some(row) => {
                assert_eq!(
                    &row,
                    &(*conversation, text.clone()),
                    "seed {seed}: message {id}"
                );
                present += 1;
            }
            None => assert!(
                purged.contains(conversation),
                "seed {seed}: acknowledged message {id} is missing"
            ),
        }
    }
    drop(stmt);
    drop(conn);
    let reopened = History::open(&db).unwrap();
    assert!(reopened.moved_aside.is_none());
    eprintln!(
        "{ROUNDS} writers killed: {} messages acknowledged, {present} present, the rest in {} purged conversations",
        acked.len(),
        purged.len()
    );
}

use super::*;

fn user(text: &str) -> NewMessage {
    NewMessage {
        role: Role::User,
        text: text.into(),
        image: None,
        model: None,
    }
}

fn answer(text: &str) -> NewMessage {
    NewMessage {
        role: Role::Assistant,
        text: text.into(),
        image: None,
        model: Some("gemini-1.5-flash".into()),
    }
}

fn image(c: char) -> StoredImage {
    StoredImage {
        file: format!("{}.png", c.to_string().repeat(64)),
        name: format!("{c}.png"),
        mime: "image/png".into(),
        size: 42,
    }
}

fn with_image(text: &str, c: char) -> NewMessage {
    NewMessage {
        image: Some(image(c)),
        ..user(text)
    }
}

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

fn ids(page: &ConversationPage) -> Vec<i64> {
    page.items.iter().map(|c| c.id).collect()
}

#[test]
fn a_conversation_starts_with_its_question_and_answers_are_rendered_once() {
    let mut h = History::open_in_memory().unwrap();
    let (c, q) = h
        .start(with_image("What is in this picture?", 'a'))
        .unwrap();
    assert_eq!(c.title, "What is in this picture?");
    assert_eq!(c.message_count, 1);
    assert_eq!(q.image, Some(image('a')));
    assert_eq!(
        q.html, "",
        "the person's own text is never rendered as HTML"
    );
    let a = h.add_message(c.id, answer("A **red** square.")).unwrap();
    assert_eq!(a.html, "<p>A <strong>red</strong> square.</p>\n");
    let stored: (String, i64) = h
        .conn
        .query_row(
            "SELECT html, html_version FROM messages WHERE id = ?1",
            [a.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(stored, (a.html.clone(), crate::RENDERER_VERSION));
    assert_eq!(h.summary(c.id).unwrap().message_count, 2);
}

#[test]
fn a_failed_first_save_leaves_no_empty_conversation() {
    let mut h = History::open_in_memory().unwrap();
    h.conn
        .execute_batch(
            "CREATE TRIGGER refuse BEFORE INSERT ON messages BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    assert!(h.start(user("lost?")).is_err());
    assert_eq!(
        h.count().unwrap(),
        0,
        "conversation and question are one transaction"
    );
}

#[test]
fn stale_html_is_re_rendered_on_read_and_kept() {
    let mut h = History::open_in_memory().unwrap();
    let (c, _) = h.start(user("q")).unwrap();
    let a = h.add_message(c.id, answer("*old*")).unwrap();
    h.conn
        .execute(
            "UPDATE messages SET html = 'stale', html_version = 0 WHERE id = ?1",
            [a.id],
        )
        .unwrap();
    let page = h.messages(c.id, Anchor::Latest, 10).unwrap();
    assert_eq!(page.messages[1].html, "<p><em>old</em></p>\n");
    let v: i64 = h
        .conn
        .query_row(
            "SELECT html_version FROM messages WHERE id = ?1",
            [a.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(v, crate::RENDERER_VERSION);
}

#[test]
fn sidebar_pages_pinned_first_then_newest_without_gaps_or_repeats() {
    let mut h = History::open_in_memory().unwrap();
    let mut made = Vec::new();
    for i in 0..25 {
        made.push(h.start(user(&format!("conversation {i}"))).unwrap().0.id);
    }
    // Same timestamps are common (a fast import); the id breaks ties.
    h.conn
        .execute("UPDATE conversations SET updated_at = 1000 + id / 3", [])
        .unwrap();
    h.set_pinned(made[3], true).unwrap();
    h.set_pinned(made[20], true).unwrap();
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let page = h.list(cursor, 7).unwrap();
        assert_eq!(page.total, 25);
        seen.extend(ids(&page));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let mut expected: Vec<(bool, i64, i64)> = made
        .iter()
        .map(|&id| {
            let s = h.summary(id).unwrap();
            (s.pinned, s.updated_at, s.id)
        })
        .collect();
    expected.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, expected.iter().map(|e| e.2).collect::<Vec<_>>());
    assert_eq!(&seen[..2], &[made[20], made[3]]);
}

#[test]
fn listing_uses_the_covering_index_and_no_per_row_count() {
    let h = History::open_in_memory().unwrap();
    let plan: Vec<String> = h
        .conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id, title, created_at, updated_at, message_count, pinned
             FROM conversations INDEXED BY conversations_listing
             WHERE deleted_at IS NULL AND (pinned, updated_at, id) < (1, 5, 5)
             ORDER BY pinned DESC, updated_at DESC, id DESC LIMIT 10",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    let plan = plan.join(" | ");
    assert!(plan.contains("conversations_listing"), "{plan}");
    assert!(!plan.contains("TEMP B-TREE"), "sorted by the index: {plan}");
}

#[test]
fn message_pages_around_every_anchor() {
    let mut h = History::open_in_memory().unwrap();
    let (c, first) = h.start(user("m0")).unwrap();
    let mut all = vec![first.id];
    for i in 1..100 {
        all.push(h.add_message(c.id, user(&format!("m{i}"))).unwrap().id);
    }
    let texts = |p: &MessagePage| {
        p.messages
            .iter()
            .map(|m| m.text.clone())
            .collect::<Vec<_>>()
    };
    let latest = h.messages(c.id, Anchor::Latest, 10).unwrap();
    assert_eq!(texts(&latest).first().unwrap(), "m90");
    assert_eq!(texts(&latest).last().unwrap(), "m99");
    assert!(latest.has_before && !latest.has_after);
    assert_eq!(latest.total, 100);
    let before = h
        .messages(
            c.id,
            Anchor::Before {
                id: latest.messages[0].id,
            },
            10,
        )
        .unwrap();
    assert_eq!(texts(&before).first().unwrap(), "m80");
    assert!(before.has_before && before.has_after);
    let oldest = h.messages(c.id, Anchor::Oldest, 10).unwrap();
    assert_eq!(texts(&oldest)[0], "m0");
    assert!(!oldest.has_before && oldest.has_after);
    let after = h.messages(c.id, Anchor::After { id: all[94] }, 10).unwrap();
    assert_eq!(texts(&after), ["m95", "m96", "m97", "m98", "m99"]);
    assert!(after.has_before && !after.has_after);
    let around = h
        .messages(c.id, Anchor::Around { id: all[50] }, 10)
        .unwrap();
    assert_eq!(texts(&around).first().unwrap(), "m45");
    assert_eq!(texts(&around).last().unwrap(), "m54");
    assert!(around.messages.iter().any(|m| m.id == all[50]));
    let edge = h.messages(c.id, Anchor::Around { id: all[0] }, 10).unwrap();
    assert_eq!(texts(&edge)[0], "m0");
    assert!(!edge.has_before && edge.has_after);
}

#[test]
fn deleting_one_message_updates_the_count() {
    let mut h = History::open_in_memory().unwrap();
    let (c, q) = h.start(user("q")).unwrap();
    h.add_message(c.id, answer("a")).unwrap();
    let s = h.delete_message(q.id).unwrap();
    assert_eq!(s.message_count, 1);
    assert_eq!(h.delete_message(q.id).unwrap_err().code(), "not_found");
}

#[test]
fn delete_hides_restore_brings_back_purge_removes_and_frees_images() {
    let mut h = History::open_in_memory().unwrap();
    let (a, _) = h.start(with_image("shared", 's')).unwrap();
    h.add_message(a.id, with_image("own", 'o')).unwrap();
    let (b, _) = h.start(with_image("also shared", 's')).unwrap();
    h.delete(a.id).unwrap();
    assert_eq!(ids(&h.list(None, 10).unwrap()), [b.id]);
    assert_eq!(h.summary(a.id).unwrap_err().code(), "not_found");
    assert_eq!(
        h.add_message(a.id, answer("late")).unwrap_err().code(),
        "not_found",
        "an answer in flight never lands in a deleted conversation"
    );
    assert_eq!(h.restore(a.id).unwrap().message_count, 2);
    assert_eq!(h.list(None, 10).unwrap().total, 2);
    assert_eq!(
        h.purge(a.id).unwrap().conversations,
        0,
        "live ones are not purged"
    );
    h.delete(a.id).unwrap();
    let purged = h.purge(a.id).unwrap();
    assert_eq!(purged.conversations, 1);
    assert_eq!(
        purged.orphaned_images,
        [image('o').file],
        "the shared image is still used"
    );
    assert_eq!(h.restore(a.id).unwrap_err().code(), "not_found");
    let n: i64 = h
        .conn
        .query_row(
            "SELECT COUNT(*) FROM messages WHERE conversation_id = ?1",
            [a.id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}

#[test]
fn ids_are_never_reused() {
    let mut h = History::open_in_memory().unwrap();
    let (a, m) = h.start(user("a")).unwrap();
    h.delete(a.id).unwrap();
    h.purge(a.id).unwrap();
    let (b, n) = h.start(user("b")).unwrap();
    assert!(b.id > a.id && n.id > m.id);
}

#[test]
fn deleted_last_time_is_purged_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    {
        let mut h = History::open(&path).unwrap().history;
        let (a, _) = h.start(with_image("gone", 'g')).unwrap();
        h.start(user("kept")).unwrap();
        h.delete(a.id).unwrap();
    }
    let opened = History::open(&path).unwrap();
    assert_eq!(opened.orphaned_images, [image('g').file]);
    assert_eq!(opened.history.count().unwrap(), 1);
}

#[test]
fn clear_removes_everything() {
    let mut h = History::open_in_memory().unwrap();
    for i in 0..5 {
        h.start(with_image(&format!("q{i}"), 'c')).unwrap();
    }
    let purged = h.clear().unwrap();
    assert_eq!(purged.conversations, 5);
    assert_eq!(purged.orphaned_images, [image('c').file]);
    assert_eq!(h.list(None, 10).unwrap().items, []);
    assert!(h.search("q0", 10).unwrap().hits.is_empty());
}

#[test]
fn search_finds_prefixes_in_russian_and_english_newest_first() {
    let mut h = History::open_in_memory().unwrap();
    let (a, q) = h.start(user("Where do rainbows come from?")).unwrap();
    let ans = h
        .add_message(a.id, answer("Rainbows form when sunlight is refracted."))
        .unwrap();
    let (b, _) = h.start(user("Привет! Расскажи про ЁЛКИ и радугу")).unwrap();
    let (gone, _) = h.start(user("rainbow in a deleted conversation")).unwrap();
    h.delete(gone.id).unwrap();

    let hits = h.search("rainb", 10).unwrap().hits;
    assert_eq!(
        hits.iter().map(|h| h.message_id).collect::<Vec<_>>(),
        [ans.id, q.id],
        "newest first, deleted conversations left out"
    );
    assert!(
        hits[0].snippet.contains("\u{E000}Rainbows\u{E001}"),
        "{}",
        hits[0].snippet
    );
    assert_eq!(hits[0].title, "Where do rainbows come from?");
    for query in ["радуг", "РАДУГУ", "елки", "ёлк", "привет расск"] {
        let hits = h.search(query, 10).unwrap().hits;
        assert_eq!(hits.len(), 1, "{query}");
        assert_eq!(hits[0].conversation_id, b.id);
    }
    assert!(
        h.search("rainbows радугу", 10).unwrap().hits.is_empty(),
        "every word must match"
    );
    assert!(h.search("\"(", 10).unwrap().hits.is_empty());
    h.delete_message(q.id).unwrap();
    assert_eq!(h.search("where", 10).unwrap().hits, []);
}

#[test]
fn prompt_context_gives_the_same_prompt_as_the_whole_conversation() {
    let mut h = History::open_in_memory().unwrap();
    let (c, _) = h.start(user("first question")).unwrap();
    for i in 0..40 {
        let text = format!("{i} {}", "word ".repeat(i % 7 * 10));
        let m = if i % 2 == 0 {
            answer(&text)
        } else {
            user(&text)
        };
        h.add_message(c.id, m).unwrap();
    }
    h.add_message(c.id, user("last question")).unwrap();
    let all = h.messages(c.id, Anchor::Oldest, 500).unwrap().messages;
    let flat = |ms: &[Message]| -> Vec<dynaspark::Message> {
        ms.iter()
            .map(|m| dynaspark::Message::new(m.role, m.text.clone()))
            .collect()
    };
    for max in [10, 50, 100, 300, 1000, 3000, 100_000] {
        let whole = dynaspark::flatten_within(&flat(&all), max);
        let ctx = h.prompt_context(c.id, max, None).unwrap();
        let got = if ctx.complete {
            assert_eq!(ctx.tail.len(), all.len());
            dynaspark::flatten_within(&flat(&ctx.tail), max)
        } else {
            assert!(
                ctx.tail.len() < all.len(),
                "a long conversation is not read whole"
            );
            dynaspark::flatten_long(&flat(&ctx.head), &flat(&ctx.systems), &flat(&ctx.tail), max)
        };
        assert_eq!(got, whole, "max {max}");
    }
}

#[test]
fn a_question_read_before_it_is_saved_gets_the_context_read_after() {
    // Lengths on both sides of the 50-row pages, instructions among them, limits from
    // nothing fitting to everything fitting.
    for length in [0, 1, 5, 48, 49, 50, 51, 99, 100, 130] {
        let mut h = History::open_in_memory().unwrap();
        let (c, _) = h.start(user("first question")).unwrap();
        for i in 0..length {
            let text = format!("{i} {}", "word ".repeat(i % 7 * 10));
            h.add_message(
                c.id,
                if i % 2 == 0 {
                    answer(&text)
                } else {
                    user(&text)
                },
            )
            .unwrap();
            if i == length / 2 {
                h.set_instructions(c.id, "Answer briefly.").unwrap();
            }
        }
        for max in [10, 100, 1000, 3000, 100_000] {
            let question = user("the new question");
            let before = h.prompt_context_with(c.id, max, &question).unwrap();
            let saved = h.add_message(c.id, question).unwrap();
            let after = h.prompt_context(c.id, max, None).unwrap();
            let ids = |ms: &[Message]| -> Vec<i64> {
                ms.iter()
                    .map(|m| if m.id == 0 { saved.id } else { m.id })
                    .collect()
            };
            let what = format!("{length} messages, max {max}");
            assert_eq!(before.complete, after.complete, "{what}");
            assert_eq!(ids(&before.tail), ids(&after.tail), "{what}");
            assert_eq!(ids(&before.head), ids(&after.head), "{what}");
            assert_eq!(ids(&before.systems), ids(&after.systems), "{what}");
            h.delete_message(saved.id).unwrap();
        }
    }
}

#[test]
fn latest_image_is_the_newest_one() {
    let mut h = History::open_in_memory().unwrap();
    let (c, _) = h.start(with_image("one", 'a')).unwrap();
    h.add_message(c.id, with_image("two", 'b')).unwrap();
    h.add_message(c.id, user("three")).unwrap();
    assert_eq!(h.latest_image(c.id, None).unwrap(), Some(image('b')));
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
    assert_eq!(opened.history.count().unwrap(), 0);
}

#[test]
fn newer_schema_is_refused_not_clobbered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.sqlite3");
    {
        let c = Connection::open(&path).unwrap();
        c.pragma_update(None, "user_version", 99).unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = History::open(&path).err().expect("refused");
    assert_eq!(err.code(), "newer_schema");
    assert_eq!(std::fs::read(&path).unwrap(), before, "not a byte changed");
    assert!(err.to_string().contains("newer"), "{err}");
    assert!(path.exists());
}

/// Every fixture (one per released schema) upgrades to the newest schema with every
/// conversation, message, image and title intact, and a backup of the old file.
#[test]
fn every_fixture_upgrades_and_keeps_everything() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let fixture = entry.unwrap().path();
        let name = fixture.file_name().unwrap().to_string_lossy().into_owned();
        let Some(version) = name
            .strip_prefix("history-v")
            .and_then(|r| r.strip_suffix(".sqlite3"))
        else {
            continue;
        };
        let version: usize = version.parse().unwrap();
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(fixture.with_extension("json")).unwrap())
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("history.sqlite3");
        std::fs::copy(&fixture, &path).unwrap();
        let mut opened = History::open(&path).unwrap();
        assert_eq!(opened.history.version().unwrap(), schema::LATEST, "{name}");
        if version < schema::LATEST {
            let backup = opened.backup.clone().expect("backed up before the upgrade");
            assert!(backup.starts_with(dir.path().join("backups")));
            let b = Connection::open(&backup).unwrap();
            let v: i64 = b
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .unwrap();
            assert_eq!(v as usize, version, "the backup is the old file");
        }
        let h = &mut opened.history;
        let expected = expected.as_array().unwrap();
        assert_eq!(h.count().unwrap() as usize, expected.len(), "{name}");
        for conv in expected {
            let id = conv["id"].as_i64().unwrap();
            let s = h.summary(id).unwrap();
            assert_eq!(s.title, conv["title"].as_str().unwrap());
            assert_eq!(s.created_at, conv["createdAt"].as_i64().unwrap());
            assert_eq!(s.updated_at, conv["updatedAt"].as_i64().unwrap());
            if let Some(pinned) = conv.get("pinned") {
                assert_eq!(s.pinned, pinned.as_bool().unwrap(), "{name}");
            }
            let want = conv["messages"].as_array().unwrap();
            let counted = want.iter().filter(|m| m["role"] != "system").count();
            assert_eq!(s.message_count as usize, counted, "{name}");
            let got = h.messages(id, Anchor::Oldest, 500).unwrap().messages;
            assert_eq!(got.len(), want.len());
            for (g, w) in got.iter().zip(want) {
                assert_eq!(g.id, w["id"].as_i64().unwrap());
                assert_eq!(serde_json::to_value(g.role).unwrap(), w["role"]);
                assert_eq!(g.text, w["text"].as_str().unwrap());
                assert_eq!(g.model.as_deref(), w["model"].as_str());
                assert_eq!(g.created_at, w["createdAt"].as_i64().unwrap());
                assert_eq!(serde_json::to_value(&g.image).unwrap(), w["image"]);
                if g.role == Role::Assistant {
                    assert_eq!(g.html, crate::render_markdown(&g.text));
                }
                // Schemas before 3 had no versions: each message is its only one.
                let version = |key: &str| w[key].as_i64().unwrap_or(1);
                assert_eq!(
                    (version("branch"), version("branches")),
                    (g.branch, g.branches)
                );
            }
            let word = want[0]["text"]
                .as_str()
                .unwrap()
                .split_whitespace()
                .next()
                .unwrap();
            assert!(
                h.search(word, 50)
                    .unwrap()
                    .hits
                    .iter()
                    .any(|hit| hit.conversation_id == id),
                "{name}: old messages are searchable ({word})"
            );
        }
        // New rows never take an old id.
        let (c, _) = h.start(user("after the upgrade")).unwrap();
        assert!(c.id > expected.len() as i64);
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no fixtures found in {}",
        fixtures().display()
    );
}

#[test]
fn a_failed_upgrade_is_undone_from_the_backup_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("history.sqlite3");
    std::fs::copy(fixtures().join("history-v1.sqlite3"), &path).unwrap();
    let before = std::fs::read(&path).unwrap();
    let broken = [
        schema::Migration {
            sql: schema::MIGRATIONS[0].sql,
            rebuilds_tables: false,
        },
        schema::Migration {
            sql: "DROP TABLE messages; CREATE TABLE broken (x); SELECT no_such_function();",
            rebuilds_tables: true,
        },
    ];
    let mut h = History::configure(Connection::open(&path).unwrap()).unwrap();
    let err = h
        .migrate_with_backup(&broken, &dir.path().join("backups"))
        .unwrap_err();
    assert_eq!(err.code(), "migration_failed");
    assert!(err.to_string().contains("backups"), "{err}");
    drop(h);
    let conn = Connection::open(&path).unwrap();
    let v: i64 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(v, 1);
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM messages", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 7);
    assert!(!before.is_empty());
}

#[test]
fn titles_are_one_line_and_short() {
    use super::conversations::title_from;
    assert_eq!(title_from("  hello\n  world "), "hello world");
    assert_eq!(title_from(""), "Image question");
    let long =
        "Please describe in great detail every object you can see in this photograph of my kitchen";
    let t = title_from(long);
    assert!(t.chars().count() <= 61, "{t}");
    assert!(t.ends_with('…') && !t.contains("  "), "{t}");
}

#[test]
fn rename_and_pin() {
    let mut h = History::open_in_memory().unwrap();
    let (c, _) = h.start(user("q")).unwrap();
    assert_eq!(h.rename(c.id, "  New\n name ").unwrap().title, "New name");
    assert_eq!(h.rename(c.id, "   ").unwrap().title, "Untitled");
    assert!(h.set_pinned(c.id, true).unwrap().pinned);
    assert_eq!(h.rename(999, "x").unwrap_err().code(), "not_found");
}

#[test]
fn records_round_trip_and_a_second_import_is_skipped() {
    let mut h = History::open_in_memory().unwrap();
    let (c, _) = h.start(with_image("picture?", 'r')).unwrap();
    h.add_message(c.id, answer("**red**")).unwrap();
    h.set_pinned(c.id, true).unwrap();
    let record = h.record(c.id).unwrap();
    assert_eq!(record.messages.len(), 2);
    assert!(record.pinned);

    let mut other = History::open_in_memory().unwrap();
    let ids = other.insert_records(std::slice::from_ref(&record)).unwrap();
    let id = ids[0].expect("inserted");
    assert_eq!(
        other.record(id).unwrap(),
        record,
        "nothing lost: text, roles, times, images, pin"
    );
    let html = &other.messages(id, Anchor::Latest, 10).unwrap().messages[1].html;
    assert_eq!(html, "<p><strong>red</strong></p>\n");
    assert_eq!(other.insert_records(&[record]).unwrap(), [None]);
    assert_eq!(other.ids().unwrap(), [id]);
}

/// Leaves a fixture as one file: the WAL folded in, no journal, no backups beside it.
fn seal_fixture(h: History, path: &std::path::Path) {
    h.conn
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode = DELETE; VACUUM;")
        .unwrap();
    drop(h);
    for side in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{side}", path.display()));
    }
    let _ = std::fs::remove_dir_all(path.with_file_name("backups"));
}

/// Writes `tests/fixtures/history-v2.sqlite3` and its expectations: the schema-1 fixture
/// upgraded by this code, with a pin. Run once when schema 2 was released; the files
/// are committed and stand for real users' histories from then on.
#[test]
#[ignore = "writes a committed fixture; run by hand only when a schema is released"]
fn write_the_schema_2_fixture() {
    let dir = fixtures();
    let path = dir.join("history-v2.sqlite3");
    let _ = std::fs::remove_file(&path);
    std::fs::copy(dir.join("history-v1.sqlite3"), &path).unwrap();
    let h = History::open(&path).unwrap().history;
    h.set_pinned(2, true).unwrap();
    seal_fixture(h, &path);
    // history-v2.json: history-v1.json with `"pinned": true` on conversation 2.
}

/// Writes `tests/fixtures/history-v3.sqlite3` and its expectations: the schema-2 fixture
/// upgraded by this code, with the last answer of conversation 1 regenerated (the new
/// version shown) and instructions for conversation 2. Run by hand once, when schema 3 was
/// released; the files stand for real users' histories from then on.
#[test]
#[ignore = "writes a committed fixture; run by hand only when a schema is released"]
fn write_the_schema_3_fixture() {
    let dir = fixtures();
    let path = dir.join("history-v3.sqlite3");
    let _ = std::fs::remove_file(&path);
    std::fs::copy(dir.join("history-v2.sqlite3"), &path).unwrap();
    let mut expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("history-v2.json")).unwrap())
            .unwrap();
    let mut h = History::open(&path).unwrap().history;
    h.add_version(4, answer("It is *crimson*, a deep red."))
        .unwrap();
    h.set_instructions(2, "Отвечай по-русски.").unwrap();
    for conv in expected.as_array_mut().unwrap() {
        let id = conv["id"].as_i64().unwrap();
        conv["updatedAt"] = h.summary(id).unwrap().updated_at.into();
        let shown = h.messages(id, Anchor::Oldest, 500).unwrap().messages;
        conv["messages"] = serde_json::to_value(&shown).unwrap();
        for m in conv["messages"].as_array_mut().unwrap() {
            let m = m.as_object_mut().unwrap();
            m.remove("html");
            m.remove("conversationId");
        }
    }
    seal_fixture(h, &path);
    std::fs::write(
        dir.join("history-v3.json"),
        serde_json::to_string_pretty(&expected).unwrap() + "\n",
    )
    .unwrap();
}

/// The texts on the shown path, oldest first.
fn shown(h: &mut History, conversation_id: i64) -> Vec<String> {
    h.messages(conversation_id, Anchor::Oldest, 500)
        .unwrap()
        .messages
        .into_iter()
        .map(|m| m.text)
        .collect()
}

/// A conversation "q1 a1 q2 a2".
fn four(h: &mut History) -> (i64, Vec<Message>) {
    let (c, q1) = h.start(user("q1")).unwrap();
    let a1 = h.add_message(c.id, answer("a1")).unwrap();
    let q2 = h.add_message(c.id, user("q2")).unwrap();
    let a2 = h.add_message(c.id, answer("a2")).unwrap();
    (c.id, vec![q1, a1, q2, a2])
}

#[test]
fn an_edited_question_is_a_new_version_and_the_old_branch_comes_back() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    let q2b = h.add_version(m[2].id, user("q2 edited")).unwrap();
    assert_eq!((q2b.branch, q2b.branches), (2, 2));
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2 edited"]);
    assert_eq!(h.summary(c).unwrap().message_count, 3);
    h.add_message(c, answer("a2 new")).unwrap();
    h.add_message(c, user("q3 new")).unwrap();
    assert_eq!(
        shown(&mut h, c),
        ["q1", "a1", "q2 edited", "a2 new", "q3 new"]
    );

    let back = h.switch_version(q2b.id, -1).unwrap();
    assert_eq!((back.id, back.branch, back.branches), (m[2].id, 1, 2));
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2"]);
    assert_eq!(h.summary(c).unwrap().message_count, 4);
    // Clamped at the ends; the branch below comes back as it was.
    assert_eq!(h.switch_version(m[2].id, -1).unwrap().id, m[2].id);
    assert_eq!(h.switch_version(m[2].id, 5).unwrap().id, q2b.id);
    assert_eq!(
        shown(&mut h, c),
        ["q1", "a1", "q2 edited", "a2 new", "q3 new"]
    );
    assert_eq!(h.summary(c).unwrap().message_count, 5);
}

#[test]
fn a_regenerated_answer_keeps_the_old_one_and_nested_choices_survive() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    // Regenerate a1 (in the middle): what followed it goes with the old version.
    let a1b = h.add_version(m[1].id, answer("a1 again")).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1 again"]);
    assert!(a1b.html.contains("a1 again"));
    // Back on the first version, regenerate a2 there too.
    h.switch_version(a1b.id, -1).unwrap();
    let a2b = h.add_version(m[3].id, answer("a2 again")).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2 again"]);
    // Away and back: the last choice below a1 is remembered.
    h.switch_version(m[1].id, 1).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1 again"]);
    h.switch_version(a1b.id, -1).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2 again"]);
    let page = h.messages(c, Anchor::Latest, 10).unwrap().messages;
    assert_eq!(
        (page[3].id, page[3].branch, page[3].branches),
        (a2b.id, 2, 2)
    );
    assert_eq!((page[1].branch, page[1].branches), (1, 2));
    assert_eq!((page[0].branch, page[0].branches), (1, 1));
}

#[test]
fn editing_the_first_question_starts_over_and_instructions_stay() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    h.set_instructions(c, "Answer briefly.").unwrap();
    assert_eq!(
        h.summary(c).unwrap().message_count,
        4,
        "instructions are not counted as a message"
    );
    let q1b = h.add_version(m[0].id, user("q1 edited")).unwrap();
    assert_eq!(shown(&mut h, c), ["Answer briefly.", "q1 edited"]);
    assert_eq!((q1b.branch, q1b.branches), (2, 2));
    h.add_message(c, answer("a1 new")).unwrap();
    let ctx = h.prompt_context(c, 10_000, None).unwrap();
    let texts: Vec<&str> = ctx.tail.iter().map(|m| m.text.as_str()).collect();
    assert_eq!(texts, ["Answer briefly.", "q1 edited", "a1 new"]);
    let (instructions, _) = h.system_message(c).unwrap().unwrap();
    let refused = h.add_version(instructions, user("x")).unwrap_err();
    assert_eq!(refused.code(), "no_versions");
    h.switch_version(q1b.id, -1).unwrap();
    assert_eq!(
        shown(&mut h, c),
        ["q1", "a1", "q2", "a2", "Answer briefly."]
    );
}

#[test]
fn a_regenerated_answer_is_asked_with_the_path_before_it_and_every_instruction() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    h.set_instructions(c, "Be kind.").unwrap();
    for max in [10_000, 5] {
        let ctx = h.prompt_context(c, max, Some(m[1].id)).unwrap();
        let mut texts: Vec<&str> = ctx.tail.iter().map(|m| m.text.as_str()).collect();
        if !ctx.complete {
            texts = ctx.systems.iter().map(|m| m.text.as_str()).collect();
            texts.extend(ctx.tail.iter().map(|m| m.text.as_str()));
        }
        assert_eq!(texts, ["Be kind.", "q1"], "max {max}");
    }
}

#[test]
fn deleting_keeps_the_path_and_a_deleted_version_gives_way_to_another() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    let a2b = h.add_version(m[3].id, answer("a2 again")).unwrap();
    // The shown last answer deleted: its other version is shown again.
    h.delete_message(a2b.id).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2"]);
    let a2 = h.messages(c, Anchor::Latest, 1).unwrap().messages.remove(0);
    assert_eq!((a2.branch, a2.branches), (1, 1));
    // A message in the middle deleted: what followed it stays, and new messages follow on.
    let s = h.delete_message(m[1].id).unwrap();
    assert_eq!(s.message_count, 3);
    assert_eq!(shown(&mut h, c), ["q1", "q2", "a2"]);
    h.add_message(c, user("q3")).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "q2", "a2", "q3"]);
    assert_eq!(h.summary(c).unwrap().message_count, 4);
}

#[test]
fn a_search_hit_in_an_earlier_version_is_revealed() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    h.add_version(m[2].id, user("q2 edited")).unwrap();
    h.add_version(m[0].id, user("q1 edited")).unwrap();
    let hit = h.search("a2", 10).unwrap().hits.remove(0);
    assert_eq!(hit.message_id, m[3].id);
    assert!(hit.hidden);
    h.reveal(hit.message_id).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2"]);
    assert_eq!(h.summary(c).unwrap().message_count, 4);
    assert!(!h.search("a2", 10).unwrap().hits[0].hidden);
    // Revealing a shown message changes nothing.
    h.reveal(m[1].id).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2"]);
}

#[test]
fn a_version_of_a_message_off_the_path_takes_the_path_there_first() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    h.add_version(m[0].id, user("q1 edited")).unwrap();
    // a2 is two levels inside the hidden branch: switching it, or regenerating it, shows
    // the whole path down to it, never a piece hanging from nothing.
    h.switch_version(m[3].id, 0).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2"]);
    h.add_version(m[0].id, user("q1 again")).unwrap();
    let a2b = h.add_version(m[3].id, answer("a2 again")).unwrap();
    assert_eq!(shown(&mut h, c), ["q1", "a1", "q2", "a2 again"]);
    assert_eq!(h.summary(c).unwrap().message_count, 4);
    assert_eq!((a2b.branch, a2b.branches), (2, 2));
}

#[test]
fn versions_survive_a_record_round_trip() {
    let mut h = History::open_in_memory().unwrap();
    let (c, m) = four(&mut h);
    h.set_instructions(c, "Short answers.").unwrap();
    h.add_version(m[2].id, user("q2 edited")).unwrap();
    h.add_message(c, answer("a2 new")).unwrap();
    h.add_version(m[0].id, user("q1 edited")).unwrap();
    h.switch_version(m[0].id, 0).unwrap();
    let record = h.record(c).unwrap();
    assert_eq!(record.messages.len(), 8);
    assert_eq!(record.messages.iter().filter(|m| m.hidden).count(), 3);

    let mut other = History::open_in_memory().unwrap();
    let id = other.insert_records(std::slice::from_ref(&record)).unwrap()[0].unwrap();
    assert_eq!(other.record(id).unwrap(), record);
    assert_eq!(shown(&mut other, id), shown(&mut h, c));
    assert_eq!(
        shown(&mut other, id),
        ["q1", "a1", "Short answers.", "q2 edited", "a2 new"]
    );
    let edited = other
        .messages(id, Anchor::Latest, 2)
        .unwrap()
        .messages
        .remove(0);
    assert_eq!((edited.branch, edited.branches), (2, 2));
    other.switch_version(edited.id, -1).unwrap();
    assert_eq!(
        shown(&mut other, id),
        ["q1", "a1", "q2", "a2", "Short answers."]
    );
    assert_eq!(other.summary(id).unwrap().message_count, 4);
}

#[test]
fn an_sqlite_older_than_the_history_needs_is_named_with_the_version_it_needs() {
    let e = check_sqlite(3_026_000, "3.26.0").unwrap_err();
    assert_eq!(e.code(), "sqlite_too_old");
    let message = e.to_string();
    assert!(message.contains("version 3.26.0"), "{message}");
    assert!(message.contains("needs 3.27 or later"), "{message}");
    check_sqlite(3_027_000, "3.27.0").unwrap();
    // The library this build runs with is one the history works with.
    check_sqlite(rusqlite::version_number(), rusqlite::version()).unwrap();
}

//! The history's schema, as a list of migrations. Each entry moves the database from
//! version `index` to `index + 1`; entries are never edited once released, only appended.

/// One step of the schema.
pub(crate) struct Migration {
    pub sql: &'static str,
    /// Tables are rebuilt: foreign keys are switched off around the step (SQLite allows
    /// that only outside a transaction) and checked before it commits.
    pub rebuilds_tables: bool,
}

pub(crate) const MIGRATIONS: &[Migration] = &[
    // 1: the first release.
    Migration {
        rebuilds_tables: false,
        sql: r#"
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
"#,
    },
    // 2: ids never reused (AUTOINCREMENT); kept counts, pins, soft deletion (Undo) and a
    // stable uid per conversation (import dedupe); answers' HTML kept with the renderer's
    // version; full-text search; indexes for every ordering the UI asks for.
    Migration {
        rebuilds_tables: true,
        sql: r#"
    CREATE TABLE conversations_v2 (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        uid           TEXT    NOT NULL UNIQUE,
        title         TEXT    NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL,
        pinned        INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
        message_count INTEGER NOT NULL DEFAULT 0,
        deleted_at    INTEGER
    );
    INSERT INTO conversations_v2 (id, uid, title, created_at, updated_at, message_count)
        SELECT c.id, lower(hex(randomblob(16))), c.title, c.created_at, c.updated_at,
               (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)
        FROM conversations c;
    CREATE TABLE messages_v2 (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        role            TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
        text            TEXT    NOT NULL,
        image_file      TEXT,
        image_name      TEXT,
        image_mime      TEXT,
        image_size      INTEGER,
        model           TEXT,
        created_at      INTEGER NOT NULL,
        html            TEXT,
        html_version    INTEGER NOT NULL DEFAULT 0
    );
    INSERT INTO messages_v2 (id, conversation_id, role, text, image_file, image_name,
                             image_mime, image_size, model, created_at)
        SELECT id, conversation_id, role, text, image_file, image_name, image_mime,
               image_size, model, created_at
        FROM messages;
    DROP TABLE messages;
    DROP TABLE conversations;
    ALTER TABLE conversations_v2 RENAME TO conversations;
    ALTER TABLE messages_v2 RENAME TO messages;

    CREATE INDEX conversations_listing
        ON conversations(pinned DESC, updated_at DESC, id DESC) WHERE deleted_at IS NULL;
    CREATE INDEX conversations_deleted ON conversations(deleted_at) WHERE deleted_at IS NOT NULL;
    CREATE INDEX messages_by_conversation ON messages(conversation_id, id);
    CREATE INDEX messages_by_image ON messages(image_file) WHERE image_file IS NOT NULL;

    CREATE TRIGGER messages_count_insert AFTER INSERT ON messages BEGIN
        UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
    END;
    CREATE TRIGGER messages_count_delete AFTER DELETE ON messages BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
    END;

    -- Searched text: unicode61 folds case and Latin accents but keeps Russian ё apart
    -- from е, which people rarely type; the index sees both as е.
    CREATE VIEW messages_search (id, text) AS
        SELECT id, replace(replace(text, 'ё', 'е'), 'Ё', 'Е') FROM messages;
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content = 'messages_search', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, text)
            VALUES (new.id, replace(replace(new.text, 'ё', 'е'), 'Ё', 'Е'));
    END;
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
            VALUES ('delete', old.id, replace(replace(old.text, 'ё', 'е'), 'Ё', 'Е'));
    END;
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, text)
            VALUES ('delete', old.id, replace(replace(old.text, 'ё', 'е'), 'Ё', 'Е'));
        INSERT INTO messages_fts (rowid, text)
            VALUES (new.id, replace(replace(new.text, 'ё', 'е'), 'Ё', 'Е'));
    END;
    INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
"#,
    },
    // 3: branches. Each message but the instructions (system) follows a parent; editing a
    // question or regenerating an answer adds a sibling. `hidden` marks messages off the
    // shown path (the path is kept materialised, so paging stays a range scan), and
    // `selected` orders siblings by when they were last chosen. Kept counts now count
    // what is shown: questions and answers on the path.
    Migration {
        rebuilds_tables: false,
        sql: r#"
    ALTER TABLE messages ADD COLUMN parent_id INTEGER;
    ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));
    ALTER TABLE messages ADD COLUMN selected INTEGER NOT NULL DEFAULT 0;
    UPDATE messages SET parent_id = (
        SELECT MAX(p.id) FROM messages p
        WHERE p.conversation_id = messages.conversation_id AND p.id < messages.id
          AND p.role != 'system')
    WHERE role != 'system';
    CREATE INDEX messages_shown ON messages(conversation_id, id) WHERE hidden = 0;
    CREATE INDEX messages_by_parent ON messages(conversation_id, parent_id);

    DROP TRIGGER messages_count_insert;
    DROP TRIGGER messages_count_delete;
    CREATE TRIGGER messages_count_insert AFTER INSERT ON messages
        WHEN new.hidden = 0 AND new.role != 'system' BEGIN
        UPDATE conversations SET message_count = message_count + 1 WHERE id = new.conversation_id;
    END;
    CREATE TRIGGER messages_count_delete AFTER DELETE ON messages
        WHEN old.hidden = 0 AND old.role != 'system' BEGIN
        UPDATE conversations SET message_count = message_count - 1 WHERE id = old.conversation_id;
    END;
    CREATE TRIGGER messages_count_shown AFTER UPDATE OF hidden ON messages
        WHEN new.role != 'system' AND new.hidden != old.hidden BEGIN
        UPDATE conversations SET message_count = message_count + old.hidden - new.hidden
            WHERE id = new.conversation_id;
    END;
    UPDATE conversations SET message_count = (
        SELECT COUNT(*) FROM messages m
        WHERE m.conversation_id = conversations.id AND m.role != 'system');
"#,
    },
];

/// The schema version this build writes.
#[cfg(test)]
pub(crate) const LATEST: usize = MIGRATIONS.len();

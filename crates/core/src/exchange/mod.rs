//! Conversations as files a person keeps or moves elsewhere: the public `export` and `import`,
//! their reports, and the atomic streaming write every export goes through. Formats live in
//! `json` and `markdown`, image files in `images`; the store is reached by its record API only.

mod images;
mod json;
mod markdown;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use dynaspark::Role;
use serde::{Deserialize, Serialize};

use self::images::{ImageCopier, ImageRestorer};
use crate::files::write_atomic_with;
use crate::{ConversationRecord, Error, History, ImageLibrary, MessageRecord, Result};

/// What an export is written as; the UI sends `"markdown"` or `"json"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// A document to read; cannot be imported back.
    Markdown,
    /// The versioned format `import` reads.
    Json,
}

/// What `export` wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportReport {
    pub path: PathBuf,
    pub conversations: usize,
    pub messages: usize,
    /// Image files in the images folder, each counted once however many messages show it.
    pub images: usize,
    /// Messages whose image was no longer in the library; exported without the file.
    pub missing_images: usize,
}

/// What `import` did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    /// Conversations added.
    pub conversations: usize,
    /// Messages in the conversations added.
    pub messages: usize,
    /// Distinct image files the added conversations show.
    pub images: usize,
    /// Conversations left out because one with the same uid is already here.
    pub skipped: usize,
    /// Messages in the added conversations whose image file was not beside the export;
    /// their text was kept.
    pub missing_images: usize,
}

/// Writes the conversations `ids` (every live one, in sidebar order, when `None`) to
/// `dest`, replacing it atomically. Images go to `<dest stem>-images/` beside it, created
/// only when there is one to copy, and are linked relatively.
pub fn export(
    history: &mut History,
    images: &ImageLibrary,
    ids: Option<&[i64]>,
    format: ExportFormat,
    dest: &Path,
) -> Result<ExportReport> {
    let ids = match ids {
        Some(ids) => ids.to_vec(),
        None => history.ids()?,
    };
    let mut copier = ImageCopier::beside(images, dest);
    let mut messages = 0;
    let mut missing_images = 0;
    let written = write_atomic_with(dest, |out| {
        let io = |e| Error::Io {
            action: "write",
            path: dest.to_owned(),
            source: e,
        };
        if format == ExportFormat::Json {
            json::write_head(out).map_err(io)?;
        }
        for (i, &id) in ids.iter().enumerate() {
            let record = history.record(id)?;
            let missing = copier.copy(&record)?;
            messages += record.messages.len();
            missing_images += record
                .messages
                .iter()
                .filter_map(|m| m.image.as_ref())
                .filter(|img| missing.contains(&img.file))
                .count();
            let last = i + 1 == ids.len();
            match format {
                ExportFormat::Json => json::write_conversation(out, record, &copier, last),
                ExportFormat::Markdown => {
                    markdown::write_conversation(out, &record, &copier, &missing, i == 0)
                }
            }
            .map_err(io)?;
        }
        if format == ExportFormat::Json {
            json::write_tail(out).map_err(io)?;
        }
        Ok(())
    });
    if let Err(e) = written {
        copier.undo();
        return Err(e);
    }
    copier.sync_folder()?;
    let report = ExportReport {
        path: dest.to_owned(),
        conversations: ids.len(),
        messages,
        images: copier.present(),
        missing_images,
    };
    tracing::info!(
        path = %dest.display(),
        ?format,
        conversations = report.conversations,
        messages = report.messages,
        images = report.images,
        missing_images = report.missing_images,
        "history exported"
    );
    Ok(report)
}

/// Adds the conversations in the JSON export at `src`, in one transaction, with their own
/// uids and timestamps; ones already here (same uid) are skipped, so importing a file twice
/// adds nothing the second time. Images are read from the paths beside the file through
/// the library's checks; a missing one costs only the image, never the message.
pub fn import(history: &mut History, images: &ImageLibrary, src: &Path) -> Result<ImportReport> {
    let document = json::read(src)?;
    let mut restorer = ImageRestorer::new(images, src);
    let mut records = Vec::with_capacity(document.conversations.len());
    let mut lost = Vec::with_capacity(document.conversations.len());
    for c in document.conversations {
        let mut missing = 0;
        let mut messages = Vec::with_capacity(c.messages.len());
        for (i, m) in c.messages.into_iter().enumerate() {
            // A parent must be an earlier question or answer: the tree stays a tree.
            if let Some(Some(p)) = m.parent {
                if p >= i
                    || messages
                        .get(p)
                        .is_some_and(|e: &MessageRecord| e.role == Role::System)
                {
                    return Err(Error::MalformedExport {
                        path: src.to_owned(),
                        line: None,
                        column: None,
                        reason: format!(
                            "message {} of \"{}\" follows message {p}, which is not an earlier question or answer",
                            i, c.title
                        ),
                    });
                }
            }
            let image = match m.image {
                Some(image) => {
                    let restored = restorer.restore(&image)?;
                    missing += usize::from(restored.is_none());
                    restored
                }
                None => None,
            };
            messages.push(MessageRecord {
                role: m.role,
                text: m.text,
                image,
                model: m.model,
                created_at: m.created_at,
                parent: m.parent,
                hidden: m.hidden,
                selected: m.selected,
            });
        }
        records.push(ConversationRecord {
            uid: c.uid,
            title: c.title,
            created_at: c.created_at,
            updated_at: c.updated_at,
            pinned: c.pinned,
            messages,
        });
        lost.push(missing);
    }
    let ids = history.insert_records(&records)?;

    let mut report = ImportReport {
        conversations: 0,
        messages: 0,
        images: 0,
        skipped: 0,
        missing_images: 0,
    };
    let mut files = HashSet::new();
    for ((record, id), missing) in records.iter().zip(&ids).zip(lost) {
        if id.is_none() {
            report.skipped += 1;
            continue;
        }
        report.conversations += 1;
        report.messages += record.messages.len();
        report.missing_images += missing;
        files.extend(
            record
                .messages
                .iter()
                .filter_map(|m| m.image.as_ref())
                .map(|i| &i.file),
        );
    }
    report.images = files.len();
    tracing::info!(
        path = %src.display(),
        conversations = report.conversations,
        skipped = report.skipped,
        messages = report.messages,
        images = report.images,
        missing_images = report.missing_images,
        "history imported"
    );
    Ok(report)
}

/// What the tests of every exchange module start from: a store with its image library, and
/// files to import.
#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use dynaspark::Role;

    use super::*;
    use crate::NewMessage;

    /// A real 1×1 red PNG.
    pub(super) const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

    const RED_SQUARE: &str = "Что на этой картинке?";
    const ANSWER: &str = "Красный **квадрат** на белом фоне.";

    /// One end of an export: a history and its image library.
    pub(super) struct Side {
        _dir: tempfile::TempDir,
        pub(super) history: History,
        pub(super) images: ImageLibrary,
    }

    impl Side {
        /// Every conversation exported to `dest`, which must succeed.
        pub(super) fn export_all(&mut self, format: ExportFormat, dest: &Path) -> ExportReport {
            super::export(&mut self.history, &self.images, None, format, dest).unwrap()
        }

        pub(super) fn import(&mut self, src: &Path) -> Result<ImportReport> {
            super::import(&mut self.history, &self.images, src)
        }

        /// Every conversation with its messages, in sidebar order.
        pub(super) fn records(&mut self) -> Vec<ConversationRecord> {
            let ids = self.history.ids().unwrap();
            ids.into_iter()
                .map(|id| self.history.record(id).unwrap())
                .collect()
        }
    }

    /// An empty store.
    pub(super) fn side() -> Side {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageLibrary::new(dir.path().join("images"));
        Side {
            _dir: dir,
            history: History::open_in_memory().unwrap(),
            images,
        }
    }

    pub(super) fn message(role: Role, text: &str, created_at: i64) -> MessageRecord {
        MessageRecord {
            role,
            text: text.into(),
            image: None,
            model: (role == Role::Assistant).then(|| "gemini-1.5-flash".into()),
            created_at,
            parent: None,
            hidden: false,
            selected: 0,
        }
    }

    /// `json` as `history.json` in `dir`.
    pub(super) fn write(dir: &Path, json: &str) -> PathBuf {
        let path = dir.join("history.json");
        std::fs::write(&path, json).unwrap();
        path
    }

    /// Two conversations: a pinned Russian one with a picture, and one started the usual way.
    fn filled() -> Side {
        let mut s = side();
        let picture = s
            .images
            .import_bytes("красный квадрат.png", PNG.to_vec())
            .unwrap();
        let question = MessageRecord {
            image: Some(picture),
            ..message(Role::User, RED_SQUARE, 1_764_079_387_000)
        };
        let pinned = ConversationRecord {
            uid: String::new(),
            title: "Картинка".into(),
            created_at: 1_764_079_387_000,
            updated_at: 1_764_079_400_123,
            pinned: true,
            messages: vec![
                question,
                message(Role::Assistant, ANSWER, 1_764_079_400_123),
            ],
        };
        s.history.insert_records(&[pinned]).unwrap();
        let (c, _) = s
            .history
            .start(NewMessage {
                role: Role::User,
                text: "Hello [there]\n\n---\n# not a title".into(),
                image: None,
                model: None,
            })
            .unwrap();
        s.history
            .add_message(
                c.id,
                NewMessage {
                    role: Role::Assistant,
                    text: "Cut off:\n```rust\nfn main() {".into(),
                    image: None,
                    model: Some("gemini-1.5-pro".into()),
                },
            )
            .unwrap();
        s
    }

    #[test]
    fn json_round_trip_restores_every_conversation_and_image() {
        let mut from = filled();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("dynaspark 2026-11-25.json");
        let report = from.export_all(ExportFormat::Json, &dest);
        assert_eq!(
            report,
            ExportReport {
                path: dest.clone(),
                conversations: 2,
                messages: 4,
                images: 1,
                missing_images: 0,
            }
        );

        let original = from.records();
        let picture = original[0].messages[0].image.clone().unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&dest).unwrap()).unwrap();
        assert_eq!(json["format"], "dynaspark-desktop/history");
        assert_eq!(json["version"], json::FORMAT_VERSION);
        assert_eq!(json["app"], env!("CARGO_PKG_VERSION"));
        assert!(json["exportedAt"].as_i64().unwrap() > 1_700_000_000_000);
        let image = &json["conversations"][0]["messages"][0]["image"];
        assert_eq!(
            image["path"],
            format!("dynaspark 2026-11-25-images/{}", picture.file)
        );
        assert_eq!(image["sha256"], picture.file.trim_end_matches(".png"));
        assert_eq!(image["name"], "красный квадрат.png");
        assert_eq!(json["conversations"][0]["pinned"], true);
        assert_eq!(json["conversations"][0]["createdAt"], 1_764_079_387_000_i64);
        assert!(json["conversations"][1]["messages"][0]
            .get("image")
            .is_none());

        let mut to = side();
        let report = to.import(&dest).unwrap();
        assert_eq!(
            report,
            ImportReport {
                conversations: 2,
                messages: 4,
                images: 1,
                skipped: 0,
                missing_images: 0,
            }
        );
        assert_eq!(to.records(), original);
        assert_eq!(
            std::fs::read(to.images.path_of(&picture.file).unwrap()).unwrap(),
            std::fs::read(from.images.path_of(&picture.file).unwrap()).unwrap()
        );

        let again = to.import(&dest).unwrap();
        assert_eq!(
            again,
            ImportReport {
                conversations: 0,
                messages: 0,
                images: 0,
                skipped: 2,
                missing_images: 0,
            }
        );
        assert_eq!(to.history.count().unwrap(), 2);
    }

    fn said(role: Role, text: &str) -> NewMessage {
        NewMessage {
            role,
            text: text.into(),
            image: None,
            model: None,
        }
    }

    #[test]
    fn versions_survive_a_json_round_trip_and_markdown_shows_the_chosen_ones() {
        let mut from = side();
        let h = &mut from.history;
        let (c, q) = h.start(said(Role::User, "first question")).unwrap();
        let a = h
            .add_message(c.id, said(Role::Assistant, "first answer"))
            .unwrap();
        h.add_version(a.id, said(Role::Assistant, "second answer"))
            .unwrap();
        h.add_version(q.id, said(Role::User, "edited question"))
            .unwrap();
        h.switch_version(q.id, 0).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("branches.json");
        from.export_all(ExportFormat::Json, &dest);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&dest).unwrap()).unwrap();
        let m = &json["conversations"][0]["messages"];
        assert!(m[0].get("parent").is_none() && m[0].get("hidden").is_none());
        assert!(m[1].get("parent").is_none(), "follows the message before");
        assert_eq!(m[1]["hidden"], true);
        assert_eq!(m[2]["parent"], 0, "the second answer follows the question");
        assert!(m[3]["parent"].is_null() && m[3].get("parent").is_some());
        assert_eq!(m[3]["hidden"], true);

        let mut to = side();
        to.import(&dest).unwrap();
        assert_eq!(to.records(), from.records());

        let md = out.path().join("branches.md");
        to.export_all(ExportFormat::Markdown, &md);
        let md = std::fs::read_to_string(md).unwrap();
        assert!(
            md.contains("first question") && md.contains("second answer"),
            "{md}"
        );
        assert!(
            !md.contains("first answer") && !md.contains("edited question"),
            "{md}"
        );
    }

    #[test]
    fn a_parent_that_is_not_an_earlier_message_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        for parent in ["1", "0, \"role\": \"user\""] {
            let src = write(
                dir.path(),
                &format!(
                    r#"{{"format": "dynaspark-desktop/history", "version": 2, "conversations": [
                    {{"title": "t", "createdAt": 1, "updatedAt": 1, "messages": [
                      {{"role": "user", "text": "q", "createdAt": 1, "parent": {parent}}}]}}]}}"#
                ),
            );
            let mut to = side();
            let err = to.import(&src).unwrap_err();
            assert_eq!(err.code(), "malformed_export", "{parent}: {err}");
            assert_eq!(to.history.count().unwrap(), 0);
        }
    }

    #[test]
    fn markdown_export_reads_as_a_document_with_linked_images() {
        let mut from = filled();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("моя история.md");
        let report = from.export_all(ExportFormat::Markdown, &dest);
        assert_eq!((report.conversations, report.images), (2, 1));
        let md = std::fs::read_to_string(&dest).unwrap();
        for part in [
            "# Картинка\n",
            "Started 2025-11-25 14:03 UTC · last active 2025-11-25 14:03 UTC · pinned\n",
            &format!("**You** · 2025-11-25 14:03 UTC\n\n{RED_SQUARE}\n"),
            &format!("**Dynaspark** (gemini-1.5-flash) · 2025-11-25 14:03 UTC\n\n{ANSWER}\n"),
            "# Hello [there] --- # not a title\n",
            "Hello [there]\n\n---\n# not a title\n",
            "**Dynaspark** (gemini-1.5-pro)",
            "fn main() {\n```\n",
            "\n---\n\n# ",
        ] {
            assert!(md.contains(part), "{part:?} not in:\n{md}");
        }
        assert_eq!(md.matches("\n---\n\n# ").count(), 1, "{md}");

        let start = md.find("![красный квадрат.png](").unwrap();
        let link = &md[start..];
        let target = &link[link.find("](").unwrap() + 2..link.find(')').unwrap()];
        assert!(
            target.starts_with("%D0%BC%D0%BE%D1%8F%20%D0%B8"),
            "spaces and Cyrillic are percent-encoded: {target}"
        );
        let decoded = String::from_utf8(
            url::form_urlencoded::parse(format!("x={target}").as_bytes())
                .next()
                .unwrap()
                .1
                .into_owned()
                .into_bytes(),
        )
        .unwrap();
        assert!(decoded.starts_with("моя история-images/"));
        assert_eq!(std::fs::read(out.path().join(decoded)).unwrap(), PNG);
    }

    #[test]
    fn a_failed_export_leaves_neither_file_nor_images() {
        let mut from = filled();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("partial.json");
        let first = from.history.ids().unwrap()[0];
        let err = export(
            &mut from.history,
            &from.images,
            Some(&[first, 9999]),
            ExportFormat::Json,
            &dest,
        )
        .unwrap_err();
        assert_eq!(err.code(), "not_found");
        assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_image_gone_from_the_library_is_reported_not_fatal() {
        let mut from = filled();
        let picture = from.records()[0].messages[0].image.clone().unwrap();
        std::fs::remove_file(from.images.path_of(&picture.file).unwrap()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("h.md");
        let report = from.export_all(ExportFormat::Markdown, &dest);
        assert_eq!((report.images, report.missing_images), (0, 1));
        let md = std::fs::read_to_string(&dest).unwrap();
        assert!(
            md.contains(r"*(image красный квадрат.png was missing from the library)*"),
            "{md}"
        );
        assert!(!out.path().join("h-images").exists());

        let dest = out.path().join("h.json");
        let report = from.export_all(ExportFormat::Json, &dest);
        assert_eq!((report.images, report.missing_images), (0, 1));
        let mut to = side();
        let report = to.import(&dest).unwrap();
        assert_eq!((report.conversations, report.missing_images), (2, 1));
        let question = to.records().remove(0).messages.remove(0);
        assert_eq!((question.text.as_str(), question.image), (RED_SQUARE, None));
    }

    #[test]
    fn export_formats_are_named_as_the_ui_sends_them() {
        assert_eq!(
            serde_json::from_str::<ExportFormat>(r#""markdown""#).unwrap(),
            ExportFormat::Markdown
        );
        assert_eq!(
            serde_json::to_string(&ExportFormat::Json).unwrap(),
            r#""json""#
        );
        let report = serde_json::to_value(ImportReport {
            conversations: 1,
            messages: 2,
            images: 3,
            skipped: 4,
            missing_images: 5,
        })
        .unwrap();
        assert_eq!(report["missingImages"], 5);
    }
}

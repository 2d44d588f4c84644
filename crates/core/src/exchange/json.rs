//! The versioned JSON export format (docs/history-format.md): its document types, read with
//! the format and version checked before anything else, written one conversation a line.
//! Touches no file but the one it reads or the writer it is given; image files are `images`.

use std::fs::File;
use std::io::{BufReader, Write};
use std::path::Path;

use dynaspark::Role;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::images::ImageCopier;
use crate::history::{is_zero, now_ms, present};
use crate::{ConversationRecord, Error, Result};

/// The `format` every export declares; files that say anything else are not ours.
pub(crate) const FORMAT: &str = "dynaspark-desktop/history";
/// The newest format version this build reads and the one it writes.
pub(crate) const FORMAT_VERSION: u64 = 2;

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExportedConversation {
    /// Optional on import: a file without uids is added again on every import.
    #[serde(default)]
    pub(super) uid: String,
    pub(super) title: String,
    pub(super) created_at: i64,
    pub(super) updated_at: i64,
    #[serde(default)]
    pub(super) pinned: bool,
    pub(super) messages: Vec<ExportedMessage>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExportedMessage {
    pub(super) role: Role,
    pub(super) text: String,
    pub(super) created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) image: Option<ExportedImage>,
    /// Version 2: see `MessageRecord::parent` (docs/history-format.md, Versions).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub(super) parent: Option<Option<usize>>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub(super) hidden: bool,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub(super) selected: i64,
}

/// An image as exported; on import only `path` and `name` are used (the rest is re-read
/// from the file itself).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ExportedImage {
    /// Relative to the export file, `/`-separated.
    pub(super) path: String,
    #[serde(default)]
    pub(super) name: String,
    #[serde(default)]
    pub(super) mime: String,
    #[serde(default)]
    pub(super) size: u64,
    #[serde(default)]
    pub(super) sha256: String,
}

/// What import needs from the whole file; `format`, `version` and anything added later are
/// read by `check_header` or ignored.
#[derive(Deserialize)]
pub(super) struct Document {
    pub(super) conversations: Vec<ExportedConversation>,
}

/// The fields that say whose file this is; everything else is skipped unread.
#[derive(Default)]
struct Header {
    format: Option<serde_json::Value>,
    version: Option<serde_json::Value>,
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Fields;
        impl<'de> serde::de::Visitor<'de> for Fields {
            type Value = Header;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }

            // Only an object: a derived struct would also take an array.
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Header, A::Error> {
                let mut header = Header::default();
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "format" => header.format = Some(map.next_value()?),
                        "version" => header.version = Some(map.next_value()?),
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(header)
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The conversations in the export at `src`, once `check_header` has accepted the file.
pub(super) fn read(src: &Path) -> Result<Document> {
    check_header(src)?;
    read_json(src).map_err(|e| malformed(src, e))
}

/// Refuses a file that is not ours or is newer than this build, before reading any of it
/// as conversations, so such a file is never reported as merely malformed.
fn check_header(src: &Path) -> Result<()> {
    let header: Header = match read_json(src) {
        Ok(header) => header,
        Err(e) if e.is_data() => {
            return Err(Error::NotAnExport {
                path: src.to_owned(),
                found: None,
            })
        }
        Err(e) => return Err(malformed(src, e)),
    };
    match header.format {
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        Some(serde_json::Value::String(f)) => {
            return Err(Error::NotAnExport {
                path: src.to_owned(),
                found: Some(f),
            })
        }
        _ => {
            return Err(Error::NotAnExport {
                path: src.to_owned(),
                found: None,
            })
        }
    }
    match header.version.as_ref().and_then(serde_json::Value::as_u64) {
        Some(version) if version > FORMAT_VERSION => Err(Error::NewerExport {
            path: src.to_owned(),
            version,
            supported: FORMAT_VERSION,
        }),
        Some(version) if version >= 1 => Ok(()),
        _ => Err(Error::MalformedExport {
            path: src.to_owned(),
            line: None,
            column: None,
            reason: format!(
                "\"version\" must be a whole number from 1, not {}",
                header
                    .version
                    .map_or_else(|| "missing".to_owned(), |v| v.to_string())
            ),
        }),
    }
}

fn read_json<T: DeserializeOwned>(src: &Path) -> std::result::Result<T, serde_json::Error> {
    let file = File::open(src).map_err(serde_json::Error::io)?;
    serde_json::from_reader(BufReader::new(file))
}

/// A parse failure as the person should see it: what is wrong and where, or the I/O cause.
fn malformed(src: &Path, e: serde_json::Error) -> Error {
    if e.is_io() {
        return Error::Io {
            action: "read",
            path: src.to_owned(),
            source: e.into(),
        };
    }
    let (line, column) = (e.line(), e.column());
    let full = e.to_string();
    let place = format!(" at line {line} column {column}");
    let reason = full.strip_suffix(&place).unwrap_or(&full).to_owned();
    Error::MalformedExport {
        path: src.to_owned(),
        line: (line > 0).then_some(line),
        column: (line > 0).then_some(column),
        reason,
    }
}

/// Everything before the first conversation.
pub(super) fn write_head(out: &mut impl Write) -> std::io::Result<()> {
    // One conversation per line: streamed, and still readable and diffable.
    writeln!(out, "{{")?;
    writeln!(out, "  \"format\": {},", serde_json::to_string(FORMAT)?)?;
    writeln!(out, "  \"version\": {FORMAT_VERSION},")?;
    writeln!(out, "  \"exportedAt\": {},", now_ms())?;
    writeln!(
        out,
        "  \"app\": {},",
        serde_json::to_string(env!("CARGO_PKG_VERSION"))?
    )?;
    writeln!(out, "  \"conversations\": [")
}

/// One conversation as one line of the `conversations` array; `last` leaves off the comma.
pub(super) fn write_conversation(
    out: &mut impl Write,
    record: ConversationRecord,
    copier: &ImageCopier<'_>,
    last: bool,
) -> std::io::Result<()> {
    let conversation = ExportedConversation {
        uid: record.uid,
        title: record.title,
        created_at: record.created_at,
        updated_at: record.updated_at,
        pinned: record.pinned,
        messages: record
            .messages
            .into_iter()
            .map(|m| ExportedMessage {
                role: m.role,
                text: m.text,
                created_at: m.created_at,
                model: m.model,
                parent: m.parent,
                hidden: m.hidden,
                selected: m.selected,
                image: m.image.map(|i| ExportedImage {
                    path: copier.link(&i.file),
                    sha256: i
                        .file
                        .split_once('.')
                        .map_or(&*i.file, |(h, _)| h)
                        .to_owned(),
                    name: i.name,
                    mime: i.mime,
                    size: i.size,
                }),
            })
            .collect(),
    };
    out.write_all(b"    ")?;
    serde_json::to_writer(&mut *out, &conversation)?;
    out.write_all(if last { &b"\n"[..] } else { &b",\n"[..] })
}

/// Closes what `write_head` opened.
pub(super) fn write_tail(out: &mut impl Write) -> std::io::Result<()> {
    out.write_all(b"  ]\n}\n")
}

#[cfg(test)]
mod tests {
    use crate::exchange::tests::{side, write};
    use crate::Error;

    #[test]
    fn a_newer_version_is_refused_before_anything_is_read() {
        let dir = tempfile::tempdir().unwrap();
        // The conversations are of a shape version 1 does not know; the version decides.
        let src = write(
            dir.path(),
            r#"{"format": "dynaspark-desktop/history", "version": 99, "conversations": {"new": []}}"#,
        );
        let mut to = side();
        let err = to.import(&src).unwrap_err();
        assert_eq!(err.code(), "newer_export");
        assert!(matches!(
            err,
            Error::NewerExport {
                version: 99,
                supported,
                ..
            } if supported == super::FORMAT_VERSION
        ));
        assert!(err.to_string().contains("Update the app"), "{err}");
        assert_eq!(to.history.count().unwrap(), 0);
    }

    #[test]
    fn foreign_and_broken_files_are_refused_saying_what_and_where() {
        let dir = tempfile::tempdir().unwrap();
        let mut to = side();
        let mut refuse = |json: &str| {
            let src = write(dir.path(), json);
            to.import(&src).unwrap_err()
        };

        let err = refuse(r#"{"format": "chatgpt/conversations", "version": 1}"#);
        assert!(
            matches!(&err, Error::NotAnExport { found: Some(f), .. } if f == "chatgpt/conversations"),
            "{err:?}"
        );
        assert_eq!(refuse("[1, 2, 3]").code(), "not_an_export");
        assert_eq!(refuse(r#"{"version": 1}"#).code(), "not_an_export");

        let err = refuse(r#"{"format": "dynaspark-desktop/history", "version": "1"}"#);
        assert_eq!(err.code(), "malformed_export");
        assert!(err.to_string().contains(r#"not "1""#), "{err}");

        let err = refuse("{\n  \"format\": \"dynaspark-desktop/history\",\n  \"version\": 1,\n  \"conversations\": [\n");
        assert!(
            matches!(&err, Error::MalformedExport { line: Some(5), reason, .. } if reason.contains("EOF")),
            "{err:?}"
        );

        let err = refuse(
            "{\"format\": \"dynaspark-desktop/history\", \"version\": 1, \"conversations\": [\n\
             {\"title\": \"T\", \"createdAt\": 1, \"updatedAt\": 1, \"messages\": [\n\
             {\"role\": \"robot\", \"text\": \"hi\", \"createdAt\": 1}]}]}",
        );
        let Error::MalformedExport { line, reason, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*line, Some(3));
        assert!(reason.contains("unknown variant `robot`"), "{reason}");
        assert!(err.to_string().contains("(line 3, column"), "{err}");
        assert_eq!(to.history.count().unwrap(), 0);

        let err = to.import(&dir.path().join("nowhere.json")).unwrap_err();
        assert_eq!(err.code(), "io");
    }

    #[test]
    fn a_file_without_uids_is_added_with_new_ones() {
        let dir = tempfile::tempdir().unwrap();
        let src = write(
            dir.path(),
            r#"{"format": "dynaspark-desktop/history", "version": 1, "conversations": [
                {"title": "Hand-written", "createdAt": 1, "updatedAt": 2,
                 "messages": [{"role": "assistant", "text": "**hi**", "createdAt": 1}]}]}"#,
        );
        let mut to = side();
        assert_eq!(to.import(&src).unwrap().conversations, 1);
        let record = to.records().remove(0);
        assert!(!record.uid.is_empty());
        assert!(!record.pinned);
        assert_eq!(record.messages[0].model, None);
    }
}

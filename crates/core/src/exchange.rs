//! Conversations as files a person keeps or moves elsewhere: export to the versioned JSON
//! format (docs/history-format.md) or to readable Markdown, with images in a folder beside
//! the file, and import of that JSON. Goes through the store's record API only.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Component, Path, PathBuf};

use dynaspark::Role;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::history::now_ms;
use crate::{
    ConversationRecord, Error, History, ImageLibrary, MessageRecord, Result, StoredImage,
    MAX_IMAGE_BYTES,
};

/// The `format` every export declares; files that say anything else are not ours.
pub(crate) const FORMAT: &str = "dynaspark-desktop/history";
/// The newest format version this build reads and the one it writes.
pub(crate) const FORMAT_VERSION: u64 = 1;

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
    let stem = dest
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "export".to_owned());
    let folder_name = format!("{stem}-images");
    let mut copier = ImageCopier {
        images,
        folder: folder_of(dest).join(&folder_name),
        folder_name,
        present: HashSet::new(),
        written: Vec::new(),
    };
    let mut messages = 0;
    let mut missing_images = 0;
    let written = write_streaming(dest, |out| {
        let io = |e| Error::Io {
            action: "write",
            path: dest.to_owned(),
            source: e,
        };
        if format == ExportFormat::Json {
            write_json_head(out).map_err(io)?;
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
                ExportFormat::Json => write_json_conversation(out, record, &copier, last),
                ExportFormat::Markdown => {
                    write_markdown_conversation(out, &record, &copier, &missing, i == 0)
                }
            }
            .map_err(io)?;
        }
        if format == ExportFormat::Json {
            out.write_all(b"  ]\n}\n").map_err(io)?;
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
        images: copier.present.len(),
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
    check_header(src)?;
    let document: Document = read_json(src).map_err(|e| malformed(src, e))?;
    let mut restorer = ImageRestorer {
        images,
        base: folder_of(src).to_owned(),
        src,
        restored: HashMap::new(),
    };
    let mut records = Vec::with_capacity(document.conversations.len());
    let mut lost = Vec::with_capacity(document.conversations.len());
    for c in document.conversations {
        let mut missing = 0;
        let mut messages = Vec::with_capacity(c.messages.len());
        for m in c.messages {
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

// ---- The JSON format (docs/history-format.md) ----

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportedConversation {
    /// Optional on import: a file without uids is added again on every import.
    #[serde(default)]
    uid: String,
    title: String,
    created_at: i64,
    updated_at: i64,
    #[serde(default)]
    pinned: bool,
    messages: Vec<ExportedMessage>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportedMessage {
    role: Role,
    text: String,
    created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    image: Option<ExportedImage>,
}

/// An image as exported; on import only `path` and `name` are used (the rest is re-read
/// from the file itself).
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExportedImage {
    /// Relative to the export file, `/`-separated.
    path: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    mime: String,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    sha256: String,
}

/// What import needs from the whole file; `format`, `version` and anything added later are
/// read by `check_header` or ignored.
#[derive(Deserialize)]
struct Document {
    conversations: Vec<ExportedConversation>,
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

fn write_json_head(out: &mut impl Write) -> std::io::Result<()> {
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

fn write_json_conversation(
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

// ---- Markdown ----

fn write_markdown_conversation(
    out: &mut impl Write,
    record: &ConversationRecord,
    copier: &ImageCopier<'_>,
    missing: &HashSet<String>,
    first: bool,
) -> std::io::Result<()> {
    if !first {
        write!(out, "\n---\n\n")?;
    }
    let title = record
        .title
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let title = if title.is_empty() {
        "Untitled conversation"
    } else {
        &title
    };
    writeln!(out, "# {title}\n")?;
    write!(
        out,
        "Started {} · last active {}",
        utc(record.created_at),
        utc(record.updated_at)
    )?;
    if record.pinned {
        write!(out, " · pinned")?;
    }
    writeln!(out)?;
    for m in &record.messages {
        let time = utc(m.created_at);
        match (m.role, &m.model) {
            (Role::User, _) => writeln!(out, "\n**You** · {time}\n")?,
            (Role::Assistant, Some(model)) => {
                writeln!(out, "\n**Dynaspark** ({}) · {time}\n", inline_text(model))?
            }
            (Role::Assistant, None) => writeln!(out, "\n**Dynaspark** · {time}\n")?,
            (Role::System, _) => writeln!(out, "\n**System** · {time}\n")?,
        }
        let text = m.text.trim_end();
        if !text.is_empty() {
            writeln!(out, "{text}")?;
            if let Some(fence) = unclosed_fence(text) {
                writeln!(out, "{fence}")?;
            }
        }
        if let Some(image) = &m.image {
            if !text.is_empty() {
                writeln!(out)?;
            }
            let name = inline_text(&image.name);
            if missing.contains(&image.file) {
                writeln!(out, "*(image {name} was missing from the library)*")?;
            } else {
                writeln!(out, "![{name}]({})", link_target(&copier.link(&image.file)))?;
            }
        }
    }
    Ok(())
}

/// Text for one line of Markdown: whitespace collapsed, link brackets and escapes escaped.
fn inline_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        for c in word.chars() {
            if matches!(c, '\\' | '[' | ']' | '*' | '_' | '`' | '<' | '>') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

/// A relative link target with everything but unreserved characters and `/` percent-encoded
/// (spaces, brackets, non-ASCII stems).
fn link_target(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The fence that closes a code block left open at the end of `text` (an answer cut off
/// mid-stream), so it does not swallow the rest of the document.
fn unclosed_fence(text: &str) -> Option<String> {
    let mut open: Option<(char, usize)> = None;
    for line in text.lines() {
        let rest = line.trim_start_matches(' ');
        if line.len() - rest.len() > 3 {
            continue;
        }
        let Some(c) = rest.chars().next().filter(|c| matches!(c, '`' | '~')) else {
            continue;
        };
        let n = rest.chars().take_while(|x| *x == c).count();
        if n < 3 {
            continue;
        }
        let after = &rest[n..];
        match open {
            None if c == '`' && after.contains('`') => {}
            None => open = Some((c, n)),
            Some((oc, on)) if c == oc && n >= on && after.trim().is_empty() => open = None,
            Some(_) => {}
        }
    }
    open.map(|(c, n)| c.to_string().repeat(n))
}

/// `YYYY-MM-DD HH:MM UTC` for Unix milliseconds.
fn utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to civil date, after Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60
    )
}

// ---- Images ----

/// Copies the images an export shows into its folder, once each.
struct ImageCopier<'a> {
    images: &'a ImageLibrary,
    /// `<dest folder>/<stem>-images`.
    folder: PathBuf,
    /// `<stem>-images`, the prefix of every link.
    folder_name: String,
    /// Library files now in the folder.
    present: HashSet<String>,
    /// Files this export created, removed again if it fails.
    written: Vec<PathBuf>,
}

impl ImageCopier<'_> {
    fn link(&self, file: &str) -> String {
        format!("{}/{file}", self.folder_name)
    }

    /// Copies the conversation's images; returns the library files that were not there.
    fn copy(&mut self, record: &ConversationRecord) -> Result<HashSet<String>> {
        let mut missing = HashSet::new();
        for image in record.messages.iter().filter_map(|m| m.image.as_ref()) {
            if self.present.contains(&image.file) || missing.contains(&image.file) {
                continue;
            }
            if self.copy_one(&image.file)? {
                self.present.insert(image.file.clone());
            } else {
                tracing::warn!(
                    file = image.file,
                    "exported without its image: not in the library"
                );
                missing.insert(image.file.clone());
            }
        }
        Ok(missing)
    }

    /// Copies one library file (temp file, fsync, rename); false when the library lacks it.
    /// Names are content hashes, so a file of the same size already there is the same image.
    fn copy_one(&mut self, file: &str) -> Result<bool> {
        let Ok(from) = self.images.path_of(file) else {
            return Ok(false);
        };
        let mut source = match File::open(&from) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(Error::io("read", &from)(e)),
        };
        let size = source.metadata().map_err(Error::io("read", &from))?.len();
        let to = self.folder.join(file);
        if std::fs::metadata(&to).is_ok_and(|m| m.is_file() && m.len() == size) {
            return Ok(true);
        }
        std::fs::create_dir_all(&self.folder).map_err(Error::io("create", &self.folder))?;
        let tmp = self
            .folder
            .join(format!(".{file}.{}.tmp", std::process::id()));
        let mut copy = || -> std::io::Result<()> {
            let mut target = File::create(&tmp)?;
            std::io::copy(&mut source, &mut target)?;
            target.sync_all()?;
            std::fs::rename(&tmp, &to)
        };
        if let Err(e) = copy() {
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::io("write", &to)(e));
        }
        self.written.push(to);
        Ok(true)
    }

    /// Makes the renames into the images folder durable, once for the whole export.
    fn sync_folder(&self) -> Result<()> {
        #[cfg(unix)]
        if !self.written.is_empty() {
            File::open(&self.folder)
                .and_then(|d| d.sync_all())
                .map_err(Error::io("write", &self.folder))?;
        }
        Ok(())
    }

    /// After a failed export: removes the images it copied, and the folder if that leaves
    /// it empty. Files that were there before are not touched.
    fn undo(&mut self) {
        for path in self.written.drain(..) {
            let _ = std::fs::remove_file(path);
        }
        let _ = std::fs::remove_dir(&self.folder);
    }
}

/// Brings an export's images into the library, once per file.
struct ImageRestorer<'a> {
    images: &'a ImageLibrary,
    /// The folder of the export file; image paths are relative to it.
    base: PathBuf,
    src: &'a Path,
    /// By path in the export: the stored image, or `None` when the file was missing.
    restored: HashMap<String, Option<StoredImage>>,
}

impl ImageRestorer<'_> {
    /// The stored image, named as the export names it; `None` when its file is missing.
    /// A path leaving the export's folder, or a file that is not an image, is an error
    /// naming it.
    fn restore(&mut self, image: &ExportedImage) -> Result<Option<StoredImage>> {
        let stored = match self.restored.get(&image.path) {
            Some(stored) => stored.clone(),
            None => {
                let stored = self.read(image)?;
                self.restored.insert(image.path.clone(), stored.clone());
                stored
            }
        };
        Ok(stored.map(|s| StoredImage {
            name: if image.name.is_empty() {
                s.name
            } else {
                image.name.clone()
            },
            ..s
        }))
    }

    fn read(&self, image: &ExportedImage) -> Result<Option<StoredImage>> {
        let relative = Path::new(&image.path);
        let inside = !image.path.is_empty()
            && relative
                .components()
                .all(|c| matches!(c, Component::Normal(_)));
        if !inside {
            return Err(Error::MalformedExport {
                path: self.src.to_owned(),
                line: None,
                column: None,
                reason: format!(
                    "the image path {:?} points outside the export's folder",
                    image.path
                ),
            });
        }
        let path = self.base.join(relative);
        let shown = path.display().to_string();
        let meta = match std::fs::metadata(&path) {
            Ok(meta) => meta,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(path = %shown, "imported without its image: file missing");
                return Ok(None);
            }
            Err(e) => return Err(Error::io("read", &path)(e)),
        };
        if !meta.is_file() {
            return Err(dynaspark::Error::NotAnImage {
                name: format!("{shown} (not a file)"),
            }
            .into());
        }
        if meta.len() > MAX_IMAGE_BYTES {
            return Err(Error::ImageTooLarge {
                name: shown,
                size_mib: meta.len() as f64 / (1024.0 * 1024.0),
                limit_mib: MAX_IMAGE_BYTES >> 20,
            });
        }
        let bytes = std::fs::read(&path).map_err(Error::io("read", &path))?;
        let name = if image.name.is_empty() {
            relative
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        } else {
            image.name.clone()
        };
        let stored = self
            .images
            .import_bytes(&name, bytes)
            .map_err(|e| match e {
                // Name the file in the export, not the name the person once gave the image.
                Error::Image(dynaspark::Error::NotAnImage { .. }) => dynaspark::Error::NotAnImage {
                    name: shown.clone(),
                }
                .into(),
                other => other,
            })?;
        if !image.sha256.is_empty() && !stored.file.starts_with(&image.sha256) {
            tracing::warn!(path = %shown, "image content differs from the export's checksum; imported as it is now");
        }
        Ok(Some(stored))
    }
}

// ---- Files ----

/// The folder a path is in; `.` for a bare file name.
fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Writes `path` as `files::write_atomic` does (temp file in the same folder, fsync,
/// rename, folder fsync) but lets `fill` stream into it, so a large export is never one
/// string in memory. On failure the old file is untouched and the temp file removed.
fn write_streaming(
    path: &Path,
    fill: impl FnOnce(&mut BufWriter<File>) -> Result<()>,
) -> Result<()> {
    let dir = folder_of(path);
    std::fs::create_dir_all(dir).map_err(Error::io("create", dir))?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let write = || -> Result<()> {
        let file = File::create(&tmp).map_err(Error::io("write", path))?;
        let mut out = BufWriter::new(file);
        fill(&mut out)?;
        let file = out
            .into_inner()
            .map_err(|e| Error::io("write", path)(e.into_error()))?;
        file.sync_all().map_err(Error::io("write", path))?;
        std::fs::rename(&tmp, path).map_err(Error::io("write", path))?;
        #[cfg(unix)]
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(Error::io("write", path))?;
        Ok(())
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NewMessage;

    /// A real 1×1 red PNG.
    const PNG: &[u8] = b"\x89\x50\x4e\x47\x0d\x0a\x1a\x0a\x00\x00\x00\x0d\x49\x48\x44\x52\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90\x77\x53\xde\x00\x00\x00\x0c\x49\x44\x41\x54\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00\x49\x45\x4e\x44\xae\x42\x60\x82";

    const RED_SQUARE: &str = "Что на этой картинке?";
    const ANSWER: &str = "Красный **квадрат** на белом фоне.";

    struct Side {
        _dir: tempfile::TempDir,
        history: History,
        images: ImageLibrary,
    }

    fn side() -> Side {
        let dir = tempfile::tempdir().unwrap();
        let images = ImageLibrary::new(dir.path().join("images"));
        Side {
            _dir: dir,
            history: History::open_in_memory().unwrap(),
            images,
        }
    }

    fn message(role: Role, text: &str, created_at: i64) -> MessageRecord {
        MessageRecord {
            role,
            text: text.into(),
            image: None,
            model: (role == Role::Assistant).then(|| "gemini-1.5-flash".into()),
            created_at,
        }
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

    fn records(s: &mut Side) -> Vec<ConversationRecord> {
        let ids = s.history.ids().unwrap();
        ids.into_iter()
            .map(|id| s.history.record(id).unwrap())
            .collect()
    }

    #[test]
    fn json_round_trip_restores_every_conversation_and_image() {
        let mut from = filled();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("dynaspark 2026-11-25.json");
        let report = export(
            &mut from.history,
            &from.images,
            None,
            ExportFormat::Json,
            &dest,
        )
        .unwrap();
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

        let original = records(&mut from);
        let picture = original[0].messages[0].image.clone().unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&dest).unwrap()).unwrap();
        assert_eq!(json["format"], "dynaspark-desktop/history");
        assert_eq!(json["version"], 1);
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
        let report = import(&mut to.history, &to.images, &dest).unwrap();
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
        assert_eq!(records(&mut to), original);
        assert_eq!(
            std::fs::read(to.images.path_of(&picture.file).unwrap()).unwrap(),
            std::fs::read(from.images.path_of(&picture.file).unwrap()).unwrap()
        );

        let again = import(&mut to.history, &to.images, &dest).unwrap();
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

    #[test]
    fn markdown_export_reads_as_a_document_with_linked_images() {
        let mut from = filled();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("моя история.md");
        let report = export(
            &mut from.history,
            &from.images,
            None,
            ExportFormat::Markdown,
            &dest,
        )
        .unwrap();
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
    fn exports_without_images_make_no_images_folder() {
        let mut s = side();
        s.history
            .insert_records(&[ConversationRecord {
                uid: "plain".into(),
                title: "Plain".into(),
                created_at: 1,
                updated_at: 2,
                pinned: false,
                messages: vec![message(Role::User, "just words", 1)],
            }])
            .unwrap();
        let out = tempfile::tempdir().unwrap();
        for (format, name) in [
            (ExportFormat::Json, "a.json"),
            (ExportFormat::Markdown, "a.md"),
        ] {
            let report = export(
                &mut s.history,
                &s.images,
                None,
                format,
                &out.path().join(name),
            )
            .unwrap();
            assert_eq!((report.conversations, report.images), (1, 0));
        }
        let mut names: Vec<_> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["a.json", "a.md"]);
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
        let picture = records(&mut from)[0].messages[0].image.clone().unwrap();
        std::fs::remove_file(from.images.path_of(&picture.file).unwrap()).unwrap();
        let out = tempfile::tempdir().unwrap();
        let dest = out.path().join("h.md");
        let report = export(
            &mut from.history,
            &from.images,
            None,
            ExportFormat::Markdown,
            &dest,
        )
        .unwrap();
        assert_eq!((report.images, report.missing_images), (0, 1));
        let md = std::fs::read_to_string(&dest).unwrap();
        assert!(
            md.contains(r"*(image красный квадрат.png was missing from the library)*"),
            "{md}"
        );
        assert!(!out.path().join("h-images").exists());

        let dest = out.path().join("h.json");
        let report = export(
            &mut from.history,
            &from.images,
            None,
            ExportFormat::Json,
            &dest,
        )
        .unwrap();
        assert_eq!((report.images, report.missing_images), (0, 1));
        let mut to = side();
        let report = import(&mut to.history, &to.images, &dest).unwrap();
        assert_eq!((report.conversations, report.missing_images), (2, 1));
        let question = records(&mut to).remove(0).messages.remove(0);
        assert_eq!((question.text.as_str(), question.image), (RED_SQUARE, None));
    }

    fn write(dir: &Path, json: &str) -> PathBuf {
        let path = dir.join("history.json");
        std::fs::write(&path, json).unwrap();
        path
    }

    fn one_with_image(path: &str) -> String {
        format!(
            r#"{{"format": "dynaspark-desktop/history", "version": 1, "futureField": {{"x": 1}},
              "conversations": [{{"uid": "u1", "title": "T", "createdAt": 5, "updatedAt": 6,
                "messages": [{{"role": "user", "text": "look at this", "createdAt": 5,
                               "image": {{"path": {path:?}, "name": "cat.png"}}}}]}}]}}"#
        )
    }

    #[test]
    fn a_missing_image_file_keeps_the_message_text() {
        let dir = tempfile::tempdir().unwrap();
        let src = write(dir.path(), &one_with_image("history-images/gone.png"));
        let mut to = side();
        let report = import(&mut to.history, &to.images, &src).unwrap();
        assert_eq!(
            report,
            ImportReport {
                conversations: 1,
                messages: 1,
                images: 0,
                skipped: 0,
                missing_images: 1,
            }
        );
        let record = records(&mut to).remove(0);
        assert_eq!(record.uid, "u1");
        assert_eq!(record.messages[0].text, "look at this");
        assert_eq!(record.messages[0].image, None);
    }

    #[test]
    fn an_image_file_that_is_not_an_image_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("x-images")).unwrap();
        std::fs::write(dir.path().join("x-images/cat.png"), "not a picture").unwrap();
        let src = write(dir.path(), &one_with_image("x-images/cat.png"));
        let mut to = side();
        let err = import(&mut to.history, &to.images, &src).unwrap_err();
        assert_eq!(err.code(), "not_an_image");
        assert!(err.to_string().contains("x-images/cat.png is not"), "{err}");
        assert_eq!(to.history.count().unwrap(), 0);

        std::fs::write(dir.path().join("x-images/cat.png"), PNG).unwrap();
        let report = import(&mut to.history, &to.images, &src).unwrap();
        assert_eq!((report.conversations, report.images), (1, 1));
        let image = records(&mut to).remove(0).messages.remove(0).image.unwrap();
        assert_eq!(
            (image.name.as_str(), image.mime.as_str()),
            ("cat.png", "image/png")
        );
        assert_eq!(image.size, PNG.len() as u64);
    }

    #[test]
    fn image_paths_cannot_leave_the_export_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cat.png"), PNG).unwrap();
        let inner = dir.path().join("inner");
        std::fs::create_dir(&inner).unwrap();
        let outside = dir.path().join("cat.png").display().to_string();
        for path in ["../cat.png", outside.as_str(), ""] {
            let src = write(&inner, &one_with_image(path));
            let mut to = side();
            let err = import(&mut to.history, &to.images, &src).unwrap_err();
            assert_eq!(err.code(), "malformed_export", "{path}: {err}");
            assert_eq!(to.history.count().unwrap(), 0);
        }
    }

    #[test]
    fn a_newer_version_is_refused_before_anything_is_read() {
        let dir = tempfile::tempdir().unwrap();
        // The conversations are of a shape version 1 does not know; the version decides.
        let src = write(
            dir.path(),
            r#"{"format": "dynaspark-desktop/history", "version": 99, "conversations": {"new": []}}"#,
        );
        let mut to = side();
        let err = import(&mut to.history, &to.images, &src).unwrap_err();
        assert_eq!(err.code(), "newer_export");
        assert!(matches!(
            err,
            Error::NewerExport {
                version: 99,
                supported: 1,
                ..
            }
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
            import(&mut to.history, &to.images, &src).unwrap_err()
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

        let err = import(
            &mut to.history,
            &to.images,
            &dir.path().join("nowhere.json"),
        )
        .unwrap_err();
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
        assert_eq!(
            import(&mut to.history, &to.images, &src)
                .unwrap()
                .conversations,
            1
        );
        let record = records(&mut to).remove(0);
        assert!(!record.uid.is_empty());
        assert!(!record.pinned);
        assert_eq!(record.messages[0].model, None);
    }

    #[test]
    fn dates_are_utc_in_the_proleptic_gregorian_calendar() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_764_079_387_000), "2025-11-25 14:03 UTC");
        assert_eq!(utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59 UTC");
    }

    #[test]
    fn only_open_code_fences_are_closed() {
        assert_eq!(unclosed_fence("a\n```rust\nfn x() {"), Some("```".into()));
        assert_eq!(unclosed_fence("````\n```\nstill code"), Some("````".into()));
        assert_eq!(unclosed_fence("~~~\ncode\n~~~"), None);
        assert_eq!(unclosed_fence("```js\nx\n```\ntext"), None);
        assert_eq!(unclosed_fence("inline ```code``` only"), None);
        assert_eq!(unclosed_fence("    ```\nindented code block"), None);
    }

    #[test]
    fn link_targets_and_alt_texts_are_escaped() {
        assert_eq!(link_target("a b-images/x.png"), "a%20b-images/x.png");
        assert_eq!(link_target("(1)"), "%281%29");
        assert_eq!(inline_text("a [b]\n*c*"), r"a \[b\] \*c\*");
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

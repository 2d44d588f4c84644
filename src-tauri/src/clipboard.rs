//! The system clipboard through arboard, always on a blocking thread: images and copied
//! files are read from it (paste), text is written to it (Copy on a message).

use std::path::PathBuf;
use std::sync::Mutex;

use crate::error::{IpcError, IpcResult};

/// What a paste finds.
pub enum Content {
    Pixels {
        width: u32,
        height: u32,
        rgba: Vec<u8>,
    },
    Files(Vec<PathBuf>),
}

/// Copied files first (a file manager's Copy; the file keeps its name and type), then
/// pixels. `None` when there is neither.
pub fn read() -> IpcResult<Option<Content>> {
    let unreadable = |e| unavailable(e, "read", READ_FAILED);
    let mut board = arboard::Clipboard::new().map_err(unreadable)?;
    match board.get().file_list() {
        Ok(paths) if !paths.is_empty() => return Ok(Some(Content::Files(paths))),
        Ok(_) => {}
        // An owner without a file list may answer with what it has, in its own type.
        Err(e) => tracing::debug!(error = %e, "no file list on the clipboard"),
    }
    match board.get_image() {
        Ok(image) => {
            // Sizes past u32 fail the pixel count check of the library.
            let side = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
            Ok(Some(Content::Pixels {
                width: side(image.width),
                height: side(image.height),
                rgba: image.bytes.into_owned(),
            }))
        }
        Err(arboard::Error::ContentNotAvailable | arboard::Error::ConversionFailure) => Ok(None),
        Err(e) => Err(unreadable(e)),
    }
}

const READ_FAILED: &str = "The clipboard could not be read. Copy the image again, or attach it with the button or by dropping it on the window.";
const WRITE_FAILED: &str = "The text could not be copied to the clipboard.";

/// `clipboard_unavailable`, saying `message`, with the library's words in the details.
fn unavailable(e: arboard::Error, doing: &str, message: &str) -> IpcError {
    tracing::warn!(error = %e, "clipboard could not be {doing}");
    IpcError {
        details: Some(e.to_string()),
        ..IpcError::new("clipboard_unavailable", message)
    }
}

/// The clipboard that serves what the app copied. On X11 the text lives in the process
/// that owns the selection: dropping the last `Clipboard` would take it away (unless a
/// clipboard manager saves it), so this one stays for the life of the app.
static WRITER: Mutex<Option<arboard::Clipboard>> = Mutex::new(None);

/// Puts `text` on the clipboard (and on Linux, the primary selection is left alone).
pub fn write_text(text: &str) -> IpcResult<()> {
    let unwritable = |e| unavailable(e, "written", WRITE_FAILED);
    let mut writer = crate::sync::lock(&WRITER);
    if writer.is_none() {
        *writer = Some(arboard::Clipboard::new().map_err(unwritable)?);
    }
    let board = writer.as_mut().expect("made above");
    board.set_text(text).map_err(|e| {
        // A board whose owner thread died stays broken: make a new one next time.
        *writer = None;
        unwritable(e)
    })
}

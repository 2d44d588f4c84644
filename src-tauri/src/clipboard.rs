//! The system clipboard: images and copied files are read from it (paste), text is
//! written to it (Copy on a message). On Linux through GTK, which the window already runs
//! on (X11 and Wayland alike; the requests go to the GTK thread and are answered there);
//! elsewhere through arboard, on a blocking thread.

use std::fmt::Display;
use std::path::PathBuf;

use tauri::{AppHandle, Runtime};

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

const READ_FAILED: &str = "The clipboard could not be read. Copy the image again, or attach it with the button or by dropping it on the window.";
const WRITE_FAILED: &str = "The text could not be copied to the clipboard.";

/// `clipboard_unavailable`, saying `message`, with the library's words in the details.
fn unavailable(e: impl Display, doing: &str, message: &str) -> IpcError {
    tracing::warn!(error = %e, "clipboard could not be {doing}");
    IpcError {
        details: Some(e.to_string()),
        ..IpcError::new("clipboard_unavailable", message)
    }
}

#[cfg(target_os = "linux")]
pub use gtk_board::{read, write_text};
#[cfg(not(target_os = "linux"))]
pub use system_board::{read, write_text};

#[cfg(target_os = "linux")]
mod gtk_board {
    use std::sync::mpsc;
    use std::time::Duration;

    use gtk::gdk::SELECTION_CLIPBOARD;
    use gtk::gdk_pixbuf::Pixbuf;
    use gtk::{glib, Clipboard};

    use super::*;

    /// How long a paste waits for the application that owns the clipboard to answer.
    const ANSWER_WITHIN: Duration = Duration::from_secs(5);

    /// Copied files first (a file manager's Copy; the file keeps its name and type), then
    /// pixels, in whatever image type the owner offers (GDK decodes it). `None` when there
    /// is neither. Blocks until the GTK thread has the answer: call it off that thread.
    pub fn read<R: Runtime>(app: &AppHandle<R>) -> IpcResult<Option<Content>> {
        let unreadable = |e: &dyn Display| unavailable(e, "read", READ_FAILED);
        let (tx, rx) = mpsc::channel();
        app.run_on_main_thread(move || {
            Clipboard::get(&SELECTION_CLIPBOARD).request_uris(move |board, uris| {
                let files: Vec<PathBuf> = uris
                    .iter()
                    .filter_map(|uri| glib::filename_from_uri(uri).ok())
                    .map(|(path, _)| path)
                    .collect();
                if !files.is_empty() {
                    let _ = tx.send(Some(Content::Files(files)));
                    return;
                }
                board.request_image(move |_, image| {
                    let _ = tx.send(image.and_then(pixels));
                });
            });
        })
        .map_err(|e| unreadable(&e))?;
        rx.recv_timeout(ANSWER_WITHIN)
            .map_err(|_| unreadable(&"the clipboard's owner did not answer"))
    }

    /// A GDK image's pixels as tightly packed RGBA (GDK keeps 8-bit RGB or RGBA rows,
    /// each padded to its stride).
    fn pixels(image: &Pixbuf) -> Option<Content> {
        let channels = usize::try_from(image.n_channels()).ok()?;
        if image.bits_per_sample() != 8 || !(channels == 3 || channels == 4) {
            return None;
        }
        let width = usize::try_from(image.width()).ok()?;
        let height = usize::try_from(image.height()).ok()?;
        let stride = usize::try_from(image.rowstride()).ok()?;
        let bytes = image.read_pixel_bytes();
        let mut rgba = Vec::with_capacity(width * height * 4);
        for y in 0..height {
            let row = bytes.get(y * stride..y * stride + width * channels)?;
            for pixel in row.chunks_exact(channels) {
                rgba.extend_from_slice(&pixel[..3]);
                rgba.push(if channels == 4 { pixel[3] } else { u8::MAX });
            }
        }
        Some(Content::Pixels {
            width: u32::try_from(width).ok()?,
            height: u32::try_from(height).ok()?,
            rgba,
        })
    }

    /// Puts `text` on the clipboard (the primary selection is left alone). GTK serves it
    /// from this process for as long as the app runs.
    pub fn write_text<R: Runtime>(app: &AppHandle<R>, text: &str) -> IpcResult<()> {
        let text = text.to_owned();
        app.run_on_main_thread(move || Clipboard::get(&SELECTION_CLIPBOARD).set_text(&text))
            .map_err(|e| unavailable(e, "written", WRITE_FAILED))
    }
}

#[cfg(not(target_os = "linux"))]
mod system_board {
    use std::sync::Mutex;

    use super::*;

    /// Copied files first (a file manager's Copy; the file keeps its name and type), then
    /// pixels. `None` when there is neither.
    pub fn read<R: Runtime>(_app: &AppHandle<R>) -> IpcResult<Option<Content>> {
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
            Err(arboard::Error::ContentNotAvailable | arboard::Error::ConversionFailure) => {
                Ok(None)
            }
            Err(e) => Err(unreadable(e)),
        }
    }

    /// The clipboard that serves what the app copied: kept for the life of the app, as
    /// some systems take the text away with the last `Clipboard`.
    static WRITER: Mutex<Option<arboard::Clipboard>> = Mutex::new(None);

    /// Puts `text` on the clipboard.
    pub fn write_text<R: Runtime>(_app: &AppHandle<R>, text: &str) -> IpcResult<()> {
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
}

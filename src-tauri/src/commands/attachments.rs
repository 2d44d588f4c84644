//! Getting an image into the composer: the native file dialog, dropped paths or the
//! clipboard. Bytes never travel through JS; the image is checked by magic bytes, prepared
//! with the image settings (size limits, metadata) and copied into the library. Only paths
//! that Rust itself got from the dialog, a native drop or the clipboard are read.

use std::path::PathBuf;

use dynaspark_core::Attached;
use serde::Serialize;
use tauri::{AppHandle, Runtime, State};

use crate::clipboard;
use crate::drops::Drops;
use crate::error::{IpcError, IpcResult};
use crate::AppState;

/// Opens the system file dialog filtered to images. `None` when the person cancels.
#[tauri::command]
pub async fn pick_image<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
) -> IpcResult<Option<Attached>> {
    // Async dialog: a blocking one on the main thread deadlocks, GTK runs there.
    let picked = rfd::AsyncFileDialog::new()
        .set_title("Attach an image")
        // Both cases: GTK matches filter patterns case-sensitively (IMG_0001.JPG).
        .add_filter(
            format!("Images ({})", dynaspark::SUPPORTED_FORMATS),
            dynaspark::dialog_extensions(),
        )
        .add_filter("All files", &["*"])
        .set_parent(&window)
        .pick_file()
        .await;
    let Some(file) = picked else { return Ok(None) };
    let path = file.path().to_owned();
    tracing::info!(name = ?path.file_name(), "image picked");
    import(&state, path).await.map(Some)
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Imported {
    #[serde(flatten)]
    attached: Attached,
    /// Paths dropped beside the one attached (one image per question).
    ignored: usize,
}

/// Attaches the first of the paths of a drop onto the window. The paths must be those the
/// native drop event gave Rust moments ago: the page cannot name a file to be read.
#[tauri::command]
pub async fn import_image_paths(
    state: State<'_, AppState>,
    drops: State<'_, Drops>,
    paths: Vec<PathBuf>,
) -> IpcResult<Imported> {
    let first = paths
        .first()
        .cloned()
        .ok_or_else(|| IpcError::new("no_file", "Nothing was dropped."))?;
    if !drops.claim(&paths) {
        tracing::warn!(
            count = paths.len(),
            "refused paths that were not dropped on the window"
        );
        return Err(IpcError::new(
            "not_dropped",
            "Only files dropped on the window or chosen with Attach can be attached.",
        ));
    }
    let attached = import(&state, first).await?;
    Ok(Imported {
        attached,
        ignored: paths.len() - 1,
    })
}

/// Attaches what the clipboard holds (Ctrl/Cmd+V): the first of copied files (a file
/// manager's Copy), else a copied image (a screenshot, an image copied in a browser or an
/// editor). Rust reads the clipboard itself, so the page names no file here either. `None`
/// when the clipboard holds neither.
#[tauri::command]
pub async fn paste_image<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> IpcResult<Option<Imported>> {
    let images = state.images.clone();
    let options = state.settings.get().image_options();
    let pasted = tauri::async_runtime::spawn_blocking(move || -> IpcResult<Option<Imported>> {
        let Some(content) = clipboard::read(&app)? else {
            return Ok(None);
        };
        let (attached, ignored) = match content {
            clipboard::Content::Pixels {
                width,
                height,
                rgba,
            } => {
                tracing::info!(width, height, "image pasted");
                (
                    images.import_rgba("Pasted image.png", width, height, rgba, &options)?,
                    0,
                )
            }
            clipboard::Content::Files(paths) => {
                tracing::info!(count = paths.len(), "files pasted");
                (
                    images.import_file_with(&paths[0], &options)?,
                    paths.len() - 1,
                )
            }
        };
        Ok(Some(Imported { attached, ignored }))
    })
    .await??;
    Ok(pasted)
}

async fn import(state: &AppState, path: PathBuf) -> IpcResult<Attached> {
    let images = state.images.clone();
    let options = state.settings.get().image_options();
    let result =
        tauri::async_runtime::spawn_blocking(move || images.import_file_with(&path, &options))
            .await?;
    Ok(result?)
}

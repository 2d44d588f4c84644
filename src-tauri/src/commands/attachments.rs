//! Getting an image into the composer: the native file dialog or dropped paths. Bytes never
//! travel through JS; the image is checked by magic bytes and copied into the library.

use std::path::PathBuf;

use dynaspark_core::StoredImage;
use serde::Serialize;
use tauri::State;

use crate::error::{IpcError, IpcResult};
use crate::AppState;

const EXTENSIONS: [&str; 5] = ["png", "jpg", "jpeg", "gif", "webp"];

/// Opens the system file dialog filtered to images. `None` when the person cancels.
#[tauri::command]
pub async fn pick_image(
    window: tauri::Window,
    state: State<'_, AppState>,
) -> IpcResult<Option<StoredImage>> {
    // Async dialog: a blocking one on the main thread deadlocks, GTK runs there.
    let picked = rfd::AsyncFileDialog::new()
        .set_title("Attach an image")
        .add_filter("Images (PNG, JPEG, GIF, WebP)", &EXTENSIONS)
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
    image: StoredImage,
    /// Paths dropped beside the one attached (one image per question).
    ignored: usize,
}

/// Attaches the first of the dropped paths.
#[tauri::command]
pub async fn import_image_paths(
    state: State<'_, AppState>,
    paths: Vec<String>,
) -> IpcResult<Imported> {
    let first = paths
        .first()
        .ok_or_else(|| IpcError::new("no_file", "Nothing was dropped."))?;
    let image = import(&state, PathBuf::from(first)).await?;
    Ok(Imported {
        image,
        ignored: paths.len() - 1,
    })
}

async fn import(state: &AppState, path: PathBuf) -> IpcResult<StoredImage> {
    let images = state.images.clone();
    let result = tauri::async_runtime::spawn_blocking(move || images.import_file(&path)).await?;
    Ok(result?)
}

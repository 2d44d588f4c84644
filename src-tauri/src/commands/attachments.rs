//! Getting an image into the composer: the native file dialog or dropped paths. Bytes never
//! travel through JS; the image is checked by magic bytes and copied into the library.
//! Only paths that Rust itself got from the dialog or a native drop are read.

use std::path::PathBuf;

use dynaspark_core::StoredImage;
use serde::Serialize;
use tauri::{Runtime, State};

use crate::drops::Drops;
use crate::error::{IpcError, IpcResult};
use crate::AppState;

/// Opens the system file dialog filtered to images. `None` when the person cancels.
#[tauri::command]
pub async fn pick_image<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
) -> IpcResult<Option<StoredImage>> {
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
    image: StoredImage,
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
    let image = import(&state, first).await?;
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

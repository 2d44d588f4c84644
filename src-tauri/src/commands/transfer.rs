//! Export to Markdown or JSON and import of a JSON export, through the native dialogs.
//! The files' formats live in `dynaspark_core::exchange`; this only asks where.

use dynaspark_core::{ExportFormat, ExportReport, ImportReport};
use tauri::{Runtime, State};

use crate::error::IpcResult;
use crate::AppState;

/// Asks where to save, then writes the conversations (`ids`, or all of them) there.
/// `None` when the person cancels the dialog.
#[tauri::command]
pub async fn export_history<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
    ids: Option<Vec<i64>>,
    format: ExportFormat,
) -> IpcResult<Option<ExportReport>> {
    let (extension, kind) = match format {
        ExportFormat::Markdown => ("md", "Markdown"),
        ExportFormat::Json => ("json", "JSON"),
    };
    let stem = match ids.as_deref() {
        Some([one]) => {
            let id = *one;
            let title = state.with_history(move |h| h.summary(id)).await?.title;
            file_stem(&title)
        }
        _ => "Dynaspark conversations".to_owned(),
    };
    // Async dialog: a blocking one on the main thread deadlocks, GTK runs there.
    let picked = rfd::AsyncFileDialog::new()
        .set_title("Export conversations")
        .set_file_name(format!("{stem}.{extension}"))
        .add_filter(kind, &[extension])
        .set_parent(&window)
        .save_file()
        .await;
    let Some(file) = picked else { return Ok(None) };
    let dest = file.path().to_owned();
    let images = state.images.clone();
    // The core logs what was written.
    let report = state
        .with_history(move |h| dynaspark_core::export(h, &images, ids.as_deref(), format, &dest))
        .await?;
    Ok(Some(report))
}

/// Asks for a JSON export and adds its conversations (ones already here are skipped).
#[tauri::command]
pub async fn import_history<R: Runtime>(
    window: tauri::Window<R>,
    state: State<'_, AppState>,
) -> IpcResult<Option<ImportReport>> {
    let picked = rfd::AsyncFileDialog::new()
        .set_title("Import conversations")
        .add_filter("Dynaspark export (JSON)", &["json"])
        .add_filter("All files", &["*"])
        .set_parent(&window)
        .pick_file()
        .await;
    let Some(file) = picked else { return Ok(None) };
    let src = file.path().to_owned();
    let images = state.images.clone();
    let report = state
        .with_history(move |h| dynaspark_core::import(h, &images, &src))
        .await?;
    Ok(Some(report))
}

/// A conversation title as a file name that every system accepts.
fn file_stem(title: &str) -> String {
    let cleaned: String = title
        .chars()
        .map(|c| {
            if c.is_control() || r#"<>:"/\|?*"#.contains(c) {
                ' '
            } else {
                c
            }
        })
        .collect();
    let stem = cleaned
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(60)
        .collect::<String>()
        .trim_matches(['.', ' '])
        .to_owned();
    if stem.is_empty() {
        "Conversation".to_owned()
    } else {
        stem
    }
}

#[cfg(test)]
mod tests {
    use super::file_stem;

    #[test]
    fn titles_become_safe_file_names() {
        assert_eq!(file_stem("What is: this/that?"), "What is this that");
        assert_eq!(file_stem("Привет, мир"), "Привет, мир");
        assert_eq!(file_stem("..."), "Conversation");
        assert_eq!(file_stem("a\u{0}b"), "a b");
    }
}

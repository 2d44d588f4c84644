// The app manifest makes every command need an explicit permission, so the
// capability file lists exactly what the UI may call.
fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "list_conversations",
            "get_conversation",
            "rename_conversation",
            "delete_conversation",
            "pick_image",
            "import_image_paths",
            "send_message",
            "ask",
            "cancel",
            "get_settings",
            "save_settings",
            "open_url",
        ]),
    ))
    .expect("failed to run tauri-build");
}

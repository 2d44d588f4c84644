// The app manifest makes every command need an explicit permission, so the
// capability file lists exactly what the UI may call.
fn main() {
    tauri_build::try_build(tauri_build::Attributes::new().app_manifest(
        tauri_build::AppManifest::new().commands(&[
            "app_info",
            "open_url",
            "list_conversations",
            "get_conversation",
            "rename_conversation",
            "set_pinned",
            "delete_conversation",
            "restore_conversation",
            "purge_conversation",
            "clear_history",
            "list_messages",
            "delete_message",
            "search_messages",
            "pick_image",
            "paste_image",
            "import_image_paths",
            "send_message",
            "ask",
            "cancel",
            "context_image",
            "get_instructions",
            "set_instructions",
            "get_settings",
            "save_settings",
            "check_keyring",
            "test_proxy",
            "open_logs_folder",
            "open_data_folder",
            "copy_text",
            "get_ui_state",
            "set_ui_state",
            "export_history",
            "import_history",
            "check_for_update",
            "install_update",
        ]),
    ))
    .expect("failed to run tauri-build");
}

//! The IPC commands. Each parses its arguments, calls core code, and maps the error.

mod attachments;
mod chat;
mod conversations;
mod messages;
mod settings;
mod system;
mod transfer;

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        system::app_info,
        system::open_url,
        conversations::list_conversations,
        conversations::get_conversation,
        conversations::rename_conversation,
        conversations::set_pinned,
        conversations::delete_conversation,
        conversations::restore_conversation,
        conversations::purge_conversation,
        conversations::clear_history,
        messages::list_messages,
        messages::delete_message,
        messages::search_messages,
        attachments::pick_image,
        attachments::import_image_paths,
        chat::send_message,
        chat::ask,
        chat::cancel,
        settings::get_settings,
        settings::save_settings,
        settings::check_keyring,
        transfer::export_history,
        transfer::import_history,
    ]
}

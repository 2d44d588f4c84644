//! The IPC commands. Each parses its arguments, calls core code, and maps the error.

mod attachments;
mod chat;
mod conversations;
mod settings;
mod system;

pub fn handler() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        system::app_info,
        system::open_url,
        conversations::list_conversations,
        conversations::get_conversation,
        conversations::rename_conversation,
        conversations::delete_conversation,
        attachments::pick_image,
        attachments::import_image_paths,
        chat::send_message,
        chat::ask,
        chat::cancel,
        settings::get_settings,
        settings::save_settings,
    ]
}

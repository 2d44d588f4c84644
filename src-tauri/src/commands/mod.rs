//! The IPC commands. Each parses its arguments, calls core code, and maps the error.

mod attachments;
mod chat;
mod conversations;
mod messages;
mod settings;
mod system;
#[cfg(test)]
mod tests;
mod transfer;
mod ui_state;
mod updates;

pub use updates::UpdateState;

use tauri::ipc::Invoke;
use tauri::Runtime;

/// Every command, on any runtime (Wry in the app, the mock runtime in tests).
pub fn handler<R: Runtime>() -> impl Fn(Invoke<R>) -> bool + Send + Sync + 'static {
    tauri::generate_handler![
        system::app_info,
        system::show_window,
        system::open_url,
        system::open_logs_folder,
        system::open_data_folder,
        system::copy_text,
        ui_state::get_ui_state,
        ui_state::set_ui_state,
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
        messages::switch_version,
        messages::reveal_message,
        attachments::pick_image,
        attachments::paste_image,
        attachments::import_image_paths,
        chat::send_message,
        chat::edit_question,
        chat::ask,
        chat::cancel,
        chat::context_image,
        chat::get_instructions,
        chat::set_instructions,
        settings::get_settings,
        settings::save_settings,
        settings::check_keyring,
        settings::test_proxy,
        transfer::export_history,
        transfer::import_history,
        updates::check_for_update,
        updates::install_update,
    ]
}

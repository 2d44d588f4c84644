//! Dynaspark Desktop's Tauri shell: plugins, managed state, the command list and the
//! image protocol. Logic lives in the `dynaspark` and `dynaspark-core` crates.

mod commands;
mod error;
mod events;
mod image_protocol;
mod logging;
mod settings_store;
mod state;

use tauri::Manager as _;

pub use state::AppState;

/// Environment variable that replaces the configured endpoint (tests, offline use).
pub const ENV_ENDPOINT: &str = "DYNASPARK_ENDPOINT";
/// Environment variable that replaces the data directory (tests never touch real data).
pub const ENV_DATA_DIR: &str = "DYNASPARK_DATA_DIR";

pub fn run() {
    tauri::Builder::default()
        .plugin(tauri_plugin_store::Builder::new().build())
        .plugin(tauri_plugin_opener::init())
        .register_asynchronous_uri_scheme_protocol(image_protocol::SCHEME, image_protocol::handle)
        .setup(|app| {
            let data_dir = match std::env::var_os(ENV_DATA_DIR).filter(|v| !v.is_empty()) {
                Some(dir) => std::path::PathBuf::from(dir),
                None => app.path().app_data_dir()?,
            };
            std::fs::create_dir_all(&data_dir)?;
            let guard = logging::init(&data_dir.join("logs"));
            tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = %data_dir.display(), "starting");
            let state = AppState::open(app.handle(), data_dir, guard)?;
            app.manage(state);
            Ok(())
        })
        .invoke_handler(commands::handler())
        .run(tauri::generate_context!())
        .expect("error while running Dynaspark Desktop");
}

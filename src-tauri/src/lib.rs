//! Dynaspark Desktop's Tauri shell: plugins, managed state, the command list and the
//! image protocol. Logic lives in the `dynaspark` and `dynaspark-core` crates.

mod clipboard;
mod commands;
mod drops;
mod error;
mod events;
mod image_protocol;
mod in_flight;
mod logging;
mod menu;
#[cfg(test)]
mod mock_app;
mod rendering;
mod settings_store;
mod single_instance;
mod startup;
mod state;
mod sync;
mod window_place;

use tauri::{Manager as _, Runtime};

pub use state::AppState;

/// Environment variable that replaces the configured endpoint (tests, offline use).
pub const ENV_ENDPOINT: &str = "DYNASPARK_ENDPOINT";
/// Environment variable that replaces the data directory (tests never touch real data).
pub const ENV_DATA_DIR: &str = "DYNASPARK_DATA_DIR";

/// Opens the data folder and runs the app. A start that fails is logged, shown in a
/// native dialog instead of the main window, and ends the process with status 1.
pub fn run() {
    // Before GTK, WebKit or any other thread starts: they read the environment.
    let rendering = rendering::choose();
    let js_heap_growth = rendering::limit_heap_growth();
    let app = match build_app(tauri::Builder::default()).build(tauri::generate_context!()) {
        Ok(app) => app,
        Err(e) => {
            // Before a window system answers there is nothing to show a dialog on.
            eprintln!("{}: {e}", startup::FAILURE_TITLE);
            std::process::exit(1);
        }
    };
    let data_dir = startup::data_dir(app.handle());
    let mut log_guard = logging::init(
        data_dir
            .as_ref()
            .ok()
            .map(|d| d.join(logging::LOG_DIR))
            .as_deref(),
    );
    tracing::info!(version = env!("CARGO_PKG_VERSION"), data_dir = ?data_dir.as_ref().ok(), ?rendering, ?js_heap_growth, "starting");
    // Before the history is opened: a second start must not touch it.
    let _instance = match &data_dir {
        Ok(dir) => match single_instance::claim(dir, front(app.handle().clone())) {
            Ok(single_instance::Claim::First(guard)) => Some(guard),
            Ok(single_instance::Claim::HandedOver) => {
                tracing::info!("already running on this data folder: brought it to the front");
                drop(log_guard.take());
                std::process::exit(0);
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not check for another start; starting anyway");
                None
            }
        },
        Err(_) => None,
    };
    let opened = data_dir.and_then(|dir| startup::open_state(dir, startup::endpoint_override()));
    // Managed state makes `setup` open the main window; without it there is none.
    let mut failure = match opened {
        Ok(state) => {
            app.manage(state);
            None
        }
        Err(failure) => {
            failure.log();
            Some(failure)
        }
    };
    app.run(move |handle, event| match event {
        // The dialog needs the running event loop: GTK belongs to its thread.
        tauri::RunEvent::Ready => {
            if let Some(failure) = failure.take() {
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    failure.show().await;
                    handle.exit(1);
                });
            }
        }
        tauri::RunEvent::Exit => {
            tracing::info!("stopped");
            // The process ends without dropping what Tauri holds: flush the log now.
            drop(log_guard.take());
        }
        _ => {}
    });
}

/// Brings the main window to the front (a second start asked for it).
fn front<R: Runtime>(app: tauri::AppHandle<R>) -> impl Fn() + Send + 'static {
    move || {
        if let Some(window) = app.get_webview_window(window_place::MAIN) {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    }
}

/// The app on any runtime: `run` builds it on Wry, tests on `tauri::test::mock_builder()`.
/// The caller manages `AppState`.
pub(crate) fn build_app<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(drops::Drops::default())
        .manage(commands::UpdateState::default())
        .register_asynchronous_uri_scheme_protocol(image_protocol::SCHEME, image_protocol::handle)
        .on_window_event(|window, event| {
            if let tauri::WindowEvent::DragDrop(drop) = event {
                drops::on_drag_drop(window, drop);
            }
            window_place::on_window_event(window, event);
        })
        .on_webview_event(|webview, event| {
            if let tauri::WebviewEvent::DragDrop(drop) = event {
                drops::on_drag_drop(webview, drop);
            }
        })
        .invoke_handler(commands::handler())
        .setup(|app| {
            // macOS apps have a menu bar (Copy and Paste go through it); Linux and Windows
            // windows stay without one.
            #[cfg(target_os = "macos")]
            menu::install(app)?;
            // The main window only once the data is open (see `run`), where it was left.
            let Some(data_dir) = app.try_state::<AppState>().map(|s| s.data_dir.clone()) else {
                return Ok(());
            };
            app.manage(window_place::Tracker::open(
                data_dir.join(dynaspark_core::WINDOW_FILE),
            ));
            for config in &app.config().app.windows {
                let mut builder = tauri::WebviewWindowBuilder::from_config(app.handle(), config)?;
                let mut maximize = false;
                if config.label == window_place::MAIN {
                    (builder, maximize) =
                        window_place::place_builder(app.handle(), builder, config);
                }
                let window = builder.build()?;
                if maximize {
                    window.maximize()?;
                }
                if !config.visible {
                    window_place::show_anyway_later(window);
                }
            }
            Ok(())
        })
}

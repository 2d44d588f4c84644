//! The main window opens where it was left (`dynaspark_core::WindowPlace`): the saved
//! place is fitted to today's screens and given to the window before it is made (no
//! jump after it shows); moves and resizes are recorded as they happen and saved half a
//! second after the last one, and at once when the window closes.
//!
//! It is made hidden (`"visible": false` in tauri.conf.json) and the page shows it once it
//! has its first content (`show_window`), or `SHOW_ANYWAY_AFTER` at the latest. Shown at
//! once, the window asks WebKitGTK for a frame while the page is still loading; without
//! compositing (no GPU, `rendering.rs`) the GTK thread then waits for the web process's
//! reply, up to half a second, and with it every request the page makes to the app (its
//! modules, the first commands): starts here took either 370–570 or 900–990 ms, at random.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use dynaspark_core::{Area, WindowPlace};
use tauri::{AppHandle, Manager, Runtime, Window, WindowEvent};

/// The window whose place is kept.
pub const MAIN: &str = "main";
const SAVE_AFTER: Duration = Duration::from_millis(500);
/// When the page has not shown the main window by then (it failed to load, say), it
/// shows anyway: a window with an error in it rather than none.
pub const SHOW_ANYWAY_AFTER: Duration = Duration::from_secs(3);

/// The place as last seen, and where it goes.
pub struct Tracker {
    path: PathBuf,
    place: Mutex<Option<WindowPlace>>,
    /// Bumped by every change: a pending save that sees a newer one leaves it the work.
    changes: AtomicU64,
}

impl Tracker {
    /// Reads the saved place from `path` (a damaged file is moved aside).
    pub fn open(path: PathBuf) -> Self {
        let place = WindowPlace::load(&path);
        Self {
            path,
            place: Mutex::new(place),
            changes: AtomicU64::new(0),
        }
    }

    pub fn saved(&self) -> Option<WindowPlace> {
        *crate::sync::lock(&self.place)
    }

    fn save(&self) {
        let Some(place) = self.saved() else { return };
        match place.save(&self.path) {
            Ok(()) => tracing::debug!(?place, "window place saved"),
            Err(e) => tracing::warn!(error = %e, "the window's place could not be saved"),
        }
    }
}

/// The main window's builder set to the saved place, fitted to the screens there are;
/// `true` when it should be maximised once made.
pub fn place_builder<'a, R: Runtime, M: Manager<R>>(
    app: &AppHandle<R>,
    builder: tauri::WebviewWindowBuilder<'a, R, M>,
    config: &tauri::utils::config::WindowConfig,
) -> (tauri::WebviewWindowBuilder<'a, R, M>, bool) {
    let Some(saved) = app.try_state::<Tracker>().and_then(|t| t.saved()) else {
        return (builder, false);
    };
    let screens: Vec<Area> = app
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let scale = m.scale_factor();
            let at = m.position().to_logical::<f64>(scale);
            let size = m.size().to_logical::<f64>(scale);
            Area {
                x: at.x,
                y: at.y,
                width: size.width,
                height: size.height,
            }
        })
        .collect();
    let min = (
        config.min_width.unwrap_or(0.0),
        config.min_height.unwrap_or(0.0),
    );
    let fitted = saved.fitted(&screens, min);
    tracing::debug!(?saved, ?fitted, screens = screens.len(), "window placed");
    let mut builder = builder.inner_size(fitted.width, fitted.height);
    if let Some((x, y)) = fitted.position {
        builder = builder.position(x, y);
    }
    (builder, fitted.maximized)
}

/// Shows the main window, hidden until now, and gives it the focus. `why` goes to the log.
pub fn show<R: Runtime>(window: &tauri::WebviewWindow<R>, why: &'static str) {
    if window.is_visible().unwrap_or(false) {
        return;
    }
    if let Err(e) = window.show().and_then(|()| window.set_focus()) {
        tracing::warn!(error = %e, why, "could not show the main window");
    } else {
        tracing::info!(why, "main window shown");
    }
}

/// Shows `window` after `SHOW_ANYWAY_AFTER` unless the page showed it before.
pub fn show_anyway_later<R: Runtime>(window: tauri::WebviewWindow<R>) {
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SHOW_ANYWAY_AFTER).await;
        show(&window, "the page did not show it in time");
    });
}

/// Records the main window's place after it moved, was resized or is closing.
pub fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    if window.label() != MAIN {
        return;
    }
    let closing = match event {
        WindowEvent::Resized(_)
        | WindowEvent::Moved(_)
        | WindowEvent::ScaleFactorChanged { .. } => false,
        WindowEvent::CloseRequested { .. } => true,
        _ => return,
    };
    let Some(tracker) = window.try_state::<Tracker>() else {
        return;
    };
    if !record(window, &tracker) {
        return;
    }
    let change = tracker.changes.fetch_add(1, Ordering::SeqCst) + 1;
    if closing {
        tracker.save();
        return;
    }
    let app = window.app_handle().clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(SAVE_AFTER).await;
        let tracker = app.state::<Tracker>();
        if tracker.changes.load(Ordering::SeqCst) == change {
            tracker.save();
        }
    });
}

/// The window's place now into `tracker`; a maximised window keeps the size and
/// position it had before. `false` when there is nothing to record (minimised).
fn record<R: Runtime>(window: &Window<R>, tracker: &Tracker) -> bool {
    if window.is_minimized().unwrap_or(false) {
        return false;
    }
    let maximized = window.is_maximized().unwrap_or(false);
    let mut kept = crate::sync::lock(&tracker.place);
    if maximized {
        if let Some(place) = kept.as_mut() {
            place.maximized = true;
            return true;
        }
    }
    let (Ok(scale), Ok(size), Ok(at)) = (
        window.scale_factor(),
        window.inner_size(),
        window.outer_position(),
    ) else {
        return false;
    };
    let size = size.to_logical::<f64>(scale);
    let at = at.to_logical::<f64>(scale);
    *kept = Some(WindowPlace {
        width: size.width,
        height: size.height,
        x: at.x,
        y: at.y,
        maximized,
    });
    true
}

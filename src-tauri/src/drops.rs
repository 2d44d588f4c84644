//! Paths the person dropped on the window, as the native drag-and-drop event gave them to
//! Rust. `import_image_paths` copies only these: a path merely named by script is refused.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tauri::{DragDropEvent, Runtime};

/// How long a drop may wait for the page to ask for it (it asks at once).
pub const DROP_EXPIRY: Duration = Duration::from_secs(30);
/// Drops remembered at most; older ones are forgotten first.
const KEEP: usize = 8;

#[derive(Default)]
pub struct Drops {
    recent: Mutex<Vec<Dropped>>,
}

struct Dropped {
    paths: Vec<PathBuf>,
    at: Instant,
}

impl Drops {
    pub fn record(&self, paths: &[PathBuf]) {
        self.record_at(paths, Instant::now());
    }

    /// Takes the drop that holds every one of `paths`, if it is recent: each drop serves
    /// one import. `false` when no such drop was made.
    pub fn claim(&self, paths: &[PathBuf]) -> bool {
        self.claim_at(paths, Instant::now())
    }

    fn record_at(&self, paths: &[PathBuf], now: Instant) {
        if paths.is_empty() {
            return;
        }
        let mut recent = self.lock();
        recent.retain(|d| now.duration_since(d.at) < DROP_EXPIRY);
        if recent.len() >= KEEP {
            recent.remove(0);
        }
        recent.push(Dropped {
            paths: paths.to_vec(),
            at: now,
        });
    }

    fn claim_at(&self, paths: &[PathBuf], now: Instant) -> bool {
        let mut recent = self.lock();
        recent.retain(|d| now.duration_since(d.at) < DROP_EXPIRY);
        let found = recent
            .iter()
            .rposition(|d| !paths.is_empty() && paths.iter().all(|p| d.paths.contains(p)));
        match found {
            Some(i) => {
                recent.remove(i);
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Dropped>> {
        crate::sync::lock(&self.recent)
    }
}

/// The window's (or its webview's) drag-and-drop event: a drop is recorded before the
/// page hears of it, since both happen on the main thread and the page's call comes after.
pub fn on_drag_drop<R: Runtime, M: tauri::Manager<R>>(manager: &M, event: &DragDropEvent) {
    if let DragDropEvent::Drop { paths, .. } = event {
        tracing::info!(count = paths.len(), "files dropped");
        if let Some(drops) = manager.try_state::<Drops>() {
            drops.record(paths);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tauri::Manager as _;

    fn paths(names: &[&str]) -> Vec<PathBuf> {
        names.iter().map(PathBuf::from).collect()
    }

    #[test]
    fn only_dropped_paths_are_claimed_and_only_once() {
        let drops = Drops::default();
        assert!(
            !drops.claim(&paths(&["/etc/passwd"])),
            "nothing was dropped"
        );
        drops.record(&paths(&["/home/a/blue.png", "/home/a/notes.png"]));
        assert!(!drops.claim(&paths(&["/home/a/.ssh/id_ed25519"])));
        assert!(!drops.claim(&paths(&["/home/a/blue.png", "/etc/passwd"])));
        assert!(!drops.claim(&[]));
        assert!(drops.claim(&paths(&["/home/a/blue.png", "/home/a/notes.png"])));
        assert!(
            !drops.claim(&paths(&["/home/a/blue.png"])),
            "a drop serves one import"
        );
    }

    #[test]
    fn a_drop_expires() {
        let drops = Drops::default();
        let then = Instant::now();
        drops.record_at(&paths(&["/a.png"]), then);
        assert!(!drops.claim_at(&paths(&["/a.png"]), then + DROP_EXPIRY));
        drops.record_at(&paths(&["/a.png"]), then);
        assert!(drops.claim_at(&paths(&["/a.png"]), then + DROP_EXPIRY / 2));
    }

    #[test]
    fn the_native_event_records_the_drop() {
        let app = tauri::test::mock_builder()
            .manage(Drops::default())
            .build(tauri::test::mock_context(tauri::test::noop_assets()))
            .unwrap();
        let dropped = paths(&["/tmp/x.png"]);
        on_drag_drop(
            app.handle(),
            &DragDropEvent::Enter {
                paths: dropped.clone(),
                position: Default::default(),
            },
        );
        assert!(
            !app.state::<Drops>().claim(&dropped),
            "hovering is not dropping"
        );
        on_drag_drop(
            app.handle(),
            &DragDropEvent::Drop {
                paths: dropped.clone(),
                position: Default::default(),
            },
        );
        assert!(app.state::<Drops>().claim(&dropped));
    }
}

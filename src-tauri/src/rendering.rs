//! How WebKitGTK draws the page on Linux.
//!
//! WebKitGTK composites the page with OpenGL. With a GPU that is the fast path; without
//! one (a virtual machine, a remote desktop, a box with no graphics driver, Xvfb) Mesa
//! emulates OpenGL on the CPU (llvmpipe), and every frame is drawn twice: rasterised,
//! then composited by the emulator. Measured here (2 cores, no GPU, Xvfb, the 5,000-message
//! conversation of `make bench-history`): with compositing off, the memory of the app
//! and its WebKit processes falls from 396 to 260 MB, the median frame while scrolling
//! from 37 to 16 ms, and opening the conversation paints in 113 ms instead of 184.
//!
//! So when the machine has no GPU render node (`/dev/dri/renderD*`), the app turns
//! compositing off before WebKit starts (`WEBKIT_DISABLE_COMPOSITING_MODE=1`, which its
//! web process inherits). A machine with a GPU keeps WebKit's default, and a value the
//! person set themselves always wins: `WEBKIT_DISABLE_COMPOSITING_MODE=0` keeps
//! compositing on, `=1` turns it off everywhere.

use std::path::Path;

/// WebKitGTK's switch: set and not "0", the page is drawn without compositing.
pub const COMPOSITING_ENV: &str = "WEBKIT_DISABLE_COMPOSITING_MODE";
/// Where Linux lists the GPUs that can render (`renderD128`, …).
#[cfg(target_os = "linux")]
const DRI_DIR: &str = "/dev/dri";

/// What was decided, for the log (which is not open yet when the choice is made).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rendering {
    /// The person's own `WEBKIT_DISABLE_COMPOSITING_MODE` stays as they set it.
    AsSet,
    /// A GPU is there: WebKit's default (composited with OpenGL).
    Gpu,
    /// No GPU: compositing turned off.
    NoGpu,
    /// Not Linux: WebKitGTK is not the engine.
    #[cfg_attr(target_os = "linux", allow(dead_code))]
    NotWebKitGtk,
}

impl Rendering {
    /// Whether the app itself turns compositing off.
    fn disables_compositing(self) -> bool {
        self == Rendering::NoGpu
    }
}

/// The choice from what is set and what the machine has. Pure, for the tests.
pub fn decide(already_set: bool, has_render_node: bool) -> Rendering {
    if already_set {
        Rendering::AsSet
    } else if has_render_node {
        Rendering::Gpu
    } else {
        Rendering::NoGpu
    }
}

/// Whether `dir` lists a render node (`renderD…`). A missing or unreadable folder: none.
pub fn has_render_node(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
        })
        .unwrap_or(false)
}

/// Decides and applies the choice. Called first thing in `run`, before Tauri starts
/// GTK and WebKit or any thread that could read the environment.
pub fn choose() -> Rendering {
    #[cfg(target_os = "linux")]
    {
        let choice = decide(
            std::env::var_os(COMPOSITING_ENV).is_some(),
            has_render_node(Path::new(DRI_DIR)),
        );
        if choice.disables_compositing() {
            std::env::set_var(COMPOSITING_ENV, "1");
        }
        choice
    }
    #[cfg(not(target_os = "linux"))]
    {
        Rendering::NotWebKitGtk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compositing_goes_off_only_without_a_gpu_and_without_a_setting_of_ones_own() {
        assert_eq!(decide(false, false), Rendering::NoGpu);
        assert!(Rendering::NoGpu.disables_compositing());
        assert_eq!(decide(false, true), Rendering::Gpu);
        assert_eq!(decide(true, false), Rendering::AsSet);
        assert_eq!(decide(true, true), Rendering::AsSet);
        for kept in [Rendering::Gpu, Rendering::AsSet, Rendering::NotWebKitGtk] {
            assert!(!kept.disables_compositing());
        }
    }

    #[test]
    fn a_render_node_is_a_renderd_entry_of_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!has_render_node(&dir.path().join("missing")));
        assert!(!has_render_node(dir.path()));
        std::fs::write(dir.path().join("card0"), "").unwrap();
        assert!(!has_render_node(dir.path()), "a card without a render node");
        std::fs::write(dir.path().join("renderD128"), "").unwrap();
        assert!(has_render_node(dir.path()));
    }
}

//! How WebKitGTK draws the page on Linux, and how much garbage its JavaScript heap holds.
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
//!
//! The page's JavaScript heap: JavaScriptCore lets it grow to about four times what
//! survived the last full collection before it collects again, which with a heap of a few
//! megabytes is tens of megabytes of garbage on hold. Over a long day of questions
//! (the history bench, empty history) that was the web process climbing from 230 to 290–340
//! MB while the live heap after each full collection stayed at 12–15 MB. The app sets
//! `JSC_heapGrowthMaxIncrease=1` (about twice the live heap, 24–46 MB before a
//! collection instead of 36–86), which JavaScriptCore reads from the environment in every
//! web process: the long day's web process then stayed at 234–268 MB, with one collection
//! every 60 questions instead of every 90–120, each pausing the page 1.2 ms at the median
//! (13 ms at most, `JSC_logGC=1`). A value the person set wins here too.

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

/// JavaScriptCore's option: how far the heap may grow past its live size before the next
/// collection (see the module's documentation).
pub const HEAP_GROWTH_ENV: &str = "JSC_heapGrowthMaxIncrease";
const HEAP_GROWTH: &str = "1";

/// The value of `HEAP_GROWTH_ENV` to use: the person's own, else ours. `None` when theirs
/// is kept (nothing to set).
pub fn heap_growth(already_set: Option<&str>) -> Option<&'static str> {
    already_set.is_none().then_some(HEAP_GROWTH)
}

/// Sets the JavaScript heap's growth for the web processes unless the person did; returns
/// the value in force, for the log. Called with `choose`, before WebKit starts.
pub fn limit_heap_growth() -> Option<String> {
    #[cfg(target_os = "linux")]
    {
        let own = std::env::var(HEAP_GROWTH_ENV).ok();
        match heap_growth(own.as_deref()) {
            Some(value) => {
                std::env::set_var(HEAP_GROWTH_ENV, value);
                Some(value.to_owned())
            }
            None => own,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
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
    fn the_heap_growth_is_ours_unless_the_person_set_one() {
        assert_eq!(heap_growth(None), Some("1"));
        assert_eq!(heap_growth(Some("3")), None);
        assert_eq!(heap_growth(Some("")), None);
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

//! Where the main window was: its size, position and maximised state, remembered across
//! starts in `window.json` in the data folder. Logical pixels. Written atomically; a
//! file that cannot be read is moved aside (and the window opens at its default place).
//! On the next start the place is fitted to the screens there are then: a monitor
//! unplugged since must not leave the window off screen.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{files, Error, Result};

/// The file in the data folder.
pub const WINDOW_FILE: &str = "window.json";

/// How much of the window's top (where the title bar is) must be on a screen for the
/// position to be kept, in logical pixels.
const GRIP: f64 = 48.0;

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowPlace {
    /// Inner size when not maximised.
    pub width: f64,
    pub height: f64,
    /// Outer position when not maximised.
    pub x: f64,
    pub y: f64,
    pub maximized: bool,
}

/// A screen's area in logical pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// Where to open: a size, and a position unless the saved one is off every screen
/// (then the window system places it).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fitted {
    pub width: f64,
    pub height: f64,
    pub position: Option<(f64, f64)>,
    pub maximized: bool,
}

impl WindowPlace {
    /// The place saved at `path`. `None` when there is none, or when the file could not
    /// be read (it is moved aside then, never overwritten unread).
    pub fn load(path: &Path) -> Option<Self> {
        files::read_json_or_move_aside(path, "window place", Self::is_sane)
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(|e| Error::Io {
            action: "write",
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        files::write_atomic(path, &bytes)
    }

    fn is_sane(&self) -> bool {
        let finite = [self.width, self.height, self.x, self.y]
            .iter()
            .all(|v| v.is_finite());
        finite && self.width > 0.0 && self.height > 0.0
    }

    /// This place on `screens`: the size no smaller than `min` and no larger than the
    /// largest screen; the position kept only when the window's top strip is on one of
    /// them. No screens known: the size alone, clamped to `min`.
    pub fn fitted(&self, screens: &[Area], min: (f64, f64)) -> Fitted {
        let (max_w, max_h) = screens.iter().fold((0.0_f64, 0.0_f64), |(w, h), s| {
            (w.max(s.width), h.max(s.height))
        });
        let clamp = |v: f64, lo: f64, hi: f64| if hi > lo { v.clamp(lo, hi) } else { v.max(lo) };
        let width = clamp(self.width, min.0, max_w);
        let height = clamp(self.height, min.1, max_h);
        let on_screen = screens.iter().any(|s| {
            let overlap_x = (self.x + width).min(s.x + s.width) - self.x.max(s.x);
            let top_inside = self.y >= s.y && self.y + GRIP <= s.y + s.height;
            overlap_x >= GRIP && top_inside
        });
        Fitted {
            width,
            height,
            position: on_screen.then_some((self.x, self.y)),
            maximized: self.maximized,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCREEN: Area = Area {
        x: 0.0,
        y: 0.0,
        width: 1920.0,
        height: 1080.0,
    };
    const MIN: (f64, f64) = (720.0, 520.0);

    fn place(width: f64, height: f64, x: f64, y: f64) -> WindowPlace {
        WindowPlace {
            width,
            height,
            x,
            y,
            maximized: false,
        }
    }

    #[test]
    fn a_saved_place_comes_back_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(WINDOW_FILE);
        assert_eq!(WindowPlace::load(&path), None);
        let saved = WindowPlace {
            maximized: true,
            ..place(900.5, 640.0, 120.0, 80.0)
        };
        saved.save(&path).unwrap();
        assert_eq!(WindowPlace::load(&path), Some(saved));
        let fitted = saved.fitted(&[SCREEN], MIN);
        assert_eq!(
            fitted,
            Fitted {
                width: 900.5,
                height: 640.0,
                position: Some((120.0, 80.0)),
                maximized: true
            }
        );
    }

    #[test]
    fn a_damaged_file_is_moved_aside_not_used() {
        for damaged in [
            &b"{\"width\": 9"[..],
            b"",
            b"{\"width\":-5,\"height\":1,\"x\":0,\"y\":0,\"maximized\":false}",
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(WINDOW_FILE);
            std::fs::write(&path, damaged).unwrap();
            assert_eq!(WindowPlace::load(&path), None);
            assert!(!path.exists());
            let aside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
            assert_eq!(aside.len(), 1, "the damaged file is kept beside");
        }
    }

    #[test]
    fn a_window_off_every_screen_is_placed_by_the_system() {
        // A second monitor to the right, unplugged since.
        let fitted = place(1000.0, 700.0, 2500.0, 100.0).fitted(&[SCREEN], MIN);
        assert_eq!(fitted.position, None);
        assert_eq!((fitted.width, fitted.height), (1000.0, 700.0));
        // Title bar above the screen's top: it could not be grabbed.
        assert_eq!(
            place(1000.0, 700.0, 100.0, -30.0)
                .fitted(&[SCREEN], MIN)
                .position,
            None
        );
        // Only a sliver on screen.
        assert_eq!(
            place(1000.0, 700.0, -980.0, 100.0)
                .fitted(&[SCREEN], MIN)
                .position,
            None
        );
        // Half on the second of two screens: kept.
        let right = Area {
            x: 1920.0,
            ..SCREEN
        };
        let half = place(1000.0, 700.0, 2400.0, 100.0).fitted(&[SCREEN, right], MIN);
        assert_eq!(half.position, Some((2400.0, 100.0)));
    }

    #[test]
    fn the_size_fits_between_the_minimum_and_the_largest_screen() {
        let big = place(5000.0, 3000.0, 0.0, 0.0).fitted(&[SCREEN], MIN);
        assert_eq!((big.width, big.height), (1920.0, 1080.0));
        let small = place(100.0, 100.0, 0.0, 0.0).fitted(&[SCREEN], MIN);
        assert_eq!((small.width, small.height), MIN);
        let unknown = place(5000.0, 100.0, 0.0, 0.0).fitted(&[], MIN);
        assert_eq!((unknown.width, unknown.height), (5000.0, 520.0));
        assert_eq!(unknown.position, None);
    }
}

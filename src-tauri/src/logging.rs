//! Logs go through `tracing` to a daily-rotated file in the data directory's `logs/`, and
//! warnings and errors also to stderr (so a failed start is seen on a console too).
//! Messages must never carry secrets: types holding them redact their Debug output.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, RollingFileAppender, Rotation};
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::{fmt, prelude::*};

/// The log folder's name in the data directory.
pub const LOG_DIR: &str = "logs";
/// Files kept before the oldest is removed.
const KEEP_DAYS: usize = 14;

/// Starts logging to `dir` (created if missing; `None` or unusable: stderr only). Keep the
/// guard alive for the life of the app so lines are flushed.
pub fn init(dir: Option<&Path>) -> Option<WorkerGuard> {
    let appender = dir.and_then(|dir| match appender(dir) {
        Ok(a) => Some(a),
        Err(e) => {
            eprintln!("logging to a file disabled: {e}");
            None
        }
    });
    let (file, guard) = match appender {
        Some(a) => {
            let (writer, guard) = tracing_appender::non_blocking(a);
            let filter = file_filter(std::env::var("DYNASPARK_LOG").ok().as_deref());
            let layer = fmt::layer()
                .with_writer(writer)
                .with_ansi(false)
                .with_filter(filter);
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    let stderr = fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_filter(LevelFilter::WARN);
    let result = tracing_subscriber::registry()
        .with(file)
        .with(stderr)
        .try_init();
    if result.is_err() {
        return None;
    }
    guard
}

/// What the file records: `DYNASPARK_LOG` when set and readable (`level` or
/// `target=level`, comma-separated), else info, and debug for the app's own crates.
fn file_filter(wanted: Option<&str>) -> Targets {
    const DEFAULT: &str = "info,app_lib=debug,dynaspark=debug,dynaspark_core=debug";
    wanted
        .and_then(|w| match w.parse() {
            Ok(targets) => Some(targets),
            Err(e) => {
                eprintln!("DYNASPARK_LOG={w:?} ignored: {e}");
                None
            }
        })
        .unwrap_or_else(|| DEFAULT.parse().unwrap_or_default())
}

/// The rotating file writer. The folder is made first: the appender lists it at once to
/// remove old files, and printed "Error reading the log directory" on a first start.
fn appender(dir: &Path) -> Result<RollingFileAppender, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("dynaspark")
        .filename_suffix("log")
        .max_log_files(KEEP_DAYS)
        .build(dir)
        .map_err(|e| format!("cannot write to {}: {e}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    #[test]
    fn the_log_folder_is_made_before_the_appender_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let logs = dir.path().join("new data").join(LOG_DIR);
        let mut writer = appender(&logs).unwrap();
        writer.write_all(b"line\n").unwrap();
        writer.flush().unwrap();
        let files: Vec<_> = std::fs::read_dir(&logs).unwrap().collect();
        assert_eq!(files.len(), 1);
    }

    #[test]
    fn a_file_where_the_folder_should_be_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("data");
        std::fs::write(&file, b"not a folder").unwrap();
        let e = appender(&file.join(LOG_DIR)).err().unwrap();
        assert!(e.starts_with("cannot create "), "{e}");
    }

    #[test]
    fn the_file_filter_reads_levels_per_crate_and_ignores_what_it_cannot_read() {
        use tracing::Level;
        let default = file_filter(None);
        assert!(default.would_enable("dynaspark_core::history", &Level::DEBUG));
        assert!(!default.would_enable("tao::platform_impl", &Level::DEBUG));
        assert!(default.would_enable("tao::platform_impl", &Level::INFO));
        let wanted = file_filter(Some("warn,dynaspark=trace"));
        assert!(wanted.would_enable("dynaspark::client", &Level::TRACE));
        assert!(!wanted.would_enable("app_lib", &Level::INFO));
        let unreadable = file_filter(Some("dynaspark=loud"));
        assert!(unreadable.would_enable("app_lib", &Level::DEBUG));
        assert!(!unreadable.would_enable("wry", &Level::DEBUG));
    }
}

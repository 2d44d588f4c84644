//! Logs go through `tracing` to a daily-rotated file in the data directory's `logs/`.
//! Messages must never carry secrets: types holding them redact their Debug output.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_appender::rolling::{Builder, Rotation};
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Files kept before the oldest is removed.
const KEEP_DAYS: usize = 14;

/// Starts logging; keep the guard alive for the life of the app so lines are flushed.
pub fn init(dir: &Path) -> Option<WorkerGuard> {
    let appender = Builder::new()
        .rotation(Rotation::DAILY)
        .filename_prefix("dynaspark")
        .filename_suffix("log")
        .max_log_files(KEEP_DAYS)
        .build(dir);
    let appender = match appender {
        Ok(a) => a,
        Err(e) => {
            eprintln!("logging disabled: cannot write to {}: {e}", dir.display());
            return None;
        }
    };
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter = EnvFilter::try_from_env("DYNASPARK_LOG").unwrap_or_else(|_| {
        EnvFilter::new("info,app_lib=debug,dynaspark=debug,dynaspark_core=debug")
    });
    let result = tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(writer).with_ansi(false))
        .try_init();
    if result.is_err() {
        return None;
    }
    Some(guard)
}

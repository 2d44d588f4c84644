//! The core crate's one error type; each variant has a stable code for the UI.

use std::path::PathBuf;

use dynaspark::SUPPORTED_FORMATS;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("The history database failed: {0}")]
    Database(#[from] rusqlite::Error),

    #[error("Could not {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(transparent)]
    Image(#[from] dynaspark::Error),

    #[error("{name} is {size_mib:.1} MiB; images up to {limit_mib} MiB can be attached.")]
    ImageTooLarge {
        name: String,
        size_mib: f64,
        limit_mib: u64,
    },

    /// An image refused for what it is (its format, damage, pixels, size even scaled
    /// down), each kind with its own code: "<name>, <why>, is not a supported image.
    /// Dynaspark accepts …".
    #[error("{0} Dynaspark accepts {SUPPORTED_FORMATS}.")]
    ImageRefused(dynaspark_imaging::Refusal),

    /// The system's SQLite (Linux, macOS) is older than the history needs.
    #[error("This system's SQLite is version {found}; Dynaspark Desktop needs {needed} or later, with full-text search (FTS5). Update the system's SQLite library (libsqlite3).")]
    SqliteTooOld {
        found: &'static str,
        needed: &'static str,
    },

    #[error("The history was written by a newer Dynaspark Desktop (schema {version}); update the app to open it. The file was left as it is.")]
    NewerSchema { version: usize },

    #[error("The history could not be upgraded from schema {from} to {to} ({reason}). It was left as it was; a copy is at {}.", backup.display())]
    MigrationFailed {
        from: usize,
        to: usize,
        backup: PathBuf,
        reason: String,
    },

    #[error("{what} was not found.")]
    NotFound { what: String },

    /// Instructions are not edited by resending, and have no versions to switch.
    #[error("Message {id} is the conversation's instructions, which have no versions.")]
    NoVersions { id: i64 },

    #[error("Settings were not saved: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    InvalidSettings(Vec<crate::FieldError>),

    #[error("{} is not a Dynaspark Desktop history export{}. Nothing was imported.", path.display(), found.as_deref().map(|f| format!(" (its format is {f:?})")).unwrap_or_default())]
    NotAnExport {
        path: PathBuf,
        /// The `format` the file declares, if it declares one.
        found: Option<String>,
    },

    #[error("{} was exported by a newer Dynaspark Desktop (history format version {version}; this app reads up to version {supported}). Update the app to import it; nothing was imported.", path.display())]
    NewerExport {
        path: PathBuf,
        version: u64,
        supported: u64,
    },

    #[error("{} is not a readable history export{}: {reason}. Nothing was imported.", path.display(), line.map(|l| format!(" (line {l}, column {})", column.unwrap_or(0))).unwrap_or_default())]
    MalformedExport {
        path: PathBuf,
        /// Where in the file, when the problem has a place (1-based, as editors count).
        line: Option<usize>,
        column: Option<usize>,
        reason: String,
    },
}

impl From<dynaspark_imaging::Error> for Error {
    fn from(e: dynaspark_imaging::Error) -> Self {
        match e {
            dynaspark_imaging::Error::NotAnImage(e) => Error::Image(e),
            dynaspark_imaging::Error::Refused(refusal) => Error::ImageRefused(refusal),
        }
    }
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Database(_) => "database",
            Error::Io { .. } => "io",
            Error::Image(e) => e.code().as_str(),
            Error::ImageTooLarge { .. } => "image_too_large",
            Error::ImageRefused(refusal) => refusal.code(),
            Error::NotFound { .. } => "not_found",
            Error::NoVersions { .. } => "no_versions",
            Error::SqliteTooOld { .. } => "sqlite_too_old",
            Error::NewerSchema { .. } => "newer_schema",
            Error::MigrationFailed { .. } => "migration_failed",
            Error::InvalidSettings(_) => "invalid_settings",
            Error::NotAnExport { .. } => "not_an_export",
            Error::NewerExport { .. } => "newer_export",
            Error::MalformedExport { .. } => "malformed_export",
        }
    }

    /// An image refusal naming the image as `shown` (an import names the file in the
    /// export, not the name the person once gave the image); other errors unchanged.
    pub(crate) fn naming_image(self, shown: &str) -> Self {
        let name = shown.to_owned();
        match self {
            Error::Image(dynaspark::Error::NotAnImage { .. }) => {
                dynaspark::Error::NotAnImage { name }.into()
            }
            Error::ImageTooLarge {
                size_mib,
                limit_mib,
                ..
            } => Error::ImageTooLarge {
                name,
                size_mib,
                limit_mib,
            },
            Error::ImageRefused(refusal) => Error::ImageRefused(refusal.renamed(name)),
            other => other,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }
}

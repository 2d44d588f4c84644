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

    // Refusals of a file given as an image, each with its own code; all read
    // "<name>, <why>, is not a supported image. Dynaspark accepts …".
    /// A real image in a format the service does not take; `what` names it ("a HEIC image").
    #[error("{name}, {what}, is not a supported image. Dynaspark accepts {SUPPORTED_FORMATS}.")]
    ImageUnsupported { name: String, what: String },

    /// A file of an accepted type that does not decode: damaged, cut short, without pixels.
    #[error("{name}, {why}, is not a supported image. Dynaspark accepts {SUPPORTED_FORMATS}.")]
    ImageDamaged { name: String, why: String },

    /// More pixels than can be decoded safely (a decompression bomb), mostly judged from
    /// the header before decoding.
    #[error("{name}, {why}, is not a supported image. Dynaspark accepts {SUPPORTED_FORMATS}.")]
    ImageTooBigToOpen { name: String, why: String },

    /// Over the size limits even scaled down, or an animation that cannot be scaled here.
    #[error("{name}, {why}, is not a supported image. Dynaspark accepts {SUPPORTED_FORMATS}.")]
    ImageCannotShrink { name: String, why: String },

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
        use dynaspark_imaging::Error as E;
        match e {
            E::NotAnImage(e) => Error::Image(e),
            E::Unsupported { name, what } => Error::ImageUnsupported { name, what },
            E::Damaged { name, why } => Error::ImageDamaged { name, why },
            E::TooBigToOpen { name, why } => Error::ImageTooBigToOpen { name, why },
            E::CannotShrink { name, why } => Error::ImageCannotShrink { name, why },
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
            Error::ImageUnsupported { .. } => "image_unsupported",
            Error::ImageDamaged { .. } => "image_damaged",
            Error::ImageTooBigToOpen { .. } => "image_too_big_to_open",
            Error::ImageCannotShrink { .. } => "image_cannot_shrink",
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
            Error::ImageUnsupported { what, .. } => Error::ImageUnsupported { name, what },
            Error::ImageDamaged { why, .. } => Error::ImageDamaged { name, why },
            Error::ImageTooBigToOpen { why, .. } => Error::ImageTooBigToOpen { name, why },
            Error::ImageCannotShrink { why, .. } => Error::ImageCannotShrink { name, why },
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

//! The core crate's one error type; each variant has a stable code for the UI.

use std::path::PathBuf;

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

    #[error("{what} was not found.")]
    NotFound { what: String },

    #[error("Settings were not saved: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join(" "))]
    InvalidSettings(Vec<crate::FieldError>),
}

impl Error {
    pub fn code(&self) -> &'static str {
        match self {
            Error::Database(_) => "database",
            Error::Io { .. } => "io",
            Error::Image(e) => e.code().as_str(),
            Error::ImageTooLarge { .. } => "image_too_large",
            Error::NotFound { .. } => "not_found",
            Error::InvalidSettings(_) => "invalid_settings",
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

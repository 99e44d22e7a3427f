//! The per-locale prompt catalog and its rendered audio.
//!
//! A locale's prompts live under `prompts/<locale>/`:
//!
//! - `*.toml`: catalog files, each a flat table of prompt id to the text the caller hears.
//!   All files of a locale are merged, and an id defined in two files is an error.
//! - `rendered/<id>.wav`: the text synthesised by `recobra prompts render` (see [`render`]).
//! - `recorded/<id>.{wav,flac,ogg,mp3}`: a human recording, played in place of the rendered
//!   audio for the same id.

use std::io;
use std::path::PathBuf;

mod catalog;
pub mod library;
pub mod render;

pub use catalog::{Catalog, RECORDED_EXTENSIONS};

/// Error from loading or rendering the prompt catalog.
#[derive(Debug, thiserror::Error)]
pub enum PromptError {
    /// The locale's folder does not exist.
    #[error("prompt folder {dir} not found; check --prompts-dir and --locale")]
    LocaleNotFound { dir: PathBuf },

    /// The locale's folder contains no `*.toml` catalog file.
    #[error("no *.toml catalog file in {dir}; add one with `id = \"text\"` lines")]
    NoCatalogFiles { dir: PathBuf },

    /// A catalog file is not valid TOML.
    #[error("invalid TOML in {path}: {source}")]
    Parse {
        path: PathBuf,
        source: Box<toml::de::Error>,
    },

    /// A catalog value is a table, number or array instead of a string.
    #[error("prompt {id:?} in {path} is not a string; catalog files map ids to text")]
    NotText { id: String, path: PathBuf },

    /// An id that cannot serve as a file name.
    #[error(
        "invalid prompt id {id:?} in {path}: use letters, digits, '_', '-' and '.', \
         not starting with '.'"
    )]
    InvalidId { id: String, path: PathBuf },

    /// The same id appears in two catalog files of one locale.
    #[error("prompt {id:?} is defined in both {first} and {second}; keep only one")]
    DuplicateId {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },

    /// The espeak-ng program could not be started.
    #[error(
        "espeak-ng ({program}) not found: {source}; install it with `apt-get install espeak-ng`"
    )]
    EspeakMissing { program: PathBuf, source: io::Error },

    /// espeak-ng ran but did not write the WAV file.
    #[error("espeak-ng failed to render prompt {id:?} ({status}): {stderr}")]
    EspeakFailed {
        id: String,
        status: String,
        stderr: String,
    },

    /// The render manifest exists but is not a JSON object of id to digest.
    #[error("invalid render manifest {path}: {source}; delete it to render every prompt again")]
    Manifest {
        path: PathBuf,
        source: serde_json::Error,
    },

    /// A file operation failed.
    #[error("{action} {path} failed: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl PromptError {
    fn io(action: &'static str, path: &std::path::Path) -> impl FnOnce(io::Error) -> Self {
        let path = path.to_owned();
        move |source| Self::Io {
            action,
            path,
            source,
        }
    }
}

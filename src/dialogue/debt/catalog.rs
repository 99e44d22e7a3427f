//! Text of the prompt catalog, for showing prompts in a terminal and checking clip ids.
//!
//! A catalog file maps clip ids to text; a TOML table path plus key gives the id, so
//! `[debt.verify]` `ask = "…"` is the clip `debt.verify.ask`. A table with a `text` string
//! (`[num.5]` `text = "cinco"`) is also read as a clip named by its path.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::dialogue::{Prompt, Segment};

/// Error loading a prompt catalog.
#[derive(Debug, Error)]
pub enum CatalogError {
    /// A file or folder could not be read.
    #[error("cannot read prompt catalog {path}: {source}")]
    Read {
        /// File or folder that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// A file is not valid TOML.
    #[error("invalid TOML in prompt catalog {path}: {source}")]
    Toml {
        /// File that failed.
        path: PathBuf,
        /// Parser error.
        source: toml::de::Error,
    },
}

/// Clip texts by id.
#[derive(Debug, Clone, Default)]
pub struct TextCatalog {
    texts: BTreeMap<String, String>,
}

impl TextCatalog {
    /// Loads every `*.toml` file of a locale folder (`prompts/es-ES`).
    pub fn load_dir(dir: &Path) -> Result<Self, CatalogError> {
        let read_error = |source| CatalogError::Read {
            path: dir.to_owned(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(read_error)? {
            let path = entry.map_err(read_error)?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();

        let mut catalog = Self::default();
        for path in paths {
            catalog.load_file(&path)?;
        }
        Ok(catalog)
    }

    /// Adds the clips of one catalog file.
    pub fn load_file(&mut self, path: &Path) -> Result<(), CatalogError> {
        let text = std::fs::read_to_string(path).map_err(|source| CatalogError::Read {
            path: path.to_owned(),
            source,
        })?;
        let table: toml::Table = text.parse().map_err(|source| CatalogError::Toml {
            path: path.to_owned(),
            source,
        })?;
        self.add_table("", &table);
        Ok(())
    }

    fn add_table(&mut self, prefix: &str, table: &toml::Table) {
        for (key, value) in table {
            let id = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::String(text) => {
                    self.texts.insert(id, text.clone());
                }
                toml::Value::Table(inner) => {
                    if let Some(text) = inner.get("text").and_then(|v| v.as_str()) {
                        self.texts.insert(id.clone(), text.to_owned());
                    }
                    self.add_table(&id, inner);
                }
                _ => {}
            }
        }
    }

    /// Returns the text of clip `id`.
    pub fn text(&self, id: &str) -> Option<&str> {
        self.texts.get(id).map(String::as_str)
    }

    /// Writes a prompt as text: clip texts and speech joined by spaces; unknown clips show
    /// as `[id]`.
    pub fn render(&self, prompt: &Prompt) -> String {
        let parts: Vec<String> = prompt
            .segments
            .iter()
            .filter_map(|segment| match segment {
                Segment::Clip(id) => Some(
                    self.text(id)
                        .map(str::to_owned)
                        .unwrap_or_else(|| format!("[{id}]")),
                ),
                Segment::Speech(text) => Some(text.clone()),
                Segment::Pause(_) => None,
            })
            .collect();
        parts.join(" ")
    }
}

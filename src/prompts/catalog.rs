//! Loading a locale's catalog files and finding the audio of each prompt.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::PromptError;

/// Extensions of human recordings, in the order [`Catalog::audio_path`] tries them.
pub const RECORDED_EXTENSIONS: &[&str] = &["wav", "flac", "ogg", "mp3"];

/// The prompts of one locale: id to text, plus where their audio lives.
#[derive(Debug, Clone)]
pub struct Catalog {
    locale: String,
    dir: PathBuf,
    texts: BTreeMap<String, String>,
}

impl Catalog {
    /// Loads and merges every `*.toml` file in `prompts_dir/locale`.
    pub fn load(prompts_dir: &Path, locale: &str) -> Result<Catalog, PromptError> {
        let dir = prompts_dir.join(locale);
        if !dir.is_dir() {
            return Err(PromptError::LocaleNotFound { dir });
        }

        let files = catalog_files(&dir)?;
        if files.is_empty() {
            return Err(PromptError::NoCatalogFiles { dir });
        }

        let mut texts = BTreeMap::new();
        let mut sources: BTreeMap<String, PathBuf> = BTreeMap::new();
        for path in files {
            for (id, text) in read_catalog_file(&path)? {
                if let Some(first) = sources.get(&id) {
                    return Err(PromptError::DuplicateId {
                        id,
                        first: first.clone(),
                        second: path,
                    });
                }
                sources.insert(id.clone(), path.clone());
                texts.insert(id, text);
            }
        }

        Ok(Catalog {
            locale: locale.to_owned(),
            dir,
            texts,
        })
    }

    /// Locale tag of the catalog, such as `es-ES`.
    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Text of prompt `id`, if the catalog defines it.
    pub fn text(&self, id: &str) -> Option<&str> {
        self.texts.get(id).map(String::as_str)
    }

    /// Prompt ids in sorted order.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.texts.keys().map(String::as_str)
    }

    /// Folder of the audio that `recobra prompts render` writes.
    pub fn rendered_dir(&self) -> PathBuf {
        self.dir.join("rendered")
    }

    /// Folder of human recordings.
    pub fn recorded_dir(&self) -> PathBuf {
        self.dir.join("recorded")
    }

    /// Path of the rendered WAV for `id`, whether or not it exists.
    pub fn rendered_path(&self, id: &str) -> PathBuf {
        self.rendered_dir().join(format!("{id}.wav"))
    }

    /// Returns the audio file to play for `id`: a recording if one exists, else the
    /// rendered WAV, else `None`. Ids outside the catalog also return `None`.
    pub fn audio_path(&self, id: &str) -> Option<PathBuf> {
        if !self.texts.contains_key(id) {
            return None;
        }

        let recorded_dir = self.recorded_dir();
        let recorded = RECORDED_EXTENSIONS
            .iter()
            .map(|extension| recorded_dir.join(format!("{id}.{extension}")))
            .find(|path| path.is_file());
        if recorded.is_some() {
            return recorded;
        }

        let rendered = self.rendered_path(id);
        rendered.is_file().then_some(rendered)
    }

    /// Ids that have neither a recording nor a rendered WAV, sorted.
    pub fn missing_audio(&self) -> Vec<String> {
        self.ids()
            .filter(|id| self.audio_path(id).is_none())
            .map(str::to_owned)
            .collect()
    }
}

/// Returns the `*.toml` files directly in `dir`, sorted so merge errors are reproducible.
fn catalog_files(dir: &Path) -> Result<Vec<PathBuf>, PromptError> {
    let entries = fs::read_dir(dir).map_err(PromptError::io("reading", dir))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry.map_err(PromptError::io("reading", dir))?.path();
        if path.is_file()
            && path
                .extension()
                .is_some_and(|extension| extension == "toml")
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn read_catalog_file(path: &Path) -> Result<Vec<(String, String)>, PromptError> {
    let content = fs::read_to_string(path).map_err(PromptError::io("reading", path))?;
    let table: toml::Table = toml::from_str(&content).map_err(|source| PromptError::Parse {
        path: path.to_owned(),
        source: Box::new(source),
    })?;

    let mut entries = Vec::with_capacity(table.len());
    flatten_table(path, "", table, &mut entries)?;
    Ok(entries)
}

/// Collects the texts of `table`, where a nested table's path joined with dots prefixes its
/// keys (`[debt.verify]` `ask` is the id `debt.verify.ask`).
fn flatten_table(path: &Path, prefix: &str, table: toml::Table, entries: &mut Vec<(String, String)>) -> Result<(), PromptError> {
    for (key, value) in table {
        let id = if prefix.is_empty() { key } else { format!("{prefix}.{key}") };
        if !is_valid_id(&id) {
            return Err(PromptError::InvalidId { id, path: path.to_owned() });
        }
        match value {
            toml::Value::String(text) => entries.push((id, text)),
            toml::Value::Table(nested) => flatten_table(path, &id, nested, entries)?,
            _ => return Err(PromptError::NotText { id, path: path.to_owned() }),
        }
    }
    Ok(())
}

/// Accepts ids that are safe as file names: `[A-Za-z0-9_.-]`, not starting with a dot.
fn is_valid_id(id: &str) -> bool {
    let allowed =
        |character: char| character.is_ascii_alphanumeric() || matches!(character, '_' | '-' | '.');
    !id.is_empty() && !id.starts_with('.') && id.chars().all(allowed)
}

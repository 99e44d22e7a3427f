//! Phrase lists (grammars) for the recogniser on the debt dialogue's closed questions,
//! loaded from `prompts/<locale>/grammars/debt.toml`.
//!
//! The file has one table per question (`right_party`, `menu`...), whose keys name what
//! their phrases mean (`yes`, `pay_now`, `digits`...), plus a `common` table whose phrases
//! join every question. The phrases live in the catalog, next to the prompts, because they
//! are Spanish as the callers say it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Name of the table whose phrases join every question.
const COMMON: &str = "common";

/// Error loading the grammar file.
#[derive(Debug, Error)]
pub enum GrammarError {
    /// The file could not be read.
    #[error("cannot read grammar file {path}: {source}")]
    Read {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("invalid TOML in grammar file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A value is not a table of non-empty phrase lists.
    #[error("grammar file: {field} must be a list of non-empty phrases")]
    Invalid {
        /// Table and key (`menu.pay_now`).
        field: String,
    },
}

/// Phrases of one question, grouped by meaning.
pub type Meanings = BTreeMap<String, Vec<String>>;

/// The grammars of every closed question.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grammars {
    common: Meanings,
    questions: BTreeMap<String, Meanings>,
    /// Each question's phrases and the common ones, without repeats, as the recogniser gets them.
    phrase_lists: BTreeMap<String, Vec<String>>,
}

impl Grammars {
    /// Loads the grammars from a TOML file.
    pub fn load(path: &Path) -> Result<Self, GrammarError> {
        let text = std::fs::read_to_string(path).map_err(|source| GrammarError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses the grammars from TOML text.
    pub fn parse(text: &str) -> Result<Self, GrammarError> {
        let table: toml::Table = text.parse()?;
        let mut grammars = Self::default();
        for (question, value) in &table {
            let meanings = parse_meanings(question, value)?;
            if question == COMMON {
                grammars.common = meanings;
            } else {
                grammars.questions.insert(question.clone(), meanings);
            }
        }

        for (question, meanings) in &grammars.questions {
            let mut phrases: Vec<String> = Vec::new();
            for phrase in meanings.values().chain(grammars.common.values()).flatten() {
                if !phrases.contains(phrase) {
                    phrases.push(phrase.clone());
                }
            }
            grammars.phrase_lists.insert(question.clone(), phrases);
        }
        Ok(grammars)
    }

    /// Returns the phrase list for `question`, or `None` when the file has no such question.
    pub fn phrases(&self, question: &str) -> Option<&[String]> {
        self.phrase_lists.get(question).map(Vec::as_slice)
    }

    /// Returns the phrases of `question` by meaning, the common ones included.
    pub fn meanings(&self, question: &str) -> Option<Meanings> {
        let own = self.questions.get(question)?;
        let mut meanings = self.common.clone();
        for (meaning, phrases) in own {
            meanings.entry(meaning.clone()).or_default().extend(phrases.iter().cloned());
        }
        Some(meanings)
    }
}

fn parse_meanings(question: &str, value: &toml::Value) -> Result<Meanings, GrammarError> {
    let invalid = |field: String| GrammarError::Invalid { field };
    let table = value.as_table().ok_or_else(|| invalid(question.to_owned()))?;

    let mut meanings = Meanings::new();
    for (meaning, list) in table {
        let field = format!("{question}.{meaning}");
        let items = list.as_array().ok_or_else(|| invalid(field.clone()))?;
        let mut phrases = Vec::with_capacity(items.len());
        for item in items {
            match item.as_str().map(str::trim) {
                Some(phrase) if !phrase.is_empty() => phrases.push(phrase.to_owned()),
                _ => return Err(invalid(field)),
            }
        }
        if phrases.is_empty() {
            return Err(invalid(field));
        }
        meanings.insert(meaning.clone(), phrases);
    }
    Ok(meanings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_phrases_join_each_question() {
        let text = "[common]\nagent = ['agente']\n[menu]\nno = ['no', 'agente']\n[confirm]\nyes = ['sí']\n";
        let grammars = Grammars::parse(text).unwrap();

        assert_eq!(grammars.phrases("menu").unwrap(), ["no", "agente"]);
        assert_eq!(grammars.phrases("confirm").unwrap(), ["sí", "agente"]);
        assert_eq!(grammars.phrases("common"), None);
        assert_eq!(grammars.phrases("verify"), None);
        let meanings = grammars.meanings("confirm").unwrap();
        assert_eq!(meanings["agent"], ["agente"]);
        assert_eq!(meanings["yes"], ["sí"]);
    }

    #[test]
    fn bad_phrase_list_named() {
        for (text, field) in [
            ("[menu]\nno = 'no'\n", "menu.no"),
            ("[menu]\nno = ['no', '  ']\n", "menu.no"),
            ("[menu]\nno = []\n", "menu.no"),
            ("menu = 3\n", "menu"),
        ] {
            let error = Grammars::parse(text).unwrap_err();
            assert!(
                matches!(&error, GrammarError::Invalid { field: named } if named == field),
                "{text}: {error:?}"
            );
        }
    }
}

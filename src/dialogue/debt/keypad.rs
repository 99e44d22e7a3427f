//! Keys the debt dialogue accepts, loaded from `config/keypad.toml`.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// Keys for the options menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuKeys {
    /// Pay the whole debt now through a payment link.
    pub pay_now: String,
    /// Pay in monthly instalments.
    pub instalments: String,
    /// Promise to pay on a date.
    pub promise: String,
    /// Dispute the debt.
    pub dispute: String,
    /// Report the debt as already paid.
    pub already_paid: String,
    /// Talk to an agent.
    pub agent: String,
}

/// Keys for answers that every question shares, plus the menu keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeypadMap {
    /// Yes (or confirm).
    pub yes: String,
    /// No.
    pub no: String,
    /// Replay the last question.
    pub repeat: String,
    /// Talk to an agent.
    pub agent: String,
    /// Key that ends a variable-length entry; the session strips it from the digits.
    pub terminator: char,
    /// Options menu keys.
    pub menu: MenuKeys,
}

/// Error loading the keypad map.
#[derive(Debug, Error)]
pub enum KeypadError {
    /// The file could not be read.
    #[error("cannot read keypad map {path}: {source}")]
    Read {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("invalid TOML in keypad map: {0}")]
    Toml(#[from] toml::de::Error),
    /// A key is missing or is not a string of keypad characters.
    #[error("keypad map: field {field} is missing or is not keypad keys (0-9, *, #)")]
    Invalid {
        /// Field, with its table (`menu.dispute`).
        field: String,
    },
}

impl KeypadMap {
    /// Loads the keypad map from a TOML file.
    pub fn load(path: &Path) -> Result<Self, KeypadError> {
        let text = std::fs::read_to_string(path).map_err(|source| KeypadError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses the keypad map from TOML text.
    pub fn parse(text: &str) -> Result<Self, KeypadError> {
        let table: toml::Table = text.parse()?;
        let empty = toml::Table::new();
        let menu = table
            .get("menu")
            .and_then(|v| v.as_table())
            .unwrap_or(&empty);

        let terminator = keys(&table, "terminator", "")?;
        let mut terminator_chars = terminator.chars();
        let (Some(terminator), None) = (terminator_chars.next(), terminator_chars.next()) else {
            return Err(KeypadError::Invalid {
                field: "terminator".to_owned(),
            });
        };

        Ok(Self {
            yes: keys(&table, "yes", "")?,
            no: keys(&table, "no", "")?,
            repeat: keys(&table, "repeat", "")?,
            agent: keys(&table, "agent", "")?,
            terminator,
            menu: MenuKeys {
                pay_now: keys(menu, "pay_now", "menu.")?,
                instalments: keys(menu, "instalments", "menu.")?,
                promise: keys(menu, "promise", "menu.")?,
                dispute: keys(menu, "dispute", "menu.")?,
                already_paid: keys(menu, "already_paid", "menu.")?,
                agent: keys(menu, "agent", "menu.")?,
            },
        })
    }
}

fn keys(table: &toml::Table, field: &str, prefix: &str) -> Result<String, KeypadError> {
    let value = table.get(field).and_then(|v| v.as_str());
    match value {
        Some(keys) if !keys.is_empty() && keys.chars().all(is_keypad_key) => Ok(keys.to_owned()),
        _ => Err(KeypadError::Invalid {
            field: format!("{prefix}{field}"),
        }),
    }
}

fn is_keypad_key(c: char) -> bool {
    c.is_ascii_digit() || c == '*' || c == '#'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_keypad_map() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/keypad.toml");
        let map = KeypadMap::load(&path).unwrap();
        assert_eq!(map.yes, "1");
        assert_eq!(map.no, "2");
        assert_eq!(map.repeat, "*");
        assert_eq!(map.agent, "0");
        assert_eq!(map.terminator, '#');
        assert_eq!(map.menu.pay_now, "1");
        assert_eq!(map.menu.already_paid, "5");
        assert_eq!(map.menu.agent, "0");
    }

    #[test]
    fn bad_menu_key_named() {
        let text = "yes='1'\nno='2'\nrepeat='*'\nagent='0'\nterminator='#'\n\
                    [menu]\npay_now='1'\ninstalments='x'\npromise='3'\ndispute='4'\nalready_paid='5'\nagent='0'\n";
        let error = KeypadMap::parse(text).unwrap_err();
        assert!(
            matches!(&error, KeypadError::Invalid { field } if field == "menu.instalments"),
            "{error:?}"
        );
    }
}

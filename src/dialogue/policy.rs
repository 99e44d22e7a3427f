//! Negotiation policies: which terms the debt dialogue may agree to on its own.
//!
//! Policies live in `config/policies.toml`, one table per policy name; each account names
//! its policy. Anything outside a policy goes to a human agent.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// Terms the dialogue may agree to without a person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Policy name, as accounts refer to it.
    pub name: String,
    /// Fewest monthly instalments a plan may have.
    pub min_instalments: u32,
    /// Most monthly instalments a plan may have.
    pub max_instalments: u32,
    /// Smallest instalment, in cents; it lowers the maximum count for small debts.
    pub min_instalment_cents: i64,
    /// Latest day for a promise to pay, in days after the call.
    pub max_promise_days: u32,
    /// Debts above this amount, in cents, need a person to close any agreement.
    pub automation_limit_cents: i64,
    /// Whether a caller in financial hardship goes to an agent.
    pub hardship_to_agent: bool,
    /// Whether a dispute (or an already-paid claim) goes to an agent after its reason.
    pub dispute_to_agent: bool,
    /// Whether a failed identity check goes to an agent instead of ending the call.
    pub verification_failure_to_agent: bool,
}

impl Policy {
    /// Returns the highest instalment count allowed for a debt of `amount_cents`: the policy
    /// maximum, lowered so that no instalment is below the minimum amount. The result may be
    /// below `min_instalments`, in which case no plan is possible.
    pub fn max_instalments_for(&self, amount_cents: i64) -> u32 {
        if self.min_instalment_cents <= 0 {
            return self.max_instalments;
        }
        let by_amount = (amount_cents.max(0) / self.min_instalment_cents).min(i64::from(u32::MAX));
        self.max_instalments.min(by_amount as u32)
    }
}

/// Error loading the policy file.
#[derive(Debug, Error)]
pub enum PolicyError {
    /// The file could not be read.
    #[error("cannot read policy file {path}: {source}")]
    Read {
        /// File that failed.
        path: PathBuf,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("invalid TOML in policy file: {0}")]
    Toml(#[from] toml::de::Error),
    /// A top-level entry is not a table.
    #[error("policy {policy}: expected a table of settings")]
    NotATable {
        /// Policy name.
        policy: String,
    },
    /// A required setting is missing.
    #[error("policy {policy}: missing field {field}")]
    Missing {
        /// Policy name.
        policy: String,
        /// Missing field.
        field: &'static str,
    },
    /// A setting has the wrong type or an impossible value.
    #[error("policy {policy}: invalid field {field} = {value}: {reason}")]
    Invalid {
        /// Policy name.
        policy: String,
        /// Field with the bad value.
        field: &'static str,
        /// The value as written.
        value: String,
        /// Reason the value is invalid.
        reason: &'static str,
    },
    /// An account names a policy the file does not define.
    #[error("unknown policy {0}")]
    Unknown(String),
}

/// All policies of the policy file, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicySet {
    policies: BTreeMap<String, Policy>,
}

impl PolicySet {
    /// Loads policies from a TOML file.
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::Read {
            path: path.to_owned(),
            source,
        })?;
        Self::parse(&text)
    }

    /// Parses policies from TOML text: one table per policy name.
    pub fn parse(text: &str) -> Result<Self, PolicyError> {
        let table: toml::Table = text.parse()?;
        let mut policies = BTreeMap::new();
        for (name, value) in &table {
            let settings = value.as_table().ok_or_else(|| PolicyError::NotATable {
                policy: name.clone(),
            })?;
            policies.insert(name.clone(), parse_policy(name, settings)?);
        }
        Ok(Self { policies })
    }

    /// Returns the policy called `name`.
    pub fn get(&self, name: &str) -> Result<&Policy, PolicyError> {
        self.policies
            .get(name)
            .ok_or_else(|| PolicyError::Unknown(name.to_owned()))
    }
}

fn parse_policy(name: &str, settings: &toml::Table) -> Result<Policy, PolicyError> {
    let fields = Fields {
        policy: name,
        settings,
    };
    let policy = Policy {
        name: name.to_owned(),
        min_instalments: fields.count("min_instalments")?,
        max_instalments: fields.count("max_instalments")?,
        min_instalment_cents: fields.cents("min_instalment_cents")?,
        max_promise_days: fields.count("max_promise_days")?,
        automation_limit_cents: fields.cents("automation_limit_cents")?,
        hardship_to_agent: fields.flag("hardship_to_agent")?,
        dispute_to_agent: fields.flag("dispute_to_agent")?,
        verification_failure_to_agent: fields.flag("verification_failure_to_agent")?,
    };

    if policy.min_instalments < 2 {
        return Err(fields.invalid("min_instalments", "a plan needs at least 2 instalments"));
    }
    if policy.max_instalments < policy.min_instalments {
        return Err(fields.invalid("max_instalments", "must not be below min_instalments"));
    }
    Ok(policy)
}

/// Typed access to one policy's settings, naming the policy and field in errors.
struct Fields<'a> {
    policy: &'a str,
    settings: &'a toml::Table,
}

impl Fields<'_> {
    fn get(&self, field: &'static str) -> Result<&toml::Value, PolicyError> {
        self.settings
            .get(field)
            .ok_or_else(|| PolicyError::Missing {
                policy: self.policy.to_owned(),
                field,
            })
    }

    fn invalid(&self, field: &'static str, reason: &'static str) -> PolicyError {
        let value = self.settings.get(field).map(show_value).unwrap_or_default();
        PolicyError::Invalid {
            policy: self.policy.to_owned(),
            field,
            value,
            reason,
        }
    }

    fn count(&self, field: &'static str) -> Result<u32, PolicyError> {
        let value = self.get(field)?.as_integer();
        value
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| self.invalid(field, "expected a non-negative integer"))
    }

    fn cents(&self, field: &'static str) -> Result<i64, PolicyError> {
        match self.get(field)?.as_integer() {
            Some(n) if n >= 0 => Ok(n),
            _ => Err(self.invalid(field, "expected a non-negative amount in cents")),
        }
    }

    fn flag(&self, field: &'static str) -> Result<bool, PolicyError> {
        self.get(field)?
            .as_bool()
            .ok_or_else(|| self.invalid(field, "expected true or false"))
    }
}

/// Writes a TOML value for an error message (the `toml` crate is built without `display`).
fn show_value(value: &toml::Value) -> String {
    match value {
        toml::Value::String(text) => format!("{text:?}"),
        toml::Value::Integer(n) => n.to_string(),
        toml::Value::Float(x) => x.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> PolicySet {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/policies.toml");
        PolicySet::load(&path).expect("config/policies.toml loads")
    }

    #[test]
    fn shipped_standard_policy() {
        let set = shipped();
        let standard = set.get("standard").unwrap();
        assert_eq!(standard.min_instalments, 2);
        assert_eq!(standard.max_instalments, 12);
        assert_eq!(standard.min_instalment_cents, 3_000);
        assert_eq!(standard.max_promise_days, 30);
        assert_eq!(standard.automation_limit_cents, 500_000);
        assert!(standard.hardship_to_agent);
        assert!(standard.dispute_to_agent);
        assert!(!standard.verification_failure_to_agent);
    }

    #[test]
    fn small_debt_lowers_max_count() {
        let set = shipped();
        let standard = set.get("standard").unwrap();
        assert_eq!(standard.max_instalments_for(8_710), 2);
        assert_eq!(standard.max_instalments_for(123_456), 12);
        assert_eq!(standard.max_instalments_for(5_999), 1);
    }

    #[test]
    fn unknown_policy_is_error() {
        let error = shipped().get("gold").unwrap_err();
        assert!(matches!(error, PolicyError::Unknown(name) if name == "gold"));
    }

    #[test]
    fn missing_field_names_policy() {
        let text = "[lenient]\nmin_instalments = 2\nmax_instalments = 6\n";
        let error = PolicySet::parse(text).unwrap_err();
        match error {
            PolicyError::Missing { policy, field } => {
                assert_eq!(policy, "lenient");
                assert_eq!(field, "min_instalment_cents");
            }
            other => panic!("expected Missing, got {other:?}"),
        }
    }

    #[test]
    fn wrong_type_names_field() {
        let shipped_text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/policies.toml"),
        )
        .unwrap();
        let text = shipped_text.replace("hardship_to_agent = true", "hardship_to_agent = \"yes\"");
        let error = PolicySet::parse(&text).unwrap_err();
        match error {
            PolicyError::Invalid {
                policy,
                field,
                value,
                ..
            } => {
                assert_eq!(policy, "standard");
                assert_eq!(field, "hardship_to_agent");
                assert_eq!(value, "\"yes\"");
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn max_below_min_rejected() {
        let shipped_text = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("config/policies.toml"),
        )
        .unwrap();
        let text = shipped_text.replace("max_instalments = 12", "max_instalments = 1");
        let error = PolicySet::parse(&text).unwrap_err();
        assert!(
            matches!(
                error,
                PolicyError::Invalid {
                    field: "max_instalments",
                    ..
                }
            ),
            "{error:?}"
        );
    }
}

//! A string setting that must not reach logs or error messages.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};

/// A secret value, such as a token. Its `Debug` output is redacted and it has no `Display`,
/// so it only leaves through [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// Returns the secret value, for comparing or signing. Never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

impl<'de> de::Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        deserializer.deserialize_str(SecretVisitor)
    }
}

/// Accepts only strings. serde's default type errors quote the rejected value, so the
/// methods for numbers and booleans are overridden with messages that leave it out.
struct SecretVisitor;

impl SecretVisitor {
    fn wrong_type<E: de::Error>(found: &str) -> E {
        E::custom(format_args!(
            "invalid type: {found} (value hidden), expected a quoted string"
        ))
    }
}

impl Visitor<'_> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a quoted string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Secret, E> {
        Ok(Secret::new(value))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Secret, E> {
        Ok(Secret(value))
    }

    fn visit_bool<E: de::Error>(self, _value: bool) -> Result<Secret, E> {
        Err(Self::wrong_type("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _value: i64) -> Result<Secret, E> {
        Err(Self::wrong_type("integer"))
    }

    fn visit_u64<E: de::Error>(self, _value: u64) -> Result<Secret, E> {
        Err(Self::wrong_type("integer"))
    }

    fn visit_f64<E: de::Error>(self, _value: f64) -> Result<Secret, E> {
        Err(Self::wrong_type("float"))
    }
}

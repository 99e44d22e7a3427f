//! Argon2id password hashes in PHC string form, with the `argon2` crate's default
//! parameters (19 MiB of memory, 2 passes, 1 lane in argon2 0.5).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A failure to hash or check a password.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The password has fewer than [`MIN_PASSWORD_CHARS`] characters.
    #[error("the password has {0} characters; use at least {MIN_PASSWORD_CHARS}")]
    TooShort(usize),
    /// The operating system's random source failed while making a salt.
    #[error("failed to read random bytes for a salt: {0}")]
    Random(getrandom::Error),
    /// Argon2 rejected its input, or a stored hash is not a valid PHC string.
    #[error("password hash error: {0}")]
    Hash(argon2::password_hash::Error),
}

/// Hashes `password` with Argon2id and a fresh 16-byte random salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort(chars));
    }

    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(PasswordError::Random)?;
    let salt = SaltString::encode_b64(&salt).map_err(PasswordError::Hash)?;
    let hash = Argon2::default().hash_password(password.as_bytes(), &salt).map_err(PasswordError::Hash)?;
    Ok(hash.to_string())
}

/// Checks `password` against a PHC string made by [`hash_password`].
///
/// Returns `Ok(false)` for a wrong password and an error only for a malformed hash.
pub fn verify_password(password: &str, phc_hash: &str) -> Result<bool, PasswordError> {
    let parsed = PasswordHash::new(phc_hash).map_err(PasswordError::Hash)?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(error) => Err(PasswordError::Hash(error)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_accepts_right_password() {
        let hash = hash_password("señal-de-prueba").unwrap();

        assert!(verify_password("señal-de-prueba", &hash).unwrap());
    }

    #[test]
    fn verify_rejects_wrong_password() {
        let hash = hash_password("señal-de-prueba").unwrap();

        assert!(!verify_password("senal-de-prueba", &hash).unwrap());
        assert!(!verify_password("", &hash).unwrap());
    }

    #[test]
    fn hash_uses_fresh_salt() {
        let first = hash_password("misma contraseña").unwrap();
        let second = hash_password("misma contraseña").unwrap();

        assert_ne!(first, second);
        assert!(first.starts_with("$argon2id$v=19$"), "{first}");
    }

    #[test]
    fn hash_rejects_short_password() {
        assert!(matches!(hash_password("corta"), Err(PasswordError::TooShort(5))));
    }

    #[test]
    fn verify_reports_malformed_hash() {
        assert!(matches!(verify_password("cualquiera", "not-a-phc-string"), Err(PasswordError::Hash(_))));
    }
}

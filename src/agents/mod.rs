//! Console users: the agents who take handed-over calls and the supervisors who watch the
//! queue, with Argon2id password hashes stored in the `agents` table.

use rusqlite::{Connection, OptionalExtension, params};

use crate::storage::{Store, StorageError, format_timestamp, parse_timestamp};

pub mod cli;
pub mod password;

pub use password::{PasswordError, hash_password, verify_password};

/// The `agents` table, applied as a migration by [`crate::storage::schema`].
///
/// `languages` is a comma-separated list of language skills such as `es,en`.
/// `password_hash` is a PHC string (`$argon2id$v=19$...`).
pub const SCHEMA: &str = "
CREATE TABLE agents (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('agent', 'supervisor')),
    languages     TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
";

/// What a console user may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentRole {
    /// Takes calls from the queue.
    Agent,
    /// Takes calls and also sees the supervisor page.
    Supervisor,
}

impl AgentRole {
    /// The role's name as stored and typed on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            AgentRole::Agent => "agent",
            AgentRole::Supervisor => "supervisor",
        }
    }
}

impl std::str::FromStr for AgentRole {
    type Err = AgentError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "agent" => Ok(AgentRole::Agent),
            "supervisor" => Ok(AgentRole::Supervisor),
            other => Err(AgentError::InvalidRole(other.to_owned())),
        }
    }
}

/// A console user without the password hash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Agent {
    /// Login name, unique.
    pub id: String,
    /// Display name.
    pub name: String,
    /// What the user may do.
    pub role: AgentRole,
    /// Language skills, such as `es`.
    pub languages: Vec<String>,
    /// When the user was added.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// A new console user, before hashing its password.
#[derive(Debug, Clone)]
pub struct NewAgent<'a> {
    /// Login name: 1 to 64 ASCII letters, digits, `.`, `_` or `-`.
    pub id: &'a str,
    /// Display name, not empty.
    pub name: &'a str,
    /// What the user may do.
    pub role: AgentRole,
    /// Language skills, at least one, such as `es`.
    pub languages: &'a [String],
}

/// A failure to add or look up a console user.
#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    /// The id is empty, too long or has characters other than ASCII letters, digits, `.`,
    /// `_` and `-`.
    #[error("invalid agent id {0:?}: use 1 to 64 ASCII letters, digits, '.', '_' or '-'")]
    InvalidId(String),
    /// The display name is empty.
    #[error("invalid name for agent {0:?}: the name must not be empty")]
    EmptyName(String),
    /// The role is neither `agent` nor `supervisor`.
    #[error("invalid role {0:?}: expected agent or supervisor")]
    InvalidRole(String),
    /// No language skill was given, or one is not a lowercase code such as `es`.
    #[error("invalid languages {0:?}: give lowercase codes such as es or es,en")]
    InvalidLanguages(String),
    /// An agent with this id exists already.
    #[error("agent {0:?} already exists")]
    Exists(String),
    /// Hashing the password failed or the password was rejected.
    #[error(transparent)]
    Password(#[from] PasswordError),
    /// The database failed.
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// Adds a user with `password` hashed by [`hash_password`], after checking every field.
pub fn add_agent(store: &Store, agent: &NewAgent<'_>, password: &str) -> Result<Agent, AgentError> {
    validate(agent)?;
    let password_hash = hash_password(password)?;
    let created_at = chrono::Utc::now();
    let languages = agent.languages.join(",");

    let inserted = store.with_connection(|conn| {
        conn.execute(
            "INSERT INTO agents (id, name, role, languages, password_hash, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (id) DO NOTHING",
            params![agent.id, agent.name, agent.role.as_str(), languages, password_hash, format_timestamp(created_at)],
        )
    })?;
    if inserted == 0 {
        return Err(AgentError::Exists(agent.id.to_owned()));
    }

    tracing::info!(agent_id = agent.id, role = agent.role.as_str(), "agent added");
    Ok(Agent {
        id: agent.id.to_owned(),
        name: agent.name.to_owned(),
        role: agent.role,
        languages: agent.languages.to_vec(),
        created_at,
    })
}

/// Returns the user `id` with its password hash, or `None` when there is no such user.
pub fn agent_with_hash(conn: &Connection, id: &str) -> rusqlite::Result<Option<(Agent, String)>> {
    conn.query_row(
        "SELECT id, name, role, languages, created_at, password_hash FROM agents WHERE id = ?1",
        [id],
        |row| {
            let role: String = row.get(2)?;
            let role = role.parse::<AgentRole>().map_err(|error| {
                rusqlite::Error::FromSqlConversionFailure(2, rusqlite::types::Type::Text, Box::new(error))
            })?;
            let languages: String = row.get(3)?;
            let created_at: String = row.get(4)?;
            let agent = Agent {
                id: row.get(0)?,
                name: row.get(1)?,
                role,
                languages: languages.split(',').filter(|code| !code.is_empty()).map(str::to_owned).collect(),
                created_at: parse_timestamp(&created_at, 4)?,
            };
            Ok((agent, row.get(5)?))
        },
    )
    .optional()
}

fn validate(agent: &NewAgent<'_>) -> Result<(), AgentError> {
    let id_ok = (1..=64).contains(&agent.id.len())
        && agent.id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !id_ok {
        return Err(AgentError::InvalidId(agent.id.to_owned()));
    }
    if agent.name.trim().is_empty() {
        return Err(AgentError::EmptyName(agent.id.to_owned()));
    }
    let languages_ok = !agent.languages.is_empty()
        && agent.languages.iter().all(|code| (2..=8).contains(&code.len()) && code.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
    if !languages_ok {
        return Err(AgentError::InvalidLanguages(agent.languages.join(",")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanish() -> Vec<String> {
        vec!["es".to_owned()]
    }

    #[test]
    fn add_agent_stores_hash_not_password() {
        let store = Store::open_in_memory().unwrap();
        let languages = spanish();
        let new = NewAgent { id: "lucia", name: "Lucía Pérez", role: AgentRole::Supervisor, languages: &languages };

        let added = add_agent(&store, &new, "contraseña segura").unwrap();
        let (found, hash) = store.with_connection(|conn| agent_with_hash(conn, "lucia")).unwrap().unwrap();

        assert_eq!(found, Agent { created_at: found.created_at, ..added });
        assert_eq!(found.role, AgentRole::Supervisor);
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains("contraseña"));
        assert!(verify_password("contraseña segura", &hash).unwrap());
    }

    #[test]
    fn add_agent_rejects_duplicate_id() {
        let store = Store::open_in_memory().unwrap();
        let languages = spanish();
        let new = NewAgent { id: "lucia", name: "Lucía", role: AgentRole::Agent, languages: &languages };
        add_agent(&store, &new, "primera clave").unwrap();

        let error = add_agent(&store, &new, "segunda clave").unwrap_err();

        assert!(matches!(error, AgentError::Exists(ref id) if id == "lucia"), "{error}");
    }

    #[test]
    fn add_agent_rejects_invalid_fields() {
        let store = Store::open_in_memory().unwrap();
        let languages = spanish();
        let no_languages: Vec<String> = Vec::new();
        let cases = [
            (NewAgent { id: "", name: "Ana", role: AgentRole::Agent, languages: &languages }, "invalid agent id"),
            (NewAgent { id: "ana maría", name: "Ana", role: AgentRole::Agent, languages: &languages }, "invalid agent id"),
            (NewAgent { id: "ana", name: "  ", role: AgentRole::Agent, languages: &languages }, "invalid name"),
            (NewAgent { id: "ana", name: "Ana", role: AgentRole::Agent, languages: &no_languages }, "invalid languages"),
        ];

        for (new, expected) in cases {
            let error = add_agent(&store, &new, "clave larga").unwrap_err();
            assert!(error.to_string().starts_with(expected), "{:?}: {error}", new.id);
        }
        assert_eq!(store.with_connection(|conn| conn.query_row("SELECT count(*) FROM agents", [], |row| row.get::<_, i64>(0))).unwrap(), 0);
    }

    #[test]
    fn role_parses_known_names_only() {
        assert_eq!("agent".parse::<AgentRole>().unwrap(), AgentRole::Agent);
        assert_eq!("supervisor".parse::<AgentRole>().unwrap(), AgentRole::Supervisor);
        assert!(matches!("admin".parse::<AgentRole>(), Err(AgentError::InvalidRole(ref role)) if role == "admin"));
    }
}

//! SQLite persistence: calls and their event journal, accounts, outcomes.

pub mod accounts;
pub mod outcomes;

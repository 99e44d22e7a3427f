//! SQLite persistence: calls and their event journal, accounts, outcomes.

//! Runs the debt dialogue in a terminal.

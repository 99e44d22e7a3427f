//! A small built-in flow: greet, ask a yes/no question, confirm the answer, say goodbye.

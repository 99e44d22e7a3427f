//! The QA replay tool: plays the telephony platform against a running server.

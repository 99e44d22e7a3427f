//! The HTTP server: Twilio webhook and media socket, call API, health and metrics.

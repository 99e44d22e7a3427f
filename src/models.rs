//! Fetching and checking speech models.

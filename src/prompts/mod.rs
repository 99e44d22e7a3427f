//! The per-locale prompt catalog and its rendered audio.

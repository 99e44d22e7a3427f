// Shared helpers of the console pages: the es-ES catalog embedded by the server.
"use strict";

const CATALOG = JSON.parse(document.getElementById("catalog").textContent);

// Returns the catalog text for a literal key (the server's tests check these keys exist).
function t(key) {
  return text(key);
}

// Returns the catalog text for a computed key, or the key when the catalog lacks it.
function text(key) {
  return Object.prototype.hasOwnProperty.call(CATALOG, key) ? CATALOG[key] : key;
}

// Replaces {name} markers in a catalog text.
function fill(template, values) {
  return template.replace(/\{(\w+)\}/g, (marker, name) => (name in values ? String(values[name]) : marker));
}

// Formats a duration in whole seconds as "42 s" or "3 min 5 s".
function formatDuration(seconds) {
  const total = Math.max(0, Math.round(seconds));
  if (total < 60) {
    return fill(t("seconds_short"), { n: total });
  }
  return fill(t("minutes_short"), { m: Math.floor(total / 60), s: total % 60 });
}

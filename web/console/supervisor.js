// The supervisor page: polls /console/api/stats (the queue's QueueStats as JSON) and shows
// the live figures.
"use strict";

const POLL_INTERVAL_MS = 2000;
const STATES = ["available", "on_call", "wrap_up", "away"];

function renderList(element, entries) {
  element.replaceChildren();
  if (entries.length === 0) {
    const item = document.createElement("li");
    item.textContent = t("stats_no_data");
    element.appendChild(item);
    return;
  }
  for (const [label, count] of entries) {
    const item = document.createElement("li");
    item.textContent = label + ": " + count;
    element.appendChild(item);
  }
}

function render(stats) {
  document.getElementById("stats-waiting").textContent = stats.waiting;
  document.getElementById("stats-longest").textContent = formatDuration(stats.longest_wait_secs);
  document.getElementById("stats-answered").textContent =
    stats.share_answered_within_3_min === null
      ? t("stats_no_data")
      : new Intl.NumberFormat("es-ES", { style: "percent", maximumFractionDigits: 0 }).format(stats.share_answered_within_3_min);
  const agents = STATES.map((state) => [text("state_" + state), stats.agents_by_state[state] || 0]);
  renderList(document.getElementById("stats-agents"), agents);
  const reasons = stats.handed_off_today_by_reason.map(([reason, count]) => [
    Object.prototype.hasOwnProperty.call(CATALOG, "reason_" + reason) ? text("reason_" + reason) : t("reason_other"),
    count,
  ]);
  renderList(document.getElementById("stats-reasons"), reasons);
  const time = new Date().toLocaleTimeString("es-ES");
  document.getElementById("stats-status").textContent = fill(t("stats_updated"), { time });
}

async function poll() {
  try {
    const response = await fetch("/console/api/stats", { credentials: "same-origin" });
    if (response.status === 401 || response.status === 403) {
      location.href = "/console/login";
      return;
    }
    if (!response.ok) {
      throw new Error("HTTP " + response.status);
    }
    render(await response.json());
  } catch (error) {
    console.warn("stats poll failed", error);
    document.getElementById("stats-status").textContent = t("stats_error");
  }
  setTimeout(poll, POLL_INTERVAL_MS);
}

poll();

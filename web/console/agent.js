// The agent page: state, waiting calls, the offered call's card, the call controls and
// the disposition form, all driven over the /console/ws WebSocket.
"use strict";

const REASONS = [
  "requested", "no_progress", "verification_failed", "dispute", "hardship",
  "amount_over_limit", "recognition_unavailable", "system_error",
];
const RECONNECT_DELAY_MS = 2000;

const page = {
  socket: null,
  offer: null, // the offered or connected call
  connected: false,
  muted: false,
  onHold: false,
  audio: null,
  lastCallSid: null,
};

const $ = (id) => document.getElementById(id);

function reasonText(reason) {
  return REASONS.includes(reason) ? text("reason_" + reason) : t("reason_other");
}

function notice(message) {
  $("notice").textContent = message;
}

function send(message) {
  if (page.socket && page.socket.readyState === WebSocket.OPEN) {
    page.socket.send(JSON.stringify(message));
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(scheme + "//" + location.host + "/console/ws");
  socket.binaryType = "arraybuffer";
  socket.onopen = () => {
    $("connection").textContent = t("connection_online");
    $("connection").className = "connection online";
  };
  socket.onclose = () => {
    $("connection").textContent = t("connection_offline");
    $("connection").className = "connection offline";
    page.socket = null;
    setTimeout(connect, RECONNECT_DELAY_MS);
  };
  socket.onmessage = (event) => {
    if (typeof event.data === "string") {
      handleMessage(JSON.parse(event.data));
    } else if (page.audio) {
      page.audio.play(event.data);
    } else {
      window.consoleAudio.receivedBytes += event.data.byteLength;
    }
  };
  page.socket = socket;
}

function handleMessage(message) {
  switch (message.type) {
    case "state":
      $("state").value = message.state;
      break;
    case "waiting":
      renderWaiting(message.calls);
      break;
    case "offered":
      showCard(message.call);
      break;
    case "offer_withdrawn":
      if (!page.connected) {
        hideCard();
        notice(t("offer_withdrawn"));
      }
      break;
    case "connected":
      onConnected(message.call_sid);
      break;
    case "hold":
      page.onHold = message.on;
      $("hold").textContent = page.onHold ? t("button_resume") : t("button_hold");
      updateCallStatus();
      break;
    case "caller_left":
      notice(t("caller_left"));
      endCall();
      break;
    case "call_ended":
      endCall();
      break;
    case "disposition_saved":
      $("disposition").hidden = true;
      $("disposition-form").reset();
      notice(t("disposition_saved"));
      break;
    case "error":
      notice(t("action_failed"));
      console.warn("console error", message.code, message.detail);
      break;
  }
}

function renderWaiting(calls) {
  const body = $("waiting").querySelector("tbody");
  body.replaceChildren();
  for (const call of calls) {
    const row = document.createElement("tr");
    for (const value of [call.position, reasonText(call.reason), formatDuration(call.waited_secs), call.priority]) {
      const cell = document.createElement("td");
      cell.textContent = value;
      row.appendChild(cell);
    }
    body.appendChild(row);
  }
  $("waiting-empty").hidden = calls.length > 0;
}

// Formats cents of `currency` the Spanish way ("1.234,56 €").
function formatMoney(cents, currency) {
  if (typeof cents !== "number") {
    return t("card_unknown");
  }
  return new Intl.NumberFormat("es-ES", { style: "currency", currency: currency || "EUR" }).format(cents / 100);
}

// Formats an ISO date (YYYY-MM-DD) as "15 de septiembre de 2026".
function formatDate(iso) {
  if (typeof iso !== "string") {
    return t("card_unknown");
  }
  const [year, month, day] = iso.split("-").map(Number);
  return new Date(Date.UTC(year, month - 1, day)).toLocaleDateString("es-ES", { day: "numeric", month: "long", year: "numeric", timeZone: "UTC" });
}

// Describes one offer or agreement of the debt dialogue ({"option": ..., values}).
function describeOffer(item, currency) {
  const option = item.option || item.kind || "";
  const parts = [Object.prototype.hasOwnProperty.call(CATALOG, "offer_" + option) ? text("offer_" + option) : option];
  if (item.available === false) parts.push(t("offer_unavailable"));
  if (typeof item.amount_cents === "number") parts.push(formatMoney(item.amount_cents, item.currency || currency));
  if (typeof item.count === "number") parts.push(fill(t("offer_count"), { n: item.count }));
  if (item.date || item.promise_date) parts.push(formatDate(item.date || item.promise_date));
  return parts.join(", ");
}

function listOffers(items, currency) {
  const list = Array.isArray(items) ? items : items ? [items] : [];
  if (list.length === 0) {
    return t("card_none");
  }
  return list.map((item) => (typeof item === "string" ? item : describeOffer(item, currency))).join("; ");
}

function verificationText(status) {
  if (status === "verified") return t("card_verified");
  if (status === "failed") return t("card_verification_failed");
  return t("card_not_verified");
}

// Fills the context card from the handoff context of the debt dialogue: account_id,
// holder_name, verification, amount_cents/currency/due_date (present only once the holder
// is verified), offered, agreed and, when the session adds it, transcript.
function showCard(call) {
  const context = call.context || {};
  const verified = context.verification === "verified";
  page.offer = call;
  $("card-title").textContent = t("offer_title");
  $("card-account").textContent = context.account_id || t("card_unknown");
  $("card-holder").textContent = context.holder_name || t("card_unknown");
  $("card-verification").textContent = verificationText(context.verification);
  for (const element of document.querySelectorAll(".verified-only")) {
    element.hidden = !verified;
  }
  $("card-amount").textContent = verified ? formatMoney(context.amount_cents, context.currency) : "";
  $("card-due-date").textContent = verified ? formatDate(context.due_date) : "";
  $("card-offered").textContent = listOffers(context.offered, context.currency);
  $("card-agreed").textContent = listOffers(context.agreed, context.currency);
  $("card-reason").textContent = reasonText(call.reason);
  const transcript = $("card-transcript");
  transcript.replaceChildren();
  const turns = Array.isArray(context.transcript) ? context.transcript : [];
  for (const turn of turns) {
    const item = document.createElement("li");
    const speaker = turn.speaker === "caller" ? t("speaker_caller") : t("speaker_assistant");
    item.textContent = speaker + ": " + (turn.text || "");
    transcript.appendChild(item);
  }
  if (turns.length === 0) {
    const item = document.createElement("li");
    item.textContent = t("card_none");
    transcript.appendChild(item);
  }
  $("card").hidden = false;
  $("accept").disabled = false;
  $("disposition").hidden = true;
}

function hideCard() {
  $("card").hidden = true;
  page.offer = null;
}

async function accept() {
  if (!page.offer) {
    return;
  }
  $("accept").disabled = true;
  page.audio = new CallAudio((frame) => {
    if (page.connected && !page.muted && page.socket && page.socket.readyState === WebSocket.OPEN) {
      page.socket.send(frame);
      window.consoleAudio.sentBytes += frame.byteLength;
    }
  });
  try {
    await page.audio.start();
  } catch (error) {
    console.warn("microphone unavailable", error);
    notice(t("microphone_error"));
  }
  send({ type: "accept", call_sid: page.offer.call_sid });
}

function onConnected(callSid) {
  page.connected = true;
  page.lastCallSid = callSid;
  $("card-title").textContent = t("call_title");
  for (const id of ["mute", "hold", "hang-up"]) {
    $(id).disabled = false;
  }
  updateCallStatus();
}

function updateCallStatus() {
  const parts = [];
  if (page.muted) parts.push(t("call_muted"));
  if (page.onHold) parts.push(t("call_on_hold"));
  $("call-status").textContent = parts.join(" · ");
}

function endCall() {
  const wasConnected = page.connected;
  page.connected = false;
  page.muted = false;
  page.onHold = false;
  if (page.audio) {
    page.audio.stop();
    page.audio = null;
  }
  for (const id of ["mute", "hold", "hang-up"]) {
    $(id).disabled = true;
  }
  $("mute").textContent = t("button_mute");
  $("hold").textContent = t("button_hold");
  updateCallStatus();
  hideCard();
  if (wasConnected) {
    $("disposition").hidden = false;
  }
}

function toggleMute() {
  page.muted = !page.muted;
  $("mute").textContent = page.muted ? t("button_unmute") : t("button_mute");
  send({ type: "mute", muted: page.muted });
  updateCallStatus();
}

function submitDisposition(event) {
  event.preventDefault();
  const chosen = document.querySelector("input[name=disposition]:checked");
  if (!chosen) {
    notice(t("disposition_required"));
    return;
  }
  send({ type: "disposition", call_sid: page.lastCallSid, disposition: chosen.value, note: $("disposition-note").value });
}

function init() {
  const name = document.body.dataset.userName;
  $("greeting").textContent = fill(t("agent_greeting"), { name });
  $("supervisor-link").hidden = document.body.dataset.userRole !== "supervisor";
  $("state").addEventListener("change", () => send({ type: "set_state", state: $("state").value }));
  $("accept").addEventListener("click", accept);
  $("mute").addEventListener("click", toggleMute);
  $("hold").addEventListener("click", () => send({ type: "hold", on: !page.onHold }));
  $("hang-up").addEventListener("click", () => send({ type: "hang_up" }));
  $("disposition-form").addEventListener("submit", submitDisposition);
  connect();
}

init();

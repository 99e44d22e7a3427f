// The call part of the console scenario: the agent goes available, sees the offered
// call's context card, accepts, exchanges audio, mutes, holds, hangs up and stores a
// disposition. tests/console_browser.rs enqueues the call and plays the caller.
const STEP_TIMEOUT_MS = 15000;
// Half a second of 16 kHz 16-bit audio.
const HALF_SECOND_BYTES = 16000;

// Returns an element's text with runs of white space (including the no-break spaces of
// Spanish number formats) turned into single spaces.
async function textOf(page, selector) {
  return (await page.textContent(selector)).replace(/\s+/g, " ").trim();
}

async function expectText(page, check, selector, expected, message) {
  const actual = await textOf(page, selector);
  check(actual === expected, message + " (expected " + JSON.stringify(expected) + ", got " + JSON.stringify(actual) + ")");
}

async function waitForBytes(page, counter, minimum) {
  await page.waitForFunction(
    ([name, min]) => window.consoleAudio && window.consoleAudio[name] > min,
    [counter, minimum],
    { timeout: STEP_TIMEOUT_MS },
  );
}

export async function checkCall(page, check) {
  await page.waitForSelector("#connection.online", { timeout: STEP_TIMEOUT_MS });
  await expectText(page, check, "#connection", "Conectado", "socket status reads Conectado");

  await page.selectOption("#state", "available");
  await page.waitForSelector("#card:not([hidden])", { timeout: STEP_TIMEOUT_MS });
  await expectText(page, check, "#card-title", "Llamada ofrecida", "offered call card appears");
  await expectText(page, check, "#card-account", "ACC-E2E-7", "card shows the account");
  await expectText(page, check, "#card-holder", "Lucía Fernández", "card shows the holder");
  await expectText(page, check, "#card-verification", "Identidad verificada", "card shows the verification");
  await expectText(page, check, "#card-amount", "12.345,67 €", "card shows the amount in Spanish format");
  await expectText(page, check, "#card-due-date", "15 de septiembre de 2026", "card shows the due date");
  await expectText(page, check, "#card-offered", "Pago a plazos, 6 plazos", "card shows what was offered");
  await expectText(page, check, "#card-agreed", "Nada por ahora.", "card shows nothing agreed");
  await expectText(page, check, "#card-reason", "El cliente disputa la deuda", "card shows the reason in Spanish");
  const transcript = await page.$$eval("#card-transcript li", (items) => items.map((item) => item.textContent));
  check(transcript[1] === "Cliente: Esa deuda no es mía.", "card shows the transcript");
  await page.waitForSelector("#waiting tbody tr", { timeout: STEP_TIMEOUT_MS });
  await expectText(page, check, "#waiting tbody tr td:nth-child(2)", "El cliente disputa la deuda", "waiting list shows the call");

  if (process.env.CONSOLE_SCREENSHOT_DIR) {
    await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT_DIR + "/agent-offer.png", fullPage: true });
  }
  await page.click("#accept");
  await page.waitForSelector("#hang-up:not([disabled])", { timeout: STEP_TIMEOUT_MS });
  await expectText(page, check, "#card-title", "Llamada en curso", "accepted call is in progress");
  await waitForBytes(page, "receivedBytes", HALF_SECOND_BYTES);
  check(true, "caller audio reaches the page");
  await waitForBytes(page, "sentBytes", HALF_SECOND_BYTES);
  check(true, "microphone audio leaves the page");

  await page.click("#mute");
  await expectText(page, check, "#mute", "Activar micrófono", "mute button offers to unmute");
  const sentWhileMuted = await page.evaluate(() => window.consoleAudio.sentBytes);
  await page.waitForTimeout(400);
  check((await page.evaluate(() => window.consoleAudio.sentBytes)) === sentWhileMuted, "muted page sends no microphone audio");
  await page.click("#mute");
  await waitForBytes(page, "sentBytes", sentWhileMuted);
  check(true, "unmuted page sends microphone audio again");

  await page.click("#hold");
  await page.waitForFunction(() => document.getElementById("hold").textContent === "Recuperar llamada", null, { timeout: STEP_TIMEOUT_MS });
  await expectText(page, check, "#call-status", "Cliente en espera", "hold is shown");
  await page.click("#hold");
  await page.waitForFunction(() => document.getElementById("hold").textContent === "En espera", null, { timeout: STEP_TIMEOUT_MS });

  if (process.env.CONSOLE_SCREENSHOT_DIR) {
    await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT_DIR + "/agent-call.png", fullPage: true });
  }
  await page.click("#hang-up");
  await page.waitForSelector("#disposition:not([hidden])", { timeout: STEP_TIMEOUT_MS });
  await expectText(page, check, "#disposition h2", "Resultado de la llamada", "disposition form appears after hang-up");
  const labels = await page.$$eval("#disposition-form label:has(input)", (items) => items.map((item) => item.textContent.trim()));
  check(
    JSON.stringify(labels) === JSON.stringify(["Pagado", "Plan acordado", "Promesa de pago", "Disputa", "Devolver llamada", "Otro"]),
    "disposition choices are in Spanish",
  );
  await page.check("input[name=disposition][value=promise]");
  await page.fill("#disposition-note", "Pagará el día 15.");
  await page.click("#disposition-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("notice").textContent === "Resultado guardado.", null, { timeout: STEP_TIMEOUT_MS });
  check(true, "disposition is saved");
}

// Checks the supervisor's figures after the call above: one dispute handoff today,
// answered well within 3 minutes, and nobody waiting.
export async function checkSupervisor(page, check) {
  await page.waitForFunction(() => document.getElementById("stats-status").textContent.startsWith("Actualizado"), null, { timeout: STEP_TIMEOUT_MS });
  await expectText(page, check, "#stats-waiting", "0", "no call waits");
  await expectText(page, check, "#stats-longest", "0 s", "longest wait is zero");
  await expectText(page, check, "#stats-answered", "100 %", "every handoff was answered within 3 minutes");
  await expectText(page, check, "#stats-reasons", "El cliente disputa la deuda: 1", "today's handoffs are listed by reason");
  const agents = await page.$$eval("#stats-agents li", (items) => items.map((item) => item.textContent));
  check(agents.length === 4 && agents[0].startsWith("Disponible: "), "agents are counted per state (" + agents.join(", ") + ")");
  if (process.env.CONSOLE_SCREENSHOT_DIR) {
    await page.screenshot({ path: process.env.CONSOLE_SCREENSHOT_DIR + "/supervisor.png", fullPage: true });
  }
}

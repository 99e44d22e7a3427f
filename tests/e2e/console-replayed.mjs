// The agent's side of a replayed call that pressed 0: the agent goes available, sees the
// real call's context card, accepts, exchanges audio, hangs up and stores a disposition.
// tests/console_replayed_call.rs plays the caller over the Twilio media socket.
const STEP_TIMEOUT_MS = 30000;
// Half a second of 16 kHz 16-bit audio.
const HALF_SECOND_BYTES = 16000;

async function textOf(page, selector) {
  return (await page.textContent(selector)).replace(/\s+/g, " ").trim();
}

async function waitForBytes(page, counter, minimum) {
  await page.waitForFunction(
    ([name, min]) => window.consoleAudio && window.consoleAudio[name] > min,
    [counter, minimum],
    { timeout: STEP_TIMEOUT_MS },
  );
}

export async function checkReplayedCall(page, check) {
  await page.waitForSelector("#connection.online", { timeout: STEP_TIMEOUT_MS });
  await page.selectOption("#state", "available");
  await page.waitForSelector("#card:not([hidden])", { timeout: STEP_TIMEOUT_MS });
  check((await textOf(page, "#card-account")) === "D-1001", "card shows the caller's account");
  check((await textOf(page, "#card-holder")) === "Lucía Martín Sánchez", "card shows the holder");
  check((await textOf(page, "#card-reason")) === "El cliente pidió hablar con una persona", "card shows the reason in Spanish");
  const transcript = await page.$$eval("#card-transcript li", (items) => items.map((item) => item.textContent));
  check(transcript.includes("Cliente: [0]"), "card shows the caller's keypress in the transcript (" + transcript.join(" | ") + ")");

  await page.click("#accept");
  await page.waitForSelector("#hang-up:not([disabled])", { timeout: STEP_TIMEOUT_MS });
  await waitForBytes(page, "receivedBytes", HALF_SECOND_BYTES);
  check(true, "the caller's audio reaches the page");
  // Talk for a few seconds so the caller hears the microphone after the "connecting" prompt.
  await page.waitForTimeout(10000);
  await waitForBytes(page, "sentBytes", 4 * HALF_SECOND_BYTES);
  check(true, "microphone audio leaves the page");

  await page.click("#hang-up");
  await page.waitForSelector("#disposition:not([hidden])", { timeout: STEP_TIMEOUT_MS });
  await page.check("input[name=disposition][value=callback]");
  await page.fill("#disposition-note", "Llamar el lunes por la mañana.");
  await page.click("#disposition-form button[type=submit]");
  await page.waitForFunction(() => document.getElementById("notice").textContent === "Resultado guardado.", null, { timeout: STEP_TIMEOUT_MS });
  check(true, "disposition is saved");
}

// Drives the agent console in headless Chromium, as an agent would.
//
// Environment (set by tests/console_browser.rs):
//   CONSOLE_URL          base URL of the server, http://127.0.0.1:PORT
//   CONSOLE_USER, CONSOLE_PASSWORD   an agent's login
//   CONSOLE_SUPERVISOR_USER, CONSOLE_SUPERVISOR_PASSWORD   a supervisor's login ("call" only)
//   FAKE_AUDIO_WAV       WAV file Chromium plays as the microphone
//   USER_DATA_DIR        fresh Chromium profile folder
//   PLAYWRIGHT_MODULES   node_modules folder holding playwright-core
//   CONSOLE_SCENARIO     "login" (pages and session), "call" (a whole handed-over call) or
//                        "replayed" (a call replayed over the media socket, agent side only)
//   CONSOLE_SCREENSHOT_DIR   optional folder for PNG screenshots of the agent page
//
// Exits 0 when every check passes; prints the first failed check and exits 1 otherwise.
import { createRequire } from "node:module";

const require = createRequire(process.env.PLAYWRIGHT_MODULES + "/");
const { chromium } = require("playwright-core");

const base = process.env.CONSOLE_URL;
const scenario = process.env.CONSOLE_SCENARIO || "login";
const STEP_TIMEOUT_MS = 15000;

function check(condition, message) {
  if (!condition) {
    throw new Error("check failed: " + message);
  }
  console.log("ok: " + message);
}

async function launch() {
  return chromium.launchPersistentContext(process.env.USER_DATA_DIR, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
      "--use-file-for-fake-audio-capture=" + process.env.FAKE_AUDIO_WAV,
      "--autoplay-policy=no-user-gesture-required",
    ],
  });
}

async function logIn(page, password, user = process.env.CONSOLE_USER) {
  await page.fill("#username", user);
  await page.fill("#password", password);
  await Promise.all([page.waitForLoadState("domcontentloaded"), page.click("button[type=submit]")]);
}

async function checkLogin(context, page) {
  await page.goto(base + "/console/login");
  check((await page.title()).startsWith("Iniciar sesión"), "login page title is Spanish");
  check((await page.textContent("label[for=username]")).trim() === "Usuario", "username label reads Usuario");
  check((await page.textContent("label[for=password]")).trim() === "Contraseña", "password label reads Contraseña");

  await logIn(page, "clave-equivocada");
  check((await page.textContent("#login-error")).trim() === "Usuario o contraseña incorrectos.", "wrong password shows the generic error");

  await logIn(page, process.env.CONSOLE_PASSWORD);
  await page.waitForURL(base + "/console/agent", { timeout: STEP_TIMEOUT_MS });
  check((await page.title()).startsWith("Consola del agente"), "agent page opens after login");
  const states = await page.$$eval("#state option", (options) => options.map((option) => option.textContent.trim()));
  check(JSON.stringify(states) === JSON.stringify(["Disponible", "En llamada", "Cierre", "Ausente"]), "state selector lists the Spanish states");
  check((await page.textContent("#greeting")).includes("Hola, "), "greeting is filled from the catalog");

  const cookies = await context.cookies();
  const session = cookies.find((cookie) => cookie.name === "recobra_console");
  check(session && session.httpOnly && session.sameSite === "Strict", "session cookie is HttpOnly and SameSite=Strict");
  check(!(await page.evaluate(() => document.cookie)).includes("recobra_console"), "scripts cannot read the session cookie");
}

async function checkLogout(page) {
  await Promise.all([page.waitForURL(base + "/console/login", { timeout: STEP_TIMEOUT_MS }), page.click("header form button")]);
  await page.goto(base + "/console/agent");
  check(page.url() === base + "/console/login", "logged-out agent page redirects to login");
}

async function main() {
  const context = await launch();
  const page = context.pages()[0] || (await context.newPage());
  page.on("console", (message) => console.log("page " + message.type() + ": " + message.text()));
  try {
    await checkLogin(context, page);
    if (scenario === "call") {
      const { checkCall } = await import("./console-call.mjs");
      await checkCall(page, check);
    }
    if (scenario === "replayed") {
      const { checkReplayedCall } = await import("./console-replayed.mjs");
      await checkReplayedCall(page, check);
    }
    await checkLogout(page);
    if (scenario === "call") {
      await logIn(page, process.env.CONSOLE_SUPERVISOR_PASSWORD, process.env.CONSOLE_SUPERVISOR_USER);
      await page.waitForURL(base + "/console/supervisor", { timeout: STEP_TIMEOUT_MS });
      const { checkSupervisor } = await import("./console-call.mjs");
      await checkSupervisor(page, check);
    }
  } finally {
    await context.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error.stack || String(error));
    process.exit(1);
  },
);

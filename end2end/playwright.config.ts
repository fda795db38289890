import { defineConfig } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// One free port for the whole run: the config is evaluated again in every worker, which inherit this variable.
process.env.ENROLE_E2E_PORT ??= execFileSync(process.execPath, [
  "-e",
  "const s = require('net').createServer(); s.listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); });",
])
  .toString()
  .trim();

// One temporary directory for the server's database and outbox, created here so that the tests know where the
// emails land (ENROLE_E2E_DIR/outbox); serve.mjs uses it and removes it when it stops.
process.env.ENROLE_E2E_DIR ??= mkdtempSync(join(tmpdir(), "enrole-e2e-"));

// ENROLE_E2E_BASE_URL points the tests at a server that is already running (no webServer is started then).
const external = process.env.ENROLE_E2E_BASE_URL;
const baseURL = external ?? `http://127.0.0.1:${process.env.ENROLE_E2E_PORT}`;

export default defineConfig({
  testDir: "./tests",
  globalTeardown: "./global-teardown.ts",
  fullyParallel: true,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  reporter: process.env.CI ? "line" : [["list"]],
  timeout: 30_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    locale: "fr-FR",
    trace: "retain-on-failure",
    launchOptions: {
      // Debian's Chromium: never `npx playwright install` (no downloads outside the package registries).
      executablePath: process.env.ENROLE_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "desktop", use: { viewport: { width: 1280, height: 800 } } },
    {
      name: "mobile",
      use: { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true },
    },
  ],
  webServer: external
    ? undefined
    : {
        command: "node serve.mjs",
        url: `${baseURL}/healthz`,
        timeout: 60_000,
        reuseExistingServer: false,
        stdout: "ignore",
        stderr: "pipe",
        gracefulShutdown: { signal: "SIGTERM", timeout: 10_000 },
      },
});

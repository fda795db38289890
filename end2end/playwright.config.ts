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
  expect: {
    timeout: 10_000,
    // The visual checks (tests/visual.spec.ts): each page against its baseline, in Debian's Chromium (software
    // rendering) with the fonts scripts/setup.sh --tests installs. fontconfig resolves the CSS's `system-ui` (and
    // `sans-serif`) to DejaVu Sans and `monospace` to DejaVu Sans Mono (fonts-dejavu-core); Chromium's own file
    // button is drawn in Liberation Sans (fonts-liberation). Checked in the browser (CSS.getPlatformFontsForNode over
    // every element of every page): nothing else. Noto Sans (fonts-noto-core) must NOT be installed: fontconfig
    // prefers it to DejaVu Sans, and every page would change (the spec's first test says so).
    //
    // threshold 0.2 (Playwright's default): how far a pixel's colour may move before it counts as different.
    // maxDiffPixelRatio 0.0001: the share of a page's pixels that may differ. Measured on this machine, 12 runs of
    // the same build against the same baselines: Playwright's comparison found no differing pixel in any shot
    // (6 runs, 5 of them at threshold 0); comparing the raw screenshots of the 6 others, at most 2 pixels of one
    // 1280×800 shot differed (2e-6 of it, by 6/255 at most). Removing the width of the email,
    // tel and file inputs in style/main.css changed 1.8e-4 (the file input alone, on a 1280×1878 page) to 5.3e-3
    // of the pages it touches; 1px instead of 2px input borders changed 3.6e-3 to 4.5e-2. 0.0001 fails every page
    // of both breaks and leaves 50 times the largest noise seen; a difference of size (a page taller, or wider
    // than 360 px) always fails.
    toHaveScreenshot: {
      maxDiffPixelRatio: 0.0001,
      threshold: 0.2,
      animations: "disabled",
      caret: "hide",
      scale: "css",
    },
  },
  // One baseline per page and project, next to the spec, without the platform suffix: they are made in Debian's
  // Chromium with the fonts scripts/setup.sh --tests installs, on any machine.
  snapshotPathTemplate: "{testDir}/{testFileName}-snapshots/{arg}-{projectName}{ext}",
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

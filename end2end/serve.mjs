// Starts the real server for the Playwright run: a fresh SQLite database in a temporary directory, the demo data,
// then `enrole serve` on the port Playwright chose. Removes the directory when Playwright stops it (SIGTERM).
//
// Reads ENROLE_E2E_DIR (the temporary directory, created by playwright.config.ts), ENROLE_BIN (default: $CARGO_TARGET_DIR/debug/enrole, else ../target/debug/enrole), ENROLE_E2E_PORT (set by
// playwright.config.ts) and ENROLE_SITE_DIR (default ../dist, the output of `cargo run -p xtask -- build-app`).

import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const bin = resolve(root, process.env.ENROLE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? "target", "debug", "enrole"));
const siteDir = resolve(root, process.env.ENROLE_SITE_DIR ?? "dist");
const port = process.env.ENROLE_E2E_PORT;

function fail(message) {
  console.error(`end2end/serve.mjs: ${message}`);
  process.exit(1);
}
if (!port) fail("ENROLE_E2E_PORT is not set (playwright.config.ts sets it)");
if (!existsSync(bin)) fail(`no server binary at ${bin}: build it (cargo build -p server --bin enrole) or set ENROLE_BIN`);
if (!existsSync(join(siteDir, "index.html"))) fail(`no built app in ${siteDir}: run cargo run -p xtask -- build-app`);

// playwright.config.ts creates the directory (the tests read the emails in its outbox/); a fresh one otherwise.
const dir = process.env.ENROLE_E2E_DIR || mkdtempSync(join(tmpdir(), "enrole-e2e-"));
const env = {
  ...process.env,
  ENROLE_DATABASE_URL: `sqlite://${join(dir, "enrole.sqlite")}?mode=rwc`,
  ENROLE_OUTBOX_DIR: join(dir, "outbox"),
  ENROLE_SITE_DIR: siteDir,
  ENROLE_LISTEN: `127.0.0.1:${port}`,
  ENROLE_PUBLIC_URL: `http://127.0.0.1:${port}`,
  // Debug level, into server.log: global-teardown.ts checks that it holds no personal data and no secret.
  ENROLE_LOG: process.env.ENROLE_LOG ?? "debug",
};
const log = openSync(join(dir, "server.log"), "a");
const cleanUp = () => rmSync(dir, { recursive: true, force: true });
/** The end of the server's log, shown when it fails (it is not echoed otherwise). */
const logTail = () => readFileSync(join(dir, "server.log"), "utf8").split("\n").slice(-40).join("\n");

// The output of each step is kept in the directory too: seed-demo prints the demo gestionnaire's password link,
// which tests/gestion.spec.ts reads from seed-demo.out.
for (const step of ["migrate", "seed-demo"]) {
  const result = spawnSync(bin, [step], { env, stdio: ["ignore", "pipe", log] });
  if (result.stdout) {
    writeFileSync(join(dir, `${step}.out`), result.stdout);
    process.stdout.write(result.stdout);
  }
  if (result.status !== 0) {
    console.error(logTail());
    cleanUp();
    fail(`enrole ${step} failed (${result.error ?? `exit ${result.status}`})`);
  }
}

const server = spawn(bin, ["serve"], { env, stdio: ["ignore", log, log] });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => server.kill(signal));
}
server.on("exit", (code, signal) => {
  if (code) console.error(logTail());
  cleanUp();
  process.exit(code ?? (signal === "SIGTERM" || signal === "SIGINT" ? 0 : 1));
});

import { test as base, expect, type Page } from "@playwright/test";
import { AxeBuilder } from "@axe-core/playwright";
import { appendFileSync } from "node:fs";
import { join } from "node:path";

/** Every page of the app, with its heading (`open` waits for the app itself: /preinscription's h1 is static). */
export const PAGES = [
  { path: "/", heading: "Votre enregistrement au RPPS+, pas à pas" },
  { path: "/preinscription", heading: "Avant de commencer votre pré-inscription" },
  { path: "/roles", heading: "Rôles et métiers" },
  { path: "/gestion", heading: "Espace gestionnaire" },
  { path: "/une-page-qui-n-existe-pas", heading: "Page introuvable" },
  { path: "/gestion/une-page-qui-n-existe-pas", heading: "Page introuvable" },
] as const;

export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * `page` fails the test on any console error or uncaught exception: CSP violations, failed loads (a missing asset
 * answers 404) and panics of the WASM app all show up there.
 */
export const test = base.extend<{ page: Page }>({
  page: async ({ page }, use) => {
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() !== "error") return;
      const url = message.location().url;
      // Chromium logs the failures a test fakes on purpose (see failApi) as failed loads: expected there.
      const expected = failedOnPurpose.get(page) ?? [];
      if (expected.some((path) => (typeof path === "string" ? url.endsWith(path) : path.test(url)))) return;
      problems.push(`console: ${message.text()} (${url})`);
    });
    page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
    await use(page);
    await recordSessionIds(page);
    expect(problems, "errors in the browser console").toEqual([]);
  },
});

export { expect };

/** Keeps the session cookies the browser held, for the log scan of global-teardown.ts. */
async function recordSessionIds(page: Page) {
  const dir = process.env.ENROLE_E2E_DIR;
  if (!dir || page.isClosed()) return;
  const sessions = (await page.context().cookies()).filter((c) => c.name.includes("session")).map((c) => c.value);
  if (sessions.length > 0) appendFileSync(join(dir, "secrets-seen.txt"), `${sessions.join("\n")}\n`);
}

const failedOnPurpose = new WeakMap<Page, (string | RegExp)[]>();

/** Console errors logged from a URL that `url` matches are expected: a test makes that load fail on purpose. */
export function expectFailedLoads(page: Page, url: RegExp) {
  failedOnPurpose.set(page, [...(failedOnPurpose.get(page) ?? []), url]);
}

/** Makes the API answer `path` with `status` and no error envelope (an outage) until `page.unroute(path)`. */
export async function failApi(page: Page, path: string, status: number) {
  failedOnPurpose.set(page, [...(failedOnPurpose.get(page) ?? []), path]);
  await page.route(`**${path}`, (route) => route.fulfill({ status, contentType: "text/plain", body: "Indisponible" }));
}

/**
 * Opens `path` and waits until the app has started and shows the page's heading. The footer is the app's: no static
 * first paint has one, while /preinscription's serves its heading (and whole intro) before the app starts.
 */
export async function open(page: Page, path: string, heading: string) {
  await page.goto(path);
  await expect(page.getByRole("contentinfo")).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
}

/** The axe-core violations of the current page, as readable summaries. */
export async function axeViolations(page: Page) {
  const results = await new AxeBuilder({ page }).withTags(WCAG_TAGS).analyze();
  return results.violations.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`,
  );
}

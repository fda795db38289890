// The form embedded in an intranet (issue 6), with two origins on loopback: Enrôle on `localhost:PORT` (the server
// Playwright started, reached by another host name than the tests' 127.0.0.1) and the intranet page on
// `127.0.0.1:OTHER_PORT`, served by a small static server started here.
//
// A gestionnaire of the demo establishment is created with the operator's command (`enrole gestionnaire create`,
// as in production), chooses a password from the one-time link, and allows the intranet's origin in the
// gestionnaire space: no back door.

import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, FrameLocator, Page } from "@playwright/test";
import { axeViolations, expect, open, test } from "./fixtures";
import { tinyPng } from "./professional";

const FINESS = "319999926"; // Foyer d'accueil médicalisé Le Canal (démo)
const DEMO_EJ_SIRET = "99999999800019";
const PASSWORD = "Trois-sortes-de-caractères-42";
const FRAME_TITLE = "Formulaire de pré-inscription RPPS+";

const enrolePort = () => process.env.ENROLE_E2E_PORT ?? "";
/** Enrôle as the intranet page reaches it: another host name than the tests' `127.0.0.1`, so another origin. */
const enroleOrigin = () => `http://localhost:${enrolePort()}`;

/**
 * The intranet page: some text, the snippet, a paragraph below it (whose moves are the layout shift the embed
 * causes), the events received, and the layout shifts measured by the page itself.
 */
function hostPage(title: string): string {
  return `<!doctype html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<script>
  window.layoutShift = { all: 0, withoutInput: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.layoutShift.all += entry.value;
      if (!entry.hadRecentInput) window.layoutShift.withoutInput += entry.value;
    }
  }).observe({ type: "layout-shift", buffered: true });
  window.enroleEvents = [];
  for (const type of ["enrole:loaded", "enrole:step", "enrole:submitted"]) {
    document.addEventListener(type, (e) => window.enroleEvents.push({ type, detail: e.detail }));
  }
</script>
</head>
<body style="margin:0;font-family:sans-serif">
<main style="max-width:60rem;margin:0 auto;padding:1rem">
<h1>${title}</h1>
<p>Bienvenue sur l'intranet. Les nouveaux salariés se pré-inscrivent au RPPS+ ci-dessous.</p>
<script src="${enroleOrigin()}/embed.js" async></script><div data-enrole-form data-finess="${FINESS}"></div>
<p id="apres">Contact : service des ressources humaines, poste 1234.</p>
</main>
<script>
  // Every height the embed's element takes, the reserved one first.
  window.heights = [];
  new ResizeObserver(() => {
    const h = document.querySelector("[data-enrole-form]").getBoundingClientRect().height;
    if (h > 0) window.heights.push(Math.round(h));
  }).observe(document.querySelector("[data-enrole-form]"));
</script>
</body>
</html>`;
}

/** A page of a third origin that tries to pass for the form: it posts a resize and a "submitted" to its parent. */
const FORGER = `<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>Autre</title></head><body>
<script>
  parent.postMessage({ type: "enrole:resize", height: 4321 }, "*");
  parent.postMessage({ type: "enrole:submitted", reference: "ENR-FAUX-FAUX" }, "*");
</script></body></html>`;

/** Serves `pages` (path → HTML) on 127.0.0.1, on a free port. */
async function serve(pages: Record<string, string>): Promise<{ origin: string; server: Server }> {
  const server = createServer((request, response) => {
    const body = pages[new URL(request.url ?? "/", "http://x").pathname];
    response.writeHead(body ? 200 : 404, { "Content-Type": "text/html; charset=utf-8" });
    response.end(body ?? "introuvable");
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, server };
}

/** A new gestionnaire of the demo establishment, created as the operator does; answers the password link's path. */
function newGestionnaire(email: string): string {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
  const bin = resolve(
    root,
    process.env.ENROLE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? "target", "debug", "enrole"),
  );
  const dir = process.env.ENROLE_E2E_DIR ?? "";
  const result = spawnSync(
    bin,
    ["gestionnaire", "create", "--email", email, "--nom", "Intégration Démo", "--ej-siret", DEMO_EJ_SIRET],
    {
      env: {
        ...process.env,
        ENROLE_DATABASE_URL: `sqlite://${join(dir, "enrole.sqlite")}?mode=rwc`,
        ENROLE_OUTBOX_DIR: join(dir, "outbox"),
        ENROLE_PUBLIC_URL: `http://127.0.0.1:${enrolePort()}`,
        ENROLE_LOG: "warn",
      },
      encoding: "utf8",
    },
  );
  expect(result.status, result.stderr).toBe(0);
  const link = result.stdout.match(/https?:\/\/\S+\/gestion\/mot-de-passe\/\S+/)?.[0];
  expect(link, "password link in the output").toBeTruthy();
  return new URL(link ?? "").pathname;
}

/** Creates a gestionnaire, sets the password, signs in, opens the integration page. */
async function signInToIntegration(page: Page) {
  const email = `integration-${randomUUID().slice(0, 8)}@enrole.localhost`;
  await open(page, newGestionnaire(email), "Choisir votre mot de passe");
  await page.getByLabel("Nouveau mot de passe").fill(PASSWORD);
  await page.getByLabel("Confirmez le mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
  await expect(page).toHaveURL(/\/gestion\/connexion/);
  await page.getByLabel("Adresse email").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();
  await page.getByRole("link", { name: "Intégration" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Intégrer le formulaire à votre intranet" })).toBeVisible();
}

/** Allows `origin` for the demo entité juridique through the page. */
async function allowOrigin(page: Page, origin: string) {
  await page.getByLabel("Adresse de votre intranet").fill(origin);
  await page.getByRole("button", { name: "Autoriser cette origine" }).click();
  await expect(page.getByRole("status").filter({ hasText: `Origine ${origin} autorisée.` })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: origin })).toBeVisible();
}

async function events(page: Page): Promise<{ type: string; detail: Record<string, unknown> }[]> {
  return page.evaluate(() => (window as unknown as { enroleEvents: never[] }).enroleEvents);
}

async function frameHeight(page: Page): Promise<number> {
  return page.locator(`iframe[title="${FRAME_TITLE}"]`).evaluate((f) => f.getBoundingClientRect().height);
}

/** The frame's height once it fits its content (shrinking waits a moment: see app/src/embed.rs). */
async function settledHeight(page: Page, frame: FrameLocator): Promise<number> {
  const fits = async () => {
    const inner = await frame.locator("body").evaluate((b) => Math.ceil(b.getBoundingClientRect().height));
    return Math.abs((await frameHeight(page)) - inner) <= 2;
  };
  await expect.poll(fits).toBe(true);
  return frameHeight(page);
}

const step = (frame: FrameLocator, n: number) => frame.getByText(`Étape ${n} sur 6`, { exact: true });

test.describe("formulaire intégré", () => {
  test("an intranet page embeds the form: it reserves its space, follows the steps and is told the reference", async ({
    page,
    browser,
  }) => {
    test.setTimeout(120_000);
    const host = await serve({ "/": hostPage("Intranet des Jardins d'Occitanie") });
    const forger = await serve({ "/": FORGER });
    const refused = await serve({ "/": hostPage("Intranet non autorisé") });
    try {

      // The gestionnaire allows the intranet's origin (plain http: a warning says so).
      await signInToIntegration(page);
      await page.getByLabel("Adresse de votre intranet").fill(`${host.origin}/accueil`);
      await page.getByRole("button", { name: "Autoriser cette origine" }).click();
      await expect(page.getByText(/sans chemin, paramètre ni/).first()).toBeVisible();
      await expect(page.getByLabel("Adresse de votre intranet")).toHaveAttribute("aria-invalid", "true");
      await allowOrigin(page, host.origin);
      await expect(page.getByText(/Adresse en http/).first()).toBeVisible();

      // The intranet page: the frame is there at once with its reserved height, then fits the first step.
      const intranet = await page.context().newPage();
      const problems: string[] = [];
      intranet.on("console", (m) => m.type() === "error" && problems.push(`${m.text()} (${m.location().url})`));
      intranet.on("pageerror", (e) => problems.push(e.message));
      await intranet.goto(host.origin);
      const frameElement = intranet.locator(`iframe[title="${FRAME_TITLE}"]`);
      await expect(frameElement).toHaveAttribute("sandbox", "allow-scripts allow-forms allow-same-origin");
      await expect.poll(() => intranet.evaluate(() => (window as unknown as { heights: number[] }).heights.length)).toBeGreaterThan(0);
      const reserved = await intranet.evaluate(() => (window as unknown as { heights: number[] }).heights[0]);
      expect(reserved).toBeGreaterThan(500);
      const frame = intranet.frameLocator(`iframe[title="${FRAME_TITLE}"]`);
      await expect(step(frame, 1)).toBeVisible();
      await expect(frame.getByText("Foyer d'accueil médicalisé Le Canal (démo), Ramonville-Saint-Agne")).toBeVisible();
      // Compact: no site header, navigation or footer.
      await expect(frame.getByRole("navigation")).toHaveCount(0);
      await expect(frame.getByRole("contentinfo")).toHaveCount(0);
      await expect.poll(async () => (await events(intranet)).map((e) => e.type)).toContain("enrole:loaded");
      const first = await frameHeight(intranet);
      await intranet.waitForTimeout(500);
      const shiftAtLoad = await intranet.evaluate(
        () => (window as unknown as { layoutShift: { all: number } }).layoutShift.all,
      );
      // The frame shows the whole step: no scroll bar inside it.
      expect(await settledHeight(intranet, frame)).toBe(first);
      expect(await axeViolations(intranet)).toEqual([]);

      // Forged messages — from the page itself and from a frame of a third origin — change nothing.
      await intranet.evaluate(() => {
        window.postMessage({ type: "enrole:resize", height: 3000 }, "*");
        window.postMessage({ type: "enrole:submitted", reference: "ENR-FAUX-FAUX" }, "*");
      });
      await intranet.evaluate((src) => {
        const f = document.createElement("iframe");
        f.src = src;
        f.title = "Autre origine";
        document.body.append(f);
        return new Promise((done) => f.addEventListener("load", done));
      }, `${forger.origin}/`);
      await intranet.waitForTimeout(300);
      expect(await frameHeight(intranet)).toBe(first);
      expect((await events(intranet)).map((e) => e.type)).toEqual(["enrole:loaded"]);
      await intranet.locator('iframe[title="Autre origine"]').evaluate((f) => f.remove());

      // Step 1 → 3: the frame grows with the step.
      await frame.getByRole("radio", { name: "Non" }).check();
      await frame.getByRole("button", { name: "Suivant" }).click();
      await expect(step(frame, 2)).toBeVisible();
      await frame.getByRole("checkbox", { name: "J'ai lu la notice d'information sur mes données." }).check();
      await frame.getByRole("button", { name: "Suivant" }).click();
      await expect(step(frame, 3)).toBeVisible();
      const etatCivil = await settledHeight(intranet, frame);
      expect(etatCivil).toBeGreaterThan(first);
      await frame.getByRole("radio", { name: /En France/ }).check();
      await expect.poll(() => frameHeight(intranet)).toBeGreaterThan(etatCivil);

      await frame.getByRole("radio", { name: "Madame" }).check();
      await frame.getByLabel("Nom de naissance").fill("Intranet");
      await frame.getByLabel("Premier prénom").fill("Inès");
      const birth = frame.getByRole("group", { name: "Date de naissance" });
      await birth.getByLabel("Jour").fill("3");
      await birth.getByLabel("Mois").fill("11");
      await birth.getByLabel("Année").fill("1988");
      await frame.getByRole("searchbox", { name: "Commune de naissance" }).fill("montrejeau");
      await frame.getByRole("button", { name: /Montréjeau \(31\)/ }).click();
      await frame.getByRole("button", { name: "Suivant" }).click();

      await expect(step(frame, 4)).toBeVisible();
      await frame.getByLabel("Adresse email", { exact: true }).fill("ines.intranet@exemple.fr");
      await frame.getByLabel("Confirmez l'adresse email").fill("ines.intranet@exemple.fr");
      await frame.getByLabel("Téléphone mobile").fill("06 12 34 56 70");
      await frame.getByRole("button", { name: "Suivant" }).click();

      await expect(step(frame, 5)).toBeVisible();
      await frame.getByRole("searchbox", { name: "Votre métier" }).fill("AMP");
      await frame.getByRole("button", { name: /Accompagnant éducatif et social/ }).click();
      await frame.getByRole("radio", { name: "Accompagnement social/médico-social au soin" }).check();
      await frame.getByRole("radio", { name: "Salarié" }).check();
      const start = frame.getByRole("group", { name: "Date de prise de fonction" });
      await start.getByLabel("Jour").fill("1");
      await start.getByLabel("Mois").fill("9");
      await start.getByLabel("Année").fill("2024");
      await frame.getByRole("button", { name: "Suivant" }).click();

      await expect(step(frame, 6)).toBeVisible();
      await frame.getByLabel("Copie de votre pièce d'identité").setInputFiles({
        name: "carte.png",
        mimeType: "image/png",
        buffer: tinyPng(),
      });
      await expect(frame.getByText(/Document joint : carte\.png/)).toBeVisible();
      expect(await axeViolations(intranet)).toEqual([]);
      await frame.getByRole("button", { name: "Envoyer ma demande" }).click();
      await expect(frame.getByRole("heading", { level: 1, name: "Demande envoyée" })).toBeVisible();
      const reference = ((await frame.locator(".reference").textContent()) ?? "").trim();
      expect(reference).toMatch(/^ENR-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
      // No link that would open another page inside the intranet's frame.
      await expect(frame.getByRole("link", { name: "Suivre ma demande" })).toHaveCount(0);

      // The host page was told the steps and the reference, and nothing else.
      await expect
        .poll(async () => (await events(intranet)).filter((e) => e.type === "enrole:submitted"))
        .toEqual([{ type: "enrole:submitted", detail: { reference } }]);
      const all = await events(intranet);
      expect(all.filter((e) => e.type === "enrole:step").map((e) => e.detail.step)).toEqual([2, 3, 4, 5, 6]);
      expect(JSON.stringify(all)).not.toContain("Intranet");
      expect(problems).toEqual([]);

      const shift = await intranet.evaluate(() => (window as unknown as { layoutShift: object }).layoutShift);
      const heights = await intranet.evaluate(() => (window as unknown as { heights: number[] }).heights);
      const loader = await (await page.request.get(`${enroleOrigin()}/embed.js`)).body();
      const { brotliCompressSync, constants } = await import("node:zlib");
      const brotli = brotliCompressSync(loader, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
      expect(brotli).toBeLessThanOrEqual(2048);
      console.log(
        `embed (${test.info().project.name}): loader ${loader.length} B raw, ${brotli} B brotli; host layout shift ` +
          `at load ${shiftAtLoad}, whole flow ${JSON.stringify(shift)}; frame ${reserved}px reserved, ${first}px at step 1; heights ${heights.join(" ")}`,
      );

      // An intranet whose origin is not in the list: the browser refuses to show the form there.
      await assertRefused(browser, refused.origin);
    } finally {
      for (const s of [host, forger, refused]) s.server.close();
    }
  });

  test("the embedded form keeps its answers in memory where the browser refuses storage", async ({ page }) => {
    // Third-party storage blocked: reading `sessionStorage` throws, as in browsers that refuse it to frames.
    await page.addInitScript(() => {
      Object.defineProperty(window, "sessionStorage", {
        get() {
          throw new DOMException("Accès au stockage refusé", "SecurityError");
        },
      });
    });
    await page.goto(`/integration/formulaire?finess=${FINESS}`);
    await expect(page.getByText("Étape 1 sur 6", { exact: true })).toBeVisible();
    await expect(page.getByText(/Le Canal \(démo\)/)).toBeVisible();
    // No cookie is needed either.
    expect(await page.context().cookies()).toEqual([]);
    await page.getByRole("radio", { name: "Non" }).check();
    await page.getByRole("button", { name: "Suivant" }).click();
    await expect(page.getByText("Étape 2 sur 6", { exact: true })).toBeVisible();
    await page.getByRole("button", { name: "Précédent" }).click();
    await expect(page.getByText("Étape 1 sur 6", { exact: true })).toBeVisible();
    await expect(page.getByRole("radio", { name: "Non" })).toBeChecked();
    expect(await axeViolations(page)).toEqual([]);
  });

  test("the integration page gives each site its snippet, a copy button and a live preview", async ({ page, isMobile }) => {
    test.setTimeout(60_000);
    if (!isMobile) {
      await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    }
    await signInToIntegration(page);
    const site = page.locator(".integration-site").filter({ hasText: "Le Canal" });
    await expect(site.locator("code")).toHaveText(
      `<script src="http://127.0.0.1:${enrolePort()}/embed.js" async></script>\n` +
        `<div data-enrole-form data-finess="${FINESS}"></div>`,
    );
    await expect(page.getByText(/Aucune origine pour l'instant|Origines autorisées/).first()).toBeVisible();
    expect(await axeViolations(page)).toEqual([]);
    if (!isMobile) {
      await site.getByRole("button", { name: /Copier le code de Foyer/ }).click();
      await expect(site.getByRole("status")).toHaveText("Code copié dans le presse-papiers.");
      expect(await page.evaluate(() => navigator.clipboard.readText())).toContain(`data-finess="${FINESS}"`);
    }
    await site.getByRole("button", { name: /Aperçu pour Foyer/ }).click();
    const preview = page.frameLocator('iframe[title^="Aperçu du formulaire intégré"]');
    await expect(preview.getByText("Étape 1 sur 6", { exact: true })).toBeVisible();
    await expect(preview.getByText(/Le Canal \(démo\)/)).toBeVisible();
    expect(await axeViolations(page)).toEqual([]);
    // Removing an origin.
    const origin = `https://intranet-${randomUUID().slice(0, 6)}.exemple.fr`;
    await allowOrigin(page, origin);
    await page.getByRole("button", { name: `Retirer l'origine ${origin}` }).click();
    await expect(page.getByRole("status").filter({ hasText: `Origine ${origin} retirée.` })).toBeVisible();
    await expect(page.getByRole("listitem").filter({ hasText: origin })).toHaveCount(0);
  });
});

/** Opens `origin` (not allowed) in a fresh page: the frame's document never renders the form. */
async function assertRefused(browser: Browser, origin: string) {
  const context = await browser.newContext();
  const intranet = await context.newPage();
  const refusals: string[] = [];
  intranet.on("console", (m) => refusals.push(m.text()));
  await intranet.goto(origin);
  const frame = intranet.frameLocator(`iframe[title="${FRAME_TITLE}"]`);
  await expect(intranet.locator(`iframe[title="${FRAME_TITLE}"]`)).toBeAttached();
  await expect.poll(() => refusals.join("\n")).toMatch(/frame-ancestors/);
  await intranet.waitForTimeout(500);
  await expect(frame.getByText("Étape 1 sur 6", { exact: true })).toHaveCount(0);
  expect(await events(intranet)).toEqual([]);
  await context.close();
}

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "@playwright/test";
import { axeViolations, expect, open, test } from "./fixtures";
import { emailsWith, newPhone, registerThroughTheForm, submitRequest } from "./professional";

// The gestionnaire's flows, on desktop: the demo gestionnaire's one-time password link is used once, so the tests
// of this file run in order in one worker.
test.describe.configure({ mode: "serial" });

const EMAIL = "gestionnaire.demo@enrole.localhost";
const PASSWORD = "Trois-sortes-de-caractères-42";

const dir = () => process.env.ENROLE_E2E_DIR ?? "";

/** The path of the demo gestionnaire's password link, printed by `enrole seed-demo` (kept by serve.mjs). */
function passwordLinkPath(): string {
  const out = readFileSync(join(dir(), "seed-demo.out"), "utf8");
  const link = out.match(/https?:\/\/\S+\/gestion\/mot-de-passe\/\S+/)?.[0];
  expect(link, "password link in the output of seed-demo").toBeTruthy();
  return new URL(link ?? "").pathname;
}

/** A surname no other test uses (possible duplicates are flagged on names). */
const uniqueName = (prefix: string) => `${prefix}${randomUUID().replace(/[^a-f]/g, "").slice(0, 6)}`;

async function expectNoViolation(page: Page) {
  expect(await axeViolations(page)).toEqual([]);
}

async function signIn(page: Page) {
  await open(page, "/gestion/connexion", "Connexion à l'espace gestionnaire");
  await page.getByLabel("Adresse email").fill(EMAIL);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();
}

/** Presses Tab until `target` has the focus (keyboard only). */
async function tabTo(page: Page, target: Locator) {
  for (let i = 0; i < 60; i++) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`could not reach ${target} with Tab`);
}

/** Opens the request `reference` from the queue (by a click). */
async function openFromQueue(page: Page, reference: string) {
  await page.getByRole("link", { name: reference }).click();
  await expect(page.getByRole("heading", { level: 1, name: `Demande ${reference}` })).toBeVisible();
}

test.describe("espace gestionnaire", () => {
  const SIGNED_OUT = "signed out, the queue leads to the sign-in page";
  test.beforeEach(({ isMobile }, testInfo) => {
    test.skip(
      isMobile && testInfo.title !== SIGNED_OUT,
      "the gestionnaire's flows are checked on desktop (the password link is used once)",
    );
  });

  test(SIGNED_OUT, async ({ page }) => {
    await page.goto("/gestion/demandes");
    await expect(page.getByRole("heading", { level: 1, name: "Connexion à l'espace gestionnaire" })).toBeVisible();
    await expect(page).toHaveURL(/\/gestion\/connexion$/);
    // Sent empty, the form says what is missing and links to the fields.
    await page.getByRole("button", { name: "Se connecter" }).click();
    await expect(page.locator("#erreurs")).toBeFocused();
    await expect(page.getByRole("link", { name: "Saisissez votre adresse email." })).toBeVisible();
    await expect(page.getByLabel("Adresse email")).toHaveAttribute("aria-invalid", "true");
    await expectNoViolation(page);
  });

  test("the gestionnaire chooses a password from the one-time link, then signs in", async ({ page }) => {
    await open(page, passwordLinkPath(), "Choisir votre mot de passe");
    await expect(page.getByText(/Au moins 12 caractères/)).toBeVisible();
    await page.getByLabel("Nouveau mot de passe").fill(PASSWORD);
    await page.getByLabel("Confirmez le mot de passe").fill(`${PASSWORD}!`);
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await expect(page.getByRole("link", { name: "Les deux mots de passe ne sont pas identiques." })).toBeVisible();
    await expectNoViolation(page);
    await page.getByLabel("Confirmez le mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await expect(page.getByText("Votre mot de passe est enregistré.", { exact: false })).toBeVisible();
    await expect(page).toHaveURL(/\/gestion\/connexion/);
    await expectNoViolation(page);

    await page.getByLabel("Adresse email").fill(EMAIL);
    await page.getByLabel("Mot de passe").fill(PASSWORD);
    await page.getByRole("button", { name: "Se connecter" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();
    await expect(page.getByRole("button", { name: "Se déconnecter" })).toBeVisible();

    // Signed in, the landing leads to the queue; signing out leads back to the sign-in page.
    await page.getByRole("link", { name: "Espace gestionnaire" }).first().click();
    await expect(page.getByRole("link", { name: "Voir les demandes à traiter" })).toBeVisible();
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await expect(page.getByText("Vous êtes déconnecté.")).toBeVisible();
    await expect(page.getByRole("button", { name: "Se déconnecter" })).toHaveCount(0);
  });

  test("a request sent from a phone is found in the queue and validated with the keyboard alone", async ({
    page,
    browser,
    baseURL,
  }) => {
    test.setTimeout(90_000);
    // The professional, on a phone, through the form.
    const phone = await newPhone(browser, baseURL);
    const sent = await registerThroughTheForm(phone, uniqueName("Clavier"));
    await phone.context().close();
    // The gestionnaire, on the desktop.
    await signIn(page);
    await expect(page.getByRole("link", { name: sent.reference })).toBeVisible();
    await expectNoViolation(page);

    const started = Date.now();
    // j moves through the rows until the request's link has the focus; Enter opens it.
    const row = page.getByRole("link", { name: sent.reference });
    for (let i = 0; i < 60; i++) {
      if (await row.evaluate((el) => el === document.activeElement)) break;
      await page.keyboard.press("j");
    }
    await expect(row).toBeFocused();
    // k goes back one row (or stays on the first), j forward again: the focus never leaves the rows.
    await page.keyboard.press("k");
    await expect(page.locator(":focus")).toHaveAttribute("href", /\/gestion\/demandes\/\d+$/);
    for (let i = 0; i < 60; i++) {
      if (await row.evaluate((el) => el === document.activeElement)) break;
      await page.keyboard.press("j");
    }
    await page.keyboard.press("Enter");
    await expect(page.getByRole("heading", { level: 1, name: `Demande ${sent.reference}` })).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: "État civil" })).toBeVisible();
    await expect(page.getByRole("img", { name: /Pièce d'identité transmise/ })).toBeVisible();

    await tabTo(page, page.getByRole("button", { name: "Valider…" }));
    await page.keyboard.press("Enter");
    const confirm = page.getByRole("button", { name: "Confirmer la validation" });
    await expect(confirm).toBeFocused();
    await page.keyboard.press("Enter");
    const result = page.locator("#decision-resultat");
    await expect(result).toBeFocused();
    await expect(result).toContainText("Numéro RPPS attribué");
    const rpps = ((await result.textContent()) ?? "").match(/\d{11}/)?.[0] ?? "";
    expect(rpps).toMatch(/^\d{11}$/);
    console.log(`gestionnaire keyboard validation: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await expectNoViolation(page);

    // The professional's email holds the number, and so does the status page.
    await expect.poll(() => emailsWith(rpps).length, { timeout: 10_000 }).toBeGreaterThan(0);
    await page.goto(sent.status_url);
    await expect(page.getByRole("heading", { level: 1, name: "Suivi de votre demande" })).toBeVisible();
    await expect(page.getByText(rpps)).toBeVisible();
    await expect(page.getByText("Validée", { exact: true })).toBeVisible();

    // "Demande suivante" leads back to the queue, where the request is no longer to be processed.
    await page.goto("/gestion/demandes");
    await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();
    await expect(page.getByRole("link", { name: sent.reference })).toHaveCount(0);
  });

  test("a PDF identity document is shown in the page by the browser's viewer", async ({ page, request }) => {
    const submitted = await submitRequest(request, uniqueName("Pdf"), { document: "pdf" });
    await signIn(page);
    await openFromQueue(page, submitted.reference);
    const frame = page.getByTitle("Pièce d'identité transmise (PDF)");
    await expect(frame).toBeVisible();
    // Chromium's PDF viewer adds its own frames inside ours; a refused document leaves only our frame.
    await expect.poll(() => page.frames().length, { timeout: 10_000 }).toBeGreaterThan(2);
    const box = await frame.boundingBox();
    expect(box?.height ?? 0).toBeGreaterThan(200);
    await expectNoViolation(page);
  });

  test("a request is refused with a reason", async ({ page, request }) => {
    const sent = await submitRequest(request, uniqueName("Refus"));
    await signIn(page);
    await openFromQueue(page, sent.reference);
    await page.getByRole("button", { name: "Refuser…" }).click();
    await page.getByRole("button", { name: "Confirmer le refus" }).click();
    await expect(page.getByRole("link", { name: "Choisissez le motif du refus." })).toBeVisible();
    await expectNoViolation(page);
    await page.getByRole("radio", { name: "Professionnel non éligible" }).check();
    await page.getByLabel(/Message au professionnel/).fill("Vous n'exercez pas dans cet établissement.");
    await page.getByRole("button", { name: "Confirmer le refus" }).click();
    await expect(page.locator("#decision-resultat")).toBeFocused();
    await expect(page.locator("#decision-resultat")).toContainText("Demande refusée");
    await page.getByRole("link", { name: "Demande suivante" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();
    await page.goto(sent.status_url);
    await expect(page.getByText("Refusée", { exact: true })).toBeVisible();
    await expect(page.getByText("Vous n'exercez pas dans cet établissement.")).toBeVisible();
  });

  test("a request is returned for correction", async ({ page, request }) => {
    const sent = await submitRequest(request, uniqueName("Renvoi"));
    await signIn(page);
    await openFromQueue(page, sent.reference);
    await page.getByRole("button", { name: "Renvoyer pour complément…" }).click();
    await page.getByRole("checkbox", { name: "Nom de naissance" }).check();
    await page.getByLabel("Message au professionnel").fill("Le nom de naissance ne correspond pas à la pièce.");
    await expectNoViolation(page);
    await page.getByRole("button", { name: "Confirmer le renvoi" }).click();
    await expect(page.locator("#decision-resultat")).toBeFocused();
    await expect(page.locator("#decision-resultat")).toContainText("renvoyée pour complément");

    // The professional opens the status link: the field to correct, pre-filled, with the gestionnaire's words.
    await page.goto(sent.status_url);
    await expect(page.getByText("À compléter", { exact: true })).toBeVisible();
    await expect(page.getByText("Le nom de naissance ne correspond pas à la pièce.")).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: "Corriger votre demande" })).toBeVisible();
    const nom = page.getByRole("textbox", { name: "Nom de naissance" });
    await expect(nom).toHaveValue(sent.nom);
    // Emptied, the shared rules refuse it before anything is sent.
    await nom.fill("");
    await page.getByRole("button", { name: "Renvoyer ma demande corrigée" }).click();
    await expect(page.locator("#erreurs")).toBeFocused();
    await expect(nom).toHaveAttribute("aria-invalid", "true");
    await expectNoViolation(page);
    // Corrected, the request is sent back and is "Reçue" again.
    const corrected = `${sent.nom}-Diallo`;
    await nom.fill(corrected);
    await page.getByRole("button", { name: "Renvoyer ma demande corrigée" }).click();
    await expect(page.locator("#renvoi-confirme")).toBeFocused();
    await expect(page.getByText("Reçue", { exact: true })).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: "Corriger votre demande" })).toHaveCount(0);
    await expectNoViolation(page);

    // Back in the gestionnaire's queue, with the corrected name.
    await page.goto("/gestion/demandes");
    await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();
    await expect(page.getByRole("link", { name: sent.reference })).toBeVisible();
    await openFromQueue(page, sent.reference);
    await expect(page.getByText(corrected).first()).toBeVisible();
  });
});

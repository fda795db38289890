import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Locator, Page } from "@playwright/test";
import { tinyPng } from "./professional";
import { axeViolations, expect, expectFailedLoads, open, test } from "./fixtures";

/**
 * The newest email of the server's outbox that contains `text`, decoded from quoted-printable ("" when none): other
 * tests running at the same time write emails too, so the newest file is not necessarily this test's.
 */
function newestEmailWith(text: string): string {
  const outbox = join(process.env.ENROLE_E2E_DIR ?? "", "outbox");
  const files = readdirSync(outbox).filter((f) => f.endsWith(".eml")).sort().reverse();
  for (const file of files) {
    const raw = readFileSync(join(outbox, file), "utf8");
    const mail = raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
    if (mail.includes(text)) return mail;
  }
  return "";
}

async function expectStep(page: Page, n: number, title: string) {
  await expect(page.getByText(`Étape ${n} sur 6`, { exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeVisible();
  await expect(page).toHaveTitle(new RegExp(`^Étape ${n} sur 6`));
}

async function expectNoViolation(page: Page) {
  expect(await axeViolations(page)).toEqual([]);
}

const next = (page: Page) => page.getByRole("button", { name: "Suivant" }).click();

test.describe("pré-inscription", () => {
  test("a professional registers on a phone, reloads midway, fixes an error and follows the request", async ({
    page,
    isMobile,
  }) => {
    test.skip(!isMobile, "the mobile flow; the keyboard flow covers desktop");
    test.setTimeout(120_000);
    const started = Date.now();
    await open(page, "/preinscription", "Avant de commencer votre pré-inscription");
    await expectNoViolation(page);
    await page.getByRole("button", { name: "Commencer" }).click();

    // 1. Établissement: "Suivant" with nothing chosen shows the error summary, linked to the fields.
    await expectStep(page, 1, "Établissement");
    await next(page);
    const summary = page.getByRole("heading", { name: "Il y a un problème" });
    await expect(summary).toBeVisible();
    await expect(page.locator("#erreurs")).toBeFocused();
    await expect(page.getByRole("link", { name: "Choisissez l'établissement où vous travaillez." })).toBeVisible();
    await expect(page.getByRole("searchbox", { name: "Votre établissement" })).toHaveAttribute("aria-invalid", "true");
    await expectNoViolation(page);
    await page.getByRole("searchbox", { name: "Votre établissement" }).fill("Tilleuls");
    await page.getByRole("button", { name: /EHPAD Les Tilleuls/ }).click();
    await expect(page.getByText("EHPAD Les Tilleuls (démo), Toulouse (FINESS 319999918)")).toBeVisible();
    await page.getByRole("radio", { name: "Non" }).check();
    await expect(summary).toBeHidden();
    await expectNoViolation(page);
    await next(page);

    // 2. Information.
    await expectStep(page, 2, "Information sur vos données");
    const read = page.getByRole("checkbox", { name: "J'ai lu la notice d'information sur mes données." });
    await expect(read).toBeVisible();
    await expectNoViolation(page);
    await read.check();
    await next(page);

    // 3. État civil, with a reload in the middle.
    await expectStep(page, 3, "État civil");
    await page.getByRole("radio", { name: "Madame" }).check();
    await page.getByLabel("Nom de naissance").fill("N'Diaye");
    await page.getByLabel("Premier prénom").fill("Awa");
    await page.getByRole("button", { name: "Ajouter un prénom" }).click();
    await expect(page.getByLabel("Deuxième prénom")).toBeFocused();
    await page.getByLabel("Deuxième prénom").fill("Marie-Louise");
    const birth = page.getByRole("group", { name: "Date de naissance" });
    await birth.getByLabel("Jour").fill("3");
    await birth.getByLabel("Mois").fill("11");
    await birth.getByLabel("Année").fill("1988");
    await page.reload();
    await expectStep(page, 3, "État civil");
    await expect(page.getByRole("radio", { name: "Madame" })).toBeChecked();
    await expect(page.getByLabel("Nom de naissance")).toHaveValue("N'Diaye");
    await expect(page.getByLabel("Deuxième prénom")).toHaveValue("Marie-Louise");
    await expect(birth.getByLabel("Année")).toHaveValue("1988");
    await page.getByRole("radio", { name: /En France/ }).check();
    await page.getByRole("searchbox", { name: "Commune de naissance" }).fill("montrejeau");
    await page.getByRole("button", { name: /Montréjeau \(31\)/ }).click();
    await expectNoViolation(page);
    await next(page);

    // 4. Coordonnées: a confirmation that differs is caught, then fixed.
    await expectStep(page, 4, "Coordonnées");
    await page.getByLabel("Adresse email", { exact: true }).fill("awa.ndiaye@exemple.fr");
    await page.getByLabel("Confirmez l'adresse email").fill("awa.ndiay@exemple.fr");
    await page.getByLabel("Téléphone mobile").fill("06 12 34 56 78");
    await next(page);
    const mismatch = page.getByRole("link", { name: /ne sont pas identiques/ });
    await expect(mismatch).toBeVisible();
    await expectNoViolation(page);
    await mismatch.click();
    const confirmation = page.getByLabel("Confirmez l'adresse email");
    await expect(confirmation).toBeFocused();
    await confirmation.fill("awa.ndiaye@exemple.fr");
    await expect(page.getByText(/ne sont pas identiques/)).toHaveCount(0);
    await next(page);

    // 5. Situation d'exercice: "AMP" finds the current métier; names are pre-filled from the état civil.
    await expectStep(page, 5, "Situation d'exercice");
    await page.getByRole("searchbox", { name: "Votre métier" }).fill("AMP");
    await page.getByRole("button", { name: /Accompagnant éducatif et social/ }).click();
    await page.getByRole("radio", { name: "Accompagnement social/médico-social au soin" }).check();
    await page.getByRole("radio", { name: "Salarié" }).check();
    const start = page.getByRole("group", { name: "Date de prise de fonction" });
    await start.getByLabel("Jour").fill("1");
    await start.getByLabel("Mois").fill("9");
    await start.getByLabel("Année").fill("2024");
    await expect(page.getByLabel("Nom d'exercice", { exact: true })).toHaveValue("N'Diaye");
    await expect(page.getByLabel("Prénom d'exercice")).toHaveValue("Awa");
    await expectNoViolation(page);
    await next(page);

    // 6. Document and summary.
    await expectStep(page, 6, "Pièce d'identité et envoi");
    await page.getByLabel("Copie de votre pièce d'identité").setInputFiles({
      name: "carte-identite.png",
      mimeType: "image/png",
      buffer: tinyPng(),
    });
    await expect(page.getByText(/Document joint : carte-identite\.png/)).toBeVisible();
    await expect(page.getByLabel("Remplacer la pièce d'identité")).toBeVisible();
    await expect(page.getByRole("region", { name: "État civil" })).toContainText("Awa, Marie-Louise");
    await expect(page.getByRole("region", { name: "Situation d'exercice" })).toContainText("Accompagnant éducatif et social");
    await expectNoViolation(page);
    // The document reference survives a reload too.
    await page.reload();
    await expect(page.getByText(/Document joint : carte-identite\.png/)).toBeVisible();
    await page.getByRole("button", { name: "Envoyer ma demande" }).click();

    await expect(page.getByRole("heading", { level: 1, name: "Demande envoyée" })).toBeVisible();
    const reference = (await page.locator(".reference").textContent()) ?? "";
    expect(reference).toMatch(/^ENR-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    await expectNoViolation(page);
    expect(await page.evaluate(() => sessionStorage.getItem("enrole.preinscription"))).toBeNull();

    // The receipt email carries the private status link.
    await expect.poll(() => newestEmailWith(reference), { timeout: 10_000 }).toContain(reference);
    const link = newestEmailWith(reference).match(/https?:\/\/[^\s"<>]+\/suivi\/[0-9a-f]{64}/)?.[0];
    expect(link, "status link in the email").toBeTruthy();
    await page.goto(new URL(link ?? "").pathname);
    await expect(page.getByRole("heading", { level: 1, name: "Suivi de votre demande" })).toBeVisible();
    await expect(page.getByText(reference)).toBeVisible();
    await expect(page.getByText("Reçue", { exact: true })).toBeVisible();
    await expectNoViolation(page);
    console.log(`mobile pre-registration flow: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  test("pressing a suggestion keeps the search field's focus until the press ends, so the tap is never lost", async ({
    page,
  }) => {
    // The search field's blur shows its error above the suggestions: if pressing a suggestion blurred the field,
    // the list moved down under the finger before the press ended and the tap picked nothing (seen once in CI).
    await open(page, "/preinscription", "Avant de commencer votre pré-inscription");
    await page.getByRole("button", { name: "Commencer" }).click();
    await expectStep(page, 1, "Établissement");
    const search = page.getByRole("searchbox", { name: "Votre établissement" });
    await search.fill("Tilleuls");
    const suggestion = page.getByRole("button", { name: /EHPAD Les Tilleuls/ });
    const box = await suggestion.boundingBox();
    expect(box).not.toBeNull();
    if (!box) return;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await expect(search).toBeFocused();
    await expect(page.getByText("Choisissez l'établissement où vous travaillez.")).toHaveCount(0);
    await page.mouse.up();
    await expect(page.getByText("EHPAD Les Tilleuls (démo), Toulouse (FINESS 319999918)")).toBeVisible();
  });

  test("the whole form can be completed with the keyboard alone", async ({ page, isMobile }) => {
    test.skip(isMobile, "keyboard navigation is checked on desktop");
    test.setTimeout(120_000);
    const started = Date.now();
    /** Presses Tab until `target` has the focus (keyboard only: no clicks). */
    async function tabTo(target: Locator) {
      for (let i = 0; i < 80; i++) {
        if (await target.evaluate((el) => el === document.activeElement)) return;
        await page.keyboard.press("Tab");
      }
      throw new Error(`could not reach ${target} with Tab`);
    }
    async function typeInto(target: Locator, text: string) {
      await tabTo(target);
      await page.keyboard.type(text);
    }
    async function press(target: Locator, key = "Enter") {
      await tabTo(target);
      await page.keyboard.press(key);
    }
    const nextButton = page.getByRole("button", { name: "Suivant" });

    await open(page, "/preinscription?finess=319999926", "Avant de commencer votre pré-inscription");
    await press(page.getByRole("button", { name: "Commencer" }));
    await expectStep(page, 1, "Établissement");
    await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
    await expect(page.getByText(/Le Canal \(démo\)/)).toBeVisible();
    await press(page.getByRole("radio", { name: "Non" }), "Space");
    await press(nextButton);

    await expectStep(page, 2, "Information sur vos données");
    await press(page.getByRole("checkbox", { name: /J'ai lu la notice/ }), "Space");
    await press(nextButton);

    await expectStep(page, 3, "État civil");
    await press(page.getByRole("radio", { name: "Monsieur" }), "Space");
    await typeInto(page.getByLabel("Nom de naissance"), "Martin");
    await typeInto(page.getByLabel("Premier prénom"), "Jean");
    const birth = page.getByRole("group", { name: "Date de naissance" });
    await typeInto(birth.getByLabel("Jour"), "15");
    await typeInto(birth.getByLabel("Mois"), "6");
    await typeInto(birth.getByLabel("Année"), "1980");
    // Arrow keys move within a radio group (Tab only enters it).
    await press(page.getByRole("radio", { name: /En France/ }), "ArrowDown");
    await expect(page.getByRole("radio", { name: "À l'étranger" })).toBeChecked();
    await typeInto(page.getByRole("searchbox", { name: "Pays de naissance" }), "maroc");
    await press(page.getByRole("button", { name: /^Maroc/ }));
    await typeInto(page.getByLabel("Ville de naissance"), "Rabat");
    await press(nextButton);

    await expectStep(page, 4, "Coordonnées");
    await typeInto(page.getByLabel("Adresse email", { exact: true }), "jean.martin@exemple.fr");
    await typeInto(page.getByLabel("Confirmez l'adresse email"), "jean.martin@exemple.fr");
    await typeInto(page.getByLabel("Téléphone mobile"), "0612345679");
    await press(nextButton);

    await expectStep(page, 5, "Situation d'exercice");
    await typeInto(page.getByRole("searchbox", { name: "Votre métier" }), "éducateur spécialisé");
    await press(page.getByRole("button", { name: /ducateur spécialisé/i }));
    await press(page.getByRole("radio", { name: "Coordination et orientation" }), "ArrowDown");
    await page.keyboard.press("ArrowDown");
    await expect(page.getByRole("radio", { name: /Accompagnement social\/médico-social à la vie sociale/ })).toBeChecked();
    await press(page.getByRole("radio", { name: "Salarié" }), "Space");
    const start = page.getByRole("group", { name: "Date de prise de fonction" });
    await typeInto(start.getByLabel("Jour"), "1");
    await typeInto(start.getByLabel("Mois"), "3");
    await typeInto(start.getByLabel("Année"), "2025");
    await press(nextButton);

    await expectStep(page, 6, "Pièce d'identité et envoi");
    const chooser = page.waitForEvent("filechooser");
    await press(page.getByLabel("Copie de votre pièce d'identité"), "Space");
    await (await chooser).setFiles({ name: "passeport.png", mimeType: "image/png", buffer: tinyPng() });
    await expect(page.getByText(/Document joint : passeport\.png/)).toBeVisible();
    await press(page.getByRole("button", { name: "Envoyer ma demande" }));
    await expect(page.getByRole("heading", { level: 1, name: "Demande envoyée" })).toBeVisible();
    console.log(`desktop keyboard flow: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  test("on a slow connection, a step waits for the steps' code with a focused status, then shows with its heading focused", async ({
    page,
  }) => {
    // The steps are a chunk of their own, fetched once the app starts: held back here until the person has started.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await page.route(/\/pkg\/preinscription-steps_view-[0-9a-f]+\.wasm$/, async (route) => {
      await held;
      await route.continue();
    });
    await open(page, "/preinscription", "Avant de commencer votre pré-inscription");
    await page.getByRole("button", { name: "Commencer" }).click();
    const status = page.getByRole("status").filter({ hasText: "Chargement du formulaire…" });
    await expect(status).toBeVisible();
    await expect(status).toBeFocused();
    await expectNoViolation(page);
    release();
    await expectStep(page, 1, "Établissement");
    await expect(page.getByRole("heading", { level: 1 })).toBeFocused();
    await expect(status).toBeHidden();
  });

  test("when the steps' code cannot be fetched, the page says so and fetches it again on request", async ({ page }) => {
    // The first fetch of the chunk fails (a phone losing its connection); Chromium and the split's loader log it.
    let failures = 1;
    expectFailedLoads(page, /\/pkg\/preinscription-(steps_view|split)-[0-9a-f]+\.(wasm|js)$/);
    await page.route(/\/pkg\/preinscription-steps_view-[0-9a-f]+\.wasm$/, async (route) => {
      if (failures > 0) {
        failures -= 1;
        await route.abort("internetdisconnected");
      } else {
        await route.continue();
      }
    });
    await open(page, "/preinscription", "Avant de commencer votre pré-inscription");
    await page.getByRole("button", { name: "Commencer" }).click();
    const alert = page.getByRole("alert").filter({ hasText: "Le formulaire n'a pas pu être chargé" });
    await expect(alert).toBeVisible();
    await expect(alert.getByText("Le formulaire n'a pas pu être chargé")).toBeFocused();
    await expectNoViolation(page);
    await alert.getByRole("button", { name: "Réessayer" }).click();
    await expectStep(page, 1, "Établissement");
    await expect(alert).toBeHidden();
  });
});

import { randomInt, randomUUID } from "node:crypto";
import type { Page } from "@playwright/test";
import { axeViolations, expect, open, test } from "./fixtures";
import { activationLink, Sinks, tinyPng, validate } from "./professional";

// The whole life of one professional on a phone: the form, the gestionnaire's validation, e-CPS activation with the
// two codes read where the person reads them (the .eml files and the SMS files of ENROLE_E2E_DIR/outbox), a mobile
// change, sign-out and sign-in with the new mobile.

async function expectNoViolation(page: Page) {
  expect(await axeViolations(page)).toEqual([]);
}

const next = (page: Page) => page.getByRole("button", { name: "Suivant" }).click();
const pairs = () => Array.from({ length: 4 }, () => String(randomInt(100)).padStart(2, "0")).join(" ");

/** The pré-inscription, on the phone; answers the reference. */
async function preRegister(page: Page, nom: string, email: string, mobile: string): Promise<string> {
  await open(page, "/preinscription", "Avant de commencer votre pré-inscription");
  await page.getByRole("button", { name: "Commencer" }).click();
  await page.getByRole("searchbox", { name: "Votre établissement" }).fill("Tilleuls");
  await page.getByRole("button", { name: /EHPAD Les Tilleuls/ }).click();
  await page.getByRole("radio", { name: "Non" }).check();
  await next(page);
  await page.getByRole("checkbox", { name: "J'ai lu la notice d'information sur mes données." }).check();
  await next(page);
  await page.getByRole("radio", { name: "Madame" }).check();
  await page.getByLabel("Nom de naissance").fill(nom);
  await page.getByLabel("Premier prénom").fill("Awa");
  const birth = page.getByRole("group", { name: "Date de naissance" });
  await birth.getByLabel("Jour").fill("3");
  await birth.getByLabel("Mois").fill("11");
  await birth.getByLabel("Année").fill("1988");
  await page.getByRole("radio", { name: /En France/ }).check();
  await page.getByRole("searchbox", { name: "Commune de naissance" }).fill("montrejeau");
  await page.getByRole("button", { name: /Montréjeau \(31\)/ }).click();
  await next(page);
  await page.getByLabel("Adresse email", { exact: true }).fill(email);
  await page.getByLabel("Confirmez l'adresse email").fill(email);
  await page.getByLabel("Téléphone mobile").fill(mobile);
  await next(page);
  await page.getByRole("searchbox", { name: "Votre métier" }).fill("AMP");
  await page.getByRole("button", { name: /Accompagnant éducatif et social/ }).click();
  await page.getByRole("radio", { name: "Accompagnement social/médico-social au soin" }).check();
  await page.getByRole("radio", { name: "Salarié" }).check();
  const start = page.getByRole("group", { name: "Date de prise de fonction" });
  await start.getByLabel("Jour").fill("1");
  await start.getByLabel("Mois").fill("9");
  await start.getByLabel("Année").fill("2024");
  await next(page);
  await page.getByLabel("Copie de votre pièce d'identité").setInputFiles({
    name: "carte-identite.png",
    mimeType: "image/png",
    buffer: tinyPng(),
  });
  await expect(page.getByText(/Document joint : carte-identite\.png/)).toBeVisible();
  await page.getByRole("button", { name: "Envoyer ma demande" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Demande envoyée" })).toBeVisible();
  return ((await page.locator(".reference").textContent()) ?? "").trim();
}

test.describe("espace du professionnel", () => {
  test("one person's life: pre-registration, validation, e-CPS activation, new mobile, sign-in again", async ({
    page,
    request,
    isMobile,
  }) => {
    test.skip(!isMobile, "the professional's flow is checked on the phone");
    test.setTimeout(150_000);
    const started = Date.now();
    const sinks = new Sinks();
    const nom = `Espace${randomUUID().replace(/[^a-f]/g, "").slice(0, 6)}`;
    const email = `${nom.toLowerCase()}@exemple.fr`;
    const oldMobile = `06 ${pairs()}`;
    const newMobile = `07 ${pairs()}`;
    const e164 = (national: string) => `+33${national.replace(/\s/g, "").slice(1)}`;

    // 1. Pre-registration on the phone, then validation by a gestionnaire of the site.
    const reference = await preRegister(page, nom, email, oldMobile);
    expect(reference).toMatch(/^ENR-/);
    const rpps = await validate(request, reference);

    // 2. The validation email carries the one-time activation link.
    await open(page, await activationLink(email, rpps), "Activer mon e-CPS ou me connecter");
    await expect(page.getByText("Vous arrivez par le lien")).toBeVisible();
    await expectNoViolation(page);
    await page.getByRole("button", { name: "Recevoir mes codes" }).click();
    await expect(page.getByRole("status").filter({ hasText: "un code vient d'être envoyé" })).toBeVisible();
    // Sent empty, the form names both fields.
    await page.getByRole("button", { name: "Valider" }).click();
    await expect(page.getByRole("link", { name: "Saisissez le code reçu par email." })).toBeVisible();
    await expect(page.getByLabel("Code reçu par SMS")).toHaveAttribute("aria-invalid", "true");
    await expectNoViolation(page);
    await page.getByLabel("Code reçu par email").fill(await sinks.emailCode(email));
    await page.getByLabel("Code reçu par SMS").fill(await sinks.smsCode(e164(oldMobile)));
    await page.getByRole("button", { name: "Valider" }).click();

    // 3. The professional's space.
    await expect(page.getByRole("heading", { level: 1, name: "Mon espace" })).toBeVisible();
    await expect(page.getByText(rpps)).toBeVisible();
    await expect(page.getByRole("heading", { level: 3, name: /EHPAD Les Tilleuls/ })).toBeVisible();
    await expect(page.getByText("Depuis le 01/09/2024")).toBeVisible();
    await expect(page.getByText(oldMobile)).toBeVisible();
    await expectNoViolation(page);

    // 4. A new mobile, confirmed with the code sent to it.
    await page.getByRole("button", { name: "Modifier mes coordonnées" }).click();
    await expect(page.getByLabel("Nouvelle adresse email")).toBeFocused();
    await page.getByLabel("Nouveau numéro de mobile").fill(newMobile);
    await expectNoViolation(page);
    await page.getByRole("button", { name: "Recevoir le code" }).click();
    await expect(page.getByText("Un code vient d'être envoyé par SMS à votre nouveau mobile.")).toBeVisible();
    await expect(page.getByLabel("Code reçu par email")).toHaveCount(0);
    await expectNoViolation(page);
    await page.getByLabel("Code reçu par SMS").fill(await sinks.smsCode(e164(newMobile)));
    await page.getByRole("button", { name: "Confirmer" }).click();
    await expect(page.getByText("Vos coordonnées sont à jour.", { exact: false })).toBeVisible();
    await expect(page.getByText(newMobile)).toBeVisible();
    await expect(page.getByText(oldMobile)).toHaveCount(0);
    await expectNoViolation(page);

    // 5. Sign out, then sign in again by RPPS number: the SMS goes to the new mobile only.
    const toOldMobile = Sinks.smsTo(e164(oldMobile)).length;
    await page.getByRole("button", { name: "Se déconnecter" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Activer mon e-CPS ou me connecter" })).toBeVisible();
    await expect(page.getByText("Vous êtes déconnecté.")).toBeVisible();
    await expectNoViolation(page);
    await page.getByLabel("Numéro RPPS").fill(rpps);
    await page.getByRole("button", { name: "Recevoir mes codes" }).click();
    await expect(page.locator("#codes-envoyes")).toBeFocused();
    await page.getByLabel("Code reçu par email").fill(await sinks.emailCode(email));
    await page.getByLabel("Code reçu par SMS").fill(await sinks.smsCode(e164(newMobile)));
    await expectNoViolation(page);
    await page.getByRole("button", { name: "Valider" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Mon espace" })).toBeVisible();
    await expect(page.getByText(newMobile)).toBeVisible();
    expect(Sinks.smsTo(e164(oldMobile)).length, "no code to the old mobile").toBe(toOldMobile);

    // The page fits a 360 px screen: nothing scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    console.log(`professional's life: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});

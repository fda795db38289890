import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Page } from "@playwright/test";
import { axeViolations, expect, open, test } from "./fixtures";
import { tinyPng } from "./professional";

// The gestionnaire registers a person end to end (CAS 1), finds them in the directory, changes their rôle and
// closes their situation; on desktop and at 360 px. Each project uses its own gestionnaire, created with the CLI
// on the server's database (the demo gestionnaire's one-time link belongs to gestion.spec.ts).

const PASSWORD = "Annuaire-des-professionnels-2026";
const DEMO_SIRET = "99999999800019";
const dir = () => process.env.ENROLE_E2E_DIR ?? "";

function bin(): string {
  const root = resolve(process.cwd(), "..");
  return resolve(
    root,
    process.env.ENROLE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? "target", "debug", "enrole"),
  );
}

/** Creates a gestionnaire of the demo establishment with the CLI; answers the path of their password link. */
function createGestionnaire(email: string, baseURL: string): string {
  const out = execFileSync(
    bin(),
    ["gestionnaire", "create", "--email", email, "--nom", "Claire Annuaire", "--ej-siret", DEMO_SIRET],
    {
      env: {
        ...process.env,
        ENROLE_DATABASE_URL: `sqlite://${join(dir(), "enrole.sqlite")}?mode=rwc`,
        ENROLE_OUTBOX_DIR: join(dir(), "outbox"),
        ENROLE_PUBLIC_URL: baseURL,
        ENROLE_LOG: "warn",
      },
    },
  ).toString();
  const link = out.match(/https?:\/\/\S+\/gestion\/mot-de-passe\/\S+/)?.[0];
  expect(link, "password link in the CLI output").toBeTruthy();
  return new URL(link ?? "").pathname;
}

/** The raw emails of the outbox sent to `to`. */
function emailsTo(to: string): string[] {
  const outbox = join(dir(), "outbox");
  return readdirSync(outbox)
    .filter((f) => f.endsWith(".eml"))
    .map((f) => readFileSync(join(outbox, f), "utf8").replace(/=\r?\n/g, ""))
    .filter((mail) => mail.includes(`To: ${to}`));
}

async function expectNoViolation(page: Page) {
  expect(await axeViolations(page)).toEqual([]);
}

const next = (page: Page) => page.getByRole("button", { name: "Suivant" }).click();

async function expectStep(page: Page, title: string) {
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeFocused();
}

test("a gestionnaire registers a person, finds them, changes their rôle and closes their situation", async ({
  page,
  baseURL,
}, testInfo) => {
  test.setTimeout(90_000);
  const tag = randomUUID().replace(/[^a-f]/g, "").slice(0, 6);
  const email = `rh.${testInfo.project.name}.${tag}@enrole.localhost`;
  const nom = `Annuaire${tag}`;
  const personEmail = `${nom.toLowerCase()}@exemple.fr`;

  // The gestionnaire chooses a password and signs in.
  await open(page, createGestionnaire(email, baseURL ?? ""), "Choisir votre mot de passe");
  await page.getByLabel("Nouveau mot de passe").fill(PASSWORD);
  await page.getByLabel("Confirmez le mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
  await expect(page).toHaveURL(/\/gestion\/connexion/);
  await page.getByLabel("Adresse email").fill(email);
  await page.getByLabel("Mot de passe").fill(PASSWORD);
  await page.getByRole("button", { name: "Se connecter" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();

  // CAS 1, step by step, with the professional form's own steps and rules.
  await page.getByRole("link", { name: "Enregistrer une personne" }).first().click();
  await expect(page.getByRole("heading", { level: 1, name: "Établissement" })).toBeVisible();
  await next(page);
  await expect(page.getByRole("link", { name: "Choisissez l'établissement où vous travaillez." })).toBeVisible();
  await expectNoViolation(page);
  await page.getByRole("radio", { name: "EHPAD Les Tilleuls (démo)" }).check();
  await next(page);

  await expectStep(page, "Information de la personne");
  await page.getByRole("checkbox", { name: /J'ai remis cette notice d'information à la personne/ }).check();
  await expectNoViolation(page);
  await next(page);

  await expectStep(page, "État civil");
  await expect(page.getByText("Recopiez l'état civil de la personne tel qu'il figure sur sa pièce d'identité.")).toBeVisible();
  await page.getByRole("radio", { name: "Madame" }).check();
  await page.getByLabel("Nom de naissance").fill(nom);
  await page.getByLabel("Premier prénom").fill("Éloïse");
  const birth = page.getByRole("group", { name: "Date de naissance" });
  await birth.getByLabel("Jour").fill("12");
  await birth.getByLabel("Mois").fill("4");
  await birth.getByLabel("Année").fill("1990");
  await page.getByRole("radio", { name: /En France/ }).check();
  await page.getByRole("searchbox", { name: "Commune de naissance" }).fill("montrejeau");
  await page.getByRole("button", { name: /Montréjeau \(31\)/ }).click();
  await expectNoViolation(page);
  await next(page);

  await expectStep(page, "Coordonnées");
  await page.getByLabel("Adresse email", { exact: true }).fill(personEmail);
  await page.getByLabel("Confirmez l'adresse email").fill(personEmail);
  await page.getByLabel("Téléphone mobile").fill("06 12 34 56 78");
  await next(page);

  await expectStep(page, "Situation d'exercice");
  await page.getByRole("searchbox", { name: "Métier" }).fill("AMP");
  await page.getByRole("button", { name: /Accompagnant éducatif et social/ }).click();
  await page.getByRole("radio", { name: "Accompagnement social/médico-social au soin" }).check();
  await page.getByRole("radio", { name: "Salarié" }).check();
  const start = page.getByRole("group", { name: "Date de prise de fonction" });
  await start.getByLabel("Jour").fill("1");
  await start.getByLabel("Mois").fill("9");
  await start.getByLabel("Année").fill("2024");
  await expectNoViolation(page);
  await next(page);

  await expectStep(page, "Pièce d'identité et enregistrement");
  await page.getByLabel("Copie de la pièce d'identité de la personne").setInputFiles({
    name: "carte-identite.png",
    mimeType: "image/png",
    buffer: tinyPng(),
  });
  await expect(page.getByText(/Document joint : carte-identite\.png/)).toBeVisible();
  // The declaration is mandatory.
  await page.getByRole("button", { name: "Enregistrer la personne" }).click();
  await expect(page.getByRole("link", { name: /Déclarez que vous avez vérifié la pièce d'identité/ })).toBeVisible();
  await expectNoViolation(page);
  await page.getByRole("checkbox", { name: /J'ai vérifié la pièce d'identité de la personne/ }).check();
  await page.getByRole("button", { name: "Enregistrer la personne" }).click();

  await expect(page.getByRole("heading", { level: 1, name: "Personne enregistrée" })).toBeVisible();
  const rpps = ((await page.locator(".reference").textContent()) ?? "").trim();
  expect(rpps).toMatch(/^9\d{10}$/);
  await expectNoViolation(page);
  await expect.poll(() => emailsTo(personEmail).some((m) => m.includes(rpps) && m.includes("/activation"))).toBe(true);

  // The directory finds the person by name, accents and case ignored.
  await page.getByRole("link", { name: "Professionnels", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Professionnels de l'établissement" })).toBeVisible();
  await page.getByLabel("Nom, prénom ou numéro RPPS").fill(`eloise ${nom.toUpperCase()}`);
  await page.getByRole("button", { name: "Rechercher" }).click();
  const link = page.getByRole("link", { name: `Éloïse ${nom}` });
  await expect(link).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: rpps }).first()).toContainText("Active");
  await expectNoViolation(page);
  await link.click();
  await expect(page.getByRole("heading", { level: 1, name: `Éloïse ${nom}` })).toBeVisible();
  await expect(page.locator(".reference")).toHaveText(rpps);
  await expectNoViolation(page);

  // Correct the état civil: the reason is mandatory.
  await page.getByRole("button", { name: "Corriger l'état civil" }).click();
  await page.getByLabel("Prénoms").fill("Éloïse, Marie");
  await page.getByRole("button", { name: "Corriger l'état civil" }).last().click();
  await expect(page.getByText("Indiquez la raison de cette correction (elle est conservée dans l'historique).")).toBeVisible();
  await expectNoViolation(page);
  await page.getByLabel("Raison de la correction").fill("Second prénom oublié");
  await page.getByRole("button", { name: "Corriger l'état civil" }).last().click();
  await expect(page.getByRole("definition").filter({ hasText: "Éloïse, Marie" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Historique" })).toContainText("Second prénom oublié");

  // Change the rôle.
  await page.getByRole("button", { name: /^Modifier la situation à EHPAD Les Tilleuls/ }).click();
  await page.getByLabel("Rôle").selectOption({ label: "Encadrement et organisation de l'accompagnement social/médico-social" });
  await expectNoViolation(page);
  await page.getByRole("button", { name: "Enregistrer la modification" }).click();
  await expect(
    page.getByRole("definition").filter({ hasText: "Encadrement et organisation de l'accompagnement social/médico-social" }),
  ).toBeVisible();
  await expect(page.getByRole("region", { name: "Historique" })).toContainText("Situation d'exercice modifiée");
  await expect.poll(() => emailsTo(personEmail).some((m) => m.includes("mise =C3=A0 jour") || m.includes("mise à jour"))).toBe(true);

  // Close the situation: a date before the start is refused on the field, then confirmed inline.
  await page.getByRole("button", { name: /^Clôturer la situation à EHPAD Les Tilleuls/ }).click();
  await page.getByLabel("Date de fin").fill("2024-08-31");
  await page.getByLabel("Motif de fin").selectOption({ label: "Démission" });
  await page.getByRole("button", { name: "Clôturer la situation", exact: true }).click();
  await expect(page.getByText("La date de fin ne peut pas précéder la date de prise de fonction (01/09/2024).")).toBeVisible();
  await expect(page.getByLabel("Date de fin")).toHaveAttribute("aria-invalid", "true");
  await page.getByLabel("Date de fin").fill("2025-06-30");
  await page.getByRole("button", { name: "Clôturer la situation", exact: true }).click();
  await expect(page.getByText(/sera clôturée au 30\/06\/2025/)).toBeVisible();
  await expectNoViolation(page);
  await page.getByRole("button", { name: "Confirmer la clôture" }).click();
  await expect(page.getByRole("heading", { level: 3, name: /Clôturée le 30\/06\/2025/ })).toBeVisible();
  await expect(page.getByRole("region", { name: "Historique" })).toContainText("Situation d'exercice clôturée");
  await expectNoViolation(page);
  await expect.poll(() => emailsTo(personEmail).some((m) => m.includes("eRPPS"))).toBe(true);

  // Closed, the person stays in the directory as history.
  await page.getByRole("link", { name: "← Retour à l'annuaire" }).click();
  await page.getByLabel("Situations").selectOption({ label: "Situations clôturées" });
  await page.getByLabel("Nom, prénom ou numéro RPPS").fill(rpps);
  await page.getByRole("button", { name: "Rechercher" }).click();
  await expect(page.getByRole("link", { name: `Éloïse ${nom}` })).toBeVisible();
  await expect(page.getByRole("listitem").filter({ hasText: rpps }).first()).toContainText("Clôturée le 30/06/2025");
});

import { execFileSync } from "node:child_process";
import { randomInt, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { APIRequestContext, Page } from "@playwright/test";
import { axeViolations, expect, open, test } from "./fixtures";
import { tinyPng } from "./professional";

// The whole life of one professional on a phone: the form, the gestionnaire's validation, e-CPS activation with the
// two codes read where the person reads them (the .eml files and the SMS files of ENROLE_E2E_DIR/outbox), a mobile
// change, sign-out and sign-in with the new mobile.

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = () => process.env.ENROLE_E2E_DIR ?? "";
const outbox = () => join(dir(), "outbox");
const base = () => process.env.ENROLE_E2E_BASE_URL ?? `http://127.0.0.1:${process.env.ENROLE_E2E_PORT}`;

/** An email file: its recipient and its decoded text parts (quoted-printable or base64). */
function readEml(file: string): { to: string; text: string } {
  const raw = readFileSync(join(outbox(), file), "latin1");
  const to = raw.match(/^To: (.*)$/im)?.[1]?.trim() ?? "";
  const parts: string[] = [];
  const partRe = /Content-Transfer-Encoding: (\S+)\r?\n(?:[^\r\n]+\r?\n)*\r?\n([\s\S]*?)(?=\r?\n--|$)/gi;
  for (const [, encoding, body] of raw.matchAll(partRe)) {
    const kind = encoding.toLowerCase();
    if (kind === "base64") {
      parts.push(Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8"));
    } else if (kind === "quoted-printable") {
      const bytes = body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/gi, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      parts.push(Buffer.from(bytes, "latin1").toString("utf8"));
    } else {
      parts.push(Buffer.from(body, "latin1").toString("utf8"));
    }
  }
  return { to, text: parts.join("\n") };
}

/** The sinks a person reads codes from: each code is taken once. */
class Sinks {
  private seen = new Set<string>();

  /** The code of the next unseen code email to `to`. */
  async emailCode(to: string): Promise<string> {
    return this.next(() =>
      readdirSync(outbox())
        .filter((f) => f.endsWith(".eml") && f.includes("-code-") && !this.seen.has(f))
        .map((f) => ({ key: f, mail: readEml(f) }))
        .filter(({ mail }) => mail.to.includes(to))
        .map(({ key, mail }) => ({ key, code: mail.text.match(/(?<!\d)(\d{6})(?!\d)/)?.[1] ?? "" })),
    );
  }

  /** The code of the next unseen SMS to `to` (E.164). */
  async smsCode(to: string): Promise<string> {
    return this.next(() =>
      Sinks.smsTo(to)
        .filter(({ key }) => !this.seen.has(key))
        .map(({ key, text }) => ({ key, code: text.match(/(?<!\d)(\d{6})(?!\d)/)?.[1] ?? "" })),
    );
  }

  /** Every SMS file written to `to`. */
  static smsTo(to: string): { key: string; text: string }[] {
    const smsDir = join(outbox(), "sms");
    let files: string[] = [];
    try {
      files = readdirSync(smsDir).filter((f) => f.endsWith(".txt"));
    } catch {
      return [];
    }
    return files
      .map((f) => ({ key: `sms/${f}`, text: readFileSync(join(smsDir, f), "utf8") }))
      .filter(({ text }) => text.startsWith(`To: ${to}\n`));
  }

  private async next(found: () => { key: string; code: string }[]): Promise<string> {
    let code = "";
    await expect
      .poll(
        () => {
          const first = found()[0];
          if (!first) return "";
          this.seen.add(first.key);
          code = first.code;
          return code;
        },
        { timeout: 10_000 },
      )
      .toMatch(/^\d{6}$/);
    return code;
  }
}

/** The `enrole` binary, run on the server's database (as an operator would). */
function enrole(...args: string[]): string {
  const bin = resolve(root, process.env.ENROLE_BIN ?? join(process.env.CARGO_TARGET_DIR ?? "target", "debug", "enrole"));
  return execFileSync(bin, args, {
    env: {
      ...process.env,
      ENROLE_DATABASE_URL: `sqlite://${join(dir(), "enrole.sqlite")}?mode=rwc`,
      ENROLE_OUTBOX_DIR: outbox(),
      ENROLE_PUBLIC_URL: base(),
      ENROLE_LOG: "warn",
    },
  }).toString();
}

/** A gestionnaire of the demo site (created for this test) validates the request; answers the RPPS number. */
async function validate(request: APIRequestContext, reference: string): Promise<string> {
  const email = `espace-${randomUUID().slice(0, 8)}@enrole.localhost`;
  const out = enrole("gestionnaire", "create", "--email", email, "--nom", "Camille Espace", "--site-finess", "319999918");
  const token = out.match(/\/gestion\/mot-de-passe\/([0-9a-f]{64})/)?.[1];
  expect(token, "password link printed").toBeTruthy();
  const headers = { Origin: new URL(base()).origin, "X-Enrole-Csrf": "1" };
  const password = "Trois-sortes-de-caractères-42";
  expect((await request.post("/api/v1/auth/password", { headers, data: { token, password } })).status()).toBe(204);
  expect((await request.post("/api/v1/auth/sign-in", { headers, data: { email, password } })).status()).toBe(200);
  const queue = await (await request.get("/api/v1/gestion/demandes?status=toutes")).json();
  const row = queue.demandes.find((d: { reference: string }) => d.reference === reference);
  expect(row, `${reference} in the queue`).toBeTruthy();
  const decided = await request.post(`/api/v1/gestion/demandes/${row.id}/decision`, {
    headers,
    data: { decision: "validate" },
  });
  expect(decided.status(), await decided.text()).toBe(200);
  return (await decided.json()).rpps;
}

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
    let link = "";
    await expect
      .poll(
        () => {
          const files = readdirSync(outbox()).filter((f) => f.endsWith(".eml") && !f.includes("-code-"));
          const mail = files.map(readEml).find((m) => m.to.includes(email) && m.text.includes(rpps));
          link = mail?.text.match(/https?:\/\/[^\s"<>]+\/activation\?jeton=[0-9a-f]{64}/)?.[0] ?? "";
          return link;
        },
        { timeout: 15_000 },
      )
      .toContain("/activation?jeton=");
    const url = new URL(link);
    await open(page, `${url.pathname}${url.search}`, "Activer mon e-CPS ou me connecter");
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

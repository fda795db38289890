import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import type { Browser, Page } from "@playwright/test";
import { expect } from "./fixtures";

/** A valid 8×8 PNG. */
export function tinyPng(): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (data: Buffer) => {
    let c = 0xffffffff;
    for (const byte of data) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(8, 0);
  header.writeUInt32BE(8, 4);
  header[8] = 8;
  header[9] = 2;
  const rows = Buffer.alloc(8 * (1 + 8 * 3), 0x80);
  for (let y = 0; y < 8; y++) rows[y * 25] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(rows)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

/** The emails of the outbox (ENROLE_E2E_DIR/outbox) that contain `text`, quoted-printable decoded, oldest first. */
export function emailsWith(text: string): string[] {
  const outbox = join(process.env.ENROLE_E2E_DIR ?? "", "outbox");
  return readdirSync(outbox)
    .filter((f) => f.endsWith(".eml"))
    .sort()
    .map((f) =>
      readFileSync(join(outbox, f), "utf8")
        .replace(/=\r?\n/g, "")
        .replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
    )
    .filter((mail) => Buffer.from(mail, "latin1").toString("utf8").includes(text) || mail.includes(text));
}

/** A phone as in the `mobile` project, for tests that need a phone and a desktop side by side. */
export async function newPhone(browser: Browser, baseURL: string | undefined): Promise<Page> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: "fr-FR",
  });
  return context.newPage();
}

/**
 * A professional pre-registers through the form (the straight path, no mistakes) at the demo site "EHPAD Les
 * Tilleuls"; answers the reference and the private status path from the receipt email.
 */
export async function registerThroughTheForm(page: Page, nom: string) {
  const next = () => page.getByRole("button", { name: "Suivant" }).click();
  const step = (n: number) => expect(page.getByText(`Étape ${n} sur 6`, { exact: true }));
  await page.goto("/preinscription");
  await page.getByRole("button", { name: "Commencer" }).click();
  await step(1).toBeVisible();
  await page.getByRole("searchbox", { name: "Votre établissement" }).fill("Tilleuls");
  await page.getByRole("button", { name: /EHPAD Les Tilleuls/ }).click();
  await page.getByRole("radio", { name: "Non" }).check();
  await next();
  await step(2).toBeVisible();
  await page.getByRole("checkbox", { name: "J'ai lu la notice d'information sur mes données." }).check();
  await next();
  await step(3).toBeVisible();
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
  await next();
  await step(4).toBeVisible();
  const email = `${nom.toLowerCase()}@exemple.fr`;
  await page.getByLabel("Adresse email", { exact: true }).fill(email);
  await page.getByLabel("Confirmez l'adresse email").fill(email);
  await page.getByLabel("Téléphone mobile").fill("06 12 34 56 78");
  await next();
  await step(5).toBeVisible();
  await page.getByRole("searchbox", { name: "Votre métier" }).fill("AMP");
  await page.getByRole("button", { name: /Accompagnant éducatif et social/ }).click();
  await page.getByRole("radio", { name: "Accompagnement social/médico-social au soin" }).check();
  await page.getByRole("radio", { name: "Salarié" }).check();
  const start = page.getByRole("group", { name: "Date de prise de fonction" });
  await start.getByLabel("Jour").fill("1");
  await start.getByLabel("Mois").fill("9");
  await start.getByLabel("Année").fill("2024");
  await next();
  await step(6).toBeVisible();
  await page.getByLabel("Copie de votre pièce d'identité").setInputFiles({
    name: "carte-identite.png",
    mimeType: "image/png",
    buffer: tinyPng(),
  });
  await expect(page.getByText(/Document joint : carte-identite\.png/)).toBeVisible();
  await page.getByRole("button", { name: "Envoyer ma demande" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Demande envoyée" })).toBeVisible();
  const reference = ((await page.locator(".reference").textContent()) ?? "").trim();
  expect(reference).toMatch(/^ENR-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await expect.poll(() => emailsWith(reference).length, { timeout: 10_000 }).toBeGreaterThan(0);
  const link = emailsWith(reference)[0].match(/https?:\/\/[^\s"<>]+\/suivi\/[0-9a-f]{64}/)?.[0];
  expect(link, "status link in the receipt email").toBeTruthy();
  return { reference, status_url: new URL(link ?? "").pathname, nom };
}

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";
import type { APIRequestContext, Browser, Page } from "@playwright/test";
import { expect } from "./fixtures";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const dir = () => process.env.ENROLE_E2E_DIR ?? "";
const outbox = () => join(dir(), "outbox");
const base = () => process.env.ENROLE_E2E_BASE_URL ?? `http://127.0.0.1:${process.env.ENROLE_E2E_PORT}`;

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

/** Where a pre-registration goes: the search typed in step 1, and the name of the site picked among the results. */
export type SiteChoice = { search: string; name: RegExp };

/** The demo site every flow uses unless told otherwise. */
export const TILLEULS: SiteChoice = { search: "Tilleuls", name: /EHPAD Les Tilleuls/ };

/**
 * Called by `registerThroughTheForm` on each step: "before" on arriving (nothing typed yet; step 0 is the intro),
 * "after" once the step is filled, just before leaving it. The visual checks take their screenshots there.
 */
export type StepHook = (step: number, moment: "before" | "after") => Promise<void>;

/**
 * A professional pre-registers through the form (the straight path, no mistakes), at the demo site "EHPAD Les
 * Tilleuls" unless `site` says otherwise; answers the reference and the private status path from the receipt email.
 */
export async function registerThroughTheForm(
  page: Page,
  nom: string,
  { site = TILLEULS, onStep = async () => {} }: { site?: SiteChoice; onStep?: StepHook } = {},
) {
  const next = () => page.getByRole("button", { name: "Suivant" }).click();
  const step = async (n: number) => {
    await expect(page.getByText(`Étape ${n} sur 6`, { exact: true })).toBeVisible();
    await onStep(n, "before");
  };
  const done = async (n: number) => {
    await onStep(n, "after");
    await next();
  };
  await page.goto("/preinscription");
  await expect(page.getByRole("button", { name: "Commencer" })).toBeVisible();
  await onStep(0, "before");
  await page.getByRole("button", { name: "Commencer" }).click();
  await step(1);
  await page.getByRole("searchbox", { name: "Votre établissement" }).fill(site.search);
  await page.getByRole("button", { name: site.name }).click();
  await page.getByRole("radio", { name: "Non" }).check();
  await done(1);
  await step(2);
  await page.getByRole("checkbox", { name: "J'ai lu la notice d'information sur mes données." }).check();
  await done(2);
  await step(3);
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
  await done(3);
  await step(4);
  const email = `${nom.toLowerCase()}@exemple.fr`;
  await page.getByLabel("Adresse email", { exact: true }).fill(email);
  await page.getByLabel("Confirmez l'adresse email").fill(email);
  await page.getByLabel("Téléphone mobile").fill("06 12 34 56 78");
  await done(4);
  await step(5);
  await page.getByRole("searchbox", { name: "Votre métier" }).fill("AMP");
  await page.getByRole("button", { name: /Accompagnant éducatif et social/ }).click();
  await page.getByRole("radio", { name: "Accompagnement social/médico-social au soin" }).check();
  await page.getByRole("radio", { name: "Salarié" }).check();
  const start = page.getByRole("group", { name: "Date de prise de fonction" });
  await start.getByLabel("Jour").fill("1");
  await start.getByLabel("Mois").fill("9");
  await start.getByLabel("Année").fill("2024");
  await done(5);
  await step(6);
  await page.getByLabel("Copie de votre pièce d'identité").setInputFiles({
    name: "carte-identite.png",
    mimeType: "image/png",
    buffer: tinyPng(),
  });
  await expect(page.getByText(/Document joint : carte-identite\.png/)).toBeVisible();
  await onStep(6, "after");
  await page.getByRole("button", { name: "Envoyer ma demande" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Demande envoyée" })).toBeVisible();
  const reference = ((await page.locator(".reference").textContent()) ?? "").trim();
  expect(reference).toMatch(/^ENR-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  await expect.poll(() => emailsWith(reference).length, { timeout: 10_000 }).toBeGreaterThan(0);
  const link = emailsWith(reference)[0].match(/https?:\/\/[^\s"<>]+\/suivi\/[0-9a-f]{64}/)?.[0];
  expect(link, "status link in the receipt email").toBeTruthy();
  return { reference, status_url: new URL(link ?? "").pathname, nom };
}

/** A one-page PDF saying "Carte d'identite" (offsets computed, so that viewers need no repair). */
export function tinyPdf(): Buffer {
  const text = "BT /F1 24 Tf 20 100 Td (Carte d'identite) Tj ET";
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 200] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    `<< /Length ${text.length} >>\nstream\n${text}\nendstream`,
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((object, i) => {
    offsets.push(pdf.length);
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("");
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1");
}

/** What `submitRequest` may change in the pre-registration it sends. */
export type RequestOptions = {
  document?: "png" | "pdf";
  /** The search that finds the site (its first result is taken). */
  site?: string;
  prenom?: string;
  dateNaissance?: string;
  mobile?: string;
};

/**
 * A professional's pre-registration, sent through the API as the form would (at the demo site "EHPAD Les Tilleuls"
 * unless `site` says otherwise); its reference and status page.
 */
export async function submitRequest(
  request: APIRequestContext,
  nom: string,
  {
    document = "png",
    site: search = "Tilleuls",
    prenom = "Awa",
    dateNaissance = "1988-11-03",
    mobile = "06 12 34 56 78",
  }: RequestOptions = {},
) {
  const found = await (await request.get(`/api/v1/structures?q=${encodeURIComponent(search)}`)).json();
  const site = found.structures[0].site;
  const notice = await (await request.get(`/api/v1/structures/${site.id}/notice`)).json();
  const uploaded = await request.post("/api/v1/documents", {
    headers: { "Content-Type": document === "pdf" ? "application/pdf" : "image/png" },
    data: document === "pdf" ? tinyPdf() : tinyPng(),
  });
  expect(uploaded.status()).toBe(201);
  const email = `${nom.toLowerCase()}@exemple.fr`;
  const created = await request.post("/api/v1/pre-registrations", {
    headers: { "Idempotency-Key": randomUUID(), "Content-Type": "application/json" },
    data: {
      civilite: "MME",
      nom_naissance: nom,
      prenoms: [prenom],
      date_naissance: dateNaissance,
      lieu_naissance: { commune_cog: "2A004" },
      email,
      email_confirmation: email,
      mobile,
      situation: {
        finess: site.finess,
        nom_exercice: nom,
        prenom_exercice: prenom,
        metier: "328",
        role: "GENR11",
        mode_exercice: "S",
        date_prise_fonction: "2024-09-01",
      },
      rpps_existant: null,
      notice_version: notice.version,
      site_id: site.id,
      document_id: (await uploaded.json()).id,
    },
  });
  expect(created.status(), await created.text()).toBe(201);
  return { ...((await created.json()) as { reference: string; status_url: string }), nom };
}

/** The `enrole` binary, run on the server's database (as an operator would); answers what it printed. */
export function enrole(...args: string[]): string {
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

/** An email file: its recipient and its decoded text parts (quoted-printable or base64). */
export function readEml(file: string): { to: string; text: string } {
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

/** The sinks a person reads e-CPS codes from: each code is taken once. */
export class Sinks {
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

/**
 * A gestionnaire of the site `finess` (default: the demo site "EHPAD Les Tilleuls"), created for the occasion with
 * the operator's command, validates the request `reference` through the API; answers the RPPS number.
 */
export async function validate(request: APIRequestContext, reference: string, finess = "319999918"): Promise<string> {
  const email = `espace-${randomUUID().slice(0, 8)}@enrole.localhost`;
  const out = enrole("gestionnaire", "create", "--email", email, "--nom", "Camille Espace", "--site-finess", finess);
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

/** The one-time activation link of the validation email sent to `email` with the RPPS number `rpps`: its path. */
export async function activationLink(email: string, rpps: string): Promise<string> {
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
  return `${url.pathname}${url.search}`;
}

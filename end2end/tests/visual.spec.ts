// Visual checks: every page of the app at 360 px (the `mobile` project) and 1280 px (`desktop`), compared with the
// baselines committed next to this file (visual.spec.ts-snapshots/<name>-<project>.png). Axe cannot see a broken
// style; a screenshot can. The tolerance and the rendering settings are in playwright.config.ts; update the baselines
// on purpose with ../scripts/update-screenshots.sh (end2end/README.md).
//
// Determinism, in this order of preference:
// 1. fixed data: the people, emails, mobiles and establishments these tests create have fixed names, one set per
//    project (both projects share one server, and possible duplicates are found on the surname and birth date);
// 2. frozen text: what the server decides (references, RPPS numbers, today's date, times, the server's port) is
//    replaced in the page's text nodes just before each shot by a fixed text of the same shape, so that the layout
//    stays exact (a mask only paints over an element: a table column would still take the width of the text under
//    it);
// 3. masks, for what has no stable text: `shot(page, name, { mask })` (none is needed today).
// Animations are disabled and the caret hidden (config), the mouse is moved off the page (no hover), and each shot
// waits until the page is settled: no request in flight, fonts and images loaded, no "Chargement…" left.
//
// The baselines need the fresh database the config starts (a server that already ran the suite holds more
// requests), so this file is skipped against ENROLE_E2E_BASE_URL.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Locator, Page, TestInfo } from "@playwright/test";
import { expect, open, test } from "./fixtures";
import {
  activationLink,
  emailsWith,
  enrole,
  registerThroughTheForm,
  Sinks,
  submitRequest,
  tinyPng,
  validate,
} from "./professional";

type Project = "desktop" | "mobile";

/**
 * The fixed data of each project. The surnames differ between the projects (they run at the same time on one
 * server) and from every other spec's (those add a random suffix). The identifiers are valid (Luhn keys) and unused
 * elsewhere: the demo data uses 99999999800019 and 319999918/26/34.
 */
const DATA: Record<Project, {
  form: string;
  espace: { nom: string; mobile: string };
  gestion: {
    ej: { nom: string; siret: string };
    sites: { nom: string; finess: string; commune: string }[];
    gestionnaire: string;
    demandes: { nom: string; prenom: string; dateNaissance: string }[];
    cas1: string;
  };
}> = {
  desktop: {
    form: "Delacroix",
    espace: { nom: "Fontaine", mobile: "06 98 76 54 31" },
    gestion: {
      ej: { nom: "Association Les Glycines", siret: "99999997700013" },
      sites: [
        { nom: "EHPAD Les Glycines", finess: "319999017", commune: "Muret" },
        { nom: "SAVS Les Glycines", finess: "319999025", commune: "Colomiers" },
      ],
      gestionnaire: "visuel.desktop@enrole.localhost",
      demandes: [
        { nom: "Garnier", prenom: "Inès", dateNaissance: "1991-02-14" },
        { nom: "Lemoine", prenom: "Jean-Baptiste", dateNaissance: "1979-07-30" },
      ],
      cas1: "Perrin",
    },
  },
  mobile: {
    form: "Delaunay",
    espace: { nom: "Fontanel", mobile: "06 98 76 54 32" },
    gestion: {
      ej: { nom: "Association Les Glycines", siret: "99999997600015" },
      sites: [
        { nom: "EHPAD Les Glycines", finess: "319999116", commune: "Muret" },
        { nom: "SAVS Les Glycines", finess: "319999124", commune: "Colomiers" },
      ],
      gestionnaire: "visuel.mobile@enrole.localhost",
      demandes: [
        { nom: "Garcin", prenom: "Inès", dateNaissance: "1991-02-14" },
        { nom: "Lemaire", prenom: "Jean-Baptiste", dateNaissance: "1979-07-30" },
      ],
      cas1: "Perret",
    },
  },
};

const PASSWORD_VISUEL = "Captures-d-ecran-de-reference-2026";
const SNAPSHOTS = join(dirname(fileURLToPath(import.meta.url)), "visual.spec.ts-snapshots");
const CHROMIUM_FILE = join(SNAPSHOTS, "chromium-version.txt");

const project = (testInfo: TestInfo) => testInfo.project.name as Project;

/** Requests in flight per page (fetches included, which `waitForLoadState("networkidle")` does not wait for). */
const inFlight = new WeakMap<Page, number>();

function trackRequests(page: Page) {
  inFlight.set(page, 0);
  const change = (by: number) => () => inFlight.set(page, (inFlight.get(page) ?? 0) + by);
  page.on("request", change(1));
  page.on("requestfinished", change(-1));
  page.on("requestfailed", change(-1));
}

/** Waits until nothing moves any more: no request in flight, fonts and images loaded, nothing loading. */
async function settle(page: Page) {
  for (let round = 0; round < 2; round++) {
    await expect.poll(() => inFlight.get(page) ?? 0, { message: "requests still in flight" }).toBe(0);
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    await page.waitForFunction(() => [...document.images].every((image) => image.complete));
    await expect(page.locator(".loading")).toHaveCount(0);
    // Two frames: what the last answer changed is laid out and painted.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  }
  await page.mouse.move(0, 0);
}

/** `dd/mm/yyyy` of `at` in `timeZone`. */
function frenchDate(at: Date, timeZone: string): string {
  return new Intl.DateTimeFormat("fr-FR", { timeZone, day: "2-digit", month: "2-digit", year: "numeric" }).format(at);
}

/** Replaces what the server decides by fixed texts of the same shape, in every text node of the page. */
async function freeze(page: Page) {
  const now = new Date();
  const today = [...new Set(["Europe/Paris", "UTC"].map((tz) => frenchDate(now, tz)))];
  const todayIso = [...new Set(today.map((d) => d.split("/").reverse().join("-")))];
  await page.evaluate(
    ({ today, todayIso }) => {
      const rules: [RegExp, string][] = [
        [/ENR-[0-9A-Z]{4}-[0-9A-Z]{4}/g, "ENR-AB12-CD34"],
        [/(?<!\d)9\d{10}(?!\d)/g, "91234567897"],
        [/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g, "2030-06-15T10:30:00Z"],
        [/(?<!\d)\d{2}:\d{2}(?!\d)/g, "10:30"],
        [/(127\.0\.0\.1|localhost):\d{2,5}/g, "$1:8080"],
        ...today.map((d): [RegExp, string] => [new RegExp(d.replaceAll("/", "\\/"), "g"), "15/06/2030"]),
        ...todayIso.map((d): [RegExp, string] => [new RegExp(d, "g"), "2030-06-15"]),
      ];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node as Text;
        // Changed in place: the app keeps its text nodes (a reactive update later simply writes over them).
        const frozen = rules.reduce((s, [pattern, fixed]) => s.replace(pattern, fixed), text.data);
        if (frozen !== text.data) text.data = frozen;
      }
    },
    { today, todayIso },
  );
}

/** The Chromium the baselines were made with, when it is not this one (a new Chromium may render differently). */
let chromiumNote = "";

/**
 * Compares the whole page (full length) with its baseline `<name>-<project>.png`. Soft: every page of a test is
 * compared, and each difference reported with its diff image.
 */
async function shot(page: Page, name: string, { mask = [] as Locator[] } = {}) {
  await settle(page);
  await freeze(page);
  await expect.soft(page, chromiumNote || undefined).toHaveScreenshot(`${name}.png`, { fullPage: true, mask });
}

/** The fields of a CAS 1 or form step: the step's heading has the focus once it is shown. */
async function expectStep(page: Page, title: string) {
  await expect(page.getByRole("heading", { level: 1, name: title })).toBeFocused();
}

const next = (page: Page) => page.getByRole("button", { name: "Suivant" }).click();

test.describe("visual", () => {
  test.skip(!!process.env.ENROLE_E2E_BASE_URL, "the baselines need the fresh database the config starts");

  test.beforeAll(async ({ browser }, testInfo) => {
    const version = browser.version();
    if (testInfo.config.updateSnapshots === "all" || testInfo.config.updateSnapshots === "changed") {
      mkdirSync(SNAPSHOTS, { recursive: true });
      writeFileSync(CHROMIUM_FILE, `${version}\n`);
    } else if (existsSync(CHROMIUM_FILE)) {
      const made = readFileSync(CHROMIUM_FILE, "utf8").trim();
      if (made !== version) {
        chromiumNote =
          `baselines made with Chromium ${made}, this is ${version}: ` +
          "if only anti-aliasing differs, update them (scripts/update-screenshots.sh)";
      }
    }
  });

  test.beforeEach(async ({ page }) => trackRequests(page));

  test("the pages render with the font the baselines were made with", async ({ page }) => {
    await open(page, "/", "Votre enregistrement au RPPS+, pas à pas");
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("DOM.enable");
    await cdp.send("CSS.enable");
    const fontsOf = async (selector: string) => {
      const { root } = await cdp.send("DOM.getDocument");
      const { nodeId } = await cdp.send("DOM.querySelector", { nodeId: root.nodeId, selector });
      const { fonts } = await cdp.send("CSS.getPlatformFontsForNode", { nodeId });
      return fonts.map((f) => f.familyName);
    };
    // system-ui is resolved by fontconfig: DejaVu Sans on Debian (fonts-dejavu-core, installed by setup.sh), unless
    // Noto Sans (fonts-noto-core) is installed, which fontconfig prefers.
    const hint =
      "the baselines use DejaVu Sans: install fonts-dejavu-core (scripts/setup.sh --tests), not fonts-noto-core";
    expect(await fontsOf("h1"), hint).toEqual(["DejaVu Sans"]);
    expect(await fontsOf(".lead"), hint).toEqual(["DejaVu Sans"]);
  });

  test("public pages", async ({ page }) => {
    await open(page, "/", "Votre enregistrement au RPPS+, pas à pas");
    await shot(page, "accueil");
    await open(page, "/roles", "Rôles et métiers");
    await shot(page, "roles-et-metiers");
    await open(page, "/une-page-qui-n-existe-pas", "Page introuvable");
    await shot(page, "introuvable");
    await open(page, "/gestion", "Espace gestionnaire");
    await shot(page, "gestion-accueil");
    await open(page, "/gestion/une-page-qui-n-existe-pas", "Page introuvable");
    await shot(page, "gestion-introuvable");
    await open(page, "/gestion/connexion", "Connexion à l'espace gestionnaire");
    await shot(page, "gestion-connexion");
    await page.getByRole("button", { name: "Se connecter" }).click();
    await expect(page.getByRole("link", { name: "Saisissez votre adresse email." })).toBeVisible();
    await shot(page, "gestion-connexion-erreurs");
    await open(page, "/activation", "Activer mon e-CPS ou me connecter");
    await shot(page, "activation");
    await open(page, "/mon-espace", "Mon espace");
    await expect(page.getByText("Vous n'êtes pas connecté, ou votre session a expiré.")).toBeVisible();
    await shot(page, "mon-espace-deconnecte");
  });

  test("the pre-registration form step by step, its confirmation and the status page", async ({ page }, testInfo) => {
    test.setTimeout(90_000);
    const names = [
      "intro",
      "etablissement",
      "notice",
      "etat-civil",
      "coordonnees",
      "situation",
      "piece-et-recapitulatif",
    ];
    const sent = await registerThroughTheForm(page, DATA[project(testInfo)].form, {
      onStep: async (step, moment) => {
        if (step === 0) {
          // The intro is served before the app starts: wait for the app's footer.
          await expect(page.getByRole("contentinfo")).toBeVisible();
          await shot(page, "preinscription-0-intro");
        } else if (step === 3 && moment === "before") {
          // Sent empty: the error summary and every field in error.
          await next(page);
          await expect(page.getByRole("heading", { name: "Il y a un problème" })).toBeVisible();
          await shot(page, "preinscription-3-erreurs");
        } else if (moment === "after") {
          await shot(page, `preinscription-${step}-${names[step]}`);
        }
      },
    });
    await shot(page, "preinscription-7-confirmation");

    await page.goto(sent.status_url);
    await expect(page.getByRole("heading", { level: 1, name: "Suivi de votre demande" })).toBeVisible();
    await expect(page.getByText("Reçue", { exact: true })).toBeVisible();
    await shot(page, "suivi");

    const confirm = emailsWith(sent.reference)[0].match(/https?:\/\/[^\s"<>]+\/confirmer-email\/[0-9a-zA-Z_-]+/)?.[0];
    expect(confirm, "email confirmation link in the receipt").toBeTruthy();
    await page.goto(new URL(confirm ?? "").pathname);
    await expect(page.getByRole("contentinfo")).toBeVisible();
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await shot(page, "confirmer-email");
  });

  test("the embedded form", async ({ page }) => {
    await page.goto("/integration/formulaire?finess=319999926");
    await expect(page.getByText("Étape 1 sur 6", { exact: true })).toBeVisible();
    await expect(page.getByText(/Le Canal \(démo\)/)).toBeVisible();
    await shot(page, "formulaire-integre");
    await next(page);
    await expect(page.getByRole("heading", { name: "Il y a un problème" })).toBeVisible();
    await shot(page, "formulaire-integre-erreurs");
  });

  test("the professional's activation and space, signed in through e-CPS", async ({ page, request }, testInfo) => {
    test.setTimeout(90_000);
    const { nom, mobile } = DATA[project(testInfo)].espace;
    const email = `${nom.toLowerCase()}@exemple.fr`;
    const e164 = `+33${mobile.replace(/\s/g, "").slice(1)}`;
    const sinks = new Sinks();
    const { reference } = await submitRequest(request, nom, { prenom: "Lucie", dateNaissance: "1985-05-21", mobile });
    const rpps = await validate(request, reference);

    await open(page, await activationLink(email, rpps), "Activer mon e-CPS ou me connecter");
    await expect(page.getByText("Vous arrivez par le lien")).toBeVisible();
    await shot(page, "activation-par-lien");
    await page.getByRole("button", { name: "Recevoir mes codes" }).click();
    await expect(page.getByRole("status").filter({ hasText: "un code vient d'être envoyé" })).toBeVisible();
    await page.getByRole("button", { name: "Valider" }).click();
    await expect(page.getByRole("link", { name: "Saisissez le code reçu par email." })).toBeVisible();
    await shot(page, "activation-codes-erreurs");
    await page.getByLabel("Code reçu par email").fill(await sinks.emailCode(email));
    await page.getByLabel("Code reçu par SMS").fill(await sinks.smsCode(e164));
    await page.getByRole("button", { name: "Valider" }).click();

    await expect(page.getByRole("heading", { level: 1, name: "Mon espace" })).toBeVisible();
    await expect(page.getByText(mobile)).toBeVisible();
    await shot(page, "mon-espace");
    await page.getByRole("button", { name: "Modifier mes coordonnées" }).click();
    await expect(page.getByLabel("Nouvelle adresse email")).toBeFocused();
    await shot(page, "mon-espace-modifier-coordonnees");
  });

  test("the gestionnaire's pages", async ({ page, request }, testInfo) => {
    test.setTimeout(150_000);
    const data = DATA[project(testInfo)].gestion;
    // An establishment of this test alone (its queue and directory hold only what this test puts there), created
    // with the operator's commands, as in production.
    enrole("establishment", "create", "--nom", data.ej.nom, "--siret", data.ej.siret);
    for (const site of data.sites) {
      enrole(
        "establishment",
        "add-site",
        ...["--ej-siret", data.ej.siret, "--nom", site.nom, "--finess", site.finess, "--commune", site.commune],
      );
    }
    const out = enrole(
      "gestionnaire",
      "create",
      ...["--email", data.gestionnaire, "--nom", "Camille Martin", "--ej-siret", data.ej.siret],
    );
    const link = out.match(/https?:\/\/\S+\/gestion\/mot-de-passe\/\S+/)?.[0];
    expect(link, "password link printed").toBeTruthy();
    for (const person of data.demandes) {
      await submitRequest(request, person.nom, { ...person, site: data.sites[0].finess });
    }

    // Password, then sign-in.
    await open(page, new URL(link ?? "").pathname, "Choisir votre mot de passe");
    await shot(page, "gestion-mot-de-passe");
    await page.getByLabel("Nouveau mot de passe").fill(PASSWORD_VISUEL);
    await page.getByLabel("Confirmez le mot de passe").fill(PASSWORD_VISUEL);
    await page.getByRole("button", { name: "Enregistrer le mot de passe" }).click();
    await expect(page.getByText("Votre mot de passe est enregistré.", { exact: false })).toBeVisible();
    await page.getByLabel("Adresse email").fill(data.gestionnaire);
    await page.getByLabel("Mot de passe").fill(PASSWORD_VISUEL);
    await page.getByRole("button", { name: "Se connecter" }).click();

    // The queue, a request, the decision panel with its error.
    await expect(page.getByRole("heading", { level: 1, name: "Demandes de pré-inscription" })).toBeVisible();
    await expect(page.getByRole("row")).toHaveCount(1 + data.demandes.length);
    await shot(page, "gestion-demandes");
    await page.getByRole("row").filter({ hasText: data.demandes[0].nom }).getByRole("link").click();
    await expect(page.getByRole("heading", { level: 2, name: "État civil" })).toBeVisible();
    await expect(page.getByRole("img", { name: /Pièce d'identité transmise/ })).toBeVisible();
    await shot(page, "gestion-demande");
    await page.getByRole("button", { name: "Refuser…" }).click();
    await page.getByRole("button", { name: "Confirmer le refus" }).click();
    await expect(page.getByRole("link", { name: "Choisissez le motif du refus." })).toBeVisible();
    await shot(page, "gestion-demande-refus-erreurs");

    // The landing, signed in.
    await page.getByRole("link", { name: "Espace gestionnaire" }).first().click();
    await expect(page.getByRole("link", { name: "Voir les demandes à traiter" })).toBeVisible();
    await shot(page, "gestion-accueil-connecte");

    // CAS 1, step by step (the empty first step shows its error).
    await page.getByRole("link", { name: "Enregistrer une personne" }).first().click();
    await expect(page.getByRole("heading", { level: 1, name: "Établissement" })).toBeVisible();
    await next(page);
    await expect(page.getByRole("link", { name: "Choisissez l'établissement où vous travaillez." })).toBeVisible();
    await shot(page, "gestion-enregistrer-1-erreurs");
    await page.getByRole("radio", { name: data.sites[0].nom }).check();
    await shot(page, "gestion-enregistrer-1-etablissement");
    await next(page);
    await expectStep(page, "Information de la personne");
    await page.getByRole("checkbox", { name: /J'ai remis cette notice d'information à la personne/ }).check();
    await shot(page, "gestion-enregistrer-2-notice");
    await next(page);
    await expectStep(page, "État civil");
    await page.getByRole("radio", { name: "Monsieur" }).check();
    await page.getByLabel("Nom de naissance").fill(data.cas1);
    await page.getByLabel("Premier prénom").fill("Hugo");
    const birth = page.getByRole("group", { name: "Date de naissance" });
    await birth.getByLabel("Jour").fill("12");
    await birth.getByLabel("Mois").fill("4");
    await birth.getByLabel("Année").fill("1990");
    await page.getByRole("radio", { name: /En France/ }).check();
    await page.getByRole("searchbox", { name: "Commune de naissance" }).fill("montrejeau");
    await page.getByRole("button", { name: /Montréjeau \(31\)/ }).click();
    await shot(page, "gestion-enregistrer-3-etat-civil");
    await next(page);
    await expectStep(page, "Coordonnées");
    const personEmail = `${data.cas1.toLowerCase()}@exemple.fr`;
    await page.getByLabel("Adresse email", { exact: true }).fill(personEmail);
    await page.getByLabel("Confirmez l'adresse email").fill(personEmail);
    await page.getByLabel("Téléphone mobile").fill("06 11 22 33 44");
    await shot(page, "gestion-enregistrer-4-coordonnees");
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
    await shot(page, "gestion-enregistrer-5-situation");
    await next(page);
    await expectStep(page, "Pièce d'identité et enregistrement");
    await page.getByLabel("Copie de la pièce d'identité de la personne").setInputFiles({
      name: "carte-identite.png",
      mimeType: "image/png",
      buffer: tinyPng(),
    });
    await expect(page.getByText(/Document joint : carte-identite\.png/)).toBeVisible();
    await page.getByRole("checkbox", { name: /J'ai vérifié la pièce d'identité de la personne/ }).check();
    await shot(page, "gestion-enregistrer-6-piece-et-recapitulatif");
    await page.getByRole("button", { name: "Enregistrer la personne" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Personne enregistrée" })).toBeVisible();
    await shot(page, "gestion-enregistrer-7-personne-enregistree");

    // The directory and the person's page.
    await page.getByRole("link", { name: "Professionnels", exact: true }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Professionnels de l'établissement" })).toBeVisible();
    const person = page.getByRole("link", { name: `Hugo ${data.cas1}` });
    await expect(person).toBeVisible();
    await shot(page, "gestion-professionnels");
    await person.click();
    await expect(page.getByRole("heading", { level: 1, name: `Hugo ${data.cas1}` })).toBeVisible();
    await expect(page.getByRole("region", { name: "Historique" })).toBeVisible();
    await shot(page, "gestion-professionnel");

    // Intégration.
    await page.getByRole("link", { name: "Intégration" }).first().click();
    const integration = page.getByRole("heading", { level: 1, name: "Intégrer le formulaire à votre intranet" });
    await expect(integration).toBeVisible();
    await expect(page.getByRole("heading", { level: 2, name: data.ej.nom })).toBeVisible();
    await shot(page, "gestion-integration");
  });
});

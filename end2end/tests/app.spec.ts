import { test, expect, open, PAGES, axeViolations, failApi } from "./fixtures";

test.describe("public entry point", () => {
  test("the home page loads in French with its landmarks and both ways in", async ({ page }) => {
    await open(page, "/", "Votre enregistrement au RPPS+, pas à pas");
    await expect(page.locator("html")).toHaveAttribute("lang", "fr");
    await expect(page).toHaveTitle("Accueil · Enrôle");
    await expect(page.getByRole("banner")).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Navigation principale" })).toBeVisible();
    await expect(page.getByRole("contentinfo")).toBeVisible();
    const main = page.getByRole("main");
    await expect(main.getByRole("link", { name: "Je me pré-enregistre" })).toBeVisible();
    await expect(main.getByRole("link", { name: "Espace gestionnaire" })).toBeVisible();
    await expect(
      page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "Accueil" }),
    ).toHaveAttribute("aria-current", "page");
  });

  test("the home page leads to the pre-registration form, its own lighter entry point", async ({ page }) => {
    await open(page, "/", "Votre enregistrement au RPPS+, pas à pas");
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.getByRole("main").getByRole("link", { name: "Je me pré-enregistre" }).click();

    await expect(page).toHaveURL(/\/preinscription$/);
    await expect(page.getByRole("heading", { level: 1, name: "Avant de commencer votre pré-inscription" })).toBeVisible();
    // A full page load: the home page's bundle does not carry the form.
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBeUndefined();
    await expect(page).toHaveTitle("Avant de commencer votre pré-inscription · Enrôle");
    const steps = page.getByRole("region", { name: "Les 6 étapes" }).getByRole("listitem");
    await expect(steps).toHaveCount(6);
    await expect(steps.first()).toContainText("Établissement");
    await expect(page.getByRole("region", { name: "À avoir sous la main" })).toContainText("pièce d'identité");
  });

  test("the rôles page is reached from the home page without reloading", async ({ page }) => {
    await open(page, "/", "Votre enregistrement au RPPS+, pas à pas");
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.getByRole("main").getByRole("link", { name: /Découvrez les rôles et les métiers/ }).click();
    await expect(page).toHaveURL(/\/roles$/);
    await expect(page.getByRole("heading", { level: 1, name: "Rôles et métiers" })).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
    // Focus moves to the content after a client-side navigation, as after a page load.
    await expect(page.getByRole("main")).toBeFocused();
  });

  test("the rôles page lists the 6 rôles from the API and finds a métier by its usual name", async ({ page }) => {
    await open(page, "/roles", "Rôles et métiers");
    const roles = page.getByRole("region", { name: "Les 6 rôles" }).getByRole("heading", { level: 3 });
    await expect(roles).toHaveCount(6);
    await expect(roles.first()).toHaveText("Coordination et orientation");
    await expect(page.getByRole("region", { name: "Les 6 rôles" })).toContainText("GENR13");
    await expect(page.getByRole("main")).toContainText("C'est le rôle, et non le métier, qui détermine vos droits d'accès au DMP.");

    const search = page.getByRole("searchbox", { name: "Votre métier" });
    const results = page.getByRole("region", { name: "Trouver mon métier" }).getByRole("listitem");
    await search.fill("AMP");
    await expect(results.first()).toContainText("Accompagnant éducatif et social");
    await expect(results.first()).toContainText("328");
    await expect(page.getByRole("status")).toContainText("« AMP »");

    await search.fill("zzzz");
    await expect(results).toHaveCount(0);
    await expect(page.getByRole("status")).toHaveText("Aucun métier ne correspond à « zzzz ».");
  });

  test("the rôles page says when the API fails and recovers on retry", async ({ page }) => {
    await failApi(page, "/api/v1/nomenclatures", 503);
    await open(page, "/roles", "Rôles et métiers");
    const alert = page.getByRole("alert");
    await expect(alert).toContainText("Les rôles n'ont pas pu être chargés.");
    await expect(alert).toContainText("momentanément indisponible (erreur 503)");
    expect(await axeViolations(page)).toEqual([]);

    await page.unroute("**/api/v1/nomenclatures");
    await alert.getByRole("button", { name: "Réessayer" }).click();
    await expect(page.getByRole("region", { name: "Les 6 rôles" }).getByRole("heading", { level: 3 })).toHaveCount(6);
    await expect(page.getByRole("alert")).toHaveCount(0);
  });

  test("the public pages never download the gestionnaire's code", async ({ page }) => {
    // A first visit to the form loads the form's own, lighter entry point (app/src/bin/preinscription.rs).
    for (const [path, bundle] of [["/", "public"], ["/preinscription", "preinscription"], ["/roles", "public"]]) {
      const heading = PAGES.find((p) => p.path === path)!.heading;
      await open(page, path, heading);
      const scripts = await page.evaluate(() =>
        performance.getEntriesByType("resource").map((entry) => new URL(entry.name).pathname),
      );
      const wasm = new RegExp(`^/pkg/${bundle}-[0-9a-f]+\\.wasm$`);
      expect(scripts.some((s) => wasm.test(s)), `${path} loads ${bundle} wasm`).toBe(true);
      expect(scripts.filter((s) => s.startsWith("/pkg/gestion")), `${path} loads no gestion asset`).toEqual([]);
    }
  });
});

test.describe("gestionnaire entry point", () => {
  test("the link from the home page is a full load of the gestionnaire space", async ({ page }) => {
    await open(page, "/", "Votre enregistrement au RPPS+, pas à pas");
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await page.getByRole("main").getByRole("link", { name: "Espace gestionnaire" }).click();

    await expect(page).toHaveURL(/\/gestion$/);
    await expect(page.getByRole("heading", { level: 1, name: "Espace gestionnaire" })).toBeVisible();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBeUndefined();
    await expect(page).toHaveTitle("Espace gestionnaire · Enrôle");
    await expect(page.getByRole("region", { name: "Ce que vous ferez ici" })).toContainText("Instruire les pré-inscriptions");
    const assets = await page.evaluate(() =>
      performance.getEntriesByType("resource").map((entry) => new URL(entry.name).pathname),
    );
    expect(assets.some((s) => /^\/pkg\/gestion-[0-9a-f]+\.wasm$/.test(s))).toBe(true);
    expect(assets.filter((s) => s.startsWith("/pkg/public"))).toEqual([]);
  });

  test("the gestionnaire space leads back to the public site with a full load", async ({ page }) => {
    await open(page, "/gestion", "Espace gestionnaire");
    await page.getByRole("navigation", { name: "Navigation principale" }).getByRole("link", { name: "Rôles et métiers" }).click();
    await expect(page).toHaveURL(/\/roles$/);
    await expect(page.getByRole("heading", { level: 1, name: "Rôles et métiers" })).toBeVisible();
  });
});

test.describe("unknown addresses", () => {
  test("an unknown public address shows a French 404 page leading home", async ({ page }) => {
    await open(page, "/une-page-qui-n-existe-pas", "Page introuvable");
    await expect(page).toHaveTitle("Page introuvable · Enrôle");
    await page.getByRole("main").getByRole("link", { name: "Retour à l'accueil" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Votre enregistrement au RPPS+, pas à pas" })).toBeVisible();
  });

  test("an unknown gestionnaire address shows the 404 page of that space", async ({ page }) => {
    await open(page, "/gestion/une-page-qui-n-existe-pas", "Page introuvable");
    await page.getByRole("main").getByRole("link", { name: "Retour à l'espace gestionnaire" }).click();
    await expect(page.getByRole("heading", { level: 1, name: "Espace gestionnaire" })).toBeVisible();
  });

  test("deep links are served the static first paint of their entry point", async ({ request }) => {
    for (const [path, bundle] of [["/roles", "public"], ["/gestion/x", "gestion"]] as const) {
      const response = await request.get(path);
      expect(response.status()).toBe(200);
      // The console checks of the other tests are what prove the app runs under this policy.
      expect(response.headers()["content-security-policy"]).toContain("script-src 'self' 'wasm-unsafe-eval'");
      const html = await response.text();
      expect(html).toContain('<html lang="fr">');
      expect(html).toMatch(new RegExp(`<script type="module" src="/pkg/${bundle}-loader-[0-9a-f]+\\.js">`));
      expect(html).toContain('<main id="contenu"');
    }
  });
});

test.describe("keyboard", () => {
  test("the skip link is the first stop and moves the focus to the content", async ({ page, isMobile }) => {
    test.skip(isMobile, "keyboard navigation is checked on desktop");
    await open(page, "/roles", "Rôles et métiers");
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Aller au contenu" });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press("Enter");
    await expect(page.getByRole("main")).toBeFocused();
  });
});

for (const { path, heading } of PAGES) {
  test.describe(`page ${path}`, () => {
    test("fits the viewport width without horizontal scrolling", async ({ page }) => {
      await open(page, path, heading);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(overflow).toBeLessThanOrEqual(0);
    });

    test("has no WCAG 2.2 A/AA violation found by axe-core", async ({ page }) => {
      await open(page, path, heading);
      if (path === "/roles") {
        await expect(page.getByRole("region", { name: "Les 6 rôles" }).getByRole("heading", { level: 3 })).toHaveCount(6);
        await page.getByRole("searchbox", { name: "Votre métier" }).fill("éducateur");
        await expect(page.getByRole("region", { name: "Trouver mon métier" }).getByRole("listitem").first()).toBeVisible();
      }
      expect(await axeViolations(page)).toEqual([]);
    });
  });
}

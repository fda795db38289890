import type { Page } from "@playwright/test";
import { axeViolations, expect, test } from "./fixtures";

// /preinscription serves the form's whole first screen (the intro, its Largest Contentful Paint) as HTML: it paints
// before the WASM is downloaded, and the app adopts those nodes rather than rendering a copy (app/preinscription.html).

const HEADING = "Avant de commencer votre pré-inscription";

function intro(page: Page) {
  return {
    heading: page.getByRole("heading", { level: 1, name: HEADING }),
    // The largest text of the first screen on a phone: the page's LCP element.
    item: page.getByRole("region", { name: "Pour qui ?" }).getByRole("listitem").nth(1),
    start: page.getByRole("button", { name: "Commencer" }),
    steps: page.getByRole("region", { name: "Les 6 étapes" }).getByRole("listitem"),
  };
}

test("the intro is in the served page: readable, accessible and explained without JavaScript", async ({
  browser,
  baseURL,
  isMobile,
}) => {
  const context = await browser.newContext({
    baseURL,
    javaScriptEnabled: false,
    locale: "fr-FR",
    ...(isMobile ? { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  await page.goto("/preinscription");
  const { heading, item, start, steps } = intro(page);
  await expect(page.locator("html")).toHaveAttribute("lang", "fr");
  await expect(page).toHaveTitle(`${HEADING} · Enrôle`);
  await expect(heading).toBeVisible();
  await expect(item).toContainText("vous n'êtes inscrit ni à un Ordre professionnel ni auprès de l'ARS");
  await expect(steps).toHaveCount(6);
  // Nothing would answer the button: it stays disabled, and the page says why.
  await expect(start).toBeDisabled();
  // (Playwright's text locators skip <noscript>.)
  const notice = page.locator("noscript .notice");
  await expect(notice).toBeVisible();
  await expect(notice).toContainText("Le formulaire a besoin de JavaScript");
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await context.close();
});

test("the app adopts the painted intro where it is, then the form starts and comes back to it", async ({ page }) => {
  // The WASM waits until the served intro has been measured.
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  await page.route(/\/pkg\/preinscription-[0-9a-f]+\.wasm$/, async (route) => {
    await held;
    await route.continue();
  });
  await page.goto("/preinscription");
  const { heading, item, start } = intro(page);
  const boxes = () =>
    Promise.all([page.getByRole("banner"), heading, item, start].map((locator) => locator.boundingBox()));
  await expect(start).toBeDisabled();
  await expect(item).toBeInViewport();
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  // axe-core needs JavaScript: the served page is checked here, before the app starts.
  expect(await axeViolations(page)).toEqual([]);
  // A keyboard user already in the intro (so the page has scrolled) keeps their place when the app starts. Without
  // smooth scrolling, so that the boxes are measured where the page rests.
  await page.emulateMedia({ reducedMotion: "reduce" });
  const roles = page.getByRole("main").getByRole("link", { name: "Découvrir les rôles et les métiers" });
  await roles.focus();
  const served = await boxes();
  await item.evaluate((element) => element.setAttribute("data-served", ""));

  release();
  await expect(start).toBeEnabled();
  await expect(page.getByRole("contentinfo")).toBeVisible();
  await expect(roles).toBeFocused();
  // Not a pixel of layout shift, and the very nodes the browser painted first (no copy of the text in the app).
  expect(await boxes()).toEqual(served);
  await expect(item).toHaveAttribute("data-served", "");
  await expect(page.getByRole("heading", { level: 1 })).toHaveCount(1);
  expect(await axeViolations(page)).toEqual([]);

  await start.click();
  await expect(page.getByText("Étape 1 sur 6", { exact: true })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: "Établissement" })).toBeFocused();
  await expect(heading).toHaveCount(0);
  await page.getByRole("radio", { name: "Non" }).check();

  // Back to the intro: the same nodes again, the focus on its heading, and a draft to resume.
  await page.getByRole("button", { name: "Précédent" }).click();
  await expect(heading).toBeFocused();
  await expect(page).toHaveTitle(`${HEADING} · Enrôle`);
  await expect(item).toHaveAttribute("data-served", "");
  await expect(page.getByRole("button", { name: "Commencer" })).toHaveCount(0);
  await page.getByRole("button", { name: "Reprendre ma demande" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Établissement" })).toBeFocused();
  await expect(page.getByRole("radio", { name: "Non" })).toBeChecked();
});

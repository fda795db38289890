// Manual design check: screenshots of every page at 360 px and 1280 px (not part of the test suite).
// usage: node screenshots.mjs BASE_URL OUT_DIR [path...]   (e.g. against ENROLE_E2E_PORT=8932 node serve.mjs)
import { chromium } from "@playwright/test";
const [base, out, ...paths] = process.argv.slice(2);
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
for (const [name, viewport] of [["m", { width: 360, height: 740 }], ["d", { width: 1280, height: 800 }]]) {
  const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
  page.on("console", (m) => m.type() === "error" && console.log(name, m.text()));
  for (const path of paths.length ? paths : ["/"]) {
    await page.goto(base + path);
    await page.waitForTimeout(700);
    await page.screenshot({ path: `${out}/${name}${path.replaceAll("/", "_")}.png`, fullPage: true });
  }
  await page.close();
}
await browser.close();

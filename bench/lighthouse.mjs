// Lighthouse mobile (its default emulation: a mid-range phone on a throttled 4G link) on one URL, `runs` times,
// with the machine's Chromium; prints one JSON line with the median of each figure.
// Usage: node bench/lighthouse.mjs URL [runs]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const [url, runs = "3"] = process.argv.slice(2);
if (!url) throw new Error("usage: node bench/lighthouse.mjs URL [runs]");
const lighthouse = join(dirname(fileURLToPath(import.meta.url)), "node_modules", ".bin", "lighthouse");
const dir = mkdtempSync(join(tmpdir(), "enrole-lighthouse-"));
const results = [];
try {
  for (let i = 0; i < Number(runs); i++) {
    const output = join(dir, `run-${i}.json`);
    execFileSync(
      lighthouse,
      [
        url,
        "--only-categories=performance",
        "--output=json",
        `--output-path=${output}`,
        "--quiet",
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking",
      ],
      { env: { ...process.env, CHROME_PATH: process.env.CHROME_PATH ?? "/usr/bin/chromium" }, stdio: "inherit" },
    );
    const report = JSON.parse(readFileSync(output, "utf8"));
    const audit = (id) => report.audits[id]?.numericValue ?? NaN;
    results.push({
      performance: Math.round((report.categories.performance.score ?? 0) * 100),
      lcp_ms: audit("largest-contentful-paint"),
      tbt_ms: audit("total-blocking-time"),
      cls: audit("cumulative-layout-shift"),
      total_bytes: audit("total-byte-weight"),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const median = (key) => {
  const values = results.map((r) => r[key]).sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
};
console.log(
  JSON.stringify({
    runs: results.length,
    performance: median("performance"),
    lcp_ms: Math.round(median("lcp_ms")),
    tbt_ms: Math.round(median("tbt_ms")),
    cls: Number(median("cls").toFixed(3)),
    total_bytes: Math.round(median("total_bytes")),
    all: results,
  }),
);

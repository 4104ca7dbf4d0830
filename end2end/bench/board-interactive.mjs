// How long Chromium takes from navigation to an interactive (hydrated) board.
// Usage: node bench/board-interactive.mjs <base-url> <email> <password> [runs]
import { chromium } from "@playwright/test";

const [base, email, password, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 7);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const context = await browser.newContext({ viewport: { width: 1366, height: 850 } });
const page = await context.newPage();
await page.goto(`${base}/login`);
await page.locator("html[data-hydrated=true]").waitFor();
await page.getByLabel("Email").fill(email);
await page.getByLabel("Password").fill(password);
await page.getByRole("button", { name: "Sign in" }).click();
await page.waitForURL(`${base}/`);

const times = [];
for (let i = 0; i < runs + 1; i++) {
  const start = Date.now();
  await page.goto(`${base}/board`);
  await page.locator("html[data-hydrated=true]").waitFor({ timeout: 30_000 });
  await page.locator("[data-card]").first().waitFor();
  if (i > 0) times.push(Date.now() - start); // the first run warms the cache
}
const cards = await page.locator("[data-card]").count();
times.sort((a, b) => a - b);
const median = times[Math.floor(times.length / 2)];
console.log(JSON.stringify({ runs: times.length, cards_rendered: cards, median_ms: median, max_ms: times[times.length - 1], all_ms: times }));
await browser.close();

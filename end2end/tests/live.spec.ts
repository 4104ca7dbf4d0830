import { test, expect, Browser, Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { ADMIN, addCompany, addSalesperson, call, failOnConsoleErrors, hydrated, signIn } from "./helpers";

// Two server instances on one database (scripts/test.sh starts both): changes made through one
// reach a board open on the other, live. STANDARD cycle: Qualification → Needs analysis.
const second = process.env.PIPELINE_BASE_URL_2;
const run = Date.now().toString(36).slice(-5).toUpperCase();

const column = (page: Page, name: string) =>
  page.locator("section.board-column", { has: page.getByRole("heading", { level: 2, name, exact: true }) });
const card = (page: Page, columnName: string, text: string) => column(page, columnName).locator("[data-card]", { hasText: text });
const count = (page: Page, columnName: string) => column(page, columnName).locator("[data-column-count]");

/** Opens the board filtered to this run's cards on `baseURL`, signed in as `who`. */
async function boardOn(browser: Browser, baseURL: string, who: { email: string; password: string }, t: string, viewport: { width: number; height: number }) {
  const context = await browser.newContext({ baseURL, viewport });
  const page = await context.newPage();
  // Every live change this page receives, to prove what it never learns.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __changes: string[] }).__changes = seen;
    const Original = window.EventSource;
    window.EventSource = class extends Original {
      constructor(url: string | URL, init?: EventSourceInit) {
        super(url, init);
        this.addEventListener("change", (e) => seen.push((e as MessageEvent).data));
      }
    } as typeof EventSource;
    (window as unknown as { __loaded: number }).__loaded = Date.now();
  });
  await signIn(page, who, `/board?q=${t}`);
  await hydrated(page);
  await expect(page.locator('[data-live="live"]')).toBeVisible();
  return page;
}

test("a move, a create and a close through one server show on boards on another within a second, and only to those who may see them", async ({ page, browser }, info) => {
  test.skip(!second, "needs a second server instance (PIPELINE_BASE_URL_2)");
  const check = failOnConsoleErrors(page);
  const t = `LV${info.project.name.slice(0, 1).toUpperCase()}${run}`;
  const viewport = page.viewportSize() ?? { width: 1366, height: 850 };

  // Lee owns the deals; Oli is a salesperson of no team: he may not see Lee's.
  await signIn(page, ADMIN, "/");
  await addSalesperson(page, `L-${t}`, `Lee ${t}`);
  const contact = await addCompany(page, `Live Co ${t}`, `Lee ${t}`, `L-${t}`);
  await addSalesperson(page, `O-${t}`, `Oli ${t}`);
  const options = await call(page, "opportunities/new-options", { contact });
  const lee = String(options.default_salesperson);
  const oli = String(options.salespeople.find((s: { label: string }) => s.label.startsWith(`Oli ${t}`)).id);
  const cycle = String(options.cycles.find((c: { label: string }) => c.label.startsWith("STANDARD")).id);
  const leeUser = { email: `lee.${t.toLowerCase()}@example.com`, password: "lee password 1" };
  const oliUser = { email: `oli.${t.toLowerCase()}@example.com`, password: "oli password 1" };
  await call(page, "users/create_user", { display_name: `Lee ${t}`, email: leeUser.email, role: "salesperson", password: leeUser.password, salesperson_id: lee });
  await call(page, "users/create_user", { display_name: `Oli ${t}`, email: oliUser.email, role: "salesperson", password: oliUser.password, salesperson_id: oli });
  const create = async (name: string) =>
    String(await call(page, "opportunities/create", {
      description: `${name} ${t}`, contact_id: contact, salesperson_id: lee, cycle_id: cycle, estimated_value: "1000", activate_first_stage: "on",
    }));
  const version = async (id: string) => String((await call(page, "opportunities/get", { id })).version);
  const alpha = await create("Alpha");
  const bravo = await create("Bravo");

  // Lee and Oli watch the board on the second server.
  const leeBoard = await boardOn(browser, second!, leeUser, t, viewport);
  const oliBoard = await boardOn(browser, second!, oliUser, t, viewport);
  await expect(card(leeBoard, "Qualification", `Alpha ${t}`)).toBeVisible();
  await expect(count(leeBoard, "Qualification")).toHaveText("2");
  const loadedAt = await leeBoard.evaluate(() => (window as unknown as { __loaded: number }).__loaded);

  // The admin moves Alpha through the first server: the board's own drop operation.
  await call(page, "opportunities/update", { id: alpha, version: await version(alpha), action: "Next" });
  await expect(card(leeBoard, "Needs analysis", `Alpha ${t}`)).toBeVisible({ timeout: 1_000 });
  await expect(count(leeBoard, "Needs analysis")).toHaveText("1", { timeout: 1_000 });
  await expect(count(leeBoard, "Qualification")).toHaveText("1", { timeout: 1_000 });
  await expect(card(leeBoard, "Needs analysis", `Alpha ${t}`).locator("[data-note]")).toHaveText(/Ada Admin moved this/);

  // A new opportunity appears…
  await create("Charlie");
  await expect(card(leeBoard, "Qualification", `Charlie ${t}`)).toBeVisible({ timeout: 1_000 });
  await expect(count(leeBoard, "Qualification")).toHaveText("2", { timeout: 1_000 });
  // …and a closed one leaves.
  await call(page, "opportunities/close", { id: bravo, version: await version(bravo), outcome: "lost", close_code: "LOST-PRICE" });
  await expect(card(leeBoard, "Qualification", `Bravo ${t}`)).toHaveCount(0, { timeout: 1_000 });
  await expect(count(leeBoard, "Qualification")).toHaveText("1", { timeout: 1_000 });
  // All of it without reloading the page.
  expect(await leeBoard.evaluate(() => (window as unknown as { __loaded: number }).__loaded)).toBe(loadedAt);

  // Oli saw nothing of it: no cards, and not one change event about them.
  await expect(oliBoard.locator("[data-card]")).toHaveCount(0);
  const oliHeard: string[] = await oliBoard.evaluate(() => (window as unknown as { __changes: string[] }).__changes);
  for (const id of [alpha, bravo]) {
    expect(oliHeard.some((data) => JSON.parse(data).id === Number(id)), `Oli heard of ${id}: ${oliHeard}`).toBe(false);
  }
  const leeHeard: string[] = await leeBoard.evaluate(() => (window as unknown as { __changes: string[] }).__changes);
  expect(leeHeard.length).toBeGreaterThanOrEqual(3);
  await leeBoard.context().close();
  await oliBoard.context().close();
  check();
});

test("when the servers' listeners lose their database connection, open boards catch up with the database", async ({ page, browser }, info) => {
  test.skip(!second || !process.env.PIPELINE_PSQL || !process.env.PIPELINE_DATABASE_URL, "needs two instances and psql");
  const t = `RS${info.project.name.slice(0, 1).toUpperCase()}${run}`;
  const viewport = page.viewportSize() ?? { width: 1366, height: 850 };
  await signIn(page, ADMIN, "/");
  await addSalesperson(page, `R-${t}`, `Ray ${t}`);
  const contact = await addCompany(page, `Resync Co ${t}`, `Ray ${t}`, `R-${t}`);
  const options = await call(page, "opportunities/new-options", { contact });
  const cycle = String(options.cycles.find((c: { label: string }) => c.label.startsWith("STANDARD")).id);
  const create = async (name: string) =>
    String(await call(page, "opportunities/create", {
      description: `${name} ${t}`, contact_id: contact, salesperson_id: String(options.default_salesperson), cycle_id: cycle,
      estimated_value: "1000", activate_first_stage: "on",
    }));
  const version = async (id: string) => String((await call(page, "opportunities/get", { id })).version);
  const delta = await create("Delta");
  const board = await boardOn(browser, second!, ADMIN, t, viewport);
  await expect(card(board, "Qualification", `Delta ${t}`)).toBeVisible();

  // Cut every listener's connection and change things while they reconnect.
  execFileSync(process.env.PIPELINE_PSQL!, [process.env.PIPELINE_DATABASE_URL!, "-Atc",
    "select count(pg_terminate_backend(pid)) from pg_stat_activity where datname = current_database() and query ilike 'listen%'"]);
  await call(page, "opportunities/update", { id: delta, version: await version(delta), action: "Next" });
  await create("Echo");

  // The board ends up as the database is.
  await expect(card(board, "Needs analysis", `Delta ${t}`)).toBeVisible({ timeout: 10_000 });
  await expect(card(board, "Qualification", `Echo ${t}`)).toBeVisible({ timeout: 10_000 });
  await expect(board.locator('[data-live="live"]')).toBeVisible();
  await board.context().close();
});

import { test, expect, Page, Locator, Browser } from "@playwright/test";
import { ADMIN, addCompany, addSalesperson, call, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

// One set of opportunities per project and run, found on the board by their shared token.
// STANDARD cycle: Qualification → Needs analysis (may be skipped) → Proposal (quote required).
const run = Date.now().toString(36).slice(-5).toUpperCase();
const token = (project: string) => `BRD${project.slice(0, 1).toUpperCase()}${run}`;

/** Creates the opportunities (started, 1,000.00 each) under the token `t`, with `extra` form fields. */
async function seed(browser: Browser, t: string, descriptions: string[], extra: Record<string, string> = {}) {
  const page = await (await browser.newContext()).newPage();
  await signIn(page, ADMIN, "/");
  await addSalesperson(page, `B-${t}`, `Bea ${t}`);
  const contact = await addCompany(page, `Board Co ${t}`, `Bea ${t}`, `B-${t}`);
  const options = await call(page, "opportunities/new-options", { contact });
  const cycle = options.cycles.find((c: { label: string }) => c.label.startsWith("STANDARD")).id;
  for (const d of descriptions) {
    await call(page, "opportunities/create", {
      description: `${d} ${t}`,
      contact_id: contact,
      salesperson_id: String(options.default_salesperson),
      cycle_id: String(cycle),
      estimated_value: "1000",
      activate_first_stage: "on",
      ...extra,
    });
  }
  await page.context().close();
}

const column = (page: Page, name: string) => page.locator("section.board-column", { has: page.getByRole("heading", { level: 2, name, exact: true }) });
const card = (page: Page, columnName: string, text: string) => column(page, columnName).locator("[data-card]", { hasText: text });

async function openBoard(page: Page, project: string) {
  await page.goto(`/board?q=${token(project)}`);
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Board · STANDARD" })).toBeVisible();
}

/** Presses on a card (away from its link), moves a little to lift it, then to `to` and releases. */
async function mouseDrag(page: Page, from: Locator, to: () => Promise<{ x: number; y: number }>) {
  const a = (await from.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height - 8);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 12, a.y + a.height - 4, { steps: 4 });
  const b = await to();
  await page.mouse.move(b.x, b.y, { steps: 12 });
  await page.mouse.up();
}

const centreOf = (l: Locator) => async () => {
  const b = (await l.boundingBox())!;
  return { x: b.x + b.width / 2, y: b.y + Math.min(60, b.height / 2) };
};

test.describe.serial("the board", () => {
  test.beforeAll(async ({ browser }, info) => {
    await seed(browser, token(info.project.name), ["Alpha", "Bravo", "Charlie", "Delta", "Echo", "Foxtrot"]);
  });

  test("a card dragged with the mouse to the next stage records the entry and moves the totals", async ({ page }, info) => {
    test.skip(info.project.name !== "desktop", "mouse");
    const check = failOnConsoleErrors(page);
    await signIn(page, ADMIN, "/");
    await openBoard(page, info.project.name);
    await expect(column(page, "Qualification").locator("[data-column-count]")).toHaveText("6");
    await screenshot(page, info.project.name, "board");
    await mouseDrag(page, card(page, "Qualification", "Alpha"), centreOf(column(page, "Needs analysis")));
    await expect(card(page, "Needs analysis", "Alpha")).toHaveCount(1);
    await expect(column(page, "Needs analysis").locator("[data-column-count]")).toHaveText("1");
    await expect(column(page, "Qualification").locator("[data-column-count]")).toHaveText("5");
    // 6.25 % of 1,000.00.
    await expect(column(page, "Needs analysis").locator("[data-column-calculated]")).toHaveText("62.50");
    // The entry is recorded: the card's history shows it.
    await card(page, "Needs analysis", "Alpha").getByRole("link").click();
    await expect(page.getByRole("list", { name: "Entries, newest first" }).getByRole("listitem").first()).toContainText("Needs analysis");
    check();
  });

  test("a refused drop snaps back with the rule's message", async ({ page }, info) => {
    test.skip(info.project.name !== "desktop", "mouse");
    await signIn(page, ADMIN, "/");
    await openBoard(page, info.project.name);
    const bravo = card(page, "Qualification", "Bravo");
    await mouseDrag(page, bravo, centreOf(column(page, "Proposal")));
    await expect(page.getByRole("alert")).toContainText("Attach a quote before moving to Proposal.");
    await expect(bravo).toHaveCount(1);
    await expect(card(page, "Proposal", "Bravo")).toHaveCount(0);
    await screenshot(page, info.project.name, "board-refused");
  });

  test("the keyboard lifts, moves and drops a card, and each step is announced", async ({ page }, info) => {
    const check = failOnConsoleErrors(page);
    await signIn(page, ADMIN, "/");
    await openBoard(page, info.project.name);
    const live = page.locator('[aria-live="assertive"]');
    await card(page, "Qualification", "Charlie").focus();
    await page.keyboard.press("Space");
    await expect(live).toContainText("Lifted");
    await page.keyboard.press("ArrowRight");
    await expect(live).toContainText("Over Needs analysis");
    await page.keyboard.press("Space");
    await expect(live).toContainText("moved to Needs analysis (Next)");
    await expect(card(page, "Needs analysis", "Charlie")).toHaveCount(1);
    // Escape puts a lifted card back.
    await card(page, "Qualification", "Delta").focus();
    await page.keyboard.press("Enter");
    await page.keyboard.press("ArrowRight");
    await page.keyboard.press("Escape");
    await expect(live).toContainText("stays in Qualification");
    check();
  });

  test("a drop on Won asks for the close code and closes the opportunity", async ({ page }, info) => {
    test.skip(info.project.name !== "desktop", "mouse");
    await signIn(page, ADMIN, "/");
    await openBoard(page, info.project.name);
    await mouseDrag(page, card(page, "Qualification", "Delta"), centreOf(page.locator('[data-close="won"]')));
    const dialog = page.getByRole("dialog", { name: "Close as won" });
    await expect(dialog.getByLabel("Amount won")).toHaveValue("1000.00");
    await dialog.getByLabel("Close code").selectOption("WON-PRICE");
    await screenshot(page, info.project.name, "board-close-won");
    await dialog.getByRole("button", { name: "Close as won" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.locator("[data-card]", { hasText: "Delta" })).toHaveCount(0);
  });

  test("another user sees the new stage after a reload, and a reorder survives it", async ({ page, browser }, info) => {
    test.skip(info.project.name !== "desktop", "mouse");
    await signIn(page, ADMIN, "/");
    await openBoard(page, info.project.name);
    // Foxtrot above Echo.
    const echo = card(page, "Qualification", "Echo");
    await mouseDrag(page, card(page, "Qualification", "Foxtrot"), async () => {
      const b = (await echo.boundingBox())!;
      return { x: b.x + b.width / 2, y: b.y + 4 };
    });
    const order = async (p: Page) => (await column(p, "Qualification").locator("[data-card] .card-title").allTextContents()).map((t) => t.split(" ")[0]);
    await expect.poll(() => order(page)).toEqual(["Bravo", "Foxtrot", "Echo"]);
    await page.waitForTimeout(300); // the reorder is saved in the background
    await page.reload();
    await hydrated(page);
    await expect.poll(() => order(page)).toEqual(["Bravo", "Foxtrot", "Echo"]);

    const other = await (await browser.newContext()).newPage();
    await signIn(other, ADMIN, "/");
    await openBoard(other, info.project.name);
    await expect(card(other, "Needs analysis", "Alpha")).toHaveCount(1);
    await expect(card(other, "Needs analysis", "Charlie")).toHaveCount(1);
    await other.context().close();
  });

  test("on a phone one column shows at a time and a held card is dragged with a finger", async ({ page }, info) => {
    test.skip(info.project.name !== "phone", "touch");
    const check = failOnConsoleErrors(page);
    await signIn(page, ADMIN, "/");
    await openBoard(page, info.project.name);
    await screenshot(page, info.project.name, "board");
    const alpha = card(page, "Qualification", "Alpha");
    const box = (await alpha.boundingBox())!;
    const cdp = await page.context().newCDPSession(page);
    const touch = (type: string, x: number, y: number) =>
      cdp.send("Input.dispatchTouchEvent", { type, touchPoints: type === "touchEnd" ? [] : [{ x, y }] });
    const [x, y] = [box.x + box.width / 2, box.y + box.height - 10];
    await touch("touchStart", x, y);
    await page.waitForTimeout(600); // press and hold lifts the card
    await expect(alpha).toHaveClass(/lifted/);
    // To the right edge: the columns scroll under the finger; then back to the middle and drop.
    await touch("touchMove", 300, y);
    await touch("touchMove", 385, y);
    // Resting near the edge keeps the columns scrolling; once the next column has come into
    // view the finger moves back to the middle of the screen.
    const needs = column(page, "Needs analysis");
    await expect.poll(async () => (await needs.boundingBox())!.x, { intervals: [20] }).toBeLessThan(120);
    await touch("touchMove", 200, y);
    await expect(needs).toHaveClass(/drop-over/);
    await touch("touchMove", 195, y + 5);
    await touch("touchEnd", 195, y + 5);
    await expect(card(page, "Needs analysis", "Alpha")).toHaveCount(1);
    // Charlie went there by keyboard before.
    await expect(column(page, "Needs analysis").locator("[data-column-count]")).toHaveText("2");
    // A column picker jumps between columns.
    await page.getByLabel("Go to column").selectOption({ label: "Qualification (4)" });
    await expect(column(page, "Qualification")).toBeInViewport({ ratio: 0.8 });
    await screenshot(page, info.project.name, "board-after-touch");
    check();
  });
});

test.describe.serial("an overdue card on the board", () => {
  const overdue = (project: string) => `OVD${project.slice(0, 1).toUpperCase()}${run}`;
  test.beforeAll(async ({ browser }, info) => {
    // Started in January 2025, expected to close in February 2025: long overdue.
    await seed(browser, overdue(info.project.name), ["Golf"], { creation_date: "2025-01-06", estimated_closing_date: "2025-02-28" });
  });

  test("a drop asks for a new estimated closing date and moves the card with it", async ({ page }, info) => {
    const check = failOnConsoleErrors(page);
    await signIn(page, ADMIN, "/");
    await page.goto(`/board?q=${overdue(info.project.name)}`);
    await hydrated(page);
    const live = page.locator('[aria-live="assertive"]');
    const golf = card(page, "Qualification", "Golf");
    await expect(golf.locator(".card-closing")).toHaveClass(/overdue/);
    const lift = async () => {
      await golf.focus();
      await page.keyboard.press("Space");
      await page.keyboard.press("ArrowRight");
      await expect(live).toContainText("a new one will be asked");
      await page.keyboard.press("Space");
    };
    const dialog = page.getByRole("dialog", { name: "New estimated closing date" });
    const date = dialog.getByLabel("Estimated closing date");

    // Cancelled: nothing moves.
    await lift();
    await expect(dialog).toContainText("(28 Feb 2025) has passed");
    await expect(date).toBeFocused();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();
    await expect(live).toContainText("not moved");
    await expect(golf).toHaveCount(1);

    // A date in the past is refused in the dialog; a future one moves the card.
    await lift();
    await date.fill("2025-03-01");
    await dialog.getByRole("button", { name: "Move" }).click();
    await expect(dialog.getByRole("alert")).toHaveText("The new date cannot be before today.");
    const later = new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
    await date.fill(later);
    await screenshot(page, info.project.name, "board-new-closing-date");
    await dialog.getByRole("button", { name: "Move" }).click();
    await expect(dialog).toBeHidden();
    const moved = card(page, "Needs analysis", "Golf");
    await expect(moved).toHaveCount(1);
    await expect(moved.locator(".card-closing")).not.toHaveClass(/overdue/);
    // The server kept the move with its new date.
    await page.reload();
    await hydrated(page);
    await expect(moved).toHaveCount(1);
    await expect(moved.locator(".card-closing")).not.toHaveClass(/overdue/);
    check();
  });
});

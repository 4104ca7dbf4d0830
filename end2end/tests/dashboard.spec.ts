import { test, expect, Page } from "@playwright/test";
import { ADMIN, addCompany, addSalesperson, call, expectAccessible, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

const run = Date.now().toString(36).slice(-5).toUpperCase();

test("the dashboard shows its panels and passes the accessibility check", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  await signIn(page, ADMIN, "/dashboard");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  for (const panel of ["Pipeline now", "Forecast", "Sales velocity", "Funnel", "Time in stage", "Leaderboard", "Win rate by team"]) {
    await expect(page.getByRole("heading", { level: 2, name: panel })).toBeVisible();
  }
  // The forecast chart is drawn on the server: there before any script runs.
  await expect(page.locator('svg[data-chart="forecast"] rect')).toHaveCount(24);
  await screenshot(page, info.project.name, "dashboard");
  await expectAccessible(page);
  check();
});

/** Opens a link of the dashboard and answers the list's count of opportunities. */
async function follow(page: Page, link: ReturnType<Page["locator"]>) {
  await link.click();
  await expect(page).toHaveURL(/\/opportunities\?/);
  await hydrated(page);
  await expect(page.getByTestId("more-filters").or(page.locator('[data-total="count"]')).first()).toBeVisible();
  const count = (await page.locator('[data-total="count"]').textContent())!.trim();
  await page.goBack();
  await hydrated(page);
  return count;
}

test("filtered to one salesperson, every panel shows exactly their figures and each number opens the list behind it", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  const t = `D${info.project.name.slice(0, 1).toUpperCase()}${run}`;
  await signIn(page, ADMIN, "/");
  await addSalesperson(page, `D-${t}`, `Dana ${t}`);
  const contact = await addCompany(page, `Dash Co ${t}`, `Dana ${t}`, `D-${t}`);
  const options = await call(page, "opportunities/new-options", { contact });
  const cycle = String(options.cycles.find((c: { label: string }) => c.label.startsWith("STANDARD")).id);
  const salesperson = String(options.default_salesperson);
  const create = async (name: string, value: string, start = true) =>
    String(await call(page, "opportunities/create", {
      description: `${name} ${t}`, contact_id: contact, salesperson_id: salesperson, cycle_id: cycle,
      estimated_value: value, ...(start ? { activate_first_stage: "on" } : {}),
    }));
  const version = async (id: string) => String((await call(page, "opportunities/get", { id })).version);
  // Alpha waits at Qualification (1,000 × 1 % = 10.00), Bravo moves on to Needs analysis
  // (2,000 × 6.25 % = 125.00), Charlie is won for 3,000, Delta has not started (500, no stage).
  await create("Alpha", "1000");
  await create("Delta", "500", false);
  const bravo = await create("Bravo", "2000");
  const charlie = await create("Charlie", "3000");
  await call(page, "opportunities/update", { id: bravo, version: await version(bravo), action: "Next" });
  await call(page, "opportunities/close", { id: charlie, version: await version(charlie), outcome: "won", close_code: "WON-PRICE", amount_won: "3000" });

  // The filter change goes to the address, and every panel follows it.
  await page.goto("/dashboard");
  await hydrated(page);
  await page.getByLabel("Salesperson").selectOption({ label: `Dana ${t}` });
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(new RegExp(`salesperson=${salesperson}`));
  await hydrated(page);
  const pipeline = page.locator('[data-panel="pipeline"]');
  await expect(pipeline.locator('[data-total="count"]')).toHaveText("3");
  await expect(pipeline.locator('[data-row="not-started"] td').nth(1)).toHaveText("500.00");
  await expect(pipeline.locator('[data-total="weighted"]')).toHaveText("135.00");
  const forecast = page.locator('[data-panel="forecast"]');
  await expect(forecast.locator("tr.month-open").first().locator("td").first()).toHaveText("3,000.00");
  const velocity = page.locator("section", { has: page.getByRole("heading", { name: "Sales velocity" }) });
  await expect(velocity.locator("dd").nth(0)).toHaveText("3");
  await expect(velocity.locator("dd").nth(1)).toHaveText("3,000.00");
  await expect(velocity.locator("dd").nth(2)).toHaveText("100 %");
  const funnel = page.locator('[data-panel="funnel"]');
  await expect(funnel.locator("tbody tr").nth(0).locator("td").first()).toHaveText("3");
  await expect(funnel.locator("tbody tr").nth(1).locator("td").first()).toHaveText("1");
  await expect(funnel.locator("tbody tr").nth(0).locator("td").nth(1)).toHaveText("33.33 %");
  const time = page.locator('[data-panel="time-in-stage"]');
  await expect(time.locator("tbody tr").nth(0).locator("td").nth(2)).toHaveText("2"); // Bravo and Charlie left Qualification
  const leaderboard = page.locator('[data-panel="leaderboard"]');
  await expect(leaderboard.locator("tbody tr")).toHaveCount(1);
  await expect(leaderboard.locator("tbody tr td").nth(2)).toHaveText("3,000.00");
  await screenshot(page, info.project.name, "dashboard-filtered");

  // Each number opens the list of exactly the opportunities behind it.
  expect(await follow(page, pipeline.locator('[data-total="weighted"] a'))).toBe("3 opportunities");
  expect(await follow(page, pipeline.locator('[data-row="not-started"] td a').first())).toBe("1 opportunity");
  expect(await follow(page, funnel.locator("tbody tr").nth(0).locator("td a").first())).toBe("3 opportunities");
  expect(await follow(page, funnel.locator("tbody tr").nth(1).locator("td a").first())).toBe("1 opportunity");
  expect(await follow(page, leaderboard.locator("tbody tr td").nth(2).locator("a"))).toBe("1 opportunity");
  expect(await follow(page, time.locator("tbody tr").nth(0).locator("td").nth(2).locator("a"))).toBe("2 opportunities");
  expect(await follow(page, velocity.locator("dd").nth(2).locator("a"))).toBe("1 opportunity");

  // The list says what the dashboard's link added, and can drop it.
  await funnel.locator("tbody tr").nth(0).locator("td a").first().click();
  await hydrated(page);
  await expect(page.getByTestId("more-filters")).toContainText("reached stage 1 or later");
  await page.getByTestId("more-filters").getByRole("link", { name: "Remove" }).click();
  await expect(page).not.toHaveURL(/reached=/);
  check();
});

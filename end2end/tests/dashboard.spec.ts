import { test, expect } from "@playwright/test";
import { ADMIN, expectAccessible, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

test("the dashboard shows its panels, keeps its filters in the address and links to the list behind a number", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  await signIn(page, ADMIN, "/dashboard");
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();
  for (const panel of ["Pipeline now", "Forecast", "Sales velocity", "Funnel", "Leaderboard", "Win rate by team"]) {
    await expect(page.getByRole("heading", { level: 2, name: panel })).toBeVisible();
  }
  await screenshot(page, info.project.name, "dashboard");
  await expectAccessible(page);

  // A filter change goes to the address and every panel follows.
  await page.getByLabel("From").fill("2020-01-01");
  await page.getByRole("button", { name: "Show" }).click();
  await expect(page).toHaveURL(/from=2020-01-01/);
  await hydrated(page);
  await expect(page.getByText("Closed in 2020-01-01")).toBeVisible();

  // The pipeline's count for a stage opens the list of exactly those opportunities.
  const pipeline = page.locator('[data-panel="pipeline"]');
  const link = pipeline.locator("tbody a").first();
  const count = (await link.textContent())!.trim();
  await link.click();
  await expect(page).toHaveURL(/\/opportunities\?.*stage=\d+/);
  await hydrated(page);
  if (count === "0") {
    await expect(page.getByText("No opportunities match these filters.")).toBeVisible();
  } else {
    await expect(page.locator('[data-total="count"]')).toHaveText(new RegExp(`^${count} opportunit`));
  }
  check();
});

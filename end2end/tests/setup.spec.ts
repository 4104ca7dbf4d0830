import { test, expect } from "@playwright/test";
import { ADMIN, hydrated, screenshot, signIn } from "./helpers";

test("an admin creates a cycle with four stages, reorders them and is told about a bad percentage", async ({ page }, info) => {
  await signIn(page, ADMIN, "/setup/cycles");
  // Both projects share one database: a code per project.
  const code = `E2E-${info.project.name.toUpperCase()}`;
  await page.getByLabel("Code").fill(code.toLowerCase());
  await page.getByLabel("Description").fill("Browser test cycle");
  await page.getByLabel("Probability calculation").selectOption("add");
  await page.getByRole("button", { name: "Create sales cycle" }).click();
  await expect(page).toHaveURL(new RegExp(`/setup/cycles/${code}$`));
  await expect(page.getByRole("heading", { level: 1 })).toContainText(code);
  await hydrated(page);

  const add = page.getByRole("region", { name: "Add a stage" });
  const stages: [string, string, string][] = [
    ["Lead", "10", "5"],
    ["Demo", "30", "25"],
    ["Offer", "60", "50"],
    ["Contract", "90", "80"],
  ];
  for (const [description, completed, chances] of stages) {
    await add.getByLabel("Description").fill(description);
    await add.getByLabel("Completed %").fill(completed);
    await add.getByLabel("Chances of success %").fill(chances);
    await add.getByRole("button", { name: "Add stage" }).click();
    await expect(page.getByRole("list", { name: "Stages in order" }).getByText(description, { exact: true })).toBeVisible();
  }
  const items = page.getByRole("list", { name: "Stages in order" }).getByRole("listitem");
  await expect(items).toHaveCount(4);

  // An invalid percentage: a message next to the field, nothing added.
  await add.getByLabel("Description").fill("Too sure");
  await add.getByLabel("Completed %").fill("150");
  await add.getByRole("button", { name: "Add stage" }).click();
  await expect(add.getByText("Enter a number between 0 and 100.")).toBeVisible();
  await expect(add.getByLabel("Completed %")).toHaveAttribute("aria-invalid", "true");
  await expect(items).toHaveCount(4);

  // Reorder: Offer moves above Demo.
  await page.getByRole("button", { name: "Move 3 Offer up" }).click();
  await expect(items.nth(1)).toContainText("Offer");
  await expect(items.nth(2)).toContainText("Demo");
  await screenshot(page, info.project.name, "cycle-stages");

  // The order survives a reload (it is stored, not just shown).
  await page.reload();
  await expect(items.nth(1)).toContainText("Offer");
  await expect(items.nth(0)).toContainText("Lead");
});

test("the default setup is there on a new installation", async ({ page }, info) => {
  await signIn(page, ADMIN, "/setup/cycles");
  await expect(page.getByRole("link", { name: "STANDARD" })).toBeVisible();
  await page.getByRole("navigation", { name: "Setup" }).getByRole("link", { name: "Close codes" }).click();
  await expect(page.getByRole("table").getByText("WON-PRICE", { exact: true })).toBeVisible();
  await expect(page.getByRole("table").getByText("LOST-COMPETITOR", { exact: true })).toBeVisible();
  await screenshot(page, info.project.name, "close-codes");
  await page.getByRole("navigation", { name: "Setup" }).getByRole("link", { name: "Activities" }).click();
  await expect(page.getByRole("region", { name: "Activity FIRST-CONTACT" })).toContainText("Call to qualify the lead");
  await screenshot(page, info.project.name, "activities");
});

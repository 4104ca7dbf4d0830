import { test, expect } from "@playwright/test";
import { ADMIN, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

// Both projects (desktop, phone) share one database, and a run may be repeated on it: codes are
// unique per project and per run.
function codes(project: string) {
  const run = Date.now().toString(36).slice(-4).toUpperCase();
  const p = project.toUpperCase().slice(0, 3);
  return { salesperson: `SP-${p}-${run}`, team: `T-${p}-${run}`, name: `Pat ${p} ${run}` };
}

test("an admin adds a salesperson, is told about a bad commission, and builds a team around them", async ({ page }, info) => {
  const { salesperson, team, name } = codes(info.project.name);

  await signIn(page, ADMIN, "/setup/salespeople");
  await expect(page.getByRole("heading", { level: 1, name: "Salespeople" })).toBeVisible();
  const add = page.getByRole("region", { name: "Add a salesperson" });

  // A commission over 100 %: a message next to the field, nothing added.
  await add.getByLabel("Code").fill(` ${salesperson.toLowerCase()} `);
  await add.getByLabel("Name").fill(name);
  await add.getByLabel("Email").fill("pat@example.com");
  await add.getByLabel("Commission %").fill("150");
  await add.getByRole("button", { name: "Add salesperson" }).click();
  await expect(add.getByText("Commission must be between 0 and 100 %.")).toBeVisible();
  await expect(add.getByLabel("Commission %")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByRole("cell", { name: salesperson })).toHaveCount(0);
  // What was typed is still there to correct.
  await expect(add.getByLabel("Name")).toHaveValue(name);
  await screenshot(page, info.project.name, "salesperson-commission-error");
  // From here on nothing may fail in the console (the refusal above is a logged 422 on purpose).
  const check = failOnConsoleErrors(page);

  await add.getByLabel("Commission %").fill("12.5");
  await add.getByRole("button", { name: "Add salesperson" }).click();
  const row = page.getByRole("row").filter({ has: page.getByRole("cell", { name: salesperson }) });
  await expect(row).toBeVisible();
  await expect(row.getByRole("cell", { name: "12.50" })).toBeVisible();
  await expect(page.getByText(`${name} (${salesperson}) added.`)).toBeVisible();
  await screenshot(page, info.project.name, "salespeople");

  // Teams: add one, then the salesperson as member and the admin as manager.
  await page.getByRole("navigation", { name: "Setup" }).getByRole("link", { name: "Teams" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Teams" })).toBeVisible();
  await hydrated(page);
  const addTeam = page.getByRole("region", { name: "Add a team" });
  await addTeam.getByLabel("Code").fill(team.toLowerCase());
  await addTeam.getByLabel("Name").fill(`Browser team ${info.project.name}`);
  await addTeam.getByRole("button", { name: "Add team" }).click();

  const card = page.getByRole("region", { name: new RegExp(`^${team} `) });
  await expect(card).toBeVisible();
  await expect(card.getByText("No manager", { exact: true })).toBeVisible();

  await card.getByLabel(`New member for ${team}`).selectOption({ label: `${salesperson} – ${name}` });
  await card.getByRole("button", { name: `Add member to ${team}` }).click();
  await expect(card.getByRole("listitem").filter({ hasText: name })).toBeVisible();
  await expect(card.getByRole("button", { name: `Remove ${name} from ${team}` })).toBeVisible();

  await card.getByLabel(`New manager for ${team}`).selectOption({ label: `${ADMIN.name} (Admin)` });
  await card.getByRole("button", { name: `Add manager to ${team}` }).click();
  await expect(card.getByRole("button", { name: `Remove manager ${ADMIN.name} from ${team}` })).toBeVisible();
  await expect(card.getByText("No manager", { exact: true })).toHaveCount(0);
  await card.scrollIntoViewIfNeeded();
  await screenshot(page, info.project.name, "teams");

  // The salesperson list shows the new membership.
  await page.getByRole("navigation", { name: "Setup" }).getByRole("link", { name: "Salespeople" }).click();
  await expect(row.getByRole("cell", { name: team })).toBeVisible();
  check();
});

import { test, expect, Page } from "@playwright/test";
import { ADMIN, addCompany, addSalesperson, expectAccessible, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

// Both projects (desktop, phone) share one database and a run may be repeated on it: names and
// codes carry the project and a token of this run. The default STANDARD cycle is used:
// Qualification → Needs analysis (may be skipped) → Proposal (quote) → Negotiation (quote, no skip).
function names(project: string) {
  const run = Date.now().toString(36).slice(-5).toUpperCase();
  const p = project.toUpperCase().slice(0, 3);
  return {
    salesperson: `OS-${p}-${run}`,
    seller: `Olive ${p} ${run}`,
    company: `Orbit Tools ${p} ${run}`,
    deal: `Workshop fit-out ${p} ${run}`,
  };
}

/** Opens the Update dialog, picks an action and records it. */
async function move(page: Page, action: string) {
  await page.getByRole("button", { name: /^(Update stage|Start)…$/ }).click();
  const dialog = page.getByRole("dialog", { name: "Update opportunity" });
  await expect(dialog).toBeVisible();
  await dialog.getByRole("radio", { name: action, exact: true }).check();
  await dialog.getByRole("button", { name: "Record the change" }).click();
  await expect(dialog).toBeHidden();
}

const history = (page: Page) => page.getByRole("list", { name: "Entries, newest first" });

test("an opportunity is created from a contact, moved, refused a skip, closed as won and totalled", async ({ page }, info) => {
  const n = names(info.project.name);
  await signIn(page, ADMIN, "/");
  await addSalesperson(page, n.salesperson, n.seller);
  await addCompany(page, n.company, n.seller, n.salesperson);
  const check = failOnConsoleErrors(page);

  // From the contact's card: the contact and its salesperson are preselected.
  await page.getByRole("link", { name: "New opportunity" }).click();
  await expect(page).toHaveURL(/\/opportunities\/new\?contact=\d+$/);
  await hydrated(page);
  await expect(page.getByRole("combobox", { name: "Contact" })).toHaveValue(/\d+/);
  await expect(page.getByLabel("Salesperson")).toHaveValue(/\d+/);
  await expect(page.getByLabel("Salesperson").locator("option:checked")).toHaveText(`${n.seller} (${n.salesperson})`);
  await page.getByLabel("Description").fill(n.deal);
  // Other tests add cycles to the shared database: choose the default one by name.
  await page.getByLabel("Sales cycle").selectOption({ label: "STANDARD – Standard sales cycle" });
  await page.getByLabel("Estimated value").fill("10000");
  await screenshot(page, info.project.name, "opportunity-new");
  await page.getByRole("button", { name: "Create opportunity" }).click();

  // Started at once: Qualification, 10 % × 10 % = 1 %, 100.00 of 10,000.00.
  await expect(page.getByRole("heading", { level: 1, name: n.deal })).toBeVisible();
  await expect(page).toHaveURL(/\/opportunities\/\d+$/);
  await hydrated(page);
  await expect(page.locator(".opp-status-line")).toContainText("In Progress");
  await expect(page.locator('[aria-current="step"]')).toContainText("Qualification");
  await expect(page.locator('[data-fact="probability"]')).toHaveText("1 %");
  await expect(page.locator('[data-fact="calculated"]')).toHaveText("100.00");
  await expect(page.getByRole("region", { name: "Tasks" }).getByText("Call to qualify the lead")).toBeVisible();

  // Next: Needs analysis, 25 × 25 / 100 = 6.25 %.
  await move(page, "Next");
  await expect(page.locator('[aria-current="step"]')).toContainText("Needs analysis");
  await expect(page.locator('[data-fact="probability"]')).toHaveText("6.25 %");
  await expect(page.locator('[data-fact="calculated"]')).toHaveText("625.00");

  // Proposal needs a quote: the server says so in words.
  await page.getByRole("button", { name: "Update stage…" }).click();
  let dialog = page.getByRole("dialog", { name: "Update opportunity" });
  await dialog.getByRole("radio", { name: "Next", exact: true }).check();
  await dialog.getByRole("button", { name: "Record the change" }).click();
  await expect(dialog.getByText("Attach a quote before moving to Proposal.")).toBeVisible();
  await dialog.getByRole("button", { name: "Cancel" }).click();

  // A quote line: 2 × 1,500.00.
  const quote = page.getByRole("region", { name: "Quote" });
  await quote.getByText("Add a line").click();
  await quote.getByLabel("Description").fill("Workbench");
  await quote.getByLabel("Quantity").fill("2");
  await quote.getByLabel("Unit price").fill("1500");
  await quote.getByRole("button", { name: "Add line" }).click();
  await expect(quote.locator("[data-quote-total]")).toHaveText("3,000.00");

  // Next twice over: Proposal.
  await move(page, "Next");
  await expect(page.locator('[aria-current="step"]')).toContainText("Proposal");
  await expect(history(page).getByRole("listitem")).toHaveCount(3);

  // Skip: Negotiation does not allow it, and the dialog says why.
  await page.getByRole("button", { name: "Update stage…" }).click();
  dialog = page.getByRole("dialog", { name: "Update opportunity" });
  await expect(dialog.getByRole("radio", { name: "Skip", exact: true })).toBeDisabled();
  await expect(dialog.getByText("The next stage, Negotiation, cannot be skipped.")).toBeVisible();
  await screenshot(page, info.project.name, "opportunity-update-dialog");
  await expectAccessible(page);
  await page.keyboard.press("Escape");
  await expect(dialog).toBeHidden();

  // Close as won: the amount defaults to the quote's total.
  await page.getByRole("button", { name: "Close as won or lost…" }).click();
  const closeDialog = page.getByRole("dialog", { name: "Close opportunity" });
  await expect(closeDialog.getByLabel("Amount won")).toHaveValue("3000.00");
  await closeDialog.getByLabel("Close code").selectOption("WON-PRICE");
  await screenshot(page, info.project.name, "opportunity-close-dialog");
  await closeDialog.getByRole("button", { name: "Close opportunity" }).click();
  await expect(closeDialog).toBeHidden();
  await expect(page.locator(".opp-status-line")).toContainText("Won");
  await expect(page.getByRole("button", { name: "Update stage…" })).toHaveCount(0);
  const won = history(page).getByRole("listitem").first();
  await expect(won).toContainText("Won");
  await expect(won).toContainText("WON-PRICE");
  await expect(won).toContainText("3,000.00");
  await expect(history(page).getByRole("listitem")).toHaveCount(4);
  await screenshot(page, info.project.name, "opportunity-card-won");

  // The list: one won opportunity worth 3,000.00.
  await page.goto(`/opportunities?status=won&q=${encodeURIComponent(n.deal)}`);
  await hydrated(page);
  await expect(page.getByRole("link", { name: n.deal })).toBeVisible();
  await expect(page.locator('[data-total="count"]')).toHaveText("1 opportunity");
  await expect(page.locator('[data-total="estimated"]')).toHaveText("10,000.00");
  await expect(page.locator('[data-total="calculated"]')).toHaveText("3,000.00");
  await screenshot(page, info.project.name, "opportunities-list");
  await expectAccessible(page);
  check();
});

import { test, expect } from "@playwright/test";
import { ADMIN, expectAccessible, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

test("import contacts from a CSV file: preview, map a column, import; a bad file imports nothing", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  const tag = `${info.project.name}${Date.now()}`;
  // An admin: contacts may stay unassigned (a salesperson's import assigns them to themselves).
  await signIn(page, ADMIN, "/import");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Import from CSV" })).toBeVisible();

  // A bad file first: two problems, named by row; nothing imported.
  await page.getByLabel("Import").selectOption("contacts");
  await page.getByLabel("CSV file").setInputFiles({
    name: "bad.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`name,email\nGood ${tag},good-${tag}@x.example\n,missing-${tag}@x.example\nBad ${tag},not-an-email\n`),
  });
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await expect(page.getByRole("heading", { name: "2. Match the columns of bad.csv" })).toBeVisible();
  await hydrated(page);
  await page.getByRole("button", { name: "Import 3 rows" }).click();
  const problems = page.getByRole("table", { name: "Problems by row" });
  await expect(problems).toBeVisible();
  await expect(problems.getByRole("row").filter({ hasText: "Enter a name." })).toContainText("3");
  await expect(problems.getByRole("row").filter({ hasText: "Enter a valid email" })).toContainText("4");
  await expect(page.getByText("Nothing was imported: 2 problem(s) in 3 rows.")).toBeVisible();

  // A good file whose "Mail" column the user maps by hand.
  await page.goto("/import");
  await hydrated(page);
  await page.getByLabel("CSV file").setInputFiles({
    name: "leads.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(`Company,Mail,Town\nImported ${tag} A,a-${tag}@x.example,Leeds\nImported ${tag} B,b-${tag}@x.example,York\n`),
  });
  await page.getByRole("button", { name: "Upload and preview" }).click();
  await hydrated(page);
  const preview = page.getByRole("table", { name: "First rows of the file" });
  await expect(preview).toContainText(`Imported ${tag} A`);
  // "Company" was taken for a person's company; here it is the contact's name.
  await expect(page.getByLabel(/^Company/)).toHaveValue("0");
  await page.getByLabel(/^Company/).selectOption({ label: "— not imported —" });
  await page.getByLabel("Name *").selectOption({ label: "Company" });
  await page.getByLabel("Email").selectOption({ label: "Mail" });
  await expect(page.getByLabel("City")).toHaveValue("2"); // "Town" was recognised
  await screenshot(page, info.project.name, "import-mapping");
  await expectAccessible(page);
  await page.getByRole("button", { name: "Import 2 rows" }).click();
  await expect(page.getByText("Imported 2 contacts.")).toBeVisible();

  await page.goto(`/contacts?q=${encodeURIComponent(`Imported ${tag}`)}`);
  await expect(page.getByRole("link", { name: `Imported ${tag} B` })).toBeVisible();
  check();
});

import { test, expect, Page } from "@playwright/test";
import { ADMIN, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

// Both projects (desktop and phone) share one database, and a rerun may meet an earlier run's
// contacts: every name carries the project's name and a token of this run.
const run = Date.now().toString(36);
function names(project: string) {
  return {
    company: `Zephyr Widgets ${project} ${run}`,
    person: `Petra Quill ${project} ${run}`,
  };
}

async function search(page: Page, text: string) {
  await page.getByRole("searchbox", { name: "Search" }).fill(text);
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/\/contacts\?/);
}

test("a company and a person in it are created, found by search and linked on their cards", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  const { company, person } = names(info.project.name);

  await signIn(page, ADMIN, "/contacts");
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();
  await screenshot(page, info.project.name, "contacts-list");

  // A company.
  await page.getByRole("link", { name: "New contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/new$/);
  await hydrated(page);
  await expect(page.getByRole("radio", { name: "Company" })).toBeChecked();
  await page.getByLabel("Name", { exact: true }).fill(company);
  await page.getByLabel("Email").fill("sales@zephyr.example");
  await page.getByLabel("City").fill("Bristol");
  await page.getByRole("button", { name: "Create contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name: company })).toBeVisible();
  const companyUrl = page.url();
  const companyId = companyUrl.split("/").pop()!;

  // "Add person" opens the form for a person of this company.
  await page.getByRole("link", { name: "Add person" }).click();
  await expect(page).toHaveURL(new RegExp(`/contacts/new\\?company=${companyId}$`));
  await hydrated(page);
  await expect(page.getByRole("radio", { name: "Person" })).toBeChecked();
  await expect(page.getByRole("combobox", { name: "Company" })).toHaveValue(companyId);
  await page.getByLabel("Name", { exact: true }).fill(person);
  await page.getByLabel("Job title").fill("Head of Purchasing");
  await page.getByLabel("Email").fill("petra@zephyr.example");
  await screenshot(page, info.project.name, "contacts-new-person");
  await page.getByRole("button", { name: "Create contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  await expect(page.getByRole("heading", { level: 1, name: person })).toBeVisible();
  await expect(page.getByRole("link", { name: company })).toHaveAttribute("href", `/contacts/${companyId}`);
  await expect(page.getByRole("heading", { name: "Opportunities" })).toBeVisible();

  // Search is case-insensitive and also looks at the company name.
  await page.goto("/contacts");
  await hydrated(page);
  await search(page, company.toUpperCase());
  await expect(page.getByRole("link", { name: person })).toBeVisible();
  await expect(page.getByRole("link", { name: company }).first()).toBeVisible();
  await expect(page.getByText("1–2 of 2")).toBeVisible();
  await screenshot(page, info.project.name, "contacts-search");
  await search(page, person.toLowerCase());
  await expect(page.getByRole("link", { name: person })).toBeVisible();
  await expect(page.getByText("1–1 of 1")).toBeVisible();

  // The person is listed on the company's card.
  await page.goto(companyUrl);
  await hydrated(page);
  const persons = page.getByRole("region", { name: "Persons" });
  await expect(persons.getByRole("link", { name: person })).toBeVisible();
  await screenshot(page, info.project.name, "contact-card");
  check();
});

// Not under failOnConsoleErrors: the browser logs the refused (422) request as an error.
test("an invalid email gets a message next to the field and creates nothing", async ({ page }, info) => {
  const name = `Invalid Email Ltd ${info.project.name} ${run}`;
  await signIn(page, ADMIN, "/contacts/new");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("Email").fill("sales@nowhere");
  await page.getByRole("button", { name: "Create contact" }).click();
  await expect(page.getByText("Enter a valid email address, like name@example.com.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
  await expect(page.getByLabel("Name", { exact: true })).toHaveValue(name);
  await expect(page).toHaveURL(/\/contacts\/new$/);
  await screenshot(page, info.project.name, "contacts-new-invalid-email");

  await page.goto("/contacts");
  await hydrated(page);
  await search(page, name);
  await expect(page.getByText(`No contacts match “${name}”.`)).toBeVisible();
});

test("a search that finds nothing says so, and an unknown contact is a 404", async ({ page }, info) => {
  await signIn(page, ADMIN, "/contacts");
  await search(page, `no such contact ${info.project.name}`);
  await expect(page.getByText(`No contacts match “no such contact ${info.project.name}”.`)).toBeVisible();
  await screenshot(page, info.project.name, "contacts-empty-search");

  const response = await page.goto("/contacts/99999999");
  expect(response?.status()).toBe(404);
  await expect(page.getByText("This contact does not exist or you do not have access to it.")).toBeVisible();
});

test("a contact is edited on its card", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  const name = `Edited Goods ${info.project.name} ${run}`;
  await signIn(page, ADMIN, "/contacts/new");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.getByLabel("City").fill("Leeds");
  await page.getByRole("button", { name: "Create contact" }).click();
  await expect(page.getByRole("heading", { level: 1, name })).toBeVisible();

  await page.getByText("Edit contact").click();
  await page.getByLabel("City").fill("York");
  await page.getByLabel("Phone").fill("+44 1904 000000");
  await page.getByRole("button", { name: "Save changes" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Changes saved." })).toBeVisible();
  await expect(page.getByText("York", { exact: true })).toBeVisible();
  await expect(page.getByRole("link", { name: "+44 1904 000000" })).toBeVisible();
  await screenshot(page, info.project.name, "contact-edited");
  check();
});

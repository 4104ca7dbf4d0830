import { test, expect } from "@playwright/test";
import { ADMIN, SELLER, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

test("a wrong password is refused with a message that does not reveal the account", async ({ page }, info) => {
  await page.goto("/login");
  await hydrated(page);
  await page.getByLabel("Email").fill(SELLER.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/login/);
  await screenshot(page, info.project.name, "login-error");
});

test("signing in returns to the page asked for, and signing out ends the session", async ({ page }) => {
  await page.goto("/dashboard");
  await expect(page).toHaveURL(/\/login\?next=\/dashboard$/);
  await hydrated(page);
  await page.getByLabel("Email").fill(SELLER.email);
  await page.getByLabel("Password").fill(SELLER.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { level: 1, name: "Dashboard" })).toBeVisible();

  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/login$/);
  await page.goto("/");
  await expect(page).toHaveURL(/\/login$/);
});

test("a salesperson sees no Setup and cannot open it by URL", async ({ page }, info) => {
  await signIn(page, SELLER);
  const nav = page.getByRole("navigation", { name: "Main" });
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await expect(nav.getByRole("link", { name: "Board", exact: true })).toBeVisible();
  await expect(nav.getByRole("link", { name: "Setup" })).toHaveCount(0);

  const response = await page.goto("/setup/users");
  expect(response?.status()).toBe(403);
  await expect(page.getByRole("heading", { name: "No access" })).toBeVisible();
  await expect(page.getByText(ADMIN.email)).toHaveCount(0);
  await screenshot(page, info.project.name, "no-access");
});

test("the admin sees Setup with the users", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  await signIn(page, ADMIN);
  const menu = page.getByRole("button", { name: "Menu" });
  if (await menu.isVisible()) await menu.click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Setup" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Setup" })).toBeVisible();
  await page.getByRole("navigation", { name: "Setup" }).getByRole("link", { name: "Users" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(page.getByRole("cell", { name: SELLER.email })).toBeVisible();
  await screenshot(page, info.project.name, "setup-users");
  check();
});

test("a salesperson cannot open another team's contact by its address", async ({ page, browser }, info) => {
  // The admin creates a salesperson and a company that belongs to them (not to Sam's teams).
  const code = `OWN-${info.project.name.slice(0, 3).toUpperCase()}-${Date.now() % 100000}`;
  const owner = `Olive Owner ${info.project.name}`;
  const company = `Private Holdings ${info.project.name} ${Date.now() % 100000}`;
  await signIn(page, ADMIN, "/setup/salespeople");
  const add = page.getByRole("region", { name: "Add a salesperson" });
  await add.getByLabel("Code").fill(code);
  await add.getByLabel("Name").fill(owner);
  await add.getByRole("button", { name: "Add salesperson" }).click();
  await expect(page.getByRole("table").getByText(code, { exact: true })).toBeVisible();

  await page.goto("/contacts/new");
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(company);
  await page.getByLabel("Salesperson").selectOption({ label: `${owner} (${code})` });
  await page.getByRole("button", { name: "Create contact" }).click();
  await expect(page).toHaveURL(/\/contacts\/\d+$/);
  const address = new URL(page.url()).pathname;

  // Sam belongs to no team of that salesperson: the address answers as if nothing were there.
  const other = await browser.newContext({ baseURL: info.project.use.baseURL });
  const sam = await other.newPage();
  await signIn(sam, SELLER);
  const response = await sam.goto(address);
  expect(response?.status()).toBe(404);
  await expect(sam.getByRole("heading", { name: company })).toHaveCount(0);
  // Nor does a search find it (the empty list repeats the search words, so look for a link).
  await sam.goto("/contacts?q=" + encodeURIComponent(company));
  await expect(sam.getByRole("link", { name: company })).toHaveCount(0);
  await screenshot(sam, info.project.name, "other-teams-contact");
  await other.close();
});

test.describe("before the app has loaded (no JavaScript)", () => {
  test.use({ javaScriptEnabled: false });

  test("signing in works with plain form posts and shows a refusal on the page", async ({ page }, info) => {
    await page.goto("/login");
    await page.getByLabel("Email").fill(SELLER.email);
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
    await screenshot(page, info.project.name, "login-error-no-js");
    await page.getByLabel("Email").fill(SELLER.email);
    await page.getByLabel("Password").fill(SELLER.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("heading", { name: "Welcome to Pipeline" })).toBeVisible();
    await expect(page.getByRole("alert")).toHaveCount(0);
  });
});

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
  await expect(page.getByRole("heading", { level: 1, name: "Users" })).toBeVisible();
  await expect(page.getByRole("cell", { name: SELLER.email })).toBeVisible();
  await screenshot(page, info.project.name, "setup-users");
  check();
});

import { test, expect } from "@playwright/test";
import { ADMIN, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

test("the home page renders on the server, hydrates and reaches the database", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  await signIn(page, ADMIN);
  // Server-side rendering: the content is in the HTML before any wasm runs.
  const html = await (await page.request.get("/")).text();
  expect(html).toContain("Welcome to Pipeline");

  await expect(page.getByRole("heading", { name: "Welcome to Pipeline" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Database" })).toContainText("Database connected");
  // An interaction that only the hydrated app can handle: it calls a server function again.
  await expect(page.getByText("Checks this visit: 1")).toBeVisible();
  await page.getByRole("button", { name: "Check again" }).click();
  await expect(page.getByText("Checks this visit: 2")).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Database" })).toContainText("Database connected");
  await screenshot(page, info.project.name, "home");
  check();
});

test("the navigation reaches every section", async ({ page, isMobile }, info) => {
  await signIn(page, ADMIN);
  const nav = page.getByRole("navigation", { name: "Main" });
  if (isMobile) {
    // On a phone the navigation hides behind the menu button.
    await expect(nav).toBeHidden();
    const menu = page.getByRole("button", { name: "Menu" });
    await expect(menu).toHaveAttribute("aria-expanded", "false");
    await menu.tap();
    await expect(nav).toBeVisible();
    await expect(page.getByRole("button", { name: "Close menu" })).toHaveAttribute("aria-expanded", "true");
    await screenshot(page, info.project.name, "menu-open");
  } else {
    await expect(nav).toBeVisible();
    await expect(page.getByRole("button", { name: "Menu" })).toBeHidden();
  }
  for (const section of ["Board", "Opportunities", "Contacts", "Dashboard", "Setup"]) {
    await expect(nav.getByRole("link", { name: section, exact: true })).toBeVisible();
  }
  await nav.getByRole("link", { name: "Contacts" }).click();
  await expect(page).toHaveURL(/\/contacts$/);
  await expect(page.getByRole("heading", { level: 1, name: "Contacts" })).toBeVisible();
  // Choosing a section closes the phone menu again.
  if (isMobile) await expect(nav).toBeHidden();
});

test("an unknown address shows a helpful page with status 404", async ({ page }, info) => {
  await signIn(page, ADMIN);
  const response = await page.goto("/no-such-page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Back to Home" })).toBeVisible();
  await screenshot(page, info.project.name, "not-found");
});

test("health and readiness endpoints answer without signing in", async ({ request }) => {
  const health = await request.get("/healthz");
  expect(health.status()).toBe(200);
  expect(await health.json()).toEqual({ status: "ok" });
  const ready = await request.get("/readyz");
  expect(ready.status()).toBe(200);
  expect(await ready.json()).toEqual({ status: "ready" });
  expect(ready.headers()["x-request-id"]).toBeTruthy();
  expect(ready.headers()["x-content-type-options"]).toBe("nosniff");
});

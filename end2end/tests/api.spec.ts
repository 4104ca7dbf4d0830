import { test, expect } from "@playwright/test";
import { ADMIN, SELLER, expectAccessible, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

// A token made on the profile page works for the API at once and stops working when revoked.
test("create an API token in the profile, use it, revoke it", async ({ page, playwright }, info) => {
  const check = failOnConsoleErrors(page);
  await signIn(page, SELLER, "/profile");
  await hydrated(page);
  const name = `Script ${info.project.name} ${Date.now()}`;
  await page.getByLabel("Token name").fill(name);
  await page.getByRole("button", { name: "Create token" }).click();
  const secretBox = page.getByLabel("Your new token");
  await expect(secretBox).toBeVisible();
  await expect(page.getByText("it will not be shown again")).toBeVisible();
  const secret = await secretBox.inputValue();
  expect(secret).toMatch(/^plt_[0-9a-f]{64}$/);
  const mine = page.getByRole("table", { name: "Your API tokens" });
  const row = mine.getByRole("row").filter({ hasText: name });
  await expect(row).toContainText(secret.slice(0, 12));
  await expect(row).toContainText("active");
  const lastUsed = (r: typeof row) => r.getByRole("cell").nth(3);
  await expect(lastUsed(row)).toHaveText("Never");
  await screenshot(page, info.project.name, "api-tokens");
  await expectAccessible(page);

  // The token acts as Sam, without any cookie.
  const api = await playwright.request.newContext({
    baseURL: info.project.use.baseURL,
    extraHTTPHeaders: { Authorization: `Bearer ${secret}` },
  });
  const me = await api.get("/api/v1/me");
  expect(me.status()).toBe(200);
  expect((await me.json()).email).toBe(SELLER.email);
  const list = await api.get("/api/v1/opportunities?limit=5");
  expect(list.status()).toBe(200);
  expect(list.headers()["content-type"]).toContain("application/json");

  // Last use shows after a reload; revoking stops the token at once.
  await page.reload();
  await hydrated(page);
  await expect(lastUsed(mine.getByRole("row").filter({ hasText: name }))).toHaveText(/UTC$/);
  await mine.getByRole("button", { name: `Revoke token ${name}` }).click();
  await expect(mine.getByRole("row").filter({ hasText: name })).toContainText("revoked");
  const after = await api.get("/api/v1/me");
  expect(after.status()).toBe(401);
  expect(after.headers()["content-type"]).toBe("application/problem+json");
  await api.dispose();
  check();
});

test("an admin sees everyone's tokens", async ({ page }) => {
  await signIn(page, ADMIN, "/profile");
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Everyone's tokens" })).toBeVisible();
  await expect(page.getByRole("table", { name: "Everyone's API tokens" })).toContainText(SELLER.name);
});

test("the API reference page is readable without the app and without the internet", async ({ page }, info) => {
  const response = await page.goto("/api/docs");
  expect(response?.status()).toBe(200);
  await expect(page.getByRole("heading", { level: 1, name: "Pipeline API" })).toBeVisible();
  for (const tag of ["Opportunities", "Quotes", "Tasks", "Contacts", "Setup", "Schemas"]) {
    await expect(page.getByRole("heading", { level: 2, name: tag })).toBeVisible();
  }
  await expect(page.getByText("/api/v1/opportunities/{no}/actions").first()).toBeVisible();
  // Nothing overflows the phone's width except inside the scrolling tables.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(1);
  await screenshot(page, info.project.name, "api-docs");
  const doc = await page.request.get("/api/openapi.json");
  expect((await doc.json()).openapi).toBe("3.1.0");
});

import { test as setup, expect } from "@playwright/test";
import { ADMIN, SELLER, hydrated, screenshot } from "./helpers";

setup("the first visitor creates the first admin, who adds a salesperson", async ({ page }) => {
  // A fresh database: every page leads to the first-run screen.
  await page.goto("/board");
  await expect(page).toHaveURL(/\/welcome$/);
  await hydrated(page);
  await screenshot(page, "setup", "welcome");

  // Bad input gets messages next to the fields and creates nothing.
  await page.getByLabel("Your name").fill(ADMIN.name);
  await page.getByLabel("Email").fill(ADMIN.email);
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat the password").fill("different");
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page.getByText("Use at least 10 characters.")).toBeVisible();
  await expect(page.getByText("The passwords do not match.")).toBeVisible();
  await expect(page.getByLabel("Password", { exact: true })).toHaveAttribute("aria-invalid", "true");

  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await page.getByLabel("Repeat the password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page.getByRole("heading", { name: "Welcome to Pipeline" })).toBeVisible();
  await expect(page).toHaveURL(/\/$/);

  // The first-run screen is gone for good.
  await page.goto("/welcome");
  await expect(page.getByRole("heading", { name: "Welcome to Pipeline" })).toBeVisible();
  await page.getByLabel("Your name").fill("Intruder");
  await page.getByLabel("Email").fill("intruder@example.com");
  await page.getByLabel("Password", { exact: true }).fill("intruder password");
  await page.getByLabel("Repeat the password").fill("intruder password");
  await hydrated(page);
  await page.getByRole("button", { name: "Create admin account" }).click();
  await expect(page.getByRole("alert")).toContainText("You do not have access to this.");

  // The admin adds a salesperson account in Setup › Users.
  await page.goto("/setup/users");
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(SELLER.name);
  await page.getByLabel("Email").fill(SELLER.email);
  await page.getByLabel("Role", { exact: true }).selectOption("salesperson");
  await page.getByLabel("Initial password").fill(SELLER.password);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.getByRole("cell", { name: SELLER.email })).toBeVisible();
  await screenshot(page, "setup", "users");
});

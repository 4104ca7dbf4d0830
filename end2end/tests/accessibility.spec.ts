import { test } from "@playwright/test";
import { ADMIN, expectAccessible, hydrated, signIn } from "./helpers";

test("the sign-in page is accessible", async ({ page }) => {
  await page.goto("/login");
  await hydrated(page);
  await expectAccessible(page);
});

for (const path of ["/", "/profile", "/setup", "/setup/cycles", "/setup/cycles/STANDARD", "/setup/close-codes", "/setup/activities", "/setup/users", "/setup/salespeople", "/setup/teams", "/contacts", "/contacts/new", "/opportunities", "/opportunities/new", "/opportunities/statistics", "/tasks", "/board"]) {
  test(`${path} is accessible`, async ({ page }) => {
    await signIn(page, ADMIN, path);
    await expectAccessible(page);
  });
}

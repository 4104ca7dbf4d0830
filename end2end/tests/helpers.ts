import { Page, expect } from "@playwright/test";

/** Waits until the wasm app has hydrated the server-rendered page (see `App` in app/src/layout.rs). */
export async function hydrated(page: Page) {
  await expect(page.locator("html[data-hydrated=true]")).toHaveCount(1, { timeout: 15_000 });
}

/** Saves a screenshot under end2end/screenshots/<project>/<name>.png for a person to look at. */
export async function screenshot(page: Page, project: string, name: string) {
  await page.screenshot({ path: `screenshots/${project}/${name}.png`, fullPage: true });
}

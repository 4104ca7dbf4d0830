import { Page, expect } from "@playwright/test";

/** Accounts created by first-run.setup.ts. */
export const ADMIN = { email: "admin@example.com", password: "admin password 1", name: "Ada Admin" };
export const SELLER = { email: "sam@example.com", password: "seller password 1", name: "Sam Seller" };

/** Waits until the wasm app has hydrated the server-rendered page (see `App` in app/src/layout.rs). */
export async function hydrated(page: Page) {
  await expect(page.locator("html[data-hydrated=true]")).toHaveCount(1, { timeout: 15_000 });
}

/** Saves a screenshot under end2end/screenshots/<project>/<name>.png for a person to look at. */
export async function screenshot(page: Page, project: string, name: string) {
  await page.screenshot({ path: `screenshots/${project}/${name}.png`, fullPage: true });
}

/** Signs in through the sign-in page and waits for the destination. */
export async function signIn(page: Page, who: { email: string; password: string }, path = "/") {
  await page.goto(path === "/" ? "/login" : `/login?next=${encodeURIComponent(path)}`);
  await hydrated(page);
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(new RegExp(`${path.replace(/[?]/g, "\\?")}$`));
  await hydrated(page);
}

/**
 * Fails the test on console errors such as a CSP violation, a script error or a hydration panic.
 * A 4xx answer from the server is an expected answer the page shows (Chromium still logs it).
 */
export function failOnConsoleErrors(page: Page) {
  const errors: string[] = [];
  const expectedAnswer = /Failed to load resource: the server responded with a status of 4\d\d/;
  page.on("console", (m) => { if (m.type() === "error" && !expectedAnswer.test(m.text())) errors.push(m.text()); });
  page.on("pageerror", (e) => errors.push(String(e)));
  return () => expect(errors, "console errors").toEqual([]);
}

/**
 * Checks the page with axe-core for the accessibility rules we hold ourselves to: every control
 * and link has an accessible name, labels match, ARIA is valid, landmarks and headings make sense.
 * (Colour contrast is judged by eye in the screenshots.)
 */
export async function expectAccessible(page: Page) {
  const { default: AxeBuilder } = await import("@axe-core/playwright");
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa"]).disableRules(["color-contrast"]).analyze();
  const problems = results.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
  expect(problems, "accessibility violations").toEqual([]);
}

/** Adds a salesperson in Setup › Salespeople (admin). */
export async function addSalesperson(page: Page, code: string, name: string) {
  await page.goto("/setup/salespeople");
  await hydrated(page);
  const add = page.getByRole("region", { name: "Add a salesperson" });
  await add.getByLabel("Code").fill(code);
  await add.getByLabel("Name").fill(name);
  await add.getByRole("button", { name: "Add salesperson" }).click();
  await expect(page.getByText(`${name} (${code}) added.`)).toBeVisible();
}

/** Adds a company owned by a salesperson and leaves the browser on its card; answers its id. */
export async function addCompany(page: Page, company: string, seller: string, code: string): Promise<string> {
  await page.goto("/contacts/new");
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill(company);
  await page.getByLabel("Salesperson").selectOption({ label: `${seller} (${code})` });
  await page.getByRole("button", { name: "Create contact" }).click();
  await expect(page.getByRole("heading", { level: 1, name: company })).toBeVisible();
  await hydrated(page);
  return page.url().split("/").pop()!;
}

/** Calls a server function as the signed-in browser does (form post, JSON answer). */
export async function call(page: Page, endpoint: string, form: Record<string, string>) {
  const response = await page.request.post(`/api/${endpoint}`, { form, headers: { Accept: "application/json" } });
  expect(response.ok(), `${endpoint}: ${response.status()} ${await response.text()}`).toBeTruthy();
  return response.json();
}

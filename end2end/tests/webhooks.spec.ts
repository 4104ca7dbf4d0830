import { test, expect } from "@playwright/test";
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { ADMIN, SELLER, addSalesperson, call, expectAccessible, failOnConsoleErrors, hydrated, screenshot, signIn } from "./helpers";

// A receiver on this machine: records what Pipeline sends.
async function receiver() {
  const got: { headers: IncomingHttpHeaders; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      got.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { got, url: `http://127.0.0.1:${port}/hooks/pipeline`, close: () => server.close() };
}

test("an admin subscribes a URL and sees signed deliveries in the log", async ({ page }, info) => {
  const check = failOnConsoleErrors(page);
  const hook = await receiver();
  await signIn(page, ADMIN);
  const code = `WH${info.project.name === "phone" ? "P" : "D"}${Date.now() % 100000}`;
  await addSalesperson(page, code, `Hook Seller ${code}`);
  await page.goto("/setup/webhooks");
  await hydrated(page);
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  // Bad input is explained next to the field.
  await page.getByLabel("Address (URL)").fill("ftp://example.com/x");
  await page.getByLabel("Address (URL)").evaluate((el: HTMLInputElement) => (el.type = "text"));
  await page.getByRole("button", { name: "Add webhook" }).click();
  await expect(page.getByText("Use an http:// or https:// address.")).toBeVisible();

  await page.getByLabel("Address (URL)").fill(hook.url);
  await page.getByLabel("Description (optional)").fill(`E2E ${info.project.name}`);
  await page.getByRole("button", { name: "Add webhook" }).click();
  const secret = await page.getByLabel("Signing secret").inputValue();
  expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
  const row = page.getByRole("table", { name: "Webhooks" }).getByRole("row").filter({ hasText: hook.url });
  await expect(row).toContainText("Active");

  // A change in the app: a new opportunity (through the same operation as the form).
  const contactId = await call(page, "contacts/create", { kind: "company", name: `Hooked ${info.project.name}` });
  const options = await call(page, "opportunities/new-options", {});
  await call(page, "opportunities/create", {
    description: `Webhook ${info.project.name}`,
    contact_id: String(contactId),
    salesperson_id: String(options.salespeople.find((s: { label: string }) => s.label.includes(code)).id),
    cycle_id: String(options.cycles[0].id),
    estimated_value: "2500",
  });

  // Delivered within a few seconds, signed with the secret shown once.
  await expect.poll(() => hook.got.filter((g) => g.body.includes(`Webhook ${info.project.name}`)).length, { timeout: 10_000 }).toBe(1);
  const delivery = hook.got.find((g) => g.body.includes(`Webhook ${info.project.name}`))!;
  expect(delivery.headers["pipeline-event"]).toBe("opportunity.created");
  const [t, v1] = String(delivery.headers["pipeline-signature"]).split(",");
  const expected = createHmac("sha256", secret).update(`${t.slice(2)}.${delivery.body}`).digest("hex");
  expect(v1).toBe(`v1=${expected}`);
  expect(JSON.parse(delivery.body).opportunity.estimated_value).toBe("2500.00");

  // The log shows it delivered with the receiver's answer.
  await row.getByRole("link", { name: /Delivery log/ }).click();
  await hydrated(page);
  const log = page.getByRole("table", { name: "Deliveries" });
  await expect(log.getByRole("row").filter({ hasText: "opportunity.created" }).first()).toContainText("delivered");
  await expect(log).toContainText("HTTP 204");
  await screenshot(page, info.project.name, "webhooks");
  await expectAccessible(page);

  // Paused: nothing more is sent.
  await page.getByRole("table", { name: "Webhooks" }).getByRole("row").filter({ hasText: hook.url }).getByRole("button", { name: "Pause" }).click();
  await expect(page.getByRole("table", { name: "Webhooks" }).getByRole("row").filter({ hasText: hook.url })).toContainText("Paused");
  hook.close();
  check();
});

test("webhooks are for admins only", async ({ page }) => {
  await signIn(page, SELLER, "/setup/webhooks");
  await expect(page.getByRole("heading", { name: "No access" })).toBeVisible();
});

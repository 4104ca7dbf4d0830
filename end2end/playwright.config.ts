import { defineConfig, devices } from "@playwright/test";

// The server is started by scripts/test.sh (against a throw-away database) and its address is
// passed in PIPELINE_BASE_URL. Chromium is Debian's: Playwright's own download is not reachable.
const baseURL = process.env.PIPELINE_BASE_URL ?? "http://localhost:3000";
const chromium = {
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
};

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 5_000 },
  fullyParallel: false,
  workers: 1,
  // One retry in CI; a test that needed it is reported as flaky in the summary, not hidden.
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  use: {
    baseURL,
    launchOptions: chromium,
    trace: "retain-on-failure",
  },
  projects: [
    // Runs once, first: creates the first admin through the first-run screen, then a salesperson.
    { name: "setup", testMatch: /.*\.setup\.ts/, use: { launchOptions: chromium } },
    {
      name: "desktop",
      dependencies: ["setup"],
      use: { ...devices["Desktop Chrome"], viewport: { width: 1366, height: 850 }, launchOptions: chromium },
    },
    {
      name: "phone",
      dependencies: ["setup"],
      use: {
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 3,
        isMobile: true,
        hasTouch: true,
        launchOptions: chromium,
      },
    },
  ],
});

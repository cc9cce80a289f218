/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) during real
 * upgrades on the local mesh, with users placing orders: the page shows the phases in order
 * as they happen, the weight moving and Succeeded at the end; it works at 1280×800 in light
 * and on a narrow window in dark; abort once Finalizing began is refused in the API's words; a
 * wrong token is refused with the API's message; pause and resume act; the abort button asks
 * first, then rolls the upgrade back and the page shows RolledBack. Screenshots
 * of the running upgrade go to test-artifacts/dashboard/ (docs/dashboard.png is one of them).
 */
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildDashboard } from "../../controller/dashboard-ui/build.js";
import { bootE2e, createUpgrade, startUsers, strategy, type E2eEnv, type Users } from "../e2e/harness.js";
import { artifactsDir, launchChromium } from "./chromium.js";
import { changes, recordShownStates, shownStates } from "./page-recorder.js";

/** The lifecycle of an upgrade that succeeds, in order. */
const SUCCEEDING = ["Validating", "Preparing", "Shifting", "Draining", "Finalizing", "Succeeded"];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `#phase` shows `phase` (its data-phase), or fails naming what it showed. */
async function waitForPhase(page: Page, phase: string, timeoutMs: number): Promise<void> {
  await page
    .waitForSelector(`#phase[data-phase='${phase}']`, { timeout: timeoutMs })
    .catch(async (err: unknown) => {
      const shown = await shownStates(page).catch(() => []);
      throw new Error(`the page never showed ${phase}; it showed ${JSON.stringify(shown)}`, { cause: err });
    });
}

/** The reason of the newest Event the page lists. */
function firstEventReason(page: Page): Promise<string | null> {
  return page.evaluate<string | null>(`document.querySelector("#events tbody tr")?.dataset.reason ?? null`);
}

/** True when the page is no wider than its window (nothing to scroll sideways). */
function fitsWidth(page: Page): Promise<boolean> {
  return page.evaluate<boolean>("document.documentElement.scrollWidth <= window.innerWidth");
}

describe("the dashboard in chromium, during real upgrades", () => {
  let env: E2eEnv | undefined;
  let users: Users | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext;
  let page: Page;
  let dashboard: string;
  /** Why chromium could not start, if it could not. */
  let noBrowser: Error | undefined;
  /** Every URL the page requested, to show that the token never appears in one. */
  const requested: string[] = [];
  /** What the page's console reported as errors, and the page's uncaught exceptions. */
  const consoleErrors: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // The page the controller serves is the one built from the sources under test.
    await buildDashboard();
    try {
      browser = await launchChromium();
    } catch (err) {
      // Each test then fails with this message: a missing browser never reads as a skip.
      noBrowser = err instanceof Error ? err : new Error(String(err));
      return;
    }
    env = await bootE2e();
    users = startUsers(env.mesh, { ratePerSecond: 4, concurrency: 4, slowFraction: 0.1 });
    dashboard = `${env.ctl().apiUrl}/dashboard/`;
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, colorScheme: "light" });
    page = await context.newPage();
    page.on("request", (r) => requested.push(r.url()));
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => pageErrors.push(e.message));
    await recordShownStates(page);
  }, 90_000);

  beforeEach(() => {
    if (noBrowser !== undefined) throw noBrowser;
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await users?.finish().catch(() => undefined);
    await env?.stop();
  }, 60_000);

  it("shows an upgrade's phases in order as they happen, the weight moving, and Succeeded at the end", async () => {
    const ctl = env!.ctl();
    // Opened before the upgrade exists, as `tranquil dashboard auth-v2` may be: it keeps trying.
    await page.goto(`${dashboard}#/default/auth-v2`);
    await page.waitForSelector("#detail .problem");
    await page.fill("#token", ctl.token);
    await page.click("#token-save");
    await createUpgrade(ctl, "auth-v2", {
      services: [{ name: "auth-service", from: "v1", to: "v2" }],
      strategy: strategy([50, 100]),
    });
    await waitForPhase(page, "Shifting", 30_000);

    // A screenshot of the running upgrade a second into its drain (or in Finalizing, if the drain was quicker).
    const dir = await artifactsDir();
    let shot: string | undefined;
    let drainingSince: number | undefined;
    let abortTried = false;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const phase = await page.getAttribute("#phase", "data-phase");
      if (phase === "Draining") drainingSince ??= Date.now();
      const drainShown = drainingSince !== undefined && Date.now() - drainingSince > 1_000;
      if (shot === undefined && (phase === "Finalizing" || (phase === "Draining" && drainShown))) {
        // The window as a user sees it at 1280×800 (docs/dashboard.png), and the whole page.
        shot = join(dir, "dashboard-running.png");
        await page.screenshot({ path: shot });
        await page.screenshot({ path: join(dir, "dashboard-running-full.png"), fullPage: true });
        expect(await fitsWidth(page)).toBe(true);
      }
      // Abort once Finalizing has begun: the page shows the API's refusal in its words.
      if (phase === "Finalizing" && !abortTried) {
        abortTried = true;
        page.once("dialog", (d) => void d.accept());
        await page.click("#verb-abort");
        await expect
          .poll(() => page.textContent("#notice"))
          .toMatch(
            /^Abort: the controller answered 409: abort refused: upgrade default\/auth-v2 (is Finalizing and the old version is being removed; it can only complete|has ended \(Succeeded\))$/,
          );
      }
      if (phase === "Succeeded") break;
      if (Date.now() > deadline) throw new Error(`auth-v2 did not succeed in time; the page shows ${phase}`);
      await sleep(100);
    }
    expect(shot, "a screenshot was taken while the upgrade ran").toBeDefined();
    expect(abortTried, "abort was tried in Finalizing").toBe(true);

    const shown = await shownStates(page);
    const phases = changes(shown.map((s) => s.phase));
    // Each phase the page showed comes after the previous one in the lifecycle, none twice.
    const order = phases.map((p) => SUCCEEDING.indexOf(p));
    expect(
      order.every((i) => i >= 0),
      JSON.stringify(phases),
    ).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(phases).toEqual(expect.arrayContaining(["Shifting", "Draining", "Finalizing", "Succeeded"]));
    expect(phases.at(-1)).toBe("Succeeded");
    // The weight went up through the steps as the page watched.
    const weights = changes(shown.map((s) => s.weight));
    expect(weights).toEqual(expect.arrayContaining(["50%", "100%"]));
    expect(weights.map((w) => Number.parseInt(w, 10))).toEqual(
      [...weights.map((w) => Number.parseInt(w, 10))].sort((a, b) => a - b),
    );
    // The timeline lists every phase, in order, each with its time.
    const timeline = await page.evaluate<[string, string][]>(
      `[...document.querySelectorAll("#timeline li")].map((li) => [li.dataset.phase, li.querySelector(".time")?.textContent ?? ""])`,
    );
    expect(timeline.map(([phase]) => phase)).toEqual(SUCCEEDING);
    expect(timeline.every(([, time]) => time !== "")).toBe(true);
    // Analysis per step, and the phase in words (not only in colour), also in the list.
    expect(await page.textContent("#phase")).toContain("✓ Succeeded");
    await expect
      .poll(() => page.locator("section[aria-label='Analysis per step'] li").count())
      .toBeGreaterThan(0);
    expect(await page.textContent("section[aria-label='Analysis per step']")).toContain("step 50% passed");
    // Both versions, with what is active at each (status.versions).
    const traffic = await page.textContent("section[aria-label='Traffic'] table.versions");
    expect(traffic).toContain("auth-service@v1 (old)");
    expect(traffic).toContain("auth-service@v2 (new)");
    await expect
      .poll(() => page.textContent("tr[data-upgrade='default/auth-v2']"), { timeout: 5_000 })
      .toContain("✓ Succeeded");
    // The Events the controller recorded, newest first (the page lists the latest 15).
    await expect.poll(() => firstEventReason(page), { timeout: 5_000 }).toBe("Succeeded");
    expect(await page.textContent("#events")).toContain("Finalizing");
    // Nothing can be pressed once it has ended.
    expect(await page.isDisabled("#verb-abort")).toBe(true);
  }, 150_000);

  it("reads on a narrow window in the dark scheme", async () => {
    const narrow = await browser!.newContext({ viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    try {
      const small = await narrow.newPage();
      await small.goto(`${dashboard}#/default/auth-v2`);
      await small.waitForSelector("#phase[data-phase='Succeeded']");
      expect(await fitsWidth(small)).toBe(true);
      const background = await small.evaluate<string>("getComputedStyle(document.body).backgroundColor");
      expect(background).toBe("rgb(21, 23, 26)");
      await small.screenshot({
        path: join(await artifactsDir(), "dashboard-narrow-dark.png"),
        fullPage: true,
      });
    } finally {
      await narrow.close();
    }
  }, 30_000);

  it("refuses a wrong token with the API's message; the abort button asks first, then rolls back to RolledBack", async () => {
    const ctl = env!.ctl();
    await createUpgrade(ctl, "auth-v3", {
      services: [{ name: "auth-service", from: "v2", to: "v3" }],
      // Long steps: it stays in Shifting until aborted.
      strategy: { ...strategy([10, 50, 100]), stepInterval: "5m" },
    });
    await page.goto(`${dashboard}#/default/auth-v3`);
    await waitForPhase(page, "Shifting", 30_000);

    // A wrong token: refused, in the API's words, and nothing changed.
    const wrong = "wrong-token-0123456789abcdef";
    await page.click("#token-forget");
    await page.fill("#token", wrong);
    await page.click("#token-save");
    await page.click("#verb-pause");
    await expect
      .poll(() => page.textContent("#notice"))
      .toBe(
        "Pause: the controller answered 401: missing or wrong bearer token: pass --token or set TRANQUIL_TOKEN",
      );
    expect((await ctl.store.get({ namespace: "default", name: "auth-v3" })).spec.paused).not.toBe(true);
    expect(await page.evaluate<string | null>(`sessionStorage.getItem("tranquil.token")`)).toBe(wrong);

    // The right token: pause holds it (the page says so), resume lets it go on.
    await page.click("#token-forget");
    expect(await page.evaluate<string | null>(`sessionStorage.getItem("tranquil.token")`)).toBeNull();
    await page.fill("#token", ctl.token);
    await page.click("#token-save");
    const key = { namespace: "default", name: "auth-v3" };
    await page.click("#verb-pause");
    await expect
      .poll(() => page.textContent("#notice"))
      .toMatch(/^Pause accepted: now Shifting, weight \d+%$/);
    expect((await ctl.store.get(key)).spec.paused).toBe(true);
    await expect.poll(() => page.textContent("#phase")).toContain(", paused");
    await page.click("#verb-resume");
    await expect.poll(() => page.textContent("#notice")).toMatch(/^Resume accepted: now Shifting/);
    expect((await ctl.store.get(key)).spec.paused).toBe(false);

    // Abort asks first: dismissed, nothing is sent.
    const before = await page.textContent("#notice");
    const questions: string[] = [];
    page.once("dialog", (d) => {
      questions.push(d.message());
      void d.dismiss();
    });
    await page.click("#verb-abort");
    await expect.poll(() => questions.length).toBe(1);
    expect(questions[0]).toBe("Abort upgrade default/auth-v3 and roll it back to auth-service v2?");
    await sleep(500);
    expect((await ctl.store.get(key)).status.phase).toBe("Shifting");
    expect((await ctl.store.get(key)).commands.filter((c) => c.kind === "abort")).toEqual([]);
    expect(await page.textContent("#notice")).toBe(before);

    // Accepted: the controller rolls it back, and the page shows it.
    page.once("dialog", (d) => void d.accept());
    await page.click("#verb-abort");
    await expect.poll(() => page.textContent("#notice")).toMatch(/^Abort accepted: now /);
    await waitForPhase(page, "RolledBack", 60_000);
    const phases = changes((await shownStates(page)).map((s) => s.phase));
    expect(phases.slice(-2)).toEqual(["RollingBack", "RolledBack"]);
    expect(await page.textContent("#phase")).toContain("↺ RolledBack");
    expect(await page.textContent(".why")).toContain("abort");
    await expect.poll(() => firstEventReason(page), { timeout: 5_000 }).toBe("RolledBack");

    // The token went only into headers: no URL the page requested carries it.
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((u) => u.includes(ctl.token) || u.includes(wrong))).toEqual([]);
    // Nothing was fetched from anywhere but the controller, and the page's own policy blocked nothing.
    const origin = new URL(dashboard).origin;
    expect(requested.filter((u) => !u.startsWith(`${origin}/`) && !u.startsWith("data:"))).toEqual([]);
    expect(consoleErrors.filter((m) => /Content Security Policy/i.test(m))).toEqual([]);
    expect(pageErrors).toEqual([]);
  }, 120_000);
});

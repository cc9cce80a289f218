/**
 * Test support: what the dashboard page showed, recorded inside the page on every redraw of
 * the detail (a MutationObserver), so that a phase shown for a moment between two polls is
 * not missed. Read back with {@link shownStates}.
 */
import type { Page } from "playwright-core";

/** One redraw of the detail: the phase and weight it showed. */
export interface ShownState {
  readonly phase: string;
  readonly weight: string;
}

/** Installs the recorder in every document `page` loads (call before navigating). */
export async function recordShownStates(page: Page): Promise<void> {
  // A string: it runs in the page, whose DOM the tests' (node) types do not know.
  await page.addInitScript(`
    window.__shown = [];
    document.addEventListener("DOMContentLoaded", () => {
      const detail = document.getElementById("detail");
      if (detail === null) return;
      new MutationObserver(() => {
        const phase = document.getElementById("phase")?.getAttribute("data-phase");
        const weight = document.getElementById("weight")?.textContent;
        if (phase == null || weight == null) return;
        const last = window.__shown.at(-1);
        if (last?.phase !== phase || last.weight !== weight) window.__shown.push({ phase, weight });
      }).observe(detail, { childList: true });
    });
  `);
}

/** What the page has shown so far, one entry per change of phase or weight. */
export function shownStates(page: Page): Promise<ShownState[]> {
  return page.evaluate<ShownState[]>("window.__shown");
}

/** `values` without consecutive repeats. */
export function changes<T>(values: readonly T[]): T[] {
  return values.filter((v, i) => i === 0 || values[i - 1] !== v);
}

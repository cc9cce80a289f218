/**
 * One upgrade, live: phase and timeline, enrolment, traffic chart, confirmations, drain,
 * safety counters, analysis per step, conditions and history, and the verbs' buttons.
 */
import type { RecentEventsBody } from "../../api/dashboard/recent-events.js";
import type { UpgradeView } from "../../api/view.js";
import { clockTime, formatSeconds, formatServices } from "../../cli/format.js";
import { activeAtNew, type Sample } from "../samples.js";
import { phaseSymbol, phaseTimeline, phaseTone } from "../timeline.js";
import {
  confirmations,
  conditionLines,
  drain,
  endReason,
  enrolment,
  eventRows,
  historyRows,
  verbButtons,
  type AnalysisResult,
  type Verb,
  versionRows,
} from "../view-model.js";
import { trafficChart } from "./chart.js";
import { h, type Child } from "./dom.js";

/** What the detail shows besides the view itself. */
export interface DetailState {
  readonly view: UpgradeView;
  readonly samples: readonly Sample[];
  readonly analysis: readonly AnalysisResult[];
  /** The last verb's outcome, as the API worded a refusal. */
  readonly notice?: { readonly text: string; readonly ok: boolean };
  /** A verb in flight (its button waits). */
  readonly sending?: Verb;
  /** The recorded Events, as last read (or why they could not be read). */
  readonly events?: RecentEventsBody | Error;
  /** True once the Events were read after the upgrade ended: no more reads. */
  readonly eventsFinal?: boolean;
}

/** The detail's elements. */
export function renderDetail(state: DetailState, now: number): Child[] {
  const { view } = state;
  const s = view.status;
  const tone = phaseTone(s.phase);
  const why = endReason(view);
  const waiting = confirmations(view).waiting;
  return [
    h(
      "div",
      { class: "title" },
      h("h2", {}, view.name, h("span", { class: "ns" }, ` in ${view.namespace}`)),
      h(
        "p",
        { class: `phase big tone-${tone}`, id: "phase", "data-phase": s.phase },
        `${phaseSymbol(s.phase)} ${s.phase}`,
        h("span", { class: "stage" }, ` (${s.stage})${view.spec.paused === true ? ", paused" : ""}`),
      ),
      h("p", { class: "services" }, formatServices(view)),
      waiting !== undefined ? h("p", { class: "waiting", id: "waiting" }, `Waiting: ${waiting}`) : null,
      why !== undefined ? h("p", { class: "why" }, `Why: ${why}`) : null,
    ),
    controls(state),
    card("Phases", timeline(view, now)),
    card("Enrolment", enrolmentBlock(view)),
    card(
      "Traffic",
      trafficChart(
        state.samples,
        now,
        `new version ${s.weight}% of new transactions, old ${100 - s.weight}%; ${s.activeOld} active at old, ${activeAtNew(view)} at new`,
      ),
      h(
        "p",
        {},
        `New transactions: ${s.weight}% to the new version, ${100 - s.weight}% to the old. Active at old: ${s.activeOld} (oldest ${formatSeconds(s.oldestActiveAgeSeconds)}), pinned ${s.pinned}.`,
      ),
      versionTable(view),
    ),
    card("Config confirmations", confirmationBlock(view)),
    card("Drain", drainBlock(view)),
    card(
      "Safety",
      h(
        "ul",
        { class: "facts" },
        h(
          "li",
          { class: s.violations > 0 ? "bad" : undefined },
          `violations (one transaction at two versions): ${s.violations}`,
        ),
        h(
          "li",
          { class: s.lostTransactions > 0 ? "bad" : undefined },
          `lost transactions: ${s.lostTransactions}`,
        ),
      ),
    ),
    card("Analysis per step", analysisBlock(state.analysis)),
    card("Conditions", list(conditionLines(view), "none")),
    card("Events", eventsBlock(state.events)),
    card("History", historyBlock(view)),
  ];
}

function card(title: string, ...body: (Child | readonly Child[])[]): HTMLElement {
  return h("section", { class: "card", "aria-label": title }, h("h3", {}, title), ...body);
}

function list(items: readonly string[], empty: string): HTMLElement {
  return items.length === 0
    ? h("p", { class: "muted" }, empty)
    : h(
        "ul",
        {},
        items.map((i) => h("li", {}, i)),
      );
}

/** The verbs' buttons (main.ts listens through their data-verb) and the last verb's outcome. */
function controls(state: DetailState): HTMLElement {
  const buttons = verbButtons(state.view);
  return h(
    "section",
    { class: "controls", "aria-label": "Commands" },
    h(
      "div",
      { class: "buttons" },
      buttons.map((b) =>
        h(
          "div",
          { class: "verb" },
          h(
            "button",
            {
              type: "button",
              id: `verb-${b.verb}`,
              class: b.verb === "abort" ? "danger" : undefined,
              disabled: !b.enabled || state.sending !== undefined,
              "aria-describedby": `says-${b.verb}`,
              "data-verb": b.verb,
            },
            state.sending === b.verb ? `${b.label} …` : b.label,
          ),
          h("small", { id: `says-${b.verb}` }, b.says),
        ),
      ),
    ),
    state.notice === undefined
      ? h("p", { id: "notice", class: "notice", role: "status" })
      : h(
          "p",
          {
            id: "notice",
            class: `notice ${state.notice.ok ? "ok" : "bad"}`,
            role: state.notice.ok ? "status" : "alert",
          },
          state.notice.text,
        ),
  );
}

function timeline(view: UpgradeView, now: number): HTMLElement {
  const segments = phaseTimeline(view, now);
  const total = Math.max(
    1,
    segments.reduce((sum, s) => sum + s.ms, 0),
  );
  return h(
    "ol",
    { class: "timeline", id: "timeline" },
    segments.map((seg) =>
      h(
        "li",
        { class: `tone-${phaseTone(seg.phase)}${seg.current ? " current" : ""}`, "data-phase": seg.phase },
        h("span", { class: "name" }, `${phaseSymbol(seg.phase)} ${seg.phase}`),
        h(
          "span",
          { class: "bar", "aria-hidden": "true" },
          widthOf(h("span", { class: "fill" }), seg.ms / total),
        ),
        h(
          "span",
          { class: "time" },
          seg.ms === 0 && seg.endedAt !== null
            ? `at ${clockTime(seg.startedAt)}`
            : `${formatSeconds(seg.ms / 1000)}${seg.current ? " so far" : ""}`,
        ),
      ),
    ),
  );
}

/** Sets a bar's width through the CSSOM (the page's policy allows no inline style attributes). */
function widthOf(el: HTMLElement, fraction: number): HTMLElement {
  el.style.width = `${Math.max(1, Math.round(fraction * 100))}%`;
  return el;
}

function enrolmentBlock(view: UpgradeView): Child[] {
  const e = enrolment(view);
  return [
    h(
      "p",
      { class: "weight" },
      h("strong", { id: "weight" }, `${e.weight}%`),
      ` of new transactions enrol in the new version; step ${e.step}`,
    ),
    h(
      "ol",
      { class: "steps" },
      e.steps.map((st) =>
        h(
          "li",
          { class: `step ${st.state}` },
          `${st.weight}%`,
          h(
            "span",
            { class: "state" },
            ` ${st.state === "done" ? "✓ done" : st.state === "current" ? "● now" : "next"}`,
          ),
        ),
      ),
    ),
  ];
}

function confirmationBlock(view: UpgradeView): Child[] {
  const c = confirmations(view);
  return [
    h("p", { id: "confirmed" }, c.summary),
    h("p", {}, "Lagging pods (dirty or stale): ", c.lagging.length === 0 ? "none" : c.lagging.join(", ")),
    c.unconfirmed !== undefined ? h("p", { class: "waiting" }, `Not confirmed yet: ${c.unconfirmed}`) : null,
  ];
}

function drainBlock(view: UpgradeView): Child[] {
  const d = drain(view);
  return [
    h(
      "p",
      {},
      d.eta !== undefined
        ? `ETA ${d.eta}`
        : view.status.phase === "Draining"
          ? "ETA unknown"
          : "Not draining now.",
    ),
    h("p", {}, d.active),
    h(
      "p",
      {},
      d.waited !== undefined
        ? `Waited for: ${d.waited}`
        : "Waited for: nothing yet (the drain starts at the cutover)",
    ),
  ];
}

function analysisBlock(results: readonly AnalysisResult[]): Child[] {
  const note = h(
    "p",
    { class: "muted" },
    "Failed requests show here: a failing step gives the new version's success rate (and p99) against the spec's thresholds; the status carries no request counts for a passing one.",
  );
  if (results.length === 0)
    return [
      h("p", { class: "muted" }, "no verdict yet (the first comes at the end of the first step's window)"),
      note,
    ];
  return [
    h(
      "ul",
      { class: "analysis" },
      results.map((r) =>
        h(
          "li",
          { class: r.passed ? "ok" : "bad" },
          `${r.passed ? "✓ passed" : "✗ failed"} · ${clockTime(r.at)} · ${r.message}`,
        ),
      ),
    ),
    note,
  ];
}

/** How many recorded Events the page lists, the newest. */
const EVENTS_SHOWN = 15;

function eventsBlock(events: RecentEventsBody | Error | undefined): HTMLElement {
  if (events === undefined) return h("p", { class: "muted" }, "reading …");
  if (events instanceof Error) return h("p", { class: "problem" }, `cannot read them: ${events.message}`);
  const rows = eventRows(events);
  if (rows === undefined)
    return h(
      "p",
      { class: "muted" },
      "this controller keeps no Events of its own; on a cluster, `kubectl get events` shows them",
    );
  if (rows.length === 0) return h("p", { class: "muted" }, "none yet");
  const shown = rows.slice(0, EVENTS_SHOWN);
  const table = h(
    "table",
    { class: "history", id: "events" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "UTC"),
        h("th", { scope: "col" }, "Event"),
        h("th", { scope: "col" }, "Message"),
      ),
    ),
    h(
      "tbody",
      {},
      shown.map((r) =>
        h(
          "tr",
          { class: r.type === "Warning" ? "warning" : undefined, "data-reason": r.reason },
          h("td", {}, clockTime(r.at)),
          h("td", {}, r.what),
          h("td", {}, r.message),
        ),
      ),
    ),
  );
  const earlier = rows.length - shown.length;
  return earlier > 0 ? h("div", {}, table, h("p", { class: "muted" }, `and ${earlier} earlier`)) : table;
}

function historyBlock(view: UpgradeView): HTMLElement {
  const rows = historyRows(view);
  if (rows.length === 0) return h("p", { class: "muted" }, "none yet");
  return h(
    "table",
    { class: "history" },
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, "UTC"),
        h("th", { scope: "col" }, "Phase/stage"),
        h("th", { scope: "col" }, "What happened"),
      ),
    ),
    h(
      "tbody",
      {},
      rows.map((r) => h("tr", {}, h("td", {}, clockTime(r.at)), h("td", {}, r.what), h("td", {}, r.message))),
    ),
  );
}

/** Per version: what is active there and the step window's requests (status.versions). */
function versionTable(view: UpgradeView): HTMLElement | null {
  const rows = versionRows(view);
  if (rows.length === 0) return null;
  return h(
    "table",
    { class: "versions" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, "version"), h("th", {}, "active now"), h("th", {}, "step window")),
    ),
    h(
      "tbody",
      {},
      ...rows.map((r) => h("tr", {}, h("td", {}, r.version), h("td", {}, r.active), h("td", {}, r.window))),
    ),
  );
}

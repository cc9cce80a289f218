/**
 * The dashboard's entry point: the list (polled every two seconds), the upgrade named by the
 * fragment (`#/<namespace>/<name>`) followed live over its status stream, the clock that
 * keeps durations moving, and the verbs' clicks.
 */
import { TERMINAL_PHASES } from "../../engine/phases.js";
import { addSample } from "../samples.js";
import { collectAnalysis, parseHref, verbButtons, verbOutcome, type Verb } from "../view-model.js";
import type { UpgradeView } from "../../api/view.js";
import { ApiRefusal, listUpgrades, recentEvents, sendVerb, statusStream } from "./api.js";
import { renderDetail, type DetailState } from "./detail.js";
import { byId, h, show } from "./dom.js";
import { renderList } from "./list.js";
import { renderTokenForm } from "./token.js";

const LIST_EVERY_MS = 2_000;
const RETRY_MS = 2_000;

const listEl = byId("list");
const detailEl = byId("detail");
const connectionEl = byId("connection");

let views: readonly UpgradeView[] | Error = [];
let detail: DetailState | undefined;
let stream: EventSource | undefined;

function drawList(): void {
  renderList(listEl, views, Date.now(), location.hash);
}

function drawDetail(): void {
  const key = parseHref(location.hash);
  if (key === undefined) {
    show(detailEl, h("p", { class: "muted hint" }, "Choose an upgrade to follow it live."));
    return;
  }
  if (detail === undefined) {
    show(detailEl, h("p", { class: "muted" }, `Connecting to ${key.namespace}/${key.name} …`));
    return;
  }
  // Redrawing replaces the buttons: keep the keyboard focus where it was.
  const focused = document.activeElement?.id;
  show(detailEl, ...renderDetail(detail, Date.now()));
  if (focused !== undefined && focused !== "") document.getElementById(focused)?.focus();
}

/**
 * Follows the upgrade the fragment names; `keep` keeps what the page gathered (samples,
 * verdicts) when it reconnects to the same upgrade after the server closed the stream.
 */
function follow(keep = false): void {
  stream?.close();
  stream = undefined;
  if (!keep) detail = undefined;
  const key = parseHref(location.hash);
  drawList();
  drawDetail();
  if (key === undefined) {
    connectionEl.textContent = "";
    return;
  }
  const source = statusStream(key);
  stream = source;
  source.addEventListener("status", (event) => {
    const view = JSON.parse((event as MessageEvent<string>).data) as UpgradeView;
    const now = Date.now();
    detail = {
      ...(detail ?? { samples: [], analysis: [] }),
      view,
      samples: addSample(detail?.samples ?? [], view, now),
      analysis: collectAnalysis(detail?.analysis ?? [], view),
    };
    connectionEl.textContent = "live";
    // The list shows the followed upgrade as fresh as the detail does.
    if (!(views instanceof Error))
      views = views.map((v) => (v.name === view.name && v.namespace === view.namespace ? view : v));
    drawList();
    if (TERMINAL_PHASES.includes(view.status.phase)) {
      // The server ends the stream at the end; reconnecting would only repeat the last state.
      source.close();
      connectionEl.textContent = `ended ${view.status.phase}`;
    }
    drawDetail();
    if (detail.events === undefined || TERMINAL_PHASES.includes(view.status.phase)) void refreshEvents();
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED && detail === undefined) {
      // Refused (an unknown upgrade, a full server): say so, and try again, since an upgrade
      // opened from `tranquil dashboard <name>` may be created a moment later.
      show(
        detailEl,
        h(
          "p",
          { class: "problem", role: "alert" },
          `Upgrade ${key.namespace}/${key.name} cannot be followed yet: the controller does not know it or refused the stream. Trying again every ${RETRY_MS / 1000} s.`,
        ),
      );
      connectionEl.textContent = "not connected";
      setTimeout(() => {
        if (stream === source) follow();
      }, RETRY_MS);
    } else if (source.readyState === EventSource.CLOSED && detail !== undefined) {
      // Refused on reconnecting (e.g. too many streams: 503): try again, keeping the page.
      connectionEl.textContent = `disconnected; retrying in ${RETRY_MS / 1000} s`;
      setTimeout(() => {
        if (stream === source) follow(true);
      }, RETRY_MS);
    } else if (source.readyState === EventSource.CONNECTING) {
      connectionEl.textContent = "reconnecting …";
    }
  });
}

async function press(verb: Verb): Promise<void> {
  const current = detail;
  if (current === undefined) return;
  const button = verbButtons(current.view).find((b) => b.verb === verb);
  if (button?.confirm !== undefined && !window.confirm(button.confirm)) return;
  detail = { ...current, sending: verb };
  drawDetail();
  const label = button?.label ?? verb;
  let notice: { text: string; ok: boolean };
  try {
    notice = verbOutcome(label, { view: await sendVerb(current.view, verb) });
  } catch (err) {
    notice = verbOutcome(label, {
      status: err instanceof ApiRefusal ? err.status : 0,
      message: err instanceof Error ? err.message : String(err),
    });
  }
  if (detail !== undefined) {
    const { sending: _sending, ...rest } = detail;
    detail = { ...rest, notice };
  }
  drawDetail();
}

/** Reads the followed upgrade's recorded Events, until one read after it ended. */
async function refreshEvents(): Promise<void> {
  const current = detail;
  if (current === undefined || current.eventsFinal === true) return;
  const ended = TERMINAL_PHASES.includes(current.view.status.phase);
  let events: DetailState["events"];
  try {
    events = await recentEvents(current.view);
  } catch (err) {
    events = err instanceof Error ? err : new Error(String(err));
  }
  // Still the same upgrade (the fragment may have changed meanwhile).
  if (detail?.view.name !== current.view.name || detail.view.namespace !== current.view.namespace) return;
  detail = { ...detail, events, eventsFinal: ended };
  drawDetail();
}

async function refreshList(): Promise<void> {
  try {
    views = await listUpgrades();
  } catch (err) {
    views = err instanceof Error ? err : new Error(String(err));
  }
  drawList();
}

detailEl.addEventListener("click", (event) => {
  const target = (event.target as Element | null)?.closest("button[data-verb]");
  const verb = target?.getAttribute("data-verb");
  if (verb === "pause" || verb === "resume" || verb === "promote" || verb === "abort") void press(verb);
});
window.addEventListener("hashchange", () => follow());
renderTokenForm(byId("token-form") as HTMLFormElement, () => undefined);
follow();
void refreshList();
setInterval(() => {
  void refreshList();
  void refreshEvents();
}, LIST_EVERY_MS);
// Durations move on between events.
setInterval(() => {
  if (detail !== undefined && !TERMINAL_PHASES.includes(detail.view.status.phase)) drawDetail();
}, 1_000);

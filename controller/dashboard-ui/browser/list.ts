/**
 * The list of upgrades: name, namespace, services, phase, weight and age, each row a link to
 * the upgrade's live view.
 */
import type { UpgradeView } from "../../api/view.js";
import { phaseSymbol, phaseTone } from "../timeline.js";
import { listRows } from "../view-model.js";
import { h, show } from "./dom.js";

/** Draws the list into `el`; `selected` is the `#/ns/name` fragment shown in detail. */
export function renderList(
  el: HTMLElement,
  views: readonly UpgradeView[] | Error,
  now: number,
  selected: string,
): void {
  if (views instanceof Error) {
    show(el, h("h2", {}, "Upgrades"), h("p", { class: "problem", role: "alert" }, views.message));
    return;
  }
  if (views.length === 0) {
    show(
      el,
      h("h2", {}, "Upgrades"),
      h(
        "p",
        {},
        "No upgrades yet. Start one with ",
        h("code", {}, "tranquil upgrade <service> --from <v> --to <v>"),
        ".",
      ),
    );
    return;
  }
  const rows = listRows(views, now);
  show(
    el,
    h("h2", {}, "Upgrades"),
    h(
      "table",
      { class: "upgrades" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ...["Name", "Namespace", "Services", "Phase", "Weight", "Age"].map((t) =>
            h("th", { scope: "col" }, t),
          ),
        ),
      ),
      h(
        "tbody",
        {},
        rows.map((r, i) => {
          const view = views.find((v) => v.name === r.name && v.namespace === r.namespace);
          const phase = view?.status.phase ?? "Validating";
          return h(
            "tr",
            {
              class: r.href === selected ? "selected" : undefined,
              "data-upgrade": `${r.namespace}/${r.name}`,
              "data-row": i,
            },
            h(
              "td",
              {},
              h("a", { href: r.href, "aria-current": r.href === selected ? "page" : undefined }, r.name),
            ),
            h("td", { "data-label": "in" }, r.namespace),
            h("td", {}, r.services),
            h(
              "td",
              {},
              h("span", { class: `phase tone-${phaseTone(phase)}` }, `${phaseSymbol(phase)} ${r.phase}`),
            ),
            h("td", { class: "num", "data-label": "weight" }, r.weight),
            h("td", { class: "num", "data-label": "age" }, r.age),
          );
        }),
      ),
    ),
  );
}

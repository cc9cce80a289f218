/**
 * The traffic chart: the share of new transactions per version (the enrolment weight, new
 * below and old above) and the transactions active at the old version (dashed) and at the new
 * one (solid) as lines, as inline SVG.
 */
import { formatSeconds } from "../../cli/format.js";
import { chartGeometry, type Sample } from "../samples.js";
import { h, svg } from "./dom.js";

const WIDTH = 600;
const HEIGHT = 120;

/** The chart's figure for `samples` up to `now`, with a text summary for screen readers. */
export function trafficChart(samples: readonly Sample[], now: number, summary: string): HTMLElement {
  const g = chartGeometry(samples, now, WIDTH, HEIGHT);
  return h(
    "figure",
    { class: "chart" },
    svg(
      "svg",
      { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, preserveAspectRatio: "none", role: "img", "aria-label": summary },
      svg("path", { d: g.oldShare, class: "share-old" }),
      svg("path", { d: g.newShare, class: "share-new" }),
      svg("path", {
        d: g.activeLine,
        class: "active-old",
        fill: "none",
        "vector-effect": "non-scaling-stroke",
      }),
      svg("path", {
        d: g.activeNewLine,
        class: "active-new",
        fill: "none",
        "vector-effect": "non-scaling-stroke",
      }),
    ),
    h(
      "figcaption",
      {},
      h("span", { class: "key key-new" }, "new version's share"),
      " ",
      h("span", { class: "key key-old" }, "old version's share"),
      " ",
      h("span", { class: "key key-active" }, `old active (dashed)`),
      " ",
      h("span", { class: "key key-active-new" }, `new active (solid; top = ${g.maxActive})`),
      " ",
      h("span", { class: "span" }, `last ${formatSeconds(g.spanSeconds)}, since this page opened`),
    ),
  );
}

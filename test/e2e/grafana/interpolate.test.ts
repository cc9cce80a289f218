import { describe, expect, it } from "vitest";
import {
  builtInVariables,
  grafanaInterval,
  interpolate,
  roundInterval,
  secondsToHms,
  type VariableSelection,
} from "./interpolate.js";

const multi = (current: VariableSelection["current"], options: string[] = [], allValue?: string) => ({
  multi: true,
  includeAll: true,
  options,
  current,
  ...(allValue !== undefined ? { allValue } : {}),
});

describe("Grafana's variable substitution", () => {
  it("formats a selection as the Prometheus datasource does", () => {
    const vars = {
      one: multi(["auth-v2"]),
      two: multi(["auth-v2", "order.v3"]),
      all: multi("$__all", ["a", "b"], ".*"),
      allListed: multi("$__all", ["a", "b"]),
      single: { multi: false, includeAll: false, options: [], current: ["it's"] },
    };
    expect(interpolate('x{u=~"$one"}', vars)).toBe('x{u=~"auth-v2"}');
    // Several values: regex-escaped, as an alternation.
    expect(interpolate('x{u=~"${two}"}', vars)).toBe('x{u=~"(auth-v2|order\\\\.v3)"}');
    // "All" with a custom value: that value, unescaped; without one: every option.
    expect(interpolate('x{u=~"[[all]]"}', vars)).toBe('x{u=~".*"}');
    expect(interpolate('x{u=~"$allListed"}', vars)).toBe('x{u=~"(a|b)"}');
    // A single-value variable is escaped for a string, not for a regex.
    expect(interpolate("x{u='$single'}", vars)).toBe("x{u='it\\\\'s'}");
  });

  it("leaves what is not a variable as written ($1 of label_replace), and refuses formats", () => {
    const q = 'label_replace(x{n=~"$ns"}, "a", "$1", "b", "(.*)")';
    expect(interpolate(q, { ns: multi(["default"]) })).toBe(
      'label_replace(x{n=~"default"}, "a", "$1", "b", "(.*)")',
    );
    expect(() => interpolate("${ns:csv}", { ns: multi(["a"]) })).toThrow(/not supported/);
  });

  it("interpolates a custom All value that names another variable", () => {
    const vars = { ns: multi(["shop"]), up: multi("$__all", [], "$ns-.*") };
    expect(interpolate('x{u=~"$up"}', vars)).toBe('x{u=~"shop-.*"}');
  });

  it("computes the built-in intervals as Grafana does", () => {
    expect(secondsToHms(4)).toBe("4s");
    expect(secondsToHms(90)).toBe("1m");
    expect(secondsToHms(0.5)).toBe("500ms");
    expect(roundInterval(60)).toBe(50);
    expect(roundInterval(1_400)).toBe(1_000);
    expect(roundInterval(40_000)).toBe(30_000);
    // One hour over 1,000 points is 3.6 s, rounded to 5 s; never below the scrape interval.
    expect(grafanaInterval(3_600_000, 1_000, 1)).toBe(5_000);
    expect(grafanaInterval(60_000, 1_000, 15)).toBe(15_000);
    const b = builtInVariables({ fromMs: 0, toMs: 60_000, intervalMs: 1_000, scrapeIntervalSeconds: 1 });
    expect(b).toEqual({
      __interval: "1s",
      __interval_ms: "1000",
      __rate_interval: "4s",
      __range: "60s",
      __range_s: "60",
      __range_ms: "60000",
    });
    // With Grafana's default 15 s scrape interval and a 30 s step: max(30 + 15, 60) = 1m.
    expect(
      builtInVariables({ fromMs: 0, toMs: 3_600_000, intervalMs: 30_000, scrapeIntervalSeconds: 15 })
        .__rate_interval,
    ).toBe("1m");
    expect(interpolate("rate(x[$__rate_interval]) [$__range]", {}, b)).toBe("rate(x[4s]) [60s]");
  });
});

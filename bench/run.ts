/**
 * `npm run bench [-- <name>… ] [--quick]`: imports every `bench/*.bench.ts` module, runs each
 * exported `bench*` function (each returns rows of `{ name, metric, value, unit }`), and prints one
 * results table (Markdown, so it can be pasted into docs). Names select modules by file name
 * (`npm run bench -- upgrades` runs `upgrades.bench.ts` only); `--quick` asks every bench for its
 * smoke-sized run. `BENCH_ONLY=<substring>` further keeps only the matching functions.
 */
import { readdir } from "node:fs/promises";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

/** One measured figure. */
export interface BenchRow {
  readonly name: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
}

/** What the runner tells every bench. */
export interface BenchRunOptions {
  /** A smoke-sized run (seconds, not minutes), e.g. for the test suite. */
  readonly quick: boolean;
}

type BenchFn = (options: BenchRunOptions) => Promise<readonly BenchRow[]>;

/** The command line: module names to run (none = all) and `--quick`. */
export function parseBenchArgs(argv: readonly string[]): {
  readonly names: string[];
  readonly quick: boolean;
} {
  const names: string[] = [];
  let quick = false;
  for (const arg of argv) {
    if (arg === "--quick") quick = true;
    else if (arg.startsWith("-")) throw new Error(`bench: unknown option ${arg} (known: --quick)`);
    else names.push(arg);
  }
  return { names, quick };
}

/** The exported `bench*` functions of every `*.bench.ts` module in `dir`, in file order. */
export async function discoverBenches(
  dir: string,
): Promise<{ readonly id: string; readonly run: BenchFn }[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith(".bench.ts")).sort();
  const found: { id: string; run: BenchFn }[] = [];
  for (const file of files) {
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const [name, value] of Object.entries(mod)) {
      if (/^bench[A-Z]/.test(name) && typeof value === "function")
        found.push({ id: `${file}:${name}`, run: value as BenchFn });
    }
  }
  return found;
}

function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 100) return value.toFixed(1);
  return value.toFixed(3);
}

/** Renders rows as one Markdown table. */
export function renderTable(rows: readonly (BenchRow & { readonly bench: string })[]): string {
  const header = ["bench", "case", "metric", "value", "unit"];
  const body = rows.map((r) => [r.bench, r.name, r.metric, format(r.value), r.unit]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i === 3 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 3 ? `${"-".repeat(w + 1)}:` : "-".repeat(w + 2))).join("|")}|`,
    ...body.map(line),
  ].join("\n");
}

async function main(): Promise<void> {
  const only = process.env["BENCH_ONLY"];
  const { names, quick } = parseBenchArgs(process.argv.slice(2));
  const all = await discoverBenches(import.meta.dirname);
  const modules = new Set(all.map((b) => b.id.replace(/\.bench\.ts:.*/, "")));
  const unknown = names.filter((n) => !modules.has(n));
  if (unknown.length > 0)
    throw new Error(`bench: no bench/${unknown[0]}.bench.ts (known: ${[...modules].join(", ")})`);
  const benches = all.filter(
    (b) =>
      (names.length === 0 || names.includes(b.id.replace(/\.bench\.ts:.*/, ""))) &&
      (only === undefined || b.id.includes(only)),
  );
  const rows: (BenchRow & { bench: string })[] = [];
  const started = Date.now();
  let failed = 0;
  for (const b of benches) {
    const t0 = Date.now();
    process.stderr.write(`running ${b.id} …\n`);
    try {
      for (const r of await b.run({ quick })) rows.push({ ...r, bench: b.id.replace(/\.bench\.ts:.*/, "") });
      process.stderr.write(`  done in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    } catch (err) {
      failed++;
      process.stderr.write(
        `  ${b.id} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
    }
  }
  const [load1] = loadavg();
  process.stdout.write(
    `\nBenchmark results (${cpus().length} CPUs, load average ${load1?.toFixed(1) ?? "?"} at the end, ${((Date.now() - started) / 1000).toFixed(0)} s, Node ${process.version})\n\n`,
  );
  process.stdout.write(`${renderTable(rows)}\n`);
  if (failed > 0) process.exitCode = 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  });
}

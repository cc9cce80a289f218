/**
 * A Dockerfile read into instructions and stages, enough for the images' tests to check what
 * the files say and to act their build out: continuation lines joined, comments dropped, the
 * exec (JSON) and shell forms of CMD, ENTRYPOINT, RUN and HEALTHCHECK told apart, and the
 * flags, sources and destination of COPY. Not a general parser: no ARG substitution, no
 * heredocs, no escape directive (the project's Dockerfiles use none of them).
 */

/** One instruction: its keyword (upper case), its argument text and the line it starts on (1-based). */
export interface Instruction {
  readonly keyword: string;
  readonly args: string;
  readonly line: number;
}

/** A build stage: from its FROM to the next. */
export interface Stage {
  /** Position among the stages (0-based); `--from=<index>` names a stage so too. */
  readonly index: number;
  /** The `AS` name, if any. */
  readonly name?: string;
  /** The base: an image reference, or an earlier stage's name. */
  readonly base: string;
  /** The instructions after FROM. */
  readonly instructions: readonly Instruction[];
}

/** A parsed Dockerfile. */
export interface DockerfileModel {
  readonly instructions: readonly Instruction[];
  readonly stages: readonly Stage[];
}

/** Joins continuation lines and drops comments; each instruction keeps its first line's number. */
export function parseDockerfile(content: string): DockerfileModel {
  const instructions: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  content.split(/\r?\n/).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith("#") || (trimmed === "" && pending === undefined)) return;
    const continues = trimmed.endsWith("\\");
    const text = continues ? trimmed.slice(0, -1) : trimmed;
    pending = pending === undefined ? { text, line: i + 1 } : { ...pending, text: `${pending.text} ${text}` };
    if (continues) return;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text.trim());
    if (match?.[1] !== undefined)
      instructions.push({
        keyword: match[1].toUpperCase(),
        args: (match[2] ?? "").trim(),
        line: pending.line,
      });
    pending = undefined;
  });
  const stages: Stage[] = [];
  let current: { name?: string; base: string; instructions: Instruction[] } | undefined;
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") {
      if (current !== undefined) stages.push({ index: stages.length, ...current });
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      const as = words.findIndex((w) => w.toUpperCase() === "AS");
      current = {
        base: words[0] ?? "",
        ...(as >= 0 && words[as + 1] !== undefined ? { name: words[as + 1] } : {}),
        instructions: [],
      };
    } else current?.instructions.push(instruction);
  }
  if (current !== undefined) stages.push({ index: stages.length, ...current });
  return { instructions, stages };
}

/** A command as Docker runs it: the exec form's words, or the shell form through `/bin/sh -c`. */
export function commandWords(args: string): string[] {
  if (args.startsWith("[")) {
    const words: unknown = JSON.parse(args);
    if (!Array.isArray(words) || !words.every((w) => typeof w === "string"))
      throw new Error(`not a JSON array of strings: ${args}`);
    return words;
  }
  return ["/bin/sh", "-c", args];
}

/** Leading `--name=value` flags of an instruction's arguments, and the rest. */
export function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  for (;;) {
    const match = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (match?.[1] === undefined) return { flags, rest };
    flags.set(match[1], match[2] ?? "true");
    rest = rest.slice(match[0].length);
  }
}

/** A COPY (or ADD): its flags, its sources and its destination. */
export interface CopySpec {
  readonly from?: string;
  readonly sources: readonly string[];
  readonly destination: string;
  readonly line: number;
}

/** Reads a COPY or ADD instruction. */
export function copySpec(instruction: Instruction): CopySpec {
  const { flags, rest } = splitFlags(instruction.args);
  const words = rest.startsWith("[") ? commandWords(rest) : rest.split(/\s+/).filter((w) => w !== "");
  const destination = words.at(-1);
  if (destination === undefined || words.length < 2)
    throw new Error(`line ${instruction.line}: ${instruction.keyword} needs a source and a destination`);
  const from = flags.get("from");
  return {
    ...(from !== undefined ? { from } : {}),
    sources: words.slice(0, -1),
    destination,
    line: instruction.line,
  };
}

/** The variables ENV sets, in order (`K=V K2="V 2"`, or the old `K V` form). */
export function envAssignments(args: string): [string, string][] {
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
    const match = /^(\S+)\s+(.*)$/.exec(args);
    return match?.[1] !== undefined ? [[match[1], match[2] ?? ""]] : [];
  }
  const pairs: [string, string][] = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of args.matchAll(pattern)) {
    const raw = m[2] ?? "";
    const value = raw.startsWith('"')
      ? raw.slice(1, -1).replace(/\\(.)/g, "$1")
      : raw.startsWith("'")
        ? raw.slice(1, -1)
        : raw;
    if (m[1] !== undefined) pairs.push([m[1], value]);
  }
  return pairs;
}

/** The HEALTHCHECK of a stage: its flags and the command words (undefined for none or NONE). */
export function healthCheckOf(stage: Stage): { flags: Map<string, string>; command: string[] } | undefined {
  const instruction = stage.instructions.filter((i) => i.keyword === "HEALTHCHECK").at(-1);
  if (instruction === undefined) return undefined;
  const { flags, rest } = splitFlags(instruction.args);
  if (/^NONE$/i.test(rest)) return undefined;
  const match = /^CMD\s+(.*)$/is.exec(rest);
  if (match?.[1] === undefined) return undefined;
  return { flags, command: commandWords(match[1]) };
}

/** The stage's last instruction of a keyword. */
export function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

/** What the image runs: ENTRYPOINT then CMD, as Docker joins them (exec forms). */
export function programOf(stage: Stage): string[] {
  const entrypoint = lastOf(stage, "ENTRYPOINT");
  const cmd = lastOf(stage, "CMD");
  return [
    ...(entrypoint !== undefined ? commandWords(entrypoint.args) : []),
    ...(cmd !== undefined ? commandWords(cmd.args) : []),
  ];
}

/** The environment ENV gives the stage. */
export function envOf(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of stage.instructions)
    if (i.keyword === "ENV") for (const [k, v] of envAssignments(i.args)) env[k] = v;
  return env;
}

/** The stage's final WORKDIR (`/` when it sets none). */
export function workdirOf(stage: Stage): string {
  let dir = "/";
  for (const i of stage.instructions)
    if (i.keyword === "WORKDIR")
      dir = i.args.startsWith("/") ? i.args : `${dir.replace(/\/$/, "")}/${i.args}`;
  return dir;
}

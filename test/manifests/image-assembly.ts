/**
 * Acts a Dockerfile out without a container engine (these machines have none): each stage is a
 * folder standing for its root filesystem, COPY copies from the build context (as
 * `.dockerignore` leaves it) or from an earlier stage's folder, `npm run` runs the project's
 * real scripts in the stage's WORKDIR, and `npm ci` links the repository's installed packages
 * (every one, or with `--omit=dev` only those package-lock.json does not mark dev, as npm
 * would install them). System package steps (apt-get, chown) are not acted out but listed, so a
 * test names them. The final stage's folder is then the image's files; its WORKDIR, ENV,
 * program and HEALTHCHECK are read from the Dockerfile.
 */
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { cp, mkdir, readdir, readFile, symlink } from "node:fs/promises";
import { basename, join, posix, relative } from "node:path";
import {
  commandWords,
  copySpec,
  envAssignments,
  healthCheckOf,
  parseDockerfile,
  programOf,
  type Stage,
} from "./dockerfile-model.js";
import type { BuildContext } from "./image-rules.js";

/** An image's files and what it runs. */
export interface AssembledImage {
  /** The folder standing for the image's root filesystem. */
  readonly root: string;
  /** The WORKDIR inside the image, and its folder on this machine. */
  readonly workdir: string;
  readonly workdirPath: string;
  readonly env: Readonly<Record<string, string>>;
  /** ENTRYPOINT then CMD. */
  readonly program: readonly string[];
  readonly healthCheck: readonly string[];
  /** The final stage's RUN steps that were not acted out (system packages, ownership). */
  readonly notActedOut: readonly string[];
}

/** Where the stages' packages come from: the repository's installed `node_modules`. */
export interface AssemblyOptions {
  readonly context: BuildContext;
  readonly nodeModules: string;
  /** Output of the `npm run` steps (default: dropped). */
  readonly log?: (text: string) => void;
}

/** A step not acted out, by its command's first word. */
const NOT_ACTED_OUT = /^(apt-get|chown|rm -rf \/var\/lib\/apt\/lists)\b/;

async function copyFromContext(from: string, to: string, context: BuildContext): Promise<void> {
  if (context.ignored(posix.normalize(from).replace(/\/+$/, "")))
    throw new Error(`COPY ${from}: excluded from the build context by .dockerignore`);
  const source = join(context.dir, from);
  if (!statSync(source).isDirectory()) {
    await cp(source, to);
    return;
  }
  for (const entry of await readdir(source, { recursive: true, withFileTypes: true })) {
    if (entry.isDirectory()) continue;
    const rel = relative(context.dir, join(entry.parentPath, entry.name));
    if (context.ignored(rel)) continue;
    await cp(join(context.dir, rel), join(to, relative(from, rel)), { verbatimSymlinks: true });
  }
}

/** npm ci in a stage folder: the lockfile's packages linked from the repository's node_modules. */
async function npmCi(cwd: string, flags: readonly string[], nodeModules: string): Promise<void> {
  const lockfile = join(cwd, "package-lock.json");
  if (!existsSync(lockfile) || !existsSync(join(cwd, "package.json")))
    throw new Error(`npm ci in ${cwd}: package.json and package-lock.json were not copied first`);
  const omitDev = flags.includes("--omit=dev");
  const omitOptional = flags.includes("--omit=optional");
  if (!omitDev && !omitOptional) {
    await symlink(nodeModules, join(cwd, "node_modules"));
    return;
  }
  const lock = JSON.parse(await readFile(lockfile, "utf8")) as {
    packages: Record<string, { dev?: boolean; optional?: boolean }>;
  };
  for (const [key, pkg] of Object.entries(lock.packages)) {
    const name = /^node_modules\/((?:@[^/]+\/)?[^/]+)$/.exec(key)?.[1];
    if (name === undefined || (omitDev && pkg.dev === true) || (omitOptional && pkg.optional === true))
      continue;
    const target = join(nodeModules, name);
    if (!existsSync(target))
      throw new Error(`npm ci: ${name} is in the lockfile but not installed in ${nodeModules}`);
    await mkdir(join(cwd, "node_modules", posix.dirname(name)), { recursive: true });
    await symlink(target, join(cwd, "node_modules", name));
  }
}

function npmRun(cwd: string, script: string, log: (text: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn("npm", ["run", script], { cwd, stdio: ["ignore", "pipe", "pipe"], env: process.env });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      log(output);
      if (code === 0) resolve();
      else reject(new Error(`npm run ${script} in ${cwd} exited ${String(code)}:\n${output}`));
    });
  });
}

interface StageState {
  readonly root: string;
  workdir: string;
  readonly env: Record<string, string>;
  readonly notActedOut: string[];
}

const inStage = (state: StageState, path: string): string =>
  join(state.root, posix.isAbsolute(path) ? path : posix.join(state.workdir, path));

async function actCopy(
  state: StageState,
  stages: ReadonlyMap<string, StageState>,
  args: ReturnType<typeof copySpec>,
  options: AssemblyOptions,
): Promise<void> {
  const intoDir = args.destination.endsWith("/") || args.sources.length > 1;
  const destination = inStage(state, args.destination);
  for (const source of args.sources) {
    const from = args.from === undefined ? undefined : stages.get(args.from);
    if (args.from !== undefined && from === undefined)
      throw new Error(`COPY --from=${args.from}: no such stage`);
    const sourcePath = from === undefined ? join(options.context.dir, source) : join(from.root, source);
    const isDir = statSync(sourcePath).isDirectory();
    const to = isDir || !intoDir ? destination : join(destination, basename(source));
    await mkdir(isDir ? to : join(to, ".."), { recursive: true });
    if (from === undefined) await copyFromContext(source, to, options.context);
    else await cp(sourcePath, to, { recursive: true, verbatimSymlinks: true });
  }
}

async function actRun(state: StageState, args: string, options: AssemblyOptions): Promise<void> {
  const words = commandWords(args);
  const script = words[0] === "/bin/sh" ? (words[2] ?? "") : words.join(" ");
  for (const command of script.split("&&").map((c) => c.trim())) {
    const parts = command.split(/\s+/);
    const cwd = join(state.root, state.workdir);
    if (parts[0] === "npm" && parts[1] === "ci") await npmCi(cwd, parts.slice(2), options.nodeModules);
    else if (parts[0] === "npm" && parts[1] === "run" && parts[2] !== undefined && parts.length === 3)
      await npmRun(cwd, parts[2], options.log ?? (() => undefined));
    else if (parts[0] === "mkdir" && parts[1] === "-p")
      for (const dir of parts.slice(2)) await mkdir(inStage(state, dir), { recursive: true });
    else if (NOT_ACTED_OUT.test(command)) state.notActedOut.push(command);
    else throw new Error(`RUN ${command}: the assembly does not know how to act this out`);
  }
}

async function actStage(
  stage: Stage,
  root: string,
  stages: Map<string, StageState>,
  options: AssemblyOptions,
): Promise<StageState> {
  const base = stages.get(stage.base);
  if (base !== undefined) await cp(base.root, root, { recursive: true, verbatimSymlinks: true });
  else await mkdir(root, { recursive: true });
  const state: StageState = { root, workdir: base?.workdir ?? "/", env: { ...base?.env }, notActedOut: [] };
  for (const instruction of stage.instructions) {
    if (instruction.keyword === "WORKDIR") {
      state.workdir = posix.resolve(state.workdir, instruction.args);
      await mkdir(join(root, state.workdir), { recursive: true });
    } else if (instruction.keyword === "ENV")
      for (const [k, v] of envAssignments(instruction.args)) state.env[k] = v;
    else if (instruction.keyword === "COPY") await actCopy(state, stages, copySpec(instruction), options);
    else if (instruction.keyword === "RUN") await actRun(state, instruction.args, options);
  }
  return state;
}

/** Builds the image a Dockerfile describes into `into` (a fresh folder), as far as it can be without an engine. */
export async function assembleImage(
  dockerfile: string,
  into: string,
  options: AssemblyOptions,
): Promise<AssembledImage> {
  const model = parseDockerfile(await readFile(dockerfile, "utf8"));
  const stages = new Map<string, StageState>();
  let last: StageState | undefined;
  for (const stage of model.stages) {
    last = await actStage(stage, join(into, `stage-${stage.index}`), stages, options);
    stages.set(String(stage.index), last);
    if (stage.name !== undefined) stages.set(stage.name, last);
  }
  const final = model.stages.at(-1);
  if (final === undefined || last === undefined) throw new Error(`${dockerfile} has no stage`);
  const healthCheck = healthCheckOf(final)?.command;
  if (healthCheck === undefined) throw new Error(`${dockerfile} has no HEALTHCHECK`);
  return {
    root: last.root,
    workdir: last.workdir,
    workdirPath: join(last.root, last.workdir),
    env: last.env,
    program: programOf(final),
    healthCheck,
    notActedOut: last.notActedOut,
  };
}

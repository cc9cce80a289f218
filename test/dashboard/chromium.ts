/**
 * Test support for the dashboard's browser tests: Debian's chromium (installed by
 * `.ci/setup --test` with apt) driven by playwright-core, never a downloaded browser. A
 * missing chromium fails the tests with what to do (under CI and elsewhere): nothing skips.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";

/** The browser the tests drive (TRANQUIL_CHROMIUM overrides it). */
export const CHROMIUM_PATH = process.env["TRANQUIL_CHROMIUM"] ?? "/usr/bin/chromium";

/** Where screenshots go (gitignored): test-artifacts/dashboard at the project's root. */
export const ARTIFACTS_DIR = join(import.meta.dirname, "..", "..", "test-artifacts", "dashboard");

/** Starts headless chromium; throws a message naming the fix when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `the dashboard's browser tests need chromium at ${CHROMIUM_PATH}, which is missing${process.env["CI"] === "true" ? " on this CI machine" : ""}: run \`bash .ci/setup --test\` (it installs Debian's chromium with apt), or set TRANQUIL_CHROMIUM to a chromium binary`,
    );
  }
  // Root in a container has no user namespaces for chromium's sandbox.
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ["--no-sandbox"], headless: true });
}

/** The artifacts directory, created. */
export async function artifactsDir(): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  return ARTIFACTS_DIR;
}

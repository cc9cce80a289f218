/**
 * Tranquil's three images as the tests know them: each Dockerfile (built from the repository
 * root), the name and tag it is built as (docs/images.md), and the repository's `.dockerignore`.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";

/** The repository root: the images' build context. */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The build context's `.dockerignore`. */
export const DOCKER_IGNORE = join(REPO_ROOT, ".dockerignore");

/** One image: its Dockerfile (relative to the root) and its name. */
export interface ImageSpec {
  readonly dockerfile: string;
  readonly image: string;
}

/** The images, by what they run. */
export const IMAGES = {
  controller: { dockerfile: "controller/Dockerfile", image: "tranquil/controller:0.1.0" },
  traceManager: { dockerfile: "trace-manager/Dockerfile", image: "tranquil/trace-manager:0.1.0" },
  sampleServices: { dockerfile: "sample-services/Dockerfile", image: "tranquil/sample-services:0.1.0" },
} as const satisfies Record<string, ImageSpec>;

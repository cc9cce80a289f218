/** Many seeded runs of decide() through the simulator, block 1 of 4 (see seed-suite.ts). */
import { describe } from "vitest";
import { seedBlock } from "./seed-suite.js";
import { runTranquil } from "./tranquil-run.js";

describe("simulator: decide() keeps the guarantees", () => {
  seedBlock("tranquil", 0, (seed) => runTranquil(seed));
});

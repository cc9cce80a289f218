/** Many seeded runs of decide() through the simulator, block 3 of 4 (see seed-suite.ts). */
import { describe } from "vitest";
import { seedBlock } from "./seed-suite.js";
import { runTranquil } from "./tranquil-run.js";

describe("simulator: decide() keeps the guarantees", () => {
  seedBlock("tranquil", 2, (seed) => runTranquil(seed));
});

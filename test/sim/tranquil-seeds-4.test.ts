/** Many seeded runs of decide() through the simulator, block 4 of 4 (see seed-suite.ts). */
import { describe } from "vitest";
import { seedBlock } from "./seed-suite.js";
import { runTranquil } from "./tranquil-run.js";

describe("simulator: decide() keeps the guarantees", () => {
  seedBlock("tranquil", 3, (seed) => runTranquil(seed));
});

/**
 * A small seeded pseudo-random generator (sfc32 seeded through splitmix32), so that one seed
 * replays one simulation exactly. Never use Math.random in the simulator.
 */
export interface Prng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] inclusive. */
  int(min: number, max: number): number;
  /** A float in [min, max). */
  between(min: number, max: number): number;
  /** True with probability p. */
  chance(p: number): boolean;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /**
   * A long-tailed duration: `base` plus a Pareto tail (shape `alpha`, scale `scale`), capped at
   * `cap`. Most draws stay near `base + scale`; a few reach the cap.
   */
  longTail(base: number, scale: number, alpha: number, cap: number): number;
  /** An independent generator derived from this one (stable for a given call order). */
  fork(): Prng;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Creates a generator from a 32-bit seed. */
export function createPrng(seed: number): Prng {
  const init = splitmix32(seed);
  let a = init();
  let b = init();
  let c = init();
  let d = init();
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t;
  };
  // Discard the first outputs: sfc32 mixes poorly right after seeding.
  for (let i = 0; i < 12; i++) u32();
  const next = (): number => u32() / 4294967296;
  const prng: Prng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    between: (min, max) => min + next() * (max - min),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("Prng.pick: the list is empty");
      return item;
    },
    longTail: (base, scale, alpha, cap) => {
      // Inverse-CDF Pareto draw; 1 - next() is in (0, 1], so the power never divides by zero.
      const tail = scale / Math.pow(1 - next(), 1 / alpha);
      return Math.min(cap, base + tail);
    },
    fork: () => createPrng(u32()),
  };
  return prng;
}

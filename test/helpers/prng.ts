// A small seeded PRNG (mulberry32) so randomized tests print a seed and can be replayed.

export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed from COOP_TEST_SEED, or a fresh one. */
export const testSeed = () => Number(process.env.COOP_TEST_SEED ?? Math.floor(Math.random() * 2 ** 31));

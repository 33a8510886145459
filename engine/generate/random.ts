/**
 * Seeded randomness for the generator.
 *
 * Math.random cannot be seeded, and a test fixture is only useful if the same
 * seed rebuilds the same database byte for byte, so the generator draws from
 * xoshiro128** (Blackman and Vigna): 128 bits of state, a period of 2^128 - 1,
 * and nothing but 32-bit integer arithmetic, which V8 keeps in registers.
 */

const UINT32_RANGE = 4294967296;

/** splitmix32: spreads a seed over the state so that seeds 1 and 2 diverge at once. */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A deterministic stream of pseudo-random numbers. */
export class SeededRandom {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  /**
   * @param seed any safe integer; its high and low 32 bits both count.
   * @param stream selects an independent stream for the same seed, so that one
   *   concern (defects) can draw without shifting the values of another (content).
   */
  constructor(seed: number, stream = 0) {
    const low = splitmix32(seed >>> 0);
    const high = splitmix32(Math.floor(seed / UINT32_RANGE) ^ Math.imul(stream + 1, 0x5bd1e995));
    this.s0 = low() ^ high();
    this.s1 = low();
    this.s2 = low() ^ high();
    this.s3 = low();
    // The all-zero state is the one fixed point of xoshiro.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s3 = 1;
  }

  /** The next 32 random bits, as an unsigned integer. */
  uint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / UINT32_RANGE;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)];
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * Draws values with fixed relative weights, e.g. priorities skewed to P3.
 * The cumulative table is built once; each draw is a short linear scan,
 * which beats a binary search for the handful of entries used here.
 */
export class WeightedChoice<T> {
  private readonly values: readonly T[];
  private readonly cumulative: readonly number[];

  constructor(entries: ReadonlyArray<readonly [T, number]>) {
    if (entries.length === 0) throw new RangeError("WeightedChoice needs at least one entry");
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    let running = 0;
    this.values = entries.map(([value]) => value);
    this.cumulative = entries.map(([, weight]) => (running += weight / total));
  }

  /** One value, drawn from `rng` with the configured weights. */
  pick(rng: SeededRandom): T {
    const u = rng.float();
    const last = this.values.length - 1;
    for (let i = 0; i < last; i++) if (u < this.cumulative[i]) return this.values[i];
    return this.values[last];
  }
}

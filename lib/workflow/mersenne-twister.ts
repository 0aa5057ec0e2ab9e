// MT19937 (Matsumoto & Nishimura, 1998), written from the published algorithm. The GUI draws its
// seeded random generator values with the npm `mersenne-twister` package: `init_genrand(seed >>> 0)`,
// then `random()` = genrand_int32 / 2^32 in [0, 1). This module reproduces that exactly, so a seeded
// random generator gives the same values here as in the GUI.

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** A seeded MT19937 stream. Stateful by nature; keep each instance local to one computation. */
export class MersenneTwister {
  private readonly mt = new Uint32Array(N);
  private mti = N;

  /** Seeds like `init_genrand`: the seed is taken modulo 2^32 (`seed >>> 0`), as the GUI's package does. */
  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1]!;
      this.mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
    }
  }

  /** The next 32-bit output, in [0, 2^32 - 1] (`genrand_int32`). */
  nextUint32(): number {
    if (this.mti >= N) this.twist();
    let y = this.mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** The next number in [0, 1): `genrand_int32() / 2^32` (the `random()` of the GUI's package). */
  random(): number {
    return this.nextUint32() / 4294967296;
  }

  private twist(): void {
    const mt = this.mt;
    for (let kk = 0; kk < N; kk++) {
      const y = (mt[kk]! & UPPER_MASK) | (mt[(kk + 1) % N]! & LOWER_MASK);
      mt[kk] = mt[(kk + M) % N]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    this.mti = 0;
  }
}

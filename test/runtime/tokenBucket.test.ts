import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type BucketSettings,
  createRateLimiter,
  type RateVerdict,
} from "../../runtime/tokenBucket.js";

/**
 * The reference: tokens counted exactly, in integers. Rates are quarters of a token a second,
 * so in units of 1/4000 token a millisecond brings exactly `quarters` units.
 */
class Reference {
  private readonly buckets = new Map<string, { units: number; last: number }>();
  /** Whether an eviction has so far dropped a bucket that was not full. */
  lossy = false;

  constructor(
    private burst: number,
    private quarters: number,
    private readonly maxClients = Infinity,
  ) {}

  configure(burst: number, quarters: number): void {
    this.burst = burst;
    this.quarters = quarters;
  }

  private refilled(bucket: { units: number; last: number }, now: number): number {
    const elapsed = Math.max(0, now - bucket.last);
    return Math.min(this.burst * 4000, bucket.units + elapsed * this.quarters);
  }

  check(client: string, now: number): RateVerdict {
    let bucket = this.buckets.get(client);
    if (!bucket) {
      if (this.buckets.size >= this.maxClients) {
        const [idlest, idle] = [...this.buckets].reduce((a, b) => (b[1].last < a[1].last ? b : a));
        if (this.refilled(idle, now) < this.burst * 4000) this.lossy = true;
        this.buckets.delete(idlest);
      }
      bucket = { units: this.burst * 4000, last: now };
      this.buckets.set(client, bucket);
    }
    bucket.units = this.refilled(bucket, now);
    bucket.last = Math.max(bucket.last, now);
    if (bucket.units >= 4000) {
      bucket.units -= 4000;
      return { allowed: true, retryAfterSec: 0, remaining: Math.floor(bucket.units / 4000) };
    }
    // Whole seconds until 4000 units: ceil(missing / (1000 · quarters)), in integers.
    const perSecond = 1000 * this.quarters;
    const seconds = Math.floor((4000 - bucket.units + perSecond - 1) / perSecond);
    return { allowed: false, retryAfterSec: Math.max(1, seconds), remaining: 0 };
  }
}

const settings = fc.record({
  burst: fc.integer({ min: 1, max: 8 }),
  quarters: fc.integer({ min: 1, max: 40 }),
});
const toSettings = ({ burst, quarters }: { burst: number; quarters: number }): BucketSettings => ({
  burst,
  refillPerSec: quarters / 4,
});

type Step =
  | { kind: "request"; client: number; dt: number }
  | { kind: "configure"; burst: number; quarters: number };

function steps(clients: number, minDt: number): fc.Arbitrary<Step[]> {
  const request = fc.record({
    kind: fc.constant("request" as const),
    client: fc.nat(clients - 1),
    // Bursts of requests in the same millisecond, gaps of a few seconds, and long idle times.
    dt: fc.oneof(
      fc.integer({ min: minDt, max: 3 }),
      fc.integer({ min: minDt, max: 5000 }),
      fc.integer({ min: minDt, max: 60_000 }),
    ),
  });
  const configure = settings.map((s) => ({ kind: "configure" as const, ...s }));
  return fc.array(fc.oneof({ arbitrary: request, weight: 20 }, configure), { maxLength: 200 });
}

describe("createRateLimiter", () => {
  it("allows a burst, then one request per refill, and says when to retry", () => {
    const limiter = createRateLimiter({ burst: 3, refillPerSec: 0.5 }, 8);
    expect(limiter.check("a", 0)).toEqual({ allowed: true, retryAfterSec: 0, remaining: 2 });
    expect(limiter.check("a", 0)).toEqual({ allowed: true, retryAfterSec: 0, remaining: 1 });
    expect(limiter.check("a", 0)).toEqual({ allowed: true, retryAfterSec: 0, remaining: 0 });
    expect(limiter.check("a", 0)).toEqual({ allowed: false, retryAfterSec: 2, remaining: 0 });
    expect(limiter.check("a", 1000)).toEqual({ allowed: false, retryAfterSec: 1, remaining: 0 });
    expect(limiter.check("a", 1999)).toEqual({ allowed: false, retryAfterSec: 1, remaining: 0 });
    expect(limiter.check("a", 2000)).toEqual({ allowed: true, retryAfterSec: 0, remaining: 0 });
    // Another client has its own bucket.
    expect(limiter.check("b", 2000)).toEqual({ allowed: true, retryAfterSec: 0, remaining: 2 });
    // Refilling stops at the burst.
    expect(limiter.check("a", 1_000_000)).toEqual({
      allowed: true,
      retryAfterSec: 0,
      remaining: 2,
    });
  });

  it("asks for at least a second even when the refill is faster", () => {
    const limiter = createRateLimiter({ burst: 1, refillPerSec: 50 }, 8);
    expect(limiter.check("a", 0).allowed).toBe(true);
    expect(limiter.check("a", 0)).toEqual({ allowed: false, retryAfterSec: 1, remaining: 0 });
    expect(limiter.check("a", 20).allowed).toBe(true);
  });

  it("counts a clock stepping back as no time passing", () => {
    const limiter = createRateLimiter({ burst: 1, refillPerSec: 1 }, 8);
    expect(limiter.check("a", 10_000).allowed).toBe(true);
    expect(limiter.check("a", 0)).toEqual({ allowed: false, retryAfterSec: 1, remaining: 0 });
    expect(limiter.check("a", 10_999).allowed).toBe(false);
    expect(limiter.check("a", 11_000).allowed).toBe(true);
  });

  it("follows new settings from the next request on, clamping to the new burst", () => {
    const limiter = createRateLimiter({ burst: 10, refillPerSec: 1 }, 8);
    expect(limiter.check("a", 0).remaining).toBe(9);
    limiter.configure({ burst: 2, refillPerSec: 0.25 });
    expect(limiter.check("a", 0)).toEqual({ allowed: true, retryAfterSec: 0, remaining: 1 });
    expect(limiter.check("a", 0).allowed).toBe(true);
    expect(limiter.check("a", 0)).toEqual({ allowed: false, retryAfterSec: 4, remaining: 0 });
  });

  it("refuses settings no bucket can follow", () => {
    for (const bad of [
      { burst: 0, refillPerSec: 1 },
      { burst: Number.NaN, refillPerSec: 1 },
      { burst: Infinity, refillPerSec: 1 },
      { burst: 1, refillPerSec: 0 },
      { burst: 1, refillPerSec: -1 },
      { burst: 1, refillPerSec: Number.NaN },
      { burst: 1, refillPerSec: Infinity },
    ]) {
      expect(() => createRateLimiter(bad, 4), JSON.stringify(bad)).toThrow(/burst must be/);
      expect(() => createRateLimiter({ burst: 1, refillPerSec: 1 }, 4).configure(bad)).toThrow();
    }
    expect(() => createRateLimiter({ burst: 1, refillPerSec: 1 }, 0)).toThrow(/maxClients/);
  });

  it("forgets the client idle longest, not the oldest, when full", () => {
    const limiter = createRateLimiter({ burst: 1, refillPerSec: 0.001 }, 2);
    expect(limiter.check("a", 0).allowed).toBe(true);
    expect(limiter.check("b", 1).allowed).toBe(true);
    expect(limiter.check("a", 2).allowed).toBe(false);
    // b has been idle longest: c takes its place, a keeps its empty bucket.
    expect(limiter.check("c", 3).allowed).toBe(true);
    expect(limiter.clientCount()).toBe(2);
    expect(limiter.check("a", 4).allowed).toBe(false);
    // b, forgotten, starts again with a full bucket.
    expect(limiter.check("b", 5).allowed).toBe(true);
  });

  it("answers as the exact reference over random requests, settings and clock steps back", () => {
    fc.assert(
      fc.property(settings, steps(4, -2000), (initial, run) => {
        const limiter = createRateLimiter(toSettings(initial), 4);
        const reference = new Reference(initial.burst, initial.quarters);
        let now = 1_000_000;
        for (const step of run) {
          if (step.kind === "configure") {
            limiter.configure(toSettings(step));
            reference.configure(step.burst, step.quarters);
            continue;
          }
          now += step.dt;
          const client = `client-${step.client}`;
          expect(limiter.check(client, now)).toEqual(reference.check(client, now));
        }
      }),
    );
  });

  it("evicts as the reference does, and is exact while the buckets it drops are full", () => {
    fc.assert(
      fc.property(settings, fc.integer({ min: 1, max: 4 }), steps(7, 1), (initial, max, run) => {
        const limiter = createRateLimiter(toSettings(initial), max);
        const bounded = new Reference(initial.burst, initial.quarters, max);
        const unbounded = new Reference(initial.burst, initial.quarters);
        let now = 0;
        for (const step of run) {
          if (step.kind === "configure") {
            limiter.configure(toSettings(step));
            bounded.configure(step.burst, step.quarters);
            unbounded.configure(step.burst, step.quarters);
            continue;
          }
          now += step.dt;
          const client = `client-${step.client}`;
          const verdict = limiter.check(client, now);
          expect(verdict).toEqual(bounded.check(client, now));
          expect(limiter.clientCount()).toBeLessThanOrEqual(max);
          const exact = unbounded.check(client, now);
          if (!bounded.lossy) expect(verdict).toEqual(exact);
        }
      }),
    );
  });
});

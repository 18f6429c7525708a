/**
 * Per-client token buckets for the device's API: each client may make `burst` requests at once,
 * then `refillPerSec` a second on average.
 *
 * Guarantees of `check`: a client's bucket starts full; it refills continuously,
 * `tokens = min(burst, tokens + elapsed · rate)`; a request is allowed when a whole token is
 * there and takes it; `remaining` is the whole tokens left after the request; a refused request
 * takes nothing and `retryAfterSec` is the whole seconds until a token will be there (at least 1,
 * and 0 when allowed). A clock that steps back counts as no time passing. `configure` changes the
 * settings for every bucket from the next check on, clamping a bucket above the new burst.
 *
 * Memory is bounded: at most `maxClients` buckets. A new client beyond that takes the bucket idle
 * longest. That is safe because a full bucket is exactly what a client without a bucket gets, and
 * the bucket idle longest is the one that has refilled most: it has at least
 * `min(burst, idle · rate)` tokens whatever it held, so once it has been idle `burst / rate`
 * seconds it is full and forgetting it changes no answer. Only when more than `maxClients`
 * clients are active within that time can a client regain its burst early: the limiter then
 * errs on the side of answering, by at most `burst` requests per eviction.
 *
 * Tokens are kept in thousandths so that whole milliseconds at a rate such as 0.5 or 2 per second
 * add up exactly (the thousandths of a token a millisecond brings are the rate itself).
 */

export interface BucketSettings {
  burst: number;
  refillPerSec: number;
}

export interface RateVerdict {
  allowed: boolean;
  retryAfterSec: number;
  remaining: number;
}

export interface RateLimiter {
  check(client: string, nowMs: number): RateVerdict;
  configure(settings: BucketSettings): void;
  /** Buckets held, at most `maxClients`. */
  clientCount(): number;
}

interface Bucket {
  client: string;
  /** Thousandths of a token, as of `atMs`. */
  milli: number;
  atMs: number;
}

/** Throws on settings no bucket can follow: a burst below 1 or a rate that is not positive. */
export function createRateLimiter(settings: BucketSettings, maxClients: number): RateLimiter {
  let current = checked(settings);
  if (!(maxClients >= 1)) throw new Error("createRateLimiter: maxClients must be at least 1");
  const buckets: Bucket[] = [];

  function bucketOf(client: string, nowMs: number): Bucket {
    let idlest = 0;
    for (let i = 0; i < buckets.length; i++) {
      if (buckets[i].client === client) return buckets[i];
      if (buckets[i].atMs < buckets[idlest].atMs) idlest = i;
    }
    const bucket = { client, milli: current.burst * 1000, atMs: nowMs };
    if (buckets.length < maxClients) buckets.push(bucket);
    else buckets[idlest] = bucket;
    return bucket;
  }

  return {
    check(client, nowMs) {
      const bucket = bucketOf(client, nowMs);
      const capacity = current.burst * 1000;
      const elapsed = nowMs > bucket.atMs ? nowMs - bucket.atMs : 0;
      let milli = bucket.milli + elapsed * current.refillPerSec;
      if (milli > capacity) milli = capacity;
      if (nowMs > bucket.atMs) bucket.atMs = nowMs;
      if (milli >= 1000) {
        bucket.milli = milli - 1000;
        return { allowed: true, retryAfterSec: 0, remaining: Math.floor(bucket.milli / 1000) };
      }
      bucket.milli = milli;
      const seconds = Math.ceil((1000 - milli) / current.refillPerSec / 1000);
      return { allowed: false, retryAfterSec: Math.max(seconds, 1), remaining: 0 };
    },
    configure(next) {
      current = checked(next);
    },
    clientCount() {
      return buckets.length;
    },
  };
}

function checked(settings: BucketSettings): BucketSettings {
  // Written as "not valid" so that NaN is refused too.
  if (
    !(settings.burst >= 1) ||
    !(settings.refillPerSec > 0) ||
    settings.burst === Infinity ||
    settings.refillPerSec === Infinity
  ) {
    throw new Error("token bucket: burst must be at least 1 and the refill rate positive");
  }
  return { burst: settings.burst, refillPerSec: settings.refillPerSec };
}

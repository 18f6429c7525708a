/**
 * The device API's memory of tokens that verified: which subject's rate bucket a request spends,
 * and which requests need no share of the budget for unverified ones.
 *
 * Guarantees: at most `size` entries, at most `perSubject` of them for any one subject, so one
 * client presenting ever new tokens replaces only its own entries and can never push another
 * client's out; beyond that, the entry used longest ago goes. An entry is keyed by the token's
 * signature, the HMAC-SHA256 of its text under the device's key: a hash of the token the
 * issuer already computed, so a lookup costs no hashing (a hash computed per request would be
 * the very work a flood must not be able to buy), and with canonical base64url
 * (`runtime/base64url.ts`) a token has one spelling, so spelling churn (`bearer`/`Bearer`,
 * other spare bits) finds nothing new to remember. A match only chooses a bucket: the request's
 * token is still verified in full. No raw header is kept (a token is a credential, and about
 * ten times the bytes).
 */

export interface VerifiedTokens {
  /** The subject of the token with this signature, if it verified lately. */
  subjectOf(signature: string): string | undefined;
  /** Remembers that the token with this signature verified for `subject`. */
  remember(signature: string, subject: string): void;
}

interface Entry {
  signature: string;
  subject: string;
  /** A counter, not a time: which entry was used longest ago. */
  used: number;
}

export function createVerifiedTokens(size: number, perSubject: number): VerifiedTokens {
  const entries: Entry[] = [];
  let uses = 0;
  const find = (signature: string) => {
    for (let i = 0; i < entries.length; i++) if (entries[i].signature === signature) return i;
    return -1;
  };
  return {
    subjectOf(signature) {
      const i = find(signature);
      if (i < 0) return undefined;
      entries[i].used = ++uses;
      return entries[i].subject;
    },
    remember(signature, subject) {
      if (find(signature) >= 0) return;
      let own = 0;
      let ownOldest = -1;
      let oldest = -1;
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i];
        if (e.subject === subject) {
          own++;
          if (ownOldest < 0 || e.used < entries[ownOldest].used) ownOldest = i;
        }
        if (oldest < 0 || e.used < entries[oldest].used) oldest = i;
      }
      const entry = { signature, subject, used: ++uses };
      if (own >= perSubject) entries[ownOldest] = entry;
      else if (entries.length < size) entries.push(entry);
      else entries[oldest] = entry;
    },
  };
}

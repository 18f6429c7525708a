/**
 * Refused requests counted per client for one summary a minute, instead of one audit record or
 * log line each: what keeps a flood of bad requests from turning over the audit trail or the
 * log, however many addresses it comes from.
 *
 * Guarantees: `count` never allocates more than `maxClients` entries; refusals from clients
 * beyond that are added to one entry for all the others (`others`), so every refusal is counted
 * exactly once and the summary is at most `maxClients + 1` records whatever the flood. `drain`
 * hands back what was counted since the last drain and starts afresh. Counts are by status; the
 * last refusal of each client is kept (what it asked and why it was refused), so a summary still
 * says what was tried.
 */

export interface RefusalCount {
  /** `anonymous@<address>`, a token's subject, or `others`. */
  client: string;
  /** The caller's tenant and namespace where a genuine token named them; null otherwise. */
  tenant: string | null;
  ns: string | null;
  total: number;
  /** Refusals by status code. */
  counts: Record<string, number>;
  /** The last one: `<method> <path> <status> <reason>`. */
  last: string;
}

export interface Refusals {
  /** Counts one refusal; true when it is the first since the last drain. */
  count(
    client: string,
    status: number,
    last: string,
    caller?: { tenant: string | null; ns: string | null },
  ): boolean;
  drain(): RefusalCount[];
}

export const OTHER_CLIENTS = "others";

export function createRefusals(maxClients: number): Refusals {
  let entries: RefusalCount[] = [];
  return {
    count(client, status, last, caller) {
      let entry: RefusalCount | undefined;
      for (let i = 0; i < entries.length && entry === undefined; i++) {
        if (entries[i].client === client) entry = entries[i];
      }
      if (entry === undefined && entries.length >= maxClients) {
        for (let i = 0; i < entries.length && entry === undefined; i++) {
          if (entries[i].client === OTHER_CLIENTS) entry = entries[i];
        }
        client = OTHER_CLIENTS;
        caller = undefined;
      }
      const first = entries.length === 0;
      if (entry === undefined) {
        entry = {
          client,
          tenant: caller ? caller.tenant : null,
          ns: caller ? caller.ns : null,
          total: 0,
          counts: {},
          last,
        };
        entries.push(entry);
      }
      const key = String(status);
      entry.counts[key] = (entry.counts[key] || 0) + 1;
      entry.total++;
      entry.last = last;
      return first;
    },
    drain() {
      const drained = entries;
      entries = [];
      return drained;
    },
  };
}

/**
 * A statechart's state value as one short string: `connected.probing`, with parallel regions
 * joined by commas. What a heartbeat, the device API, a trace and the console show.
 */
export function stateName(value: unknown): string {
  if (typeof value === "string") return value;
  const regions = value as Record<string, unknown>;
  return Object.keys(regions)
    .map((key) => {
      const inner = stateName(regions[key]);
      return inner === "" ? key : `${key}.${inner}`;
    })
    .join(",");
}

/**
 * The states a state value makes active, as chart paths: `{connected: "idle"}` is `connected`
 * and `connected.idle`. One function for the diagrams, the offline viewer and its readiness,
 * so a highlighted box and a `ready` verdict always read the same value the same way.
 */
export function activePaths(value: unknown, prefix = ""): string[] {
  const join = (key: string) => (prefix === "" ? key : `${prefix}.${key}`);
  if (typeof value === "string") return [join(value)];
  if (value === null || typeof value !== "object") return [];
  const regions = value as Record<string, unknown>;
  return Object.keys(regions).flatMap((key) => [
    join(key),
    ...activePaths(regions[key], join(key)),
  ]);
}

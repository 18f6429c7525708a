/**
 * `npm run coverage:charts`: runs every manager's generated paths (`simulations/paths`) under
 * XState on the virtual clock and prints, per manager, the states and transitions they reach, then
 * each one not reached (and why, when the model declares it unreachable). Exits non-zero when a
 * reachable transition or a state is left unreached, as `test/simulations/paths/paths.test.ts`
 * does.
 */
import { coverageTable, measureCoverage } from "../simulations/paths/coverage.js";
import { PATH_MODELS } from "../simulations/paths/models.js";

const rows = PATH_MODELS.map(measureCoverage);
console.log(coverageTable(rows));
const complete = rows.every(
  (c) =>
    c.states.every((s) => c.reachedStates.has(s)) &&
    c.transitions.every((t) => c.reachedTransitions.has(t) || t in c.unreachable),
);
process.exitCode = complete ? 0 : 1;

/**
 * Every property test draws from one fixed seed, so a run (and CI) gives the same verdict every
 * time; `FC_SEED=<n> npm test` explores other inputs, and a failure prints the seed to replay.
 */
import fc from "fast-check";

const seed = process.env.FC_SEED === undefined ? 20_261_126 : Number(process.env.FC_SEED);
fc.configureGlobal({ seed });

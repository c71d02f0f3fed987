/**
 * The test tiers. `npm test` runs the fast tier (files `*.test.ts` except
 * `*.slow.test.ts`, conformance on short outputs); `npm run test:full`
 * (what CI runs) sets SPECINFER_TEST_TIER=full through .mocharc.full.cjs and
 * adds the `*.slow.test.ts` files (statistical, end-to-end CLI runs, paper
 * shapes) and full-length conformance.
 */
export const FULL_TIER: boolean = process.env.SPECINFER_TEST_TIER === 'full';

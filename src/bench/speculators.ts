/**
 * Tokens/step of every speculator (and every tree policy with an SSM) on
 * each prompt set, greedy (`npm run bench:speculators [maxTokens]`): the
 * README's table. Requests run one after another (batch 1), so per-run
 * state (the global suffix tree, the recycling table) carries over between
 * requests as in serving. Writes results/bench/speculators.json. Tokens/step
 * does not depend on the machine; ms/token does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRng } from '../core/rng.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { calibrateAcceptance, calibrationPolicy } from '../harness/calibrate.js';
import { buildRun, type RunSpec } from '../harness/components.js';
import { readWorkload } from '../harness/workload.js';
import { summarize } from '../report/metrics.js';
import { speculatorConfig, type SpeculatorConfig } from '../speculators/registry.js';
import { policyConfig, type PolicyConfig } from '../tree/policies.js';
import { GREEDY } from '../sampling/params.js';

const TARGET = 'stories260K';
const SSM = 'stories260K-ssm-m';
const WORKLOADS = ['story-openings', 'repetitive'];

interface Row {
  readonly name: string;
  readonly speculator: SpeculatorConfig;
  readonly policy?: PolicyConfig;
}

interface Result {
  readonly name: string;
  readonly workload: string;
  readonly tokensPerStep: number;
  readonly acceptance: number;
  readonly msPerToken: number;
}

function spec(row: Pick<Row, 'speculator' | 'policy'>): RunSpec {
  return {
    target: TARGET,
    speculator: row.speculator,
    policy: row.policy,
    verifier: { kind: 'greedy' },
    sampling: GREEDY,
    maxNodes: 64,
    allowLossy: false,
    engine: { threads: 1 },
  };
}

/** Requests one after another; metrics per request (src/report), combined by their counts. */
async function measure(row: Row, workload: string, maxTokens: number): Promise<Result> {
  const run = await buildRun(spec(row));
  const stopTokens = [run.tokenizer.bosId, run.tokenizer.eosId];
  let tokens = 0;
  let steps = 0;
  let proposed = 0;
  let accepted = 0;
  let ms = 0;
  for (const [i, w] of readWorkload(workload).entries()) {
    const requests = [{ prompt: run.tokenizer.encode(w.prompt), rng: createRng(1234).fork(`request-${i}`) }];
    const { records } = await decodeSpeculative(run.target, run.speculator, run.verifier, requests, { maxTokens, stopTokens, sampling: GREEDY, maxNodes: 64 });
    const s = summarize(records);
    tokens += s.tokens;
    steps += s.steps;
    proposed += s.proposed;
    accepted += s.accepted;
    ms += s.tokens > 0 ? s.msPerToken * s.tokens : 0;
  }
  await run.dispose();
  return { name: row.name, workload, tokensPerStep: tokens / steps, acceptance: proposed > 0 ? accepted / proposed : NaN, msPerToken: ms / tokens };
}

/** Sequoia's acceptance vector for the SSM, calibrated on the first 8 story openings (64 tokens each). */
async function calibrateSsm(): Promise<number[]> {
  const run = await buildRun(spec({ speculator: speculatorConfig('draft-model', { models: [SSM] }), policy: calibrationPolicy(8) }));
  const prompts = readWorkload('story-openings')
    .slice(0, 8)
    .map((w) => run.tokenizer.encode(w.prompt));
  const p = await calibrateAcceptance(run.target, run.speculator, prompts, { ranks: 8, maxTokens: 64, stopTokens: [1, 2] });
  await run.dispose();
  return p;
}

function rows(acceptance: number[]): Row[] {
  const ssm = speculatorConfig('draft-model', { models: [SSM] });
  const suffix = speculatorConfig('suffix');
  return [
    { name: 'none (incremental)', speculator: speculatorConfig('none') },
    { name: 'ngram', speculator: speculatorConfig('ngram') },
    { name: 'suffix', speculator: suffix },
    { name: 'recycle', speculator: speculatorConfig('recycle') },
    ...[1, 2, 3, 4].map((layers) => ({ name: `layer-skip L=${layers}`, speculator: speculatorConfig('layer-skip', { layers }) })),
    { name: `draft-model ${SSM} (static <1,1,3,1,1,1,1,1>)`, speculator: ssm },
    { name: `draft-model ${SSM}, chain 8`, speculator: ssm, policy: policyConfig('chain') },
    { name: `draft-model ${SSM}, dynamic`, speculator: ssm, policy: policyConfig('dynamic') },
    { name: `draft-model ${SSM}, p-split`, speculator: ssm, policy: policyConfig('p-split') },
    { name: `draft-model ${SSM}, sequoia (calibrated)`, speculator: ssm, policy: policyConfig('sequoia', { acceptance }) },
    { name: `hybrid merge: suffix + ${SSM}`, speculator: speculatorConfig('hybrid', { mode: 'merge', parts: [suffix, ssm] }) },
    { name: `hybrid switch: suffix (match >= 3) else ${SSM}`, speculator: speculatorConfig('hybrid', { mode: 'switch', minMatch: 3, parts: [suffix, ssm] }) },
  ];
}

async function main(): Promise<void> {
  const maxTokens = Number(process.argv[2] ?? 128);
  const acceptance = await calibrateSsm();
  console.log(`sequoia acceptance of ${SSM} (top-8, greedy): [${acceptance.map((v) => v.toFixed(3)).join(', ')}]`);
  const results: Result[] = [];
  for (const row of rows(acceptance)) {
    for (const w of WORKLOADS) results.push(await measure(row, w, maxTokens));
  }
  console.log(`\ntarget ${TARGET}, greedy, ${maxTokens} tokens per prompt, budget 64 nodes, requests one after another`);
  console.log(`| speculator | ${WORKLOADS.map((w) => `${w} tokens/step`).join(' | ')} | ${WORKLOADS.map((w) => `${w} ms/token`).join(' | ')} |`);
  console.log(`|---|${WORKLOADS.map(() => '---').join('|')}|${WORKLOADS.map(() => '---').join('|')}|`);
  for (const name of [...new Set(results.map((r) => r.name))]) {
    const of = (w: string) => results.find((r) => r.name === name && r.workload === w) as Result;
    console.log(`| ${name} | ${WORKLOADS.map((w) => of(w).tokensPerStep.toFixed(2)).join(' | ')} | ${WORKLOADS.map((w) => of(w).msPerToken.toFixed(3)).join(' | ')} |`);
  }
  const out = path.resolve('results/bench/speculators.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), target: TARGET, maxTokens, acceptance, results }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

await main();

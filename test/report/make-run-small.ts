/**
 * Writes test/fixtures/run-small/ (cells.json, steps.jsonl, meta.json): a
 * small real run of stories260K, the fixture of the report tests and the
 * results folder notebooks execute against in CI. Not a test; run by hand:
 *   npx tsc -p . && node dist/test/report/make-run-small.js
 * Cells: incremental baselines (batch 1 and 2), the width sweep
 * <1,1,k,1,1,1,1,1> k = 1..3 with ssm-m (greedy), k = 3 with MSS and NS at
 * T = 1, k = 3 greedy at batch 2, and n-gram lookup; workloads: 2 story
 * openings and 2 repetitive prompts, 32 tokens each, one warm-up request
 * per cell (not recorded).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRng } from '../../src/core/rng.js';
import type { StepRecord } from '../../src/decode/records.js';
import { decodeSpeculative } from '../../src/decode/speculative.js';
import type { CellInfo, CellRecord } from '../../src/harness/cell.js';
import { buildRun, type RunSpec } from '../../src/harness/components.js';
import { readWorkload } from '../../src/harness/workload.js';
import { speculatorConfig } from '../../src/speculators/registry.js';
import { policyConfig } from '../../src/tree/policies.js';
import type { VerifierKind } from '../../src/verifiers/index.js';

const TARGET = 'stories260K';
const SSM = 'stories260K-ssm-m';
const WORKLOADS = ['story-openings', 'repetitive'];
const PROMPTS_PER_WORKLOAD = 2;
const MAX_TOKENS = 32;
const SEED = 1234;
const OUT = 'test/fixtures/run-small';

interface CellPlan {
  readonly id: string;
  readonly params: Record<string, unknown>;
  readonly spec: RunSpec;
  readonly baseline: boolean;
  readonly batchSize: number;
}

function runSpec(speculator: RunSpec['speculator'], verifier: VerifierKind, temperature: number, expansion?: number[]): RunSpec {
  return {
    target: TARGET,
    speculator,
    policy: expansion ? policyConfig('static', { expansion }) : undefined,
    verifier: { kind: verifier },
    sampling: { temperature, topK: 0, topP: 1 },
    maxNodes: 64,
    allowLossy: true,
    engine: { threads: 1 },
  };
}

function plans(): CellPlan[] {
  const width = (k: number) => [1, 1, k, 1, 1, 1, 1, 1];
  const ssm = speculatorConfig('draft-model', { models: [SSM] });
  const sweep = (id: string, k: number, verifier: VerifierKind, temperature: number, batchSize = 1): CellPlan => ({
    id,
    params: { 'policy.expansion': width(k), 'verifier.kind': verifier, ...(batchSize > 1 ? { batchSize } : {}) },
    spec: runSpec(ssm, verifier, temperature, width(k)),
    baseline: false,
    batchSize,
  });
  const none = speculatorConfig('none');
  return [
    { id: `baseline-${TARGET}`, params: {}, spec: runSpec(none, 'greedy', 0), baseline: true, batchSize: 1 },
    { id: `baseline-${TARGET}-b2`, params: {}, spec: runSpec(none, 'greedy', 0), baseline: true, batchSize: 2 },
    sweep('c000', 1, 'greedy', 0),
    sweep('c001', 2, 'greedy', 0),
    sweep('c002', 3, 'greedy', 0),
    sweep('c003', 3, 'mss', 1),
    sweep('c004', 3, 'ns', 1),
    sweep('c005', 3, 'greedy', 0, 2),
    { id: 'c006', params: { speculator: 'ngram' }, spec: runSpec(speculatorConfig('ngram'), 'greedy', 0), baseline: false, batchSize: 1 },
  ];
}

function label(params: Record<string, unknown>): string {
  return Object.entries(params)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
}

/** Times to 0.1 microsecond (keeps the fixture small). */
function roundMs(r: StepRecord): Pick<StepRecord, 'proposeMs' | 'scoreMs' | 'verifyMs' | 'commitMs'> {
  const q = (v: number) => Math.round(v * 1e4) / 1e4;
  return { proposeMs: q(r.proposeMs), scoreMs: q(r.scoreMs), verifyMs: q(r.verifyMs), commitMs: q(r.commitMs) };
}

async function runCell(plan: CellPlan, index: number): Promise<{ cell: CellInfo; records: CellRecord[] }> {
  const run = await buildRun(plan.spec);
  const opts = { maxTokens: MAX_TOKENS, stopTokens: [run.tokenizer.bosId, run.tokenizer.eosId], sampling: plan.spec.sampling, maxNodes: plan.spec.maxNodes };
  const warm = [{ prompt: run.tokenizer.encode('Once upon a time'), rng: createRng(SEED).fork('warm-up') }];
  await decodeSpeculative(run.target, run.speculator, run.verifier, warm, opts);
  const records: CellRecord[] = [];
  for (const workload of WORKLOADS) {
    const prompts = readWorkload(workload).slice(0, PROMPTS_PER_WORKLOAD);
    for (let i = 0; i < prompts.length; i += plan.batchSize) {
      const batch = prompts.slice(i, i + plan.batchSize);
      const requests = batch.map((p) => ({ prompt: run.tokenizer.encode(p.prompt), rng: createRng(SEED).fork(`${workload}/${p.id}`) }));
      const out = await decodeSpeculative(run.target, run.speculator, run.verifier, requests, opts);
      records.push(...out.records.map((r) => ({ ...r, ...roundMs(r), cell: plan.id, workload, prompt: batch[r.request].id, seed: SEED })));
    }
  }
  await run.dispose();
  const s = plan.spec;
  const cell: CellInfo = {
    id: plan.id,
    index,
    label: label(plan.params),
    baseline: plan.baseline,
    target: TARGET,
    params: plan.params,
    speculator: s.speculator.kind,
    policy: s.speculator.kind === 'none' ? 'none' : (s.policy?.kind ?? 'default'),
    verifier: s.verifier.kind,
    batchSize: plan.batchSize,
    temperature: s.sampling.temperature,
  };
  return { cell, records };
}

async function main(): Promise<void> {
  const cells: CellInfo[] = [];
  const records: CellRecord[] = [];
  for (const [i, plan] of plans().entries()) {
    const r = await runCell(plan, i);
    cells.push(r.cell);
    records.push(...r.records);
    process.stderr.write(`${plan.id}: ${r.records.length} steps\n`);
  }
  mkdirSync(OUT, { recursive: true });
  writeFileSync(path.join(OUT, 'cells.json'), JSON.stringify(cells, null, 2) + '\n');
  writeFileSync(path.join(OUT, 'steps.jsonl'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const env = { node: process.version, cpu: os.cpus()[0]?.model ?? 'unknown', threads: '1', models: `${TARGET}, ${SSM}` };
  writeFileSync(
    path.join(OUT, 'meta.json'),
    JSON.stringify({ config: 'run-small (test/report/make-run-small.ts)', env, title: 'run-small: stories260K width sweep' }, null, 2) + '\n',
  );
}

await main();

/**
 * Acceptance measurement (`npm run bench:speculation`): tokens/step and
 * acceptance of SSM trees on a workload, greedy and MSS, for the width sweep
 * <1,1,k,1,1,1,1,1> (SpecInfer Table 2) and the 3-SSM merge. Prints a table
 * and writes results/bench/speculation.json. Acceptance numbers do not
 * depend on the machine; the ms/token column does.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createRng } from '../core/rng.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { buildRun, type RunSpec } from '../harness/components.js';
import { readWorkload } from '../harness/workload.js';
import { policyConfig } from '../tree/policies.js';
import { summarize } from '../report/metrics.js';

interface Row {
  drafts: string;
  expansion: string;
  verifier: string;
  temperature: number;
  tokensPerStep: number;
  acceptance: number;
  msPerToken: number;
}

const DRAFTS = ['stories260K-ssm-s', 'stories260K-ssm-m'];
const MERGE = ['stories260K-ssm-s', 'stories260K-ssm-m', 'stories260K-ssm-s-boost'];

async function measure(drafts: string[], expansion: number[], verifier: 'greedy' | 'mss', prompts: string[], maxTokens: number): Promise<Row> {
  const temperature = verifier === 'greedy' ? 0 : 1;
  const spec: RunSpec = {
    target: 'stories260K',
    speculator: { kind: 'draft-model', models: drafts },
    policy: policyConfig('static', { expansion }),
    verifier: { kind: verifier },
    sampling: { temperature, topK: 0, topP: 1 },
    maxNodes: 64,
    allowLossy: false,
    engine: { threads: 1 },
  };
  const run = await buildRun(spec);
  const requests = prompts.map((p, i) => ({ prompt: run.tokenizer.encode(p), rng: createRng(1234).fork(`request-${i}`) }));
  const { records } = await decodeSpeculative(run.target, run.speculator, run.verifier, requests, {
    maxTokens,
    stopTokens: [run.tokenizer.bosId, run.tokenizer.eosId],
    sampling: spec.sampling,
    maxNodes: spec.maxNodes,
  });
  await run.dispose();
  const s = summarize(records);
  return { drafts: drafts.join('+'), expansion: expansion.join(','), verifier, temperature, tokensPerStep: s.tokensPerStep, acceptance: s.acceptance, msPerToken: s.msPerToken };
}

async function main(): Promise<void> {
  const workload = process.argv[2] ?? 'story-openings';
  const maxTokens = Number(process.argv[3] ?? 128);
  const prompts = readWorkload(workload).map((w) => w.prompt);
  const rows: Row[] = [];
  for (const verifier of ['greedy', 'mss'] as const) {
    for (const draft of DRAFTS) {
      for (let k = 1; k <= 5; k++) rows.push(await measure([draft], [1, 1, k, 1, 1, 1, 1, 1], verifier, prompts, maxTokens));
    }
    rows.push(await measure(MERGE, [1, 1, 3, 1, 1, 1, 1, 1], verifier, prompts, maxTokens));
  }
  console.log(`workload ${workload} (${prompts.length} prompts x ${maxTokens} tokens), target stories260K, depth 8`);
  console.log('| drafts | expansion | verifier | tokens/step | acceptance | ms/token |\n|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.drafts} | <${r.expansion}> | ${r.verifier} (T=${r.temperature}) | ${r.tokensPerStep.toFixed(2)} | ${r.acceptance.toFixed(3)} | ${r.msPerToken.toFixed(3)} |`,
    );
  }
  const out = path.resolve('results/bench/speculation.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), workload, maxTokens, rows }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

await main();

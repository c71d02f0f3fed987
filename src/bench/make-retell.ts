/**
 * `node dist/src/bench/make-retell.js`: makes the retell workload from
 * stories260K's own outputs. Story i continues story-openings prompt i
 * (up to STORY_TOKENS tokens; greedy for even i, sampled at temperature
 * SAMPLED_TEMPERATURE for odd i, seeded); request i is the story's start
 * (its first third, at least FIRST_SENTENCES sentences), to be continued,
 * with the story as its only reference. Writes experiments/workloads/retell.jsonl
 * and the stories, one document per blank-line-separated paragraph, to
 * experiments/corpora/stories260K-stories.txt. Deterministic: the same
 * models and seed give the same files.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../core/rng.js';
import { decodeSpeculative } from '../decode/speculative.js';
import { buildRun } from '../harness/components.js';
import { readWorkload, workloadsDir, type WorkloadPrompt } from '../harness/workload.js';
import { decodeText } from '../model/formats/tokenizer.js';
import { speculatorConfig } from '../speculators/registry.js';
import { GREEDY, type SamplingParams } from '../sampling/params.js';

const TARGET = 'stories260K';
const STORIES = 24;
const STORY_TOKENS = 256;
const SAMPLED_TEMPERATURE = 0.8;
const FIRST_SENTENCES = 3;
const SEED = 7;

/** Story i: greedy (even i) or sampled (odd i) continuation of its opening, opening included, one paragraph. */
async function writeStories(openings: readonly WorkloadPrompt[]): Promise<string[]> {
  const sampled: SamplingParams = { temperature: SAMPLED_TEMPERATURE, topK: 0, topP: 1 };
  const spec = { target: TARGET, speculator: speculatorConfig('none'), maxNodes: 0, allowLossy: false, engine: {} };
  const runs = [await buildRun({ ...spec, verifier: { kind: 'greedy' }, sampling: GREEDY }), await buildRun({ ...spec, verifier: { kind: 'mss' }, sampling: sampled })];
  const stories: string[] = [];
  for (const [i, o] of openings.entries()) {
    const run = runs[i % 2];
    const tok = run.tokenizer;
    const prompt = tok.encode(o.prompt, { bos: true });
    const { outputs } = await decodeSpeculative(run.target, run.speculator, run.verifier, [{ prompt, rng: createRng(SEED).fork(o.id) }], {
      maxTokens: STORY_TOKENS,
      stopTokens: [tok.bosId, tok.eosId],
      sampling: i % 2 === 0 ? GREEDY : sampled,
      maxNodes: 0,
    });
    stories.push(oneParagraph(decodeText(tok, [...prompt, ...outputs[0].tokens])));
  }
  for (const r of runs) await r.dispose();
  return stories;
}

/** The text with every run of blank lines and line breaks as one space (a story is one corpus document). */
export function oneParagraph(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Sentences of a text (ending in . ! or ?, closing quotes kept), trimmed. */
export function sentences(text: string): string[] {
  return (text.match(/[^.!?]+[.!?]+["']?/g) ?? [text]).map((s) => s.trim()).filter((s) => s !== '');
}

/** The request of a story: its first `count` sentences (at least a third of them), to be continued; the story is its reference. */
export function retellRequest(id: string, story: string, count: number): { id: string; prompt: string; references: string[] } {
  const all = sentences(story);
  const end = Math.min(all.length, Math.max(count, Math.ceil(all.length / 3)));
  return { id, prompt: all.slice(0, end).join(' '), references: [story] };
}

async function main(): Promise<void> {
  const openings = readWorkload('story-openings').slice(0, STORIES);
  const stories = await writeStories(openings);
  const root = path.resolve(workloadsDir(), '..');
  mkdirSync(path.join(root, 'corpora'), { recursive: true });
  writeFileSync(path.join(root, 'corpora', 'stories260K-stories.txt'), `${stories.join('\n\n')}\n`);
  const lines = stories.map((s, i) => JSON.stringify(retellRequest(`retell-${String(i).padStart(2, '0')}`, s, FIRST_SENTENCES)));
  writeFileSync(path.join(workloadsDir(), 'retell.jsonl'), `${lines.join('\n')}\n`);
  console.log(`${stories.length} stories, ${lines.length} requests written under ${root}`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();

/**
 * Greedy text of our engine against llama.cpp (node-llama-cpp's prebuilt CPU
 * build) on the same GGUF file: stories260K exported by our writer at f32,
 * q8_0 and q4_0, the eight conformance prompts, 48 new tokens each.
 *
 * f32: the two must agree token for token. Quantized: both engines quantize
 * activations to int8 for their dot products, each its own way, so a
 * near-tie of two logits may resolve differently. Where the texts part, our
 * logit of our token minus our logit of llama.cpp's token (the gap llama.cpp
 * crossed) must be within GAP_TOL (docs/quantization.md#greedy-text-against-llamacpp).
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { argmax } from '../../src/core/math.js';
import { loadPeerModel, peerSystem } from '../../src/bench/peer-llama.js';
import { EngineModel } from '../../src/engine/model.js';
import { writeGguf, type GgufDtype } from '../../src/model/formats/gguf-writer.js';
import { loadModelAs, modelVocab } from '../../src/model/models.js';
import { EMPTY_TREE } from '../../src/tree/tree.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';

const NEW_TOKENS = 48;

/**
 * Largest gap at a divergence: our logits are within 0.5 of float math on the
 * same weights (test/engine/quant-forward.test.ts, accuracy_level 4), and so,
 * we assume, are llama.cpp's (same int8-per-32 activation scheme). If our
 * token a and its token b part, float math's a - b lies within its 1.0 band of
 * llama.cpp's (<= 0) and ours within 1.0 of float math's: 2.0 in all.
 */
const GAP_TOL = 2.0;

interface Agreement {
  readonly agreed: number;
  /** Our logit of our token minus ours of llama.cpp's (of its best stop token if it stopped), where they part; undefined if they never do. */
  readonly gap?: number;
}

/** Our greedy run along llama.cpp's tokens `peer`, up to the first disagreement. */
async function compare(model: EngineModel, prompt: Int32Array, peer: readonly number[], stops: readonly number[]): Promise<Agreement> {
  const seq = await model.open(prompt);
  for (let i = 0; i < NEW_TOKENS; i++) {
    const row = (await seq.score(EMPTY_TREE)).row(0);
    const ours = argmax(row);
    const theirs = i < peer.length ? peer[i] : undefined;
    if (theirs === undefined) return stops.includes(ours) ? { agreed: i } : { agreed: i, gap: row[ours] - Math.max(...stops.map((s) => row[s])) };
    if (ours !== theirs) return { agreed: i, gap: row[ours] - row[theirs] };
    seq.commit(new Int32Array(0), ours);
  }
  return { agreed: NEW_TOKENS };
}

describe('greedy text against llama.cpp on the same GGUF file (stories260K)', function () {
  this.timeout(300000);
  let dir = '';
  before(() => {
    useTestModelsDir();
    dir = mkdtempSync(path.join(tmpdir(), 'specinfer-agree-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const dtype of ['F32', 'Q8_0', 'Q4_0'] as const satisfies readonly GgufDtype[]) {
    it(`${dtype}: ${dtype === 'F32' ? 'every token equal' : `tokens agree, and where they part the gap is <= ${GAP_TOL}`}`, async () => {
      const src = await loadModelAs('stories260K');
      const file = path.join(dir, `stories260K-${dtype}.gguf`);
      writeGguf(file, src.weights, modelVocab(src), { dtype, name: 'stories260K' });
      const m = await loadModelAs(file);
      const stops = [m.tokenizer.bosId, m.tokenizer.eosId];
      const model = await EngineModel.create({ id: file, weights: m.weights, bosId: m.tokenizer.bosId, eosIds: [m.tokenizer.eosId] }, { threads: 1 });
      const peerModel = await loadPeerModel(file);
      const peer = await peerSystem(peerModel, null, { mode: 'incremental', threads: 1 }, m.weights.config.maxSeqLen);
      const results: Agreement[] = [];
      try {
        for (const prompt of encodeAll(m.tokenizer, CONFORMANCE_PROMPTS)) {
          results.push(await compare(model, prompt, await peer.generate(prompt, NEW_TOKENS, stops), stops));
        }
      } finally {
        await peer.dispose();
        await peerModel.dispose();
        await model.dispose();
      }
      const agreed = results.reduce((s, r) => s + r.agreed, 0);
      const gaps = results.flatMap((r) => (r.gap === undefined ? [] : [r.gap]));
      console.log(`      ${dtype}: ${agreed} tokens agreed before the texts part; gaps where they part: [${gaps.map((g) => g.toFixed(3)).join(', ')}]`);
      if (dtype === 'F32') expect(gaps).to.deep.equal([]);
      for (const g of gaps) expect(g).to.be.within(0, GAP_TOL);
      expect(agreed).to.be.greaterThan(CONFORMANCE_PROMPTS.length);
    });
  }
});

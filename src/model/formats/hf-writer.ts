import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TokenizerError } from '../../core/errors.js';
import type { LlamaWeights } from '../weights.js';
import type { Llama2cVocab } from './llama2c-vocab.js';
import { writeSafetensors, type SafetensorsDtype, type SafetensorsInput } from './safetensors.js';
import { pairsToRotateHalf } from './hf.js';
import { SPM_SPACE } from './hf-tokenizer.js';

export interface HfWriteOptions {
  /** Storage type of model.safetensors (default F32; F16/BF16 round to nearest even). */
  readonly dtype?: SafetensorsDtype;
  /** rms_norm_eps written to config.json (default: weights.config.normEps). */
  readonly normEps?: number;
}

const TORCH_DTYPE: Record<SafetensorsDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };
/** llama2.c's fixed special ids (run.c hard-codes BOS 1 and EOS 2) and their HF names. */
const SPECIALS = ['<unk>', '<s>', '</s>'] as const;

/**
 * Writes a Hugging Face Llama folder that loadHfFolder reads back exactly:
 * config.json, model.safetensors (q_proj / k_proj rows permuted into the HF
 * rotate-half layout; lm_head.weight only when the classifier is not tied),
 * tokenizer.json and tokenizer_config.json converted from the llama2.c
 * vocabulary (see hfTokenizerFiles). Creates `dir` if needed.
 */
export function writeHfFolder(dir: string, weights: LlamaWeights, vocab: Llama2cVocab, opts: HfWriteOptions = {}): void {
  const c = weights.config;
  if (vocab.pieces.length !== c.vocabSize) {
    throw new TokenizerError(vocab.file, `the vocabulary has ${vocab.pieces.length} pieces but the model has vocab size ${c.vocabSize}`);
  }
  const sp = vocab.special;
  if (sp && (sp.unkId !== 0 || sp.bosId !== 1 || sp.eosId !== 2 || sp.controlIds.some((id) => id > 2))) {
    throw new TokenizerError(
      vocab.file,
      `special tokens (unk ${sp.unkId}, BOS ${sp.bosId}, EOS ${sp.eosId}, control ${sp.controlIds.join(' ')}) are not the llama2.c layout (0, 1, 2) that the Hugging Face writer supports`,
    );
  }
  const dtype = opts.dtype ?? 'F32';
  const tied = weights.classifier === weights.tokenEmbedding;
  mkdirSync(dir, { recursive: true });
  const json = (name: string, value: unknown): void => writeFileSync(path.join(dir, name), JSON.stringify(value, null, 2) + '\n');
  json('config.json', hfConfigJson(weights, dtype, opts.normEps ?? c.normEps));
  writeSafetensors(path.join(dir, 'model.safetensors'), hfTensors(weights, tied), dtype);
  const { tokenizerJson, tokenizerConfig } = hfTokenizerFiles(vocab, c.maxSeqLen);
  json('tokenizer.json', tokenizerJson);
  json('tokenizer_config.json', tokenizerConfig);
}

function hfConfigJson(w: LlamaWeights, dtype: SafetensorsDtype, normEps: number): Record<string, unknown> {
  const c = w.config;
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: c.dim / c.nHeads,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: normEps,
    rope_theta: c.ropeTheta,
    rope_scaling: null,
    tie_word_embeddings: w.classifier === w.tokenEmbedding,
    hidden_act: 'silu',
    attention_bias: false,
    attention_dropout: 0.0,
    mlp_bias: false,
    initializer_range: 0.02,
    pretraining_tp: 1,
    use_cache: true,
    bos_token_id: 1,
    eos_token_id: 2,
    torch_dtype: TORCH_DTYPE[dtype],
  };
}

/** The HF tensors of `w` (float32; the writer converts to the file dtype). */
function hfTensors(w: LlamaWeights, tied: boolean): SafetensorsInput[] {
  const c = w.config;
  const hd = c.dim / c.nHeads;
  const out: SafetensorsInput[] = [{ name: 'model.embed_tokens.weight', shape: [c.vocabSize, c.dim], data: w.tokenEmbedding }];
  w.layers.forEach((l, i) => {
    const p = `model.layers.${i}.`;
    const t = (name: string, shape: number[], data: Float32Array): void => void out.push({ name: p + name, shape, data });
    t('input_layernorm.weight', [c.dim], l.attnNorm);
    t('self_attn.q_proj.weight', [c.nHeads * hd, c.dim], pairsToRotateHalf(l.wq, c.nHeads, hd, c.dim));
    t('self_attn.k_proj.weight', [c.nKvHeads * hd, c.dim], pairsToRotateHalf(l.wk, c.nKvHeads, hd, c.dim));
    t('self_attn.v_proj.weight', [c.nKvHeads * hd, c.dim], l.wv);
    t('self_attn.o_proj.weight', [c.dim, c.nHeads * hd], l.wo);
    t('post_attention_layernorm.weight', [c.dim], l.ffnNorm);
    t('mlp.gate_proj.weight', [c.hiddenDim, c.dim], l.w1);
    t('mlp.down_proj.weight', [c.dim, c.hiddenDim], l.w2);
    t('mlp.up_proj.weight', [c.hiddenDim, c.dim], l.w3);
  });
  out.push({ name: 'model.norm.weight', shape: [c.dim], data: w.finalNorm });
  if (!tied) out.push({ name: 'lm_head.weight', shape: [c.vocabSize, c.dim], data: w.classifier });
  return out;
}

// ---------------------------------------------------------------- tokenizer

/**
 * The HF piece string of every llama2.c piece, and whether BPE may produce it.
 *
 * - ids 0, 1, 2 become "<unk>", "<s>", "</s>" (tok512.bin spells them "\n<s>\n" ...);
 * - UTF-8 pieces get ' ' replaced by U+2581 (the byte pieces `<0xNN>` stay as they are);
 * - a piece that is not valid UTF-8, or that contains U+2581 itself (which the
 *   HF Llama format cannot tell from a space), is spelled as the run of its
 *   bytes `<0xNN><0xMM>...`: it decodes to its exact bytes (HfTokenizer) but is
 *   never produced by encoding. run.c cannot produce a non-UTF-8 piece either
 *   (merges join whole characters), so only the U+2581 case differs from run.c.
 * Two pieces with the same spelling are an error (the HF vocab is a map).
 */
function hfPieces(vocab: Llama2cVocab): { pieces: string[]; mergeable: boolean[] } {
  const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const mergeable: boolean[] = [];
  const pieces = vocab.pieces.map((bytes, id) => {
    mergeable.push(false);
    if (id < SPECIALS.length) return SPECIALS[id];
    let text: string;
    try {
      text = utf8.decode(bytes);
    } catch {
      return byteSpelling(bytes);
    }
    if (text.includes(SPM_SPACE)) return byteSpelling(bytes);
    mergeable[id] = true;
    return text.replaceAll(' ', SPM_SPACE);
  });
  const seen = new Map<string, number>();
  pieces.forEach((p, id) => {
    const first = seen.get(p);
    if (first !== undefined) {
      throw new TokenizerError(vocab.file, `pieces ${first} and ${id} are both ${JSON.stringify(p)} in the Hugging Face spelling`);
    }
    seen.set(p, id);
  });
  return { pieces, mergeable };
}

function byteSpelling(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`).join('');
}

/**
 * BPE merges equivalent to run.c's merge rule, as HF's SentencePieceExtractor
 * derives them: every split of a piece into two pieces (at a character
 * boundary) is a merge; merges are ranked by the merged piece's score,
 * highest first (ties: lower piece id, then shorter left part). So the BPE
 * rank order is run.c's score order. Only exception: run.c gives all splits
 * of one piece (and pieces of equal score) the same priority and takes the
 * leftmost candidate pair, while BPE ranks them apart; it matters only when two
 * such candidate pairs exist at once (never seen with tok512.bin).
 */
function bpeMerges(pieces: readonly string[], mergeable: readonly boolean[], scores: Float32Array): [string, string][] {
  const known = new Set(pieces.filter((_, id) => mergeable[id]));
  const found: { left: string; right: string; score: number; id: number; k: number }[] = [];
  pieces.forEach((p, id) => {
    if (!mergeable[id]) return;
    const chars = Array.from(p);
    for (let k = 1; k < chars.length; k++) {
      const left = chars.slice(0, k).join('');
      const right = chars.slice(k).join('');
      if (known.has(left) && known.has(right)) found.push({ left, right, score: scores[id], id, k });
    }
  });
  found.sort((a, b) => b.score - a.score || a.id - b.id || a.k - b.k);
  return found.map((m) => [m.left, m.right]);
}

/**
 * tokenizer.json and tokenizer_config.json for a llama2.c vocabulary, in the
 * shape of Hugging Face's (pre-Llama-3) Llama tokenizer: SentencePiece-style
 * BPE with byte fallback, normalizer Prepend("▁") + Replace(" " -> "▁"), no
 * pre-tokenizer, a post-processor that adds <s>, and the decoder
 * Replace("▁" -> " "), ByteFallback, Fuse, Strip(one leading " ").
 */
function hfTokenizerFiles(vocab: Llama2cVocab, maxSeqLen: number): { tokenizerJson: object; tokenizerConfig: object } {
  const { pieces, mergeable } = hfPieces(vocab);
  const added = SPECIALS.map((content, id) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  }));
  const replace = (from: string, to: string): object => ({ type: 'Replace', pattern: { String: from }, content: to });
  const bos = (typeId: number): object => ({ SpecialToken: { id: '<s>', type_id: typeId } });
  const seq = (id: string, typeId: number): object => ({ Sequence: { id, type_id: typeId } });
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPM_SPACE }, replace(' ', SPM_SPACE)] },
    pre_tokenizer: null,
    post_processor: {
      type: 'TemplateProcessing',
      single: [bos(0), seq('A', 0)],
      pair: [bos(0), seq('A', 0), bos(1), seq('B', 1)],
      special_tokens: { '<s>': { id: '<s>', ids: [1], tokens: ['<s>'] } },
    },
    decoder: {
      type: 'Sequence',
      decoders: [replace(SPM_SPACE, ' '), { type: 'ByteFallback' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: '<unk>',
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: true,
      ignore_merges: false,
      vocab: Object.fromEntries(pieces.map((p, id) => [p, id])),
      merges: bpeMerges(pieces, mergeable, vocab.scores),
    },
  };
  const tokenizerConfig = {
    tokenizer_class: 'LlamaTokenizer',
    add_bos_token: true,
    add_eos_token: false,
    bos_token: '<s>',
    eos_token: '</s>',
    unk_token: '<unk>',
    pad_token: null,
    legacy: true,
    clean_up_tokenization_spaces: false,
    spaces_between_special_tokens: false,
    model_max_length: maxSeqLen,
    sp_model_kwargs: {},
    added_tokens_decoder: Object.fromEntries(added.map(({ id, ...rest }) => [String(id), rest])),
  };
  return { tokenizerJson, tokenizerConfig };
}

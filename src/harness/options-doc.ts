/**
 * docs/options.md: every speculator kind's and tree policy's options (name,
 * default, description) and every verifier with the trees and sampling it
 * is exact for, rendered from their definitions.
 * `npm run docs:options` rewrites it (so does `npm run build`); a test checks the checked-in file is current.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { SPECULATOR_DEFINITIONS } from '../speculators/registry.js';
import type { TreeTraits } from '../tree/draft-tree.js';
import { POLICY_DEFINITIONS } from '../tree/policies.js';
import { VERIFIER_DEFINITIONS, type VerifierDefinition } from '../verifiers/index.js';
import { flagOf, type FlagRoot } from './option-flags.js';
import { packagePath } from './schema-file.js';

type ChildKind = TreeTraits['children'];
type Shape = Readonly<Record<string, { readonly description?: string }>>;

/** One kind's heading, description and options table (with each option's `specinfer generate` flag). */
function section(root: FlagRoot, kind: string, description: string, shape: Shape, defaults: object): string {
  const names = Object.keys(shape).filter((n) => n !== 'kind');
  const values = new Map(Object.entries(defaults));
  const head = `### \`${kind}\`\n\n${description}\n`;
  if (names.length === 0) return `${head}\nNo options.\n`;
  const flag = (n: string) => `\`--${flagOf(root, kind, n) ?? `set ${root}.${n}=...`}\``;
  const rows = names.map((n) => `| \`${n}\` | ${defaultText(values.get(n))} | ${cell(shape[n].description ?? '')} | ${flag(n)} |`);
  return `${head}\n| option | default | description | generate flag |\n|---|---|---|---|\n${rows.join('\n')}\n`;
}

function defaultText(value: unknown): string {
  return value === undefined ? '(none)' : `\`${JSON.stringify(value)}\``;
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

const SAMPLED_CHILDREN: readonly ChildKind[] = ['sampled', 'distinct', 'deterministic', 'mixed'];

/** 'yes' when exact for trees (and so chains) with such children at temperature `t`, 'chains' when for chains only, else 'no'. */
function exactness(v: VerifierDefinition, children: ChildKind, t: number): string {
  const sampling = { temperature: t, topK: 0, topP: 1 };
  if (v.exactFor({ children, chain: false }, sampling)) return 'yes';
  return v.exactFor({ children, chain: true }, sampling) ? 'chains' : 'no';
}

/** The verifiers table: what each does and, from its exactFor(), which trees it is exact for. */
function verifierTable(): string {
  const rows = VERIFIER_DEFINITIONS.map((v) => {
    const cells = [exactness(v, 'deterministic', 0), ...SAMPLED_CHILDREN.map((c) => exactness(v, c, 1))];
    return `| \`${v.kind}\` | ${cell(v.description)} | ${cells.join(' | ')} | ${v.withoutReplacement ? 'without replacement' : 'with replacement'} |`;
  });
  return [
    'Exact: the emitted tokens follow the target\'s distribution (at T = 0: equal greedy decoding). "yes": for trees and chains; "chains": for chains only (one child and one draw per node).',
    'Children are `deterministic` for model-free speculators and top-k draws, `sampled` for draws from draft logits at T > 0, `distinct` for draws without replacement (what the tree policies draw under a verifier that asks for it), `mixed` for hybrids of both.',
    '',
    '| verifier | what it does | T = 0 | T > 0, sampled | distinct | deterministic | mixed | sampled siblings drawn |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

/** The file's text. */
export function optionsDocText(): string {
  const speculators = SPECULATOR_DEFINITIONS.map((d) => section('speculator', d.kind, d.description, d.options.shape as Readonly<Record<string, z.ZodType>>, d.defaults()));
  const policies = POLICY_DEFINITIONS.map((d) => section('policy', d.kind, d.description, d.options.shape as Readonly<Record<string, z.ZodType>>, d.defaults()));
  return [
    '# Options of every speculator, tree policy and verifier',
    '',
    'Generated from the definitions (src/speculators/kinds/, src/tree/kinds/, src/verifiers/kinds/) by `npm run docs:options`; do not edit by hand.',
    'In an experiment file they go under `speculator:` (with `kind`), `policy:` and `verifier:`; in `specinfer generate`, as the flag listed (generated from the option: `--KIND-OPTION`, a policy option several policies share as `--OPTION`) or as `--set speculator.NAME=VALUE` / `--set policy.NAME=VALUE`.',
    '',
    '## Speculators',
    '',
    speculators.join('\n'),
    '## Tree policies',
    '',
    policies.join('\n'),
    '## Verifiers',
    '',
    verifierTable(),
  ].join('\n');
}

/** docs/options.md of this package. */
export function optionsDocPath(): string {
  return packagePath('docs/options.md');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  writeFileSync(optionsDocPath(), optionsDocText());
  console.log(`wrote ${path.relative(process.cwd(), optionsDocPath())}`);
}

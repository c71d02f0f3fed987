/**
 * docs/options.md: every speculator kind's and tree policy's options (name,
 * default, description), rendered from their definitions.
 * `npm run docs:options` rewrites it; a test checks the checked-in file is current.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { SPECULATOR_DEFINITIONS } from '../speculators/registry.js';
import { POLICY_DEFAULTS, POLICY_KINDS, policySchema } from '../tree/policies.js';
import { packagePath } from './schema-file.js';

/** One kind's heading, description and options table. */
function section(kind: string, description: string, shape: Readonly<Record<string, { readonly description?: string }>>, defaults: object): string {
  const names = Object.keys(shape).filter((n) => n !== 'kind');
  const values = new Map(Object.entries(defaults));
  const head = `### \`${kind}\`\n\n${description}\n`;
  if (names.length === 0) return `${head}\nNo options.\n`;
  const rows = names.map((n) => `| \`${n}\` | ${defaultText(values.get(n))} | ${cell(shape[n].description ?? '')} |`);
  return `${head}\n| option | default | description |\n|---|---|---|\n${rows.join('\n')}\n`;
}

function defaultText(value: unknown): string {
  return value === undefined ? '(none)' : `\`${JSON.stringify(value)}\``;
}

/** Text safe inside a Markdown table cell. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/** The file's text. */
export function optionsDocText(): string {
  const speculators = SPECULATOR_DEFINITIONS.map((d) => section(d.kind, d.description, d.options.shape as Readonly<Record<string, z.ZodType>>, d.defaults()));
  const policies = POLICY_KINDS.map((kind) => {
    const schema = policySchema.options.find((o) => o.shape.kind.value === kind);
    if (schema === undefined) throw new Error(`no schema for tree policy '${kind}'`);
    return section(kind, schema.description ?? '', schema.shape, POLICY_DEFAULTS[kind]);
  });
  return [
    '# Options of every speculator and tree policy',
    '',
    'Generated from the definitions (src/speculators/kinds/, src/tree/policy-schema.ts) by `npm run docs:options`; do not edit by hand.',
    'In an experiment file they go under `speculator:` (with `kind`) and `policy:`; in `specinfer generate`, as `--set speculator.NAME=VALUE` or `--set policy.NAME=VALUE`.',
    '',
    '## Speculators',
    '',
    speculators.join('\n'),
    '## Tree policies',
    '',
    policies.join('\n'),
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

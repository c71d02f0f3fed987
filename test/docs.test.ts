/**
 * The documentation's relative links: every link and image in README.md,
 * configs/README.md and docs/*.md points to a file or folder that exists, and
 * every `#anchor` into a Markdown file names one of its headings (GitHub's
 * slugs), so moving text between documents cannot leave a broken link.
 */
import { expect } from 'chai';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A link as written: its target (path and optional `#anchor`) and its 1-based line. */
interface Link {
  target: string;
  line: number;
}

/** Each line outside fenced code blocks as written; fence lines and fenced lines are null (numbers kept). */
function unfencedLines(md: string): (string | null)[] {
  let fenced = false;
  return md.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return null;
    }
    return fenced ? null : line;
  });
}

/** Inline links and images, `[text](target)` and `![alt](target)`, outside code. */
export function markdownLinks(md: string): Link[] {
  const links: Link[] = [];
  unfencedLines(md).forEach((line, i) => {
    const prose = (line ?? '').replace(/`[^`]*`/g, '``');
    for (const m of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: m[1], line: i + 1 });
  });
  return links;
}

/** GitHub's anchor of one heading text: lower case, punctuation dropped, spaces as hyphens. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*_]{1,2}([^`*_]+)[`*_]{1,2}/g, '$1')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

/** The anchors of a Markdown file's headings, in order; a repeated slug gets -1, -2, ... as on GitHub. */
export function headingAnchors(md: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of unfencedLines(md)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line ?? '');
    if (!m) continue;
    const slug = githubSlug(m[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Problems of the relative links of `file` (its path under `root`, text `md`), one line each; `read` reads a linked Markdown file. */
export function brokenLinks(root: string, file: string, md: string, read: (p: string) => string): string[] {
  const problems: string[] = [];
  for (const { target, line } of markdownLinks(md)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const [rel, anchor] = target.split('#', 2);
    const where = `${file}:${line}: ${target}`;
    const resolved = path.join(root, path.dirname(file), decodeURIComponent(rel));
    if (rel !== '' && !existsSync(resolved)) {
      problems.push(`${where}: no such file`);
      continue;
    }
    const anchored = rel === '' ? md : resolved.endsWith('.md') ? read(resolved) : undefined;
    if (anchor !== undefined && anchored !== undefined && !headingAnchors(anchored).has(anchor)) {
      problems.push(`${where}: no heading with anchor #${anchor}`);
    }
  }
  return problems;
}

/** README.md, configs/README.md and every docs/*.md, relative to ROOT. */
function documents(): string[] {
  const docs = readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`);
  return ['README.md', 'configs/README.md', ...docs];
}

const readText = (p: string): string => readFileSync(p, 'utf8');

describe('documentation links', () => {
  it('slugs headings as GitHub does', () => {
    const table: [string, string][] = [
      ['Performance against llama.cpp', 'performance-against-llamacpp'],
      ['stories260K-x78M: a target with a realistic cost', 'stories260k-x78m-a-target-with-a-realistic-cost'],
      ['GGUF, and exporting models', 'gguf-and-exporting-models'],
      ['`specinfer models pull`', 'specinfer-models-pull'],
      ['Mapping onto MatMulNBits (src/model/quant-nbits.ts)', 'mapping-onto-matmulnbits-srcmodelquant-nbitsts'],
      ['accuracy_level: 4 by default', 'accuracy_level-4-by-default'],
      ['`--shard auto`: the shard from the scheduler', '--shard-auto-the-shard-from-the-scheduler'],
      ['Design: terms, the tree forward', 'design-terms-the-tree-forward'],
    ];
    for (const [heading, slug] of table) expect(githubSlug(heading), heading).to.equal(slug);
  });

  it('numbers repeated headings -1, -2 and reads headings inside code as code', () => {
    const md = '# A\n## Tests\n```\n# not a heading\n```\n### Tests\n## Tests\n## `x.y` z\n';
    expect([...headingAnchors(md)]).to.deep.equal(['a', 'tests', 'tests-1', 'tests-2', 'xy-z']);
  });

  it('finds links and images outside code, with their lines', () => {
    const md = 'see [a](x.md#b) and ![img](p.png)\n`[no](code.md)`\n```\n[no](fence.md)\n```\n[web](https://example.org) [c](#top)\n';
    expect(markdownLinks(md)).to.deep.equal([
      { target: 'x.md#b', line: 1 },
      { target: 'p.png', line: 1 },
      { target: 'https://example.org', line: 6 },
      { target: '#top', line: 6 },
    ]);
  });

  it('reports a missing file, a missing anchor and a missing in-page anchor', () => {
    const md = '# Top\n[a](missing.md)\n[b](design.md#no-such-heading)\n[c](#nowhere)\n[d](design.md#layers) [e](#top) [f](../README.md)\n';
    expect(brokenLinks(ROOT, 'docs/x.md', md, readText)).to.deep.equal([
      'docs/x.md:2: missing.md: no such file',
      'docs/x.md:3: design.md#no-such-heading: no heading with anchor #no-such-heading',
      'docs/x.md:4: #nowhere: no heading with anchor #nowhere',
    ]);
  });

  for (const file of documents()) {
    it(`${file}: every relative link and image exists`, () => {
      expect(brokenLinks(ROOT, file, readText(path.join(ROOT, file)), readText)).to.deep.equal([]);
    });
  }
});

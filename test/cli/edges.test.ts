import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { oneErrorLine, specinfer } from './cli.js';

const TINY = `name: edges-tiny
target: stories260K
workload: story-openings
promptsPerWorkload: 2
maxTokens: 8
seeds: [1]
warmupTokens: 0
sweep:
  speculator: [{kind: suffix}]
`;

describe('CLI edges: one error line, no stack trace', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'specinfer-edges-'));
  const file = path.join(dir, 'tiny.yaml');
  const plain = path.join(dir, 'plain.txt');
  writeFileSync(file, TINY);
  writeFileSync(plain, 'a regular file\n');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const commands: Record<string, (out: string) => string[]> = {
    run: (out) => ['run', file, '--out', out],
    export: (out) => ['export', 'random:tiny', '--format', 'gguf', '--out', out],
    'export --format hf': (out) => ['export', 'random:tiny', '--format', 'hf', '--out', out],
    report: (out) => ['report', 'test/fixtures/run-small', '--out', out],
    trace: (out) => ['trace', file, '--out', out],
  };
  for (const [name, args] of Object.entries(commands)) {
    it(`${name} --out inside a regular file: one line naming the file, exit 1, nothing written`, async () => {
      const r = await specinfer(args(path.join(plain, 'x')));
      expect(r.code, r.stderr).to.equal(1);
      expect(oneErrorLine(r.stderr)).to.include(`: ${plain} is a file, not a folder; choose another --out`);
      expect(r.stdout).to.equal('');
    });
  }

  it('run --out where mkdir fails under an existing folder (/proc) ends at once with one line', async function () {
    if (!existsSync('/proc/self')) this.skip();
    const r = await specinfer(['run', file, '--out', '/proc/specinfer-out'], 20_000);
    expect(r.killed, 'still running after 20 s').to.equal(false);
    expect(r.code).to.equal(1);
    expect(oneErrorLine(r.stderr)).to.equal('specinfer: cannot create the folder /proc/specinfer-out: the file system does not allow a folder there; choose another --out');
  });
});

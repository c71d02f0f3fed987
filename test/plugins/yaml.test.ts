/**
 * Plugins named by an experiment file (`plugins:`): the bigram speculator of
 * test/plugins/bigram.ts loaded from test/plugins/bigram.yaml through
 * `specinfer validate`, `specinfer run`, the library's runExperiment and the
 * conformance check; each way a plugin entry can fail, with its message;
 * and config schemas that see kinds registered after their first use.
 */
import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { cellConfigSchema, experimentJsonSchema } from '../../src/harness/experiment.js';
import { loadExperiment, openExperiment } from '../../src/harness/load.js';
import { unloadPlugins } from '../../src/harness/plugins.js';
import { readJsonl } from '../../src/harness/results.js';
import { runExperiment } from '../../src/harness/run.js';
import { loadModel } from '../../src/model/models.js';
import { registerSpeculator, SPECULATOR_DEFINITIONS } from '../../src/speculators/registry.js';
import { specinfer } from '../cli/cli.js';
import { incrementalOutputs } from '../support/conformance.js';
import { engineModel } from '../support/engine-models.js';
import { useTestModelsDir } from '../support/models-dir.js';
import { CONFORMANCE_PROMPTS, encodeAll } from '../support/prompts.js';
import { checkConformance, conformanceCases } from '../support/registry-conformance.js';
import { bigramSpeculator } from './bigram.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
/** The library entry point, for plugin modules written into temporary folders. */
const INDEX = pathToFileURL(path.join(ROOT, 'dist/src/index.js')).href;
/** test/plugins/bigram.yaml copied beside the compiled bigram.js. */
const BIGRAM_YAML = path.join(HERE, 'bigram.yaml');

describe('plugins: an experiment file names modules whose definitions join the registry', () => {
  let tmp = '';
  before(() => {
    useTestModelsDir();
    copyFileSync(path.join(ROOT, 'test/plugins/bigram.yaml'), BIGRAM_YAML);
    tmp = mkdtempSync(path.join(os.tmpdir(), 'specinfer-plugins-'));
  });
  after(() => {
    unloadPlugins();
    rmSync(tmp, { recursive: true, force: true });
  });

  describe('the bigram speculator from test/plugins/bigram.yaml', () => {
    it('specinfer validate imports it and checks the file', async () => {
      const r = await specinfer(['validate', BIGRAM_YAML]);
      expect(r.stderr).to.equal('');
      expect(r.stdout).to.equal(`${BIGRAM_YAML}: ok: bigram, 2 cells (1 + 1 baseline), measure decode, workloads story-openings\n`);
    });

    it('specinfer run runs it: its cell has the bigram speculator, with its options', async () => {
      const out = path.join(tmp, 'cli-run');
      const r = await specinfer(['run', BIGRAM_YAML, '--out', out]);
      expect(r.code, r.stderr).to.equal(0);
      const resolved = readFileSync(path.join(out, 'config.resolved.yaml'), 'utf8');
      expect(resolved).to.include(`plugins: [ ${path.join(HERE, 'bigram.js')} ]`);
      expect(resolved).to.match(/kind: bigram\n\s+depth: 3/);
      const summary = readFileSync(path.join(out, 'summary.csv'), 'utf8').split('\n');
      expect(summary.filter((l) => l.startsWith('c000,'))).to.have.length(1);
      expect(summary.find((l) => l.startsWith('c000,'))).to.include(',bigram,chain,greedy,');
    });

    it("the library's runExperiment takes the file: the plugin's cell outputs equal the baseline's", async () => {
      const out = path.join(tmp, 'lib-run');
      const result = await runExperiment(BIGRAM_YAML, { out });
      expect(result.ran).to.deep.equal(['baseline-stories260K', 'c000']);
      const outputs = readJsonl<{ cell: string; prompt: string; tokens: number[] }>(path.join(out, 'outputs.jsonl'));
      const of = (cell: string) => outputs.filter((o) => o.cell === cell).map((o) => [o.prompt, o.tokens]);
      expect(of('c000')).to.have.length(2);
      expect(of('c000')).to.deep.equal(of('baseline-stories260K'));
    });

    it('the conformance check runs it (registered by the file): greedy speculative = greedy incremental', async () => {
      await openExperiment(BIGRAM_YAML);
      const bigram = SPECULATOR_DEFINITIONS.filter((d) => (d.kind as string) === 'bigram');
      expect(bigram).to.have.length(1);
      expect(bigram[0]).to.equal(bigramSpeculator);
      const target = await engineModel('stories260K');
      const prompts = encodeAll((await loadModel('stories260K')).tokenizer, CONFORMANCE_PROMPTS);
      const expected = await incrementalOutputs(target, prompts);
      await target.dispose();
      const cases = conformanceCases(bigram);
      expect(cases.length).to.be.above(0);
      for (const c of cases) await checkConformance(c, prompts, expected);
    });
  });

  describe('problems, each at its entry of plugins:', () => {
    /** Writes `files` (name -> text) into a new folder and loads its exp.yaml with openExperiment; the error's message. */
    async function problem(yaml: string, files: Readonly<Record<string, string>> = {}): Promise<{ dir: string; message: string }> {
      const dir = mkdtempSync(path.join(tmp, 'case-'));
      for (const [name, text] of Object.entries(files)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), text);
      }
      writeFileSync(path.join(dir, 'exp.yaml'), `${yaml}target: stories260K\nworkload: story-openings\n`);
      try {
        await openExperiment(path.join(dir, 'exp.yaml'));
      } catch (e) {
        return { dir, message: (e as Error).message };
      }
      throw new Error('expected an error');
    }

    const speculatorModule = (kind: string) =>
      `import { defineSpeculator, z } from '${INDEX}';\nexport default defineSpeculator({ kind: '${kind}', description: 'x', options: { n: z.number().default(1) }, create: async () => { throw new Error('unused'); } });\n`;

    it('a missing file: its path, and the file it probably meant', async () => {
      const { dir, message } = await problem('# plugins\nplugins:\n  - ./bigrm.mjs\n', { 'bigram.mjs': 'export default 1;\n' });
      expect(message).to.equal(`${dir}/exp.yaml:3: plugins[0]: ./bigrm.mjs: no such file (${dir}/bigrm.mjs) (did you mean './bigram.mjs'?)`);
    });

    it('a package that is not installed', async () => {
      const { dir, message } = await problem('plugins: [specinfer-no-such-plugin]\n');
      expect(message).to.equal(
        `${dir}/exp.yaml:1: plugins[0]: specinfer-no-such-plugin: no such package from ${dir} (MODULE_NOT_FOUND): install it there, or give the module's path (./specinfer-no-such-plugin.mjs)`,
      );
    });

    it('a module exporting no definitions', async () => {
      const { dir, message } = await problem('plugins:\n  - ./empty.mjs\n', { 'empty.mjs': 'export const x = 1;\n' });
      expect(message).to.equal(
        `${dir}/exp.yaml:2: plugins[0]: ./empty.mjs: exports no definitions (export default defineSpeculator({...}), or export const definitions = [...] of definitions)`,
      );
    });

    it('a module exporting something else as its definitions', async () => {
      const { dir, message } = await problem('plugins: [./odd.mjs]\n', { 'odd.mjs': 'export const definitions = [42];\n' });
      expect(message).to.equal(`${dir}/exp.yaml:1: plugins[0]: ./odd.mjs: exports 42 that is not a definition (make definitions with defineSpeculator)`);
    });

    it('a definition whose kind is a built-in one', async () => {
      const { dir, message } = await problem('plugins: [./ngram.mjs]\n', { 'ngram.mjs': speculatorModule('ngram') });
      expect(message).to.equal(`${dir}/exp.yaml:1: plugins[0]: ./ngram.mjs: defines speculator 'ngram', a built-in kind: give it another kind`);
    });

    it('a policy definition not made with definePolicy; a built-in verifier kind', async () => {
      const wide = await problem('plugins: [./wide.mjs]\n', { 'wide.mjs': "export default { component: 'policy', kind: 'wide' };\n" });
      expect(wide.message).to.equal(`${wide.dir}/exp.yaml:1: plugins[0]: ./wide.mjs: defines policy 'wide' but was not made with definePolicy (it has no create())`);
      const mss = `import { defineVerifier, createVerifier } from '${INDEX}';\nexport default defineVerifier({ kind: 'mss', description: 'x', needs: 'x', create: () => createVerifier('mss') });\n`;
      const taken = await problem('plugins: [./mss.mjs]\n', { 'mss.mjs': mss });
      expect(taken.message).to.equal(`${taken.dir}/exp.yaml:1: plugins[0]: ./mss.mjs: defines verifier 'mss', a built-in kind: give it another kind`);
    });

    it('a tree policy plugin: the file names it under policy: and its options are checked', async () => {
      const dir = mkdtempSync(path.join(tmp, 'policy-'));
      const module = `import { createPolicy, definePolicy, policyConfig, z } from '${INDEX}';\nexport default definePolicy({ kind: 'wide', description: 'x', options: { width: z.number().int().min(1).default(4).describe('w') }, create: (c, d) => createPolicy(policyConfig('static', { expansion: [c.width, 1] }), d) });\n`;
      writeFileSync(path.join(dir, 'wide.mjs'), module);
      writeFileSync(
        path.join(dir, 'exp.yaml'),
        'plugins: [./wide.mjs]\ntarget: stories260K\nworkload: story-openings\nspeculator: {kind: ngram}\npolicy: {kind: wide, width: 2}\n',
      );
      const exp = await openExperiment(path.join(dir, 'exp.yaml'));
      expect(exp.cells.map((c) => [c.info.baseline, c.info.policy, c.config.policy])).to.deep.equal([
        [true, 'none', undefined],
        [false, 'wide', { kind: 'wide', width: 2 }],
      ]);
      writeFileSync(
        path.join(dir, 'bad.yaml'),
        'plugins: [./wide.mjs]\ntarget: stories260K\nworkload: story-openings\nspeculator: {kind: ngram}\npolicy: {kind: wide, width: 0}\n',
      );
      let message = '';
      await openExperiment(path.join(dir, 'bad.yaml')).catch((e: Error) => (message = e.message));
      expect(message).to.equal(`${dir}/bad.yaml:5: policy.width: must be >= 1, got 0`);
    });

    it('a module that fails to import', async () => {
      const { dir, message } = await problem('plugins: [./broken.mjs]\n', { 'broken.mjs': "throw new Error('no GPU here');\n" });
      expect(message).to.equal(`${dir}/exp.yaml:1: plugins[0]: ./broken.mjs: importing ${dir}/broken.mjs failed: no GPU here`);
    });

    it('every bad entry at once, each on its line; a list that is not one; a misspelt key', async () => {
      const { dir, message } = await problem('plugins:\n  - ./a.mjs\n  - ./b.mjs\n');
      expect(message).to.equal(
        `2 problems in ${dir}/exp.yaml:\n${dir}/exp.yaml:2: plugins[0]: ./a.mjs: no such file (${dir}/a.mjs)\n${dir}/exp.yaml:3: plugins[1]: ./b.mjs: no such file (${dir}/b.mjs)`,
      );
      const notList = await problem('plugins: ./a.mjs\n');
      expect(notList.message).to.equal(`${notList.dir}/exp.yaml:1: plugins: expected a list, got './a.mjs'`);
      const typo = await problem('plugin: [./a.mjs]\n');
      expect(typo.message).to.equal(`${typo.dir}/exp.yaml:1: plugin: unknown key 'plugin' (did you mean 'plugins'?)`);
    });

    it('loadExperiment (synchronous) on a file whose plugin was never imported says what to call', () => {
      const dir = mkdtempSync(path.join(tmp, 'sync-'));
      writeFileSync(path.join(dir, 'late.mjs'), speculatorModule('late'));
      const text = 'plugins: [./late.mjs]\ntarget: stories260K\nworkload: story-openings\n';
      expect(() => loadExperiment(path.join(dir, 'exp.yaml'), { text })).to.throw(
        `${dir}/exp.yaml:1: plugins[0]: ./late.mjs: not imported yet: load the file with openExperiment (asynchronous), or await loadPlugins(FILE) before loadExperiment`,
      );
    });

    it("a package found as Node finds it from the file's folder; the speculator it defines is then usable", async () => {
      const pkg = {
        'node_modules/specinfer-echo/package.json': JSON.stringify({ name: 'specinfer-echo', type: 'module', main: 'index.js' }),
        'node_modules/specinfer-echo/index.js': speculatorModule('echo'),
      };
      const dir = mkdtempSync(path.join(tmp, 'pkg-'));
      for (const [name, text] of Object.entries(pkg)) {
        mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        writeFileSync(path.join(dir, name), text);
      }
      writeFileSync(path.join(dir, 'exp.yaml'), 'plugins: [specinfer-echo]\ntarget: stories260K\nspeculator: {kind: echo, n: 2}\nworkload: story-openings\n');
      const cwd = process.cwd();
      process.chdir(dir);
      try {
        const exp = await openExperiment('exp.yaml');
        expect(exp.plugins).to.deep.equal([path.join(dir, 'node_modules/specinfer-echo/index.js')]);
        expect(exp.cells.map((c) => c.config.speculator)).to.deep.equal([{ kind: 'none' }, { kind: 'echo', n: 2 }]);
      } finally {
        process.chdir(cwd);
      }
    });

    it('a package whose exports offer an import entry only', async () => {
      const manifest = JSON.stringify({ name: 'specinfer-esm-only', type: 'module', exports: { import: './index.js' } });
      const { dir, message } = await problem('plugins: [specinfer-esm-only]\n', {
        'node_modules/specinfer-esm-only/package.json': manifest,
        'node_modules/specinfer-esm-only/index.js': speculatorModule('esm'),
      });
      expect(message).to.equal(
        `${dir}/exp.yaml:1: plugins[0]: specinfer-esm-only: the package's exports have no require or default entry: give the module's path (./node_modules/specinfer-esm-only/...)`,
      );
    });
  });
});

describe('config schemas see speculator kinds registered after their first use', () => {
  it('a cell, a hybrid part and the JSON Schema: unknown before, known while registered, unknown again after', () => {
    const cell = { target: 'stories260K', workload: 'w', speculator: { kind: 'bigram' } };
    const hybrid = { ...cell, speculator: { kind: 'hybrid', parts: [{ kind: 'bigram' }] } };
    expect(cellConfigSchema.safeParse(cell).success).to.equal(false);
    expect(cellConfigSchema.safeParse(hybrid).success).to.equal(false);
    const unregister = registerSpeculator(bigramSpeculator);
    try {
      expect(cellConfigSchema.parse(cell).speculator).to.deep.equal({ kind: 'bigram', depth: 4 });
      expect(cellConfigSchema.parse(hybrid).speculator).to.deep.include({ parts: [{ kind: 'bigram', depth: 4 }] });
      expect(JSON.stringify(experimentJsonSchema())).to.include('"const":"bigram"');
    } finally {
      unregister();
    }
    expect(cellConfigSchema.safeParse(cell).success).to.equal(false);
    expect(JSON.stringify(experimentJsonSchema())).to.not.include('"const":"bigram"');
  });

  it("a typo of a registered kind gets its 'did you mean'", () => {
    const unregister = registerSpeculator(bigramSpeculator);
    try {
      expect(() => loadExperiment('exp.yaml', { text: 'target: stories260K\nspeculator: {kind: bigrm}\nworkload: story-openings\n' })).to.throw(
        /^exp\.yaml:2: speculator\.kind: unknown kind 'bigrm'; expected one of none, .*, bigram \(did you mean 'bigram'\?\)$/,
      );
    } finally {
      unregister();
    }
  });
});

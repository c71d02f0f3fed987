/** `specinfer generate --plugin MODULE`: a speculator defined outside src/ gets its --speculator choice and flags. */
import { expect } from 'chai';
import { specinfer } from './cli.js';

const PLUGIN = './examples/plugins/bigram.mjs';

describe('specinfer generate --plugin (CLI)', () => {
  it('a plugin speculator runs, with the greedy text of incremental decoding', async () => {
    const args = ['--target', 'stories260K', '--prompt', 'Once upon a time', '--max-tokens', '40'];
    const plain = await specinfer(['generate', ...args]);
    const bigram = await specinfer(['generate', ...args, '--plugin', PLUGIN, '--speculator', 'bigram', '--bigram-depth', '3']);
    expect(bigram.stderr).to.match(/tokens\/step: /);
    expect(bigram.code, bigram.stderr).to.equal(0);
    expect(bigram.stdout).to.equal(plain.stdout);
  });

  it('without --plugin the kind is unknown', async () => {
    const r = await specinfer(['generate', '--target', 'stories260K', '--speculator', 'bigram']);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/Invalid values:[\s\S]*speculator[\s\S]*bigram/);
  });

  it('a misspelt module is named, with the file that exists', async () => {
    const r = await specinfer(['generate', '--target', 'stories260K', '--plugin=./examples/plugins/bigrm.mjs']);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain('--plugin ./examples/plugins/bigrm.mjs: no such file');
    expect(r.stderr).to.contain("did you mean './examples/plugins/bigram.mjs'?");
  });
});

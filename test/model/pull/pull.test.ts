import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { DownloadError } from '../../../src/core/errors.js';
import { pullModel, type Catalogue, type Progress, type PullOptions } from '../../../src/model/pull/pull.js';

/** How the fake server answers one path. */
interface Route {
  readonly body: Buffer;
  /** cut-once: the first answer sends half the body then closes the socket; no-range: always 200. */
  readonly mode?: 'cut-once' | 'no-range';
  /** cut-once: the socket closes once this holds (e.g. the client has written some bytes), or after 5 s; default at once. */
  readonly cutWhen?: () => boolean;
  readonly type?: string;
}

/** Calls `then` once `ok()` holds, polling every 10 ms, or after `ms` milliseconds at most. */
function when(ok: () => boolean, ms: number, then: () => void): void {
  if (ok() || ms <= 0) then();
  else setTimeout(() => when(ok, ms - 10, then), 10);
}

const silent: Progress = { start: () => undefined, advance: () => undefined, stop: () => undefined };

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

class FakeHub {
  readonly routes = new Map<string, Route>();
  readonly seen: { url: string; range?: string }[] = [];
  readonly cut = new Set<string>();
  private server!: Server;
  base = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  json(url: string, value: unknown): void {
    this.routes.set(url, { body: Buffer.from(JSON.stringify(value)), type: 'application/json' });
  }

  private answer(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    this.seen.push({ url, range: req.headers.range });
    const route = this.routes.get(url);
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Entry not found');
      return;
    }
    const { body } = route;
    if (route.mode === 'cut-once' && !this.cut.has(url)) {
      this.cut.add(url);
      res.writeHead(200, { 'Content-Length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => when(route.cutWhen ?? (() => true), 5000, () => setTimeout(() => res.socket?.destroy(), 20)));
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m && route.mode !== 'no-range') {
      const from = Number(m[1]);
      res.writeHead(206, { 'Content-Length': body.length - from, 'Content-Range': `bytes ${from}-${body.length - 1}/${body.length}` });
      res.end(body.subarray(from));
      return;
    }
    res.writeHead(200, { 'Content-Length': body.length, 'Content-Type': route.type ?? 'application/octet-stream' }).end(body);
  }
}

const WEIGHTS = bytes(6000, 1);
const TOKENIZER = bytes(1500, 2);

describe('models pull (local fake server)', () => {
  const hub = new FakeHub();
  let models = '';
  let lines: string[] = [];

  before(() => hub.start());
  after(() => hub.stop());
  beforeEach(() => {
    models = mkdtempSync(path.join(tmpdir(), 'pull-test-'));
    lines = [];
    hub.routes.clear();
    hub.cut.clear();
    hub.seen.length = 0;
    hub.routes.set('/files/tiny.bin', { body: WEIGHTS });
    hub.routes.set('/elsewhere/tok.bin', { body: TOKENIZER });
  });
  afterEach(() => rmSync(models, { recursive: true, force: true }));

  function catalogue(weightsSha = sha256(WEIGHTS)): Catalogue {
    return {
      tiny: {
        description: 'a test model',
        origin: 'test',
        files: [
          { file: 'tiny.bin', source: 'files/tiny.bin', size: WEIGHTS.length, sha256: weightsSha },
          { file: 'tok.bin', source: `${hub.base}/elsewhere/tok.bin`, size: TOKENIZER.length, sha256: sha256(TOKENIZER) },
        ],
      },
    };
  }

  function options(extra: Partial<PullOptions> = {}): PullOptions {
    return { endpoint: hub.base, catalogue: catalogue(), log: (l) => lines.push(l), progress: silent, ...extra };
  }

  async function pullFails(ref: string, opts: PullOptions): Promise<DownloadError> {
    try {
      await pullModel(ref, models, opts);
    } catch (e) {
      expect(e).to.be.instanceOf(DownloadError);
      return e as DownloadError;
    }
    throw new Error(`pull of ${ref} did not fail`);
  }

  /** Names in the models dir (including .partial, if any). */
  const left = (): string[] => readdirSync(models).sort();

  it('pulls a catalogue model into <models>/<name> with the exact bytes, staging nothing afterwards', async () => {
    const r = await pullModel('tiny', models, options());
    expect(r).to.deep.equal({ dir: path.join(models, 'tiny'), fetched: true });
    expect(readFileSync(path.join(models, 'tiny', 'tiny.bin')).equals(WEIGHTS)).to.equal(true);
    expect(readFileSync(path.join(models, 'tiny', 'tok.bin')).equals(TOKENIZER)).to.equal(true);
    expect(readdirSync(r.dir).sort()).to.deep.equal(['tiny.bin', 'tok.bin']);
    expect(left()).to.deep.equal(['tiny']);
  });

  it('keeps the .part of an interrupted transfer and resumes it with a Range request', async () => {
    const part = path.join(models, '.partial', 'tiny', 'tiny.bin.part');
    // The cut waits until the client has written bytes: on a loaded machine 20 ms may not be enough.
    hub.routes.set('/files/tiny.bin', { body: WEIGHTS, mode: 'cut-once', cutWhen: () => existsSync(part) && statSync(part).size > 0 });
    const e = await pullFails('tiny', options());
    expect(e.message).to.contain('was interrupted after').and.contain(`the partial file ${part} is kept: run the same command again to resume`);
    expect(e.keepsPartial).to.equal(true);
    const have = statSync(part).size;
    expect(have).to.be.greaterThan(0).and.lessThan(WEIGHTS.length);
    expect(left()).to.deep.equal(['.partial']);

    await pullModel('tiny', models, options());
    expect(hub.seen.filter((s) => s.url === '/files/tiny.bin').map((s) => s.range)).to.deep.equal([undefined, `bytes=${have}-`]);
    expect(readFileSync(path.join(models, 'tiny', 'tiny.bin')).equals(WEIGHTS)).to.equal(true);
    expect(left()).to.deep.equal(['tiny']);
  });

  it('starts over cleanly when the server ignores Range (HTTP 200)', async () => {
    hub.routes.set('/files/tiny.bin', { body: WEIGHTS, mode: 'cut-once' });
    await pullFails('tiny', options());
    hub.routes.set('/files/tiny.bin', { body: WEIGHTS, mode: 'no-range' });
    await pullModel('tiny', models, options());
    const asked = hub.seen.filter((s) => s.url === '/files/tiny.bin');
    expect(asked).to.have.length(2);
    expect(asked[1].range).to.match(/^bytes=\d+-$/);
    expect(lines).to.include('tiny.bin: the server ignored the Range request (HTTP 200); starting over');
    expect(readFileSync(path.join(models, 'tiny', 'tiny.bin')).equals(WEIGHTS)).to.equal(true);
  });

  it('refuses a file whose sha256 differs from the pin and keeps nothing', async () => {
    const wrong = sha256(TOKENIZER);
    const e = await pullFails('tiny', options({ catalogue: catalogue(wrong) }));
    expect(e.message).to.equal(
      `tiny.bin from ${hub.base}/files/tiny.bin: the file on the server does not match the pinned sha256 ${wrong} ` + `(it has ${sha256(WEIGHTS)}); nothing was kept`,
    );
    expect(left()).to.deep.equal([]);
  });

  it('reports HTTP 404 in one message and leaves no folder', async () => {
    hub.routes.delete('/elsewhere/tok.bin');
    const e = await pullFails('tiny', options());
    expect(e.message).to.equal(`${hub.base}/elsewhere/tok.bin: HTTP 404 Not Found: not on the server (check the name, revision and file name)`);
    expect(left()).to.deep.equal([]);
  });

  it('says to check the network when the server refuses connections', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const e = await pullFails('tiny', options({ endpoint: `http://127.0.0.1:${port}` }));
    expect(e.message).to.equal(`cannot reach 127.0.0.1:${port} (ECONNREFUSED): check the network, or set HF_ENDPOINT to a reachable Hugging Face mirror`);
    expect(left()).to.deep.equal([]);
  });

  it('pulls hf:ORG/NAME with a two-shard index at the commit the API reports, verifying LFS sums', async () => {
    const shards = { 'model-00001-of-00002.safetensors': bytes(3000, 3), 'model-00002-of-00002.safetensors': bytes(2000, 4) };
    const small: Record<string, Buffer> = {
      'config.json': Buffer.from('{"model_type":"llama"}'),
      'model.safetensors.index.json': Buffer.from(
        JSON.stringify({ weight_map: { 'a.weight': 'model-00001-of-00002.safetensors', 'b.weight': 'model-00002-of-00002.safetensors' } }),
      ),
      'tokenizer.json': Buffer.from('{"model":{}}'),
      'tokenizer_config.json': Buffer.from('{}'),
    };
    const siblings = [
      ...Object.entries(small).map(([f, b]) => ({ rfilename: f, size: b.length })),
      ...Object.entries(shards).map(([f, b]) => ({ rfilename: f, size: b.length, lfs: { sha256: sha256(b), size: b.length } })),
      { rfilename: 'README.md', size: 10 },
    ];
    hub.json('/api/models/org/llama-x/revision/main?blobs=true', { sha: 'c0ffee', siblings });
    for (const [f, b] of Object.entries({ ...small, ...shards })) hub.routes.set(`/org/llama-x/resolve/c0ffee/${f}`, { body: b });

    const r = await pullModel('hf:org/llama-x', models, options());
    expect(r.dir).to.equal(path.join(models, 'llama-x'));
    const expected = { ...small, ...shards };
    expect(readdirSync(r.dir).sort()).to.deep.equal(Object.keys(expected).sort());
    for (const [f, b] of Object.entries(expected)) expect(readFileSync(path.join(r.dir, f)).equals(b), f).to.equal(true);
    expect(hub.seen.some((s) => s.url.includes('README'))).to.equal(false);
  });

  it('pulls one GGUF file hf:ORG/NAME@REV/FILE.gguf into the folder FILE', async () => {
    const gguf = bytes(4000, 5);
    hub.json('/api/models/org/ggufs/revision/v1?blobs=true', {
      sha: 'feed01',
      siblings: [{ rfilename: 'm-f16.gguf', size: gguf.length, lfs: { sha256: sha256(gguf), size: gguf.length } }, { rfilename: 'm-Q4.gguf' }],
    });
    hub.routes.set('/org/ggufs/resolve/feed01/m-f16.gguf', { body: gguf });
    const r = await pullModel('hf:org/ggufs@v1/m-f16.gguf', models, options());
    expect(r.dir).to.equal(path.join(models, 'm-f16'));
    expect(readdirSync(r.dir)).to.deep.equal(['m-f16.gguf']);
    expect(readFileSync(path.join(r.dir, 'm-f16.gguf')).equals(gguf)).to.equal(true);
  });

  it('does nothing for a folder that is already complete', async () => {
    await pullModel('tiny', models, options());
    const requests = hub.seen.length;
    const r = await pullModel('tiny', models, options());
    expect(r).to.deep.equal({ dir: path.join(models, 'tiny'), fetched: false });
    expect(hub.seen.length).to.equal(requests);
  });

  it('CLI: a 404 prints one specinfer: line and exits 1, leaving no folder', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, HF_ENDPOINT: hub.base, SPECINFER_MODELS: models };
    const failed = await run('node', ['dist/src/cli/main.js', 'models', 'pull', 'hf:x/y'], { env }).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stdout).to.equal('');
    expect(failed?.stderr).to.equal(
      `specinfer: ${hub.base}/api/models/x/y/revision/main?blobs=true: HTTP 404 Not Found: not on the server (check the name, revision and file name)\n`,
    );
    expect(existsSync(path.join(models, 'y'))).to.equal(false);
  });
});

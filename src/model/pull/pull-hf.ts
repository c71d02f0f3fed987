/**
 * Hugging Face references for `models pull`:
 *  - `hf:ORG/NAME[@REV]`: a Llama model repository (config.json, model.safetensors
 *    or the shards of model.safetensors.index.json, tokenizer.json, plus
 *    tokenizer_config.json / generation_config.json when present), saved in
 *    the folder NAME;
 *  - `hf:ORG/NAME[@REV]/PATH/FILE.gguf`: one GGUF file, saved as
 *    `FILE/FILE.gguf` (the folder is the file name without `.gguf`).
 * REV (a branch, tag, commit or `refs/pr/N`) defaults to `main`; files are fetched at the commit the API reports for
 * REV, so one pull never mixes revisions.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, DownloadError } from '../../core/errors.js';
import type { FileSpec } from './pull-transfer.js';
import { httpError, request } from './pull-transfer.js';

export interface HfRef {
  readonly org: string;
  readonly repo: string;
  readonly revision: string;
  /** The GGUF file's path in the repository, for a single-file reference. */
  readonly gguf?: string;
  /** Folder name under the models dir. */
  readonly folder: string;
}

/** One repository file as the API lists it (`?blobs=true`). */
interface Sibling {
  readonly rfilename: string;
  readonly size?: number;
  readonly lfs?: { readonly sha256?: string; readonly size?: number };
}

/** A repository at one commit. */
export interface HfListing {
  readonly ref: HfRef;
  /** The commit the revision resolved to (falls back to the revision). */
  readonly commit: string;
  readonly files: ReadonlyMap<string, Sibling>;
}

const PART = '[A-Za-z0-9][A-Za-z0-9._-]*';
const HF_REF = new RegExp(`^hf:(${PART})/(${PART})(?:@(refs/pr/\\d+|[^/]+))?(?:/(.+\\.gguf))?$`);
const OPTIONAL_FILES = ['tokenizer_config.json', 'generation_config.json'];
const LISTED_BY_HF = 'sha256 listed by the Hugging Face API';

/** Parses `hf:...` (ConfigError with the accepted forms when malformed). */
export function parseHfRef(ref: string): HfRef {
  const m = HF_REF.exec(ref);
  if (!m) {
    throw new ConfigError(`"${ref}" is not a Hugging Face reference; use hf:ORG/NAME, hf:ORG/NAME@REVISION or hf:ORG/NAME[@REVISION]/FILE.gguf`);
  }
  const [, org, repo, revision, gguf] = m;
  if (gguf !== undefined) checkRelative(gguf, ref);
  const folder = gguf === undefined ? repo : path.posix.basename(gguf, '.gguf');
  return { org, repo, revision: revision ?? 'main', gguf, folder };
}

/** Lists the repository at the reference's revision: GET {endpoint}/api/models/ORG/NAME/revision/REV?blobs=true. */
export async function listHfRepo(ref: HfRef, endpoint: string, headers: Readonly<Record<string, string>>, idleTimeoutMs: number): Promise<HfListing> {
  const url = `${endpoint}/api/models/${ref.org}/${ref.repo}/revision/${encodeURIComponent(ref.revision)}?blobs=true`;
  const { res, idle } = await request(url, headers, idleTimeoutMs);
  try {
    if (res.status !== 200) throw httpError(url, res.status, res.statusText);
    const body = (await res.json()) as { sha?: unknown; siblings?: unknown };
    if (!Array.isArray(body.siblings)) throw new DownloadError(`${url}: the answer has no "siblings" list; is ${endpoint} a Hugging Face endpoint?`);
    const files = new Map((body.siblings as Sibling[]).map((s) => [s.rfilename, s]));
    return { ref, commit: typeof body.sha === 'string' ? body.sha : ref.revision, files };
  } finally {
    idle.clear();
  }
}

/** The files to fetch first: the GGUF file, or the repository's config, weights (or index) and tokenizer. */
export function hfBaseFiles(listing: HfListing, endpoint: string): FileSpec[] {
  const { ref } = listing;
  if (ref.gguf !== undefined) {
    requireFile(listing, ref.gguf, 'ggufs');
    return [hfFile(listing, endpoint, ref.gguf, path.posix.basename(ref.gguf))];
  }
  requireFile(listing, 'config.json', 'not a Hugging Face model repository');
  const weights = listing.files.has('model.safetensors.index.json') ? 'model.safetensors.index.json' : 'model.safetensors';
  requireFile(listing, weights, 'no safetensors weights (neither model.safetensors nor model.safetensors.index.json; PyTorch .bin checkpoints are not supported)');
  requireFile(listing, 'tokenizer.json', 'no tokenizer.json (only the "fast" tokenizer.json format is supported)');
  const names = ['config.json', weights, 'tokenizer.json', ...OPTIONAL_FILES.filter((f) => listing.files.has(f))];
  return names.map((f) => hfFile(listing, endpoint, f, f));
}

/** The shards named by `<dir>/model.safetensors.index.json`, if the repository is sharded. */
export function hfShardFiles(listing: HfListing, endpoint: string, dir: string): FileSpec[] {
  if (listing.ref.gguf !== undefined || !listing.files.has('model.safetensors.index.json')) return [];
  const index = path.join(dir, 'model.safetensors.index.json');
  const shards = shardNames(index);
  for (const s of shards) {
    checkRelative(s, index);
    requireFile(listing, s, `${index} names shard ${s}, which is not in the repository`);
  }
  return shards.map((s) => hfFile(listing, endpoint, s, s));
}

function shardNames(index: string): string[] {
  const parsed = JSON.parse(readFileSync(index, 'utf8')) as { weight_map?: Record<string, unknown> };
  const map = parsed.weight_map;
  if (map === undefined || typeof map !== 'object') throw new DownloadError(`${index}: no "weight_map" object; the repository's index is malformed`);
  return [...new Set(Object.values(map).map(String))].sort();
}

function hfFile(listing: HfListing, endpoint: string, rfilename: string, file: string): FileSpec {
  const s = listing.files.get(rfilename);
  const { org, repo } = listing.ref;
  const url = `${endpoint}/${org}/${repo}/resolve/${encodeURIComponent(listing.commit)}/${rfilename.split('/').map(encodeURIComponent).join('/')}`;
  return { file, url, size: s?.size ?? s?.lfs?.size, sha256: s?.lfs?.sha256, pin: LISTED_BY_HF };
}

function requireFile(listing: HfListing, rfilename: string, problem: string): void {
  if (listing.files.has(rfilename)) return;
  const { org, repo, revision } = listing.ref;
  const what = problem === 'ggufs' ? `no file ${rfilename}; its .gguf files: ${ggufsOf(listing) || 'none'}` : problem;
  throw new DownloadError(`Hugging Face repository ${org}/${repo}@${revision}: ${what}`);
}

function ggufsOf(listing: HfListing): string {
  return [...listing.files.keys()].filter((f) => f.endsWith('.gguf')).join(', ');
}

/** Rejects absolute paths and `..` segments in names that come from a reference or a server. */
function checkRelative(name: string, where: string): void {
  if (path.posix.isAbsolute(name) || name.split('/').some((p) => p === '..' || p === '')) {
    throw new DownloadError(`${where}: file name "${name}" is not a plain relative path; refusing to write it`);
  }
}

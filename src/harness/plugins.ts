/**
 * Plugins: modules named by an experiment file's `plugins:` key, whose
 * definitions join the registries before the file is checked.
 *
 * The module contract: a plugin module gives its definitions as its default
 * export (one definition or a list) and/or as a named export `definitions`
 * (a list); other exports are ignored. A definition is an object made by
 * defineSpeculator, definePolicy or defineVerifier; its `component` field
 * says which registry it joins (register() below is the one place that routes).
 *
 * Importing is asynchronous and loading an experiment is not: loadPlugins
 * imports (once per module and process) and registers; registerPlugins, what
 * loadExperiment calls, registers the definitions of modules imported before.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { isBuiltInSpeculator, registerSpeculator, type SpeculatorDefinition } from '../speculators/registry.js';
import { isBuiltInPolicy, registerPolicy, type PolicyDefinition } from '../tree/policies.js';
import { isBuiltInVerifier, registerVerifier, type VerifierDefinition } from '../verifiers/index.js';
import { ConfigFileError, ConfigSource, type ConfigIssue } from './config-source.js';
import { closest, zodProblems } from './issues.js';

export const pluginsSchema = z
  .array(z.string().min(1))
  .describe(
    "Modules whose definitions (speculators, tree policies or verifiers made with defineSpeculator, definePolicy or defineVerifier) join the registries before the file is checked: paths relative to this file (./bigram.mjs), or package names found as Node finds them from this file's folder. Read once per file, not per cell (no sweep).",
  );

/** A definition as a plugin module exports it: `component` names the registry it joins, `kind` its name there. */
interface Definition {
  readonly component: string;
  readonly kind: string;
}

/** A plugin entry that cannot be used: the problem, without file or line (the caller locates it). */
class PluginProblem extends Error {}

/** Definitions of each module imported so far, by absolute file path. */
const imported = new Map<string, readonly Definition[]>();

/** Definitions registered through plugins, with their removers (unloadPlugins runs them). */
const registered = new Map<Definition, () => void>();

/**
 * The module file `name` denotes, as Node would find it from `dir`: a path
 * (./x.mjs, ../x.js, /abs/x.js) relative to `dir`, else a package (node_modules
 * upward from `dir`, its `exports` for require/node/default). Throws a PluginProblem.
 */
function resolvePlugin(name: string, dir: string): string {
  if (isPath(name)) {
    const file = path.resolve(dir, name);
    if (existsSync(file) && statSync(file).isFile()) return file;
    throw new PluginProblem(`no such file${path.isAbsolute(name) ? '' : ` (${file})`}${fileSuggestion(name, dir)}`);
  }
  const from = path.resolve(dir);
  try {
    return createRequire(path.join(from, 'plugin-resolution.js')).resolve(name);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    if (code === 'ERR_PACKAGE_PATH_NOT_EXPORTED')
      throw new PluginProblem(`the package's exports have no require or default entry: give the module's path (./node_modules/${name}/...)`);
    throw new PluginProblem(`no such package from ${from} (${code}): install it there, or give the module's path (./${name}.mjs)`);
  }
}

function isPath(name: string): boolean {
  return name.startsWith('./') || name.startsWith('../') || name === '.' || name === '..' || path.isAbsolute(name);
}

/** " (did you mean './bigram.mjs'?)" from the files beside the one named, when one is close. */
function fileSuggestion(name: string, dir: string): string {
  const folder = path.resolve(dir, path.dirname(name));
  if (!existsSync(folder)) return '';
  const base = path.basename(name);
  const best = closest(
    base,
    readdirSync(folder).filter((f) => /\.(m|c)?js$/.test(f)),
  );
  return best === undefined ? '' : ` (did you mean '${path.join(path.dirname(name), best).replace(/^(?![./])/, './')}'?)`;
}

/** Imports the module at `file` (once per process) and registers its definitions. Throws a PluginProblem. */
async function importPlugin(file: string): Promise<readonly Definition[]> {
  if (!imported.has(file)) {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (e) {
      throw new PluginProblem(`importing ${file} failed: ${(e as Error).message.split('\n')[0]}`);
    }
    imported.set(file, definitionsOf(mod));
  }
  return registerImported(file);
}

/** Registers the definitions of a module imported before; a PluginProblem when it was not imported or a definition clashes. */
function registerImported(file: string): readonly Definition[] {
  const defs = imported.get(file);
  if (defs === undefined) throw new PluginProblem('not imported yet: load the file with openExperiment (asynchronous), or await loadPlugins(FILE) before loadExperiment');
  for (const def of defs) register(def);
  return defs;
}

/** A short description of an exported value that is not a definition. */
function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return 'an object';
  if (typeof v === 'function') return 'a function';
  return JSON.stringify(v) ?? typeof v;
}

/** The definitions a module exports (its default export and `definitions`), each once. Throws a PluginProblem. */
function definitionsOf(mod: Record<string, unknown>): readonly Definition[] {
  const given = [mod.default, mod.definitions].filter((v) => v !== undefined).flatMap((v) => (Array.isArray(v) ? (v as unknown[]) : [v]));
  const unique = [...new Set(given)];
  const bad = unique.find((v) => !isDefinition(v));
  if (bad !== undefined) throw new PluginProblem(`exports ${describeValue(bad)} that is not a definition (make definitions with defineSpeculator)`);
  if (unique.length === 0) {
    throw new PluginProblem('exports no definitions (export default defineSpeculator({...}), or export const definitions = [...] of definitions)');
  }
  return unique as Definition[];
}

function isDefinition(v: unknown): v is Definition {
  if (v === null || typeof v !== 'object') return false;
  const d = v as Record<string, unknown>;
  return typeof d.component === 'string' && typeof d.kind === 'string';
}

/** The one place a plugin's definition is routed to its registry, by its `component`. */
function register(def: Definition): void {
  switch (def.component) {
    case 'speculator':
      return registerAs(def, 'defineSpeculator', 'registerSpeculator', isBuiltInSpeculator, () => registerSpeculator(def as SpeculatorDefinition));
    case 'policy':
      return registerAs(def, 'definePolicy', 'registerPolicy', isBuiltInPolicy, () => registerPolicy(def as unknown as PolicyDefinition));
    case 'verifier':
      return registerAs(def, 'defineVerifier', 'registerVerifier', isBuiltInVerifier, () => registerVerifier(def as unknown as VerifierDefinition));
    default:
      throw new PluginProblem(
        `exports a definition of component '${def.component}'; expected speculator, policy or verifier (made with defineSpeculator, definePolicy or defineVerifier)`,
      );
  }
}

/** Registers `def` with `add` (its registry's register function); a PluginProblem for a built-in or taken kind, or an object not made by `maker`. */
function registerAs(def: Definition, maker: string, registerName: string, isBuiltIn: (kind: string) => boolean, add: () => () => void): void {
  const what = `${def.component} '${def.kind}'`;
  if (typeof (def as { create?: unknown }).create !== 'function') throw new PluginProblem(`defines ${what} but was not made with ${maker} (it has no create())`);
  if (isBuiltIn(def.kind)) throw new PluginProblem(`defines ${what}, a built-in kind: give it another kind`);
  try {
    registered.set(def, add());
  } catch (e) {
    if (e instanceof ConfigError) throw new PluginProblem(`defines ${what}, already defined by another plugin or ${registerName}: give it another kind`);
    throw e;
  }
}

/** Removes every definition registered through plugins (modules stay imported: loading a file with them registers them again). */
export function unloadPlugins(): void {
  for (const remove of registered.values()) remove();
  registered.clear();
}

/**
 * Imports the modules an experiment file's `plugins:` names and registers
 * their definitions. Returns their files; a ConfigFileError lists every
 * entry that cannot be used. A malformed list is left to loadExperiment.
 */
export async function loadPlugins(file: string, opts: { readonly text?: string } = {}): Promise<readonly string[]> {
  const src = opts.text === undefined ? ConfigSource.read(file) : ConfigSource.parse(file, opts.text);
  const raw = src.value();
  const plugins = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>).plugins : undefined;
  const parsed = pluginsSchema.safeParse(plugins ?? []);
  if (!parsed.success) return [];
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  for (const [i, name] of parsed.data.entries()) {
    try {
      const f = resolvePlugin(name, path.dirname(file));
      await importPlugin(f);
      files.push(f);
    } catch (e) {
      issues.push(locate(e, src, i, name));
    }
  }
  if (issues.length > 0) throw new ConfigFileError(file, issues);
  return files;
}

/**
 * The files of the plugins `plugins` (the file's key) names, their
 * definitions registered: each must have been imported (loadPlugins). A
 * ConfigFileError lists every problem.
 */
export function registerPlugins(plugins: unknown, src: ConfigSource): readonly string[] {
  const parsed = pluginsSchema.safeParse(plugins ?? []);
  if (!parsed.success) {
    throw new ConfigFileError(
      src.file,
      zodProblems(parsed.error.issues, pluginsSchema, plugins).map((p) => src.issue(['plugins', ...p.path], p.problem)),
    );
  }
  const issues: ConfigIssue[] = [];
  const files: string[] = [];
  for (const [i, name] of parsed.data.entries()) {
    try {
      const f = resolvePlugin(name, path.dirname(src.file));
      registerImported(f);
      files.push(f);
    } catch (e) {
      issues.push(locate(e, src, i, name));
    }
  }
  if (issues.length > 0) throw new ConfigFileError(src.file, issues);
  return files;
}

/** A PluginProblem as the issue of entry `i`: `plugins[i]: NAME: problem`; other errors propagate. */
function locate(e: unknown, src: ConfigSource, i: number, name: string): ConfigIssue {
  if (!(e instanceof PluginProblem)) throw e;
  return src.issue(['plugins', i], `${name}: ${e.message}`);
}

/** Imports and registers modules by file (those of a loaded Experiment); a ConfigError names the first that fails. */
export async function importPlugins(files: readonly string[]): Promise<void> {
  for (const f of files) {
    try {
      await importPlugin(f);
    } catch (e) {
      if (e instanceof PluginProblem) throw new ConfigError(`plugin ${f}: ${e.message}`);
      throw e;
    }
  }
}

/**
 * Imports and registers the modules a command line names (`--plugin NAME`,
 * paths relative to `dir`, else packages as Node finds them from there); a
 * ConfigError names the first that cannot be used.
 */
export async function importNamedPlugins(names: readonly string[], dir: string): Promise<void> {
  for (const name of names) {
    try {
      await importPlugin(resolvePlugin(name, dir));
    } catch (e) {
      if (e instanceof PluginProblem) throw new ConfigError(`--plugin ${name}: ${e.message}`);
      throw e;
    }
  }
}

/** The values of every `--plugin NAME` / `--plugin=NAME` of a command line, in order. */
export function pluginArgs(argv: readonly string[]): string[] {
  const names: string[] = [];
  argv.forEach((a, i) => {
    if (a === '--plugin' && i + 1 < argv.length) names.push(argv[i + 1]);
    else if (a.startsWith('--plugin=')) names.push(a.slice('--plugin='.length));
  });
  return names;
}

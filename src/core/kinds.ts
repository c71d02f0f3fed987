/**
 * What the component registries (speculators, tree policies, verifiers)
 * share: a list of definitions by kind, built-in first, to which plugins
 * register more; the zod union of their config schemas; and the config
 * types a definition's option shape gives.
 */
import { z } from 'zod';
import { ConfigError } from './errors.js';

/** `kind` (a literal) then the options. */
export type ConfigShape<K extends string, S extends z.ZodRawShape> = { kind: z.ZodLiteral<K> } & S;
/** The config a `{ kind, ...options }` strict object parses to. */
export type ConfigOf<K extends string, S extends z.ZodRawShape> = z.output<z.ZodObject<ConfigShape<K, S>, z.core.$strict>>;
/** What such a config may be written as (defaults omitted). */
export type InputOf<K extends string, S extends z.ZodRawShape> = z.input<z.ZodObject<ConfigShape<K, S>, z.core.$strict>>;

/** What every definition of a component with options has (speculators, tree policies). */
export interface OptionsDefinition<Component extends string, C extends { readonly kind: string }, I> {
  /** Which registry it joins (a plugin module's definitions are routed by this field). */
  readonly component: Component;
  readonly kind: C['kind'];
  /** One sentence: what it does (the config schema's and the docs table's description). */
  readonly description: string;
  /** Its options, without `kind`: defaults and `.describe()` texts. */
  readonly options: z.ZodObject;
  /** The full config schema: strict, `kind` first, any rules applied. */
  readonly schema: z.ZodType<C, I>;
  /** Every option at its default (frozen). */
  defaults(): C;
}

/**
 * The common part of a definition: `plain` is the strict `{ kind, ...options }`
 * object (parsing `{ kind }` with it gives the defaults), `schema` is it with
 * any rules applied.
 */
export function optionsDefinition<Component extends string, C extends { readonly kind: string }, I>(
  component: Component,
  spec: { readonly kind: C['kind']; readonly description: string; readonly options: z.ZodRawShape },
  plain: z.ZodType,
  schema: z.ZodType,
): OptionsDefinition<Component, C, I> {
  let defaults: C | undefined;
  return {
    component,
    kind: spec.kind,
    description: spec.description,
    options: z.object(spec.options),
    schema: schema.describe(spec.description) as unknown as z.ZodType<C, I>,
    defaults: () => (defaults ??= deepFreeze(plain.parse({ kind: spec.kind }) as C)),
  };
}

/** Freezes a plain value and everything in it (defaults are shared by every config built from them). */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The definitions of one component, by kind: the built-in ones, then those registered, in order. */
export class KindRegistry<D extends { readonly kind: string }> {
  /** Every definition (a live list: registering appends to it). */
  readonly definitions: D[];
  /** Every kind, in the same order (live). */
  readonly kinds: string[];
  private readonly builtIn: number;
  /** Bumped at every change (cached unions compare it). */
  private changes = 0;

  /** `noun` names the component in errors ('speculator', 'tree policy', 'verifier'). */
  constructor(
    private readonly noun: string,
    builtIn: readonly D[],
  ) {
    this.definitions = [...builtIn];
    this.kinds = builtIn.map((d) => d.kind);
    this.builtIn = builtIn.length;
  }

  has(kind: string): boolean {
    return this.kinds.includes(kind);
  }

  /** Whether `kind` is one of the built-in ones (a plugin may not redefine them). */
  isBuiltIn(kind: string): boolean {
    return this.kinds.indexOf(kind) >= 0 && this.kinds.indexOf(kind) < this.builtIn;
  }

  /** A count that changes whenever a definition is added or removed. */
  get version(): number {
    return this.changes;
  }

  /** The definition of `kind`; a ConfigError listing the kinds when there is none. */
  get(kind: string): D {
    const def = this.definitions.find((d) => d.kind === kind);
    if (def === undefined) throw new ConfigError(`unknown ${this.noun} '${kind}'; expected one of ${this.kinds.join(', ')}`);
    return def;
  }

  /**
   * Adds a definition. Registering a known kind again is an error unless it
   * is the same definition. Returns a function that removes it again (for
   * tests; built-in ones stay).
   */
  register(def: D): () => void {
    const known = this.definitions.find((d) => d.kind === def.kind);
    const remove = () => {
      const i = this.definitions.indexOf(def);
      if (i < this.builtIn) return;
      this.definitions.splice(i, 1);
      this.kinds.splice(i, 1);
      this.changes++;
    };
    if (known === def) return remove;
    if (known !== undefined) throw new ConfigError(`${this.noun} '${def.kind}' is already defined`);
    this.definitions.push(def);
    this.kinds.push(def.kind);
    this.changes++;
    return remove;
  }
}

type Option = z.core.$ZodTypeDiscriminable;

/**
 * The union of a registry's config schemas, selected by `kind`, resolved at
 * every use (rebuilt after the registry changed), so parsing, error reports
 * and the JSON Schema see kinds registered at any time, and recursive
 * schemas can refer to it; `meta` names it in the JSON Schema.
 */
export function kindUnion<T, I>(
  registry: KindRegistry<{ readonly kind: string; readonly schema: z.ZodType }>,
  meta: { readonly id: string; readonly description: string },
): z.ZodType<T, I> {
  const union = () => z.discriminatedUnion('kind', registry.definitions.map((d) => d.schema) as unknown as [Option, ...Option[]]);
  return resolvedAtEachUse(z.lazy(perVersion(registry, union)).meta(meta)) as unknown as z.ZodType<T, I>;
}

/** A schema made from a registry's definitions by `make`, remade after the registry changed (resolved at every use). */
export function registrySchema<T>(registry: KindRegistry<{ readonly kind: string }>, make: () => z.ZodType<T>): z.ZodType<T> {
  return resolvedAtEachUse(z.lazy(perVersion(registry, make)));
}

/** `make`, called again only when the registry's version changed. */
function perVersion<S>(registry: KindRegistry<{ readonly kind: string }>, make: () => S): () => S {
  let cached: { version: number; value: S } | undefined;
  return () => {
    if (cached?.version !== registry.version) cached = { version: registry.version, value: make() };
    return cached.value;
  };
}

/**
 * z.lazy keeps the first result of its getter on each instance
 * (`_zod.innerType`); here that property reads the getter each time. Clones
 * (`.describe()`, `.meta()`) are plain z.lazy again: wrap the final instance.
 */
function resolvedAtEachUse<T extends z.ZodLazy>(schema: T): T {
  Object.defineProperty(schema._zod, 'innerType', { get: () => schema._zod.def.getter(), configurable: true });
  return schema;
}

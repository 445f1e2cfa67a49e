/**
 * Terraform schemas as dew builds them (TfSchema, TfBlock, TfAttribute, TfNestedBlock), the object
 * proto-loader (keepCase, enums as strings) encodes as a tfplugin6 `Schema`, the object type a
 * block's values have on the wire, and the checks Terraform makes of a schema before using it.
 */
import { T, typeJson, type CtyType } from '../cty/types.js';

export interface TfAttribute {
  name: string;
  type: CtyType;
  description?: string;
  required?: boolean;
  optional?: boolean;
  computed?: boolean;
  sensitive?: boolean;
  write_only?: boolean;
  deprecated?: boolean;
}

export type NestingMode = 'SINGLE' | 'LIST' | 'SET' | 'MAP' | 'GROUP';

export interface TfNestedBlock {
  type_name: string;
  nesting: NestingMode;
  block: TfBlock;
  min_items?: number;
  max_items?: number;
}

export interface TfBlock {
  attributes: TfAttribute[];
  block_types?: TfNestedBlock[];
  description?: string;
  deprecated?: boolean;
}

export interface TfSchema {
  version: number;
  block: TfBlock;
}

/** tfplugin6 Schema.Attribute as proto-loader takes it. */
export interface ProtoAttribute {
  name: string;
  type: Buffer;
  description: string;
  required: boolean;
  optional: boolean;
  computed: boolean;
  sensitive: boolean;
  description_kind: 'PLAIN';
  deprecated: boolean;
  write_only: boolean;
}

export interface ProtoNestedBlock {
  type_name: string;
  block: ProtoBlock;
  nesting: NestingMode;
  min_items: number;
  max_items: number;
}

export interface ProtoBlock {
  version: number;
  attributes: ProtoAttribute[];
  block_types: ProtoNestedBlock[];
  description: string;
  description_kind: 'PLAIN';
  deprecated: boolean;
}

export interface ProtoSchema {
  version: number;
  block: ProtoBlock;
}

const byName = <X extends { name: string } | { type_name: string }>(a: X, b: X) => {
  const na = 'name' in a ? a.name : a.type_name;
  const nb = 'name' in b ? b.name : b.type_name;
  return na < nb ? -1 : na > nb ? 1 : 0;
};

function protoBlock(b: TfBlock, version: number): ProtoBlock {
  return {
    version,
    attributes: [...b.attributes].sort(byName).map((a) => ({
      name: a.name,
      type: typeJson(a.type),
      description: a.description ?? '',
      required: a.required === true,
      optional: a.optional === true,
      computed: a.computed === true,
      sensitive: a.sensitive === true,
      description_kind: 'PLAIN',
      deprecated: a.deprecated === true,
      write_only: a.write_only === true,
    })),
    block_types: [...(b.block_types ?? [])].sort(byName).map((nb) => ({
      type_name: nb.type_name,
      block: protoBlock(nb.block, 0),
      nesting: nb.nesting,
      min_items: nb.min_items ?? 0,
      max_items: nb.max_items ?? 0,
    })),
    description: b.description ?? '',
    description_kind: 'PLAIN',
    deprecated: b.deprecated === true,
  };
}

/** The object proto-loader encodes as tfplugin6 `Schema` (attributes and block types sorted by name). */
export function toProtoSchema(s: TfSchema): ProtoSchema {
  return { version: s.version, block: protoBlock(s.block, s.version) };
}

/** The object type of a block's values: one attribute per attribute and per nested block type. */
export function objectTypeOf(block: TfBlock): CtyType {
  const attributes: Record<string, CtyType> = {};
  for (const a of block.attributes) attributes[a.name] = a.type;
  for (const nb of block.block_types ?? []) {
    const inner = objectTypeOf(nb.block);
    attributes[nb.type_name] =
      nb.nesting === 'LIST' ? T.list(inner) : nb.nesting === 'SET' ? T.set(inner) : nb.nesting === 'MAP' ? T.map(inner) : inner;
  }
  return T.object(attributes);
}

const NAME = /^[a-z0-9_]+$/;
/** Names a resource's own attributes cannot take: Terraform's meta-arguments. */
export const RESERVED_NAMES: readonly string[] = ['count', 'depends_on', 'for_each', 'lifecycle', 'provider', 'provisioner', 'connection'];

/**
 * What is wrong with a block, as Terraform's InternalValidate sees it (empty when valid): names,
 * duplicates, exactly one of required/optional/computed shapes, write-only rules, nesting items.
 */
export function validateBlock(block: TfBlock, opts: { reserved?: readonly string[] } = {}): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const reserved = new Set(opts.reserved ?? []);
  const named = (n: string, what: string) => {
    if (!NAME.test(n)) problems.push(`${what} ${JSON.stringify(n)}: name may contain only lowercase letters, digits and underscores`);
    if (seen.has(n)) problems.push(`${what} ${JSON.stringify(n)}: name defined more than once`);
    if (reserved.has(n)) problems.push(`${what} ${JSON.stringify(n)}: name is reserved`);
    seen.add(n);
  };
  for (const a of block.attributes) {
    named(a.name, 'attribute');
    const p = `attribute ${JSON.stringify(a.name)}`;
    if (!a.required && !a.optional && !a.computed) problems.push(`${p}: must set required, optional or computed`);
    if (a.required && (a.optional || a.computed)) problems.push(`${p}: required cannot be optional or computed`);
    if (a.write_only && a.computed) problems.push(`${p}: write_only cannot be computed`);
    try {
      typeJson(a.type);
    } catch {
      problems.push(`${p}: invalid type`);
    }
  }
  for (const nb of block.block_types ?? []) {
    named(nb.type_name, 'block type');
    const p = `block type ${JSON.stringify(nb.type_name)}`;
    const min = nb.min_items ?? 0;
    const max = nb.max_items ?? 0;
    if (nb.nesting === 'SINGLE' || nb.nesting === 'GROUP') {
      if (min > 1 || max > 1) problems.push(`${p}: ${nb.nesting} nesting takes at most one block`);
    } else if (max !== 0 && min > max) problems.push(`${p}: min_items greater than max_items`);
    if (nb.nesting === 'GROUP' && min !== 0) problems.push(`${p}: GROUP nesting cannot have min_items`);
    problems.push(...validateBlock(nb.block).map((m) => `${p}: ${m}`));
  }
  return problems;
}

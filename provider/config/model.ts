/** The decoded configuration: resources, variables, locals, outputs and the stack name, each with its source range. */
import type { SourceRange } from './diagnostics.js';
import type { Expr, Reference } from './expression-parser.js';
import type { TypeConstraint } from './type-constraints.js';
import type { Value } from './values.js';

export interface Attribute {
  name: string;
  expr: Expr;
  /** The expression's source text (for messages), as the parser returned it. */
  text: string;
  range: SourceRange;
}

export interface Lifecycle {
  preventDestroy: boolean;
  /** Attribute names whose changes are ignored for updates, or 'all'. */
  ignoreChanges: string[] | 'all';
}

export interface ResourceDecl {
  type: string;
  name: string;
  /** `TYPE.NAME` */
  address: string;
  range: SourceRange;
  attributes: Map<string, Attribute>;
  count?: Attribute;
  forEach?: Attribute;
  dependsOn: { address: string; range: SourceRange }[];
  lifecycle: Lifecycle;
}

export interface VariableDecl {
  name: string;
  type?: TypeConstraint;
  default?: Value;
  hasDefault: boolean;
  sensitive: boolean;
  description?: string;
  range: SourceRange;
}

export interface LocalDecl {
  name: string;
  attribute: Attribute;
}

export interface OutputDecl {
  name: string;
  value: Attribute;
  sensitive: boolean;
  description?: string;
  dependsOn: { address: string; range: SourceRange }[];
  range: SourceRange;
}

export interface Config {
  /** Absolute path of the config folder. */
  dir: string;
  stack: string;
  resources: Map<string, ResourceDecl>;
  variables: Map<string, VariableDecl>;
  locals: Map<string, LocalDecl>;
  outputs: Map<string, OutputDecl>;
  /** Source text per file name, for diagnostics. */
  sources: Map<string, string>;
}

/** A reference found in an expression, with where it was written. */
export interface LocatedReference extends Reference {
  range: SourceRange;
}

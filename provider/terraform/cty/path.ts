/**
 * Attribute paths: the steps of a tfplugin6 `AttributePath` (as proto-loader takes them with
 * keepCase and oneofs), and their display form (`tags["env"]`, `rules[0].name`).
 */
export type PathStep = { attribute_name: string } | { element_key_string: string } | { element_key_int: number };

export interface AttributePath {
  steps: PathStep[];
}

export const attr = (name: string): PathStep => ({ attribute_name: name });
export const key = (k: string): PathStep => ({ element_key_string: k });
export const index = (i: number): PathStep => ({ element_key_int: i });

/**
 * The tfplugin6 AttributePath object. A string step is an attribute name, a number an element
 * index; pass `key(k)` for a map key.
 */
export function attributePath(...steps: (PathStep | string | number)[]): AttributePath {
  return { steps: steps.map((s) => (typeof s === 'string' ? attr(s) : typeof s === 'number' ? index(s) : { ...s })) };
}

/** Display form of a path, as Terraform prints it: `a.b["k"][0]`; empty for the root. */
export function pathString(steps: readonly PathStep[]): string {
  let out = '';
  for (const s of steps) {
    if ('attribute_name' in s) out += out === '' ? s.attribute_name : `.${s.attribute_name}`;
    else if ('element_key_string' in s) out += `[${JSON.stringify(s.element_key_string)}]`;
    else out += `[${s.element_key_int}]`;
  }
  return out;
}

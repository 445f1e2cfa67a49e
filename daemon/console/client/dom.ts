/**
 * The only way console pages build DOM (console contract): `h(tag, attrs, ...children)`. Strings
 * become Text nodes, so a value the user controls (an alias, a tag, a description) is always text,
 * never markup. Attributes are a fixed vocabulary: no `on*` attribute, no `style`, no `src`; `href`
 * takes only in-console paths (`#/…` or `/…`); events go through `on`.
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Attrs {
  class?: string;
  id?: string;
  for?: string;
  type?: string;
  role?: string;
  href?: string;
  name?: string;
  title?: string;
  placeholder?: string;
  disabled?: boolean;
  hidden?: boolean;
  checked?: boolean;
  selected?: boolean;
  required?: boolean;
  readonly?: boolean;
  value?: string;
  tabindex?: number;
  rows?: number;
  min?: string;
  max?: string;
  step?: string;
  maxlength?: number;
  autocomplete?: string;
  spellcheck?: boolean;
  colspan?: number;
  scope?: string;
  datetime?: string;
  /** `aria-*` and `data-*` attributes, by their full names. */
  [aria: `aria-${string}`]: string | number | boolean | undefined;
  [data: `data-${string}`]: string | number | undefined;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

const BOOLEAN = new Set(['disabled', 'hidden', 'checked', 'selected', 'required', 'readonly']);
const PLAIN = new Set(['class', 'id', 'for', 'type', 'role', 'name', 'title', 'placeholder', 'tabindex', 'rows', 'min', 'max', 'step', 'maxlength', 'autocomplete', 'colspan', 'scope', 'datetime']);

/** True for an in-console link: `#/…` or a same-origin absolute path (never `//host`, never a scheme). */
export function isSafeHref(href: string): boolean {
  return /^#\/[^\s]*$/.test(href) || /^\/(?!\/)[^\s]*$/.test(href);
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child as readonly Child[]) append(parent, c);
    return;
  }
  parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : (child as Node));
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (name === 'on') {
      for (const [event, fn] of Object.entries(value as Record<string, EventListener>)) el.addEventListener(event, fn);
    } else if (name === 'href') {
      if (!isSafeHref(String(value))) throw new Error(`dom: refused href ${JSON.stringify(String(value))}`);
      el.setAttribute('href', String(value));
    } else if (name === 'value') {
      (el as HTMLInputElement).value = String(value);
      el.setAttribute('value', String(value));
    } else if (name === 'spellcheck') {
      el.setAttribute('spellcheck', value ? 'true' : 'false');
    } else if (BOOLEAN.has(name)) {
      if (value) el.setAttribute(name, '');
    } else if (PLAIN.has(name) || name.startsWith('aria-') || name.startsWith('data-')) {
      el.setAttribute(name, String(value));
    } else {
      throw new Error(`dom: attribute ${name} is not in the console's vocabulary`);
    }
  }
}

/** An HTML element with attributes and children (strings as text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  if (tag === ('script' as K) || tag === ('iframe' as K) || tag === ('object' as K) || tag === ('embed' as K)) throw new Error(`dom: <${tag}> is not built by the console`);
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  for (const c of children) append(el, c);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';
const SVG_ATTR = /^(class|role|viewBox|x|y|x1|x2|y1|y2|width|height|rx|d|points|text-anchor|dominant-baseline|transform|focusable|preserveAspectRatio|aria-[a-z]+)$/;

/** An SVG element (the usage chart); attributes from a fixed geometric vocabulary, text children as text. */
export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  if (tag === ('script' as K) || tag === ('foreignObject' as K) || tag === ('a' as K) || tag === ('use' as K)) throw new Error(`dom: <${tag}> is not built by the console`);
  const el = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (!SVG_ATTR.test(name)) throw new Error(`dom: svg attribute ${name} is not in the console's vocabulary`);
    el.setAttribute(name, String(value));
  }
  for (const c of children) append(el, c);
  return el;
}

/** Replaces an element's children. */
export function replaceChildren(el: Element, ...children: Child[]): void {
  while (el.firstChild) el.removeChild(el.firstChild);
  for (const c of children) append(el, c);
}

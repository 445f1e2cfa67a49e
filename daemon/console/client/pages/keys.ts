/** Placeholder page: keys. */
import { h } from '../dom.js';
import type { View } from '../view.js';

export async function render(_view: View): Promise<HTMLElement> {
  return h('div', null, h('h1', null, 'keys'));
}

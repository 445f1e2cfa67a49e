/**
 * A list paged by marker (the KPS and CSMS list APIs answer a `next_marker`): the current page's
 * table and Previous / Next, remembering the marker of every page seen so Previous goes back.
 */
import { h, replaceChildren } from '../dom.js';
import { errorText, notice, pager } from '../widgets.js';

export interface MarkerPage<T> {
  readonly rows: readonly T[];
  /** The marker of the next page; undefined or empty on the last page. */
  readonly next?: string | null;
}

export async function markerPaged<T>(o: { label: string; load: (marker: string | undefined) => Promise<MarkerPage<T>>; table: (rows: readonly T[]) => HTMLElement }): Promise<HTMLElement> {
  const box = h('div', { class: 'paged' });
  const markers: (string | undefined)[] = [undefined];
  const show = async (page: number): Promise<void> => {
    try {
      const got = await o.load(markers[page - 1]);
      const hasNext = Boolean(got.next);
      if (hasNext) markers[page] = got.next ?? undefined;
      replaceChildren(box, o.table(got.rows), page > 1 || hasNext ? pager({ page, hasNext, label: o.label, onPage: (p) => void show(p) }) : null);
    } catch (err) {
      replaceChildren(box, notice(errorText(err), 'error'));
    }
  };
  await show(1);
  return box;
}

/** A list paged by offset (the HSM, keystore and stack list APIs): `load(offset, limit)` answers the rows and the total. */
export async function offsetPaged<T>(o: { label: string; limit: number; load: (offset: number, limit: number) => Promise<{ rows: readonly T[]; more: boolean }>; table: (rows: readonly T[]) => HTMLElement }): Promise<HTMLElement> {
  const box = h('div', { class: 'paged' });
  const show = async (page: number): Promise<void> => {
    try {
      const got = await o.load((page - 1) * o.limit, o.limit);
      replaceChildren(box, o.table(got.rows), page > 1 || got.more ? pager({ page, hasNext: got.more, label: o.label, onPage: (p) => void show(p) }) : null);
    } catch (err) {
      replaceChildren(box, notice(errorText(err), 'error'));
    }
  };
  await show(1);
  return box;
}

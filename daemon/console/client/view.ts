/**
 * What a page is given (console contract): its route parameters, the hash's query, the API, the
 * session, navigation and notices. Each page module exports `render(view)`.
 */
import type { Api } from './api.js';
import type { Session } from './session.js';

export type NoticeKind = 'info' | 'ok' | 'error';

export interface View {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly api: Api;
  readonly session: Session;
  /** Goes to a console hash (`#/keys/<id>`); `then` is shown in the live region once that page is drawn. */
  navigate(hash: string, then?: { message: string; kind?: NoticeKind }): void;
  /** Shows a short message in the page's live region. */
  notify(message: string, kind?: NoticeKind): void;
}

export interface PageModule {
  render(view: View): Promise<HTMLElement>;
}

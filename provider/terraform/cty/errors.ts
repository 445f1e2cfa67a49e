/** The error the cty codecs throw: what is wrong (`detail`) and where (`path`, tfplugin6 AttributePath steps). */
import { pathString, type PathStep } from './path.js';

export class CtyError extends Error {
  readonly path: PathStep[];
  readonly detail: string;
  constructor(detail: string, path: readonly PathStep[] = []) {
    super(path.length > 0 ? `${pathString(path)}: ${detail}` : detail);
    this.name = 'CtyError';
    this.detail = detail;
    this.path = [...path];
  }
}

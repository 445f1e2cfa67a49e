/**
 * Terraform's file functions: file, filebase64, fileexists. They read through a FileReader the caller
 * injects (the configuration folder for plan and apply), so evaluation stays free of I/O of its own;
 * where none is given (variable defaults, -var values) they are refused.
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { FILE_FUNCTION_NAMES, FunctionError } from './functions.js';
import { UNKNOWN, mark, unmark, type Value } from './values.js';

export interface FileReader {
  /** The bytes of `path` (relative paths are relative to the configuration folder); throws when unreadable. */
  read(path: string): Uint8Array;
  exists(path: string): boolean;
}

/** Reads files under `dir`, the configuration folder (as dew_kps_keypair's key_file). */
export function folderReader(dir: string): FileReader {
  const at = (p: string): string => (isAbsolute(p) ? p : resolve(dir, p));
  return {
    read: (p) => readFileSync(at(p)),
    exists: (p) => {
      try {
        return statSync(at(p)).isFile();
      } catch {
        return false;
      }
    },
  };
}

export { FILE_FUNCTION_NAMES };

/** The path argument; undefined while it is not known. */
function pathArg(name: string, args: Value[]): { path: string; sensitive: boolean } | undefined {
  if (args.length !== 1) throw new FunctionError(`${name}: takes exactly one argument, the file's path`);
  const u = unmark(args[0]);
  if (u.value === UNKNOWN) return undefined;
  if (typeof u.value !== 'string' || u.value === '') throw new FunctionError(`${name}: the path must be a non-empty string`);
  return { path: u.value, sensitive: u.sensitive };
}

function readOrFail(name: string, files: FileReader, path: string): Uint8Array {
  try {
    return files.read(path);
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    throw new FunctionError(`${name}: cannot read ${path}${code === 'ENOENT' ? ': no such file' : typeof code === 'string' ? ` (${code})` : ''}`);
  }
}

/** Calls file/filebase64/fileexists; without a reader, refuses. The result is sensitive when the path is. */
export function callFileFunction(name: string, args: Value[], files: FileReader | undefined): Value {
  if (!files) throw new FunctionError(`${name}: files can only be read in resource, locals and output expressions`);
  const p = pathArg(name, args);
  if (p === undefined) return UNKNOWN;
  switch (name) {
    case 'fileexists':
      return mark(files.exists(p.path), p.sensitive);
    case 'filebase64':
      return mark(Buffer.from(readOrFail(name, files, p.path)).toString('base64'), p.sensitive);
    case 'file': {
      const bytes = readOrFail(name, files, p.path);
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        throw new FunctionError(`file: the contents of ${p.path} are not valid UTF-8; use filebase64 to read it as Base64`);
      }
      return mark(text, p.sensitive);
    }
    default:
      throw new FunctionError(`There is no file function named "${name}"`);
  }
}

// Types of test/tap-count.mjs for the TypeScript tests (the runner itself is plain Node).
export declare const ALLOWED_SKIPS: RegExp[];
export interface TapFileCount {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
}
export interface TapCount {
  passed: number;
  failed: number;
  skipped: number;
  problems: string[];
  files: TapFileCount[];
}
export declare function countTap(text: string, options?: { allowedSkips?: RegExp[] }): TapCount;

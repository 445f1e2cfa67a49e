/** A one-line progress bar on a terminal stream, redrawn at most every 200 ms. */
import type { TextOut } from '../commands/context.js';

const MiB = 1024 * 1024;

export function progressBar(out: TextOut, label: string, total: number | undefined, now: () => number): { add(n: number): void; done(): void } {
  let seen = 0;
  let last = 0;
  const draw = () => {
    const mib = (seen / MiB).toFixed(0);
    if (total === undefined || total === 0) return out.write(`\r${label}: ${mib} MiB`);
    const frac = Math.min(1, seen / total);
    const width = 30;
    const filled = Math.round(frac * width);
    out.write(`\r${label}: [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${mib}/${(total / MiB).toFixed(0)} MiB`);
  };
  return {
    add(n) {
      seen += n;
      const t = now();
      if (t - last >= 200) {
        last = t;
        draw();
      }
    },
    done() {
      draw();
      out.write('\n');
    },
  };
}

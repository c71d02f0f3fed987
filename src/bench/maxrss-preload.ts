/**
 * Preloaded (`node --import`) into a child process by bench/memory.ts: when
 * the process exits, writes `{"maxRssBytes": N}` to the file named by
 * $SPECINFER_MAXRSS_FILE: the peak resident set size of this process's own
 * memory, Linux's VmHWM (/proc/self/status). getrusage's ru_maxrss is not
 * used where VmHWM exists: after fork + exec it keeps the larger RSS of the
 * parent's memory the child was forked with.
 */
import { readFileSync, writeFileSync } from 'node:fs';

/** VmHWM in bytes, or ru_maxrss where /proc is absent. */
export function peakRssBytes(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) * 1024;
  } catch {
    // not Linux: fall back to getrusage
  }
  return process.resourceUsage().maxRSS * 1024;
}

const file = process.env.SPECINFER_MAXRSS_FILE;
if (file !== undefined && file !== '') {
  process.on('exit', () => writeFileSync(file, JSON.stringify({ maxRssBytes: peakRssBytes() })));
}

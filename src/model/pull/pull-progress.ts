import cliProgress from 'cli-progress';

/** Reports one file transfer at a time; sizes in bytes. */
export interface Progress {
  /** A transfer of `file` begins; `total` is undefined when the server does not say; `done` bytes are already on disk (resume). */
  start(file: string, url: string, total: number | undefined, done: number): void;
  /** `bytes` more arrived. */
  advance(bytes: number): void;
  /** The transfer ended (completed or failed). */
  stop(): void;
}

/** A bar on stderr when it is a TTY, otherwise one line per file through `log`. */
export function defaultProgress(log: (line: string) => void): Progress {
  return process.stderr.isTTY ? barProgress() : lineProgress(log);
}

/** One line per file: what is fetched, from where, how big, and the resume offset. */
function lineProgress(log: (line: string) => void): Progress {
  return {
    start: (file, url, total, done) => {
      const size = total === undefined ? 'size unknown' : formatBytes(total);
      log(`${file}: downloading ${size} from ${url}${done > 0 ? ` (resuming at ${formatBytes(done)})` : ''}`);
    },
    advance: () => undefined,
    stop: () => undefined,
  };
}

function barProgress(): Progress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start: (file, _url, total, done) => {
      bar = new cliProgress.SingleBar(
        { format: `${file} [{bar}] {percentage}% {value}/{total} bytes, ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
        cliProgress.Presets.shades_classic,
      );
      bar.start(total ?? 0, done);
    },
    advance: (bytes) => bar?.increment(bytes),
    stop: () => {
      bar?.stop();
      bar = undefined;
    },
  };
}

/** `n` bytes as e.g. "60.8 MB" (decimal units, like Hugging Face pages). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = -1;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

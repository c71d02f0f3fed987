/**
 * The report of a results folder (summary tables, charts, report.html),
 * rendered from its files after a run, a merge or on request, and the
 * tokens/step detail of a run's progress lines. The CLI imports this module
 * lazily: its dependencies (danfo, vega) take a while to load.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CellInfo } from '../harness/cell.js';
import type { Experiment } from '../harness/load.js';
import { readJson, readJsonl, recordsFile, RESULT_FILES } from '../harness/results.js';
import type { StepRecord } from '../decode/records.js';
import { summarize } from './metrics.js';
import { readRunDir, writeReport } from './report.js';
import { writeTopkReport } from './topk.js';

/** Renders summary tables, charts and report.html of a results folder from its files. */
export async function renderReport(dir: string, measure: Experiment['measure']): Promise<void> {
  if (measure === 'topk-agreement') {
    const cells = readJson<CellInfo[]>(path.join(dir, RESULT_FILES.cells));
    const meta = readJson<{ config?: string; title?: string; env?: Record<string, string> }>(path.join(dir, RESULT_FILES.meta));
    const configYaml = readFileSync(path.join(dir, RESULT_FILES.resolved), 'utf8');
    await writeTopkReport(dir, cells, readJsonl(recordsFile(dir, measure)), { ...meta, configYaml });
    return;
  }
  const run = readRunDir(dir);
  await writeReport(dir, run.cells, run.records, run.meta, run.outputs);
}

/** A finished cell's progress detail: tokens/step of a decode cell's step records ('' otherwise). */
export function cellDetail(measure: Experiment['measure'], records: readonly object[]): string {
  if (measure !== 'decode' || records.length === 0) return '';
  return `${summarize(records as readonly StepRecord[]).tokensPerStep.toFixed(2)} tokens/step`;
}

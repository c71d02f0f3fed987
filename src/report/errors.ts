import { SpecInferError } from '../core/errors.js';

/** A results folder (cells.json, steps.jsonl, meta.json) is missing, malformed or inconsistent. */
export class ReportError extends SpecInferError {}

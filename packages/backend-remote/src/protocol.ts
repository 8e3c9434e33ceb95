import type { PathRowRequest, PathRowResult, TopLogProbs } from '@reasonflow/core';
import { RemoteEngineError, type RemoteEngineKind } from './errors.js';
import type { HttpOptions } from './http.js';

/** What a protocol needs to send one iteration's rows. */
export interface ProtocolContext {
  readonly engine: RemoteEngineKind;
  readonly baseUrl: string;
  readonly model: string | undefined;
  readonly http: HttpOptions;
  readonly usage: RemoteUsage;
}

/** The server-side cost of a source's requests, as the servers report it. */
export interface RemoteUsage {
  /** HTTP requests sent. */
  requests: number;
  /** Σ prompt tokens sent. */
  promptTokens: number;
  /** Σ prompt tokens the server reported as served from its prefix cache. */
  cachedPromptTokens: number;
}

/** One row of an iteration: its full prompt (prefix + forced tokens) and its settings. */
export interface RowPrompt {
  readonly prompt: number[];
  readonly request: PathRowRequest;
}

export type ProtocolCall = (context: ProtocolContext, rows: readonly RowPrompt[], topLogProbs: number, signal: AbortSignal | undefined) => Promise<PathRowResult[]>;

/** A top list sorted most probable first and cut to k (servers may add the sampled token as k + 1). */
export function topList(entries: readonly { id: number; logProb: number }[], k: number): TopLogProbs {
  const sorted = [...entries].sort((a, b) => b.logProb - a.logProb || a.id - b.id).slice(0, k);
  return { ids: sorted.map((e) => e.id), logProbs: sorted.map((e) => e.logProb) };
}

/** Checks a parsed value and names what was wrong with the server's answer. */
export function expectShape(condition: unknown, context: ProtocolContext, url: string, what: string, body: unknown): asserts condition {
  if (!condition) {
    const text = JSON.stringify(body)?.slice(0, 500) ?? '';
    throw new RemoteEngineError(context.engine, url, 200, text, `unexpected response: ${what}`);
  }
}

export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && (Number.isFinite(x) || x === Number.NEGATIVE_INFINITY);
}

/** Log-probabilities arrive as JSON numbers; −∞ (a masked token) may arrive as null or a string. */
export function logProbOf(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (x === null || x === '-inf' || x === '-Infinity') return Number.NEGATIVE_INFINITY;
  return undefined;
}

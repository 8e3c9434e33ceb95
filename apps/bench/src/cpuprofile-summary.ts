#!/usr/bin/env node
/** Top self-time functions of a V8 `.cpuprofile` (node --cpu-prof), with their share of all samples. */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface SelfTime {
  name: string;
  where: string;
  share: number;
}

export function summarize(profile: { nodes: ProfileNode[]; samples: number[] }, top = 25): SelfTime[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map<string, number>();
  for (const id of profile.samples) {
    const f = byId.get(id)!.callFrame;
    const file = f.url.replace(/^.*\/(packages|apps|node_modules)\//, '$1/');
    const key = `${f.functionName || '(anonymous)'}\t${file}:${f.lineNumber + 1}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key, count]) => {
      const [name, where] = key.split('\t') as [string, string];
      return { name, where, share: count / profile.samples.length };
    });
}

if (process.argv[1]?.endsWith('cpuprofile-summary.js')) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: cpuprofile-summary.js <file.cpuprofile> [top]');
    process.exit(2);
  }
  const profile = JSON.parse(await readFile(file, 'utf8'));
  for (const r of summarize(profile, Number(process.argv[3] ?? 25))) console.log(`${(100 * r.share).toFixed(1).padStart(5)}%  ${r.name}  ${r.where}`);
}

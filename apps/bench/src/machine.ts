import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';

export interface MachineInfo {
  cpu: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  onnxruntimeNode: string;
  transformersJs: string;
  loadAverage: number[];
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const entry = require.resolve(name);
    // Walk up from the entry to the package's own package.json.
    let dir = entry;
    for (let i = 0; i < 6; i++) {
      dir = dir.slice(0, dir.lastIndexOf('/'));
      try {
        const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        // keep walking
      }
    }
  } catch {
    // not installed
  }
  return 'unknown';
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    onnxruntimeNode: packageVersion('onnxruntime-node'),
    transformersJs: packageVersion('@huggingface/transformers'),
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

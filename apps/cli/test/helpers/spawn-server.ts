import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface SpawnedServer {
  child: ChildProcess;
  base: string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stderr matches. */
  waitForStderr: (pattern: RegExp) => Promise<void>;
}

/** Starts the built `reasonflow serve` on a free port and resolves once it listens. */
export async function spawnServer(args: string[]): Promise<SpawnedServer> {
  const child = spawn(process.execPath, [main, 'serve', '--port', '0', '-d', 'cpu', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const waitForStderr = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(stderr)) return;
        child.stderr!.off('data', check);
        resolve();
      };
      child.stderr!.on('data', check);
      exit.then(() => reject(new Error(`exited before stderr matched ${pattern}: ${stderr}`)));
      check();
    });
  await waitForStderr(/listening on http:\/\/127\.0\.0\.1:\d+\/v1/);
  const port = /listening on http:\/\/127\.0\.0\.1:(\d+)\/v1/.exec(stderr)![1];
  return { child, base: `http://127.0.0.1:${port}`, stderr: () => stderr, exit, waitForStderr };
}

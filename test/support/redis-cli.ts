import { spawn } from 'node:child_process';

/** Runs redis-cli (an independent client of the shared Redis) and resolves with its trimmed output. */
export function redisCli(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const cli = spawn('redis-cli', args);
    let out = '';
    cli.stdout.on('data', (d) => (out += d));
    cli.on('error', (err) =>
      reject(new Error(`redis-cli: ${err.message} (apt-get install redis-tools)`)),
    );
    cli.on('exit', (code) =>
      code === 0 ? resolve(out.trim()) : reject(new Error(`redis-cli exited ${code}`)),
    );
  });
}

import { type ChildProcess, spawn } from 'node:child_process';

/**
 * Spawns `carrel start` with the given node flags and arguments, and resolves
 * with the API's base URL once the daemon prints it. Rejects if the daemon
 * exits first, with what it wrote to stderr.
 */
export async function spawnCarrel(options: {
  nodeArgs: readonly string[];
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}): Promise<{ child: ChildProcess; api: string }> {
  const child = spawn(process.execPath, [...options.nodeArgs, ...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const api = await new Promise<string>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /API\s+(http:\/\/\S+)\/api\/v1/.exec(stderr);
      if (match?.[1]) resolve(match[1]);
    });
    child.once('exit', (code) => reject(new Error(`carrel exited with ${code}: ${stderr}`)));
  });
  return { child, api };
}

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SIMULATOR_FAMILIES } from '../../src/app/families.js';

/** The built `carrel` command (npm test builds before it runs the tests). */
const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'src', 'cli', 'main.js');

function carrel(args: string[]) {
  return spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 20_000 });
}

/** `carrel` run without waiting for it: several run at once, each its own process. */
function carrelRunning(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 20_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  return new Promise((resolve) => child.once('close', (status) => resolve({ status, stdout, stderr })));
}

describe('carrel sim', () => {
  it('gives every simulator ports of its own, so a developer can run them all side by side', () => {
    const owner = new Map<number, string>();
    const clashes: string[] = [];
    for (const family of SIMULATOR_FAMILIES) {
      const ports = Object.values(family.ports);
      expect(ports.length, family.kind).toBeGreaterThan(0);
      for (const port of ports) {
        expect(Number.isInteger(port) && port > 1024 && port < 65536, `${family.kind} ${port}`).toBe(true);
        const other = owner.get(port);
        if (other !== undefined) clashes.push(`${port}: ${other} and ${family.kind}`);
        owner.set(port, family.kind);
        // The list a developer reads says where each one is.
        expect(family.summary, family.kind).toContain(String(port));
      }
    }
    expect(clashes).toEqual([]);
  });

  it('lists the simulators on --help (exit 0) and on a missing or unknown kind (exit 2)', () => {
    for (const args of [
      ['sim', '--help'],
      ['sim', '-h'],
      ['sim', 'help'],
    ]) {
      const help = carrel(args);
      expect(help.status, args.join(' ')).toBe(0);
      for (const family of SIMULATOR_FAMILIES) expect(help.stdout).toContain(family.kind);
    }
    for (const args of [['sim'], ['sim', 'toaster']]) {
      const wrong = carrel(args);
      expect(wrong.status, args.join(' ')).toBe(2);
      expect(wrong.stderr).toContain('card-printer');
      expect(wrong.stderr).toContain(args[1] ? 'unknown simulator "toaster"' : 'which simulator?');
    }
  });

  it('answers --help with a simulator’s options, and names them when one is wrong', async () => {
    // One process a simulator, all at once: one after the other they took 20 s on a loaded machine.
    const helps = await Promise.all(
      SIMULATOR_FAMILIES.map((family) => carrelRunning(['sim', family.kind, '--help'])),
    );
    for (const [index, family] of SIMULATOR_FAMILIES.entries()) {
      const help = helps[index]!;
      expect(help.status, family.kind).toBe(0);
      expect(help.stdout, family.kind).toMatch(/^options: /);
      for (const option of Object.keys(family.ports))
        expect(help.stdout, family.kind).toContain(`--${option}`);
    }
    const wrong = carrel(['sim', 'scanner', '--prot', '1']);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain("Unknown option '--prot'");
    expect(wrong.stderr).toContain('--port <value>');
  });

  it('says which file it cannot read, in one line and exit 2, never with a stack trace', () => {
    const missing = carrel([
      'sim',
      'ils',
      '--fixture',
      '/nonexistent/library.yaml',
      '--port',
      '0',
      '--http-port',
      '0',
    ]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toBe(
      'carrel: fixture /nonexistent/library.yaml is not valid:\n  (file): cannot read /nonexistent/library.yaml: no such file\n',
    );
    const cert = carrel([
      'sim',
      'ils',
      '--tls-cert',
      '/nonexistent/c.pem',
      '--tls-key',
      '/nonexistent/k.pem',
    ]);
    expect(cert.status).toBe(2);
    expect(cert.stderr).toBe('carrel: --tls-cert: cannot read /nonexistent/c.pem: no such file\n');
    // A folder that is not there (not /nonexistent: this machine's root may have made that one).
    const missingFolder = join(mkdtempSync(join(tmpdir(), 'carrel-sim-fifo-')), 'missing');
    const fifo = carrel([
      'sim',
      'scanner',
      '--fifo',
      join(missingFolder, 'event0'),
      '--port',
      '0',
      '--http-port',
      '0',
    ]);
    expect(fifo.status).toBe(1);
    // mkfifo's own words (in the machine's language), on one line.
    expect(fifo.stderr.startsWith(`carrel: --fifo ${join(missingFolder, 'event0')}: mkfifo: `)).toBe(true);
    expect(fifo.stderr).toMatch(/^[^\n]+\n$/);
    rmSync(dirname(missingFolder), { recursive: true, force: true });
  });
});

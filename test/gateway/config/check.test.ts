import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runConfigCheck } from '../../../src/app/config.js';

const fixture = (name: string) => new URL(`../../fixtures/config/${name}`, import.meta.url).pathname;

function check(path: string, env: NodeJS.ProcessEnv = {}): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = runConfigCheck(path, (line) => lines.push(line), env);
  return { code, lines };
}

describe('runConfigCheck', () => {
  it('prints the device and simulator count for a good file and returns 0', () => {
    expect(check(fixture('valid.json'))).toEqual({ code: 0, lines: ['ok: 2 devices, 1 simulator'] });
  });

  it('loads a version-1 file and says what it migrated', () => {
    expect(check(fixture('version-1-ils.yaml'))).toEqual({
      code: 0,
      lines: [
        'ok: 2 devices, 0 simulators',
        'migrated: the "ils" section is now the device "ils" (devices[0], kind ils, transport tcp); version 2',
      ],
    });
  });

  it('prints every error, one per line, and returns 2', () => {
    const path = fixture('many-errors.yaml');
    const { code, lines } = check(path);
    expect(code).toBe(2);
    expect(lines[0]).toBe(`${path}: 9 errors`);
    expect(lines).toHaveLength(10);
    expect(lines).toContain('  http.port: must be a number, got "abc"');
    expect(lines.join('\n')).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('puts a single problem on one line', () => {
    const path = fixture('future-version.yaml');
    const { code, lines } = check(path);
    expect(code).toBe(2);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${path}: version: is 7, but .* upgrade Carrel`));
  });

  it('reports an unreadable file as one line', () => {
    expect(check('/nonexistent/carrel.yaml')).toEqual({
      code: 2,
      lines: ['cannot read /nonexistent/carrel.yaml: no such file'],
    });
    expect(check(new URL('../../fixtures/config/', import.meta.url).pathname).lines).toEqual([
      expect.stringMatching(/^cannot read .*: it is a directory, not a file$/),
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-check-'));
    const path = join(dir, 'carrel.yaml');
    writeFileSync(path, 'version: 1\ndevices:\n  - { id: r1\n');
    const { code, lines } = check(path);
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(lines.join('\n')).toMatch(/YAML syntax error at line \d+, column \d+/);
  });

  it('takes a card printer without a driver as an Evolis, and refuses a Magicard on an Evolis simulator', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-check-'));
    const path = join(dir, 'carrel.yaml');
    const desk = (driver: string, model: string) =>
      `version: 2\nsimulators:\n  - { id: cp, kind: card-printer${model} }\ndevices:\n` +
      `  - { id: cards-2, kind: card-printer${driver}, transport: { type: simulator, simulator: cp } }\n`;
    writeFileSync(path, desk('', ''));
    const plain = check(path);
    writeFileSync(path, desk(', driver: magicard', ', model: magicard'));
    const magicard = check(path);
    writeFileSync(path, desk(', driver: magicard', ''));
    const mismatched = check(path);
    rmSync(dir, { recursive: true, force: true });
    expect(plain.code).toBe(0);
    expect(magicard.code).toBe(0);
    expect(mismatched.code).toBe(2);
    expect(mismatched.lines.join('\n')).toMatch(/driver: simulator "cp" plays evolis, not magicard/);
  });

  it('refuses a gate that asks the ILS on a desk without one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-check-'));
    const path = join(dir, 'carrel.yaml');
    const gate = (method: string) =>
      `  - { id: exit-1, kind: gate, driver: feig-notification, alarm: { method: ${method} } }\n`;
    writeFileSync(path, `version: 2\ndevices:\n${gate('ils')}`);
    const asking = check(path);
    writeFileSync(path, `version: 2\ndevices:\n${gate('afi-or-ils')}`);
    const asOrIls = check(path);
    writeFileSync(path, `version: 2\ndevices:\n${gate('afi')}`);
    const byAfi = check(path);
    rmSync(dir, { recursive: true, force: true });
    expect(asking).toEqual({
      code: 2,
      lines: [`${path}: devices[0].alarm.method: ils asks the ILS, and this desk has no ILS device`],
    });
    expect(asOrIls.code).toBe(2);
    expect(byAfi.code).toBe(0);
  });
  it("refuses to read a real gate's people counter more often than every 5 s, and lets the simulated gate be read every 2 s", () => {
    const dir = mkdtempSync(join(tmpdir(), 'carrel-check-'));
    const path = join(dir, 'carrel.yaml');
    const gate = (transport: string, seconds: number) =>
      `  - { id: exit-1, kind: gate, driver: feig-notification, transport: ${transport}, visitors: { countIntervalSeconds: ${seconds} } }\n`;
    const simulated = 'simulators:\n  - { id: gate-sim, kind: gate, dials: exit-1 }\n';
    const real = '{ type: tcp, host: 192.0.2.10, port: 10001 }';
    writeFileSync(path, `version: 2\ndevices:\n${gate(real, 2)}`);
    const realEveryTwo = check(path);
    writeFileSync(path, `version: 2\ndevices:\n${gate(real, 5)}`);
    const realEveryFive = check(path);
    writeFileSync(
      path,
      `version: 2\ndevices:\n${gate('{ type: simulator, simulator: gate-sim }', 2)}${simulated}`,
    );
    const simulatedEveryTwo = check(path);
    rmSync(dir, { recursive: true, force: true });
    expect(realEveryTwo).toEqual({
      code: 2,
      lines: [
        `${path}: devices[0].visitors.countIntervalSeconds: a gate on the network is read at most every 5 seconds (60, the default, is enough: nothing counted is lost between readings)`,
      ],
    });
    expect(realEveryFive.code).toBe(0);
    expect(simulatedEveryTwo).toMatchObject({ code: 0 });
  });
});

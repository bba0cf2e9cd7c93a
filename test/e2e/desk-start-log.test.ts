import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';

/**
 * What IT reads in the simulated desk's log as it starts. Nothing at start concerns a patron, so
 * nothing in it should be censored: the logger's censoring of patron keys (`name`, `address`…)
 * must not take a device's own details with it.
 */
let testDesk: TestDesk;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const stream = new PassThrough();
  let rest = '';
  stream.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) if (part) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  testDesk = await startTestDesk((config) => config, createLogger({ format: 'json', destination: stream }));
  await waitForDevice(testDesk.api, 'exit-1', 'online');
});

afterAll(async () => {
  await testDesk?.stop();
});

describe('the simulated desk starting, as its log says it', () => {
  it("names the gate's IP address when the gate connects", () => {
    const connected = lines.find((line) => line.msg === 'gate connected' && line.device === 'exit-1');
    expect(connected).toMatchObject({ gateIp: '127.0.0.1' });
  });

  it('censors nothing, as nothing at start is about a patron', () => {
    const censored = lines.filter((line) => JSON.stringify(line).includes('[redacted]'));
    expect(censored).toEqual([]);
  });
});

import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ilsSimulators } from '../../simulators/ils/family.js';
import { createLogger } from '../../src/core/logger.js';
import { Observer } from '../api/mqtt/observer.js';
import { callApi } from '../helpers/api-call.js';
import { startTestDesk, type TestDesk, waitForDevice } from '../helpers/desk.js';
import { until } from '../helpers/until.js';

/** The keys of a JSON object's top level, in order, each as often as the line writes it. */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      if (depth === 1 && line[end + 1] === ':') keys.push(line.slice(i + 1, end));
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

/**
 * Every line the desk logs is a JSON object naming each field once: a log shipper that refuses an
 * object with a key twice (Elasticsearch) drops the line. A module's logger is a child of another's,
 * and a child naming its `module` again writes the key twice. The default desk, logging at debug,
 * through its start, a checkout, the ILS going away (a checkout journaled offline) and its stop.
 */
describe('the desk’s log lines', () => {
  const lines: string[] = [];
  let testDesk: TestDesk | undefined;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    testDesk = await startTestDesk(
      (config) => ({ ...config, offline: { ...config.offline, enabled: true } }),
      createLogger({ level: 'debug', format: 'json', destination: sink }),
    );
    await waitForDevice(testDesk.api, 'ils', 'online');
  });
  afterAll(async () => {
    await testDesk?.stop();
  });

  it('never carry the SIP2 password of the ILS link, nor do /metrics, the devices or retained MQTT messages', async () => {
    if (!testDesk) throw new Error('the desk did not start');
    // The sample desk's ILS account (simulators/ils/family.ts): its login went out at the start.
    const password = 'kiosk1pw';
    const watcher = await Observer.connect(testDesk.desk.urls().mqtt!, {
      clientId: 'it-watch',
      protocolVersion: 4,
    });
    try {
      await watcher.subscribe('carrel/#');
      const ils = await watcher.waitFor((m) => m.topic.endsWith('/devices/ils/state'), 'the ILS state');
      expect(ils.payload.toString('utf8')).toContain('"online"');
      expect(watcher.messages.filter((m) => m.payload.toString('utf8').includes(password))).toEqual([]);
    } finally {
      await watcher.close();
    }
    for (const path of ['/metrics', '/api/v1/devices', '/api/v1/devices/ils', '/readyz']) {
      const body = await (await fetch(`${testDesk.api}${path}`)).text();
      expect(body.length, path).toBeGreaterThan(0);
      expect(body, path).not.toContain(password);
    }
    expect(lines.some((line) => line.includes('"frame":"93'))).toBe(true);
    expect(lines.filter((line) => line.includes(password))).toEqual([]);
  });

  it('name each field once, whichever module wrote them', async () => {
    if (!testDesk) throw new Error('the desk did not start');
    const api = `${testDesk.api}/api/v1`;
    expect(
      (await callApi(api, 'POST', '/checkouts', { patron: '21000001', pin: '1234', item: '31000005' }))
        .status,
    ).toBe(200);
    await testDesk.desk.simulators.handle(ilsSimulators, 'ils-sim')!.close();
    await waitForDevice(testDesk.api, 'ils', 'offline', 15_000);
    const offline = await callApi(api, 'POST', '/checkouts', {
      patron: '21000001',
      pin: '1234',
      item: '31000004',
    });
    expect(offline.status).toBe(200);
    await until(() => (lines.some((line) => line.includes('"module":"offline')) ? true : undefined), 5000);
    const desk = testDesk;
    testDesk = undefined;
    await desk.stop();
    const twice = lines.flatMap((line) => {
      const keys = topLevelKeys(line);
      const repeated = keys.filter((key, index) => keys.indexOf(key) !== index);
      return repeated.length > 0 ? [`${repeated.join(', ')} in ${line.slice(0, 200)}`] : [];
    });
    expect(lines.length).toBeGreaterThan(20);
    expect(twice).toEqual([]);
  });
});

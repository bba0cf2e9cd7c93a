import { afterEach, describe, expect, it, vi } from 'vitest';
import { runIlsSimulator } from '../../../simulators/ils/main.js';
import { Sip2TestClient } from './sip2-client.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('runIlsSimulator (carrel sim ils)', () => {
  it('serves the sample library, prints its address, and stops on SIGTERM', async () => {
    const lines: string[] = [];
    let announced!: () => void;
    const ready = new Promise<void>((resolve) => {
      announced = resolve;
    });
    vi.spyOn(console, 'log').mockImplementation((line: string) => {
      lines.push(line);
      if (line.includes('logins')) announced();
    });
    const running = runIlsSimulator(['--port', '0', '--http-port', '0']);
    await ready;
    const port = Number(/SIP2 {5}tcp:\/\/127\.0\.0\.1:(\d+)/.exec(lines.join('\n'))?.[1]);
    expect(port).toBeGreaterThan(0);
    const client = await Sip2TestClient.connect(port);
    expect(await client.login('kiosk1', 'kiosk1pw')).toBe(true);
    client.close();
    // The control API: faults set over HTTP.
    const control = /control {2}(http:\/\/127\.0\.0\.1:\d+)\/api\/state/.exec(lines.join('\n'))?.[1];
    expect(control).toBeDefined();
    const put = await fetch(`${control}/api/faults`, {
      method: 'PUT',
      body: JSON.stringify({ latencyMs: 10 }),
    });
    expect(await put.json()).toEqual({ latencyMs: 10 });
    expect(await (await fetch(`${control}/api/state`)).json()).toMatchObject({ faults: { latencyMs: 10 } });

    process.emit('SIGTERM');
    expect(await running).toBe(0);
  });

  it('rejects bad options and bad fixtures with a usage error', async () => {
    await expect(runIlsSimulator(['--port', 'ninety'])).rejects.toMatchObject({ code: 'usage' });
    await expect(runIlsSimulator(['--http-port', '70000'])).rejects.toMatchObject({
      code: 'usage',
      message: expect.stringMatching(/--http-port/),
    });
    await expect(runIlsSimulator(['--tls-cert', 'x.pem'])).rejects.toMatchObject({ code: 'usage' });
    await expect(runIlsSimulator(['--bogus'])).rejects.toMatchObject({ code: 'usage' });
    await expect(
      runIlsSimulator(['--port', '0', '--fixture', 'test/fixtures/ils/broken-library.yaml']),
    ).rejects.toMatchObject({ code: 'usage', message: expect.stringMatching(/library\.timeZone/) });
  });
});

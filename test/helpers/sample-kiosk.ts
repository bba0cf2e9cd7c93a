/**
 * A kiosk's SIP2 link to the sample library's ILS, logged in as kiosk1 at RIVERSIDE/MAIN. Free of
 * vitest, so that the benchmarks (bench/sip2-*.ts) use it without pulling the test runner in.
 */
import { IlsClient, type IlsClientOptions, type IlsConfigInput } from '../../src/devices/ils/index.js';

/** The sample library's kiosk1 link to an ILS on 127.0.0.1:`port`, no heartbeat; `settings` override. */
export function sampleKioskSettings(port: number, settings: Partial<IlsConfigInput> = {}): IlsConfigInput {
  return {
    host: '127.0.0.1',
    port,
    user: 'kiosk1',
    password: 'kiosk1pw',
    location: 'MAIN',
    institution: 'RIVERSIDE',
    heartbeatSeconds: 0,
    ...settings,
  };
}

/** A kiosk's ILS client with `sampleKioskSettings(port, settings)`, not yet connected. */
export function sampleKioskClient(
  port: number,
  settings: Partial<IlsConfigInput> = {},
  options: IlsClientOptions = {},
): IlsClient {
  return IlsClient.create(sampleKioskSettings(port, settings), options);
}

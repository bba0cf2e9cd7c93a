// Run by mqtt-client-lazy.test.ts in a child process, compiled by `npm run build` beside the
// gateway it loads (dist/test/api/mqtt/ and dist/src/):
//   node mqtt-module-probe.js <embedded|off|external>
// Starts MqttFeature the way the daemon does (embedded, or MQTT off), or MqttApi over a client
// link (external, the positive control), stops it, and prints one JSON line
// naming every module under node_modules/mqtt/ this process loaded, and how much of
// aedes and of the MQTT topic API it loaded.
//
// Two witnesses, because an ES module and a CommonJS one are loaded differently:
// - a module.register() resolve hook sees every `import` and `import()` the ESM
//   loader resolves (how Carrel reaches the mqtt package), reported over a MessagePort;
// - require.cache holds every CommonJS file loaded, also those pulled in by
//   require() inside a package, which no ESM hook sees (mqtt 5 is CommonJS).
// The gateway's modules are imported with import() after the hook is registered, never by a static
// import (those would all be loaded before this file's first line runs, unseen by the hook).
import { createRequire, register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import type { CarrelConfig } from '../../../src/app/config.js';
import type { DeviceState } from '../../../src/devices/device-state.js';
import type { DeskServices } from '../../../src/gateway/contracts/desk.js';

const [mode] = process.argv.slice(2);
const resolved: string[] = [];
let flushed: { token: string; done: () => void } | undefined;
const { port1, port2 } = new MessageChannel();
port1.on('message', (url: string) => {
  resolved.push(url);
  if (flushed && url.includes(flushed.token)) flushed.done();
});
const hooks = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  port.postMessage(result.url);
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
  data: { port: port2 },
  transferList: [port2],
});

const { MqttFeature } = await import('../../../src/app/mqtt-feature.js');
const { EventBus } = await import('../../../src/gateway/event-bus.js');
const { silentLogger } = await import('../../../src/core/logger.js');

const logger = silentLogger();
const bus = new EventBus();
const device: DeviceState = {
  device: 'receipt-1',
  kind: 'receipt-printer',
  status: 'online',
  since: '2026-01-01T00:00:00.000Z',
  reason: null,
  lastError: null,
  reconnects: 0,
  detail: {},
};
// What the probe's runs reach of the desk's services: the MQTT API's device states and actions.
const services: Pick<
  DeskServices,
  'site' | 'gateway' | 'bus' | 'devices' | 'device' | 'ports' | 'features' | 'readiness'
> = {
  site: 'library',
  gateway: 'desk-1',
  bus,
  devices: () => [device],
  device: () => device,
  ports: {
    port: () => {
      throw new Error('the probe runs no device to look up');
    },
    all: () => [],
  },
  features: () => [],
  readiness: () => ({ ready: true, checks: [] }),
};
if (mode === 'embedded' || mode === 'off') {
  // The daemon's path for `mqtt.mode: embedded` (or `off`).
  // MqttFeature reads no more of the desk's configuration than these four sections.
  const config: Pick<CarrelConfig, 'site' | 'gateway' | 'auth' | 'mqtt'> = {
    site: 'library',
    gateway: 'desk-1',
    auth: { tokens: [] },
    mqtt: mode === 'off' ? { mode: 'off' } : { mode: 'embedded', host: '127.0.0.1', port: 0 },
  };
  const feature = new MqttFeature(config as CarrelConfig, services as DeskServices, logger, []);
  await feature.start();
  bus.emit('device.state', { ...device, status: 'degraded' });
  await feature.stop();
} else {
  // The positive control: a client link (as for an external broker; aedes over TCP here,
  // so MQTT 3.1.1) must load mqtt, or the witnesses above see nothing.
  const { startEmbeddedBroker } = await import('../../../src/api/mqtt/embedded-broker.js');
  const { MqttApi } = await import('../../../src/api/mqtt/mqtt-api.js');
  const broker = await startEmbeddedBroker({ port: 0, logger });
  const api = new MqttApi({
    site: 'library',
    gateway: 'desk-1',
    url: `mqtt://127.0.0.1:${broker.port}`,
    protocolVersion: 4,
    bus,
    logger,
    deviceStates: () => [device],
    actions: {},
  });
  await api.start();
  bus.emit('device.state', { ...device, status: 'degraded' });
  await api.stop();
  await broker.close();
}

// Messages on one port arrive in order: once this last resolution is reported, all earlier ones are.
const token = `probe${process.pid}x${Date.now()}`;
await new Promise<void>((done) => {
  flushed = { token, done };
  import(`data:text/javascript,export const ${token} = 1;`);
});
port1.close();

const fromRequire = Object.keys(createRequire(import.meta.url).cache);
const isMqtt = (path: string) => path.replaceAll('\\', '/').includes('/node_modules/mqtt/');
console.log(
  JSON.stringify({
    mode,
    imported: resolved.filter(isMqtt),
    required: fromRequire.filter(isMqtt),
    // A package the run must load either way: proves the ESM witness saw this run's imports.
    aedes: resolved.filter((url) => url.includes('/node_modules/aedes/')).length,
    // The desk's MQTT topic API (MqttFeature imports it as it starts, when MQTT is on).
    topicApi: resolved.filter((url) => url.endsWith('/src/api/mqtt/mqtt-api.js')).length,
  }),
);

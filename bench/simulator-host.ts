/**
 * A process holding simulators for a gateway in another process, as a deployed
 * gateway's devices are elsewhere: `node simulator-host.js '<simulators JSON>'`.
 * It starts them (the `simulators[]` entries of a config) and writes one line of
 * JSON to stdout, each simulator's id → its TCP address, and nothing else there (the
 * simulators' log goes to stderr); it stops when its stdin closes (the parent went away)
 * or on SIGTERM.
 */

import type { SimulatorConfig } from '../src/app/config.js';
import { SIMULATOR_FAMILIES } from '../src/app/families.js';
import { SimulatorsFeature } from '../src/app/simulators-feature.js';
import { createLogger } from '../src/core/logger.js';

const configs = JSON.parse(process.argv[2] ?? '[]') as SimulatorConfig[];
const logger = createLogger({ level: 'warn', destination: process.stderr });
const simulators = new SimulatorsFeature(configs, SIMULATOR_FAMILIES, logger);
await simulators.start();
const addresses = Object.fromEntries(configs.map((config) => [config.id, simulators.address(config.id)]));
process.stdout.write(`${JSON.stringify(addresses)}\n`);

const stop = () => void simulators.stop().then(() => process.exit(0));
process.stdin.on('end', stop);
process.stdin.resume();
process.once('SIGTERM', stop);

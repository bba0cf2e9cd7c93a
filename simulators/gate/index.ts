export { type CommandServer, startCommandServer } from './command-server.js';
export { faultsSchema, type GateControl } from './control-server.js';
export {
  DEFAULT_GATE_MODEL,
  GateModel,
  type GateModelOptions,
  type GateWatch,
  type Passage,
  type PassageResult,
  type PassageTag,
  passageSchema,
} from './gate-model.js';
export type { ChannelFaults, ChannelState } from './notification-client.js';
export {
  type GateSimulator,
  type GateSimulatorOptions,
  type GateSimulatorState,
  startGateSimulator,
} from './simulator.js';

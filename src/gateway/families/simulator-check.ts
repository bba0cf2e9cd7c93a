import type { ConfigIssueSink, DeskLayout } from '../family.js';

/**
 * A device reached over `{ type: simulator }` must name a configured simulator
 * of the kind that speaks its protocol.
 */
export function checkSimulatorTransport(
  transport: { type: string; simulator?: string },
  simulatorKind: string,
  layout: DeskLayout,
  issue: ConfigIssueSink,
): void {
  if (transport.type !== 'simulator' || transport.simulator === undefined) return;
  const simulator = layout.simulators.find((s) => s.id === transport.simulator);
  if (!simulator) {
    issue(['transport', 'simulator'], `no simulator with id "${transport.simulator}" is configured`);
  } else if (simulator.kind !== simulatorKind) {
    issue(
      ['transport', 'simulator'],
      `simulator "${transport.simulator}" is of kind "${simulator.kind}"; this device needs a simulator of kind "${simulatorKind}"`,
    );
  }
}

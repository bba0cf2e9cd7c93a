export interface Command {
  run(argv: string[]): Promise<number>;
}

/** Commands load on use: `carrel config check` does not pay for the gateway's imports. */
const LOADERS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  start: {
    summary: 'run the gateway (the simulated desk when no configuration is given)',
    load: async () => (await import('./start.js')).startCommand,
  },
  config: {
    summary: 'check a configuration file, or print its JSON Schema',
    load: async () => (await import('./config.js')).configCommand,
  },
  doctor: {
    summary:
      'check this desk: config, ports, device nodes, native modules, ILS, devices, MQTT, database, systemd',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  rfid: {
    summary: 'decode or encode library RFID tag data (ISO 28560)',
    load: async () => (await import('./rfid.js')).rfidCommand,
  },
  sip2: {
    summary:
      'SIP2 console for the ILS: status, patron-info, checkout…, or a shell (JSON out, --wire for frames)',
    load: async () => (await import('./sip2.js')).sip2Command,
  },
  backup: {
    summary: "write a checked copy of the desk's database while it runs (money, offline journal, cards)",
    load: async () => (await import('./backup.js')).backupCommand,
  },
  restore: {
    summary: "put a backup in place of the desk's database (Carrel stopped; the old file is kept)",
    load: async () => (await import('./restore.js')).restoreCommand,
  },
  mqtt: {
    summary:
      'for an external broker: print its Mosquitto ACL (mqtt acl), or clear a retired desk from it (mqtt forget)',
    load: async () => (await import('./mqtt.js')).mqttCommand,
  },
  fleet: {
    summary: 'the fleet view for central IT: every desk on a broker, from its retained MQTT state',
    load: async () => (await import('./fleet.js')).fleetCommand,
  },
  sim: {
    summary: 'run one device simulator on its own: carrel sim <kind> [options]',
    load: async () => (await import('./sim.js')).simCommand,
  },
};

export function findCommand(name: string): (() => Promise<Command>) | undefined {
  return Object.hasOwn(LOADERS, name) ? LOADERS[name]!.load : undefined;
}

export function printUsage(out: NodeJS.WritableStream): void {
  const width = Math.max(...Object.keys(LOADERS).map((n) => n.length));
  out.write('usage: carrel <command> [options]\n\ncommands:\n');
  for (const [name, command] of Object.entries(LOADERS)) {
    out.write(`  ${name.padEnd(width)}  ${command.summary}\n`);
  }
  out.write('\n`carrel <command> --help` (or `carrel help <command>`) for its options.\n');
}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { defaultDeskConfig } from '../src/app/default-desk.js';
import { createDesk, type Desk } from '../src/app/desk.js';
import { silentLogger } from '../src/core/logger.js';

/** The simulated default desk a benchmark measures, started in this process. */
export interface SimulatedDesk {
  desk: Desk;
  /** Its HTTP API's base URL (…/api/v1). */
  api: string;
  /** The default desk's config it was started from (before its ports and database were set). */
  config: ReturnType<typeof defaultDeskConfig>;
}

/**
 * Starts the simulated default desk in this process — HTTP on a port the system gives, no MQTT,
 * its database in a new temporary folder named after `name` — waits for each device in `online`
 * to say so (15 s each at most), runs `measure`, then stops the desk and removes the folder.
 */
export async function withSimulatedDesk<T>(
  name: string,
  online: readonly string[],
  measure: (simulated: SimulatedDesk) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), `carrel-bench-${name}-`));
  const base = defaultDeskConfig();
  const desk = await createDesk({
    config: {
      ...base,
      http: { ...base.http, port: 0 },
      mqtt: { mode: 'off' } as typeof base.mqtt,
      storage: { ...base.storage, path: path.join(dir, 'carrel.db') },
    },
    logger: silentLogger(),
    version: 'bench',
  });
  await desk.start();
  try {
    const api = desk.urls().api!;
    for (const id of online) {
      const deadline = performance.now() + 15_000;
      while (
        ((await (await fetch(`${api}/devices/${id}`)).json()) as { status: string }).status !== 'online'
      ) {
        if (performance.now() > deadline) throw new Error(`${id} did not come online`);
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    return await measure({ desk, api, config: base });
  } finally {
    await desk.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

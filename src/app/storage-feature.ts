import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '../core/logger.js';
import type { Feature } from '../gateway/feature.js';
import { type Database, openDatabase } from '../gateway/storage.js';

/**
 * Where the database lives: the configured path, else systemd's
 * STATE_DIRECTORY (/var/lib/carrel), else `.carrel-state/` in the working
 * directory (the simulated desk of a developer).
 */
export function databasePath(configured: string | undefined, env: NodeJS.ProcessEnv): string {
  if (configured) return resolve(configured);
  const stateDirectory = env.STATE_DIRECTORY?.split(':')[0];
  if (stateDirectory) return join(stateDirectory, 'carrel.db');
  return resolve('.carrel-state', 'carrel.db');
}

/** Opens the SQLite database on start (so native code loads only when the desk needs it). */
export class StorageFeature implements Feature {
  readonly name = 'storage';
  private database: Database | undefined;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
  ) {}

  get db(): Database {
    if (!this.database) throw new Error('storage is not open');
    return this.database;
  }

  get isOpen(): boolean {
    return this.database !== undefined;
  }

  async start(): Promise<void> {
    if (this.path !== ':memory:') mkdirSync(dirname(this.path), { recursive: true });
    this.database = openDatabase(this.path);
    this.logger.info({ path: this.path }, 'database open');
  }

  async stop(): Promise<void> {
    this.database?.close();
    this.database = undefined;
  }
}

import { accessSync, constants, realpathSync, statSync } from 'node:fs';

/** What a device node (or the FIFO a simulator stands in with) is, as this user finds it. */
export type NodeStatus =
  | { state: 'missing'; code: string }
  | {
      state: 'present';
      /** The node the path leads to (a by-id link resolved). */
      real: string;
      type: 'character device' | 'FIFO' | 'file' | 'other';
      readable: boolean;
      writable: boolean;
    };

/** Looks at a node without opening it (a running Carrel may hold it). */
export function nodeStatus(path: string): NodeStatus {
  let real: string;
  let stat: ReturnType<typeof statSync>;
  try {
    real = realpathSync(path);
    stat = statSync(real);
  } catch (error) {
    return { state: 'missing', code: (error as NodeJS.ErrnoException).code ?? 'error' };
  }
  const may = (mode: number) => {
    try {
      accessSync(real, mode);
      return true;
    } catch {
      return false;
    }
  };
  return {
    state: 'present',
    real,
    type: stat.isCharacterDevice()
      ? 'character device'
      : stat.isFIFO()
        ? 'FIFO'
        : stat.isFile()
          ? 'file'
          : 'other',
    readable: may(constants.R_OK),
    writable: may(constants.W_OK),
  };
}

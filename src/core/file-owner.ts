import { chownSync, statSync } from 'node:fs';

/**
 * Run as root (`sudo carrel backup`, `sudo carrel restore`), gives `paths` the owner of
 * `reference` (the state directory): files root made there would otherwise keep Carrel's own
 * user, which systemd runs it as, from opening or replacing them. Nothing otherwise.
 */
export function giveOwnerOf(reference: string, ...paths: string[]): void {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const { uid, gid } = statSync(reference);
  for (const path of paths) {
    try {
      chownSync(path, uid, gid);
    } catch (error) {
      // A file system without owners (a FAT USB stick a backup goes to) refuses: nothing to give.
      if (!NO_OWNERS.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }
}

const NO_OWNERS = new Set(['EPERM', 'EINVAL', 'ENOTSUP', 'EOPNOTSUPP']);

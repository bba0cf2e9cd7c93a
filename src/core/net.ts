import { createServer, isIP } from 'node:net';

/** True for 127.0.0.0/8, ::1 and localhost: the addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/**
 * A Host header naming a loopback address, with or without its port: 127.x.x.x, localhost (any
 * case), [::1]. isLoopbackHost's rule as one expression, since a tokenless desk checks every request.
 */
const LOOPBACK_HOST_HEADER = /^(?:127(?:\.\d{1,3}){3}|localhost|\[::1\])(?::\d{1,5})?$/i;

export function isLoopbackHostHeader(header: string): boolean {
  return LOOPBACK_HOST_HEADER.test(header);
}

/**
 * A connection's source address as one machine is known by: an IPv4-mapped IPv6 address
 * (`::ffff:10.0.0.5`) is its IPv4 form, brackets go, IPv6 is lower case.
 */
export function sourceAddress(address: string): string {
  return address
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1');
}

/** What listening on an address for a moment found: free, in use, or why it cannot be listened on. */
export type ListenProbe = 'free' | 'in-use' | { error: string };

/** Listens on host:port for a moment to see whether it is free (`carrel doctor`, the simulated desk's broker). */
export function probeListen(host: string, port: number): Promise<ListenProbe> {
  if (port === 0) return Promise.resolve('free');
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve('in-use');
      else if (error.code === 'EACCES')
        resolve({ error: 'permission denied (a port below 1024 needs privileges)' });
      else if (error.code === 'EADDRNOTAVAIL')
        resolve({ error: `${host} is not an address of this machine` });
      else resolve({ error: error.message });
    });
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve('free')));
  });
}

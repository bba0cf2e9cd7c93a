import { createServer, isIP } from 'node:net';

/** True for 127.0.0.0/8, ::1 and localhost: the addresses only this machine reaches. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  return h === 'localhost' || h === '::1' || (isIP(h) === 4 && h.startsWith('127.'));
}

/** A host as written, for comparing: lower case, without an IPv6 address's brackets. */
const bareHost = (host: string) =>
  host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');

/**
 * The loopback addresses a connection dialled to `host` arrives at, or undefined when the host is
 * another machine's (or this machine's by a network address, which a file cannot tell). Linux
 * connects a dial to the unspecified address (0.0.0.0, ::) to loopback: it is this machine too.
 */
function loopbackArrivals(host: string): string[] | undefined {
  const h = bareHost(host);
  if (h === 'localhost') return ['127.0.0.1', '::1'];
  if (h === '0.0.0.0') return ['127.0.0.1'];
  if (h === '::') return ['::1'];
  return isLoopbackHost(h) ? [h] : undefined;
}

/** A listener on `listenHost` takes a connection arriving at the loopback `address`. */
function listenerTakes(listenHost: string, address: string): boolean {
  const l = bareHost(listenHost);
  if (l === '' || l === '::') return true;
  if (l === '0.0.0.0') return !address.includes(':');
  if (l === 'localhost') return address === '127.0.0.1' || address === '::1';
  return l === address;
}

/**
 * A client dialling `dialHost` on a port reaches a listener on `listenHost` and the same port of
 * this machine: both loopback (by any of their names, or the listener on every address), or one
 * address written alike. Another machine's address is never claimed: only where the file says so.
 */
export function dialReaches(dialHost: string, listenHost: string): boolean {
  const arrivals = loopbackArrivals(dialHost);
  if (arrivals) return arrivals.some((address) => listenerTakes(listenHost, address));
  return bareHost(dialHost) === bareHost(listenHost);
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

import type { Clock } from '../../core/clock.js';
import { TcpTransport } from '../transport/tcp.js';
import { TlsTransport } from '../transport/tls.js';
import type { Transport } from '../transport/transport.js';
import type { IlsConfig } from './config.js';

/** A new, unopened TCP or TLS transport to the ILS, as its config says. */
export function createIlsTransport(
  config: Pick<IlsConfig, 'host' | 'port' | 'tls' | 'connectTimeoutMs'>,
  clock: Clock,
): Transport {
  const { host, port, connectTimeoutMs } = config;
  if (!config.tls) return new TcpTransport({ host, port, connectTimeoutMs, clock });
  return new TlsTransport({ host, port, connectTimeoutMs, clock, ...config.tls });
}

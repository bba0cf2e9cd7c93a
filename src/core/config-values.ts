/**
 * The smallest pieces of Carrel's configuration vocabulary, shared by the
 * gateway's config schema and the simulators' entries in it.
 */
import { z } from 'zod';

/** A TCP port; 0 picks a free one where a listener allows it. */
export const portSchema = z.number().int().min(0).max(65535);

/** The id of a device or simulator: it appears in URLs, MQTT topics and metrics labels. */
export const deviceIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, "-" or "_" (at most 63)');

/** True when `value` is a web origin as a browser sends it: `https://host[:port]`, no path, no slash. */
export function isWebOrigin(value: string): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
}

/** A web origin, as `Origin` headers carry it. */
export const webOriginSchema = z.string().refine(isWebOrigin, {
  message:
    'must be a web origin as a browser sends it: scheme://host[:port], such as https://selfcheck.library.example (no path, no trailing slash, lower case)',
});

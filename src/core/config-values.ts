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

import { z } from 'zod';

/**
 * The JSON Schema of the config *file* (input side: defaults are optional), for editor
 * completion and validation. Cross-checks written in code (duplicate ids, a device naming
 * a simulator that is not configured) cannot be expressed and are left out; Carrel still
 * checks them when it loads the file.
 */
export function generateJsonSchema(configSchema: z.ZodType): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: 'Carrel configuration',
    description: 'carrel.yaml / carrel.json: the devices, simulators and APIs of one library service desk.',
    ...schema,
  };
}

/** The text written to schema/carrel.schema.json: stable key order, two-space indent, final newline. */
export function jsonSchemaText(configSchema: z.ZodType): string {
  return `${JSON.stringify(generateJsonSchema(configSchema), null, 2)}\n`;
}

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateJsonSchema, jsonSchemaText, writeJsonSchema } from '../../../src/app/config.js';

const committedPath = new URL('../../../schema/carrel.schema.json', import.meta.url).pathname;

describe('JSON Schema for editors', () => {
  if (process.env.CARREL_WRITE_SCHEMA === '1') writeJsonSchema(committedPath);

  it('is committed and up to date (regenerate: CARREL_WRITE_SCHEMA=1 npx vitest run test/gateway/config)', () => {
    expect(readFileSync(committedPath, 'utf8')).toBe(jsonSchemaText());
  });

  it('describes the file as written: defaults optional, unknown keys refused', () => {
    const schema = generateJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: Record<string, { default?: unknown }>;
    };
    expect(schema.required).toEqual(['version']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.site?.default).toBe('library');
    expect(JSON.stringify(schema)).toContain('"receipt-printer"');
  });
});

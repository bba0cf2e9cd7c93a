import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kioskOnDeskBroker } from './observer.js';

/**
 * A kiosk developer with docs/mqtt.md as the only guide: its table of actions is what the desk
 * answers over its embedded broker, an unknown action's answer lists them, and a refusal of the
 * data names the fields as the table (and the request) call them — a field the action does not
 * take is refused with the fields it does, the table's.
 */

interface DocumentedAction {
  name: string;
  fields: string[];
}

/** The rows of the doc's actions table: `| \`action\` | HTTP operation | data | scopes |`. */
function documentedActions(): DocumentedAction[] {
  const doc = readFileSync(new URL('../../../docs/mqtt.md', import.meta.url), 'utf8');
  const rows = doc.split('\n').filter((line) => /^\| `[a-zA-Z_]+\.[a-zA-Z_]+` \|/.test(line));
  return rows.map((row) => {
    const cells = row.split('|').map((cell) => cell.trim());
    const name = (cells[1] ?? '').replaceAll('`', '');
    const data = cells[3] ?? '';
    const fields = [...data.matchAll(/`([a-zA-Z]+)`/g)].map((m) => m[1] as string);
    return { name, fields: /requestId/.test(data) ? [...fields, 'requestId'] : fields };
  });
}

describe('docs/mqtt.md’s actions, asked over the desk’s embedded broker', () => {
  /** The action's answer over the desk's embedded broker. */
  const { ask } = kioskOnDeskBroker('doc-reader');

  it('lists every action the desk answers, and no other; an unknown one is answered with the list', async () => {
    const documented = documentedActions().map((action) => action.name);
    expect(documented.length).toBeGreaterThan(20);
    const unknown = await ask('circulation.lookup', {});
    expect(unknown.error?.code).toBe('unknown_action');
    const listed = /the actions are ([a-zA-Z_., ]+) \(/.exec(unknown.error?.message ?? '')?.[1];
    expect(listed, `the answer lists the actions: ${unknown.error?.message}`).toBeDefined();
    expect(new Set(listed?.split(', '))).toEqual(new Set(documented));
    for (const name of documented) {
      const answer = await ask(name, {});
      expect(answer.error?.code, name).not.toBe('unknown_action');
    }
  });

  it('names a missing or wrong field as the table does (`device`, `printer`, `gate`, `job`)', async () => {
    for (const { name, fields } of documentedActions()) {
      // A request id too short is refused wherever one is taken: a field the table must name.
      const answer = await ask(name, { requestId: 'short' });
      if (answer.error?.code !== 'bad_request') continue;
      const message = answer.error.message;
      // A field the action does not take is named as such, with the fields it takes: the table's.
      const unread = /^data\.requestId: not a field of this action; it takes (?:no data|([a-zA-Z, ]+)):/.exec(
        message,
      );
      if (!fields.includes('requestId')) {
        expect(unread, `${name}: ${message}`).not.toBeNull();
        expect(new Set(unread?.[1]?.split(', ') ?? []), `${name}: ${message}`).toEqual(new Set(fields));
        continue;
      }
      const named = [...(message.matchAll(/\bdata\.([a-zA-Z]+)/g) ?? [])].map((m) => m[1]);
      for (const field of named) expect(fields, `${name}: ${message}`).toContain(field);
    }
    const answer = await ask('devices.get', { id: undefined });
    expect(answer.error?.message).toContain('data.device');
  });
});

import { expect } from 'vitest';

/**
 * A person walking out through a simulated gate with `items` (as its control API takes them: item
 * ids, or tags with their AFI and EAS bit), over the simulator's HTTP control API: whether the gate
 * alarmed, and how many notifications it sent the desk.
 */
export async function walkOut(
  gate: { httpUrl: string },
  items: unknown[],
): Promise<{ alarmed: boolean; notified: number }> {
  const response = await fetch(`${gate.httpUrl}/api/passages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ direction: 'out', items }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { alarmed: boolean; notified: number };
}

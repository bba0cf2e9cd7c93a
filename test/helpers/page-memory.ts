/**
 * How many alarm records a page holds in its memory, counted in Chromium's heap over the DevTools
 * protocol after a garbage collection: the objects with an `id` starting so and an `acknowledged`
 * of their own (the shape the gate page keeps each alarm in).
 */
import type { Page } from 'playwright-core';

export async function alarmRecordsInMemory(page: Page, idPrefix: string): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const prototype = await cdp.send('Runtime.evaluate', { expression: 'Object.prototype' });
    const found = await cdp.send('Runtime.queryObjects', { prototypeObjectId: prototype.result.objectId! });
    const counted = await cdp.send('Runtime.callFunctionOn', {
      objectId: found.objects.objectId!,
      functionDeclaration: `function (prefix) {
        let count = 0;
        for (const o of this) {
          try {
            const id = Object.getOwnPropertyDescriptor(o, 'id')?.value;
            if (typeof id === 'string' && id.startsWith(prefix) && Object.hasOwn(o, 'acknowledged')) count++;
          } catch {}
        }
        return count;
      }`,
      arguments: [{ value: idPrefix }],
      returnByValue: true,
    });
    if (counted.exceptionDetails) throw new Error(counted.exceptionDetails.text);
    return counted.result.value as number;
  } finally {
    await cdp.detach();
  }
}

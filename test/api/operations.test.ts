import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { TokenAuthenticator } from '../../src/api/http/auth.js';
import { RouteBook } from '../../src/api/http/routes.js';
import { type ApiModule, addHttpRoutes, mqttActionsOf, operation } from '../../src/api/operations.js';
import { fakeServices } from './http/fake-services.js';

describe('API operations', () => {
  it('are made once per desk: HTTP and MQTT serve the same operations (and the same schemas)', async () => {
    let made = 0;
    const module: ApiModule = {
      name: 'lamps',
      operations: () => {
        made++;
        return [
          operation({
            method: 'POST',
            url: '/api/v1/lamps/:id',
            operationId: 'setLamp',
            summary: 'A lamp on or off',
            tag: 'lamps',
            access: 'public',
            params: z.object({ id: z.string() }),
            body: z.strictObject({ on: z.boolean() }),
            response: z.object({ on: z.boolean() }),
            mqtt: { action: 'lamps.set' },
            handler: ({ body }) => ({ on: body.on }),
          }),
        ];
      },
    };
    const services = fakeServices().services;
    const app = Fastify();
    const auth = new TokenAuthenticator([]);
    addHttpRoutes(app, [module], { services, auth, book: new RouteBook(auth) });
    const actions = mqttActionsOf([module], services);
    expect(made).toBe(1);
    const answer = await app.inject({ method: 'POST', url: '/api/v1/lamps/l1', payload: { on: true } });
    expect(answer.json()).toEqual({ on: true });
    await expect(
      actions['lamps.set']?.({ id: 'l1', on: false }, { clientId: 'c', principal: undefined }),
    ).resolves.toEqual({ on: false });
    // Another desk (other services) has operations of its own.
    mqttActionsOf([module], fakeServices().services);
    expect(made).toBe(2);
    await app.close();
  });
});

/** One call to Carrel's HTTP API as a kiosk or desk client makes it: JSON in, status and JSON out. */
export interface ApiAnswer {
  status: number;
  type: string | null;
  // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
  json: any;
}

/**
 * `client.token`: the client's API token (Bearer); `client.ownConnection`: the connection is closed
 * after the call, as a client on another machine has its own.
 */
export async function callApi(
  base: string,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  client: { token?: string; ownConnection?: boolean } = {},
): Promise<ApiAnswer> {
  const headers: Record<string, string> = {
    ...(client.token !== undefined && { authorization: `Bearer ${client.token}` }),
    ...(client.ownConnection && { connection: 'close' }),
    ...(body !== undefined && { 'content-type': 'application/json' }),
  };
  const response = await fetch(`${base}${path}`, {
    method,
    ...(Object.keys(headers).length > 0 && { headers }),
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    json: text ? JSON.parse(text) : null,
  };
}

/**
 * `call<T>(method, path, body)` on the API at `base()` (read when called: a desk started in
 * `beforeAll`): the status, and the JSON answer as T. An answer that is not JSON fails the call.
 */
export function jsonApi(base: () => string) {
  return async <T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${base()}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
}

/** Calls a gateway's admin API with a bearer admin token; the body comes back parsed when it is JSON. */
export type AdminCall = (
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: any }>;

/** An admin API caller for the gateway at `url` (paths below `/admin/api`, e.g. `/keys`). */
export function adminApi(url: string, adminToken: string): AdminCall {
  return async (method, path, body) => {
    const res = await fetch(`${url}/admin/api${path}`, {
      method,
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: keep the text
    }
    return { status: res.status, body: parsed as any };
  };
}

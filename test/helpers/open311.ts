/** Talking to a gateway's Open311 routes as a client app does: form-encoded POSTs, JSON or XML answers read back. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { expect } from 'vitest';

export type Open311Format = 'json' | 'xml';

/** `POST /open311/v2/requests.{format}` with the fields form-encoded, as the spec sends them. */
export function postRequest(base: string, format: Open311Format, fields: Record<string, string> | string): Promise<Response> {
  return fetch(`${base}/open311/v2/requests.${format}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body: typeof fields === 'string' ? fields : new URLSearchParams(fields).toString(),
  });
}

const LISTS = new Set(['service', 'request', 'attribute', 'value', 'error']);
const parser = new XMLParser({ parseTagValue: false, trimValues: true, ignoreDeclaration: true, isArray: (name) => LISTS.has(name) });

/** An XML answer as any reader sees it; fails unless it is well-formed XML 1.0 with the spec's declaration. */
export function readXml(body: string): any {
  expect(body.startsWith('<?xml version="1.0" encoding="utf-8"?>\n'), body.slice(0, 200)).toBe(true);
  expect(XMLValidator.validate(body)).toBe(true);
  return parser.parse(body);
}

/**
 * An answer in either format, read the same way: JSON as it is, XML as the spec's list (its items, values as text;
 * an empty element is '', text trimmed). Checks the content type the spec gives each format.
 */
export async function readAnswer(res: Response, format: Open311Format): Promise<any> {
  const body = await res.text();
  if (format === 'json') {
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    return JSON.parse(body);
  }
  expect(res.headers.get('content-type')).toBe('text/xml; charset=utf-8');
  const [root] = Object.entries(readXml(body) as Record<string, any>);
  const [name, value] = root!;
  if (name === 'errors') return value.error ?? [];
  if (name === 'service_requests') return value === '' ? [] : value.request;
  if (name === 'services') return value === '' ? [] : value.service;
  return value;
}

/** The spec's errors, in either format: every entry's code is the HTTP status; the descriptions contain the fragments. */
export async function expectErrors(res: Response, format: Open311Format, status: number, fragments: string[] = []): Promise<string[]> {
  expect(res.status).toBe(status);
  const errors = (await readAnswer(res, format)) as Array<{ code: number | string; description: string }>;
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) expect(Number(e.code)).toBe(status);
  const descriptions = errors.map((e) => e.description);
  for (const fragment of fragments) expect(descriptions.some((d) => d.includes(fragment)), `${fragment} in ${JSON.stringify(descriptions)}`).toBe(true);
  return descriptions;
}

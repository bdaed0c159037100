import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { metaJson } from './sim/server.js';
import { signBody, validSignature, verifySubscription } from './signature.js';

const SECRET = '0123456789abcdef0123456789abcdef';
const body = Buffer.from(metaJson({ object: 'whatsapp_business_account', entry: [{ id: '1', changes: [] }], note: 'äöå Pekalongan 😡' }));
const hex = createHmac('sha256', SECRET).update(body).digest('hex');

describe('X-Hub-Signature-256', () => {
  it('is sha256= and the lower-case hex HMAC of the raw body', () => {
    expect(signBody(SECRET, body)).toBe(`sha256=${hex}`);
  });

  it('is checked over the bytes Meta sent: escaped \\u00e4, not the decoded text', () => {
    expect(body.toString()).toContain('\\u00e4\\u00f6\\u00e5');
    expect(body.toString()).toContain('\\ud83d\\ude21');
    expect(validSignature(SECRET, body, `sha256=${hex}`)).toBe(true);
    const reserialized = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    expect(validSignature(SECRET, reserialized, `sha256=${hex}`)).toBe(false);
  });

  it.each([
    ['upper-case hex', `sha256=${hex.toUpperCase()}`, true],
    ['missing', undefined, false],
    ['empty', '', false],
    ['no prefix', hex, false],
    ['sha1 (the old X-Hub-Signature)', `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`, false],
    ['base64 instead of hex', `sha256=${createHmac('sha256', SECRET).update(body).digest('base64')}`, false],
    ['cut short', `sha256=${hex.slice(0, 63)}`, false],
    ['one digit off', `sha256=${hex.slice(0, 63)}${hex.endsWith('0') ? '1' : '0'}`, false],
    ['a non-hex digit', `sha256=${hex.slice(0, 63)}g`, false],
    ['too long', `sha256=${hex}00`, false],
    ['another secret', `sha256=${createHmac('sha256', 'another-secret-0123456789').update(body).digest('hex')}`, false],
    ['a whole kilobyte of hex', `sha256=${'ab'.repeat(512)}`, false],
  ])('%s → %s', (_label, header, valid) => {
    expect(validSignature(SECRET, body, header)).toBe(valid);
  });
});

describe('verification handshake (GET)', () => {
  const TOKEN = 'verify-token-1708';
  it.each([
    ['Meta\'s request', { 'hub.mode': 'subscribe', 'hub.challenge': '1158201444', 'hub.verify_token': TOKEN }, { ok: true, challenge: '1158201444' }],
    ['a wrong token', { 'hub.mode': 'subscribe', 'hub.challenge': '1158201444', 'hub.verify_token': 'guess' }, { ok: false, status: 403, field: 'hub.verify_token' }],
    ['no token', { 'hub.mode': 'subscribe', 'hub.challenge': '1158201444' }, { ok: false, status: 403, field: 'hub.verify_token' }],
    ['a token given twice (array)', { 'hub.mode': 'subscribe', 'hub.challenge': '1', 'hub.verify_token': [TOKEN, TOKEN] }, { ok: false, status: 403, field: 'hub.verify_token' }],
    ['the token as a prefix of ours', { 'hub.mode': 'subscribe', 'hub.challenge': '1', 'hub.verify_token': TOKEN.slice(0, -1) }, { ok: false, status: 403, field: 'hub.verify_token' }],
    ['another mode', { 'hub.mode': 'unsubscribe', 'hub.challenge': '1', 'hub.verify_token': TOKEN }, { ok: false, status: 400, field: 'hub.mode' }],
    ['no challenge', { 'hub.mode': 'subscribe', 'hub.verify_token': TOKEN }, { ok: false, status: 400, field: 'hub.challenge' }],
    ['a challenge with markup (never echoed)', { 'hub.mode': 'subscribe', 'hub.challenge': '<script>alert(1)</script>', 'hub.verify_token': TOKEN }, { ok: false, status: 400, field: 'hub.challenge' }],
    ['a challenge of 129 characters', { 'hub.mode': 'subscribe', 'hub.challenge': '9'.repeat(129), 'hub.verify_token': TOKEN }, { ok: false, status: 400, field: 'hub.challenge' }],
  ])('%s', (_label, query, expected) => {
    expect(verifySubscription(query, TOKEN)).toMatchObject(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { credentialsOf, GRAPH_API_BASE_URL, loadWhatsAppConfig, templateOffReason, whatsAppOffReason } from './config.js';

const complete = {
  WHATSAPP_VERIFY_TOKEN: 'verify-token-1708',
  WHATSAPP_APP_SECRET: '0123456789abcdef0123456789abcdef',
  WHATSAPP_ACCESS_TOKEN: 'EAAGm0PX4ZCpsBA-access-token',
  WHATSAPP_PHONE_NUMBER_ID: '106540352242922',
};

describe('WhatsApp configuration', () => {
  it('has defaults: the current Graph API version, template language id, trackingId,status,note', () => {
    const config = loadWhatsAppConfig(complete);
    expect(config).toMatchObject({
      WHATSAPP_API_BASE_URL: GRAPH_API_BASE_URL, WHATSAPP_TEMPLATE_LANGUAGE: 'id',
      WHATSAPP_TEMPLATE_STATUS_PARAMS: ['trackingId', 'status', 'note'], WHATSAPP_REPLIES_PER_SECOND: 20,
    });
    expect(GRAPH_API_BASE_URL).toBe('https://graph.facebook.com/v26.0');
    expect(whatsAppOffReason(config)).toBeNull();
    expect(credentialsOf(config)).toEqual({ baseUrl: GRAPH_API_BASE_URL, phoneNumberId: '106540352242922', accessToken: complete.WHATSAPP_ACCESS_TOKEN });
  });

  it('reads the template, its language and parameters, and a base URL without its trailing slash', () => {
    const config = loadWhatsAppConfig({ ...complete, WHATSAPP_API_BASE_URL: 'http://127.0.0.1:4790/v26.0/', WHATSAPP_TEMPLATE_STATUS: 'status_aduan', WHATSAPP_TEMPLATE_LANGUAGE: 'en_US', WHATSAPP_TEMPLATE_STATUS_PARAMS: ' trackingId , region,status ' });
    expect(config).toMatchObject({ WHATSAPP_API_BASE_URL: 'http://127.0.0.1:4790/v26.0', WHATSAPP_TEMPLATE_STATUS: 'status_aduan', WHATSAPP_TEMPLATE_LANGUAGE: 'en_US', WHATSAPP_TEMPLATE_STATUS_PARAMS: ['trackingId', 'region', 'status'] });
    expect(templateOffReason(config)).toBeNull();
    expect(loadWhatsAppConfig({ ...complete, WHATSAPP_TEMPLATE_STATUS_PARAMS: '' }).WHATSAPP_TEMPLATE_STATUS_PARAMS).toEqual([]);
  });

  it('is off without its four required settings, and says which are missing', () => {
    expect(whatsAppOffReason(loadWhatsAppConfig({}))).toBe('WhatsApp channel off: WHATSAPP_VERIFY_TOKEN, WHATSAPP_APP_SECRET, WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID are not set');
    expect(whatsAppOffReason(loadWhatsAppConfig({ ...complete, WHATSAPP_APP_SECRET: '' }))).toBe('WhatsApp channel off: WHATSAPP_APP_SECRET is not set');
    expect(credentialsOf(loadWhatsAppConfig({ ...complete, WHATSAPP_ACCESS_TOKEN: '' }))).toBeNull();
    expect(templateOffReason(loadWhatsAppConfig(complete))).toMatch(/^WHATSAPP_TEMPLATE_STATUS not set/);
  });

  it.each([
    ['WHATSAPP_PHONE_NUMBER_ID', '+62 811 708', /WHATSAPP_PHONE_NUMBER_ID must be the numeric phone number ID/],
    ['WHATSAPP_API_BASE_URL', 'ftp://graph.facebook.com', /WHATSAPP_API_BASE_URL must be an http\(s\) URL/],
    ['WHATSAPP_TEMPLATE_STATUS', 'Status Aduan', /WHATSAPP_TEMPLATE_STATUS must be a template name/],
    ['WHATSAPP_TEMPLATE_LANGUAGE', 'indonesian', /WHATSAPP_TEMPLATE_LANGUAGE must be a template language code/],
    ['WHATSAPP_TEMPLATE_STATUS_PARAMS', 'trackingId,reporterPhone', /WHATSAPP_TEMPLATE_STATUS_PARAMS lists trackingId, status, note, region, updatedAt/],
    ['WHATSAPP_REPLIES_PER_SECOND', '0', /WHATSAPP_REPLIES_PER_SECOND/],
  ])('a bad %s is one line naming it, with the value', (name, value, message) => {
    const load = () => loadWhatsAppConfig({ ...complete, [name]: value });
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(new RegExp(`^invalid WhatsApp configuration — ${name}: `));
    expect(load).toThrow(message);
    expect(load).toThrow(`(got ${JSON.stringify(value)})`);
  });

  it.each([
    ['WHATSAPP_APP_SECRET', 'short-secret'],
    ['WHATSAPP_ACCESS_TOKEN', 'EAAG token with spaces'],
    ['WHATSAPP_VERIFY_TOKEN', 'abc'],
  ])('a bad secret (%s) is named but never echoed', (name, value) => {
    const load = () => loadWhatsAppConfig({ ...complete, [name]: value });
    expect(load).toThrow(new RegExp(`^invalid WhatsApp configuration — ${name}: ${name} must`));
    expect(load).not.toThrow(value);
  });
});

/** The admin UI in Chromium: a signed-in page (the session cookie, as the sign-in form sets it) that records script errors. */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { SESSION_COOKIE } from '../../src/admin/auth.js';

export interface AdminPage { context: BrowserContext; page: Page; problems: string[] }

/** `problems` collects script errors and CSP refusals; an expected 4xx/404 answer ("Failed to load resource") is none. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('console', (msg) => { if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) problems.push(msg.text()); });
  return problems;
}

/** A new browser context signed in with `token` (null: signed out); Indonesian browser unless `options.locale` says otherwise. */
export async function adminPage(browser: Browser, baseUrl: string, token: string | null, options: BrowserContextOptions = {}): Promise<AdminPage> {
  const context = await browser.newContext({ locale: 'id-ID', acceptDownloads: true, ...options });
  if (token) await context.addCookies([{ name: SESSION_COOKIE, value: encodeURIComponent(token), domain: new URL(baseUrl).hostname, path: '/admin', httpOnly: true, sameSite: 'Strict' }]);
  const page = await context.newPage();
  // A step that cannot happen fails with its own message, before the test's timeout.
  page.setDefaultTimeout(15_000);
  return { context, page, problems: watchProblems(page) };
}

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { dashboardDirectory } from '../../src/admin/dashboard/dashboard-static';
import { CreditsService } from '../../src/billing/credits.service';
import { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { ADMIN_TOKEN, FLAKY_PROVIDER, startAdminFixture } from '../support/admin-fixture';
import { launchChromium, screenshot } from '../support/browser';
import { eventually } from '../support/eventually';
import { startTestApi, TestApi } from '../support/test-api';

const REFRESH_SECONDS = 2;

/** A page on another site (localhost vs 127.0.0.1) that tries to top up a tenant with the operator's cookie. */
function startAttackerSite(target: string, tenantId: string): Promise<http.Server> {
  const url = `${target}/admin/v1/tenants/${tenantId}/credits`;
  const page = `<!doctype html><title>prize</title>
    <form id="f" method="POST" action="${url}" enctype="text/plain" target="sink"><input name='{"amount":100000,"x":"' value='"}'></form>
    <iframe name="sink"></iframe>
    <p id="fetch">pending</p>
    <script>
      fetch(${JSON.stringify(url)}, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: '{"amount":100000}' })
        .then((r) => (document.getElementById('fetch').textContent = 'answered ' + r.status), (e) => (document.getElementById('fetch').textContent = 'blocked'));
      document.getElementById('f').submit();
    </script>`;
  const server = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end(page));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

describe('ops dashboard in headless Chromium', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let tenant: { tenantId: string; apiKey: string; name: string };

  beforeAll(async () => {
    if (!dashboardDirectory()) throw new Error('dist/dashboard is missing: run `npm run build` first (npm run check does).');
    const fixture = await startAdminFixture();
    upstream = fixture.upstream;
    api = await startTestApi({ ...fixture.env, DASHBOARD_REFRESH_SECONDS: String(REFRESH_SECONDS) });
    const name = `browser-tenant-${Date.now()}`;
    tenant = { ...(await api.createTenant(1000, name)), name };
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
    await upstream?.close();
  });

  it('signs in with the admin token (a wrong one is refused on the page)', async () => {
    await page.goto(`${api.baseUrl}/dashboard/`);
    const token = page.getByLabel('Admin token or admin key');
    await token.fill('wrong-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'not the admin token' }).waitFor();
    await screenshot(page, '01-sign-in-refused');
    await token.fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator(`tr[data-provider="${FLAKY_PROVIDER}"] li[data-breaker="closed"]`).waitFor();
    expect(await page.getByRole('tab', { selected: true }).textContent()).toBe('Overview');
    await screenshot(page, '02-signed-in-overview');
  });

  it('shows a provider forced down as an open breaker within one refresh', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await request(api.baseUrl)
        .post('/v1/audio/speech')
        .set('authorization', `Bearer ${tenant.apiKey}`)
        .send({ model: `${FLAKY_PROVIDER}/tts-1`, input: 'Habari', voice: 'alloy' });
      expect(response.status).toBeGreaterThanOrEqual(500);
    }
    const opened = Date.now();
    // One refresh period, plus the time the refresh itself takes to answer and render.
    await page.locator(`tr[data-provider="${FLAKY_PROVIDER}"] li[data-breaker="open"]`).waitFor({ timeout: REFRESH_SECONDS * 1000 + 1500 });
    expect(Date.now() - opened).toBeLessThanOrEqual(REFRESH_SECONDS * 1000 + 1500);
    await screenshot(page, '03-provider-breaker-open');
  });

  it('moves between sections with the keyboard and lists the failed requests', async () => {
    await page.getByRole('tab', { name: 'Overview' }).focus();
    await page.keyboard.press('ArrowRight');
    expect(await page.getByRole('tab', { selected: true }).textContent()).toBe('Charts');
    await page.locator('[data-testid="chart-provider-rate"] canvas').first().waitFor();
    await screenshot(page, '04-charts');
    await page.keyboard.press('End');
    expect(await page.getByRole('tab', { selected: true }).textContent()).toBe('Try it');
    await page.getByRole('tab', { name: 'Failures' }).click();
    await page.locator('tr[data-failure-code]').filter({ hasText: tenant.name }).first().waitFor();
    await screenshot(page, '05-failures');
  });

  it('a top-up changes the balance shown', async () => {
    await page.getByRole('tab', { name: 'Tenants' }).click();
    await page.getByLabel('Find a tenant').fill(tenant.name);
    const row = page.locator(`tr[data-tenant="${tenant.tenantId}"]`);
    await row.getByRole('button', { name: `Manage ${tenant.name}` }).click();
    const before = (await api.app.get(CreditsService).summary(tenant.tenantId)).balance;
    await page.getByLabel('Credits to add').fill('2500');
    await page.getByRole('button', { name: 'Top up' }).click();
    const expected = (before + 2500).toLocaleString('en');
    await page.getByTestId('detail-balance').filter({ hasText: expected }).waitFor();
    await row.locator('[data-field="balance"]').filter({ hasText: expected }).waitFor();
    expect((await api.app.get(CreditsService).summary(tenant.tenantId)).balance).toBe(before + 2500);
    await screenshot(page, '06-topped-up');
  });

  it('a key created on the page works against the Sauti face', async () => {
    await page.getByLabel('Key name').fill('made-in-browser');
    await page.getByRole('button', { name: 'Create API key' }).click();
    const secret = (await page.getByTestId('secret-value').textContent())!.trim();
    expect(secret).toMatch(/^sk_sauti_/);
    await screenshot(page, '07-key-created');
    const spoken = await request(api.baseUrl)
      .post('/v1/text-to-speech/sauti-test-v1')
      .set('xi-api-key', secret)
      .send({ text: 'Habari za asubuhi.' });
    expect(spoken.status).toBe(200);
    expect(spoken.body.characters_synthesized).toBe(18);
  });

  it('the try-it panel plays the audio, saying who served it and what it cost', async () => {
    await page.getByRole('tab', { name: 'Try it' }).click();
    await page.getByLabel('Voice or provider/model').fill('sauti-test-v1');
    await page.getByLabel('Find the tenant to bill').fill(tenant.name);
    await page.getByLabel('Bill to').locator(`option[value="${tenant.tenantId}"]`).waitFor({ state: 'attached' });
    await page.getByLabel('Bill to').selectOption(tenant.tenantId);
    await page.getByLabel(/Swahili text/).fill('Habari za asubuhi. Karibu Sauti.');
    await page.getByRole('button', { name: 'Speak' }).click();
    await page.getByTestId('try-summary').waitFor({ timeout: 20_000 });
    const audio = page.getByTestId('try-audio');
    // The element learns its duration once the audio's metadata has loaded.
    const durationOf = () => audio.evaluate((element) => (element as unknown as { duration: number }).duration);
    let duration = await durationOf();
    for (
      const deadline = Date.now() + 10_000;
      !(Number.isFinite(duration) && duration > 0) && Date.now() < deadline;
      duration = await durationOf()
    )
      await page.waitForTimeout(100);
    expect(duration).toBeGreaterThan(0.5);
    const summary = await page.getByTestId('try-summary').textContent();
    expect(summary).toContain('Served by vits');
    expect(summary).toContain('32 credits');
    await screenshot(page, '08-try-it-played');
  });

  it('refuses a cross-site attempt to use the operator’s session (CSRF)', async () => {
    const before = (await api.app.get(CreditsService).summary(tenant.tenantId)).balance;
    // localhost is another site than 127.0.0.1, where the operator is signed in.
    const attacker = await startAttackerSite(api.baseUrl, tenant.tenantId);
    try {
      const evil = await context.newPage();
      await evil.goto(`http://localhost:${(attacker.address() as AddressInfo).port}/`);
      await evil.locator('#fetch').filter({ hasNotText: 'pending' }).waitFor();
      expect(await evil.locator('#fetch').textContent()).toBe('blocked');
      await evil.waitForTimeout(500);
      await screenshot(evil, '09-csrf-attempt');
      await evil.close();
    } finally {
      attacker.close();
    }
    expect((await api.app.get(CreditsService).summary(tenant.tenantId)).balance).toBe(before);
  });

  it('is usable on a phone, and signs out', async () => {
    const phone = await context.newPage();
    await phone.setViewportSize({ width: 390, height: 844 });
    await phone.goto(`${api.baseUrl}/dashboard/#overview`);
    await phone.locator(`tr[data-provider="${FLAKY_PROVIDER}"]`).waitFor();
    type Root = { document: { documentElement: { scrollWidth: number; clientWidth: number } } };
    const overflow = await phone.evaluate(() => {
      const root = (globalThis as unknown as Root).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await screenshot(phone, '10-phone-overview');
    await phone.getByRole('button', { name: 'Sign out' }).click();
    await phone.getByLabel('Admin token or admin key').waitFor();
    await screenshot(phone, '11-signed-out');
    expect(
      (
        await request(api.baseUrl)
          .get('/admin/v1/overview')
          .set('cookie', (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; '))
      ).status,
    ).toBe(401);
  });

  it('says how to turn the dashboard on when it is off, and shows nothing else', async () => {
    // Admin keys left active by other test files would turn it on: revoked before that api starts.
    await api.app.get(DataSource).query(`UPDATE admin_keys SET revoked_at = now() WHERE revoked_at IS NULL`);
    const off = await startTestApi({ ADMIN_TOKEN: '' });
    try {
      // The admin API says it is off before the page is asked (a failure here names what it said instead).
      await eventually(async () => {
        const session = await request(off.baseUrl).get('/admin/v1/session');
        expect({ status: session.status, text: session.text }).toMatchObject({ status: 404, text: expect.stringContaining('ADMIN_TOKEN') });
      }, 10_000);
      const offPage = await context.newPage();
      await offPage.goto(`${off.baseUrl}/dashboard/`, { timeout: 15_000 });
      const message = offPage.getByTestId('disabled-message');
      await message.waitFor({ timeout: 15_000 });
      expect(await message.textContent()).toContain('ADMIN_TOKEN');
      expect(await offPage.getByLabel('Admin token or admin key').count()).toBe(0);
      await screenshot(offPage, '12-dashboard-off');
      await offPage.close();
    } finally {
      await off.close();
    }
  });
});

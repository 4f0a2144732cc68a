// Browser tests of every screen against the fake host, then of the main flows against a real
// ea-server (the demo tenant, its messages read from the dev sink): the built UI (ui/dist) served
// locally, the server's API behind the same origin, driven in Debian's Chromium through
// playwright-core. Screenshots land in target/ui-screens/.
// Run: npm run build && cargo build --workspace && npm run test:browser

import { spawn, execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, request as httpRequest } from 'node:http';
import { mkdirSync, mkdtempSync, openSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join, normalize, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '..', 'dist');
const shots = join(here, '..', '..', 'target', 'ui-screens');
mkdirSync(shots, { recursive: true });

const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.png': 'image/png', '.svg': 'image/svg+xml' };

// The real server: the demo tenant in a temporary SQLite database, messages to a dev sink file.
const serverBin = join(here, '..', '..', 'target', 'debug', 'ea-server');
if (!existsSync(serverBin)) {
  console.error(`${serverBin} is missing: build it first (cargo build --workspace)`);
  process.exit(1);
}
const data = mkdtempSync(join(tmpdir(), 'ea-browser-'));
const sink = join(data, 'messages.log');
const printed = execFileSync(serverBin, ['--data-dir', data, 'demo'], { encoding: 'utf8' });
const secretOf = (user) => {
  const m = new RegExp(`demo%3A${user}\\?secret=([A-Z2-7]+)`).exec(printed);
  if (!m) throw new Error(`no authenticator for ${user} in the demo's printout`);
  return m[1];
};
const eaServer = spawn(serverBin, ['--data-dir', data, 'serve', '--listen', '127.0.0.1:0', '--dev-sink', sink], { stdio: ['ignore', 'pipe', openSync(join(shots, 'ea-server.log'), 'w')] });
const eaUrl = new URL(
  await new Promise((resolve, reject) => {
    eaServer.once('exit', (c) => reject(new Error(`ea-server exited (${c})`)));
    eaServer.stdout.once('data', (b) => resolve(String(b).trim().replace(/^listening on /, '')));
  }),
);
process.on('exit', () => {
  eaServer.kill();
  rmSync(data, { recursive: true, force: true });
});

/** RFC 6238 with the demo's parameters (SHA-1, 6 digits, 30 s), `step` steps from now. */
function totp(secret, step = 0) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of secret) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000) + step));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/** The messages the dev sink holds for `to`, oldest first. */
function messagesTo(to) {
  const log = existsSync(sink) ? readFileSync(sink, 'utf8') : '';
  return log.split('--- message ').slice(1).filter((b) => b.split('\n')[0].endsWith(` to ${to}`));
}

/** Waits for a message to `to` after the first `after` ones; returns it. */
async function nextMessage(to, after) {
  for (let i = 0; i < 100; i++) {
    const m = messagesTo(to);
    if (m.length > after) return m[after];
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no message to ${to}`);
}

const server = createServer((req, res) => {
  // The API goes to the real server, so the page and the API share one origin.
  if (req.url.startsWith('/v1/') || req.url === '/healthz') {
    const upstream = httpRequest({ host: eaUrl.hostname, port: eaUrl.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    upstream.on('error', () => res.writeHead(502).end());
    req.pipe(upstream);
    return;
  }
  const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
  const file = join(dist, path === '/' ? 'index.html' : path);
  if (!file.startsWith(dist) || !existsSync(file)) {
    res.writeHead(404).end();
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${server.address().port}/`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic'],
});

function assert(cond, msg) {
  if (!cond) throw new Error(`assertion failed: ${msg}`);
}

async function open(query = '', opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 }, locale: 'en-US', ...opts });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${base}?latency=20${query}`);
  await page.waitForSelector('h1');
  return page;
}

const heading = (page) => page.locator('h1').innerText();
async function expectHeading(page, text) {
  await page.waitForFunction((t) => document.querySelector('h1')?.textContent === t, text, { timeout: 5000 });
}
async function expectError(page, part) {
  const alert = page.getByTestId('error');
  await alert.waitFor({ timeout: 5000 });
  const text = await alert.innerText();
  assert(text.includes(part), `error "${text}" should contain "${part}"`);
}
/** Waits (2 s at most) until the rule `id` shows `ok` (`'true'`, `'false'` or `'null'`). */
async function ruleIs(page, id, ok) {
  await page.waitForFunction(([i, o]) => document.querySelector(`[data-rule="${i}"]`)?.getAttribute('data-ok') === o, [id, ok], { timeout: 2000 }).catch(() => {});
  return (await page.locator(`[data-rule="${id}"]`).getAttribute('data-ok')) === ok;
}

/** Presses Tab until the element with `testid` (or matching `css`) has the focus (30 at most). */
async function tabTo(page, css) {
  if (await page.evaluate((c) => document.activeElement?.matches(c) ?? false, css)) return;
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((c) => document.activeElement?.matches(c) ?? false, css)) return;
  }
  throw new Error(`Tab never reached ${css}`);
}

async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function toActions(page, { flow = 'sms-totp', then = 'You are verified' } = {}) {
  await page.fill('#username', 'alice');
  await page.keyboard.press('Enter');
  // The choice is skipped when one way fits (from a QR code, the one that unblocks cards).
  await page.waitForFunction(() => ['How do you want to prove it is you?', 'Where should we send the code?'].includes(document.querySelector('h1')?.textContent ?? ''));
  if ((await heading(page)) === 'How do you want to prove it is you?') await page.click(`[data-flow="${flow}"]`);
  if (flow === 'sms-totp') {
    await page.fill('#contact-value', '079 123 45 67');
    await page.click('button[type=submit]');
    await page.fill('#code', '123456');
    await page.fill('#totp', '123456');
  } else {
    await page.fill('#contact-value', 'alice@example.org');
    await page.click('button[type=submit]');
    await page.fill('#code', '12345678');
    await page.fill('#q-0', 'Rex');
    await page.fill('#q-1', 'Zürich');
    await page.click('button[type=submit]');
  }
  await expectHeading(page, then);
}

const tests = {
  async 'first run asks for the server, refusing plain http'() {
    const page = await open('&configured=0');
    await expectHeading(page, 'Connect to your organisation');
    await shot(page, '01-settings');
    await page.fill('#server-url', 'http://ea.example.org');
    await page.fill('#tenant', 'demo');
    await page.click('button[type=submit]');
    await expectError(page, 'must start with https://');
    await page.fill('#server-url', 'https://ea.example.org');
    // The organisation picked from the server's list fills the short name.
    await page.fill('#tenant', '');
    // Enter in the address, with no organisation yet, looks them up; the focus goes to the list.
    await page.locator('#server-url').focus();
    await page.keyboard.press('Enter');
    await page.getByTestId('listed-tenants').waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'listed-tenant');
    assert((await page.inputValue('#tenant')) === '', 'with two organisations listed, none is picked for the person');
    await page.keyboard.press('Space');
    assert((await page.inputValue('#tenant')) === 'acme', 'picked at the keyboard');
    await page.getByLabel('Acme Corporation').check();
    assert((await page.inputValue('#tenant')) === 'acme', 'picked');
    await shot(page, '01-settings-picker');
    await page.click('button[type=submit]');
    await expectHeading(page, 'Who are you?');
  },

  async 'a newer version is offered on the first screen only, and installed on request'() {
    const page = await open('&update=9.9.9');
    await page.getByTestId('update').waitFor();
    assert((await page.getByTestId('update').innerText()).includes('Version 9.9.9 of Emergency Access is available.'), 'the version named');
    assert(await page.evaluate(() => document.activeElement?.id === 'username'), 'the username keeps the focus');
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'How do you want to prove it is you?');
    assert((await page.getByTestId('update').count()) === 0, 'never in the middle of a recovery');
    const plain = await open();
    await expectHeading(plain, 'Who are you?');
    await plain.waitForTimeout(300);
    assert((await plain.getByTestId('update').count()) === 0, 'nothing offered without a newer version');
    const again = await open('&update=9.9.9');
    await again.getByRole('button', { name: 'Install it and restart' }).click();
    await again.waitForFunction(() => window.__eaFake.calls.includes('updateInstall'));
  },

  async 'settings an administrator set for the machine are shown locked; a broken policy is said'() {
    const page = await open('&policy=managed');
    // The policy's language is the app's.
    await expectHeading(page, 'Qui êtes-vous ?');
    await page.click('[data-testid=profile-menu]');
    assert(await page.locator('#lang').isDisabled(), 'the language is locked');
    await page.getByRole('button', { name: 'Paramètres du serveur' }).click();
    await page.getByTestId('settings-managed').waitFor();
    for (const id of ['#server-url', '#tenant', '#client-key']) assert(await page.locator(id).isDisabled(), `${id} locked`);
    assert((await page.getByTestId('find-tenants').count()) === 0, 'no picker for a locked organisation');
    assert(await page.locator('form button[type=submit]').isDisabled(), 'nothing to save');
    await shot(page, '03-settings-managed');
    const broken = await open('&policy=broken&configured=0');
    await broken.getByTestId('policy-error').waitFor();
    assert((await broken.getByTestId('policy-error').innerText()).includes('tenant: lower-case letters'), 'the fault is named');
    assert(await broken.locator('#server-url').isDisabled(), 'a broken policy fails closed: nothing to redirect');
  },

  async 'SMS and authenticator, keyboard only, with a wrong code and a resync'() {
    const page = await open();
    await expectHeading(page, 'Who are you?');
    await shot(page, '02-username');
    // The first field has the focus: typing goes there at once.
    assert(await page.evaluate(() => document.activeElement?.id === 'username'), 'the username field has the focus');
    await page.keyboard.type('alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'How do you want to prove it is you?');
    await shot(page, '03-method-choice');
    const focused = await page.evaluate(() => document.activeElement?.tagName);
    assert(focused === 'H1', `a screen without fields focuses its heading (was ${focused})`);
    const announced = await page.getByTestId('announce').innerText();
    assert(announced === 'How do you want to prove it is you?', `the heading is announced (${announced})`);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert(outline !== 'none', 'focus is visible');
    await page.keyboard.press('Enter'); // second flow: sms-totp
    await expectHeading(page, 'Where should we send the code?');
    await shot(page, '04-contact');
    // From here on only typing, Enter and the natural Tab order: each screen's first field has
    // the focus, and a complete code goes by itself.
    await page.keyboard.type('079 000 00 00');
    // Enter pressed twice (a key held, a double click): one try is spent, not two.
    await page.keyboard.press('Enter');
    await page.keyboard.press('Enter');
    await expectError(page, 'does not match');
    await page.waitForTimeout(100);
    const tries = await page.evaluate(() => window.__eaFake.calls.filter((c) => c === 'confirmContact').length);
    assert(tries === 1, `one request for two presses of Enter (${tries})`);
    assert(await page.evaluate(() => document.querySelector('[role=status]')?.textContent?.trim() === ''), 'no busy text outlives its request');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('079 123 45 67');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Enter the code');
    await page.keyboard.type('999 999');
    await expectError(page, 'The code is wrong. Tries left for this code: 2.');
    assert((await page.getByTestId('error').getAttribute('data-code')) === 'code_invalid', 'error code');
    assert((await page.inputValue('#code')) === '999999', 'the refused code stays for editing');
    await shot(page, '05-code-wrong');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('123-456');
    await expectHeading(page, 'Enter the code from your authenticator app');
    await shot(page, '06-totp');
    await page.keyboard.type('654321');
    await expectHeading(page, 'Your authenticator’s clock is off');
    await shot(page, '07-resync');
    // Codes pasted with spaces or dashes; the pair goes by itself once both are complete. A
    // refused pair stays for editing and is not sent again unchanged.
    await page.keyboard.type('111 111');
    await page.keyboard.press('Tab');
    await page.keyboard.type('333-333');
    await expectError(page, 'The authenticator code is wrong.');
    assert((await page.inputValue('#totp-1')) === '111111' && (await page.inputValue('#totp-2')) === '333333', 'the refused pair stays in its fields');
    await page.keyboard.press('Enter');
    await page.waitForTimeout(100);
    const pairs = await page.evaluate(() => window.__eaFake.calls.filter((c) => c === 'resyncTotp').length);
    assert(pairs === 1, `a refused pair is not sent again unchanged (${pairs})`);
    // Only the second code typed anew: the pair waits for Enter (a new first code beside the
    // old second would have been one more wrong try).
    await page.keyboard.press('Control+A');
    await page.keyboard.type('222 222');
    await page.waitForTimeout(100);
    assert((await page.evaluate(() => window.__eaFake.calls.filter((c) => c === 'resyncTotp').length)) === 1, 'not sent by itself after a refusal with one code typed anew');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'You are verified');
    await shot(page, '08-actions');
  },

  async 'new password shows the rules live and lists every violation'() {
    const page = await open();
    await toActions(page);
    await page.click('[data-action="reset_password"]');
    await expectHeading(page, 'Choose a new password');
    await page.fill('#pw1', 'alice');
    assert((await ruleIs(page, 'min_length', 'false')) && (await ruleIs(page, 'username', 'false')), 'live rules fail');
    assert(await page.locator('button[type=submit]').isDisabled(), 'cannot submit a failing password');
    await page.fill('#pw1', 'Password12345');
    await page.fill('#pw2', 'Password12345');
    assert((await ruleIs(page, 'min_length', 'true')) && (await ruleIs(page, 'match', 'true')), 'live rules pass');
    assert(await ruleIs(page, 'common', 'false'), 'a common password is refused as it is typed');
    assert(await page.locator('button[type=submit]').isDisabled(), 'cannot submit a common password');
    // The organisation's display name only the server knows: its refusal shows on the rule.
    await page.fill('#pw1', 'Example Bank vault 7');
    await page.fill('#pw2', 'Example Bank vault 7');
    assert(await ruleIs(page, 'tenant', 'null'), 'the organisation rule is not claimed before the server judged');
    await page.click('button[type=submit]');
    await expectError(page, 'does not meet every rule');
    assert(await ruleIs(page, 'tenant', 'false'), 'server violation shown on its rule');
    await shot(page, '09-password-rules');
    await page.fill('#pw1', 'violet staple orbit canyon');
    await page.fill('#pw2', 'violet staple orbit canyon');
    await page.click('button[type=submit]');
    await page.getByTestId('password-done').waitFor();
    await page.click('text=Back to the choices');
    await expectHeading(page, 'You are verified');
    assert(await page.locator('[data-action="reset_password"]').isDisabled(), 'a used action is marked done');
  },

  async 'email and questions, then an emergency code shown once with copy'() {
    const page = await open();
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await page.click('[data-flow="email-questions"]');
    await page.fill('#contact-value', 'ALICE@example.org');
    await page.click('button[type=submit]');
    await page.fill('#code', '12345678');
    await expectHeading(page, 'Answer your security questions');
    await page.fill('#q-0', 'Rex');
    await page.fill('#q-1', 'Paris');
    await page.click('button[type=submit]');
    await expectError(page, 'Tries left: 2');
    assert((await page.inputValue('#q-0')) === 'Rex', 'answers are kept after a failed try');
    await page.waitForFunction(() => document.querySelector('[data-testid=tries]')?.textContent?.includes('2'));
    await shot(page, '10-questions');
    await page.fill('#q-1', 'zurich');
    await page.click('button[type=submit]');
    await expectHeading(page, 'You are verified');
    await page.click('[data-action="emergency_code"]');
    await expectHeading(page, 'Emergency access code');
    await page.fill('#ec-uses', '');
    await page.click('button[type=submit]');
    await page.getByTestId('form-problems').waitFor();
    assert((await page.getByTestId('form-problems').innerText()).includes('Set a number of uses'), 'limits explained');
    await page.fill('#ec-uses', '3');
    await page.click('button[type=submit]');
    await page.getByTestId('emergency-code').waitFor();
    assert((await page.getByTestId('emergency-code').innerText()) === 'KH4QX-7RCMA', 'the code is shown');
    await shot(page, '11-emergency-code');
    await page.click('text=I have saved the code');
    await expectHeading(page, 'You are verified');
  },

  async 'a tenant with one flow skips the method choice; resend waits for the countdown'() {
    const page = await open('&flows=one&cooldown=2');
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Where should we send the code?');
    // The choice was skipped, and with it the list's advice: whom to contact is beside the step.
    assert((await page.getByTestId('step-help').innerText()).includes('+41 44 555 00 00'), 'whom to contact, beside the step');
    await page.fill('#contact-value', '+41791234567');
    await page.click('button[type=submit]');
    await expectHeading(page, 'Enter the code');
    assert(await page.getByTestId('resend').isDisabled(), 'resend waits');
    assert((await page.getByTestId('countdown').innerText()).includes('0:0'), 'countdown shown');
    await shot(page, '12-code-countdown');
    await page.waitForFunction(() => !document.querySelector('[data-testid=resend]')?.hasAttribute('disabled'), null, { timeout: 5000 });
    await page.click('[data-testid=resend]');
    await page.waitForFunction(() => document.querySelector('[data-testid=countdown]')?.textContent?.includes('New codes left: 2'));
  },

  async 'a lost connection keeps the input and offers a retry'() {
    const page = await open();
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await page.click('[data-flow="sms-totp"]');
    await page.fill('#contact-value', '079 123 45 67');
    await page.evaluate(() => (window.__eaFake.offline = true));
    await page.click('button[type=submit]');
    await expectError(page, 'could not be reached');
    assert((await page.inputValue('#contact-value')) === '079 123 45 67', 'input kept');
    await shot(page, '13-offline');
    await page.evaluate(() => (window.__eaFake.offline = false));
    await page.click('text=Try again');
    await expectHeading(page, 'Enter the code');
  },

  async 'going back keeps what was typed'() {
    const page = await open();
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await page.click('[data-flow="sms-totp"]');
    await page.fill('#contact-value', '079 12');
    await page.click('text=Back');
    await expectHeading(page, 'Who are you?');
    assert((await page.inputValue('#username')) === 'alice', 'username kept');
    await page.click('button[type=submit]');
    await page.click('[data-flow="sms-totp"]');
    assert((await page.inputValue('#contact-value')) === '079 12', 'contact kept');
  },

  async 'the language switch translates every screen'() {
    const page = await open();
    await page.click('[data-testid=profile-menu]');
    await page.selectOption('#lang', 'de');
    await expectHeading(page, 'Wer sind Sie?');
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Wie möchten Sie sich ausweisen?');
    assert((await page.locator('[data-flow="sms-totp"]').innerText()).includes('SMS und Authenticator-App'), 'flow names translated');
    assert((await page.evaluate(() => document.documentElement.lang)) === 'de', 'document language');
    await shot(page, '14-german');
    for (const [lang, title] of [['fr', 'Comment voulez-vous prouver votre identité ?'], ['it', 'Come vuoi dimostrare la tua identità?']]) {
      if ((await page.getAttribute('[data-testid=profile-menu]', 'aria-expanded')) !== 'true') await page.click('[data-testid=profile-menu]');
      await page.selectOption('#lang', lang);
      await expectHeading(page, title);
    }
  },

  async 'unblock, card support explained, and the stopped verification'() {
    const page = await open('&card=out');
    await toActions(page);
    await page.click('[data-action="card_pin_unblock"]');
    await expectHeading(page, 'Unblock your smart card PIN');
    // No card yet: the screen says to insert it, and reads it by itself once it is in.
    await page.getByTestId('card-insert').waitFor();
    assert((await page.getByTestId('card-status').count()) === 0, 'nothing read without a card');
    await page.evaluate(() => window.__eaFake.setCard(true));
    await page.getByTestId('card-status').waitFor();
    assert((await page.getByTestId('card-insert').count()) === 0, 'hint gone once read');
    await page.waitForFunction(() => document.activeElement?.id === 'new-pin');
    // Pulled: what was read goes; put back: read again, without a click.
    await page.evaluate(() => window.__eaFake.setCard(false));
    await page.getByTestId('card-insert').waitFor();
    assert((await page.getByTestId('card-status').count()) === 0, 'a pulled card is not shown');
    const reads = await page.evaluate(() => window.__eaFake.calls.filter((c) => c === 'cardStatus').length);
    await page.evaluate(() => window.__eaFake.setCard(true));
    await page.getByTestId('card-status').waitFor();
    await page.waitForTimeout(800); // a few looks later: still one read
    assert((await page.evaluate(() => window.__eaFake.calls.filter((c) => c === 'cardStatus').length)) === reads + 1, 'read once per insertion');
    // The button stays for people who prefer it.
    await page.getByTestId('card-read').click();
    await page.getByTestId('card-status').waitFor();
    assert((await page.getByTestId('card-status').innerText()).includes('EA5EC0DE00000001'), 'serial shown');
    assert((await page.getByTestId('card-status').innerText()).includes('The PIN is blocked.'), 'blocked shown');
    await page.fill('#new-pin', '12ab');
    assert((await page.locator('[data-rule=pin_digits]').getAttribute('data-ok')) === 'false', 'digits rule live');
    await page.fill('#new-pin', '246810');
    await page.fill('#new-pin-2', '246810');
    await shot(page, '15-card');
    await page.evaluate(() => (window.__eaFake.cardRemoved = true));
    await page.getByTestId('card-submit').click();
    await expectError(page, 'The card was removed. Nothing was changed');
    await page.evaluate(() => (window.__eaFake.cardRemoved = false));
    await page.fill('#new-pin', '246810');
    await page.fill('#new-pin-2', '246810');
    await page.getByTestId('card-submit').click();
    await page.getByTestId('card-done').waitFor();
    await page.click('text=Back to the choices');
    assert(await page.locator('[data-action="card_pin_unblock"]').isDisabled(), 'card action done');
    await page.click('[data-action="unblock_user"]');
    await page.click('text=Unblock my account');
    await page.getByTestId('unblock-done').waitFor();
    const page2 = await open();
    await toActions(page2, { flow: 'sms-totp' });
    const page3 = await open();
    await page3.fill('#username', 'alice');
    await page3.keyboard.press('Enter');
    await page3.click('[data-flow="email-questions"]');
    await page3.fill('#contact-value', 'alice@example.org');
    await page3.click('button[type=submit]');
    await page3.fill('#code', '12345678');
    for (let i = 0; i < 3; i++) {
      await page3.fill('#q-0', 'no');
      await page3.fill('#q-1', 'no');
      await page3.click('button[type=submit]');
      await expectError(page3, 'Tries left');
    }
    await expectHeading(page3, 'Verification stopped');
    const stoppedFocus = await page3.evaluate(() => document.activeElement?.tagName);
    assert(stoppedFocus === 'H1', `the stopped verification's heading has the focus (was ${stoppedFocus})`);
    assert((await page3.getByTestId('help').innerText()).includes('+41 44 555 00 00'), 'whom to contact, in the organisation’s words');
    await shot(page3, '16-failed');
    await page3.getByRole('button', { name: 'Start again' }).click();
    await expectHeading(page3, 'Who are you?');
  },

  async 'the smart-card service started and stopped while the card screen is open'() {
    const page = await open('&cards=0');
    await toActions(page);
    await page.click('[data-action="card_pin_unblock"]');
    await page.getByTestId('card-unavailable').waitFor();
    assert((await page.locator('[data-mode=helpdesk]').getAttribute('aria-pressed')) === 'true', 'helpdesk form offered');
    await page.evaluate(() => window.__eaFake.setCardService(true));
    // The service is back: the card in the reader is read without a click.
    await page.getByTestId('card-status').waitFor();
    assert((await page.locator('[data-mode=unblock]').getAttribute('aria-pressed')) === 'true', 'back to the unblock');
    assert((await page.getByTestId('card-unavailable').count()) === 0, 'no stale warning');
    await page.evaluate(() => window.__eaFake.setCardService(false));
    await page.getByTestId('card-unavailable').waitFor();
    assert((await page.getByTestId('card-status').count()) === 0, 'nothing read shown without the service');
  },

  async 'without a card reader, the helpdesk form answers a challenge read out loud'() {
    const page = await open('&cards=0');
    await toActions(page);
    await page.click('[data-action="card_pin_unblock"]');
    await page.getByTestId('card-unavailable').waitFor();
    assert((await page.getByTestId('card-unavailable').innerText()).includes('smart-card service is not running'), 'reason translated');
    await page.fill('#hd-serial', 'ea5e c0de 0000 0001');
    await page.fill('#hd-challenge', '00112233445566778899aabbccddeeXX');
    await page.waitForFunction(() => document.querySelector('[data-testid=challenge-sum]')?.textContent?.includes('0–9'));
    await page.fill('#hd-challenge', '00112233 44556677 8899AABB CCDDEEFF');
    await page.waitForFunction(() => /Challenge checksum: [0-9A-F]{4}/.test(document.querySelector('[data-testid=challenge-sum]')?.textContent ?? ''));
    await page.click('text=Get the response');
    await page.getByTestId('cryptogram').waitFor();
    assert((await page.getByTestId('cryptogram').innerText()) === '69C4 E0D8 6A7B 0430 D8CD B780 70B4 C55A', 'grouped cryptogram');
    await shot(page, '18-helpdesk');
    await page.click('text=The card accepted it');
    await page.getByTestId('reported').waitFor();
  },

  async 'QR path: the camera reads the vSEC:CMS code, the card is kept through verification, the response is shown once'() {
    const page = await open();
    await page.getByTestId('scan-start').focus();
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Scan the QR code from vSEC:CMS');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=preview]')?.getAttribute('data-frames') ?? 0) >= 3);
    assert((await page.getByTestId('scan-status').innerText()).includes('Looking for a QR code'), 'live status');
    await shot(page, '19-scan');
    await expectHeading(page, 'Who are you?');
    const summary = await page.getByTestId('scanned-summary').innerText();
    assert(/Card EA5EC0DE00000001 · challenge checksum [0-9A-F]{4}/.test(summary), summary);
    assert((await page.getByTestId('scan-start').count()) === 0, 'no second scan offered while a card is kept');
    // Verified with a flow that permits card_pin_unblock: the card screen is skipped.
    await toActions(page, { then: 'Response for your smart card' });
    const before = await page.evaluate(() => window.__eaFake.calls.filter((c) => c === 'cardQrCryptogram').length);
    assert(before === 0, 'nothing is fetched before the user compared the card and asked');
    assert(/Card EA5EC0DE00000001 · challenge checksum [0-9A-F]{4}/.test(await page.getByTestId('qr-card').innerText()), 'card shown for comparison');
    await page.getByTestId('qr-show').click();
    await page.getByTestId('qr-cryptogram').waitFor();
    assert((await page.getByTestId('qr-cryptogram').innerText()).replace(/\s+/g, ' ').trim() === '69C4 E0D8 6A7B 0430 D8CD B780 70B4 C55A', 'grouped response');
    const label = await page.getByTestId('qr-cryptogram').getAttribute('aria-label');
    assert(label.startsWith('Response, character by character: 6 9 C 4, E 0 D 8'), label);
    assert((await page.getByTestId('qr-checksum').innerText()) === 'Response checksum: 3C1F', 'checksum');
    assert((await page.locator('.qr-img svg').count()) === 1, 'the response as a QR code');
    await shot(page, '20-qr-cryptogram');
    await page.getByTestId('qr-discard').click();
    await page.click('text=Keep it');
    await page.getByTestId('qr-cryptogram').waitFor();
    await page.getByTestId('qr-discard').click();
    await page.getByTestId('qr-discard-yes').click();
    await expectHeading(page, 'You are verified');
    assert((await page.getByTestId('scanned-card').count()) === 0, 'the card is forgotten: a new challenge is needed');
    const calls = await page.evaluate(() => window.__eaFake.calls);
    assert(calls.includes('cardReport'), 'leaving reports the response as not used');
    assert(calls.includes('scanStop'), 'the camera was released');
  },

  async 'QR path: a pasted link is checked, a bad one says what is wrong; an opened image works too'() {
    const page = await open('&camera=0');
    await page.getByTestId('scan-start').click();
    await expectHeading(page, 'Scan the QR code from vSEC:CMS');
    await page.click('[data-scan-mode=camera]');
    await page.getByTestId('no-camera').waitFor();
    await page.click('[data-scan-mode=link]');
    await page.fill('#qr-link', 'vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=0011&pin=1234');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expectError(page, 'The link contains “pin”, which a card unblock request does not have.');
    await page.fill('#qr-link', 'https://cms.example.org/card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF');
    await page.click('text=Use this link');
    await expectHeading(page, 'Who are you?');
    await page.getByTestId('scanned-card').waitFor();
    await page.click('text=Remove');
    await page.getByTestId('scan-start').click();
    await page.click('[data-scan-mode=link]');
    await page.setInputFiles('#qr-file', { name: 'code.png', mimeType: 'image/png', buffer: Buffer.from('89504e470d0a1a0a0000', 'hex') });
    await expectHeading(page, 'Who are you?');
    await page.getByTestId('scanned-card').waitFor();
  },

  async 'QR path: a link opened from outside; a flow that cannot unblock cards says so'() {
    const link = encodeURIComponent('vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF');
    const page = await open(`&link=${link}`);
    await page.getByTestId('scanned-card').waitFor();
    // A second link while one is kept is asked about, not swapped in.
    await page.evaluate(() => window.__eaFake.openLink('vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=FFEEDDCCBBAA99887766554433221100'));
    await page.getByTestId('incoming-card').waitFor();
    await page.click('text=Keep the current one');
    assert((await page.getByTestId('incoming-card').count()) === 0, 'kept');
    // Only the way that can unblock the card is offered, so the choice is skipped.
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Where should we send the code?');

    // An organisation without such a way says so, and whom to call.
    const none = await open(`&link=${link}&flows=nocard`);
    await none.getByTestId('scanned-card').waitFor();
    await none.fill('#username', 'alice');
    await none.keyboard.press('Enter');
    await expectHeading(none, 'No way here fits this request');
    const help = await none.getByTestId('flow-help').innerText();
    assert(help.includes('+41 44 555 00 00'), help);
  },

  async 'each way says what it asks for and what it lets the user do'() {
    const page = await open();
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'How do you want to prove it is you?');
    const sms = page.locator('[data-flow="sms-totp"]');
    assert((await sms.getByTestId('flow-asks').innerText()) === 'Asks for: Code by text message → Authenticator app', 'asks');
    const does = await sms.getByTestId('flow-does').innerText();
    assert(does.startsWith('Then lets you: reset your password, unblock your smart card PIN'), does);
    assert((await sms.innerText()).includes('For everything, including your smart card.'), 'the organisation’s words');
    const totp = await page.locator('[data-flow="totp-only"]').getByTestId('flow-does').innerText();
    assert(totp === 'Then lets you: unblock your account', totp);
    await shot(page, '03-method-choice');
  },

  async 'QR path at 200 % zoom and in dark mode: the response fits and stays readable'() {
    const link = encodeURIComponent('vsec-ea://card-unblock?serial=EA5EC0DE00000001&challenge=00112233445566778899AABBCCDDEEFF');
    const page = await open(`&link=${link}`, { viewport: { width: 500, height: 700 }, colorScheme: 'dark' });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.getByTestId('scanned-card').waitFor();
    assert((await overflow()) <= 0, 'the kept card fits at 200 %');
    await toActions(page, { then: 'Response for your smart card' });
    await page.getByTestId('qr-show').click();
    await page.getByTestId('qr-cryptogram').waitFor();
    assert((await overflow()) <= 0, 'the response fits at 200 % (500 px wide)');
    const size = await page.getByTestId('qr-cryptogram').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert(size >= 20, `the response stays large (${size} px)`);
    const rows = await page.getByTestId('qr-cryptogram').evaluate((e) => new Set(Array.from(e.querySelectorAll('span'), (s) => s.getBoundingClientRect().top)).size);
    assert(rows === 4, `two groups per row on a narrow window (${rows} rows)`);
    await shot(page, '21-qr-cryptogram-narrow-dark');
  },

  async 'readable at 200 % zoom, no jump between steps, dark mode'() {
    const page = await open('', { viewport: { width: 500, height: 400 } });
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    await page.fill('#username', 'alice');
    assert((await overflow()) <= 0, 'no horizontal scrolling at 200 % (500 px wide)');
    const h1 = await page.locator('.card').boundingBox();
    await page.keyboard.press('Enter');
    await expectHeading(page, 'How do you want to prove it is you?');
    assert((await overflow()) <= 0, 'method choice fits');
    const big = await open();
    const before = await big.locator('.card').boundingBox();
    await big.fill('#username', 'alice');
    await big.keyboard.press('Enter');
    await expectHeading(big, 'How do you want to prove it is you?');
    const after = await big.locator('.card').boundingBox();
    assert(Math.abs(before.y - after.y) < 1, 'the card does not move between steps');
    assert(h1 !== null, 'card present');
    const dark = await open('', { colorScheme: 'dark' });
    const bg = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert(bg === 'rgb(17, 21, 28)', `dark background (${bg})`);
    await shot(dark, '17-dark');
  },

  async 'enrolment from an invitation, keyboard only: address, phone, authenticator, answers'() {
    const page = await open();
    await expectHeading(page, 'Who are you?');
    await tabTo(page, '[data-testid=enrol-start]');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Set up account recovery');
    await tabTo(page, '#enrol-username');
    await page.keyboard.type('dana');
    await tabTo(page, '#enrol-code');
    await page.keyboard.type('abcd efgh jklm');
    await shot(page, '18-enrol-start');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Confirm your email address');
    await tabTo(page, '#enrol-address-code');
    await page.keyboard.type('1234 5678');
    await expectHeading(page, 'Your recovery details');
    const progress = await page.getByTestId('enrol-progress').innerText();
    assert(progress === '1 of 5 required items done', progress);
    await shot(page, '19-enrol-summary');

    await tabTo(page, '[data-testid=add-phone]');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Add a phone number');
    await tabTo(page, '#enrol-contact');
    await page.keyboard.type('079 111 00 00');
    // The connection drops: what was typed stays, and the retry sends it.
    await page.evaluate(() => (window.__eaFake.offline = true));
    await page.keyboard.press('Enter');
    await expectError(page, 'could not be reached');
    assert((await page.inputValue('#enrol-contact')) === '079 111 00 00', 'input kept');
    await page.evaluate(() => (window.__eaFake.offline = false));
    await tabTo(page, '.alert button');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#enrol-contact-code');
    await tabTo(page, '#enrol-contact-code');
    await page.keyboard.type('999999');
    await expectError(page, 'The code is wrong');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('123456');
    await expectHeading(page, 'Your recovery details');

    await tabTo(page, '[data-testid=set-up-authenticator]');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Set up your authenticator app');
    assert((await page.getByTestId('authenticator-secret').innerText()).startsWith('JBSW'), 'the key for typing');
    await page.locator('[data-testid=authenticator-qr] svg').waitFor();
    await shot(page, '20-enrol-authenticator');
    await tabTo(page, '#enrol-totp');
    await page.keyboard.type('123456');
    await expectHeading(page, 'Your recovery details');

    await tabTo(page, '[data-testid=set-answers]');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Security questions');
    await tabTo(page, '#enrol-q0');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, '#enrol-a0');
    await page.keyboard.type('ab');
    await tabTo(page, '#enrol-q1');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await tabTo(page, '#enrol-a1');
    await page.keyboard.type('Lugano');
    await page.keyboard.press('Enter');
    await expectError(page, 'Some answers do not meet the rules');
    const issue = await page.getByTestId('answer-issue').innerText();
    assert(issue === 'Too short: at least 3 characters.', issue);
    await shot(page, '21-enrol-answers-refused');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Shift+Tab');
    assert(await page.evaluate(() => document.activeElement?.id === 'enrol-a0'), 'back on the refused answer');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('Biscuit');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Your recovery details');
    await page.getByTestId('enrol-complete').waitFor();
    await shot(page, '22-enrol-complete');
    await tabTo(page, '[data-testid=enrol-finish]');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Who are you?');
    await page.getByTestId('enrol-done').waitFor();
  },

  async 'an invitation link opens enrolment for its user; upkeep after a verification'() {
    const page = await open();
    await expectHeading(page, 'Who are you?');
    await page.evaluate(() => window.__eaFake.openLink('emergency-access://enrol?tenant=demo&username=dana'));
    await expectHeading(page, 'Set up account recovery');
    assert((await page.inputValue('#enrol-username')) === 'dana', 'the link’s user');
    await page.getByTestId('enrol-with-password').check();
    await page.fill('#enrol-username', 'alice');
    await page.fill('#enrol-password', 'wrong');
    await page.keyboard.press('Enter');
    await expectError(page, 'The username or password is not right.');
    await page.getByRole('button', { name: 'Back' }).click();
    await expectHeading(page, 'Who are you?');
    await toActions(page);
    await page.click('[data-action="manage_recovery"]');
    await expectHeading(page, 'Your recovery details');
    await page.getByRole('button', { name: 'Remove +41 ••••••• 67' }).click();
    await expectError(page, 'This cannot be removed');
  },

  async 'the time left shows when it runs low, an ended session has its screen; start over asks first'() {
    const page = await open('&lifetime=4');
    await page.fill('#username', 'alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'How do you want to prove it is you?');
    const left = await page.getByTestId('time-left').innerText();
    assert(/^This session ends in 0:0[0-5]\.$/.test(left), left);
    await expectHeading(page, 'Your session has ended');
    await shot(page, '23-expired');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Who are you?');

    // This computer's clock two hours wrong either way: the time left is the server's.
    for (const skew of [-7200, 7200]) {
      const off = await open(`&lifetime=100&skew=${skew}`);
      await off.fill('#username', 'alice');
      await off.keyboard.press('Enter');
      await expectHeading(off, 'How do you want to prove it is you?');
      const shown = await off.getByTestId('time-left').innerText();
      assert(/^This session ends in 1:[34]\d\.$/.test(shown), `skew ${skew}: ${shown}`);
    }

    // An emergency code on screen when the session ends stays there, with a notice: it is shown
    // only once.
    const issuing = await open('&lifetime=20');
    await toActions(issuing, { flow: 'email-questions' });
    await issuing.click('[data-action="emergency_code"]');
    await issuing.getByRole('button', { name: 'Create the code' }).click();
    await issuing.getByTestId('emergency-code').waitFor();
    assert(await issuing.evaluate(() => document.activeElement?.closest('p') !== null && document.activeElement?.textContent?.includes('It will not be shown again')), 'the code shown takes the focus');
    await issuing.getByTestId('ended-keep').waitFor({ timeout: 25000 });
    assert((await issuing.getByTestId('emergency-code').count()) === 1, 'the code stays on screen after the session ended');
    await shot(issuing, '23b-ended-code-kept');
    await issuing.getByRole('button', { name: 'I have saved the code' }).click();
    await expectHeading(issuing, 'Your session has ended');

    const done = await open();
    await toActions(done);
    await done.getByTestId('profile-menu').click();
    await done.getByRole('button', { name: 'Start over' }).click();
    await done.getByTestId('confirm-restart').waitFor();
    assert(await done.evaluate(() => document.activeElement?.textContent === 'Keep going'), 'the question takes the focus, on the answer that loses nothing');
    await done.keyboard.press('Enter');
    await expectHeading(done, 'You are verified');
    await done.getByTestId('profile-menu').click();
    await done.getByRole('button', { name: 'Start over' }).click();
    await done.getByTestId('confirm-restart').getByRole('button', { name: 'Start over' }).click();
    await expectHeading(done, 'Who are you?');
    // Starting over keeps the name for the same person; a contact typed for one name is not
    // offered to another.
    assert((await done.inputValue('#username')) === 'alice', 'the username stays for another try');
    await done.fill('#username', 'bob');
    await done.keyboard.press('Enter');
    await done.click('[data-flow="sms-totp"]');
    await expectHeading(done, 'Where should we send the code?');
    assert((await done.inputValue('#contact-value')) === '', 'the contact typed for another name is gone');
    // Finished: the next person at this computer finds no name.
    const finished = await open();
    await toActions(finished);
    await finished.getByRole('button', { name: 'Finish' }).click();
    await expectHeading(finished, 'Who are you?');
    assert((await finished.inputValue('#username')) === '', 'no name is left for the next person');
  },
};

/** The demo's users as the real server knows them. */
const REAL = '&host=http&tenant=demo';

const realTests = {
  async 'real server: SMS and authenticator, then a new password the server checks'() {
    const page = await open(REAL);
    await expectHeading(page, 'Who are you?');
    await page.keyboard.type('alice');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'How do you want to prove it is you?');
    await page.click('[data-flow="sms-totp"]');
    await expectHeading(page, 'Where should we send the code?');
    // A number that is not alice's: refused by the server, translated, the input kept.
    const before = messagesTo('+41795550101').length;
    await page.fill('#contact-value', '+41 79 555 09 09');
    await page.keyboard.press('Enter');
    await expectError(page, 'does not match');
    assert((await page.inputValue('#contact-value')) === '+41 79 555 09 09', 'the input is kept');
    // The person switches to German after the session started: the code comes in German.
    await page.getByTestId('profile-menu').click();
    await page.selectOption('#lang', 'de');
    await page.keyboard.press('Escape');
    await expectHeading(page, 'Wohin sollen wir den Code senden?');
    await page.fill('#contact-value', '079 555 01 01');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'Code eingeben');
    const sms = await nextMessage('+41795550101', before);
    assert(sms.includes('ist Ihr Bestätigungscode'), `the text message is in the language switched to: ${sms}`);
    const code = /\b(\d{6})\b/.exec(sms)?.[1];
    assert(code, `a code in the text message: ${sms}`);
    await page.getByTestId('profile-menu').click();
    await page.selectOption('#lang', 'en');
    await page.keyboard.press('Escape');
    await expectHeading(page, 'Enter the code');
    // A wrong code first: the real refusal, with the tries left.
    await page.locator('#code').focus();
    await page.keyboard.type(code === '000000' ? '111111' : '000000');
    await expectError(page, 'Tries left');
    await page.fill('#code', code);
    await expectHeading(page, 'Enter the code from your authenticator app');
    await page.keyboard.type(totp(secretOf('alice')));
    await expectHeading(page, 'You are verified');
    await shot(page, '40-real-verified');
    await page.click('[data-action="reset_password"]');
    await expectHeading(page, 'Choose a new password');
    await page.fill('#pw1', 'alice');
    assert(await ruleIs(page, 'username', 'false'), 'the rules the server sent, live');
    assert(await page.locator('button[type=submit]').isDisabled(), 'a password breaking the rules is not sent');
    await page.fill('#pw1', 'quiet harbour lantern 2026');
    await page.fill('#pw2', 'quiet harbour lantern 2026');
    await page.click('button[type=submit]');
    await page.getByTestId('password-done').waitFor();
    await page.click('text=Back to the choices');
    await expectHeading(page, 'You are verified');
    assert(await page.locator('[data-action="reset_password"]').isDisabled(), 'the action is spent');
  },

  async 'real server: e-mail in German and questions, then an emergency code shown once'() {
    const page = await open(REAL, { locale: 'de-DE' });
    await expectHeading(page, 'Wer sind Sie?');
    await page.keyboard.type('bob');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => (document.querySelector('h1')?.textContent ?? '') !== 'Wer sind Sie?');
    if (await page.locator('[data-flow="email-questions"]').count()) await page.click('[data-flow="email-questions"]');
    const before = messagesTo('bob@demo.example').length;
    await page.fill('#contact-value', 'Bob@Demo.example');
    await page.keyboard.press('Enter');
    const mail = await nextMessage('bob@demo.example', before);
    assert(mail.includes('Bestätigungscode'), `the e-mail is in German: ${mail}`);
    const code = /\b(\d{8})\b/.exec(mail)?.[1];
    assert(code, 'a code in the e-mail');
    await page.fill('#code', code);
    const answers = { 'first pet': 'Rex', 'born': 'Zürich', 'school': 'Hillside', 'Haustier': 'Rex', 'geboren': 'Zürich', 'Schule': 'Hillside' };
    await page.locator('[id^=q-]').first().waitFor();
    for (const field of await page.locator('[id^=q-]').all()) {
      const label = await page.locator(`label[for="${await field.getAttribute('id')}"]`).innerText();
      const answer = Object.entries(answers).find(([k]) => label.includes(k))?.[1];
      assert(answer, `a known question: ${label}`);
      await field.fill(answer);
    }
    await page.keyboard.press('Enter');
    await page.locator('[data-action="emergency_code"]').waitFor();
    await page.click('[data-action="emergency_code"]');
    await page.fill('#ec-uses', '2');
    await page.click('button[type=submit]');
    await page.getByTestId('emergency-code').waitFor();
    const shown = await page.getByTestId('emergency-code').innerText();
    assert(/^[A-Z0-9 -]{10,}$/.test(shown.trim()), `an emergency code: ${shown}`);
    await shot(page, '41-real-emergency-code');
  },

  async 'real server: an unknown name is led through the same screens'() {
    const page = await open(REAL);
    await page.keyboard.type('nobody-here');
    await page.keyboard.press('Enter');
    await expectHeading(page, 'How do you want to prove it is you?');
    await page.click('[data-flow="sms-totp"]');
    await page.fill('#contact-value', '+41 79 555 01 01');
    await page.keyboard.press('Enter');
    await expectError(page, 'does not match');
  },
};

let failed = 0;
// EA_BROWSER_ONLY=part runs only the tests whose name contains `part`.
const only = process.env.EA_BROWSER_ONLY ?? '';
const chosen = [...Object.entries(tests), ...Object.entries(realTests)].filter(([n]) => n.includes(only));
for (const [name, run] of chosen) {
  const started = Date.now();
  try {
    await run();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}\n     ${e.stack ?? e}`);
    for (const ctx of browser.contexts()) for (const p of ctx.pages()) await p.screenshot({ path: join(shots, `failure-${failed}.png`) }).catch(() => {});
  }
  for (const ctx of browser.contexts()) await ctx.close();
}
await browser.close();
server.close();
console.log(`${chosen.length - failed} passed, ${failed} failed; screenshots in ${shots}`);
process.exit(failed ? 1 : 0);

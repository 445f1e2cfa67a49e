/**
 * The audit page's chain verification in Chromium: intact after real calls, then one stored
 * record altered in the database and the page names the first bad record (its chain and place).
 */
import t from 'tap';
import { startConsole } from '../helpers/console.js';
import { sqlOn, type Any } from '../daemon/scheduler-helpers.js';

t.test('verify names the first bad record', async (t) => {
  const c = await startConsole(t);
  const api = c.daemon.client;
  const k = (await api.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'audited' })).body as { key_info: { key_id: string } };
  for (let i = 0; i < 4; i++) await api.request('POST', '/v1.0/{project_id}/kms/encrypt-data', { key_id: k.key_info.key_id, plain_text: `n${i}` });
  const page = c.page;
  await c.signIn();
  await page.getByRole('link', { name: 'Audit', exact: true }).click();
  await page.locator('h1', { hasText: 'Audit' }).waitFor();
  await page.locator('tbody tr').first().waitFor();
  await page.getByRole('button', { name: 'Verify the chain' }).click();
  const intact = page.locator('#verify-result', { hasText: 'The trail is intact' });
  await intact.waitFor();
  t.match(await intact.textContent(), /The trail is intact: \d+ records/, 'intact first');

  const dbUrl = c.daemon.dbUrl;
  const segments = await sqlOn(dbUrl, 'SELECT seq, chain_id, first_seq, last_seq FROM audit_segments ORDER BY seq');
  const big = segments.find((s: Any) => Number(s.last_seq) > Number(s.first_seq));
  t.ok(big, 'a segment holds several records');
  const victim = (await sqlOn(dbUrl, 'SELECT chain_id, chain_seq, request_id FROM audit_records WHERE chain_id = ? AND chain_seq = ?', [String(big!.chain_id), Number(big!.first_seq) + 1]))[0];
  await sqlOn(dbUrl, `UPDATE audit_segments SET records = json_replace(records, '$[1][8]', 'refused') WHERE seq = ?`, [Number(big!.seq)]);

  await page.getByRole('button', { name: 'Verify the chain' }).click();
  const result = page.locator('#verify-result', { hasText: 'The trail is broken' });
  await result.waitFor();
  const text = (await result.textContent()) ?? '';
  t.match(text, `The trail is broken at record ${victim.chain_seq} of chain ${victim.chain_id}`, 'the first bad record is named by chain and place');
  t.match(text, String(victim.request_id), 'and by its request id');
  t.match(text, /altered/, 'with the reason');
});

/**
 * Secret versions under concurrent writers: clients adding versions at the same time get distinct
 * consecutive numbers and leave exactly one SYSCURRENT and one SYSPREVIOUS holder, on one daemon
 * (embedded database) and on two daemons sharing a sqld server; a scheduled rotation due on both
 * daemons at once rotates exactly once; a KMS key made on one daemon works on the other at once.
 */
import t from 'tap';
import { startTestDaemon, databaseFor, type Backend } from '../helpers/daemon.js';
import { DewClient } from '../../provider/client/dew-client.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;
const SEC = '/v1/{project_id}/secrets';
const WRITERS = 12;

for (const backend of ['file', 'sqld'] as Backend[]) {
  t.test(`concurrent versions (${backend})`, async (t) => {
    let offset = 0;
    const now = () => Date.now() + offset;
    const dbUrl = await databaseFor(t, backend);
    const a = await startTestDaemon(t, { dbUrl, now });
    // On sqld a second daemon shares the database; on a file, the same daemon takes every writer.
    const b = backend === 'sqld' ? await startTestDaemon(t, { dbUrl, now, dataDir: a.dataDir }) : a;
    const creds = a.daemon.credentials;
    const clientOf = (url: string) => new DewClient({ endpoint: url, projectId: creds.project_id, accessKey: creds.access_key, secretKey: creds.secret_key, clock: now });
    const ca = clientOf(a.daemon.url);
    const cb = clientOf(b.daemon.url);
    if (b !== a) {
      // A key made on one daemon is usable on the other at once (its cache catches up on a miss),
      // not only after the next change-feed poll.
      const key = ((await ca.request('POST', '/v1.0/{project_id}/kms/create-key', { key_alias: 'made-on-a' })).body as Any).key_info.key_id;
      const enc = (await cb.request('POST', '/v1.0/{project_id}/kms/encrypt-data', { key_id: key, plain_text: 'aGk=' })).body as Any;
      t.equal(enc.key_id, key, 'a key made on daemon A encrypts on daemon B right away');
    }
    await ca.request('POST', SEC, { name: 'raced', secret_string: 'v1' });

    const results = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) => (i % 2 ? cb : ca).request('POST', `${SEC}/raced/versions`, { secret_string: `w${i}` }).then((r) => (r.body as Any).version_metadata)),
    );
    const ids = results.map((m) => Number(String(m.id).slice(1))).sort((x, y) => x - y);
    t.same(ids, Array.from({ length: WRITERS }, (_, i) => i + 2), 'every writer got its own number, v2 … v13, no gaps');
    const list = (await ca.request('GET', `${SEC}/raced/versions?limit=50`)).body as Any;
    const holders = (stage: string) => (list.version_metadatas as Any[]).filter((v) => v.version_stages.includes(stage)).map((v) => v.id);
    t.same(holders('SYSCURRENT'), [`v${WRITERS + 1}`], 'one SYSCURRENT holder: the newest version');
    t.same(holders('SYSPREVIOUS'), [`v${WRITERS}`], 'one SYSPREVIOUS holder: the one before it');
    const latest = (await cb.request('GET', `${SEC}/raced/versions/latest`)).body as Any;
    t.equal(latest.version.version_metadata.id, `v${WRITERS + 1}`, 'both daemons read the same current version');
    t.match(latest.version.secret_string, /^w\d+$/);

    await ca.request('POST', SEC, { name: 'rotating', secret_string: 'r1', auto_rotation: true, rotation_period: '6h' });
    offset += 6 * 3600_000 + 1000;
    const [ra, rb] = await Promise.all([a.daemon.runJobs(), b.daemon.runJobs()]);
    const rotated = [...ra.services.csms.rotated_secrets as string[], ...(b === a ? [] : rb.services.csms.rotated_secrets as string[])];
    t.same(rotated, ['rotating'], 'the due rotation ran exactly once');
    const versions = ((await cb.request('GET', `${SEC}/rotating/versions`)).body as Any).version_metadatas;
    t.same(versions.map((v: Any) => v.id), ['v2', 'v1']);
  });
}

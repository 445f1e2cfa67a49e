/** PKCS#11 library handle, token provisioning and erasure, PIN and token errors, master-key wrap by a token key (real SoftHSM2). */
import t from 'tap';
import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { listObjects, readObject, useSoftHsm } from '../helpers/softhsm.js';
import { Pkcs11Library } from '../../daemon/hsm/pkcs11/library.js';
import { provisionToken, destroyTokenObjects, ROOT_KEY_LABEL } from '../../daemon/hsm/pkcs11/provision.js';
import { wrapMasterKey, unwrapMasterKey } from '../../daemon/hsm/pkcs11/master-wrap.js';
import { Pkcs11PinError, Pkcs11TokenError, Pkcs11UnwrapError, Pkcs11LibraryError } from '../../daemon/hsm/pkcs11/errors.js';
import { generateMasterKey } from '../../daemon/hsm/master-key.js';

const hsm = useSoftHsm(t);
const lib = Pkcs11Library.open(hsm.module);
t.teardown(() => lib.close());

t.test('the library is loaded once per path and finalised with its last holder', async (t) => {
  const again = Pkcs11Library.open(hsm.module);
  t.equal(again, lib, 'same handle for the same path');
  again.close();
  t.ok(lib.isOpen, 'still open for the first holder');
  t.throws(() => Pkcs11Library.open('/nonexistent/libnothing.so'), Pkcs11LibraryError);
  const link = join(hsm.dir, 'libsofthsm2-link.so');
  symlinkSync(hsm.module, link);
  const viaLink = Pkcs11Library.open(link);
  t.equal(viaLink, lib, 'a symlink to the same module is the same library');
  viaLink.close();
  t.ok(lib.slots().some((s) => !s.initialized), 'SoftHSM2 offers a free token');
});

t.test('provisioning initialises a free token with random PINs and a non-extractable root key', async (t) => {
  const a = await provisionToken(lib, { label: 'dew-0d0466b0-e727-4d9c-b35d' });
  t.match(a, { tokenLabel: 'dew-0d0466b0-e727-4d9c-b35d', tokenSerial: /^\S+$/, soPin: /^[A-Za-z0-9_-]{32}$/, userPin: /^[A-Za-z0-9_-]{32}$/ });
  t.type(a.slotId, 'number');
  t.not(a.soPin, a.userPin);
  const found = lib.findToken({ serial: a.tokenSerial });
  t.equal(found.label, a.tokenLabel);
  t.ok(found.initialized && found.userPinInitialized);
  t.equal(lib.findToken({ label: a.tokenLabel }).serial, a.tokenSerial, 'found by label too');

  const objects = listObjects(hsm, a.tokenSerial, a.userPin);
  t.equal(objects.length, 1, 'only the root key');
  t.match(objects[0], { kind: 'secret', label: ROOT_KEY_LABEL, heading: /AES length 32/ });
  t.ok(objects[0]!.access.includes('sensitive') && objects[0]!.access.includes('never extractable'), `root key access: ${objects[0]!.access.join(', ')}`);
  t.notOk(objects[0]!.access.includes('extractable'), 'root key: CKA_EXTRACTABLE false');
  t.notOk(readObject(hsm, a.tokenSerial, a.userPin, 'secrkey', ROOT_KEY_LABEL).ok, 'pkcs11-tool cannot read the root key value');
  t.same(listObjects(hsm, a.tokenSerial, a.userPin).length, 1);

  const b = await provisionToken(lib, { label: 'dew-second' });
  t.not(b.tokenSerial, a.tokenSerial, 'a second instance gets another token');
  t.not(b.userPin, a.userPin);
  await t.rejects(provisionToken(lib, { label: 'dew-second' }), Pkcs11TokenError, 'a label already taken is refused');
  await t.rejects(provisionToken(lib, { label: 'x'.repeat(33) }), TypeError);
});

t.test('a wrong PIN and a missing token are clear errors that never show the PIN', async (t) => {
  const p = await provisionToken(lib, { label: 'dew-pins' });
  const wrong = 'not-the-pin-' + 'q'.repeat(10);
  const err = await lib.openToken({ serial: p.tokenSerial }, wrong).then(() => undefined, (e: unknown) => e);
  t.type(err, Pkcs11PinError);
  t.match((err as Error).message, /PIN was refused.*dew-pins.*CKR_PIN_INCORRECT/);
  t.notMatch(JSON.stringify({ m: (err as Error).message, s: (err as Error).stack, c: String((err as Error).cause) }), wrong);
  // Logged in already (another holder): a wrong PIN is still refused.
  const token = await lib.openToken({ serial: p.tokenSerial }, p.userPin);
  await t.rejects(lib.openToken({ serial: p.tokenSerial }, wrong), Pkcs11PinError);
  const second = await lib.openToken({ label: 'dew-pins' }, p.userPin);
  second.close();
  token.close();

  await t.rejects(lib.openToken({ serial: 'ffffffffffffffff' }, p.userPin), Pkcs11TokenError);
  await t.rejects(lib.openToken({ label: 'no-such-token' }, p.userPin), { name: 'Pkcs11TokenError', message: /no PKCS#11 token \(label "no-such-token"\)/ });
});

t.test('the master key wraps under a token key that never leaves the token', async (t) => {
  const a = await provisionToken(lib, { label: 'dew-seal-a' });
  const b = await provisionToken(lib, { label: 'dew-seal-b' });
  const master = generateMasterKey();
  const target = { tokenLabel: a.tokenLabel, pin: a.userPin, keyLabel: 'dew-master-wrap' };
  const wrapped = await wrapMasterKey(lib, target, master);
  t.equal(wrapped.length, 64);
  t.equal(wrapped.indexOf(master), -1, 'the wrapped form does not hold the key');
  t.same(await unwrapMasterKey(lib, target, wrapped), master, 'round trip');
  t.same(await unwrapMasterKey(lib, { tokenSerial: a.tokenSerial, pin: a.userPin, keyLabel: 'dew-master-wrap' }, wrapped), master, 'token named by serial');
  const again = await wrapMasterKey(lib, target, master);
  t.not(again.toString('hex'), wrapped.toString('hex'), 'a fresh IV per wrap');
  t.equal(listObjects(hsm, a.tokenSerial, a.userPin).filter((o) => o.label === 'dew-master-wrap').length, 1, 'the wrapping key is made once');

  const key = listObjects(hsm, a.tokenSerial, a.userPin).find((o) => o.label === 'dew-master-wrap')!;
  t.ok(key.access.includes('sensitive') && key.access.includes('never extractable'), `wrapping key access: ${key.access.join(', ')}`);
  t.notOk(key.access.includes('extractable'), 'wrapping key: CKA_EXTRACTABLE false');
  t.notOk(readObject(hsm, a.tokenSerial, a.userPin, 'secrkey', 'dew-master-wrap').ok);

  // Another token with a key of the same label does not open it.
  const targetB = { tokenLabel: b.tokenLabel, pin: b.userPin, keyLabel: 'dew-master-wrap' };
  await wrapMasterKey(lib, targetB, generateMasterKey());
  await t.rejects(unwrapMasterKey(lib, targetB, wrapped), Pkcs11UnwrapError, "another token's key does not open it");
  await t.rejects(unwrapMasterKey(lib, { ...target, keyLabel: 'other-label' }, wrapped), { name: 'Pkcs11UnwrapError', message: /no key labelled "other-label"/ });
  const tampered = Buffer.from(wrapped);
  tampered[30]! ^= 1;
  await t.rejects(unwrapMasterKey(lib, target, tampered), Pkcs11UnwrapError, 'tampered');
  await t.rejects(unwrapMasterKey(lib, target, wrapped.subarray(1)), Pkcs11UnwrapError, 'malformed');
  await t.rejects(unwrapMasterKey(lib, { ...target, pin: 'wrong-pin' }, wrapped), Pkcs11PinError);
  await t.rejects(unwrapMasterKey(lib, { ...target, tokenLabel: 'gone' }, wrapped), Pkcs11TokenError);
  await t.rejects(wrapMasterKey(lib, target, Buffer.alloc(16)), TypeError);
});

t.test('destroying an instance token erases its objects and, with the SO PIN, its user PIN', async (t) => {
  const p = await provisionToken(lib, { label: 'dew-doomed' });
  await wrapMasterKey(lib, { tokenSerial: p.tokenSerial, pin: p.userPin, keyLabel: 'extra' }, generateMasterKey());
  t.equal(listObjects(hsm, p.tokenSerial, p.userPin).length, 2);
  t.same(await destroyTokenObjects(lib, { serial: p.tokenSerial, userPin: p.userPin }), { destroyed: 2, reinitialised: false });
  const holder = await lib.openToken({ serial: p.tokenSerial }, p.userPin);
  await t.rejects(destroyTokenObjects(lib, { serial: p.tokenSerial, userPin: p.userPin, soPin: p.soPin }), { name: 'Pkcs11TokenError', message: /CKR_SESSION_EXISTS.*close its partition first/ });
  holder.close();
  t.equal(listObjects(hsm, p.tokenSerial, p.userPin).length, 0, 'no object left');
  t.same(await destroyTokenObjects(lib, { serial: p.tokenSerial, userPin: p.userPin, soPin: p.soPin }), { destroyed: 0, reinitialised: true });
  await t.rejects(lib.openToken({ serial: p.tokenSerial }, p.userPin), Pkcs11TokenError, 'the released token has no user PIN any more');
  t.equal(lib.findToken({ serial: p.tokenSerial }).label, 'dew-released');
});

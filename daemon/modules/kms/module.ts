/**
 * The KMS service module (reference section 1) at `/v1.0/{project_id}/kms`: keys, the data plane,
 * asymmetric keys and imported material, grants, rotation, aliases and tags, and the stack live
 * views of the KMS resource types. Routes name the key they are about by `key_id` in the body, or
 * in the answer once an alias is resolved.
 */
import type { KeyService } from '../../services/keys.js';
import type { DataPlane } from '../../services/data-plane.js';
import type { EncryptionService } from '../../services/encryption.js';
import type { TagService } from '../../services/tags.js';
import type { AsymmetricService } from '../../services/asymmetric.js';
import type { KeyImportService } from '../../services/key-import.js';
import type { GrantService } from '../../services/grants.js';
import type { AliasService } from '../../services/aliases.js';
import { rotationStatusOf, type RotationService } from '../../services/rotation.js';
import type { GrantIndex } from '../../services/grant-index.js';
import type { AliasIndex } from '../../services/alias-index.js';
import type { ReloadHandler } from '../../services/change-feed.js';
import { defineModule, type LiveView, type ServiceModule } from '../contract.js';
import type { PendingFinder } from '../../services/stacks.js';
import { keyRoutes } from './key-routes.js';
import { dataRoutes } from './data-routes.js';
import { asymRoutes } from './asym-routes.js';
import { grantRoutes } from './grant-routes.js';
import { rotationRoutes } from './rotation-routes.js';
import { aliasRoutes } from './alias-routes.js';
import { tagRoutes } from './tag-routes.js';

const KEY_ID = /^[0-9a-z]{8}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{12}$/;

export interface KmsModuleDeps {
  keys: KeyService;
  data: DataPlane;
  encryption: EncryptionService;
  tags: TagService;
  asym: AsymmetricService;
  imports: KeyImportService;
  grants: GrantService;
  aliases: AliasService;
  rotation: RotationService;
  /** What the change feed reloads when another daemon changed keys, grants or aliases. */
  grantIndex: GrantIndex;
  aliasIndex: AliasIndex;
  keyChanges: ReloadHandler;
}

export function kmsModule(d: KmsModuleDeps): ServiceModule {
  return defineModule({
    name: 'kms',
    base: '/v1.0/:project_id/kms',
    resource: {
      request: (r) => r.body.key_id,
      answer: (a) => (a as { key_id?: unknown }).key_id,
      resolve: (caller, named) => (KEY_ID.test(named) ? named : d.keys.find(caller, named)?.keyId),
    },
    routes: [
      ...keyRoutes({ keys: d.keys, grantsPerKeyUsed: (projectId) => d.grants.mostGrantsPerKey(projectId) }),
      ...dataRoutes(d),
      ...asymRoutes(d),
      ...grantRoutes(d),
      ...rotationRoutes(d),
      ...aliasRoutes(d),
      ...tagRoutes(d),
    ],
    liveViews: { dew_kms_key: keyView(d.keys), dew_kms_key_material: materialView(d.keys), dew_kms_alias: aliasView(d.aliases), dew_kms_grant: grantView(d.keys, d.grants), dew_kms_rotation: rotationView(d.keys) },
    feeds: {
      key: d.keyChanges,
      grant: (ids) => d.grantIndex.reload(ids),
      alias: (ids) => d.aliasIndex.reload(ids),
    },
    finders: { dew_kms_key: keyFinder(d.keys), dew_kms_key_material: materialFinder(d.keys), dew_kms_alias: aliasFinder(d.aliases), dew_kms_grant: grantFinder(d.keys, d.grants), dew_kms_rotation: rotationFinder(d.keys) },
  });
}

/** A stack's key object: the key's details, rotation settings and tags; its revision moves with every change to the key. */
function keyView(keys: KeyService): LiveView {
  return (caller, objectId) => {
    const k = keys.find(caller, objectId);
    if (!k) return { live: null, revision: 0 };
    return { live: { ...keys.toDetails(k), rotation_interval: k.rotationInterval, number_of_rotations: k.numberOfRotations, tags: { ...k.tags } }, revision: k.revision };
  };
}

/** A stack's imported material object (id: the key id): the key's state and the material's expiry. */
function materialView(keys: KeyService): LiveView {
  return (caller, objectId) => {
    const k = keys.find(caller, objectId);
    if (!k) return { live: null, revision: 0 };
    return { live: { key_id: k.keyId, key_state: k.keyState, expiration_time: k.expirationTime === null ? '' : String(k.expirationTime) }, revision: k.revision };
  };
}

/** A stack's rotation object (id: the key id): the rotation status, as get-key-rotation-status answers; gone with the key. */
function rotationView(keys: KeyService): LiveView {
  return (caller, objectId) => {
    const k = keys.find(caller, objectId);
    if (!k || k.keyState === '4') return { live: null, revision: 0 };
    return { live: { key_id: k.keyId, ...rotationStatusOf(k) }, revision: k.revision };
  };
}

/** Enabling rotation is the create: it happened when the key rotates. */
function rotationFinder(keys: KeyService): PendingFinder {
  return (caller, args) => {
    const k = typeof args.key_id === 'string' ? keys.find(caller, args.key_id) : undefined;
    return k && k.rotationEnabled === 1 && k.keyState !== '4' ? { objectId: k.keyId } : undefined;
  };
}

/** The key an interrupted create made: that alias, made after the intent, not pending deletion. */
function keyFinder(keys: KeyService): PendingFinder {
  return (caller, args, since) => {
    const k = typeof args.key_alias === 'string' ? keys.find(caller, args.key_alias) : undefined;
    return k && k.keyAlias === args.key_alias && k.creationDate >= since && k.keyState !== '4' ? { objectId: k.keyId } : undefined;
  };
}

/** Importing material is the create: it happened when the external key no longer waits for material. */
function materialFinder(keys: KeyService): PendingFinder {
  return (caller, args) => {
    const k = typeof args.key_id === 'string' ? keys.find(caller, args.key_id) : undefined;
    return k && k.origin === 'external' && k.keyState !== '5' && k.keyState !== '4' ? { objectId: k.keyId } : undefined;
  };
}

/** The alias an interrupted create made: that name, on that key, made after the intent. */
function aliasFinder(aliases: AliasService): PendingFinder {
  return (caller, args, since) => {
    const a = typeof args.alias === 'string' ? aliases.get(caller, args.alias) : undefined;
    return a && a.keyId === args.key_id && a.createTime >= since ? { objectId: `${a.keyId}?${a.alias}` } : undefined;
  };
}

/** The grant an interrupted create made: same key, grantee, type, operations and name, made after the intent (the oldest such). */
function grantFinder(keys: KeyService, grants: GrantService): PendingFinder {
  return async (caller, args, since) => {
    if (typeof args.key_id !== 'string' || !keys.find(caller, args.key_id)) return undefined;
    const ops = (v: unknown) => (Array.isArray(v) ? v.map(String).sort().join(',') : '');
    const found = (await grants.list(caller, args.key_id)).grants.find(
      (g) =>
        g.grantee_principal === args.grantee_principal &&
        g.grantee_principal_type === (args.type ?? 'user') &&
        ops(g.operations) === ops(args.operations) &&
        (g.name ?? '') === (args.name ?? '') &&
        Number(g.creation_date) >= since,
    );
    return found ? { objectId: `${String(found.key_id)}/${String(found.grant_id)}` } : undefined;
  };
}

/** A stack's alias object (id as huaweicloud_kms_alias: `<key_id>?<alias>`). */
function aliasView(aliases: AliasService): LiveView {
  return (caller, objectId) => {
    const a = aliases.get(caller, objectId.slice(objectId.indexOf('?') + 1));
    return a ? { live: { ...aliases.toEntity(a) }, revision: a.revision } : { live: null, revision: 0 };
  };
}

/** A stack's grant object (id as huaweicloud_kms_grant: `<key_id>/<grant_id>`); grants never change, so revision 1 while they exist. */
function grantView(keys: KeyService, grants: GrantService): LiveView {
  return async (caller, objectId) => {
    const slash = objectId.indexOf('/');
    const [keyId, grantId] = [objectId.slice(0, slash), objectId.slice(slash + 1)];
    const found = keys.find(caller, keyId) ? (await grants.list(caller, keyId)).grants.find((g) => g.grant_id === grantId) : undefined;
    return found ? { live: found, revision: 1 } : { live: null, revision: 0 };
  };
}

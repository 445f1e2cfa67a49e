/**
 * Builds the secret service's parts over one database (a daemon's entry point calls this): the
 * repository, the vault over the KMS data plane, secrets, versions, rotation, backup and tags, and
 * events (definitions and webhook delivery), and the scheduler's CSMS job (deletions due, rotations
 * due, expiries to report, notifications whose retry time has come).
 */
import type { Db } from '../../store/db.js';
import type { Hsm } from '../../hsm/hsm.js';
import type { DataPlane } from '../data-plane.js';
import type { ServiceJob } from '../../scheduler/jobs.js';
import { CsmsRepo } from '../../store/csms-repo.js';
import { SecretVault } from './secret-vault.js';
import { SecretService, DEFAULT_SECRET_QUOTA } from './secrets.js';
import { VersionService } from './versions.js';
import { SecretRotation } from './rotation.js';
import { SecretBackup } from './backup.js';
import { SecretTags } from './secret-tags.js';
import { SecretEvents } from './events.js';
import { CsmsEventRepo } from '../../store/csms-event-repo.js';
import { generatePassword, parsePasswordPolicy } from './password-generator.js';
import { subscriptionsOf } from './secrets.js';
import { csmsErrors } from '../../errors.js';

export interface CsmsParts {
  repo: CsmsRepo;
  secrets: SecretService;
  versions: VersionService;
  rotation: SecretRotation;
  backup: SecretBackup;
  tags: SecretTags;
  events: SecretEvents;
  job: ServiceJob;
}

export interface CsmsDeps {
  db: Db;
  data: DataPlane;
  hsm: Hsm;
  now: () => number;
  log: (line: string) => void;
  quota?: number;
}

/** A COMMON secret's rotation_config: a JSON object of generate-password's fields (the policy rotations use). */
export function rotationPolicy(config: string | null) {
  if (config === null || config === '') return parsePasswordPolicy({});
  let body: unknown;
  try {
    body = JSON.parse(config);
  } catch {
    throw csmsErrors.invalid('rotation_config', 'a JSON object of generate-password fields, such as {"length":40,"exclude_punctuation":true}');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw csmsErrors.invalid('rotation_config', 'a JSON object of generate-password fields');
  return parsePasswordPolicy(body);
}

export function assembleCsms(d: CsmsDeps): CsmsParts {
  const repo = new CsmsRepo(d.db);
  const vault = new SecretVault(d.data);
  const events = new SecretEvents({
    repo: new CsmsEventRepo(d.db),
    hsm: d.hsm,
    now: d.now,
    log: d.log,
    isSubscribed: async (projectId, name) => (await repo.projectSecrets(projectId)).some((r) => subscriptionsOf(r).includes(name)),
  });
  const secrets = new SecretService(repo, vault, d.data, events, {
    now: d.now,
    quota: d.quota ?? DEFAULT_SECRET_QUOTA,
    eventExists: (projectId, name) => events.exists(projectId, name),
    checkRotationConfig: (config) => void rotationPolicy(config),
  });
  const versions = new VersionService(repo, secrets, vault, events, d.now);
  const rotation = new SecretRotation({ repo, secrets, versions, events, now: d.now, generate: (config) => generatePassword(rotationPolicy(config)) });
  const backup = new SecretBackup(repo, secrets, d.hsm, d.now);
  const tags = new SecretTags(repo, secrets, d.now);
  const job: ServiceJob = {
    service: 'csms',
    run: async () => {
      const deleted = await secrets.deleteDue();
      const rotations = await rotation.rotateDue();
      const expired = await versions.reportExpired();
      const delivery = await events.deliverDue();
      return {
        deleted_secrets: deleted,
        rotated_secrets: rotations.rotated,
        expired_versions: expired,
        delivered_notifications: delivery.succeeded,
        failed_notifications: delivery.failed,
        failed: rotations.failed.map((f) => `rotate ${f.secret_name}: ${f.error}`),
      };
    },
  };
  return { repo, secrets, versions, rotation, backup, tags, events, job };
}

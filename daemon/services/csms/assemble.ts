/**
 * Builds the secret service's parts over one database (a daemon's entry point calls this): the
 * repository, the vault over the KMS data plane, secrets, versions, rotation, backup and tags, and
 * the scheduler's CSMS job (deletions due, rotations due, expiries to report, events to deliver).
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
import type { EventSink } from './event-sink.js';

export interface CsmsParts {
  repo: CsmsRepo;
  secrets: SecretService;
  versions: VersionService;
  rotation: SecretRotation;
  backup: SecretBackup;
  tags: SecretTags;
  job: ServiceJob;
}

export interface CsmsDeps {
  db: Db;
  data: DataPlane;
  hsm: Hsm;
  now: () => number;
  events: EventSink;
  eventExists: (projectId: string, name: string) => Promise<boolean>;
  /** Event delivery the scheduler drives (retries whose time has come); the record ids it settled. */
  deliverDue?: () => Promise<{ delivered: string[]; failed: string[] }>;
  /** A new value for a rotation, from the secret's rotation_config (the password policy). */
  generate: (rotationConfig: string | null) => string;
  checkRotationConfig: (config: string) => void;
  quota?: number;
}

export function assembleCsms(d: CsmsDeps): CsmsParts {
  const repo = new CsmsRepo(d.db);
  const vault = new SecretVault(d.data);
  const secrets = new SecretService(repo, vault, d.data, d.events, { now: d.now, quota: d.quota ?? DEFAULT_SECRET_QUOTA, eventExists: d.eventExists, checkRotationConfig: d.checkRotationConfig });
  const versions = new VersionService(repo, secrets, vault, d.events, d.now);
  const rotation = new SecretRotation({ repo, secrets, versions, events: d.events, now: d.now, generate: d.generate });
  const backup = new SecretBackup(repo, secrets, d.hsm, d.now);
  const tags = new SecretTags(repo, secrets, d.now);
  const job: ServiceJob = {
    service: 'csms',
    run: async () => {
      const deleted = await secrets.deleteDue();
      const rotations = await rotation.rotateDue();
      const expired = await versions.reportExpired();
      const delivery = d.deliverDue ? await d.deliverDue() : { delivered: [], failed: [] };
      return {
        deleted_secrets: deleted,
        rotated_secrets: rotations.rotated,
        expired_versions: expired,
        delivered_notifications: delivery.delivered,
        failed: [...rotations.failed.map((f) => `rotate ${f.secret_name}: ${f.error}`), ...delivery.failed.map((id) => `notification ${id} failed for good`)],
      };
    },
  };
  return { repo, secrets, versions, rotation, backup, tags, job };
}

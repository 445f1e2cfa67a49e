/**
 * Secret backup and restore (reference `backup` / `secrets/restore`). A backup is an opaque blob:
 * the secret, every version as stored (values still sealed under their KMS keys) and every stage,
 * sealed under the daemon's master key with the project bound in. Only the same dew installation
 * (the same master key) opens it, only into the same project, and only while no secret has that
 * name; a restored secret comes back ENABLED with its original id, so its sealed versions, which
 * bind that id, still open.
 */
import type { Caller } from '../caller.js';
import type { Hsm } from '../../hsm/hsm.js';
import type { CsmsRepo, SecretRow, StageRow, VersionRow } from '../../store/csms-repo.js';
import type { SecretService } from './secrets.js';
import { csmsErrors } from '../../errors.js';
import { secretEntity } from './secret-fields.js';

interface BackupV1 {
  v: 1;
  secret: Omit<SecretRow, 'revision'>;
  versions: VersionRow[];
  stages: StageRow[];
}

/** The largest blob restore accepts (20 versions of 32 KB, sealed and encoded, with room to spare). */
export const MAX_BACKUP_BLOB_BYTES = 2 * 1024 * 1024;

const context = (projectId: string): string => `dew/csms/backup/v1:${projectId}`;

export class SecretBackup {
  constructor(
    private readonly repo: CsmsRepo,
    private readonly secrets: SecretService,
    private readonly hsm: Hsm,
    private readonly now: () => number,
  ) {}

  async backup(caller: Caller, name: string): Promise<Record<string, unknown>> {
    const secret = await this.secrets.get(caller, name);
    const [versions, stages] = [await this.repo.allVersions(secret.secretId), await this.repo.stages(secret.secretId)];
    const { revision: _revision, ...rest } = secret;
    const doc: BackupV1 = { v: 1, secret: rest, versions, stages };
    const blob = this.hsm.sealSecret(Buffer.from(JSON.stringify(doc), 'utf8'), context(caller.projectId));
    return { secret_blob: blob.toString('base64') };
  }

  async restore(caller: Caller, blobText: string): Promise<Record<string, unknown>> {
    const doc = this.open(caller, blobText);
    const now = this.now();
    const row: SecretRow = { ...doc.secret, state: 'ENABLED', scheduledDeleteTime: null, updateTime: now, revision: 1 };
    if (await this.repo.secretByName(caller.projectId, row.name)) throw csmsErrors.exists(`The secret ${JSON.stringify(row.name)}`);
    if (!(await this.repo.restore(row, doc.versions, doc.stages))) throw csmsErrors.exists(`The secret ${JSON.stringify(row.name)} (or its id)`);
    return { secret: secretEntity(row) };
  }

  private open(caller: Caller, blobText: string): BackupV1 {
    const raw = Buffer.from(blobText, 'base64');
    if (raw.length === 0 || raw.toString('base64') !== blobText) throw csmsErrors.invalid('secret_blob', 'it is not a backup this service made');
    let plain: Buffer;
    try {
      plain = this.hsm.openSecret(raw, context(caller.projectId));
    } catch {
      throw csmsErrors.invalid('secret_blob', 'it does not open here (another installation, another project, or altered)');
    }
    try {
      const doc = JSON.parse(plain.toString('utf8')) as BackupV1;
      if (doc.v !== 1 || doc.secret.projectId !== caller.projectId) throw new Error('unknown backup format');
      return doc;
    } catch {
      throw csmsErrors.invalid('secret_blob', 'it is not a backup this service made');
    } finally {
      plain.fill(0);
    }
  }
}

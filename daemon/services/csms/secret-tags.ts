/**
 * Secret tags and the resource-instance queries (reference 5, `csms/{secret_id}/tags…`,
 * `csms/tags`, `csms/resource_instances/action`): at most 20 tags a secret, keys of 1–128 and
 * values of 0–255 characters, `_sys_` refused; filter and count by tags and name as KMS does.
 */
import type { Caller } from '../caller.js';
import type { CsmsRepo, SecretRow } from '../../store/csms-repo.js';
import type { SecretService } from './secrets.js';
import { csmsErrors } from '../../errors.js';
import { matchesQuery, pageOf, tagKeysWithValues, type ResourceQuery } from '../tags.js';
import { MAX_TAGS, checkTag, secretEntity, tagList } from './secret-fields.js';

export class SecretTags {
  constructor(
    private readonly repo: CsmsRepo,
    private readonly secrets: SecretService,
    private readonly now: () => number,
  ) {}

  async list(caller: Caller, idOrName: string): Promise<Record<string, unknown>> {
    const r = await this.secrets.getByIdOrName(caller, idOrName);
    return { tags: tagList(r.tags), sys_tags: [] };
  }

  /** Adds or replaces `upserts` and removes `removals` in one change (at most MAX_TAGS after it). */
  async change(caller: Caller, idOrName: string, upserts: { key: unknown; value?: unknown }[], removals: string[]): Promise<void> {
    const checked = upserts.map((t) => checkTag(t.key, t.value));
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await this.secrets.getByIdOrName(caller, idOrName);
      if (r.state === 'PENDING_DELETE') throw csmsErrors.pendingDelete(r.name);
      const tags = JSON.parse(r.tags) as Record<string, string>;
      for (const k of removals) delete tags[k];
      for (const t of checked) tags[t.key] = t.value;
      if (Object.keys(tags).length > MAX_TAGS) throw csmsErrors.invalid('tags', `a secret has at most ${MAX_TAGS} tags`);
      if (await this.repo.updateSecret(r.secretId, r.revision, { tags: JSON.stringify(tags), updateTime: this.now() })) return;
    }
    throw csmsErrors.busy('the secret kept changing while its tags were changed');
  }

  async deleteOne(caller: Caller, idOrName: string, key: string): Promise<void> {
    const r = await this.secrets.getByIdOrName(caller, idOrName);
    if (!(key in (JSON.parse(r.tags) as Record<string, string>))) throw csmsErrors.notFound(`tag ${JSON.stringify(key.slice(0, 128))} of secret ${JSON.stringify(r.name)}`);
    await this.change(caller, r.secretId, [], [key]);
  }

  async projectTags(caller: Caller): Promise<Record<string, unknown>> {
    return { tags: tagKeysWithValues((await this.repo.projectSecrets(caller.projectId)).map(tagsOf)) };
  }

  async resourceInstances(caller: Caller, q: ResourceQuery): Promise<Record<string, unknown>> {
    const matching = (await this.repo.projectSecrets(caller.projectId)).filter((r) => matchesQuery(q, tagsOf(r), r.name));
    if (q.action === 'count') return { total_count: matching.length };
    const { limit, offset } = pageOf(q);
    return {
      resources: matching.slice(offset, offset + limit).map((r) => ({
        resource_id: r.secretId,
        resource_name: r.name,
        resource_detail: secretEntity(r),
        tags: tagList(r.tags),
        sys_tags: [],
      })),
      total_count: matching.length,
    };
  }
}

const tagsOf = (r: SecretRow): Record<string, string> => JSON.parse(r.tags) as Record<string, string>;

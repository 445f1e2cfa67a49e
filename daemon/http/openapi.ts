/** Builds the OpenAPI 3.1 document from the route table: every declared route, with its body schema from schemas/. */
import type { JsonSchema } from '../../schemas/index.js';
import type { RouteTable } from './route-table.js';

const errorBody = {
  type: 'object',
  properties: {
    error: { type: 'object', properties: { error_code: { type: 'string' }, error_msg: { type: 'string' } } },
  },
};

function stripExtensions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(stripExtensions);
  if (schema && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) {
      if (k === '$schema' || k === '$id') continue;
      out[k] = stripExtensions(v);
    }
    return out;
  }
  return schema;
}

/** `/v1.0/:project_id/kms/:key_id/tags` → `/v1.0/{project_id}/kms/{key_id}/tags`, with its parameter names. */
function openApiPath(pattern: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = pattern.replace(/:([a-z_]+)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

export function buildOpenApi(routes: RouteTable, schemas: ReadonlyMap<string, JsonSchema>, version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes.all) {
    const { path, params } = openApiPath(r.pattern);
    const schema = r.schema === undefined ? undefined : schemas.get(r.schema);
    paths[path] = {
      ...paths[path],
      [r.method.toLowerCase()]: {
        operationId: `${r.module}.${r.access.operation}.${r.method.toLowerCase()}`,
        summary: (schema?.description as string | undefined) ?? r.access.operation,
        tags: [r.module],
        'x-dew-operation': r.access.operation,
        'x-dew-permission': r.access.permission,
        ...(r.public ? { 'x-dew-public': true } : {}),
        parameters: params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
        // A public route takes no credential: its body carries its own (the console's sign-in token).
        security: r.public ? [] : [{ aksk: [] }, { token: [] }],
        ...(schema ? { requestBody: { required: true, content: { 'application/json': { schema: stripExtensions(schema) } } } } : {}),
        responses: {
          [String(r.status)]: { description: 'Success' },
          '400': { description: 'Invalid request', content: { 'application/json': { schema: errorBody } } },
          '401': { description: 'Authentication failed (APIGW.0301)' },
          '403': { description: 'No permission (KMS.0307)' },
          '404': { description: 'Not found' },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'dew API', version, description: 'Huawei-DEW-shaped key management API served by the dew daemon.' },
    components: {
      securitySchemes: {
        aksk: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'SDK-HMAC-SHA256 request signature' },
        token: { type: 'apiKey', in: 'header', name: 'X-Auth-Token' },
      },
    },
    paths,
  };
}

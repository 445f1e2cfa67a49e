/**
 * Placeholder for the dew provider (issue 15 part C replaces this file): a provider with an empty
 * configuration schema and no resources, so the plugin host builds and Terraform can load it.
 */
import type { ProviderHandlers } from './plugin/rpc-handlers.js';

const EMPTY_BLOCK = { version: 0, attributes: [], block_types: [], description: '', description_kind: 'PLAIN', deprecated: false };

export function createProvider(): ProviderHandlers {
  return {
    GetProviderSchema: async () => ({
      provider: { version: 0, block: EMPTY_BLOCK },
      resource_schemas: {},
      data_source_schemas: {},
      server_capabilities: { plan_destroy: true, get_provider_schema_optional: true },
    }),
    ValidateProviderConfig: async () => ({}),
    ConfigureProvider: async () => ({}),
  };
}

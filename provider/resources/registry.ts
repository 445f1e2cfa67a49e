/** The resource types dew knows, by type name. */
import { dewCsmsSecret } from './dew-csms-secret.js';
import { dewCsmsSecretVersion } from './dew-csms-secret-version.js';
import { dewHsmInstance } from './dew-hsm-instance.js';
import { dewIamUser } from './dew-iam-user.js';
import { dewKmsAlias } from './dew-kms-alias.js';
import { dewKmsGrant } from './dew-kms-grant.js';
import { dewKmsKey } from './dew-kms-key.js';
import { dewKmsKeyMaterial } from './dew-kms-key-material.js';
import { dewKmsRotation } from './dew-kms-rotation.js';
import { dewKpsBinding } from './dew-kps-binding.js';
import { dewKpsHost } from './dew-kps-host.js';
import { dewKeystore } from './dew-keystore.js';
import { dewKpsKeypair } from './dew-kps-keypair.js';
import type { ResourceType } from './resource-type.js';

const TYPES: ReadonlyMap<string, ResourceType> = new Map([dewKmsKey, dewKmsAlias, dewKmsGrant, dewKmsRotation, dewKmsKeyMaterial, dewIamUser, dewKpsKeypair, dewKpsHost, dewKpsBinding, dewCsmsSecret, dewCsmsSecretVersion, dewHsmInstance, dewKeystore].map((t) => [t.type, t]));

export function resourceType(name: string): ResourceType | undefined {
  return TYPES.get(name);
}

export function resourceTypeNames(): string[] {
  return [...TYPES.keys()];
}

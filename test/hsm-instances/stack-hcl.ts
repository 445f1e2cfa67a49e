/**
 * The HSM stack both front ends plan in their tests: an instance with a keystore, a key in it and
 * its alias, and a spare instance with a keystore; one body for dew's own files
 * (test/hsm-instances/declarative.test.ts) and Terraform's (test/terraform/e2e-hsm.test.ts), each
 * putting its own header (`dew { stack … }`, the provider block) in front.
 */
export interface HsmStackOptions {
  /** The spare instance's specification (default software). */
  spec?: string;
  /** The vault instance's specification (default software). */
  vaultSpec?: string;
  description?: string;
  enabled?: boolean;
  /** More HCL appended at the end. */
  extra?: string;
}

export const hsmStackHcl = (o: HsmStackOptions = {}): string => `
resource "dew_hsm_instance" "vault" {
  name            = "vault"
  specification   = "${o.vaultSpec ?? 'software'}"
  description     = "${o.description ?? 'payments'}"
  credential_file = "vault.cred"
}

resource "dew_keystore" "vault" {
  alias          = "vault-ks"
  hsm_cluster_id = dew_hsm_instance.vault.id
  enabled        = ${o.enabled ?? true}
}

resource "dew_kms_key" "pay" {
  key_alias   = "pay"
  keystore_id = dew_keystore.vault.keystore_id
}

resource "dew_kms_alias" "pay" {
  key_id = dew_kms_key.pay.id
  alias  = "alias/pay"
}

resource "dew_hsm_instance" "spare" {
  name            = "spare"
  specification   = "${o.spec ?? 'software'}"
  credential_file = "spare.cred"
}

resource "dew_keystore" "spare" {
  alias          = "spare-ks"
  hsm_cluster_id = dew_hsm_instance.spare.id
}

output "keystore_id" {
  value = dew_keystore.vault.keystore_id
}
${o.extra ?? ''}`;

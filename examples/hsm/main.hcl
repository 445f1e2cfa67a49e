# A dedicated HSM instance (software: an isolated partition of dew's HSM with its own root key), a keystore
# on it, a key protected by the instance, and an alias for the key. Run: dew plan, then dew apply.
# The instance's admin credential is written to vault.cred (mode 0600) and never recorded: keep that file,
# as dew destroy (and dew hsm freeze --credential-file vault.cred) needs it.

dew {
  stack = "hsm"
}

resource "dew_hsm_instance" "vault" {
  name            = "vault"
  specification   = "software"
  description     = "keys of the payments team"
  credential_file = "vault.cred"
}

resource "dew_keystore" "vault" {
  alias          = "payments-keystore"
  hsm_cluster_id = dew_hsm_instance.vault.id
}

resource "dew_kms_key" "payments" {
  key_alias       = "payments"
  key_algorithm   = "AES_256"
  key_description = "protected by the vault instance"
  keystore_id     = dew_keystore.vault.keystore_id
}

resource "dew_kms_alias" "payments" {
  key_id = dew_kms_key.payments.id
  alias  = "alias/payments"
}

output "keystore_id" {
  value = dew_keystore.vault.keystore_id
}

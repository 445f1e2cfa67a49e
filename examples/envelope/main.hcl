# Envelope encryption: one master key; applications call create-datakey with its id,
# encrypt their data locally with the data key, and store only the encrypted data key.

dew {
  stack = "envelope"
}

variable "name" {
  type    = string
  default = "files"
}

resource "dew_kms_key" "envelope" {
  key_alias        = "${var.name}-envelope"
  key_description  = "Master key for envelope encryption of ${var.name}"
  rotation_enabled = true
}

output "envelope_key_id" {
  value       = dew_kms_key.envelope.key_id
  description = "Pass this to create-datakey (or dew's envelope helpers)."
}

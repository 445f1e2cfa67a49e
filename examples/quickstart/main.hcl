# Quickstart: a few keys, an alias, a grant and rotation.
# Run: dew plan, then dew apply (the daemon is the state; no local state file).

dew {
  stack = "quickstart"
}

locals {
  prefix = "${var.env}-${var.team}"
  tags   = merge(var.extra_tags, { team = var.team, env = var.env })
}

# An AES-256 key for application data, rotated every 90 days by the daemon's scheduler.
resource "dew_kms_key" "app" {
  key_alias         = "${local.prefix}-app"
  key_description   = "Application data key for ${var.env}"
  rotation_enabled  = true
  rotation_interval = 90
  tags              = local.tags
}

# An SM4 key for workloads that must use the Chinese national algorithms.
resource "dew_kms_key" "sm4" {
  key_alias     = "${local.prefix}-sm4"
  key_algorithm = "SM4"
  tags          = local.tags
}

# An HMAC key for signing webhooks (generate-mac / verify-mac).
resource "dew_kms_key" "webhooks" {
  key_alias     = "${local.prefix}-webhooks"
  key_algorithm = "HMAC_256"
  key_usage     = "GENERATE_VERIFY_MAC"
  tags          = local.tags

  lifecycle {
    prevent_destroy = true
  }
}

# A second name for the application key.
resource "dew_kms_alias" "app" {
  key_id = dew_kms_key.app.key_id
  alias  = "alias/${local.prefix}-app"
}

# The user the application runs as: `dew iam create-access-key` gives it an access key.
resource "dew_iam_user" "app" {
  name = "${local.prefix}-app"
}

# Let the application's user encrypt and decrypt with the key, and nothing else.
resource "dew_kms_grant" "app_reader" {
  key_id            = dew_kms_key.app.key_id
  name              = "app-reader"
  grantee_principal = dew_iam_user.app.user_id
  operations        = ["encrypt-data", "decrypt-data", "create-datakey"]
}

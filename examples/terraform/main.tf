# dew with Terraform: a key, an alias, a grant to a user, and the key's rotation.
# `npx dew terraform install` first; the provider finds the daemon as the dew tool does
# (DEW_* variables, else .dew/credentials.json here or in a parent folder).

terraform {
  required_providers {
    dew = {
      source = "dew.local/dew/dew"
    }
  }
}

provider "dew" {}

resource "dew_kms_key" "orders" {
  key_alias       = "tf-orders"
  key_description = "order records, managed by terraform"
  pending_days    = "7"
  tags = {
    team = "orders"
  }
}

resource "dew_kms_alias" "orders" {
  key_id = dew_kms_key.orders.key_id
  alias  = "alias/tf-orders"
}

resource "dew_kms_rotation" "orders" {
  key_id            = dew_kms_key.orders.key_id
  rotation_interval = 90
}

resource "dew_iam_user" "orders_app" {
  name  = "tf-orders-app"
  roles = ["KMS ReadOnlyAccess"] # reads keys; the grant lets it use this one
}

resource "dew_kms_grant" "orders_app" {
  key_id            = dew_kms_key.orders.key_id
  grantee_principal = dew_iam_user.orders_app.user_id
  operations        = ["encrypt-data", "decrypt-data", "create-datakey"]
}

data "dew_kms_key" "orders" {
  key_alias = dew_kms_key.orders.key_alias
}

output "orders_key_id" {
  value = dew_kms_key.orders.key_id
}

output "orders_key_state" {
  value = data.dew_kms_key.orders.key_state
}

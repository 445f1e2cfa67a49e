output "app_key_id" {
  value = dew_kms_key.app.key_id
}

output "key_ids" {
  value = {
    app      = dew_kms_key.app.key_id
    sm4      = dew_kms_key.sm4.key_id
    webhooks = dew_kms_key.webhooks.key_id
  }
}

output "grant_id" {
  value = dew_kms_grant.app_reader.id
}

output "app_user_id" {
  value = dew_iam_user.app.user_id
}

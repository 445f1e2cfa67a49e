# Secrets (CSMS): a database password given through the environment (DEW_VAR_db_password or
# TF_VAR_db_password), an API token read from a file next to this one, and a "prod" stage pinned to
# the version apps should read. Run: DEW_VAR_db_password=… dew plan, then dew apply; then
# `dew csms get db-password` prints the value, `dew csms get api-token --stage prod` the pinned one.
# Plans, saved plans and the stack keep only a digest of each value; a new value is a new version.

dew {
  stack = "csms"
}

variable "db_password" {
  type      = string
  sensitive = true
}

resource "dew_csms_secret" "db" {
  name        = "db-password"
  secret_text = var.db_password
  description = "password of the orders database"

  tags = {
    team = "orders"
  }
}

# api-token.txt holds the token; file() reads it at plan and again at apply (the saved plan keeps
# only its digest).
resource "dew_csms_secret" "api" {
  name                    = "api-token"
  secret_text             = file("api-token.txt")
  auto_rotation           = true
  rotation_period         = "30d"
  recovery_window_in_days = 7
}

# Apps read the "prod" stage; moving it to another version is an in-place update.
resource "dew_csms_secret_version" "api_prod" {
  secret_name = dew_csms_secret.api.name
  stage       = "prod"
  version_id  = dew_csms_secret.api.latest_version
}

output "db_secret_id" {
  value = dew_csms_secret.db.secret_id
}

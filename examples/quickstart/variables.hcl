variable "env" {
  type        = string
  default     = "dev"
  description = "Environment name, used in aliases and tags."
}

variable "team" {
  type    = string
  default = "payments"
}

variable "app_user_id" {
  type        = string
  description = "User id the application runs as (the grantee): `dew iam create-user app` prints one. `dew quickstart` creates user quickstart-app and passes its id."
}

variable "extra_tags" {
  type    = map(string)
  default = {}
}

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
  default     = "appuser0001"
  description = "The user the application runs as (grantee of the grant)."
}

variable "extra_tags" {
  type    = map(string)
  default = {}
}

variable "env" {
  type        = string
  default     = "dev"
  description = "Environment name, used in aliases and tags."
}

variable "team" {
  type    = string
  default = "payments"
}

variable "extra_tags" {
  type    = map(string)
  default = {}
}

# SSH key pairs: a generated key pair whose private key the service keeps (managed) and writes to
# deploy.pem (mode 0600), a host, and the key pair bound to it. Run: dew plan, then dew apply;
# then `ssh -i deploy.pem -p PORT USER@ADDRESS` logs in, and dew destroy unbinds the key again.

dew {
  stack = "kps"
}

variable "host_address" {
  type    = string
  default = "127.0.0.1"
}

variable "host_port" {
  type    = number
  default = 22
}

variable "host_user" {
  type    = string
  default = "deploy"
}

# The login password the first bind uses (never recorded in the stack).
variable "host_password" {
  type      = string
  sensitive = true
}

resource "dew_kps_keypair" "deploy" {
  name            = "deploy"
  algorithm       = "SSH_ED25519"
  description     = "deploy key for the web host"
  encryption_type = "default"
  key_file        = "deploy.pem"
}

resource "dew_kps_host" "web" {
  name     = "web"
  address  = var.host_address
  port     = var.host_port
  username = var.host_user
}

# Destroy logs in with the managed private key of the key pair to take the key out again.
resource "dew_kps_binding" "web" {
  keypair_name = dew_kps_keypair.deploy.name
  host_id      = dew_kps_host.web.id
  auth_type    = "password"
  password     = var.host_password
}

output "fingerprint" {
  value = dew_kps_keypair.deploy.fingerprint
}

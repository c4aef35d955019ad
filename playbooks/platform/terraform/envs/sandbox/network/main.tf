# A stand-in for the network stack: no provider can be downloaded here, so the "network" is
# a terraform_data object (built into OpenTofu) that records its inputs and exports them.
variable "pod_cidr" {
  type        = string
  description = "The range the cluster's pods get addresses from."
  default     = "10.213.9.0/24"
}

variable "nodes" {
  type        = number
  description = "Worker nodes of the cluster."
  default     = 2
}

resource "terraform_data" "network" {
  input = {
    pod_cidr = var.pod_cidr
    nodes    = var.nodes
  }
}

output "pod_cidr" {
  value = terraform_data.network.output.pod_cidr
}

output "nodes" {
  value = terraform_data.network.output.nodes
}

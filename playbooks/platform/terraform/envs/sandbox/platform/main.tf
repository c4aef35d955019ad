# The platform stack records what it was built against: the network stack's outputs, read
# from that stack's state in the same bucket (terraform_remote_state and terraform_data are
# built into OpenTofu; nothing is downloaded).
#
# Drift, as the tests make it: the network stack is applied again with other values. This
# stack's state still holds the old ones, so its next plan is not empty and
# `tofu plan -detailed-exitcode` exits 2; `helix verify platform` reports it (A.plan-drift).
# terraform_data has no remote object to refresh, so "changed outside of OpenTofu" refresh
# drift cannot happen here: what is detected is a stale stack (decision 051).
data "terraform_remote_state" "network" {
  backend = "s3"
  config = {
    bucket                      = "helix-platform-tfstate"
    key                         = "platform/sandbox/network.tfstate"
    region                      = "us-east-1"
    use_path_style              = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
  }
}

resource "terraform_data" "network_contract" {
  input = {
    pod_cidr = data.terraform_remote_state.network.outputs.pod_cidr
    nodes    = data.terraform_remote_state.network.outputs.nodes
  }
}

output "pod_cidr" {
  value = terraform_data.network_contract.output.pod_cidr
}

# The sandbox's platform stack (decision 051): the same S3 backend settings as prod
# (use_lockfile, no DynamoDB), against SeaweedFS on 127.0.0.1 (src/sandbox/seaweedfs.ts).
# The address and credentials come from the environment (AWS_ENDPOINT_URL_S3,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY). No KMS key: the sandbox's bucket is a local
# folder; prod's backend.tf keeps encrypt and kms_key_id, and the static checks hold it to them.
terraform {
  required_version = ">= 1.11.0"

  backend "s3" {
    bucket       = "helix-platform-tfstate"
    key          = "platform/sandbox/terraform.tfstate"
    region       = "us-east-1"
    use_lockfile = true

    use_path_style              = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
  }
}

# The sandbox's upstream stack (decision 051): its state is what the platform stack reads.
# The S3 server is SeaweedFS on 127.0.0.1 (src/sandbox/seaweedfs.ts); its address and the
# credentials come from the environment it prints (AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY), as a CI job's would.
terraform {
  required_version = ">= 1.11.0"

  backend "s3" {
    bucket       = "helix-platform-tfstate"
    key          = "platform/sandbox/network.tfstate"
    region       = "us-east-1"
    use_lockfile = true

    # A local S3 server, not AWS: path-style URLs, no STS, IMDS or region lookups.
    use_path_style              = true
    skip_credentials_validation = true
    skip_region_validation      = true
    skip_requesting_account_id  = true
    skip_metadata_api_check     = true
  }
}

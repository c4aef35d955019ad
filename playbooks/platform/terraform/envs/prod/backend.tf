# Remote state for the prod root module (001 §A, 002 §2). Native S3 locking (use_lockfile,
# GA in Terraform 1.11) replaces the DynamoDB table; the state is encrypted with the state
# KMS key. helix never runs terraform: `helix verify platform --static` checks this file.
terraform {
  required_version = ">= 1.11.0"

  backend "s3" {
    bucket       = "helix-platform-tfstate"
    key          = "platform/prod/terraform.tfstate"
    region       = "eu-central-1"
    encrypt      = true
    kms_key_id   = "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000"
    use_lockfile = true
  }

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }
}

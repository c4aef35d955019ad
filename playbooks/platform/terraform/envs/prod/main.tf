# The prod root module owns infrastructure only (002 hard boundary): network, the cluster,
# IAM and KMS. Namespaces, CRDs, Helm releases and in-cluster databases belong to GitOps and
# helix; no kubernetes_* or helm_release resources and no kubernetes/helm providers here.
provider "aws" {
  region = "eu-central-1"
}

resource "aws_kms_key" "state" {
  description         = "Terraform state encryption (platform)"
  enable_key_rotation = true
}

resource "aws_s3_bucket" "state" {
  bucket = "helix-platform-tfstate"
}

resource "aws_s3_bucket_versioning" "state" {
  bucket = aws_s3_bucket.state.id
  versioning_configuration {
    status = "Enabled"
  }
}

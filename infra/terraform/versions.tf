# Meeting Migration Service: the Terraform equivalent of infra/bicep (test/unit/infra checks that both stay
# equivalent). Providers: azurerm (Azure resources), azuread (Microsoft Graph app roles for the managed identity),
# random (the Graph clientState secret).
terraform {
  required_version = ">= 1.9"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.30"
    }
    azuread = {
      source  = "hashicorp/azuread"
      version = "~> 3.4"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "azurerm" {
  subscription_id = var.subscription_id
  # Shared-key access is disabled on the storage account, so the provider must use Entra ID for data-plane calls
  # (creating the deployment container).
  storage_use_azuread = true
  features {
    key_vault {
      purge_soft_delete_on_destroy = false
    }
  }
}

provider "azuread" {}

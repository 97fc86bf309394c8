# Meeting Migration Service: the Terraform equivalent of infra/bicep (test/unit/infra checks that both stay
# equivalent). Providers: azurerm (Azure resources), azapi (the ARM properties azurerm does not cover: the Key Vault
# secret through ARM, the app's keyVaultReferenceIdentity and its exact app settings), azuread (Microsoft Graph app
# roles for the managed identity), random (the Graph clientState secret).
#
# Version floors are the versions whose schemas infra/schemas/terraform-providers.json holds (test/unit/infra checks
# every argument against them); azapi's arguments and bodies are checked as described in infra/schemas/README.md.
terraform {
  required_version = ">= 1.9"
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.55"
    }
    azapi = {
      source  = "Azure/azapi"
      version = "~> 2.4"
    }
    azuread = {
      source  = "hashicorp/azuread"
      version = "~> 3.7"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
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

provider "azapi" {
  subscription_id = var.subscription_id
}

provider "azuread" {}

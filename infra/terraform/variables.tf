variable "subscription_id" {
  description = "Azure subscription to deploy into."
  type        = string
}

variable "environment_name" {
  description = "Name of the environment (e.g. prod, test); part of every resource name through a hash."
  type        = string
  validation {
    condition     = length(var.environment_name) >= 1 && length(var.environment_name) <= 64
    error_message = "environment_name must be 1 to 64 characters."
  }
}

variable "location" {
  description = "Azure region of every resource. It must offer the Flex Consumption plan."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group to create; default rg-<environment_name>."
  type        = string
  default     = ""
}

variable "tables_prefix" {
  description = "Prefix of the tables the service creates in the storage account (letters and digits)."
  type        = string
  default     = "mms"
  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9]{0,29}$", var.tables_prefix))
    error_message = "tables_prefix must start with a letter and hold only letters and digits (at most 30)."
  }
}

variable "maximum_instance_count" {
  description = "Most instances Flex Consumption may scale out to."
  type        = number
  default     = 40
}

variable "instance_memory_mb" {
  description = "Memory of each Flex Consumption instance, in MB (2048 or 4096)."
  type        = number
  default     = 2048
  validation {
    condition     = contains([2048, 4096], var.instance_memory_mb)
    error_message = "instance_memory_mb must be 2048 or 4096."
  }
}

variable "exchange_rbac_for_mailboxes" {
  description = "true: do not grant the mailbox permissions (exchangeScopable in shared/graph/permissions.json) tenant-wide; grant them with Exchange RBAC for Applications scoped to the users who need migration (README.md, Deploy)."
  type        = bool
  default     = false
}

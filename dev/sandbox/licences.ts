/**
 * A small built-in SKU → service-plan catalogue (GUIDs from Microsoft's licensing service plan reference) used by
 * the sandbox's assignLicense to keep `assignedPlans` consistent with `assignedLicenses`, as the directory does.
 */
export interface PlanInfo {
  servicePlanId: string;
  servicePlanName: string;
  service: string;
}

export const PLANS = {
  MCOMEETADV: {
    servicePlanId: '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40',
    servicePlanName: 'MCOMEETADV',
    service: 'MicrosoftCommunicationsOnline',
  },
  MCOEV: {
    servicePlanId: '4828c8ec-dc2e-4779-b502-87ac9ce28ab7',
    servicePlanName: 'MCOEV',
    service: 'MicrosoftCommunicationsOnline',
  },
  MCOSTANDARD: {
    servicePlanId: '0feaeb32-d00e-4d66-bd5a-43b5b83db82c',
    servicePlanName: 'MCOSTANDARD',
    service: 'MicrosoftCommunicationsOnline',
  },
  TEAMS1: {
    servicePlanId: '57ff2da0-773e-42df-b2af-ffb7a2317929',
    servicePlanName: 'TEAMS1',
    service: 'TeamspaceAPI',
  },
  EXCHANGE_S_ENTERPRISE: {
    servicePlanId: 'efb87545-963c-4e0d-99df-69c6916d9eb0',
    servicePlanName: 'EXCHANGE_S_ENTERPRISE',
    service: 'exchange',
  },
} as const satisfies Record<string, PlanInfo>;

export interface SkuInfo {
  skuId: string;
  skuPartNumber: string;
  plans: readonly PlanInfo[];
}

const E5_PLANS = [
  PLANS.EXCHANGE_S_ENTERPRISE,
  PLANS.MCOSTANDARD,
  PLANS.TEAMS1,
  PLANS.MCOEV,
  PLANS.MCOMEETADV,
];

export const SKUS: readonly SkuInfo[] = [
  { skuId: '06ebc4ee-1bb5-47dd-8120-11324bc54e06', skuPartNumber: 'SPE_E5', plans: E5_PLANS },
  { skuId: 'c7df2760-2c81-4ef7-b578-5b5392b571df', skuPartNumber: 'ENTERPRISEPREMIUM', plans: E5_PLANS },
  {
    skuId: '26d45bd9-adf1-46cd-a9e1-51e9a5524128',
    skuPartNumber: 'ENTERPRISEPREMIUM_NOPSTNCONF',
    plans: [PLANS.EXCHANGE_S_ENTERPRISE, PLANS.MCOSTANDARD, PLANS.TEAMS1, PLANS.MCOEV],
  },
  { skuId: '0c266dff-15dd-4b49-8397-2bb16070ed52', skuPartNumber: 'MCOMEETADV', plans: [PLANS.MCOMEETADV] },
  { skuId: 'e43b5b99-8dfb-405f-9987-dc307f34bcbd', skuPartNumber: 'MCOEV', plans: [PLANS.MCOEV] },
];

export function skuById(skuId: string): SkuInfo | undefined {
  return SKUS.find((s) => s.skuId === skuId.toLowerCase());
}

export function skuByPartNumber(part: string): SkuInfo | undefined {
  return SKUS.find((s) => s.skuPartNumber === part);
}

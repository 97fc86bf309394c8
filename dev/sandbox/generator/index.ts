/**
 * Sandbox tenant generator: a deterministic (seeded) tenant with the cases a real Microsoft 365 tenant has —
 * users in many languages and time zones with Graph-shaped licences, audio-conferencing bridges and per-user
 * dial-in settings, and meetings (organizer copies and attendee copies) carrying Skype for Business and every
 * generation of Teams block in HTML and text bodies, plus everything that must be left alone (past meetings,
 * pasted blocks, huge meetings, cancelled ones, no block at all).
 *
 * Every event records what it stands for in `sandboxCase`: `<case>|<block>|<format>[|attendee-copy]`
 * (see `parseSandboxCase`).
 */
import { z } from 'zod';
import type { SeedBridge, SeedDialIn, TenantSeedInput } from '../seed';
import { skuByPartNumber } from '../licences';
import { expandRecurrence } from '../recurrence';
import { isoUtc, localToUtcMs, wallParts } from '../time';
import { mulberry32 } from '../prng';
import {
  LCIDS,
  TEAMS_ERAS,
  composeHtmlBody,
  composeTextBody,
  escapeHtml,
  layoutFor,
  skypeBlockHtml,
  skypeBlockText,
  teamsBlockHtml,
  teamsBlockText,
  teamsMeetUrl,
  teamsMeetupJoinUrl,
  teamsThreadId,
  type BlockDialIn,
  type BlockPhone,
  type HtmlFlavour,
  type TeamsEra,
} from './blocks';

export * from './blocks';

type SeedUserInput = TenantSeedInput['users'][number];
type SeedEventInput = TenantSeedInput['events'][number];
type SeedAttendeeInput = NonNullable<SeedEventInput['attendees']>[number];
type SeedExceptionInput = NonNullable<SeedEventInput['exceptions']>[number];
type RecurrenceInput = NonNullable<SeedEventInput['recurrence']>;

/** The PublicStrings property the Skype for Business Outlook add-in writes the join link to. */
export const SKYPE_ADD_IN_LINK_PROPERTY =
  'String {00020329-0000-0000-C000-000000000046} Name OnlineMeetingExternalLink';

export const generateOptions = z.object({
  users: z.number().int().min(1).max(100_000),
  meetings: z.number().int().min(0).max(1_000),
  seed: z.number().int().optional(),
  now: z.date().optional(),
});
export type GenerateOptions = z.input<typeof generateOptions>;

/** The primary cases an organizer's meeting can stand for. */
export const EVENT_CASES = [
  'teams-online',
  'skype-online',
  'skype-onprem',
  'third-party-acp',
  'onprem-mailbox',
  'past',
  'series-weekly-enddate',
  'series-daily-numbered',
  'series-monthly-noend',
  'series-all-past',
  'large-meeting',
  'boundary-250',
  'pasted-not-online',
  'pasted-other-organizer',
  'no-block',
  'cancelled',
  'attachments',
] as const;
export type EventCase = (typeof EVENT_CASES)[number];
export type BlockTag = `teams-${TeamsEra}` | 'skype' | 'skype-onprem' | 'none';
export type BodyFormat = 'html-outlook' | 'html-owa' | 'html-graph' | 'text';
export const BODY_FORMATS: readonly BodyFormat[] = ['html-outlook', 'html-owa', 'html-graph', 'text'];

export interface ParsedSandboxCase {
  case: EventCase;
  block: BlockTag;
  format: BodyFormat;
  attendeeCopy: boolean;
}

export function formatSandboxCase(c: ParsedSandboxCase): string {
  return `${c.case}|${c.block}|${c.format}${c.attendeeCopy ? '|attendee-copy' : ''}`;
}

export function parseSandboxCase(s: string | undefined): ParsedSandboxCase | undefined {
  if (!s) return undefined;
  const [c, block, format, copy] = s.split('|');
  if (!c || !block || !format) return undefined;
  return {
    case: c as EventCase,
    block: block as BlockTag,
    format: format as BodyFormat,
    attendeeCopy: copy === 'attendee-copy',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Seeded choices (mulberry32, dev/sandbox/prng.ts)

class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed >>> 0 || 0x9e3779b9);
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.next() * items.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(this.next() * 16).toString(16);
    return s;
  }
  guid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }
  digits(n: number): string {
    let s = String(this.int(1, 9));
    for (let i = 1; i < n; i++) s += String(this.int(0, 9));
    return s;
  }
  alnum(n: number): string {
    const abc = 'ABCDEFGHJKLMNPQRSTUVWXYZ0123456789';
    let s = '';
    for (let i = 0; i < n; i++) s += abc[Math.floor(this.next() * abc.length)];
    return s;
  }
  passcode(): string {
    const abc = 'abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';
    let s = '';
    for (let i = 0; i < 6; i++) s += abc[Math.floor(this.next() * abc.length)];
    return s;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Reference data

interface Person {
  given: string;
  surname: string;
  /** ASCII user part of the UPN (Entra UPNs allow letters, digits and ' . - _ ! # ^ ~ only). */
  alias: string;
  /** Family name first, no space (Chinese) or with a space (Japanese). */
  display?: string;
}

const PEOPLE: readonly Person[] = [
  { given: 'José', surname: 'Núñez', alias: 'jose.nunez' },
  { given: 'Zoë', surname: 'Ångström', alias: 'zoe.angstrom' },
  { given: 'François', surname: 'Lefèvre', alias: 'francois.lefevre' },
  { given: 'Jürgen', surname: 'Groß', alias: 'juergen.gross' },
  { given: 'Søren', surname: 'Kierkegård', alias: 'soren.kierkegard' },
  { given: 'Łukasz', surname: 'Wójcik', alias: 'lukasz.wojcik' },
  { given: 'Siobhán', surname: "O'Brien", alias: "siobhan.o'brien" },
  { given: '芳', surname: '王', alias: 'fang.wang', display: '王芳' },
  { given: '陽菜', surname: '佐藤', alias: 'hina.sato', display: '佐藤 陽菜' },
  { given: 'محمد', surname: 'العلي', alias: 'mohammed.alali' },
  { given: 'דנה', surname: 'כהן', alias: 'dana.cohen' },
  { given: 'Ana', surname: 'Conceição', alias: 'ana.conceicao' },
  { given: 'Aino', surname: 'Mäkinen', alias: 'aino.makinen' },
  { given: 'Chloé', surname: 'Dubois', alias: 'chloe.dubois' },
  { given: 'Björn', surname: 'Müller', alias: 'bjorn.muller' },
  { given: 'Alice', surname: 'Smith', alias: 'alice.smith' },
  { given: 'María José', surname: 'García-López', alias: 'mariajose.garcia-lopez' },
  { given: 'Thị Minh', surname: 'Nguyễn', alias: 'minh.nguyen', display: 'Nguyễn Thị Minh' },
  { given: 'Ørjan', surname: 'Æbeltoft', alias: 'orjan.aebeltoft' },
  { given: 'Bob', surname: 'Jones', alias: 'bob.jones' },
  { given: 'Chiara', surname: 'D’Angelo', alias: 'chiara.dangelo' },
  { given: 'Dmitrij', surname: 'Šostakovič', alias: 'dmitrij.sostakovic' },
  { given: '민준', surname: '김', alias: 'minjun.kim', display: '김민준' },
];

/** preferredLanguage values (null: not set). fi-FI is one the block renderer does not support. */
const LANGUAGES: readonly (string | null)[] = [
  'en-US',
  'fr-FR',
  'de-DE',
  'es-ES',
  'pt-BR',
  'zh-CN',
  'ja-JP',
  'fi-FI',
  'en-US',
  null,
  'en-GB',
];
const USAGE_LOCATION: Record<string, string> = {
  'en-US': 'US',
  'en-GB': 'GB',
  'fr-FR': 'FR',
  'de-DE': 'DE',
  'es-ES': 'ES',
  'pt-BR': 'BR',
  'zh-CN': 'CN',
  'ja-JP': 'JP',
  'fi-FI': 'FI',
};
const LANGUAGE_NAMES: Record<string, string> = {
  'en-US': 'English (United States)',
  'fr-FR': 'Français (France)',
  'de-DE': 'Deutsch (Deutschland)',
  'es-ES': 'Español (España)',
  'pt-BR': 'Português (Brasil)',
  'zh-CN': '中文(中国)',
  'ja-JP': '日本語 (日本)',
  'fi-FI': 'Suomi (Suomi)',
  'he-IL': 'עברית (ישראל)',
  'ar-SA': 'العربية (المملكة العربية السعودية)',
};

/** Mailbox time zones: Windows names (what Outlook writes) and IANA names (what some clients write). */
const MAILBOX_ZONES: readonly string[] = [
  'Pacific Standard Time',
  'Romance Standard Time',
  'W. Europe Standard Time',
  'E. South America Standard Time',
  'China Standard Time',
  'Tokyo Standard Time',
  'FLE Standard Time',
  'Eastern Standard Time',
  'Europe/Paris',
  'America/New_York',
  'Asia/Tokyo',
  'UTC',
  'GMT Standard Time',
  'Israel Standard Time',
  'Arabian Standard Time',
  'AUS Eastern Standard Time',
];
const EVENT_ZONES: readonly string[] = [
  'Pacific Standard Time',
  'Eastern Standard Time',
  'GMT Standard Time',
  'W. Europe Standard Time',
  'India Standard Time',
  'Tokyo Standard Time',
  'UTC',
  'Europe/Berlin',
  'America/Sao_Paulo',
  'Asia/Shanghai',
  'Australia/Sydney',
  'Pacific/Auckland',
];

interface BridgeNumberTemplate extends BlockPhone {
  languages: string[];
}

interface BridgeTemplate {
  name: string;
  region: 'amer' | 'emea' | 'apac';
  numbers: BridgeNumberTemplate[];
}

const n = (
  number: string,
  display: string,
  city: string,
  country: string,
  languages: string[],
  type: 'toll' | 'tollFree' = 'toll',
): BridgeNumberTemplate => ({ number, display, city, country, type, languages });

/** Fictional numbers (555-01xx, Ofcom drama ranges and the like) in realistic formats. */
const BRIDGE_TEMPLATES: readonly BridgeTemplate[] = [
  {
    name: 'Conference Bridge',
    region: 'amer',
    numbers: [
      n('+13235550123', '+1 323-555-0123', 'Los Angeles', 'United States', ['en-US', 'es-ES']),
      n('+12065550100', '+1 206-555-0100', 'Seattle', 'United States', ['en-US']),
      n('+12125550147', '+1 212-555-0147', 'New York City', 'United States', ['en-US', 'es-ES']),
      n('+14165550173', '+1 416-555-0173', 'Toronto', 'Canada', ['en-US', 'fr-FR']),
      n('+551155550182', '+55 11 5555-0182', 'São Paulo', 'Brazil', ['pt-BR']),
      n('+18665550142', '+1 866-555-0142', 'United States', 'United States', ['en-US'], 'tollFree'),
    ],
  },
  {
    name: 'EMEA Conference Bridge',
    region: 'emea',
    numbers: [
      n('+442079460123', '+44 20 7946 0123', 'London', 'United Kingdom', ['en-US']),
      n('+33175850123', '+33 1 75 85 01 23', 'Paris', 'France', ['fr-FR']),
      n('+493055550123', '+49 30 5555 0123', 'Berlin', 'Germany', ['de-DE']),
      n('+34915550123', '+34 91 555 01 23', 'Madrid', 'Spain', ['es-ES']),
      n('+35895550123', '+358 9 555 0123', 'Helsinki', 'Finland', ['fi-FI', 'en-US']),
      n('+97235550123', '+972 3-555-0123', 'Tel Aviv', 'Israel', ['he-IL', 'en-US']),
      n('+97145550123', '+971 4 555 0123', 'Dubai', 'United Arab Emirates', ['ar-SA', 'en-US']),
      n('+448000480123', '+44 800 048 0123', 'United Kingdom', 'United Kingdom', ['en-US'], 'tollFree'),
      n('+33805550123', '+33 805 55 01 23', 'France', 'France', ['fr-FR'], 'tollFree'),
    ],
  },
  {
    name: 'APAC Conference Bridge',
    region: 'apac',
    numbers: [
      n('+81355550123', '+81 3-5555-0123', 'Tokyo', 'Japan', ['ja-JP']),
      n('+861055550123', '+86 10 5555 0123', 'Beijing', 'China', ['zh-CN']),
      n('+61255550123', '+61 2 5555 0123', 'Sydney', 'Australia', ['en-US']),
      n('+6565550123', '+65 6555 0123', 'Singapore', 'Singapore', ['en-US', 'zh-CN']),
      n('+611800555012', '+61 1800 555 012', 'Australia', 'Australia', ['en-US'], 'tollFree'),
    ],
  },
];

const THIRD_PARTY_PROVIDERS: readonly { name: string; toll: BlockPhone; tollFree: BlockPhone }[] = [
  {
    name: 'InterCall',
    toll: {
      number: '+14045550111',
      display: '+1 404-555-0111',
      city: 'Atlanta',
      country: 'United States',
      type: 'toll',
    },
    tollFree: {
      number: '+18775550111',
      display: '+1 877-555-0111',
      city: 'United States',
      country: 'United States',
      type: 'tollFree',
    },
  },
  {
    name: 'PGi',
    toll: {
      number: '+441615550122',
      display: '+44 161 555 0122',
      city: 'Manchester',
      country: 'United Kingdom',
      type: 'toll',
    },
    tollFree: {
      number: '+448005550122',
      display: '+44 800 555 0122',
      city: 'United Kingdom',
      country: 'United Kingdom',
      type: 'tollFree',
    },
  },
  {
    name: 'BT Conferencing',
    toll: {
      number: '+442035550133',
      display: '+44 20 3555 0133',
      city: 'London',
      country: 'United Kingdom',
      type: 'toll',
    },
    tollFree: {
      number: '+448085550133',
      display: '+44 808 555 0133',
      city: 'United Kingdom',
      country: 'United Kingdom',
      type: 'tollFree',
    },
  },
];

const AUDIO_CONFERENCING_PLAN = '3e26ee1f-8a5f-4d52-aee2-b81ce45c8f40';

/** How a user is licensed. The first two give Audio Conferencing (plan MCOMEETADV), the others do not. */
type LicenceProfile =
  | 'SPE_E5'
  | 'NOPSTNCONF+MCOMEETADV'
  | 'ENTERPRISEPREMIUM'
  | 'NOPSTNCONF'
  | 'SPE_E5-MCOMEETADV-disabled'
  | 'SPE_E5-MCOMEETADV-suspended';
const LICENCE_ROTATION: readonly LicenceProfile[] = [
  'SPE_E5',
  'NOPSTNCONF+MCOMEETADV',
  'NOPSTNCONF',
  'SPE_E5',
  'SPE_E5-MCOMEETADV-disabled',
  'ENTERPRISEPREMIUM',
  'NOPSTNCONF+MCOMEETADV',
  'SPE_E5-MCOMEETADV-suspended',
];

function licences(
  profile: LicenceProfile,
  assigned: string,
): {
  assignedLicenses: SeedUserInput['assignedLicenses'];
  assignedPlans: SeedUserInput['assignedPlans'];
  audio: boolean;
} {
  const parts: { sku: string; disabled: string[] }[] = [];
  switch (profile) {
    case 'SPE_E5':
    case 'SPE_E5-MCOMEETADV-suspended':
      parts.push({ sku: 'SPE_E5', disabled: [] });
      break;
    case 'SPE_E5-MCOMEETADV-disabled':
      parts.push({ sku: 'SPE_E5', disabled: [AUDIO_CONFERENCING_PLAN] });
      break;
    case 'ENTERPRISEPREMIUM':
      parts.push({ sku: 'ENTERPRISEPREMIUM', disabled: [] });
      break;
    case 'NOPSTNCONF':
      parts.push({ sku: 'ENTERPRISEPREMIUM_NOPSTNCONF', disabled: [] });
      break;
    case 'NOPSTNCONF+MCOMEETADV':
      parts.push({ sku: 'ENTERPRISEPREMIUM_NOPSTNCONF', disabled: [] }, { sku: 'MCOMEETADV', disabled: [] });
      break;
  }
  const assignedLicenses: NonNullable<SeedUserInput['assignedLicenses']> = [];
  const assignedPlans: NonNullable<SeedUserInput['assignedPlans']> = [];
  const seen = new Set<string>();
  for (const p of parts) {
    const sku = skuByPartNumber(p.sku);
    if (!sku) throw new Error(`licence catalogue lacks ${p.sku}`);
    assignedLicenses.push({ skuId: sku.skuId, disabledPlans: p.disabled });
    for (const plan of sku.plans) {
      if (p.disabled.includes(plan.servicePlanId) || seen.has(plan.servicePlanId)) continue;
      seen.add(plan.servicePlanId);
      const suspended =
        profile === 'SPE_E5-MCOMEETADV-suspended' && plan.servicePlanId === AUDIO_CONFERENCING_PLAN;
      assignedPlans.push({
        assignedDateTime: assigned,
        capabilityStatus: suspended ? 'Suspended' : 'Enabled',
        service: plan.service,
        servicePlanId: plan.servicePlanId,
      });
    }
  }
  const audio = assignedPlans.some(
    (p) => p.servicePlanId === AUDIO_CONFERENCING_PLAN && p.capabilityStatus === 'Enabled',
  );
  return { assignedLicenses, assignedPlans, audio };
}

// Text outside the blocks: accents, CJK, emoji (surrogate pairs, ZWJ sequences, flags), right-to-left scripts.
const INTROS: readonly string[] = [
  'Bonjour à tous, voici l’ordre du jour — café ☕ à 9 h 30.',
  'Grüße aus Köln! Übersicht für das Quartal: Maßnahmen & Ziele.',
  '会议议程：第一季度回顾，请提前阅读附件。',
  '定例会議のアジェンダです。よろしくお願いします。',
  '👩‍💻 Team sync 🚀 — bring your ideas 💡 👨‍👩‍👧‍👦 🇫🇮 🏳️‍🌈',
  'Hola equipo, ¿podéis revisar el borrador? Ñandú, pingüino.',
  'Olá! Revisão do orçamento — São Paulo & Brasília.',
  'Hyvää huomenta! Käydään läpi sprintin tulokset.',
  'Agenda: 1) résumé 2) naïve café façade 3) coöperation — “quoted” ‘text’ … ½ € £ ¥',
  'Math & music: 𝄞 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ∑ x² ≤ ∞; combining: e\u0301 a\u0308 n\u0303',
];
const RTL_LINES: readonly string[] = [
  'مرحبا بالجميع، جدول الأعمال مرفق.',
  'שלום לכולם, סדר היום מצורף.',
  'مراجعة المشروع — الأسبوع القادم',
];
const OUTROS: readonly string[] = [
  'Merci ! À bientôt.',
  'Viele Grüße',
  'ありがとうございます 🙏',
  '谢谢！',
  'Saludos — ✅ ✔︎ ❤️',
  'Ystävällisin terveisin',
];
const SUBJECTS: readonly string[] = [
  'Weekly sync — équipe produit',
  'Revue trimestrielle Q3',
  'Planung 2027: Überblick',
  '周会',
  '定例会議',
  'Café con el equipo ☕',
  '🚀 Launch readiness',
  'مراجعة المشروع',
  'סקירת פרויקט',
  'Budget review',
  '1:1',
  'Kick-off 👩‍💻 Ørsted',
];
const ROOMS: readonly string[] = [
  'Salle Émile-Zola',
  '会議室 A',
  'Besprechungsraum Köln',
  'Sala São Paulo',
  'Room 4.01',
];

const ROTATION: readonly (EventCase | 'online')[] = [
  'online',
  'online',
  'series-weekly-enddate',
  'past',
  'pasted-not-online',
  'online',
  'large-meeting',
  'series-daily-numbered',
  'no-block',
  'online',
  'cancelled',
  'series-monthly-noend',
  'pasted-other-organizer',
  'attachments',
  'series-all-past',
  'online',
  'large-meeting', // alternates with boundary-250
];

// ---------------------------------------------------------------------------------------------------------------
// Generation

interface GenUser {
  seed: SeedUserInput;
  person: Person;
  alias: string;
  language: string | null;
  zone: string;
  mailboxOnPrem: boolean;
  homedOnPrem: boolean;
  dialIn: SeedDialIn;
  blockDialIn: BlockDialIn | null;
}

interface BlockSpec {
  tag: BlockTag;
  kind: 'teams' | 'skype';
  era?: TeamsEra;
  joinUrl: string;
  onlineMeeting: NonNullable<SeedEventInput['onlineMeeting']>;
  html: (flavour: HtmlFlavour) => string;
  text: () => string;
}

const DAY_MS = 86_400_000;
const pad = (v: number) => String(v).padStart(2, '0');

function dateString(dayNumber: number): string {
  return new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
}

function localDateTime(dayNumber: number, minutes: number): string {
  return `${dateString(dayNumber)}T${pad(Math.floor(minutes / 60))}:${pad(minutes % 60)}:00.0000000`;
}

function plusMinutes(local: string, zone: string, minutes: number): { dateTime: string; timeZone: string } {
  const ms = localToUtcMs(local, zone) + minutes * 60_000;
  const w = wallParts(ms, zone);
  return { dateTime: `${w.date}T${w.time}.0000000`, timeZone: zone };
}

function iCalUId(rng: Rng, createdDay: number): string {
  // 040000008200E00074C5B7101A82E008 + 8-byte time + reserved + size + a GUID: the shape Outlook gives.
  const filetime = (BigInt(createdDay * DAY_MS) + 11_644_473_600_000n) * 10_000n;
  const le = Buffer.alloc(8);
  le.writeBigUInt64LE(filetime);
  return `040000008200E00074C5B7101A82E00800000000${le.toString('hex').toUpperCase()}000000000000000010000000${rng.hex(32).toUpperCase()}`;
}

/** Generates a tenant seed. Deterministic for a given `seed` and `now` (now is taken at day precision). */
export function generateTenant(options: GenerateOptions): TenantSeedInput {
  const o = generateOptions.parse(options);
  const seed = o.seed ?? 1;
  const rng = new Rng(seed);
  const today = Math.floor((o.now ?? new Date()).getTime() / DAY_MS);
  const nowMs = today * DAY_MS;
  const domain = 'contoso.onmicrosoft.com';
  const tenantId = rng.guid();

  // Bridges
  const bridgeCount = rng.chance(0.5) ? 3 : 2;
  const bridges: SeedBridge[] = [];
  const bridgeMeta: { bridge: SeedBridge; template: BridgeTemplate; usedIds: Set<string> }[] = [];
  for (let b = 0; b < bridgeCount; b++) {
    const t = BRIDGE_TEMPLATES[b]!;
    const tollFree = t.numbers.find((x) => x.type === 'tollFree');
    const bridge: SeedBridge = {
      id: rng.guid(),
      name: t.name,
      isDefault: b === 0,
      dialInUrl: `https://dialin.teams.microsoft.com/${rng.guid()}`,
      defaultTollNumber: t.numbers[0]!.number,
      ...(tollFree ? { defaultTollFreeNumber: tollFree.number } : {}),
      numbers: t.numbers.map((x) => ({
        number: x.number,
        type: x.type,
        city: x.city,
        country: x.country,
        languages: x.languages,
      })),
    };
    bridges.push(bridge);
    bridgeMeta.push({ bridge, template: t, usedIds: new Set() });
  }
  const regionOf = (zone: string, lang: string | null): 'amer' | 'emea' | 'apac' => {
    if (/Pacific Standard|Eastern|America|South America|UTC/.test(zone) && zone !== 'UTC') return 'amer';
    if (/China|Tokyo|Asia|AUS/.test(zone)) return 'apac';
    if (lang === 'pt-BR') return 'amer';
    return zone === 'UTC' ? 'amer' : 'emea';
  };

  // Users
  const users: GenUser[] = [];
  const upns = new Set<string>();
  for (let i = 0; i < o.users; i++) {
    const person = PEOPLE[i % PEOPLE.length]!;
    const round = Math.floor(i / PEOPLE.length);
    let alias = round === 0 ? person.alias : `${person.alias}${round + 1}`;
    while (upns.has(alias)) alias = `${alias}x`;
    upns.add(alias);
    const upn = `${alias}@${domain}`;
    const language = LANGUAGES[i % LANGUAGES.length] ?? null;
    const zone = MAILBOX_ZONES[i % MAILBOX_ZONES.length]!;
    const thirdParty = i % 13 === 7;
    // A cloud user whose licence was removed (or never given): no Exchange plan, so no mailbox (Graph answers
    // MailboxNotEnabledForRESTAPI); and a user who leaves (soft-deleted) after the demo requested their migration.
    const mailboxOnPrem = i % 17 === 5;
    const homedOnPrem = i % 11 === 3;
    // Both cloud-only (not synchronised from Active Directory), so nothing else explains their outcome.
    const unlicensed = i % 19 === 9 && !mailboxOnPrem && !homedOnPrem;
    const leaver = i % 19 === 10 && !mailboxOnPrem && !homedOnPrem;
    const profile: LicenceProfile = thirdParty
      ? 'NOPSTNCONF'
      : LICENCE_ROTATION[i % LICENCE_ROTATION.length]!;
    const assignedDay = today - rng.int(30, 2000);
    const licensed = licences(
      profile,
      `${dateString(assignedDay)}T${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}Z`,
    );
    const lic = unlicensed ? { assignedLicenses: [], assignedPlans: [], audio: false } : licensed;
    const id = rng.guid();

    let dialIn: SeedDialIn;
    let blockDialIn: BlockDialIn | null = null;
    if (thirdParty) {
      const p = THIRD_PARTY_PROVIDERS[i % THIRD_PARTY_PROVIDERS.length]!;
      const code = rng.digits(7);
      dialIn = {
        provider: 'ThirdParty',
        enabled: true,
        tollNumber: p.toll.number,
        tollFreeNumber: p.tollFree.number,
        conferenceId: code,
        thirdPartyProviderName: p.name,
      };
      blockDialIn = {
        phones: [p.toll, p.tollFree],
        conferenceId: code,
        findLocalNumberUrl: `https://www.${p.name.toLowerCase().replace(/\s+/g, '')}.example/local-numbers`,
        thirdPartyProviderName: p.name,
      };
    } else if (lic.audio) {
      const region = regionOf(zone, language);
      const meta = bridgeMeta.find((m) => m.template.region === region) ?? bridgeMeta[0]!;
      const tollNumbers = meta.template.numbers.filter((x) => x.type === 'toll');
      const toll =
        tollNumbers.find((x) => language !== null && x.languages.includes(language)) ?? tollNumbers[0]!;
      const tollFree = rng.chance(0.6) ? meta.template.numbers.find((x) => x.type === 'tollFree') : undefined;
      let conf = rng.digits(rng.int(6, 9));
      while (meta.usedIds.has(conf)) conf = rng.digits(rng.int(6, 9));
      meta.usedIds.add(conf);
      dialIn = {
        provider: 'Microsoft',
        enabled: true,
        bridgeId: meta.bridge.id,
        tollNumber: toll.number,
        ...(tollFree ? { tollFreeNumber: tollFree.number } : {}),
        conferenceId: conf,
      };
      const lang = (l: string) => LANGUAGE_NAMES[l] ?? l;
      blockDialIn = {
        phones: [toll, ...(tollFree ? [tollFree] : [])].map((x) => ({
          ...x,
          languageName: lang(x.languages[0] ?? 'en-US'),
        })),
        conferenceId: conf,
        findLocalNumberUrl: meta.bridge.dialInUrl,
      };
    } else {
      dialIn = { provider: 'Microsoft', enabled: false };
    }

    const displayName = person.display ?? `${person.given} ${person.surname}`;
    users.push({
      seed: {
        id,
        userPrincipalName: upn,
        displayName,
        mail: upn,
        givenName: person.given,
        surname: person.surname,
        accountEnabled: true,
        preferredLanguage: language,
        usageLocation: (language && USAGE_LOCATION[language]) ?? 'US',
        // Hybrid users (an on-premises mailbox or Skype homing) are synchronised from Active Directory.
        ...(mailboxOnPrem || homedOnPrem ? { onPremisesSyncEnabled: true } : {}),
        assignedLicenses: lic.assignedLicenses,
        assignedPlans: lic.assignedPlans,
        mailboxTimeZone: zone,
        sandboxMailboxLocation: mailboxOnPrem ? 'onPremises' : 'exchangeOnline',
        sandboxSipHoming: homedOnPrem ? 'onPremises' : 'online',
        sandboxSipAddress: `sip:${upn}`,
        sandboxDialIn: dialIn,
        ...(leaver ? { sandboxDemo: 'leaver' as const } : {}),
      },
      person,
      alias,
      language,
      zone,
      mailboxOnPrem,
      homedOnPrem,
      dialIn,
      blockDialIn,
    });
  }

  // Meetings
  const events: SeedEventInput[] = [];
  const counters = {
    online: 0,
    teams: 0,
    format: 0,
    large: 0,
    skype: 0,
    rotation: Math.floor(rng.next() * ROTATION.length),
  };
  const tenantAlias = domain.split('.')[0]!;

  const makeBlock = (u: GenUser, kind: 'teams' | 'skype', era?: TeamsEra): BlockSpec => {
    const lang = u.language ?? 'en-US';
    const dialIn = u.blockDialIn;
    if (kind === 'skype') {
      const onPrem = u.homedOnPrem;
      const key = rng.alnum(8);
      const user = u.alias.split('@')[0]!.replace(/[^a-z0-9.]/g, '');
      // On-premises: the simple URL (meet.<domain>/<user>/<id>) or a pool's /meet/ path; the user part keeps its dots.
      const onPremUrl = rng.chance(0.5)
        ? `https://meet.contoso.com/${user}/${key}`
        : `https://lyncpool01.contoso.com/meet/${user}/${key}`;
      const joinUrl = onPrem ? onPremUrl : `https://meet.lync.com/${tenantAlias}/${user}/${key}`;
      const lcid = LCIDS[lang] ?? 1033;
      const skypeDialIn: BlockDialIn | null = dialIn
        ? {
            ...dialIn,
            findLocalNumberUrl: dialIn.findLocalNumberUrl.replace(
              'dialin.teams.microsoft.com',
              onPrem ? 'dialin.contoso.com' : 'dialin.lync.com',
            ),
          }
        : null;
      const opts = {
        joinUrl,
        lcid,
        dialIn: skypeDialIn,
        lyncLine: rng.chance(0.5),
        sharedNotes: rng.chance(0.2),
      };
      return {
        tag: onPrem ? 'skype-onprem' : 'skype',
        kind,
        joinUrl,
        onlineMeeting: { joinUrl, ...(dialIn ? { conferenceId: dialIn.conferenceId } : {}) },
        html: (flavour) => skypeBlockHtml({ ...opts, layout: layoutFor(flavour) }),
        text: () => skypeBlockText(opts),
      };
    }
    const e = era ?? '2022';
    const meetingGuid = rng.guid();
    const meetingId = rng.digits(rng.chance(0.5) ? 11 : 12);
    const passcode = rng.passcode();
    // Graph's onlineMeeting.joinUrl is always the long meetup-join link; the newest invitation template shows
    // the short /meet/<meeting id>?p=<passcode> link in the body instead (two forms of one meeting's link).
    const graphJoinUrl = teamsMeetupJoinUrl(meetingGuid, tenantId, u.seed.id);
    const joinUrl = e === 'newest' ? teamsMeetUrl(meetingId, passcode) : graphJoinUrl;
    const opts = {
      joinUrl,
      tenantId,
      organizerId: u.seed.id,
      threadId: teamsThreadId(meetingGuid),
      meetingId,
      passcode,
      dialIn,
      language: lang,
      ...(e === '2019' && rng.chance(0.3)
        ? { vtc: { tenantKey: tenantAlias, conferenceId: rng.digits(10) } }
        : {}),
    };
    const tollFree = dialIn?.phones.filter((p) => p.type === 'tollFree').map((p) => p.number);
    return {
      tag: `teams-${e}`,
      kind,
      era: e,
      joinUrl,
      onlineMeeting: {
        joinUrl: graphJoinUrl,
        ...(dialIn
          ? {
              conferenceId: dialIn.conferenceId,
              tollNumber: dialIn.phones.find((p) => p.type === 'toll')?.number,
              ...(tollFree && tollFree.length ? { tollFreeNumbers: tollFree } : {}),
            }
          : {}),
      },
      html: (flavour) => teamsBlockHtml(e, { ...opts, layout: layoutFor(flavour) }),
      text: () => teamsBlockText(e, opts),
    };
  };

  const nextTeamsEra = (): TeamsEra => TEAMS_ERAS[counters.teams++ % TEAMS_ERAS.length]!;

  /** Text around the block, in the body's format. */
  const surroundings = (format: BodyFormat, variant: string): { before: string; after: string } => {
    const intro = rng.pick(INTROS);
    const rtl = rng.pick(RTL_LINES);
    const outro = rng.pick(OUTROS);
    if (format === 'text') {
      return { before: `${variant}${intro}\r\n${rtl}`, after: outro };
    }
    const e = escapeHtml;
    if (format === 'html-outlook') {
      return {
        before: `<p class="MsoNormal">${e(variant + intro)}<o:p></o:p></p>\r\n<p class="MsoNormal" dir="rtl">${e(rtl)}<o:p></o:p></p>`,
        after: `<p class="MsoNormal">${e(outro)}<o:p></o:p></p>`,
      };
    }
    const style =
      'font-family:Aptos,Aptos_EmbeddedFont,Calibri,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)';
    return {
      before: `<div class="elementToProof" style="${style}">${e(variant + intro)}</div>\r\n<div dir="rtl" style="${style}">${e(rtl)}</div>`,
      after: `<div class="elementToProof" style="${style}">${e(outro)}</div>`,
    };
  };

  const body = (
    format: BodyFormat,
    block: BlockSpec | null,
    s: { before: string; after: string },
    copy: boolean,
  ): { contentType: 'html' | 'text'; content: string } => {
    if (format === 'text')
      return {
        contentType: 'text',
        content: composeTextBody(s.before, block ? block.text() : '', s.after).body,
      };
    const flavour = format.slice(5) as HtmlFlavour;
    return {
      contentType: 'html',
      content: composeHtmlBody(s.before, block ? block.html(flavour) : '', s.after, flavour, copy).body,
    };
  };

  const attendeeOf = (
    u: GenUser,
    response: 'none' | 'accepted' | 'tentativelyAccepted' | 'declined',
  ): SeedAttendeeInput => ({
    emailAddress: { name: u.seed.displayName, address: u.seed.userPrincipalName },
    type: 'required',
    status: { response, time: response === 'none' ? '0001-01-01T00:00:00Z' : isoUtc(nowMs - DAY_MS) },
  });

  for (let ui = 0; ui < users.length; ui++) {
    const u = users[ui]!;
    for (let k = 0; k < o.meetings; k++) {
      let c: EventCase | 'online' = ROTATION[counters.rotation++ % ROTATION.length]!;
      if (c === 'online') {
        const skype = u.homedOnPrem || counters.online++ % 3 === 2;
        c = skype ? (u.homedOnPrem ? 'skype-onprem' : 'skype-online') : 'teams-online';
        if (u.dialIn.provider === 'ThirdParty') c = 'third-party-acp';
      }
      if (c === 'large-meeting' && counters.large++ % 2 === 1) c = 'boundary-250';
      if (u.mailboxOnPrem) c = 'onprem-mailbox';
      const format = BODY_FORMATS[counters.format++ % BODY_FORMATS.length]!;

      // The block, and whose it is.
      let block: BlockSpec | null = null;
      let isOnline = true;
      let onlineMeeting: SeedEventInput['onlineMeeting'] = null;
      let provider: SeedEventInput['onlineMeetingProvider'] = 'unknown';
      let addInLink: string | null = null;
      const useSkype = u.homedOnPrem || c === 'skype-online' || c === 'skype-onprem';
      const own = () => (useSkype ? makeBlock(u, 'skype') : makeBlock(u, 'teams', nextTeamsEra()));
      if (c === 'no-block') {
        isOnline = false;
      } else if (c === 'pasted-not-online' || c === 'pasted-other-organizer') {
        const other = users.length > 1 ? users[(ui + 1 + rng.int(0, users.length - 2)) % users.length]! : u;
        block =
          c === 'pasted-not-online' && counters.online % 2 === 0
            ? makeBlock(other, 'skype')
            : // A pasted block is recognisable as another meeting's only when its link has the same form as
              // the meeting's own (Graph's long link); the newest template's short /meet/ link cannot be
              // compared, so such a paste is refreshed like a genuine block (README, Known limits).
              makeBlock(other, 'teams', c === 'pasted-other-organizer' ? '2022' : nextTeamsEra());
        if (c === 'pasted-other-organizer') {
          const mine = makeBlock(u, 'teams', '2022');
          onlineMeeting = mine.onlineMeeting;
          provider = 'teamsForBusiness';
        } else {
          isOnline = false;
        }
      } else {
        block = own();
        onlineMeeting = block.onlineMeeting;
        provider = block.kind === 'teams' ? 'teamsForBusiness' : 'skypeForBusiness';
        // Every third Skype meeting was scheduled with the Outlook add-in: Graph shows isOnlineMeeting false and
        // provider unknown, with the join link in onlineMeetingUrl and the add-in's PublicStrings property.
        if (block.kind === 'skype' && counters.skype++ % 3 === 2) {
          provider = 'unknown';
          addInLink = onlineMeeting?.joinUrl ?? null;
        }
      }

      // When.
      const zone = rng.chance(0.6) ? u.zone : rng.pick(EVENT_ZONES);
      const startMinutes = rng.int(16, 32) * 30; // 08:00–16:00 local
      const duration = rng.pick([30, 45, 60, 90]);
      let day: number;
      let recurrence: RecurrenceInput | null = null;
      switch (c) {
        case 'past':
          day = today - rng.int(2, 90);
          break;
        case 'series-weekly-enddate':
          day = today - rng.int(14, 60);
          break;
        case 'series-daily-numbered':
          day = today - rng.int(2, 5);
          break;
        case 'series-monthly-noend':
          day = today - rng.int(60, 400);
          while (new Date(day * DAY_MS).getUTCDate() > 28) day--;
          break;
        case 'series-all-past':
          day = today - rng.int(200, 300);
          break;
        default:
          day = today + rng.int(2, 120);
      }
      const start = { dateTime: localDateTime(day, startMinutes), timeZone: zone };
      const end = plusMinutes(start.dateTime, zone, duration);
      const startDate = dateString(day);
      const dow = (['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const)[
        new Date(day * DAY_MS).getUTCDay()
      ]!;
      switch (c) {
        case 'series-weekly-enddate':
          recurrence = {
            pattern: { type: 'weekly', interval: 1, daysOfWeek: [dow], firstDayOfWeek: 'sunday' },
            range: {
              type: 'endDate',
              startDate,
              endDate: dateString(today + rng.int(120, 200)),
              recurrenceTimeZone: zone,
            },
          };
          break;
        case 'series-daily-numbered':
          recurrence = {
            pattern: { type: 'daily', interval: 1 },
            range: { type: 'numbered', startDate, numberOfOccurrences: 30, recurrenceTimeZone: zone },
          };
          break;
        case 'series-monthly-noend':
          recurrence = {
            pattern: {
              type: 'absoluteMonthly',
              interval: 1,
              dayOfMonth: new Date(day * DAY_MS).getUTCDate(),
            },
            range: { type: 'noEnd', startDate, recurrenceTimeZone: zone },
          };
          break;
        case 'series-all-past':
          recurrence = {
            pattern: { type: 'weekly', interval: 1, daysOfWeek: [dow], firstDayOfWeek: 'monday' },
            range: {
              type: 'endDate',
              startDate,
              endDate: dateString(today - rng.int(10, 60)),
              recurrenceTimeZone: zone,
            },
          };
          break;
        default:
          break;
      }

      // Who.
      const attendees: SeedAttendeeInput[] = [];
      const internal: GenUser[] = [];
      const others = users.length - 1;
      const wantInternal =
        c === 'large-meeting' || c === 'boundary-250'
          ? Math.min(others, 40)
          : Math.min(others, rng.int(1, 3));
      const picked = new Set<number>([ui]);
      for (let a = 0; a < wantInternal; a++) {
        let j = rng.int(0, users.length - 1);
        let guard = 0;
        while (picked.has(j) && guard++ < users.length) j = (j + 1) % users.length;
        if (picked.has(j)) break;
        picked.add(j);
        const au = users[j]!;
        internal.push(au);
        attendees.push(
          attendeeOf(
            au,
            rng.pick(['none', 'accepted', 'accepted', 'tentativelyAccepted', 'declined'] as const),
          ),
        );
      }
      const total =
        c === 'large-meeting' ? 250 : c === 'boundary-250' ? 249 : attendees.length + rng.int(0, 2);
      for (let x = attendees.length; x < total; x++) {
        attendees.push({
          emailAddress: { name: `Guest ${x + 1}`, address: `g${x + 1}.${ui}@fabrikam.com` },
          type: x % 5 === 4 ? 'optional' : 'required',
        });
      }
      if (c !== 'large-meeting' && c !== 'boundary-250' && rng.chance(0.15)) {
        const room = rng.pick(ROOMS);
        attendees.push({
          emailAddress: { name: room, address: `room-${rng.int(100, 999)}@${domain}` },
          type: 'resource',
        });
      }

      const subject = rng.pick(SUBJECTS);
      const variantIntro = c === 'cancelled' ? 'Canceled: ' : '';
      const masterCase: ParsedSandboxCase = {
        case: c,
        block: block?.tag ?? 'none',
        format,
        attendeeCopy: false,
      };
      const uid = iCalUId(rng, day - rng.int(1, 30));

      // Exceptions of series: one occurrence with its own body (and time), one cancelled.
      const exceptionSpecs: { originalStart: string; startMs: number; cancelled: boolean }[] = [];
      if (recurrence) {
        const occ = expandRecurrence(recurrence, start, end, nowMs + 400 * DAY_MS);
        const pool =
          c === 'series-all-past'
            ? occ.filter((x) => x.startMs < nowMs)
            : occ.filter((x) => x.startMs > nowMs + 2 * DAY_MS);
        if (pool.length >= 2) {
          const a = pool[rng.int(0, Math.min(pool.length, 8) - 2)]!;
          const b = pool[pool.indexOf(a) + 1]!;
          exceptionSpecs.push({ originalStart: isoUtc(a.startMs), startMs: a.startMs, cancelled: false });
          if (c !== 'series-all-past')
            exceptionSpecs.push({ originalStart: isoUtc(b.startMs), startMs: b.startMs, cancelled: true });
        }
      }
      const masterText = surroundings(format, variantIntro);
      const exceptionText = surroundings(
        format,
        'Updated for this occurrence only — ordre du jour modifié. ',
      );
      const exceptionTimes = exceptionSpecs.map((x) => {
        const w = wallParts(x.startMs + 3_600_000, zone);
        const s = { dateTime: `${w.date}T${w.time}.0000000`, timeZone: zone };
        return { start: s, end: plusMinutes(s.dateTime, zone, duration) };
      });
      const exceptions = (copy: boolean): SeedExceptionInput[] =>
        exceptionSpecs.map((x, i) =>
          x.cancelled
            ? { originalStart: x.originalStart, isCancelled: true }
            : {
                originalStart: x.originalStart,
                subject: `${subject} (moved)`,
                body: body(format, block, exceptionText, copy),
                start: exceptionTimes[i]!.start,
                end: exceptionTimes[i]!.end,
              },
        );

      const location =
        block?.kind === 'teams'
          ? 'Microsoft Teams Meeting'
          : block?.kind === 'skype'
            ? 'Skype Meeting'
            : rng.pick(ROOMS);
      const base = {
        organizerUserId: u.seed.id,
        iCalUId: uid,
        subject: c === 'cancelled' ? `Canceled: ${subject}` : subject,
        start,
        end,
        originalStartTimeZone: zone,
        originalEndTimeZone: zone,
        isAllDay: false,
        isCancelled: c === 'cancelled',
        isDraft: false,
        isOnlineMeeting: isOnline && provider !== 'unknown',
        onlineMeetingProvider: provider,
        onlineMeeting: isOnline && addInLink === null ? onlineMeeting : null,
        ...(addInLink !== null
          ? {
              onlineMeetingUrl: addInLink,
              singleValueExtendedProperties: [{ id: SKYPE_ADD_IN_LINK_PROPERTY, value: addInLink }],
            }
          : {}),
        location: { displayName: location },
        attendees,
        recurrence,
        hasAttachments: c === 'attachments',
      } satisfies Omit<SeedEventInput, 'mailboxUserId' | 'body' | 'exceptions' | 'sandboxCase'>;

      events.push({
        ...base,
        mailboxUserId: u.seed.id,
        body: body(format, block, masterText, false),
        exceptions: exceptions(false),
        sandboxCase: formatSandboxCase(masterCase),
      });
      // Attendee copies (same iCalUId, in the attendees' mailboxes, x_-prefixed HTML): at most two per meeting
      // (one for huge meetings), which keeps a 1,000-user tenant within memory.
      let copies = 0;
      for (const au of internal) {
        if (copies >= (attendees.length > 100 ? 1 : 2)) break;
        if (au.mailboxOnPrem) continue;
        copies++;
        events.push({
          ...base,
          mailboxUserId: au.seed.id,
          body: body(format, block, masterText, true),
          exceptions: exceptions(true),
          sandboxCase: formatSandboxCase({ ...masterCase, attendeeCopy: true }),
        });
      }
    }
  }

  // A pilot group with a nested group, half the users between them, for a bulk start by group
  // (`mms start --group <id>`). Drawn last, so the users and meetings are the same as without it.
  const pilot = rng.guid();
  const wave2 = rng.guid();
  const half = users.slice(0, Math.ceil(users.length / 2)).map((u) => u.seed.id);
  const cut = Math.ceil(half.length / 2);
  const groups =
    half.length === 0
      ? []
      : [
          { id: pilot, displayName: 'Meeting migration pilot', members: [...half.slice(0, cut), wave2] },
          { id: wave2, displayName: 'Meeting migration pilot, wave 2', members: half.slice(cut) },
        ];
  return { tenantId, domain, users: users.map((u) => u.seed), events, bridges, groups };
}

export interface SeedSummary {
  users: number;
  events: number;
  organizerEvents: number;
  attendeeCopies: number;
  bridges: number;
  /** Organizer copies per primary case. */
  byCase: Record<string, number>;
}

/** Counts for printing: users, events, organizer copies per case. */
export function summarizeSeed(seed: TenantSeedInput): SeedSummary {
  const byCase: Record<string, number> = {};
  let copies = 0;
  for (const e of seed.events) {
    const p = parseSandboxCase(e.sandboxCase);
    if (p?.attendeeCopy) {
      copies++;
      continue;
    }
    const key = p?.case ?? 'unlabelled';
    byCase[key] = (byCase[key] ?? 0) + 1;
  }
  return {
    users: seed.users.length,
    events: seed.events.length,
    organizerEvents: seed.events.length - copies,
    attendeeCopies: copies,
    bridges: seed.bridges?.length ?? 0,
    byCase,
  };
}

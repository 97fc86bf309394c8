/**
 * Online-meeting blocks as Outlook, OWA and the Teams/Skype add-ins write them into meeting bodies, with the
 * real-world markers of `reference/mms-behaviour.md` §8, plus the HTML documents the blocks sit in.
 *
 * Every generator returns the block only (separators included); the `compose*` helpers put it between the
 * caller's text and report exactly where it starts and ends, so tests can check a parser against known offsets.
 * `sampleBodies()` is a small fixed catalogue of such bodies for the meeting-block tests.
 */

/** One phone number shown in a block. */
export interface BlockPhone {
  /** E.164, e.g. +13235550123. */
  number: string;
  /** As printed, e.g. "+1 323-555-0123". */
  display: string;
  city: string;
  country: string;
  type: 'toll' | 'tollFree';
  /** Language of the prompts as Skype prints it, e.g. "English (United States)". */
  languageName?: string;
}

/** The dial-in part of a block. Omit it (or pass null) for an organizer without audio conferencing. */
export interface BlockDialIn {
  phones: BlockPhone[];
  /** Digits only. */
  conferenceId: string;
  /** The bridge's "find a local number" page. */
  findLocalNumberUrl: string;
  /** Reset PIN page. */
  resetPinUrl?: string;
  /** Third-party audio-conferencing provider, when the numbers are theirs. */
  thirdPartyProviderName?: string;
}

export interface SkypeBlockOptions {
  /** https://meet.lync.com/<tenant>/<user>/<id> (online) or https://meet.<domain>/<user>/<id> (on-premises). */
  joinUrl: string;
  /** Windows LCID of the invitation's language, carried by the `[!OC([LCID])!]` marker. Default 1033. */
  lcid?: number;
  dialIn?: BlockDialIn | null;
  /** Adds "This is an online meeting for Skype for Business, ... formerly known as Lync." */
  lyncLine?: boolean;
  /** Adds the shared-notes anchors (OutSharedNoteBorder / OutSharedNoteLink). */
  sharedNotes?: boolean;
  /** HTML layout: Word (Outlook desktop) paragraphs or OWA divs. Default 'outlook'. */
  layout?: HtmlLayout;
}

/** Teams block generations. */
export type TeamsEra = '2019' | '2020' | '2022' | 'newest';
export const TEAMS_ERAS: readonly TeamsEra[] = ['2019', '2020', '2022', 'newest'];

export interface TeamsBlockOptions {
  /** The meetup-join URL (or for the newest era usually https://teams.microsoft.com/meet/<digits>?p=<passcode>). */
  joinUrl: string;
  tenantId: string;
  organizerId: string;
  /** 19:meeting_<b64>@thread.v2; used in the meeting-options link. */
  threadId?: string;
  /** Meeting ID digits (2022+), printed in groups of three. */
  meetingId?: string;
  passcode?: string;
  dialIn?: BlockDialIn | null;
  /** BCP-47 language of the wording (en, fr, de; anything else is English). Default en-US. */
  language?: string;
  /** 2019 era: the Cloud Video Interop section. */
  vtc?: { tenantKey: string; conferenceId: string };
  layout?: HtmlLayout;
}

/** Outlook desktop writes Word HTML (p.MsoNormal); OWA and Graph-created blocks use plain divs. */
export type HtmlLayout = 'outlook' | 'owa';
/** The document around the block: Outlook desktop (Word), OWA, or an event created through Graph. */
export type HtmlFlavour = 'outlook' | 'owa' | 'graph';

export const SKYPE_SEPARATOR = '.'.repeat(137);
export const TEAMS_SEPARATOR = '_'.repeat(80);
const CRLF = '\r\n';

/** Windows LCIDs of the languages the generator uses. */
export const LCIDS: Record<string, number> = {
  'en-US': 1033,
  'fr-FR': 1036,
  'de-DE': 1031,
  'es-ES': 3082,
  'pt-BR': 1046,
  'zh-CN': 2052,
  'ja-JP': 1041,
  'fi-FI': 1035,
};

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** Digits in groups of three ("987 654 321"). */
export function groupDigits(digits: string): string {
  return digits.replace(/(\d{3})(?=\d)/g, '$1 ');
}

// ---------------------------------------------------------------------------------------------------------------
// URLs

/** base64 without padding of a GUID's text, as Teams thread ids carry it. */
export function teamsThreadB64(meetingGuid: string): string {
  return Buffer.from(meetingGuid, 'utf8').toString('base64').replace(/=+$/, '');
}

export function teamsThreadId(meetingGuid: string): string {
  return `19:meeting_${teamsThreadB64(meetingGuid)}@thread.v2`;
}

/** https://teams.microsoft.com/l/meetup-join/19%3ameeting_…%40thread.v2/0?context=%7b%22Tid%22…%22Oid%22…%7d */
export function teamsMeetupJoinUrl(meetingGuid: string, tenantId: string, organizerId: string): string {
  return (
    `https://teams.microsoft.com/l/meetup-join/19%3ameeting_${teamsThreadB64(meetingGuid)}%40thread.v2/0` +
    `?context=%7b%22Tid%22%3a%22${tenantId}%22%2c%22Oid%22%3a%22${organizerId}%22%7d`
  );
}

/** The newest short join link: https://teams.microsoft.com/meet/<digits>?p=<passcode>. */
export function teamsMeetUrl(meetingId: string, passcode: string): string {
  return `https://teams.microsoft.com/meet/${meetingId}?p=${passcode}`;
}

function meetingOptionsUrl(o: TeamsBlockOptions, lang: string): string {
  const thread = o.threadId ?? '19_meeting_unknown@thread.v2';
  return (
    `https://teams.microsoft.com/meetingOptions/?organizerId=${o.organizerId}&tenantId=${o.tenantId}` +
    `&threadId=${thread.replace(':', '_')}&messageId=0&language=${lang}`
  );
}

const SKYPE_HELP = (lcid: number) =>
  `https://o15.officeredir.microsoft.com/r/rlidLync15?clid=${lcid}&p1=5&p2=2009`;
const TEAMS_RESET_PIN = 'https://dialin.teams.microsoft.com/usp/pstnconferencing';
const TEAMS_LEARN_MORE = 'https://aka.ms/JoinTeamsMeeting';
const TEAMS_DOWNLOAD = 'https://www.microsoft.com/en-us/microsoft-teams/download-app';
const TEAMS_JOIN_WEB = 'https://www.microsoft.com/microsoft-teams/join-a-meeting';

// ---------------------------------------------------------------------------------------------------------------
// Wording

interface SkypeWords {
  join: string;
  trouble: string;
  webApp: string;
  lync: string;
  byPhone: string;
  findLocal: string;
  confId: string;
  forgotPin: string;
  help: string;
}

const SKYPE_WORDS: Record<string, SkypeWords> = {
  en: {
    join: 'Join Skype Meeting',
    trouble: 'Trouble Joining?',
    webApp: 'Try Skype Web App',
    lync: 'This is an online meeting for Skype for Business, the professional meetings and communications app formerly known as Lync.',
    byPhone: 'Join by phone',
    findLocal: 'Find a local number',
    confId: 'Conference ID:',
    forgotPin: 'Forgot your dial-in PIN?',
    help: 'Help',
  },
  de: {
    join: 'Skype-Besprechung teilnehmen',
    trouble: 'Probleme beim Teilnehmen?',
    webApp: 'Skype Web App ausprobieren',
    lync: 'Dies ist eine Onlinebesprechung für Skype for Business, die professionelle Besprechungs- und Kommunikations-App, die früher als Lync bekannt war.',
    byPhone: 'Per Telefon teilnehmen',
    findLocal: 'Lokale Nummer suchen',
    confId: 'Konferenzkennung:',
    forgotPin: 'Einwahl-PIN vergessen?',
    help: 'Hilfe',
  },
  fr: {
    join: 'Rejoindre la réunion Skype',
    trouble: 'Vous rencontrez des problèmes pour rejoindre la réunion ?',
    webApp: 'Essayez Skype Web App',
    lync: 'Il s’agit d’une réunion en ligne pour Skype Entreprise, l’application de réunions et de communications professionnelles anciennement appelée Lync.',
    byPhone: 'Participer par téléphone',
    findLocal: 'Rechercher un numéro local',
    confId: 'ID de conférence :',
    forgotPin: 'Vous avez oublié votre code confidentiel ?',
    help: 'Aide',
  },
};

interface TeamsWords {
  title: string;
  joinOld: string;
  joinComputer2020: string;
  joinComputer2022: string;
  clickHere: string;
  meetingId: string;
  passcode: string;
  download: string;
  joinWeb: string;
  callIn: string;
  phoneConfId: string;
  confId2019: string;
  findLocal: string;
  localNumbers: string;
  resetPin: string;
  learnMore: string;
  learnMoreTeams: string;
  options: string;
  needHelp: string;
  joinNow: string;
  dialInByPhone: string;
  forOrganizers: string;
  resetDialInPin: string;
  toll: string;
  tollFree: string;
}

const TEAMS_WORDS: Record<string, TeamsWords> = {
  en: {
    title: 'Microsoft Teams meeting',
    joinOld: 'Join Microsoft Teams Meeting',
    joinComputer2020: 'Join on your computer or mobile app',
    joinComputer2022: 'Join on your computer, mobile app or room device',
    clickHere: 'Click here to join the meeting',
    meetingId: 'Meeting ID:',
    passcode: 'Passcode:',
    download: 'Download Teams',
    joinWeb: 'Join on the web',
    callIn: 'Or call in (audio only)',
    phoneConfId: 'Phone Conference ID:',
    confId2019: 'Conference ID:',
    findLocal: 'Find a local number',
    localNumbers: 'Local numbers',
    resetPin: 'Reset PIN',
    learnMore: 'Learn More',
    learnMoreTeams: 'Learn more about Teams',
    options: 'Meeting options',
    needHelp: 'Need help?',
    joinNow: 'Join the meeting now',
    dialInByPhone: 'Dial in by phone',
    forOrganizers: 'For organizers:',
    resetDialInPin: 'Reset dial-in PIN',
    toll: 'Toll',
    tollFree: 'Toll-free',
  },
  fr: {
    title: 'Réunion Microsoft Teams',
    joinOld: 'Rejoindre la réunion Microsoft Teams',
    joinComputer2020: 'Rejoindre sur votre ordinateur ou application mobile',
    joinComputer2022: 'Rejoindre sur votre ordinateur, application mobile ou appareil de salle',
    clickHere: 'Cliquez ici pour participer à la réunion',
    meetingId: 'ID de réunion :',
    passcode: 'Code secret :',
    download: 'Télécharger Teams',
    joinWeb: 'Rejoindre sur le web',
    callIn: 'Ou appelez (audio seulement)',
    phoneConfId: 'ID de conférence téléphonique :',
    confId2019: 'ID de conférence :',
    findLocal: 'Trouver un numéro local',
    localNumbers: 'Numéros locaux',
    resetPin: 'Réinitialiser le code PIN',
    learnMore: 'En savoir plus',
    learnMoreTeams: 'En savoir plus sur Teams',
    options: 'Options de réunion',
    needHelp: 'Besoin d’aide ?',
    joinNow: 'Rejoindre la réunion maintenant',
    dialInByPhone: 'Composer par téléphone',
    forOrganizers: 'Pour les organisateurs :',
    resetDialInPin: 'Réinitialiser le code PIN',
    toll: 'Payant',
    tollFree: 'Numéro gratuit',
  },
  de: {
    title: 'Microsoft Teams-Besprechung',
    joinOld: 'An Microsoft Teams-Besprechung teilnehmen',
    joinComputer2020: 'Auf dem Computer oder in der mobilen App teilnehmen',
    joinComputer2022: 'Auf dem Computer, in der mobilen App oder im Raumgerät teilnehmen',
    clickHere: 'Klicken Sie hier, um an der Besprechung teilzunehmen.',
    meetingId: 'Besprechungs-ID:',
    passcode: 'Passcode:',
    download: 'Teams herunterladen',
    joinWeb: 'Im Web beitreten',
    callIn: 'Oder rufen Sie an (nur Audio)',
    phoneConfId: 'Telefonkonferenz-ID:',
    confId2019: 'Konferenz-ID:',
    findLocal: 'Ortsgebundene Nummer suchen',
    localNumbers: 'Lokale Nummern',
    resetPin: 'PIN zurücksetzen',
    learnMore: 'Weitere Informationen',
    learnMoreTeams: 'Weitere Informationen über Teams',
    options: 'Besprechungsoptionen',
    needHelp: 'Benötigen Sie Hilfe?',
    joinNow: 'Jetzt an der Besprechung teilnehmen',
    dialInByPhone: 'Per Telefon einwählen',
    forOrganizers: 'Für Organisatoren:',
    resetDialInPin: 'Einwahl-PIN zurücksetzen',
    toll: 'Gebührenpflichtig',
    tollFree: 'Gebührenfrei',
  },
};

function words<T>(table: Record<string, T>, language: string | undefined): T {
  const prefix = (language ?? 'en').slice(0, 2).toLowerCase();
  return table[prefix] ?? (table.en as T);
}

// ---------------------------------------------------------------------------------------------------------------
// A tiny line model: each block is a list of lines of segments, rendered to text, Word HTML or OWA HTML.

type Seg =
  | string
  | { link: string; href: string; headline?: boolean }
  | { bold: string }
  | { small: string }
  | { anchor: string };

interface Line {
  segs: Seg[];
  /** Space before the line in HTML (margin-top) and a blank line before it in text. */
  gapBefore?: boolean;
  /** 'rule': a thin horizontal rule (32 underscores in text, an <hr> in HTML), as the newest block has. */
  kind?: 'title' | 'normal' | 'rule';
}

function segText(s: Seg): string {
  if (typeof s === 'string') return s;
  if ('link' in s) return `${s.link}<${s.href}>`;
  if ('bold' in s) return s.bold;
  if ('small' in s) return s.small;
  return '';
}

function linesToText(lines: Line[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    if (l.gapBefore) out.push('');
    out.push(l.kind === 'rule' ? '_'.repeat(32) : l.segs.map(segText).join(''));
  }
  return out;
}

const TEAMS_FONT = "'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif";
const WORD_FONT = '&quot;Segoe UI&quot;,sans-serif';

function segHtml(s: Seg, layout: HtmlLayout, linkColor: string): string {
  if (typeof s === 'string') return escapeHtml(s);
  if ('anchor' in s) return `<a name="${s.anchor}"></a>`;
  if ('bold' in s) return `<b>${escapeHtml(s.bold)}</b>`;
  if ('small' in s) {
    return layout === 'outlook'
      ? `<span style="font-size:9.0pt">${escapeHtml(s.small)}</span>`
      : `<span style="font-size: 12px;">${escapeHtml(s.small)}</span>`;
  }
  const href = escapeHtml(s.href);
  if (layout === 'outlook') {
    const size = s.headline ? '10.5pt;font-family:&quot;Segoe UI Semibold&quot;,sans-serif' : '10.5pt';
    return `<a href="${href}" target="_blank"><span style="font-size:${size};color:${linkColor}">${escapeHtml(s.link)}</span></a>`;
  }
  const cls = s.headline ? 'me-email-headline' : 'me-email-link';
  return (
    `<a class="${cls}" style="font-size: 14px;font-family:${TEAMS_FONT};text-decoration: underline;color: ${linkColor};"` +
    ` href="${href}" target="_blank" rel="noreferrer noopener">${escapeHtml(s.link)}</a>`
  );
}

function lineHtml(l: Line, layout: HtmlLayout, color: string, linkColor: string, font: string): string {
  if (l.kind === 'rule') {
    return layout === 'outlook'
      ? `<div class="MsoNormal" align="center" style="text-align:center"><hr size="1" width="100%" align="center"></div>`
      : `<div style="margin-bottom: 24px; max-width: 532px;"><hr style="border: 0; background: #D1D1D1; height: 1px;"></div>`;
  }
  const inner = l.segs.map((s) => segHtml(s, layout, linkColor)).join('');
  if (layout === 'outlook') {
    const size = l.kind === 'title' ? '18.0pt' : '10.5pt';
    const margin =
      l.kind === 'title' ? 'margin-top:18.0pt;margin-bottom:15.0pt' : l.gapBefore ? 'margin-top:15.0pt' : '';
    const p = `<p class="MsoNormal"><span style="font-size:${size};font-family:${font};color:${color}">${inner}<o:p></o:p></span></p>`;
    return margin ? `<div style="${margin}">${CRLF}${p}${CRLF}</div>` : p;
  }
  const size = l.kind === 'title' ? '24px' : '14px';
  const margin =
    l.kind === 'title'
      ? 'margin-top: 24px; margin-bottom: 20px;'
      : l.gapBefore
        ? 'margin-top: 20px; margin-bottom: 4px;'
        : 'margin-bottom: 4px;';
  return `<div style="${margin}"><span style="font-size: ${size}; color:${color};">${inner}</span></div>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Skype for Business

function skypeLines(o: SkypeBlockOptions, w: SkypeWords, lcid: number): Line[] {
  const lines: Line[] = [
    { segs: [{ anchor: 'OutJoinLink' }, { link: w.join, href: o.joinUrl, headline: true }] },
    { segs: [`${w.trouble} `, { link: w.webApp, href: `${o.joinUrl}?sl=1` }] },
  ];
  if (o.lyncLine) lines.push({ segs: [w.lync], gapBefore: true });
  const d = o.dialIn;
  if (d) {
    lines.push({ segs: [{ bold: w.byPhone }], gapBefore: true });
    d.phones.forEach((p, i) => {
      const where = p.type === 'tollFree' ? `${p.city} (Toll-free)` : p.city;
      lines.push({
        segs: [
          { link: p.display, href: `tel:${p.number}` },
          ` (${where})`,
          { small: `  ${p.languageName ?? ''}`.trimEnd() },
        ],
        gapBefore: i === 0,
      });
    });
    if (d.thirdPartyProviderName)
      lines.push({ segs: [{ small: `Audio conferencing: ${d.thirdPartyProviderName}` }] });
    lines.push({ segs: [{ link: w.findLocal, href: d.findLocalNumberUrl }] });
    lines.push({ segs: [`${w.confId} ${d.conferenceId}`], gapBefore: true });
    lines.push({
      segs: [
        { link: w.forgotPin, href: d.resetPinUrl ?? d.findLocalNumberUrl },
        ' |',
        { link: w.help, href: SKYPE_HELP(lcid) },
      ],
    });
  }
  return lines;
}

/** The Skype for Business block in HTML: 137-period paragraphs around it, `OutJoinLink`, `[!OC([LCID])!]`. */
export function skypeBlockHtml(o: SkypeBlockOptions): string {
  const layout = o.layout ?? 'outlook';
  const lcid = o.lcid ?? 1033;
  const w = words(SKYPE_WORDS, lcidLanguage(lcid));
  const font = layout === 'outlook' ? WORD_FONT : "'Segoe UI',sans-serif";
  const sep =
    layout === 'outlook'
      ? `<p class="MsoNormal"><span style="font-size:8.0pt;font-family:${WORD_FONT};color:#404040">${SKYPE_SEPARATOR}</span><o:p></o:p></p>`
      : `<p style="margin:0"><span style="font-size:8pt;font-family:'Segoe UI',sans-serif;color:#404040">${SKYPE_SEPARATOR}</span></p>`;
  const lines = skypeLines(o, w, lcid);
  const body: string[] = [];
  for (const l of lines) {
    const first = l.segs[0];
    if (first && typeof first !== 'string' && 'anchor' in first && first.anchor === 'OutJoinLink') {
      // The join line: anchor, a Wingdings arrow, then the 16pt link.
      const link = l.segs[1] as { link: string; href: string };
      body.push(
        layout === 'outlook'
          ? `<p class="MsoNormal"><span style="font-family:${font};color:#404040"><a name="OutJoinLink"></a><span style="font-family:Wingdings;color:#0072C6">&#224;</span> <a href="${escapeHtml(link.href)}"><span style="font-size:16.0pt;font-family:${font};color:#0563C1">${escapeHtml(link.link)}</span></a><o:p></o:p></span></p>`
          : `<div style="font-family:${font};color:#404040"><a name="OutJoinLink"></a><span style="font-family:Wingdings;color:#0072C6">&#224;</span> <a href="${escapeHtml(link.href)}"><span style="font-size:16pt">${escapeHtml(link.link)}</span></a></div>`,
      );
      continue;
    }
    body.push(lineHtml(l, layout, '#404040', '#0563C1', font));
  }
  if (o.sharedNotes) {
    body.push(
      layout === 'outlook'
        ? `<p class="MsoNormal"><a name="OutSharedNoteBorder"></a><a name="OutSharedNoteLink" href="onenote:https://contoso.sharepoint.com/sites/notes/Meeting%20Notes.one"><span style="font-size:10.5pt">Meeting notes</span></a><o:p></o:p></p>`
        : `<div><a name="OutSharedNoteBorder"></a><a name="OutSharedNoteLink" href="onenote:https://contoso.sharepoint.com/sites/notes/Meeting%20Notes.one">Meeting notes</a></div>`,
    );
  }
  const marker = `<sub><span style="font-size:1.0pt;color:white">[!OC([${lcid}])!]</span></sub>`;
  body.push(layout === 'outlook' ? `<p class="MsoNormal">${marker}<o:p></o:p></p>` : `<div>${marker}</div>`);
  return [sep, ...body, sep].join(CRLF);
}

/** The Skype for Business block as Outlook's text body shows it (CRLF line endings). */
export function skypeBlockText(o: SkypeBlockOptions): string {
  const lcid = o.lcid ?? 1033;
  const w = words(SKYPE_WORDS, lcidLanguage(lcid));
  const lines = linesToText(skypeLines(o, w, lcid));
  if (o.sharedNotes)
    lines.push('', 'Meeting notes<onenote:https://contoso.sharepoint.com/sites/notes/Meeting%20Notes.one>');
  return [SKYPE_SEPARATOR, ...lines, '', `[!OC([${lcid}])!]`, SKYPE_SEPARATOR].join(CRLF);
}

function lcidLanguage(lcid: number): string {
  for (const [lang, id] of Object.entries(LCIDS)) if (id === lcid) return lang;
  return 'en-US';
}

// ---------------------------------------------------------------------------------------------------------------
// Teams

function phoneLine(p: BlockPhone, confId: string | undefined, w: TeamsWords, withType: boolean): Line {
  const dial = confId ? `${p.display},,${confId}#` : p.display;
  const href = confId ? `tel:${p.number},,${confId}#` : `tel:${p.number}`;
  const type = withType
    ? ` (${p.type === 'tollFree' ? w.tollFree : w.toll})`
    : p.type === 'tollFree'
      ? ` (${w.tollFree})`
      : '';
  const place = p.city === p.country ? p.country : `${p.country}, ${p.city}`;
  return { segs: [{ link: dial, href }, { small: `   ${place}${type}` }] };
}

function teamsLines(era: TeamsEra, o: TeamsBlockOptions, w: TeamsWords, lang: string): Line[] {
  const d = o.dialIn;
  const options = meetingOptionsUrl(o, lang);
  const resetPin = d?.resetPinUrl ?? TEAMS_RESET_PIN;
  const findLocal = d ? `${d.findLocalNumberUrl}?id=${d.conferenceId}` : '';
  const lines: Line[] = [];
  switch (era) {
    case '2019': {
      lines.push({ segs: [{ link: w.joinOld, href: o.joinUrl, headline: true }], kind: 'title' });
      if (d) {
        for (const p of d.phones) lines.push(phoneLine(p, undefined, w, true));
        lines.push({ segs: [`${w.confId2019} ${groupDigits(d.conferenceId)}#`] });
        lines.push({
          segs: [
            { link: w.localNumbers, href: findLocal },
            ' | ',
            { link: w.resetPin, href: resetPin },
            ' | ',
            { link: w.learnMoreTeams, href: TEAMS_LEARN_MORE },
            ' | ',
            { link: w.options, href: options },
          ],
          gapBefore: true,
        });
      } else {
        lines.push({
          segs: [
            { link: w.learnMoreTeams, href: TEAMS_LEARN_MORE },
            ' | ',
            { link: w.options, href: options },
          ],
          gapBefore: true,
        });
      }
      if (o.vtc) {
        lines.push({ segs: [{ bold: 'Join with a video conferencing device' }], gapBefore: true });
        lines.push({ segs: [`${o.vtc.tenantKey}@t.plcm.vc VTC Conference ID: ${o.vtc.conferenceId}`] });
        lines.push({
          segs: [
            {
              link: 'Alternate VTC dialing instructions',
              href: `https://dialin.plcm.vc/teams/?key=${o.vtc.tenantKey}&conf=${o.vtc.conferenceId}`,
            },
          ],
        });
      }
      return lines;
    }
    case '2020':
    case '2022': {
      lines.push({ segs: [w.title], kind: 'title' });
      lines.push({ segs: [{ bold: era === '2020' ? w.joinComputer2020 : w.joinComputer2022 }] });
      lines.push({ segs: [{ link: w.clickHere, href: o.joinUrl, headline: true }] });
      if (era === '2022') {
        if (o.meetingId)
          lines.push({ segs: [`${w.meetingId} ${groupDigits(o.meetingId)}`], gapBefore: true });
        if (o.passcode) lines.push({ segs: [`${w.passcode} ${o.passcode}`] });
        lines.push({
          segs: [
            { link: w.download, href: TEAMS_DOWNLOAD },
            ' | ',
            { link: w.joinWeb, href: TEAMS_JOIN_WEB },
          ],
        });
      }
      if (d) {
        lines.push({ segs: [{ bold: w.callIn }], gapBefore: true });
        for (const p of d.phones) lines.push(phoneLine(p, d.conferenceId, w, false));
        lines.push({ segs: [`${w.phoneConfId} ${groupDigits(d.conferenceId)}#`] });
        lines.push({
          segs: [{ link: w.findLocal, href: findLocal }, ' | ', { link: w.resetPin, href: resetPin }],
        });
      }
      lines.push({
        segs: [{ link: w.learnMore, href: TEAMS_LEARN_MORE }, ' | ', { link: w.options, href: options }],
        gapBefore: true,
      });
      return lines;
    }
    case 'newest': {
      lines.push({
        segs: ['Microsoft Teams ', { link: w.needHelp, href: `${TEAMS_LEARN_MORE}?omkt=${lang}` }],
        kind: 'title',
      });
      lines.push({ segs: [{ link: w.joinNow, href: o.joinUrl, headline: true }], gapBefore: true });
      if (o.meetingId) lines.push({ segs: [`${w.meetingId} ${groupDigits(o.meetingId)}`] });
      if (o.passcode) lines.push({ segs: [`${w.passcode} ${o.passcode}`] });
      if (d) {
        lines.push({ segs: [], kind: 'rule', gapBefore: true });
        lines.push({ segs: [{ bold: w.dialInByPhone }] });
        for (const p of d.phones) lines.push(phoneLine(p, d.conferenceId, w, false));
        lines.push({ segs: [{ link: w.findLocal, href: findLocal }] });
        lines.push({
          segs: [`${w.phoneConfId.replace('Conference', 'conference')} ${groupDigits(d.conferenceId)}#`],
        });
      }
      lines.push({ segs: [], kind: 'rule', gapBefore: true });
      lines.push({
        segs: [
          `${w.forOrganizers} `,
          { link: w.options, href: options },
          ...(d ? [' | ', { link: w.resetDialInPin, href: resetPin }] : []),
        ],
      });
      return lines;
    }
  }
}

function teamsLanguage(o: TeamsBlockOptions): string {
  return o.language ?? 'en-US';
}

/** The 80-underscore separator as Teams (OWA/add-in) or Outlook desktop (Word) writes it. */
export function teamsSeparatorHtml(layout: HtmlLayout, era: TeamsEra = '2022'): string {
  if (layout === 'outlook' || era === '2019') {
    return `<div>${CRLF}<p class="MsoNormal"><span style="color:#5F5F5F">${TEAMS_SEPARATOR}</span><o:p></o:p></p>${CRLF}</div>`;
  }
  return `<div style="width:100%;height: 20px;"><span style="white-space:nowrap;color:gray;opacity:.36;">${TEAMS_SEPARATOR}</span></div>`;
}

/** A Teams block of the given generation in HTML, the 80-underscore separators included. */
export function teamsBlockHtml(era: TeamsEra, o: TeamsBlockOptions): string {
  const layout = o.layout ?? 'owa';
  const lang = teamsLanguage(o);
  const w = words(TEAMS_WORDS, lang);
  const linkColor = era === 'newest' ? '#5B5FC7' : '#6264A7';
  const font = layout === 'outlook' ? WORD_FONT : TEAMS_FONT;
  const inner = teamsLines(era, o, w, lang).map((l) => lineHtml(l, layout, '#252424', linkColor, font));
  const sep = teamsSeparatorHtml(layout, era);
  const content =
    layout === 'outlook'
      ? `<div>${CRLF}${inner.join(CRLF)}${CRLF}</div>`
      : `<div class="me-email-text" lang="${lang}" style="color:#252424;font-family:${TEAMS_FONT};">${CRLF}${inner.join(CRLF)}${CRLF}</div>`;
  return [sep, content, sep].join(CRLF);
}

/** A Teams block of the given generation as a text body shows it (CRLF line endings). */
export function teamsBlockText(era: TeamsEra, o: TeamsBlockOptions): string {
  const lang = teamsLanguage(o);
  const w = words(TEAMS_WORDS, lang);
  return [TEAMS_SEPARATOR, ...linesToText(teamsLines(era, o, w, lang)), TEAMS_SEPARATOR].join(CRLF);
}

// ---------------------------------------------------------------------------------------------------------------
// Documents

const WORD_STYLE = [
  '<style><!--',
  '/* Font Definitions */',
  '@font-face',
  '\t{font-family:"Cambria Math";',
  '\tpanose-1:2 4 5 3 5 4 6 3 2 4;}',
  '@font-face',
  '\t{font-family:Calibri;',
  '\tpanose-1:2 15 5 2 2 2 4 3 2 4;}',
  '@font-face',
  '\t{font-family:"Segoe UI";',
  '\tpanose-1:2 11 5 2 4 2 4 2 2 3;}',
  '@font-face',
  '\t{font-family:Wingdings;',
  '\tpanose-1:5 0 0 0 0 0 0 0 0 0;}',
  '/* Style Definitions */',
  'p.MsoNormal, li.MsoNormal, div.MsoNormal',
  '\t{margin:0cm;',
  '\tfont-size:11.0pt;',
  '\tfont-family:"Calibri",sans-serif;}',
  'a:link, span.MsoHyperlink',
  '\t{mso-style-priority:99;',
  '\tcolor:#0563C1;',
  '\ttext-decoration:underline;}',
  'span.EmailStyle17',
  '\t{mso-style-type:personal-compose;',
  '\tfont-family:"Calibri",sans-serif;',
  '\tcolor:windowtext;}',
  '.MsoChpDefault',
  '\t{mso-style-type:export-only;',
  '\tfont-size:10.0pt;}',
  '@page WordSection1',
  '\t{size:612.0pt 792.0pt;',
  '\tmargin:72.0pt 72.0pt 72.0pt 72.0pt;}',
  'div.WordSection1',
  '\t{page:WordSection1;}',
  '--></style>',
].join(CRLF);

function documentShell(flavour: HtmlFlavour): { head: string; tail: string } {
  switch (flavour) {
    case 'outlook':
      return {
        head:
          '<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" ' +
          'xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" ' +
          `xmlns="http://www.w3.org/TR/REC-html40">${CRLF}<head>${CRLF}` +
          `<meta http-equiv="Content-Type" content="text/html; charset=utf-8">${CRLF}` +
          `<meta name="Generator" content="Microsoft Word 15 (filtered medium)">${CRLF}${WORD_STYLE}` +
          `<!--[if gte mso 9]><xml>${CRLF}<o:shapedefaults v:ext="edit" spidmax="1026" />${CRLF}</xml><![endif]-->${CRLF}` +
          `</head>${CRLF}<body lang="EN-US" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">${CRLF}` +
          `<div class="WordSection1">${CRLF}`,
        tail: `${CRLF}</div>${CRLF}</body>${CRLF}</html>${CRLF}`,
      };
    case 'owa':
      return {
        head:
          `<html><head>${CRLF}<meta http-equiv="Content-Type" content="text/html; charset=utf-8">` +
          `<style type="text/css" style="display:none">${CRLF}<!--${CRLF}p${CRLF}\t{margin-top:0;${CRLF}\tmargin-bottom:0}${CRLF}-->${CRLF}</style>` +
          `</head>${CRLF}<body dir="ltr">${CRLF}`,
        tail: `${CRLF}</body>${CRLF}</html>${CRLF}`,
      };
    case 'graph':
      return {
        head:
          `<html>${CRLF}<head>${CRLF}<meta http-equiv="Content-Type" content="text/html; charset=utf-8">${CRLF}` +
          `<meta content="text/html; charset=us-ascii">${CRLF}</head>${CRLF}<body>${CRLF}`,
        tail: `${CRLF}</body>${CRLF}</html>${CRLF}`,
      };
  }
}

/** The layout a document flavour's block uses. */
export function layoutFor(flavour: HtmlFlavour): HtmlLayout {
  return flavour === 'outlook' ? 'outlook' : 'owa';
}

/**
 * A received (attendee) copy's HTML: Exchange prefixes `x_` to class names, ids and anchor names in the body of a
 * received message (`OutJoinLink` → `x_OutJoinLink`, `MsoNormal` → `x_MsoNormal`, `me-email-text` → `x_me-email-text`).
 * Apply it to body fragments only (the document head keeps its names).
 */
export function receivedCopyHtml(fragment: string): string {
  return fragment.replace(/<[a-zA-Z][^<>]*>/g, (tag) =>
    tag.replace(/(\s)(class|id|name)="([^"]*)"/g, (_m, space: string, attr: string, value: string) => {
      const v = value
        .split(/(\s+)/)
        .map((tok) => (tok.trim() === '' || tok.startsWith('x_') ? tok : `x_${tok}`))
        .join('');
      return `${space}${attr}="${v}"`;
    }),
  );
}

export interface ComposedBody {
  body: string;
  /** [blockStart, blockEnd) is the block, separators included; both -1 when there is no block. */
  blockStart: number;
  blockEnd: number;
}

/** Puts an HTML block between two HTML fragments inside a full document of the given flavour. */
export function composeHtmlBody(
  innerBeforeBlock: string,
  block: string,
  innerAfterBlock: string,
  flavour: HtmlFlavour = 'outlook',
  receivedCopy = false,
): ComposedBody {
  const shell = documentShell(flavour);
  const fix = (s: string) => (receivedCopy ? receivedCopyHtml(s) : s);
  // In a received copy everything inside <body> carries the prefixes, the document's own wrappers included.
  const bodyTagEnd = shell.head.indexOf('>', shell.head.indexOf('<body')) + 1;
  const head = shell.head.slice(0, bodyTagEnd) + fix(shell.head.slice(bodyTagEnd));
  const tail = shell.tail;
  const before = `${head}${fix(innerBeforeBlock)}${block && innerBeforeBlock ? CRLF : ''}`;
  const blk = fix(block);
  const after = `${blk && innerAfterBlock ? CRLF : ''}${fix(innerAfterBlock)}${tail}`;
  return {
    body: before + blk + after,
    blockStart: blk ? before.length : -1,
    blockEnd: blk ? before.length + blk.length : -1,
  };
}

/** The HTML document Outlook desktop writes around a block (see composeHtmlBody for other flavours and offsets). */
export function outlookHtmlDocument(
  innerBeforeBlock: string,
  block: string,
  innerAfterBlock: string,
): string {
  return composeHtmlBody(innerBeforeBlock, block, innerAfterBlock, 'outlook').body;
}

/** A text body: the caller's text, a blank line, the block, a blank line, more text (CRLF line endings). */
export function composeTextBody(textBefore: string, block: string, textAfter: string): ComposedBody {
  const before = block && textBefore ? `${textBefore}${CRLF}${CRLF}` : textBefore;
  const after = block && textAfter ? `${CRLF}${CRLF}${textAfter}` : textAfter;
  return {
    body: before + block + after,
    blockStart: block ? before.length : -1,
    blockEnd: block ? before.length + block.length : -1,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A fixed catalogue for the meeting-block tests.

export interface SampleBody {
  name: string;
  contentType: 'html' | 'text';
  body: string;
  expected: { kind: 'skype' | 'teams'; blockStart: number; blockEnd: number } | null;
}

const SAMPLE_TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const SAMPLE_ORGANIZER = 'f314f192-544c-4a91-af5e-7cd2ef9df199';
const SAMPLE_MEETING = '4882a5da-09d2-4a21-9c09-69cf6e016c59';

const SAMPLE_DIALIN: BlockDialIn = {
  phones: [
    {
      number: '+13235550123',
      display: '+1 323-555-0123',
      city: 'Los Angeles',
      country: 'United States',
      type: 'toll',
      languageName: 'English (United States)',
    },
    {
      number: '+18665550142',
      display: '+1 866-555-0142',
      city: 'United States',
      country: 'United States',
      type: 'tollFree',
      languageName: 'English (United States)',
    },
  ],
  conferenceId: '987654321',
  findLocalNumberUrl: 'https://dialin.teams.microsoft.com/8551f4c1-bea3-441a-8738-69aa517a91c5',
};

const SAMPLE_SKYPE_DIALIN: BlockDialIn = {
  phones: [
    {
      number: '+14255550199',
      display: '+1 (425) 555-0199',
      city: 'Redmond',
      country: 'United States',
      type: 'toll',
      languageName: 'English (United States)',
    },
    {
      number: '+33175850123',
      display: '+33 1 75 85 01 23',
      city: 'Paris',
      country: 'France',
      type: 'toll',
      languageName: 'Français (France)',
    },
  ],
  conferenceId: '4451827',
  findLocalNumberUrl: 'https://dialin.lync.com/8551f4c1-bea3-441a-8738-69aa517a91c5',
  resetPinUrl: 'https://dialin.lync.com/8551f4c1-bea3-441a-8738-69aa517a91c5',
};

const HTML_BEFORE =
  '<p class="MsoNormal">Bonjour à tous — agenda für Q3: café ☕, 会议议程, 👩‍💻🚀 and 𝄞<o:p></o:p></p>' +
  `${CRLF}<p class="MsoNormal" dir="rtl">مرحبا بالجميع · שלום לכולם<o:p></o:p></p>`;
const HTML_AFTER = '<p class="MsoNormal">Merci ! 🇫🇮 Grüße, José Núñez &amp; 佐藤 陽菜<o:p></o:p></p>';
const OWA_BEFORE =
  '<div class="elementToProof" style="font-family:Aptos,Calibri,Helvetica,sans-serif;font-size:12pt;color:rgb(0,0,0)">Hej! Agenda ⟶ Ærø, Ōsaka, Zoë 👨‍👩‍👧‍👦</div>' +
  `${CRLF}<div dir="rtl">جدول الأعمال مرفق</div>`;
const OWA_AFTER = '<div class="elementToProof">Tack / ありがとう / 谢谢 ✅</div>';
const TEXT_BEFORE = `Bonjour à tous,${CRLF}agenda für Q3 — café ☕ 会议 👩‍💻${CRLF}مرحبا · שלום`;
const TEXT_AFTER = `Merci ! 🇫🇮${CRLF}José Núñez`;

/** Fixed bodies with known block offsets (or none), for meeting-block parser tests. */
export function sampleBodies(): SampleBody[] {
  const out: SampleBody[] = [];
  const teamsOpts = (
    layout: HtmlLayout,
    era: TeamsEra,
    extra: Partial<TeamsBlockOptions> = {},
  ): TeamsBlockOptions => ({
    joinUrl:
      era === 'newest'
        ? teamsMeetUrl('24681357902', 'aB3cD4')
        : teamsMeetupJoinUrl(SAMPLE_MEETING, SAMPLE_TENANT, SAMPLE_ORGANIZER),
    tenantId: SAMPLE_TENANT,
    organizerId: SAMPLE_ORGANIZER,
    threadId: teamsThreadId(SAMPLE_MEETING),
    meetingId: '24681357902',
    passcode: 'aB3cD4',
    dialIn: SAMPLE_DIALIN,
    layout,
    ...extra,
  });
  const add = (name: string, contentType: 'html' | 'text', kind: 'skype' | 'teams' | null, c: ComposedBody) =>
    out.push({
      name,
      contentType,
      body: c.body,
      expected: kind ? { kind, blockStart: c.blockStart, blockEnd: c.blockEnd } : null,
    });

  const skypeJoin = 'https://meet.lync.com/contoso/jnunez/7QK4ZB2M';
  const skypeOnPrem = 'https://meet.contoso.com/jnunez/PF4R8X1D';
  add(
    'skype-html-outlook',
    'html',
    'skype',
    composeHtmlBody(
      HTML_BEFORE,
      skypeBlockHtml({ joinUrl: skypeJoin, dialIn: SAMPLE_SKYPE_DIALIN, lyncLine: true }),
      HTML_AFTER,
      'outlook',
    ),
  );
  add(
    'skype-html-outlook-attendee-copy',
    'html',
    'skype',
    composeHtmlBody(
      HTML_BEFORE,
      skypeBlockHtml({ joinUrl: skypeJoin, dialIn: SAMPLE_SKYPE_DIALIN }),
      HTML_AFTER,
      'outlook',
      true,
    ),
  );
  add(
    'skype-html-owa-onprem-de',
    'html',
    'skype',
    composeHtmlBody(
      OWA_BEFORE,
      skypeBlockHtml({
        joinUrl: skypeOnPrem,
        lcid: 1031,
        dialIn: SAMPLE_SKYPE_DIALIN,
        layout: 'owa',
        sharedNotes: true,
      }),
      OWA_AFTER,
      'owa',
    ),
  );
  add(
    'skype-html-no-dialin-graph',
    'html',
    'skype',
    composeHtmlBody(OWA_BEFORE, skypeBlockHtml({ joinUrl: skypeJoin, layout: 'owa' }), '', 'graph'),
  );
  add(
    'skype-text',
    'text',
    'skype',
    composeTextBody(
      TEXT_BEFORE,
      skypeBlockText({ joinUrl: skypeJoin, dialIn: SAMPLE_SKYPE_DIALIN, lyncLine: true }),
      TEXT_AFTER,
    ),
  );
  add(
    'skype-text-fr',
    'text',
    'skype',
    composeTextBody(
      TEXT_BEFORE,
      skypeBlockText({ joinUrl: skypeJoin, lcid: 1036, dialIn: SAMPLE_SKYPE_DIALIN }),
      TEXT_AFTER,
    ),
  );

  for (const era of TEAMS_ERAS) {
    add(
      `teams-${era}-html-owa`,
      'html',
      'teams',
      composeHtmlBody(OWA_BEFORE, teamsBlockHtml(era, teamsOpts('owa', era)), OWA_AFTER, 'owa'),
    );
    add(
      `teams-${era}-html-outlook`,
      'html',
      'teams',
      composeHtmlBody(HTML_BEFORE, teamsBlockHtml(era, teamsOpts('outlook', era)), HTML_AFTER, 'outlook'),
    );
    add(
      `teams-${era}-html-graph-attendee-copy`,
      'html',
      'teams',
      composeHtmlBody(OWA_BEFORE, teamsBlockHtml(era, teamsOpts('owa', era)), OWA_AFTER, 'graph', true),
    );
    add(
      `teams-${era}-text`,
      'text',
      'teams',
      composeTextBody(TEXT_BEFORE, teamsBlockText(era, teamsOpts('owa', era)), TEXT_AFTER),
    );
  }
  add(
    'teams-2019-vtc-html',
    'html',
    'teams',
    composeHtmlBody(
      OWA_BEFORE,
      teamsBlockHtml(
        '2019',
        teamsOpts('owa', '2019', { vtc: { tenantKey: 'contoso', conferenceId: '1188223344' } }),
      ),
      OWA_AFTER,
      'owa',
    ),
  );
  add(
    'teams-2022-fr-no-dialin-html',
    'html',
    'teams',
    composeHtmlBody(
      OWA_BEFORE,
      teamsBlockHtml('2022', teamsOpts('owa', '2022', { language: 'fr-FR', dialIn: null })),
      OWA_AFTER,
      'owa',
    ),
  );
  add(
    'teams-2022-de-text',
    'text',
    'teams',
    composeTextBody(
      TEXT_BEFORE,
      teamsBlockText('2022', teamsOpts('owa', '2022', { language: 'de-DE' })),
      TEXT_AFTER,
    ),
  );
  add(
    'teams-2022-block-only-text',
    'text',
    'teams',
    composeTextBody('', teamsBlockText('2022', teamsOpts('owa', '2022')), ''),
  );

  // No block, or a broken one: the parser must answer null.
  add('no-block-html', 'html', null, composeHtmlBody(HTML_BEFORE, '', HTML_AFTER, 'outlook'));
  add(
    'no-block-text',
    'text',
    null,
    composeTextBody(`${TEXT_BEFORE}${CRLF}${TEAMS_SEPARATOR}${CRLF}signature`, '', TEXT_AFTER),
  );
  const full = teamsBlockText('2022', teamsOpts('owa', '2022'));
  add(
    'broken-teams-text-missing-closing-separator',
    'text',
    null,
    composeTextBody(TEXT_BEFORE, '', `${full.slice(0, full.lastIndexOf(TEAMS_SEPARATOR))}${TEXT_AFTER}`),
  );
  add(
    'broken-teams-html-separators-without-link',
    'html',
    null,
    composeHtmlBody(
      OWA_BEFORE,
      '',
      `${teamsSeparatorHtml('owa')}${CRLF}<div>Notes about Microsoft Teams</div>${CRLF}${teamsSeparatorHtml('owa')}`,
      'owa',
    ),
  );
  const sk = skypeBlockText({ joinUrl: skypeJoin, dialIn: SAMPLE_SKYPE_DIALIN });
  add(
    'broken-skype-text-missing-closing-separator',
    'text',
    null,
    composeTextBody(TEXT_BEFORE, '', sk.slice(0, sk.lastIndexOf(SKYPE_SEPARATOR))),
  );
  return out;
}

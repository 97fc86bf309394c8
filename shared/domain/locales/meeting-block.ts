/**
 * Wording of the online-meeting block in each supported language, as Microsoft's own templates word it (Teams
 * 2022+ invitation, Outlook's Skype for Business meeting template). Pure data; used by
 * `shared/domain/meeting-block.ts` for rendering, and its labels for parsing the conference id back.
 */

export interface TeamsBlockStrings {
  title: string;
  joinHeading: string;
  joinLink: string;
  meetingId: string;
  passcode: string;
  downloadTeams: string;
  joinOnWeb: string;
  callIn: string;
  phoneConferenceId: string;
  findLocalNumber: string;
  resetPin: string;
  learnMore: string;
  meetingOptions: string;
  tollFree: string;
}

export interface SkypeBlockStrings {
  joinMeeting: string;
  troubleJoining: string;
  tryWebApp: string;
  joinByPhone: string;
  findLocalNumber: string;
  conferenceId: string;
  forgotPin: string;
  help: string;
  tagline: string;
  tollFree: string;
}

export interface MeetingBlockLocale {
  /** BCP-47 tag of this entry. */
  tag: string;
  /** Windows LCID written in the Skype block's `[!OC([lcid])!]` marker. */
  lcid: number;
  teams: TeamsBlockStrings;
  skype: SkypeBlockStrings;
}

export const MEETING_BLOCK_LOCALES: readonly MeetingBlockLocale[] = [
  {
    tag: 'en-US',
    lcid: 1033,
    teams: {
      title: 'Microsoft Teams meeting',
      joinHeading: 'Join on your computer, mobile app or room device',
      joinLink: 'Click here to join the meeting',
      meetingId: 'Meeting ID:',
      passcode: 'Passcode:',
      downloadTeams: 'Download Teams',
      joinOnWeb: 'Join on the web',
      callIn: 'Or call in (audio only)',
      phoneConferenceId: 'Phone Conference ID:',
      findLocalNumber: 'Find a local number',
      resetPin: 'Reset PIN',
      learnMore: 'Learn More',
      meetingOptions: 'Meeting options',
      tollFree: '(Toll-free)',
    },
    skype: {
      joinMeeting: 'Join Skype Meeting',
      troubleJoining: 'Trouble Joining?',
      tryWebApp: 'Try Skype Web App',
      joinByPhone: 'Join by phone',
      findLocalNumber: 'Find a local number',
      conferenceId: 'Conference ID:',
      forgotPin: 'Forgot your dial-in PIN?',
      help: 'Help',
      tagline:
        'This is an online meeting for Skype for Business, the professional meetings and communications app formerly known as Lync.',
      tollFree: '(Toll-free)',
    },
  },
  {
    tag: 'fr-FR',
    lcid: 1036,
    teams: {
      title: 'Réunion Microsoft Teams',
      joinHeading: 'Rejoindre sur votre ordinateur, application mobile ou appareil de salle',
      joinLink: 'Cliquez ici pour rejoindre la réunion',
      meetingId: 'ID de la réunion\u00a0:',
      passcode: 'Code secret\u00a0:',
      downloadTeams: 'Télécharger Teams',
      joinOnWeb: 'Rejoindre sur le web',
      callIn: 'Ou appelez (audio uniquement)',
      phoneConferenceId: 'ID de conférence téléphonique\u00a0:',
      findLocalNumber: 'Trouver un numéro local',
      resetPin: 'Réinitialiser le code PIN',
      learnMore: 'En savoir plus',
      meetingOptions: 'Options de réunion',
      tollFree: '(Numéro gratuit)',
    },
    skype: {
      joinMeeting: 'Rejoindre la réunion Skype',
      troubleJoining: 'Des difficultés pour rejoindre la réunion\u00a0?',
      tryWebApp: 'Essayez Skype Web App',
      joinByPhone: 'Rejoindre par téléphone',
      findLocalNumber: 'Trouver un numéro local',
      conferenceId: 'ID de conférence\u00a0:',
      forgotPin: 'Vous avez oublié votre code confidentiel d’accès\u00a0?',
      help: 'Aide',
      tagline:
        'Il s’agit d’une réunion en ligne pour Skype Entreprise, l’application de réunion et de communication professionnelle anciennement nommée Lync.',
      tollFree: '(Numéro gratuit)',
    },
  },
  {
    tag: 'de-DE',
    lcid: 1031,
    teams: {
      title: 'Microsoft Teams-Besprechung',
      joinHeading: 'Nehmen Sie von Ihrem Computer, Ihrer mobilen App oder Ihrem Raumgerät aus teil',
      joinLink: 'Klicken Sie hier, um an der Besprechung teilzunehmen',
      meetingId: 'Besprechungs-ID:',
      passcode: 'Kennung:',
      downloadTeams: 'Teams herunterladen',
      joinOnWeb: 'Im Web beitreten',
      callIn: 'Oder rufen Sie an (nur Audio)',
      phoneConferenceId: 'Telefonkonferenz-ID:',
      findLocalNumber: 'Lokale Nummer suchen',
      resetPin: 'PIN zurücksetzen',
      learnMore: 'Weitere Informationen',
      meetingOptions: 'Besprechungsoptionen',
      tollFree: '(gebührenfrei)',
    },
    skype: {
      joinMeeting: 'An Skype-Besprechung teilnehmen',
      troubleJoining: 'Probleme beim Teilnehmen?',
      tryWebApp: 'Skype Web App testen',
      joinByPhone: 'Per Telefon teilnehmen',
      findLocalNumber: 'Ortsgebundene Nummer suchen',
      conferenceId: 'Konferenzkennung:',
      forgotPin: 'Einwahl-PIN vergessen?',
      help: 'Hilfe',
      tagline:
        'Dies ist eine Onlinebesprechung für Skype for Business, die professionelle Besprechungs- und Kommunikations-App, die früher Lync hieß.',
      tollFree: '(gebührenfrei)',
    },
  },
  {
    tag: 'es-ES',
    lcid: 3082,
    teams: {
      title: 'Reunión de Microsoft Teams',
      joinHeading: 'Unirse desde el equipo, la aplicación móvil o el dispositivo de sala',
      joinLink: 'Haga clic aquí para unirse a la reunión',
      meetingId: 'Id. de reunión:',
      passcode: 'Código de acceso:',
      downloadTeams: 'Descargar Teams',
      joinOnWeb: 'Unirse en la web',
      callIn: 'O llame (solo audio)',
      phoneConferenceId: 'Id. de conferencia telefónica:',
      findLocalNumber: 'Buscar un número local',
      resetPin: 'Restablecer PIN',
      learnMore: 'Más información',
      meetingOptions: 'Opciones de reunión',
      tollFree: '(Gratuito)',
    },
    skype: {
      joinMeeting: 'Unirse a una reunión de Skype',
      troubleJoining: '¿Problemas para unirse?',
      tryWebApp: 'Pruebe Skype Web App',
      joinByPhone: 'Unirse por teléfono',
      findLocalNumber: 'Buscar un número local',
      conferenceId: 'Id. de conferencia:',
      forgotPin: '¿Olvidó su PIN de acceso telefónico?',
      help: 'Ayuda',
      tagline:
        'Esta es una reunión en línea de Skype Empresarial, la aplicación de reuniones y comunicaciones profesionales anteriormente conocida como Lync.',
      tollFree: '(Gratuito)',
    },
  },
  {
    tag: 'pt-BR',
    lcid: 1046,
    teams: {
      title: 'Reunião do Microsoft Teams',
      joinHeading: 'Ingresse no seu computador, aplicativo móvel ou dispositivo da sala',
      joinLink: 'Clique aqui para ingressar na reunião',
      meetingId: 'ID da Reunião:',
      passcode: 'Senha:',
      downloadTeams: 'Baixar o Teams',
      joinOnWeb: 'Ingressar na Web',
      callIn: 'Ou ligue para (somente áudio)',
      phoneConferenceId: 'ID da Conferência Telefônica:',
      findLocalNumber: 'Localizar um número local',
      resetPin: 'Redefinir PIN',
      learnMore: 'Saiba mais',
      meetingOptions: 'Opções de reunião',
      tollFree: '(Ligação gratuita)',
    },
    skype: {
      joinMeeting: 'Ingressar na Reunião do Skype',
      troubleJoining: 'Problemas para ingressar?',
      tryWebApp: 'Experimente o Skype Web App',
      joinByPhone: 'Ingressar por telefone',
      findLocalNumber: 'Localizar um número local',
      conferenceId: 'ID da Conferência:',
      forgotPin: 'Esqueceu o PIN de discagem?',
      help: 'Ajuda',
      tagline:
        'Esta é uma reunião online do Skype for Business, o aplicativo profissional de reuniões e comunicações anteriormente conhecido como Lync.',
      tollFree: '(Ligação gratuita)',
    },
  },
  {
    tag: 'zh-CN',
    lcid: 2052,
    teams: {
      title: 'Microsoft Teams 会议',
      joinHeading: '在计算机、移动应用或会议室设备上加入',
      joinLink: '单击此处加入会议',
      meetingId: '会议 ID:',
      passcode: '密码:',
      downloadTeams: '下载 Teams',
      joinOnWeb: '在 Web 上加入',
      callIn: '或拨入(仅音频)',
      phoneConferenceId: '电话会议 ID:',
      findLocalNumber: '查找本地号码',
      resetPin: '重置 PIN',
      learnMore: '了解详细信息',
      meetingOptions: '会议选项',
      tollFree: '(免费电话)',
    },
    skype: {
      joinMeeting: '加入 Skype 会议',
      troubleJoining: '加入时遇到问题?',
      tryWebApp: '试用 Skype Web App',
      joinByPhone: '通过电话加入',
      findLocalNumber: '查找本地号码',
      conferenceId: '会议 ID:',
      forgotPin: '忘记拨入 PIN?',
      help: '帮助',
      tagline:
        '这是 Skype for Business (以前称为 Lync)的联机会议,Skype for Business 是专业的会议和通信应用。',
      tollFree: '(免费电话)',
    },
  },
  {
    tag: 'ja-JP',
    lcid: 1041,
    teams: {
      title: 'Microsoft Teams 会議',
      joinHeading: 'コンピュータ、モバイル アプリケーション、またはルーム デバイスで参加する',
      joinLink: 'ここをクリックして会議に参加してください',
      meetingId: '会議 ID:',
      passcode: 'パスコード:',
      downloadTeams: 'Teams のダウンロード',
      joinOnWeb: 'Web に参加',
      callIn: 'または電話で参加 (音声のみ)',
      phoneConferenceId: '電話会議 ID:',
      findLocalNumber: 'ローカル番号を検索',
      resetPin: 'PIN のリセット',
      learnMore: '詳細情報',
      meetingOptions: '会議のオプション',
      tollFree: '(フリーダイヤル)',
    },
    skype: {
      joinMeeting: 'Skype 会議に参加',
      troubleJoining: '参加できない場合',
      tryWebApp: 'Skype Web App を試す',
      joinByPhone: '電話で参加',
      findLocalNumber: 'ローカル番号を検索',
      conferenceId: '会議 ID:',
      forgotPin: 'ダイヤルイン PIN をお忘れですか?',
      help: 'ヘルプ',
      tagline:
        'これは Skype for Business (旧称 Lync) のオンライン会議です。Skype for Business はプロフェッショナルな会議およびコミュニケーション アプリです。',
      tollFree: '(フリーダイヤル)',
    },
  },
];

const DEFAULT_LOCALE = MEETING_BLOCK_LOCALES[0] as MeetingBlockLocale;

/** LCIDs of common regional variants, so the Skype marker names the user's own region when we know it. */
const REGIONAL_LCIDS: Readonly<Record<string, number>> = {
  'en-us': 1033,
  'en-gb': 2057,
  'en-au': 3081,
  'en-ca': 4105,
  'en-in': 16393,
  'en-ie': 6153,
  'fr-fr': 1036,
  'fr-ca': 3084,
  'fr-be': 2060,
  'fr-ch': 4108,
  'de-de': 1031,
  'de-at': 3079,
  'de-ch': 2055,
  'es-es': 3082,
  'es-mx': 2058,
  'es-us': 21514,
  'pt-br': 1046,
  'zh-cn': 2052,
  'ja-jp': 1041,
};

/** The wording chosen for a user's locale, and the LCID for the Skype marker. */
export interface ResolvedMeetingBlockLocale {
  strings: MeetingBlockLocale;
  lcid: number;
}

function normaliseTag(locale: string): string {
  return locale.trim().replace(/_/g, '-').toLowerCase();
}

/**
 * Locale matching: exact tag, then language (the first entry of that language), then English. Accepts
 * `fr-CA`, `fr`, `FR_fr`, `pt-PT` (→ pt-BR wording), `zh-Hans-CN` (→ zh-CN) and anything else (→ en-US).
 */
export function resolveMeetingBlockLocale(locale: string | undefined | null): ResolvedMeetingBlockLocale {
  const tag = normaliseTag(locale ?? '');
  const exact = MEETING_BLOCK_LOCALES.find((l) => l.tag.toLowerCase() === tag);
  if (exact) return { strings: exact, lcid: exact.lcid };
  const language = tag.split('-')[0] ?? '';
  const byLanguage = MEETING_BLOCK_LOCALES.find((l) => l.tag.toLowerCase().split('-')[0] === language);
  if (byLanguage) return { strings: byLanguage, lcid: REGIONAL_LCIDS[tag] ?? byLanguage.lcid };
  return { strings: DEFAULT_LOCALE, lcid: DEFAULT_LOCALE.lcid };
}

/**
 * Labels (lower case, without the colon) that introduce the dial-in conference id, in every language above
 * plus the older wordings ("Conference ID" of 2019–20 Teams blocks, "Konferenzkennung"). For Teams only the
 * phone-conference labels count, since "会議 ID" / "会议 ID" is the meeting id there.
 */
export const CONFERENCE_ID_LABELS: Readonly<Record<'teams' | 'skype', readonly string[]>> = {
  teams: [
    'phone conference id',
    'conference id',
    'id de conférence téléphonique',
    'id de conférence',
    'telefonkonferenz-id',
    'konferenz-id',
    'konferenzkennung',
    'id. de conferencia telefónica',
    'id. de conferencia',
    'id de conferencia',
    'id da conferência telefônica',
    'id da conferência',
    '电话会议 id',
    '電話会議 id',
  ],
  skype: [
    'conference id',
    'id de conférence',
    'konferenzkennung',
    'konferenz-id',
    'id. de conferencia',
    'id de conferencia',
    'id da conferência',
    '会议 id',
    '会議 id',
  ],
};

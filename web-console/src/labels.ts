import { durationSeconds } from './duration-syntax.ts';
import { locale, t, type MessageKey } from './i18n/i18n.ts';

/** Labels for the server's enumerations; an unknown value is shown as it is. */
export function difficultyLabel(difficulty: string): string {
  switch (difficulty) {
    case 'beginner':
      return t('difficulty.beginner');
    case 'intermediate':
      return t('difficulty.intermediate');
    case 'advanced':
      return t('difficulty.advanced');
    default:
      return difficulty;
  }
}

export function exerciseStateLabel(state: string): string {
  switch (state) {
    case 'created':
      return t('state.created');
    case 'launching':
      return t('state.launching');
    case 'running':
      return t('state.running');
    case 'tearing-down':
      return t('state.tearingDown');
    case 'ended':
      return t('state.ended');
    case 'pending':
      return t('state.pending');
    default:
      return state;
  }
}

export function teamStateLabel(state: string): string {
  switch (state) {
    case 'pending':
      return t('team.pending');
    case 'provisioning':
      return t('team.provisioning');
    case 'ready':
      return t('team.ready');
    case 'failed':
      return t('team.failed');
    case 'resetting':
      return t('team.resetting');
    case 'destroyed':
      return t('team.destroyed');
    default:
      return state;
  }
}

export function orgKindLabel(kind: string): string {
  switch (kind) {
    case 'operator':
      return t('kind.operator');
    case 'training-company':
      return t('kind.trainingCompany');
    case 'customer':
      return t('kind.customer');
    default:
      return kind;
  }
}

/** CYNEX member categories (the rows of its fee table), in the order the console offers them. */
export const ORG_CATEGORIES = [
  'large-enterprise',
  'sme',
  'general-incorporated-association',
  'npo',
  'educational-institution',
  'government',
  'individual-expert',
] as const;

export function orgCategoryLabel(category: string | null): string {
  switch (category) {
    case null:
      return t('org.noCategory');
    case 'large-enterprise':
      return t('category.largeEnterprise');
    case 'sme':
      return t('category.sme');
    case 'general-incorporated-association':
      return t('category.generalIncorporatedAssociation');
    case 'npo':
      return t('category.npo');
    case 'educational-institution':
      return t('category.educationalInstitution');
    case 'government':
      return t('category.government');
    case 'individual-expert':
      return t('category.individualExpert');
    default:
      return category;
  }
}

export function roleLabel(role: string): string {
  switch (role) {
    case 'operator':
      return t('roleLabel.operator');
    case 'org-admin':
      return t('roleLabel.orgAdmin');
    case 'instructor':
      return t('roleLabel.instructor');
    case 'trainee':
      return t('roleLabel.trainee');
    default:
      return role;
  }
}

/** Scenario categories the catalogue uses; another slug is shown as words ("threat-hunting" → "Threat hunting"). */
const CATEGORIES: Record<string, MessageKey> = {
  forensics: 'category.forensics',
  hardening: 'category.hardening',
  'incident-response': 'category.incidentResponse',
  'log-analysis': 'category.logAnalysis',
  'packet-analysis': 'category.packetAnalysis',
  'penetration-testing': 'category.penetrationTesting',
  web: 'category.web',
  crypto: 'category.crypto',
  'reverse-engineering': 'category.reverseEngineering',
  'malware-analysis': 'category.malwareAnalysis',
};

export function categoryLabel(slug: string): string {
  const key = CATEGORIES[slug];
  if (key) return t(key);
  const words = slug.replace(/[-_]+/g, ' ').trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A scenario or API duration (`90m`, `1h30m`, `2h`) said in the current language: "1 h 30 min",
 * "1時間30分". Seconds are kept only when there are no whole minutes; text that is not a duration is
 * shown as it is.
 */
export function durationLabel(text: string): string {
  const seconds = durationSeconds(text);
  if (seconds === undefined) return text;
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const parts: string[] = [];
  if (days) parts.push(t('duration.days', { count: days }));
  if (hours) parts.push(t('duration.hours', { count: hours }));
  if (minutes) parts.push(t('duration.minutes', { count: minutes }));
  if (!parts.length) parts.push(t('duration.seconds', { count: Math.round(seconds) }));
  return parts.join(locale() === 'ja' ? '' : ' ');
}

/** An objective's kind: flag, question or check. */
export function objectiveKindLabel(kind: string): string {
  switch (kind) {
    case 'flag':
      return t('guide.kind.flag');
    case 'question':
      return t('guide.kind.question');
    case 'check':
      return t('guide.kind.check');
    default:
      return kind;
  }
}

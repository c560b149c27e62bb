import { t } from './i18n/i18n.ts';

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

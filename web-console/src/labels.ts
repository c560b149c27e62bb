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

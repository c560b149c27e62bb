import { h, replaceChildren } from './dom.ts';
import { LOCALES, locale, onLocaleChange, setLocale, t, type Locale, type MessageKey } from './i18n/i18n.ts';
import { navigate, parseRoute, type Route } from './router.ts';
import { isStaff, keepsBooks, logout, refreshSession, session } from './session.ts';
import type { View } from './view.ts';
import { AccountView } from './views/account-view.ts';
import { AdminView } from './views/admin-view.ts';
import { AnalyticsView } from './views/analytics-view.ts';
import { ProgressView } from './views/progress-view.ts';
import { BusinessView } from './views/business-view.ts';
import { RevenueView } from './views/revenue-view.ts';
import { ExerciseView } from './views/exercise-view.ts';
import { client } from './api-client.ts';
import type { Principal } from './types.ts';
import { HomeView } from './views/home-view.ts';
import { InviteView } from './views/invite-view.ts';
import { JoinSheetView } from './views/join-sheet-view.ts';
import { InstructorView } from './views/instructor-view.ts';
import { JoinView } from './views/join-view.ts';
import { LoginView } from './views/login-view.ts';
import { MessageView } from './views/message-view.ts';
import { PlayView } from './views/play-view.ts';
import { ProjectorView } from './views/projector-view.ts';
import { ScenarioView } from './views/scenario-view.ts';

const TITLES = {
  home: 'title.home',
  login: 'title.login',
  join: 'title.join',
  play: 'title.play',
  instructor: 'title.instructor',
  exercise: 'title.exercise',
  admin: 'title.admin',
  account: 'title.account',
  sheet: 'title.sheet',
  board: 'title.board',
  scenario: 'title.scenario',
  exerciseScenario: 'title.scenario',
  invite: 'title.invite',
  analytics: 'title.analytics',
  progress: 'title.progress',
  business: 'title.business',
  revenue: 'title.revenue',
} as const satisfies Record<Route['name'], MessageKey>;

const header = h('header', { class: 'topbar' });
const main = h('main', { id: 'main', tabindex: -1 });
const skip = h('a', { class: 'skip-link', href: '#main' });
let view: View | undefined;
let routing = 0;

function renderHeader(): void {
  const who = session();
  const langId = 'lang-select';
  const principal = who?.principal;
  skip.textContent = t('app.skip');
  skip.onclick = (event) => {
    event.preventDefault();
    main.focus();
  };
  replaceChildren(
    header,
    h('a', { class: 'brand', href: '#/' }, h('span', { 'aria-hidden': 'true' }, '▣ '), 'CYROP'),
    h(
      'nav',
      { 'aria-label': t('app.nav') },
      h(
        'ul',
        {},
        h('li', {}, h('a', { href: '#/' }, t('nav.catalogue'))),
        isStaff(principal) && h('li', {}, h('a', { href: '#/instructor' }, t('nav.instructor'))),
        isStaff(principal) &&
          h('li', {}, h('a', { href: '#/analytics', 'data-testid': 'nav-analytics' }, t('nav.analytics'))),
        isAdmin(principal) &&
          h('li', {}, h('a', { href: '#/admin', 'data-testid': 'nav-admin' }, t('nav.admin'))),
        principal?.kind === 'user' &&
          h('li', {}, h('a', { href: '#/analytics/me', 'data-testid': 'nav-progress' }, t('nav.progress'))),
        keepsBooks(who) &&
          h('li', {}, h('a', { href: '#/business', 'data-testid': 'nav-business' }, t('nav.business'))),
        principal?.kind === 'user' &&
          principal.role === 'operator' &&
          h('li', {}, h('a', { href: '#/revenue', 'data-testid': 'nav-revenue' }, t('nav.revenue'))),
        principal?.kind === 'user' &&
          h('li', {}, h('a', { href: '#/account', 'data-testid': 'nav-account' }, t('nav.account'))),
        principal?.kind === 'participant' && h('li', {}, h('a', { href: '#/play' }, t('nav.play'))),
      ),
    ),
    h('div', { class: 'spacer' }),
    principal &&
      h(
        'span',
        { class: 'who', 'data-testid': 'who' },
        principal.kind === 'participant' ? t('app.participant', { name: principal.name }) : principal.name,
      ),
    h('label', { for: langId, class: 'lang-label' }, t('app.language')),
    h(
      'select',
      {
        id: langId,
        'data-testid': 'lang-select',
        onchange: (event) => setLocale((event.target as HTMLSelectElement).value as Locale),
      },
      LOCALES.map((l) =>
        h('option', { value: l, selected: l === locale(), lang: l }, l === 'en' ? 'English' : '日本語'),
      ),
    ),
    principal
      ? h(
          'button',
          {
            type: 'button',
            'data-testid': 'logout',
            onclick: () => {
              logout().then(
                () => navigate('#/'),
                () => navigate('#/'),
              );
            },
          },
          t('app.logout'),
        )
      : h('a', { href: '#/login', class: 'button-link' }, t('app.login')),
  );
}

async function route(): Promise<void> {
  const ticket = ++routing;
  const target = parseRoute(location.hash);
  let who = session();
  try {
    who = await refreshSession();
  } catch {
    // the server is unreachable: views say so when they load
  }
  if (ticket !== routing) return;
  view?.dispose();
  view = undefined;
  const principal = who?.principal;
  let next: View;
  switch (target.name) {
    case 'home':
      next = new HomeView(principal);
      break;
    case 'invite':
      next = new InviteView(target.token, (signedIn) => {
        navigate(isStaff(signedIn.principal) ? '#/instructor' : '#/');
      });
      break;
    case 'login':
      next = new LoginView(who, (signedIn) => {
        void applyPreferredLanguage().finally(() => {
          navigate(target.next ?? homeOf(signedIn.principal));
        });
      });
      break;
    case 'join':
      next = new JoinView(target.code, () => navigate('#/play'));
      break;
    case 'play':
      next =
        principal?.kind === 'participant'
          ? new PlayView(principal)
          : new MessageView('play.needJoin', 'play.needJoinBody');
      break;
    case 'analytics':
    case 'progress':
    case 'business':
    case 'revenue': {
      if (!principal || who?.mustChangePassword) {
        navigate(`#/login?next=${encodeURIComponent(location.hash)}`);
        return;
      }
      const role = principal.kind === 'user' ? principal.role : undefined;
      if (target.name === 'progress')
        next =
          principal.kind === 'user'
            ? new ProgressView(principal.userId)
            : new MessageView('account.needUser', 'account.needUserBody');
      else if (target.name === 'analytics')
        next = isStaff(principal)
          ? new AnalyticsView()
          : new MessageView('error.staffOnly', 'error.staffOnlyBody');
      else if (target.name === 'business')
        next =
          principal.kind === 'user' && keepsBooks(who)
            ? new BusinessView(principal)
            : new MessageView('business.forOrgAdmins', 'business.forOrgAdminsBody');
      else
        next =
          role === 'operator'
            ? new RevenueView()
            : new MessageView('revenue.forOperator', 'revenue.forOperatorBody');
      break;
    }
    case 'admin':
    case 'account': {
      if (!principal || who?.mustChangePassword) {
        navigate(`#/login?next=${encodeURIComponent(location.hash)}`);
        return;
      }
      if (target.name === 'account')
        next =
          principal.kind === 'user'
            ? new AccountView()
            : new MessageView('account.needUser', 'account.needUserBody');
      else
        next =
          principal.kind === 'user' && isAdmin(principal)
            ? new AdminView(principal, target.tab)
            : new MessageView('error.adminOnly', 'error.adminOnlyBody');
      break;
    }
    case 'instructor':
    case 'sheet':
    case 'board':
    case 'scenario':
    case 'exerciseScenario':
    case 'exercise': {
      const here = location.hash;
      if (!principal || who?.mustChangePassword) {
        navigate(`#/login?next=${encodeURIComponent(here)}`);
        return;
      }
      if (!isStaff(principal)) {
        next = new MessageView('error.staffOnly', 'error.staffOnlyBody');
        break;
      }
      next =
        target.name === 'instructor'
          ? new InstructorView(principal)
          : target.name === 'sheet'
            ? new JoinSheetView(target.exerciseId)
            : target.name === 'board'
              ? new ProjectorView(target.exerciseId)
              : target.name === 'scenario'
                ? new ScenarioView({ scenarioId: target.scenarioId, version: target.version })
                : target.name === 'exerciseScenario'
                  ? new ScenarioView({ exerciseId: target.exerciseId })
                  : new ExerciseView(target.exerciseId);
      break;
    }
  }
  view = next;
  renderHeader();
  replaceChildren(main, next.element);
  document.title = `CYROP — ${t(TITLES[target.name])}`;
}

/** The operator and org-admins administer; everyone else has no administration page. */
function isAdmin(principal: Principal | undefined): boolean {
  return principal?.kind === 'user' && (principal.role === 'operator' || principal.role === 'org-admin');
}

/** Where a user lands after signing in. */
function homeOf(principal: Principal): string {
  if (isAdmin(principal)) return '#/admin';
  return isStaff(principal) ? '#/instructor' : '#/';
}

/** The language the signed-in user chose on "My account" (stored on the server), applied at sign-in. */
async function applyPreferredLanguage(): Promise<void> {
  try {
    const account = await client.get('/api/account');
    const preferred = account.user.preferredLanguage;
    if (preferred && preferred !== locale()) setLocale(preferred);
  } catch {
    // a participant or a failed request: the language stays as it is
  }
}

function boot(): void {
  document.documentElement.lang = locale();
  document.body.replaceChildren(skip, header, main);
  onLocaleChange(() => {
    renderHeader();
    view?.relocalize();
    document.title = `CYROP — ${t(TITLES[parseRoute(location.hash).name])}`;
    // keep the focus on the switch that changed the language
    header.querySelector<HTMLSelectElement>('[data-testid="lang-select"]')?.focus();
  });
  window.addEventListener('hashchange', () => {
    void route();
  });
  void route();
}

boot();

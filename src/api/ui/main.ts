import { api, errorText, setCsrf, whenSignedOut } from './api.js';
import { renderCluster } from './cluster.js';
import { byId, h, replaceChildren, say } from './dom.js';
import { renderNode } from './node.js';
import { renderQuery } from './query.js';

/** The page shell: sign-in, the three sections (by #/hash, so reload keeps the place), sign-out. */

interface SessionInfo {
  readonly signedIn: boolean;
  readonly required: boolean;
  readonly user?: string;
  readonly method?: string;
  readonly csrf?: string | null;
  readonly methods?: { readonly password: boolean; readonly token: boolean };
  readonly nodeId: string;
  readonly version: string;
}

type View = 'cluster' | 'node' | 'query';
const VIEWS: Record<View, (main: HTMLElement) => () => void> = { cluster: renderCluster, node: renderNode, query: renderQuery };

const main = byId('main');
let leave: (() => void) | undefined;
let signedIn = false;

function viewOf(hash: string): View | undefined {
  const m = /^#\/(cluster|node|query)$/.exec(hash);
  return m === null ? undefined : (m[1] as View);
}

function show(view: View): void {
  leave?.();
  main.replaceChildren();
  for (const a of byId('nav').querySelectorAll('a')) {
    if (a.dataset['view'] === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  leave = VIEWS[view](main);
}

function route(): void {
  if (!signedIn) return;
  const v = viewOf(location.hash);
  // Other fragments (the skip link's #main) are not sections: keep the current one.
  if (v !== undefined) show(v);
  else if (leave === undefined) show('cluster');
}

function enter(s: SessionInfo, fromForm: boolean): void {
  signedIn = true;
  setCsrf(s.csrf ?? null);
  byId('nav').hidden = false;
  byId('who').textContent = s.required ? `Signed in as ${s.user ?? 'admin'}` : 'Local access (no sign-in configured)';
  byId('sign-out').hidden = !s.required;
  route();
  // After the sign-in form, focus would be lost on a removed field: put it at the content's start.
  if (fromForm) main.focus();
}

function signInForm(s: SessionInfo, message = ''): void {
  signedIn = false;
  leave?.();
  leave = undefined;
  setCsrf(null);
  byId('nav').hidden = true;
  byId('sign-out').hidden = true;
  byId('who').textContent = '';
  const notice = h('p', { role: 'alert', class: 'notice error', hidden: message === '' }, message);
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const user = h('input', { id: 'user', name: 'username', type: 'text', autocomplete: 'username', value: 'admin', readonly: true });
  const token = h('textarea', { id: 'token', name: 'token', rows: 3, autocomplete: 'off', spellcheck: 'false' });
  const submitting = (btn: HTMLButtonElement, on: boolean): void => {
    btn.disabled = on;
  };
  const pwForm = h('form', { class: 'card signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in'),
    h('p', { class: 'muted' }, `Node ${s.nodeId} · Knowd ${s.version}`),
    notice,
    h('label', { for: 'user' }, 'User'), user,
    h('label', { for: 'password' }, 'Password'), password,
    h('button', { type: 'submit', class: 'primary', id: 'sign-in' }, 'Sign in'),
  );
  const tokenForm = h('form', { class: 'token-form' },
    h('label', { for: 'token' }, 'Admin token (role admin, all namespaces); it is kept by the node, not by this browser'), token,
    h('button', { type: 'submit', id: 'sign-in-token' }, 'Sign in with token'),
  );
  const signIn = async (body: Record<string, string>, btn: HTMLButtonElement): Promise<void> => {
    submitting(btn, true);
    try {
      const r = await api<SessionInfo>('POST', '/v1/admin/session', body);
      password.value = '';
      token.value = '';
      enter({ ...r, nodeId: s.nodeId, version: s.version }, true);
    } catch (e) {
      say(notice, errorText(e), 'error');
      password.value = '';
      password.focus();
    } finally {
      submitting(btn, false);
    }
  };
  pwForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void signIn({ user: 'admin', password: password.value }, byId<HTMLButtonElement>('sign-in'));
  });
  tokenForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void signIn({ token: token.value.trim() }, byId<HTMLButtonElement>('sign-in-token'));
  });
  const tokenBox = h('details', { class: 'card' }, h('summary', {}, 'Sign in with an admin token instead'), tokenForm);
  const noPassword = s.methods !== undefined && !s.methods.password
    ? h('p', { class: 'notice info' }, 'No admin password is set on this node yet. Set one on the box with: knowdctl admin set-password')
    : null;
  replaceChildren(main, h('div', { class: 'signin-wrap' }, pwForm, noPassword, s.methods?.token === false ? null : tokenBox));
  password.focus();
}

async function start(): Promise<void> {
  let s: SessionInfo;
  try {
    s = await api<SessionInfo>('GET', '/v1/admin/session');
  } catch (e) {
    replaceChildren(main, h('p', { role: 'alert', class: 'notice error' }, `Cannot reach the node: ${errorText(e)}`));
    return;
  }
  byId('node-name').textContent = s.nodeId;
  if (s.signedIn) enter(s, false);
  else signInForm(s);
}

whenSignedOut(() => {
  if (!signedIn) return;
  void api<SessionInfo>('GET', '/v1/admin/session').then((s) => signInForm(s, 'Your session ended; sign in again.'));
});

byId('sign-out').addEventListener('click', () => {
  void (async () => {
    try {
      await api('DELETE', '/v1/admin/session');
    } catch {
      // Signed out on the node either way (or it is gone); show the form.
    }
    const s = await api<SessionInfo>('GET', '/v1/admin/session');
    signInForm(s, '');
  })();
});

window.addEventListener('hashchange', route);
void start();

import { Browser, type Hop, type SetCookie } from './browser.ts';

/** What the dashboard did for an anonymous browser, and after a real login. */
export interface LoginOutcome {
  /** The redirect chain of the anonymous GET, up to Keycloak's authorization endpoint. */
  anonymous: Hop[];
  /** The authorization URL oauth2-proxy sent the browser to. */
  authorizeUrl: URL;
  /** Status of `GET /` on the dashboard with the session cookie. */
  afterLogin: { status: number; body: string };
  /** The session cookie as oauth2-proxy set it. */
  sessionCookie: SetCookie;
}

export class LoginError extends Error {}

const ACTION = /<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"/i;

function decodeHtml(s: string): string {
  return s.replace(/&amp;/g, '&').replace(/&#x2F;/gi, '/').replace(/&#47;/g, '/').replace(/&quot;/g, '"').replace(/&#39;/g, "'");
}

/**
 * Logs in through the real oauth2-proxy and the real Keycloak, the way a browser does:
 * anonymous GET of the dashboard → 302 to `/oauth2/start`/Keycloak → Keycloak's login form →
 * POST the credentials → 302 back to `/oauth2/callback` → session cookie → dashboard 200.
 * Throws LoginError naming the hop that went wrong; a 200 to the anonymous GET is a failure.
 */
export async function scriptedLogin(o: {
  browser: Browser;
  dashboardUrl: string;
  keycloakAuthPrefix: string;
  clientId: string;
  redirectUri: string;
  username: string;
  password: string;
  cookieName?: string;
}): Promise<LoginOutcome> {
  const b = o.browser;
  const cookieName = o.cookieName ?? '_oauth2_proxy';
  const isKeycloak = (u: URL): boolean => u.toString().startsWith(o.keycloakAuthPrefix);
  const anon = await b.follow('GET', o.dashboardUrl, { stopAt: isKeycloak });
  if (anon.status === 200) throw new LoginError(`anonymous GET ${o.dashboardUrl} answered 200: the dashboard is not protected`);
  const last = anon.hops.at(-1);
  if (!last?.location || !isKeycloak(new URL(last.location))) {
    throw new LoginError(`anonymous GET ${o.dashboardUrl} did not lead to Keycloak (${anon.hops.map((h) => `${h.status} ${h.url}`).join(' → ')})`);
  }
  const authorizeUrl = new URL(last.location);
  const q = authorizeUrl.searchParams;
  if (q.get('client_id') !== o.clientId) throw new LoginError(`authorization request names client_id ${q.get('client_id')}, expected ${o.clientId}`);
  if (q.get('redirect_uri') !== o.redirectUri) throw new LoginError(`authorization request names redirect_uri ${q.get('redirect_uri')}, expected ${o.redirectUri}`);
  if (q.get('code_challenge_method') !== 'S256') throw new LoginError('authorization request does not use PKCE S256');

  const form = await b.request('GET', authorizeUrl.toString());
  if (form.status !== 200) throw new LoginError(`Keycloak authorization endpoint answered ${form.status}, not the login form`);
  const action = ACTION.exec(form.body)?.[1];
  if (!action) throw new LoginError('Keycloak did not show its login form (kc-form-login)');
  const posted = await b.request('POST', decodeHtml(action), {
    body: new URLSearchParams({ username: o.username, password: o.password, credentialId: '' }),
  });
  const back = posted.hops[0]?.location;
  if (posted.status !== 302 || !back) {
    const why = /id="input-error[^"]*"[^>]*>([^<]+)</.exec(posted.body)?.[1]?.trim();
    throw new LoginError(`Keycloak did not accept the login (${posted.status}${why ? `: ${why}` : ''})`);
  }
  if (!back.startsWith(o.redirectUri)) throw new LoginError(`Keycloak redirected to ${new URL(back).origin}${new URL(back).pathname}, not ${o.redirectUri}`);
  const callback = await b.request('GET', back);
  if (callback.status !== 302) throw new LoginError(`oauth2-proxy callback answered ${callback.status}: ${callback.body.slice(0, 200)}`);
  const sessionCookie = b.setCookies.get(cookieName);
  if (!sessionCookie || !sessionCookie.value) throw new LoginError(`oauth2-proxy set no ${cookieName} cookie after the callback`);
  const after = await b.request('GET', o.dashboardUrl);
  return { anonymous: anon.hops, authorizeUrl, afterLogin: { status: after.status, body: after.body }, sessionCookie };
}

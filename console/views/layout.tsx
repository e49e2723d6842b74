/** @jsxImportSource hono/jsx */
// The frame of every console page: skip link, top navigation, the signed-in user and sign-out,
// the error or notice of the last action, and the one script and stylesheet.
import type { Child } from 'hono/jsx';
import { consoleAssets } from '../assets.ts';
import type { PlainError } from '../errors.ts';
import { CSRF_FIELD, CSRF_HEADER } from '../session.ts';

export interface Viewer {
  user: string;
  clusterAdmin: boolean;
  csrf: string;
}

export interface PageProps {
  title: string;
  viewer?: Viewer;
  error?: PlainError;
  notice?: string;
  children?: Child;
}

export function ErrorBox({ error }: { error: PlainError }) {
  return (
    <div class="error" role="alert">
      <strong>{error.title}</strong>
      {error.detail ? <span>{error.detail}. </span> : null}
      <span>{error.hint}</span>
    </div>
  );
}

/** A table's header row; a column named with a trailing `?` is hidden on phones. */
export function Head({ cols }: { cols: string[] }) {
  return (
    <thead>
      <tr>
        {cols.map((c) => (c.endsWith('?') ? <th scope="col" class="opt">{c.slice(0, -1)}</th> : <th scope="col">{c}</th>))}
      </tr>
    </thead>
  );
}

/** The hidden CSRF field every changing form carries. */
export const Csrf = ({ viewer }: { viewer: Viewer }) => <input type="hidden" name={CSRF_FIELD} value={viewer.csrf} />;

export function Page({ title, viewer, error, notice, children }: PageProps) {
  const { js, css } = consoleAssets();
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${title} · Berth`}</title>
        <link rel="stylesheet" href={css.path} />
        <script src={js.path} defer></script>
      </head>
      {/* Signed in, links and forms are boosted: htmx fetches the next page and swaps only its <main>
          (the header stays), keeping the script and stylesheet parsed. Signing in and out loads whole pages.
          One page change at a time (hx-sync): a click while one is on its way replaces it, so an
          earlier answer arriving late never swaps an older page over the newer one. */}
      <body {...(viewer ? { 'hx-boost': 'true', 'hx-target': '#main', 'hx-select': '#main', 'hx-swap': 'outerHTML', 'hx-sync': 'body:replace', 'hx-headers': JSON.stringify({ [CSRF_HEADER]: viewer.csrf }) } : {})}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a href="/console/projects">Berth</a>
          {viewer ? (
            <nav aria-label="Main">
              <a href="/console/projects">Projects</a>
              {viewer.clusterAdmin ? <a href="/console/admin/users">Users</a> : null}
              {viewer.clusterAdmin ? <a href="/console/admin/hosts">Hosts</a> : null}
              {viewer.clusterAdmin ? <a href="/console/admin/trials">Trials</a> : null}
            </nav>
          ) : null}
          {viewer ? (
            <div class="who">
              <span>{viewer.user}</span>
              <form method="post" action="/console/signout" class="inline" style="margin:0" hx-boost="false">
                <Csrf viewer={viewer} />
                <button type="submit">Sign out</button>
              </form>
            </div>
          ) : null}
        </header>
        <main id="main">
          {error ? <ErrorBox error={error} /> : null}
          {notice ? <div class="notice" role="status">{notice}</div> : null}
          {children}
        </main>
      </body>
    </html>
  );
}

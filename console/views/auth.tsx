/** @jsxImportSource hono/jsx */
// Sign in and sign up (sign-up only where the platform's trials are open).
import type { PlainError } from '../errors.ts';
import { Page } from './layout.tsx';

export function SignIn({ error, signup, username }: { error?: PlainError; signup: boolean; username?: string }) {
  return (
    <Page title="Sign in" error={error}>
      <h1>Sign in to Berth</h1>
      <form method="post" action="/console/signin" class="stack" hx-boost="false">
        <label>
          Username
          <input name="username" autocomplete="username" required value={username ?? ''} />
        </label>
        <label>
          Password
          <input name="password" type="password" autocomplete="current-password" required />
        </label>
        <div>
          <button type="submit">Sign in</button>
        </div>
      </form>
      {signup ? (
        <p>
          New here? <a href="/console/signup">Start a free trial</a>.
        </p>
      ) : null}
    </Page>
  );
}

export function SignUp({ error, username }: { error?: PlainError; username?: string }) {
  return (
    <Page title="Sign up" error={error}>
      <h1>Start a trial</h1>
      <p>You get one project to build and run applications in; the trial ends after a few days.</p>
      <form method="post" action="/console/signup" class="stack" hx-boost="false">
        <label>
          Username <span class="help">lower-case letters, digits and dashes; it also names your first project</span>
          <input name="username" autocomplete="username" required pattern="[a-z0-9]([a-z0-9-]*[a-z0-9])?" value={username ?? ''} />
        </label>
        <label>
          Password <span class="help">at least 8 characters</span>
          <input name="password" type="password" autocomplete="new-password" required minlength={8} />
        </label>
        <div>
          <button type="submit">Sign up</button>
        </div>
      </form>
      <p>
        Have an account? <a href="/console/signin">Sign in</a>.
      </p>
    </Page>
  );
}

// The trial settings from the environment: defaults per runtime (sign-up open in the all-in-one,
// off on AWS), fractions of a day for accelerated runs, and bad values refused naming the variable.
import { describe, expect, it } from 'vitest';
import { settingsFromEnv } from '../../shared/trials/settings.ts';

describe('settingsFromEnv', () => {
  it('defaults: 7-day trials, 10 projects a user, 5 sign-ups an hour; sign-up as the runtime says', () => {
    expect(settingsFromEnv({}, 'open')).toMatchObject({ signup: 'open', trialDays: 7, projectsPerUser: 10, signupsPerHour: 5 });
    expect(settingsFromEnv({}, 'off').signup).toBe('off');
  });

  it('reads each variable, a fraction of a day included', () => {
    const s = settingsFromEnv({ PAAS_SIGNUP: 'open', PAAS_TRIAL_DAYS: '0.001', PAAS_PROJECTS_PER_USER: '3', PAAS_SIGNUPS_PER_HOUR: '50' }, 'off');
    expect(s).toMatchObject({ signup: 'open', trialDays: 0.001, projectsPerUser: 3, signupsPerHour: 50 });
  });

  it.each([
    [{ PAAS_SIGNUP: 'yes' }, /PAAS_SIGNUP=yes is not one of open, off/],
    [{ PAAS_TRIAL_DAYS: '0' }, /PAAS_TRIAL_DAYS=0 is not a positive number/],
    [{ PAAS_TRIAL_DAYS: 'week' }, /PAAS_TRIAL_DAYS=week/],
    [{ PAAS_PROJECTS_PER_USER: '2.5' }, /PAAS_PROJECTS_PER_USER=2.5 is not a positive whole number/],
    [{ PAAS_SIGNUPS_PER_HOUR: '-1' }, /PAAS_SIGNUPS_PER_HOUR=-1/],
  ])('refuses %j', (env, message) => {
    expect(() => settingsFromEnv(env, 'open')).toThrow(message);
  });
});

// The trial service's settings and the marks it leaves on users and projects. Entry points read
// the environment (settingsFromEnv); everything else is given a TrialSettings.

/** The system label of a trial user and of a trial's projects (the idler reads this exact key and value). */
export const TRIAL_LABEL = 'berth.io/trial';
/** The user annotation holding the instant (ISO) a trial ends. */
export const TRIAL_EXPIRES = 'berth.io/trial-expires';
/** The user annotation recording that the last-day warning was given for this end. */
export const TRIAL_WARNED = 'berth.io/trial-warned';
/** The user annotation a cluster admin sets to change how many projects the user may self-provision. */
export const PROJECT_LIMIT = 'berth.io/project-limit';

/** Response header carrying a trial user's end on every API answer. */
export const TRIAL_EXPIRES_HEADER = 'Berth-Trial-Expires';
/** How long before its end a trial is warned (events, the Warning header). */
export const WARN_BEFORE_MS = 24 * 3600 * 1000;

export interface TrialSettings {
  /** Whether anyone may sign up (`open`) or only cluster admins make users (`off`). */
  signup: 'open' | 'off';
  /** How long a trial lasts, in days (fractions allowed: an accelerated run may use minutes). */
  trialDays: number;
  /** Projects a user who is not on a trial may create themselves, unless a cluster admin says otherwise. */
  projectsPerUser: number;
  /** Sign-ups allowed from one client address per hour. */
  signupsPerHour: number;
  /** The clock of trials (injectable: tests and accelerated runs move it). */
  now: () => Date;
}

export const DEFAULT_TRIAL_SETTINGS: Omit<TrialSettings, 'signup'> = { trialDays: 7, projectsPerUser: 10, signupsPerHour: 5, now: () => new Date() };

/**
 * The settings from PAAS_SIGNUP, PAAS_TRIAL_DAYS, PAAS_PROJECTS_PER_USER and PAAS_SIGNUPS_PER_HOUR;
 * a bad value throws naming the variable.
 * @example settingsFromEnv(process.env, 'off') // on AWS sign-up is off unless PAAS_SIGNUP=open
 */
export function settingsFromEnv(env: NodeJS.ProcessEnv, signupDefault: 'open' | 'off'): TrialSettings {
  const signup = env.PAAS_SIGNUP || signupDefault;
  if (signup !== 'open' && signup !== 'off') throw new Error(`PAAS_SIGNUP=${signup} is not one of open, off`);
  const num = (name: string, fallback: number, integer: boolean): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new Error(`${name}=${raw} is not a positive ${integer ? 'whole ' : ''}number`);
    return n;
  };
  return {
    signup,
    trialDays: num('PAAS_TRIAL_DAYS', DEFAULT_TRIAL_SETTINGS.trialDays, false),
    projectsPerUser: num('PAAS_PROJECTS_PER_USER', DEFAULT_TRIAL_SETTINGS.projectsPerUser, true),
    signupsPerHour: num('PAAS_SIGNUPS_PER_HOUR', DEFAULT_TRIAL_SETTINGS.signupsPerHour, true),
    now: DEFAULT_TRIAL_SETTINGS.now,
  };
}

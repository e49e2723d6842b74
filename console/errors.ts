// API error answers in words a person understands, with what to do next. The API's own message
// (and its suggestion, when it gives one) is kept: it names the field or the limit at fault.

export interface PlainError {
  status: number;
  title: string;
  detail?: string;
  hint: string;
}

const BY_STATUS: Record<number, { title: string; hint: string }> = {
  400: { title: 'Something in the form is not right', hint: 'Correct the field named below and send it again.' },
  401: { title: 'You are signed out', hint: 'Sign in again; sessions end after a while or when you sign out elsewhere.' },
  403: { title: 'You are not allowed to do this', hint: 'Ask an admin of this project for the edit or admin role.' },
  404: { title: 'Not found', hint: 'It may have been deleted, or you may not be a member of its project. Go back to your projects.' },
  409: { title: 'It changed or exists already', hint: 'Reload the page to see the current state, or pick another name.' },
  413: { title: 'Too large', hint: 'Upload a smaller archive: leave out build output, virtual environments and .git.' },
  415: { title: 'Wrong kind of file', hint: 'Upload a .tar or .tar.gz archive of your source directory.' },
  422: { title: 'Something in the form is not right', hint: 'Correct the field named below and send it again.' },
  429: { title: 'Too many requests', hint: 'Wait a minute and try again.' },
};

/** The plain-words form of an API error answer (`body` as the API sent it: {code, message, suggestion?}). */
export function plainError(status: number, body: any): PlainError {
  const known = BY_STATUS[status];
  const message = typeof body?.message === 'string' ? body.message : typeof body === 'string' && body ? body : undefined;
  const suggestion = typeof body?.suggestion === 'string' ? body.suggestion : undefined;
  if (status === 403 && /quota/i.test(message ?? '')) {
    return { status, title: 'Your project is at its quota', detail: message, hint: 'Scale something down or delete what you no longer need; a cluster administrator can raise the quota.' };
  }
  if (known) return { status, title: known.title, detail: message, hint: suggestion ? `${suggestion[0]!.toUpperCase()}${suggestion.slice(1)}.` : known.hint };
  if (status >= 500) return { status, title: 'The platform had a problem', detail: message, hint: 'Try again in a moment; if it keeps happening, tell your platform administrator.' };
  return { status, title: `The request was refused (${status})`, detail: message, hint: suggestion ?? 'Check what you entered and try again.' };
}

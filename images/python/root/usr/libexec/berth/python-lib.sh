# Functions shared by the Python builder's assemble, run and app-hook scripts.

log() { echo "---> $*"; }
warn() { echo "WARNING: $*"; }

# The app lives in $HOME (/opt/app-root/src); APP_HOME names a subdirectory to run from.
app_dir() { readlink -f "$HOME/${APP_HOME:-.}"; }

py_has() { python -c "import $1" >/dev/null 2>&1; }

is_django() { [ -f manage.py ] && py_has django; }

has_hook() { [ -f "$HOME/.s2i/action_hooks/$1" ]; }

# Runs .s2i/action_hooks/NAME: executed when executable, else with bash.
run_hook() {
  local hook="$HOME/.s2i/action_hooks/$1"
  if [ -x "$hook" ]; then "$hook"; else bash "$hook"; fi
}

# An arbitrary UID (OpenShift's restricted policy) has no passwd entry; some tools need one.
ensure_passwd_entry() {
  if ! whoami >/dev/null 2>&1 && [ -w /etc/passwd ]; then
    echo "${USER_NAME:-app}:x:$(id -u):0:${USER_NAME:-app} user:${HOME}:/usr/sbin/nologin" >> /etc/passwd
  fi
}

# What run does before anything else: passwd entry, working directory, deploy-env hook.
prepare_runtime() {
  ensure_passwd_entry
  cd "$(app_dir)"
  export PYTHONPATH="$(pwd)${PYTHONPATH:+:$PYTHONPATH}"
  if has_hook deploy-env; then
    set -a
    # shellcheck disable=SC1090
    source "$HOME/.s2i/action_hooks/deploy-env"
    set +a
  fi
}

# The Django project's WSGI module (mysite.wsgi:application), from manage.py's settings module.
django_wsgi_module() {
  local project
  project=$(sed -n "s/.*DJANGO_SETTINGS_MODULE['\"][^'\"]*['\"]\([A-Za-z0-9_]*\)\.settings.*/\1/p" manage.py | head -n1)
  if [ -n "$project" ] && [ -f "$project/wsgi.py" ]; then echo "$project.wsgi:application"; return; fi
  project=$(find . -mindepth 2 -maxdepth 2 -name wsgi.py -print -quit)
  if [ -n "$project" ]; then project=${project#./}; echo "${project%/wsgi.py}.wsgi:application" | tr / .; fi
}

# Chooses how to start the app, in this order: APP_SCRIPT (app.sh), APP_FILE (app.py), a WSGI
# server (gunicorn, waitress, mod_wsgi-express; the standard library's wsgiref as a last resort)
# for APP_MODULE or wsgi.py, then Django (gunicorn on the project's wsgi module, else
# runserver). Sets SERVER and SERVER_TARGET; on failure returns 1 with SERVER_ERROR set.
choose_server() {
  local script=${APP_SCRIPT:-} file=${APP_FILE:-} module=${APP_MODULE:-} defaults=
  SERVER= SERVER_TARGET= SERVER_ERROR=
  if [ -z "$script$file$module" ]; then script=app.sh file=app.py defaults=1; fi
  if [ -n "$script" ]; then
    if [ -f "$script" ]; then SERVER=script SERVER_TARGET=$script; return 0; fi
    if [ -z "$defaults" ]; then SERVER_ERROR="APP_SCRIPT '$script' was not found"; return 1; fi
  fi
  if [ -n "$file" ]; then
    if [ -f "$file" ]; then SERVER=file SERVER_TARGET=$file; return 0; fi
    if [ -z "$defaults" ]; then SERVER_ERROR="APP_FILE '$file' was not found"; return 1; fi
  fi
  if [ -z "$module" ] && [ -f wsgi.py ]; then module=wsgi; fi
  if [ -z "$module" ] && is_django; then
    module=$(django_wsgi_module)
    if [ -z "$module" ] || ! py_has gunicorn; then SERVER=django; SERVER_TARGET=manage.py; return 0; fi
  fi
  if [ -z "$module" ]; then SERVER_ERROR="found no app.sh, app.py, wsgi.py, APP_MODULE or Django manage.py"; return 1; fi
  case "$module" in *:*) ;; *) module="$module:application" ;; esac
  SERVER_TARGET=$module
  if py_has gunicorn; then SERVER=gunicorn
  elif py_has waitress; then SERVER=waitress
  elif command -v mod_wsgi-express >/dev/null 2>&1; then SERVER=mod_wsgi
  else SERVER=wsgiref
  fi
}

NO_START_SUGGESTION="add app.py, wsgi.py or APP_SCRIPT"

# Read by the `flask` command only (gunicorn ignores it): local runs are development runs.
# The migrations that precede gunicorn (make serve, the Procfile) skip it, to run as gunicorn does.
FLASK_APP=wsgi
APP_ENV=development

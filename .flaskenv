# Read by the `flask` command only (gunicorn ignores it): local runs are development runs.
FLASK_APP=wsgi
APP_ENV=development

# gunicorn configuration for orient, behind nginx (deploy/nginx/orient.conf).
#
#   ORIENT_SECRET_KEY=... ORIENT_RULES=/srv/orient/rules gunicorn -c deploy/gunicorn.conf.py
#
# Rules reload without downtime: `kill -HUP <master pid>`. The master loads and checks the new
# rules BEFORE forking any new worker (on_reload below, preload_app); a broken set is refused
# and logged, and the workers keep serving the last good one. Settings come from the
# environment so that one file serves every machine:
#   ORIENT_BIND     address to listen on (default 127.0.0.1:8000: loopback, nginx in front)
#   ORIENT_WORKERS  number of sync workers (default: 2 per CPU)
#   ORIENT_PROXIES  how many proxies set X-Forwarded-For/-Proto (default here: 1, nginx)
import multiprocessing
import os

from orient.wsgi import gunicorn_on_reload

wsgi_app = "orient.wsgi:application()"
bind = os.environ.get("ORIENT_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("ORIENT_WORKERS") or 2 * multiprocessing.cpu_count())
worker_class = "sync"  # safe only behind a buffering proxy: nginx hands over complete requests

# The app is built once in the master and every worker is forked from it (shared, frozen
# heap); a worker never reads the rules, so it cannot fail to boot on them.
preload_app = True
on_reload = gunicorn_on_reload

# nginx buffers the client: a request reaches a worker whole, and the worker answers at once.
timeout = 30
graceful_timeout = 20
keepalive = 2
limit_request_line = 8190
limit_request_fields = 50
limit_request_field_size = 8190
backlog = 2048
worker_tmp_dir = "/dev/shm"  # the workers' heartbeat file: never blocked by a slow disk

# Only the local nginx may set X-Forwarded-*; the app trusts one proxy (werkzeug ProxyFix).
forwarded_allow_ips = "127.0.0.1,::1"
os.environ.setdefault("ORIENT_PROXIES", "1")

# gunicorn 27's control socket (~/.gunicorn/gunicorn.ctl, shared by every instance of a user):
# not used, reloads go through `kill -HUP`.
control_socket_disable = True

# The app writes its own access log (JSON lines, no query string); gunicorn's messages go to stderr.
accesslog = None
errorlog = "-"
loglevel = "info"
